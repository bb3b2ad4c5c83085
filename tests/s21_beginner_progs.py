"""L1aoXingyu/pytorch-beginner as learners type them (2017-era code kept: Variable,
``loss.data[0]``, ``volatile=True``, log_softmax without dim): 01-Linear Regression/
Linear_Regression.py, 02-Logistic Regression/Logistic_Regression.py, 06-Natural Language
Process/N-Gram.py, bag-of-word.py and seq-lstm.py. MNIST is replaced by seeded uint8
images / 255 (what ToTensor gives); sizes and epochs shrunk. Old calls that fail on
PyTorch 2.13 are run through ``o.tryit`` so the error (type and first line) is compared,
then the program goes on with the modern call."""

import numpy as np
from s16_yunjey_progs import Out, _images


def linear_regression(L):
    """01-Linear Regression/Linear_Regression.py."""
    torch, nn, optim, Variable = L, L.nn, L.optim, L.autograd.Variable
    torch.manual_seed(0)
    x_train = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168],
                        [9.779], [6.182], [7.59], [2.167], [7.042],
                        [10.791], [5.313], [7.997], [3.1]], dtype=np.float32)
    y_train = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573],
                        [3.366], [2.596], [2.53], [1.221], [2.827],
                        [3.465], [1.65], [2.904], [1.3]], dtype=np.float32)
    x_train = torch.from_numpy(x_train)
    y_train = torch.from_numpy(y_train)

    class LinearRegression(nn.Module):
        def __init__(self):
            super(LinearRegression, self).__init__()
            self.linear = nn.Linear(1, 1)

        def forward(self, x):
            return self.linear(x)

    with Out() as o:
        model = LinearRegression()
        criterion = nn.MSELoss()
        optimizer = optim.SGD(model.parameters(), lr=1e-4)
        num_epochs = 100
        for epoch in range(num_epochs):
            inputs = Variable(x_train)
            target = Variable(y_train)
            out = model(inputs)
            loss = criterion(out, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if (epoch + 1) % 20 == 0:
                if epoch == 19:
                    o.tryit(lambda: loss.data[0])
                o.print('Epoch[{}/{}], loss: {:.6f}'.format(epoch + 1, num_epochs,
                                                            loss.item()))
        model.eval()
        predict = model(Variable(x_train))
        predict = predict.data.numpy()
        o.print(type(predict).__name__, predict.dtype, predict.shape)
        o.print(model.state_dict().keys())
        o.vals += [predict, model.linear.weight, model.linear.bias]
    return o.done()


def logistic_regression(L):
    """02-Logistic Regression/Logistic_Regression.py: F.sigmoid before CrossEntropyLoss."""
    torch, nn, optim, F = L, L.nn, L.optim, L.nn.functional
    Variable = L.autograd.Variable
    from_data = L.utils.data
    torch.manual_seed(1)
    x, y = _images(L, 96, 1, 28, 28, 1)
    xt, yt = _images(L, 40, 1, 28, 28, 2)
    train_dataset = from_data.TensorDataset(x, y)
    test_dataset = from_data.TensorDataset(xt, yt)
    batch_size, learning_rate, num_epoches = 32, 1e-3, 2
    train_loader = from_data.DataLoader(train_dataset, batch_size=batch_size, shuffle=True)
    test_loader = from_data.DataLoader(test_dataset, batch_size=batch_size, shuffle=False)

    class Logstic_Regression(nn.Module):
        def __init__(self, in_dim, n_class):
            super(Logstic_Regression, self).__init__()
            self.logstic = nn.Linear(in_dim, n_class)

        def forward(self, x):
            out = self.logstic(x)
            out = F.sigmoid(out)
            return out

    with Out() as o:
        model = Logstic_Regression(28 * 28, 10)
        use_gpu = torch.cuda.is_available()
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.SGD(model.parameters(), lr=learning_rate)
        for epoch in range(num_epoches):
            o.print('epoch {}'.format(epoch + 1))
            o.print('*' * 10)
            running_loss = 0.0
            running_acc = 0.0
            for i, data in enumerate(train_loader, 1):
                img, label = data
                img = img.view(img.size(0), -1)
                out = model(img)
                loss = criterion(out, label)
                if i == 1 and epoch == 0:
                    o.tryit(lambda: loss.data[0])
                running_loss += loss.item() * label.size(0)
                _, pred = torch.max(out, 1)
                num_correct = (pred == label).sum()
                running_acc += num_correct.item()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if i % 2 == 0:
                    o.print('[{}/{}] Loss: {:.6f}, Acc: {:.6f}'.format(
                        epoch + 1, num_epoches, running_loss / (batch_size * i),
                        running_acc / (batch_size * i)))
            o.print('Finish {} epoch, Loss: {:.6f}, Acc: {:.6f}'.format(
                epoch + 1, running_loss / (len(train_dataset)),
                running_acc / (len(train_dataset))))
            model.eval()
            eval_loss = 0
            eval_acc = 0
            for data in test_loader:
                img, label = data
                img = img.view(img.size(0), -1)
                img = Variable(img, volatile=True)
                label = Variable(label, volatile=True)
                out = model(img)
                loss = criterion(out, label)
                eval_loss += loss.item() * label.size(0)
                _, pred = torch.max(out, 1)
                num_correct = (pred == label).sum()
                eval_acc += num_correct.item()
            o.print(img.requires_grad, label.dtype, use_gpu)
            o.print('Test Loss: {:.6f}, Acc: {:.6f}'.format(
                eval_loss / (len(test_dataset)), eval_acc / (len(test_dataset))))
            o.print()
        o.vals += [model.logstic.weight, out]
    return o.done()


SONNET = """When forty winters shall besiege thy brow,
And dig deep trenches in thy beauty's field,
Thy youth's proud livery so gazed on now,
Will be a totter'd weed of small worth held:
Then being asked, where all thy beauty lies,
Where all the treasure of thy lusty days;""".split()


def ngram(L):
    """06-Natural Language Process/N-Gram.py."""
    torch, nn, optim, F, Variable = L, L.nn, L.optim, L.nn.functional, L.autograd.Variable
    torch.manual_seed(2)
    CONTEXT_SIZE = 2
    test_sentence = SONNET
    trigram = [((test_sentence[i], test_sentence[i + 1]), test_sentence[i + 2])
               for i in range(len(test_sentence) - 2)]
    vocb = sorted(set(test_sentence))
    word_to_idx = {word: i for i, word in enumerate(vocb)}
    idx_to_word = {word_to_idx[word]: word for word in word_to_idx}

    class NgramModel(nn.Module):
        def __init__(self, vocb_size, context_size, n_dim):
            super(NgramModel, self).__init__()
            self.n_word = vocb_size
            self.embedding = nn.Embedding(self.n_word, n_dim)
            self.linear1 = nn.Linear(context_size * n_dim, 128)
            self.linear2 = nn.Linear(128, self.n_word)

        def forward(self, x):
            emb = self.embedding(x)
            emb = emb.view(1, -1)
            out = self.linear1(emb)
            out = F.relu(out)
            out = self.linear2(out)
            log_prob = F.log_softmax(out)
            return log_prob

    with Out() as o:
        ngrammodel = NgramModel(len(word_to_idx), CONTEXT_SIZE, 100)
        criterion = nn.NLLLoss()
        optimizer = optim.SGD(ngrammodel.parameters(), lr=1e-3)
        for epoch in range(3):
            o.print('epoch: {}'.format(epoch + 1))
            o.print('*' * 10)
            running_loss = 0
            for data in trigram:
                word, label = data
                word = Variable(torch.LongTensor([word_to_idx[i] for i in word]))
                label = Variable(torch.LongTensor([word_to_idx[label]]))
                out = ngrammodel(word)
                loss = criterion(out, label)
                running_loss += loss.data
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print('Loss: {:.4f}'.format(running_loss / len(word_to_idx)))
        word, label = trigram[3]
        word = Variable(torch.LongTensor([word_to_idx[i] for i in word]))
        out = ngrammodel(word)
        _, predict_label = torch.max(out, 1)
        o.tryit(lambda: predict_label.data[0][0])
        predict_word = idx_to_word[predict_label.data[0].item()]
        o.print('real word is {}, predict word is {}'.format(label, predict_word))
        o.print(repr(running_loss)[:14], predict_label)
        o.vals += [out, ngrammodel.embedding.weight]
    return o.done()


def cbow(L):
    """06-Natural Language Process/bag-of-word.py (CBOW with a bias-free projection)."""
    torch, nn, optim, F, Variable = L, L.nn, L.optim, L.nn.functional, L.autograd.Variable
    torch.manual_seed(3)
    CONTEXT_SIZE = 2
    raw_text = """We are about to study the idea of a computational process.
Computational processes are abstract beings that inhabit computers.
As they evolve, processes manipulate other abstract things called data.""".split()
    vocab = sorted(set(raw_text))
    word_to_idx = {word: i for i, word in enumerate(vocab)}
    data = []
    for i in range(CONTEXT_SIZE, len(raw_text) - CONTEXT_SIZE):
        context = [raw_text[i - 2], raw_text[i - 1], raw_text[i + 1], raw_text[i + 2]]
        data.append((context, raw_text[i]))

    class CBOW(nn.Module):
        def __init__(self, n_word, n_dim, context_size):
            super(CBOW, self).__init__()
            self.embedding = nn.Embedding(n_word, n_dim)
            self.project = nn.Linear(n_dim, n_dim, bias=False)
            self.linear1 = nn.Linear(n_dim, 128)
            self.linear2 = nn.Linear(128, n_word)

        def forward(self, x):
            x = self.embedding(x)
            x = self.project(x)
            x = torch.sum(x, 0, keepdim=True)
            x = self.linear1(x)
            x = F.relu(x, inplace=True)
            x = self.linear2(x)
            x = F.log_softmax(x)
            return x

    with Out() as o:
        model = CBOW(len(word_to_idx), 100, CONTEXT_SIZE)
        criterion = nn.NLLLoss()
        optimizer = optim.SGD(model.parameters(), lr=1e-3)
        for epoch in range(3):
            o.print('epoch {}'.format(epoch))
            o.print('*' * 10)
            running_loss = 0
            for word in data:
                context, target = word
                context = Variable(torch.LongTensor([word_to_idx[i] for i in context]))
                target = Variable(torch.LongTensor([word_to_idx[target]]))
                out = model(context)
                loss = criterion(out, target)
                running_loss += loss.item()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print('loss: {:.4f}'.format(running_loss / len(data)))
        o.print(out.grad_fn.name(), out.shape)
        o.vals += [out, model.project.weight]
    return o.done()


def seq_lstm(L):
    """06-Natural Language Process/seq-lstm.py: char-LSTM features concatenated onto an
    empty torch.FloatTensor() one word at a time, then a word-level LSTM tagger."""
    torch, nn, optim, F, Variable = L, L.nn, L.optim, L.nn.functional, L.autograd.Variable
    torch.manual_seed(4)
    training_data = [("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
                     ("Everybody read that book".split(), ["NN", "V", "DET", "NN"])]
    word_to_idx, tag_to_idx = {}, {}
    for context, tag in training_data:
        for word in context:
            if word not in word_to_idx:
                word_to_idx[word] = len(word_to_idx)
        for label in tag:
            if label not in tag_to_idx:
                tag_to_idx[label] = len(tag_to_idx)
    alphabet = 'abcdefghijklmnopqrstuvwxyz'
    character_to_idx = {}
    for i in range(len(alphabet)):
        character_to_idx[alphabet[i]] = i

    class CharLSTM(nn.Module):
        def __init__(self, n_char, char_dim, char_hidden):
            super(CharLSTM, self).__init__()
            self.char_embedding = nn.Embedding(n_char, char_dim)
            self.char_lstm = nn.LSTM(char_dim, char_hidden, batch_first=True)

        def forward(self, x):
            x = self.char_embedding(x)
            _, h = self.char_lstm(x)
            return h[0]

    class LSTMTagger(nn.Module):
        def __init__(self, n_word, n_char, char_dim, n_dim, char_hidden, n_hidden, n_tag):
            super(LSTMTagger, self).__init__()
            self.word_embedding = nn.Embedding(n_word, n_dim)
            self.char_lstm = CharLSTM(n_char, char_dim, char_hidden)
            self.lstm = nn.LSTM(n_dim + char_hidden, n_hidden, batch_first=True)
            self.linear1 = nn.Linear(n_hidden, n_tag)

        def forward(self, x, word):
            char = torch.FloatTensor()
            for each in word:
                char_list = []
                for letter in each:
                    char_list.append(character_to_idx[letter.lower()])
                char_list = torch.LongTensor(char_list)
                char_list = char_list.unsqueeze(0)
                tempchar = self.char_lstm(Variable(char_list))
                tempchar = tempchar.squeeze(0)
                char = torch.cat((char, tempchar.cpu().data), 0)
            char = char.squeeze(1)
            char = Variable(char)
            x = self.word_embedding(x)
            x = torch.cat((x, char), 1)
            x = x.unsqueeze(0)
            x, _ = self.lstm(x)
            x = x.squeeze(0)
            x = self.linear1(x)
            y = F.log_softmax(x)
            return y

    def make_sequence(x, dic):
        idx = [dic[i] for i in x]
        return Variable(torch.LongTensor(idx))

    with Out() as o:
        model = LSTMTagger(len(word_to_idx), len(character_to_idx), 10, 20, 12, 16,
                           len(tag_to_idx))
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.SGD(model.parameters(), lr=1e-2)
        o.print(torch.FloatTensor(), torch.FloatTensor().shape)
        for epoch in range(3):
            o.print('*' * 10)
            o.print('epoch {}'.format(epoch + 1))
            running_loss = 0
            for data in training_data:
                word, tag = data
                word_list = make_sequence(word, word_to_idx)
                tag = make_sequence(tag, tag_to_idx)
                out = model(word_list, word)
                loss = criterion(out, tag)
                running_loss += loss.data
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print('Loss: {:.4f}'.format(running_loss / len(data)))
        o.print()
        input = make_sequence("Everybody ate the apple".split(), word_to_idx)
        out = model(input, "Everybody ate the apple".split())
        o.print(out.shape, out.grad_fn.name(), out.requires_grad)
        o.vals += [out, model.lstm.weight_hh_l0.grad]
    return o.done()
