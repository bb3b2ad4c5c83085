"""udacity/deep-learning-v2-pytorch, project-tv-script-generation
(dlnd_tv_script_generation.ipynb: batch_data, the word-level RNN, forward_back_prop, the
given train_rnn and generate with np.roll on the LongTensor sequence) as users type it, on a
short made-up script instead of the Seinfeld data, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_udacity.py."""

from collections import Counter

import numpy as np
from s16_yunjey_progs import Out

SCRIPT = ("jerry: hey, what's the deal with airplane food? george: i don't know. "
          "elaine: it's not food, it's a deal! kramer: giddy up! jerry: hello newman. ") * 4


def tv_script(L):
    torch = L
    nn, F = L.nn, L.nn.functional
    TensorDataset, DataLoader = L.utils.data.TensorDataset, L.utils.data.DataLoader
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)

        def create_lookup_tables(text):
            word_counts = Counter(text)
            sorted_vocab = sorted(word_counts, key=word_counts.get, reverse=True)
            int_to_vocab = {ii: word for ii, word in enumerate(sorted_vocab)}
            vocab_to_int = {word: ii for ii, word in int_to_vocab.items()}
            return (vocab_to_int, int_to_vocab)

        def token_lookup():
            tokens = dict()
            tokens['.'] = '||period||'
            tokens[','] = '||comma||'
            tokens['"'] = '||quotation_mark||'
            tokens[';'] = '||semicolon||'
            tokens['!'] = '||exclamation_mark||'
            tokens['?'] = '||question_mark||'
            tokens['('] = '||left_parentheses||'
            tokens[')'] = '||right_parentheses||'
            tokens['-'] = '||dash||'
            tokens['\n'] = '||return||'
            return tokens

        token_dict = token_lookup()
        text = SCRIPT
        for key, token in token_dict.items():
            text = text.replace(key, ' {} '.format(token))
        text = text.lower().split()
        SPECIAL_WORDS = {'PADDING': '<PAD>'}
        vocab_to_int, int_to_vocab = create_lookup_tables(text + list(SPECIAL_WORDS.values()))
        int_text = [vocab_to_int[word] for word in text]

        def batch_data(words, sequence_length, batch_size):
            n_batches = len(words)//batch_size
            words = words[:n_batches*batch_size]
            y_len = len(words) - sequence_length
            x, y = [], []
            for idx in range(0, y_len):
                idx_end = sequence_length + idx
                x_batch = words[idx:idx_end]
                x.append(x_batch)
                batch_y = words[idx_end]
                y.append(batch_y)
            data = TensorDataset(torch.from_numpy(np.asarray(x)), torch.from_numpy(np.asarray(y)))
            data_loader = DataLoader(data, shuffle=True, batch_size=batch_size)
            return data_loader

        test_text = range(50)
        t_loader = batch_data(test_text, sequence_length=5, batch_size=10)
        data_iter = iter(t_loader)
        sample_x, sample_y = next(data_iter)
        o.print(sample_x.shape)
        o.print(sample_x)
        o.print()
        o.print(sample_y.shape)
        o.print(sample_y)

        train_on_gpu = torch.cuda.is_available()
        if not train_on_gpu:
            o.print('No GPU found. Please use a GPU to train your neural network.')

        class RNN(nn.Module):
            def __init__(self, vocab_size, output_size, embedding_dim, hidden_dim, n_layers,
                         dropout=0.5):
                super(RNN, self).__init__()
                self.output_size = output_size
                self.n_layers = n_layers
                self.hidden_dim = hidden_dim
                self.embedding = nn.Embedding(vocab_size, embedding_dim)
                self.lstm = nn.LSTM(embedding_dim, hidden_dim, n_layers,
                                    dropout=dropout, batch_first=True)
                self.fc = nn.Linear(hidden_dim, output_size)

            def forward(self, nn_input, hidden):
                batch_size = nn_input.size(0)
                embeds = self.embedding(nn_input)
                lstm_out, hidden = self.lstm(embeds, hidden)
                lstm_out = lstm_out.contiguous().view(-1, self.hidden_dim)
                out = self.fc(lstm_out)
                out = out.view(batch_size, -1, self.output_size)
                out = out[:, -1]
                return out, hidden

            def init_hidden(self, batch_size):
                weight = next(self.parameters()).data
                hidden = (weight.new(self.n_layers, batch_size, self.hidden_dim).zero_(),
                          weight.new(self.n_layers, batch_size, self.hidden_dim).zero_())
                return hidden

        def forward_back_prop(rnn, optimizer, criterion, inp, target, hidden):
            h = tuple([each.data for each in hidden])
            rnn.zero_grad()
            output, h = rnn(inp, h)
            loss = criterion(output, target)
            loss.backward()
            nn.utils.clip_grad_norm_(rnn.parameters(), 5)
            optimizer.step()
            return loss.item(), h

        def train_rnn(rnn, batch_size, optimizer, criterion, n_epochs, show_every_n_batches=100):
            batch_losses = []
            rnn.train()
            o.print("Training for %d epoch(s)..." % n_epochs)
            for epoch_i in range(1, n_epochs + 1):
                hidden = rnn.init_hidden(batch_size)
                for batch_i, (inputs, labels) in enumerate(train_loader, 1):
                    n_batches = len(train_loader.dataset)//batch_size
                    if (batch_i > n_batches):
                        break
                    loss, hidden = forward_back_prop(rnn, optimizer, criterion, inputs,
                                                     labels, hidden)
                    batch_losses.append(loss)
                    if batch_i % show_every_n_batches == 0:
                        o.print('Epoch: {:>4}/{:<4}  Loss: {:.4f}\n'.format(
                            epoch_i, n_epochs, np.average(batch_losses)))
                        batch_losses = []
            return rnn

        sequence_length = 6
        batch_size = 8
        train_loader = batch_data(int_text, sequence_length, batch_size)
        num_epochs = 2
        learning_rate = 0.001
        vocab_size = len(vocab_to_int)
        output_size = vocab_size
        embedding_dim = 12
        hidden_dim = 16
        n_layers = 2
        show_every_n_batches = 4
        rnn = RNN(vocab_size, output_size, embedding_dim, hidden_dim, n_layers, dropout=0.5)
        optimizer = torch.optim.Adam(rnn.parameters(), lr=learning_rate)
        criterion = nn.CrossEntropyLoss()
        trained_rnn = train_rnn(rnn, batch_size, optimizer, criterion, num_epochs,
                                show_every_n_batches)
        o.print('Model Trained and Saved')

        def generate(rnn, prime_id, int_to_vocab, token_dict, pad_value, predict_len=100):
            rnn.eval()
            current_seq = np.full((1, sequence_length), pad_value)
            current_seq[-1][-1] = prime_id
            predicted = [int_to_vocab[prime_id]]
            for _ in range(predict_len):
                current_seq = torch.LongTensor(current_seq)
                hidden = rnn.init_hidden(current_seq.size(0))
                output, _ = rnn(current_seq, hidden)
                p = F.softmax(output, dim=1).data
                top_k = 5
                p, top_i = p.topk(top_k)
                top_i = top_i.numpy().squeeze()
                p = p.numpy().squeeze()
                word_i = np.random.choice(top_i, p=p/p.sum())
                word = int_to_vocab[word_i]
                predicted.append(word)
                current_seq = np.roll(current_seq, -1, 1)
                current_seq[-1][-1] = word_i
            gen_sentences = ' '.join(predicted)
            for key, token in token_dict.items():
                ending = ' ' if key in ['\n', '(', '"'] else ''
                gen_sentences = gen_sentences.replace(' ' + token.lower(), key)
            gen_sentences = gen_sentences.replace('\n ', '\n')
            gen_sentences = gen_sentences.replace('( ', '(')
            return gen_sentences, current_seq

        gen_length = 12
        prime_word = 'jerry'
        pad_word = SPECIAL_WORDS['PADDING']
        generated_script, seq = generate(trained_rnn, vocab_to_int[prime_word + ':'],
                                         int_to_vocab, token_dict, vocab_to_int[pad_word],
                                         gen_length)
        o.print(generated_script)
        o.print(type(seq).__name__, seq.dtype)
        o.vals += [trained_rnn.fc.weight, trained_rnn.embedding.weight]
    return o.done()


def dog_app(L):
    """project-dog-classification/dog_app_solution.ipynb: the from-scratch Net, train() with
    the running averages ``train_loss + ((1 / (batch_idx + 1)) * (loss.data - train_loss))``
    (0-d tensors compared with np.inf and formatted), test() with
    ``output.data.max(1, keepdim=True)[1]`` and np.sum(np.squeeze(...).cpu().numpy()), the
    transfer model's classifier[6] swap (with the notebook's ``param.required_grad = False``
    typo), Variable(img.unsqueeze(0)), argmax of prediction.data.numpy(), and the
    torch.jit.trace(model.float().eval(), torch.zeros(input_shape).float()) export."""
    import os
    import tempfile
    import warnings

    torch = L
    nn, F, optim = L.nn, L.nn.functional, L.optim
    from_loader = __import__("s20_udacity_progs")._loader
    with Out() as o:
        torch.manual_seed(0)
        use_cuda = torch.cuda.is_available()
        loaders_scratch = {'train': from_loader(L, 16, (3, 32, 32), 8, 30, classes=5),
                           'valid': from_loader(L, 8, (3, 32, 32), 8, 31, classes=5),
                           'test': from_loader(L, 8, (3, 32, 32), 8, 32, classes=5)}
        classes = ['affenpinscher', 'afghan_hound', 'airedale_terrier', 'akita',
                   'alaskan_malamute']
        images, labels = next(iter(loaders_scratch['train']))
        o.print(np.transpose(images[0].numpy()/2 + 0.5, (1, 2, 0)).shape)
        o.print(classes[labels[0]])

        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
                self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
                self.pool = nn.MaxPool2d(2, 2)
                self.fc1 = nn.Linear(8 * 8 * 8, 32)
                self.fc2 = nn.Linear(32, 5)
                self.dropout = nn.Dropout(0.5)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                x = x.view(-1, 8 * 8 * 8)
                x = self.dropout(x)
                x = F.relu(self.fc1(x))
                x = self.dropout(x)
                x = self.fc2(x)
                return x

        model_scratch = Net()
        o.print(model_scratch)
        criterion_scratch = nn.CrossEntropyLoss()
        optimizer_scratch = optim.Adam(model_scratch.parameters(), lr=0.001)

        def train(n_epochs, loaders, model, optimizer, criterion, use_cuda, save_path):
            valid_loss_min = np.inf
            for epoch in range(1, n_epochs+1):
                train_loss = 0.0
                valid_loss = 0.0
                model.train()
                for batch_idx, (data, target) in enumerate(loaders['train']):
                    optimizer.zero_grad()
                    output = model(data)
                    loss = criterion(output, target)
                    loss.backward()
                    optimizer.step()
                    train_loss = train_loss + ((1 / (batch_idx + 1)) * (loss.data - train_loss))
                model.eval()
                for batch_idx, (data, target) in enumerate(loaders['valid']):
                    output = model(data)
                    loss = criterion(output, target)
                    valid_loss = valid_loss + ((1 / (batch_idx + 1)) * (loss.data - valid_loss))
                o.print('Epoch: {} \tTraining Loss: {:.4f} \tValidation Loss: {:.4f}'.format(
                    epoch, train_loss, valid_loss))
                if valid_loss < valid_loss_min:
                    # (the notebook prints all digits: conv's last bits differ, OpenBLAS / MKL)
                    o.print(f"Loss decreased {valid_loss_min:.4f} -> {valid_loss:.4f}. "
                            "Model saved!")
                    torch.save(model.state_dict(), save_path)
                    valid_loss_min = valid_loss
            return model

        def test(loaders, model, criterion, use_cuda):
            test_loss = 0.
            correct = 0.
            total = 0.
            model.eval()
            for batch_idx, (data, target) in enumerate(loaders['test']):
                output = model(data)
                loss = criterion(output, target)
                test_loss = test_loss + ((1 / (batch_idx + 1)) * (loss.data - test_loss))
                pred = output.data.max(1, keepdim=True)[1]
                correct += np.sum(np.squeeze(pred.eq(target.data.view_as(pred))).cpu().numpy())
                total += data.size(0)
            o.print('Test Loss: {:.4f}\n'.format(test_loss))
            o.print('\nTest Accuracy: %2d%% (%2d/%2d)' % (100. * correct / total, correct, total))
            return test_loss

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'model_scratch.pt')
            model_scratch = train(2, loaders_scratch, model_scratch, optimizer_scratch,
                                  criterion_scratch, use_cuda, path)
            o.print(model_scratch.load_state_dict(torch.load(path)))
        t1 = test(loaders_scratch, model_scratch, criterion_scratch, use_cuda)

        model_transfer = nn.Module()
        model_transfer.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(inplace=True),
                                                nn.AdaptiveAvgPool2d((2, 2)))
        model_transfer.classifier = nn.Sequential(
            nn.Linear(16, 16), nn.ReLU(True), nn.Dropout(), nn.Linear(16, 16), nn.ReLU(True),
            nn.Dropout(), nn.Linear(16, 1000))
        model_transfer.forward = lambda x: model_transfer.classifier(
            L.flatten(model_transfer.features(x), 1))
        for param in model_transfer.features.parameters():
            param.required_grad = False
        o.print([p.requires_grad for p in model_transfer.features.parameters()])
        inputs = model_transfer.classifier[6].in_features
        last_linear_layer = nn.Linear(inputs, 5)
        model_transfer.classifier[6] = last_linear_layer
        o.print(f"Feature Count: {model_transfer.classifier[6].out_features}")
        criterion_transfer = nn.CrossEntropyLoss()
        optimizer_transfer = optim.Adam(model_transfer.classifier.parameters(), lr=0.0005)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'model_transfer.pt')
            model_transfer = train(2, loaders_scratch, model_transfer, optimizer_transfer,
                                   criterion_transfer, use_cuda, path)
            model_transfer.load_state_dict(torch.load(path))
        t2 = test(loaders_scratch, model_transfer, criterion_transfer, use_cuda)

        def predict_breed_transfer(img):
            img = L.autograd.Variable(img.unsqueeze(0))
            prediction = model_transfer(img)
            index = prediction.data.numpy().argmax()
            return classes[index]

        o.print([predict_breed_transfer(images[i]) for i in range(3)])
        model_transfer = model_transfer.cpu()
        input_shape = [1, 3, 32, 32]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # shown per trace below
            trace = torch.jit.trace(model_scratch.float().eval(), torch.zeros(input_shape).float())
        out = trace(images[:2])
        o.print(type(trace).__name__, out.shape)
        o.vals += [t1, t2, out, model_transfer.classifier[6].weight]
    return o.done()
