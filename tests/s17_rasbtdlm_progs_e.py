"""rasbt/deeplearning-models, pytorch_ipynb/rnn (simple RNN and LSTM classifiers, packed
sequences, a character RNN with temperature sampling) and pytorch_ipynb/tricks (cyclical
learning rate, gradient clipping, custom Dataset / DataLoader) as users type them, scaled
down: random token ids instead of torchtext's IMDB, a short random text instead of the
Shakespeare corpus, as ``prog(L) -> (printed, values)``."""

import numpy as np
from s16_yunjey_progs import Out
from s17_rasbtdlm_progs import mnist_like


def _imdb_like(torch, n=12, max_len=9, vocab=30, seed=0):
    """Padded id batches [seq_len, batch] (torchtext's layout), lengths sorted descending
    (BucketIterator's sort_within_batch), binary labels."""
    rng = np.random.default_rng(seed)
    lengths = np.sort(rng.integers(3, max_len + 1, n))[::-1].copy()
    text = np.ones((max_len, n), dtype=np.int64)  # <pad> = 1
    for j, ln in enumerate(lengths):
        text[:ln, j] = rng.integers(2, vocab, ln)
    return (torch.from_numpy(text), torch.from_numpy(lengths),
            torch.from_numpy(rng.integers(0, 2, n).astype(np.float32)))


def rnn_classifiers(torch):
    nn = torch.nn
    F = torch.nn.functional
    INPUT_DIM, EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM = 30, 6, 8, 1

    class RNN(nn.Module):
        """rnn_simple_imdb: the last hidden state of an nn.RNN."""
        def __init__(self, input_dim, embedding_dim, hidden_dim, output_dim):
            super().__init__()
            self.embedding = nn.Embedding(input_dim, embedding_dim)
            self.rnn = nn.RNN(embedding_dim, hidden_dim)
            self.fc = nn.Linear(hidden_dim, output_dim)

        def forward(self, text, text_length=None):
            embedded = self.embedding(text)
            output, hidden = self.rnn(embedded)
            return self.fc(hidden.squeeze(0)).view(-1)

    class PackedLSTM(nn.Module):
        """rnn_lstm_packed_imdb: pack_padded_sequence into an nn.LSTM."""
        def __init__(self, input_dim, embedding_dim, hidden_dim, output_dim):
            super().__init__()
            self.embedding = nn.Embedding(input_dim, embedding_dim)
            self.rnn = nn.LSTM(embedding_dim, hidden_dim)
            self.fc = nn.Linear(hidden_dim, output_dim)

        def forward(self, text, text_length):
            embedded = self.embedding(text)
            packed = nn.utils.rnn.pack_padded_sequence(embedded, text_length)
            packed_output, (hidden, cell) = self.rnn(packed)
            output, out_lengths = nn.utils.rnn.pad_packed_sequence(packed_output)
            return self.fc(hidden.squeeze(0)).view(-1), output, out_lengths

    def compute_binary_accuracy(model, batches):
        model.eval()
        correct_pred, num_examples = 0, 0
        with torch.no_grad():
            for text, text_lengths, labels in batches:
                out = model(text, text_lengths)
                logits = out[0] if isinstance(out, tuple) else out
                predicted_labels = (torch.sigmoid(logits) > 0.5).long()
                num_examples += len(text_lengths)
                correct_pred += (predicted_labels == labels.long()).sum()
            return correct_pred.float()/num_examples * 100

    with Out() as o:
        batches = [_imdb_like(torch, seed=s) for s in (0, 1)]
        for cls in (RNN, PackedLSTM):
            torch.manual_seed(123)
            model = cls(INPUT_DIM, EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM)
            o.print(model)
            optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
            NUM_EPOCHS = 1
            for epoch in range(NUM_EPOCHS):
                model.train()
                for batch_idx, (text, text_lengths, labels) in enumerate(batches):
                    out = model(text, text_lengths)
                    logits = out[0] if isinstance(out, tuple) else out
                    cost = F.binary_cross_entropy_with_logits(logits, labels)
                    optimizer.zero_grad()
                    cost.backward()
                    optimizer.step()
                    o.print(f'Epoch: {epoch+1:03d}/{NUM_EPOCHS:03d} | '
                            f'Batch {batch_idx:03d}/{len(batches):03d} | '
                            f'Cost: {cost:.4f}')
                with torch.set_grad_enabled(False):
                    o.print(f'training accuracy: '
                            f'{compute_binary_accuracy(model, batches):.2f}%')
            if isinstance(out, tuple):
                o.print(out[1].shape, out[2])
                o.vals += [out[1]]
            o.vals += [cost, logits, model.fc.weight]
    return o.done()


def char_rnn(torch):
    """char_rnn-charlevel: an nn.Embedding + nn.GRU cell-by-cell generator, init_zero_state,
    random_chunk / char_to_tensor, evaluate() sampling with torch.multinomial at a
    temperature."""
    import string
    nn = torch.nn
    all_characters = string.printable
    n_characters = len(all_characters)
    rng = np.random.default_rng(0)
    text = ''.join(rng.choice(list('abcdefgh ,.\n'), 200))
    TEXT_PORTION_SIZE = 20
    NUM_ITER = 2
    LEARNING_RATE = 0.005
    EMBEDDING_DIM = 8
    HIDDEN_DIM = 16

    def random_portion(text):
        start_index = int(rng.integers(0, len(text) - TEXT_PORTION_SIZE))
        end_index = start_index + TEXT_PORTION_SIZE + 1
        return text[start_index:end_index]

    def char_to_tensor(text):
        lst = [string.printable.index(c) for c in text]
        tensor = torch.tensor(lst).long()
        return tensor

    def draw_random_sample(text):
        text_long = char_to_tensor(random_portion(text))
        inputs = text_long[:-1]
        targets = text_long[1:]
        return inputs, targets

    class RNN(torch.nn.Module):
        def __init__(self, input_size, embed_size, hidden_size, output_size):
            super(RNN, self).__init__()
            self.hidden_size = hidden_size
            self.embed = torch.nn.Embedding(input_size, hidden_size)
            self.rnn = torch.nn.LSTMCell(input_size=embed_size, hidden_size=hidden_size)
            self.fc = torch.nn.Linear(hidden_size, output_size)

        def forward(self, character, hidden, cell_state):
            embedded = self.embed(character)
            (hidden, cell_state) = self.rnn(embedded, (hidden, cell_state))
            output = self.fc(hidden)
            return output, hidden, cell_state

        def init_zero_state(self):
            init_hidden = torch.zeros(1, self.hidden_size)
            init_cell = torch.zeros(1, self.hidden_size)
            return (init_hidden, init_cell)

    def evaluate(model, prime_str='A', predict_len=20, temperature=0.8):
        (hidden, cell_state) = model.init_zero_state()
        prime_input = char_to_tensor(prime_str)
        predicted = prime_str
        for p in range(len(prime_str) - 1):
            inp = prime_input[p].unsqueeze(0)
            _, hidden, cell_state = model(inp, hidden, cell_state)
        inp = prime_input[-1].unsqueeze(0)
        for p in range(predict_len):
            outputs, hidden, cell_state = model(inp, hidden, cell_state)
            output_dist = outputs.data.view(-1).div(temperature).exp()
            top_i = torch.multinomial(output_dist, 1)[0]
            predicted_char = all_characters[top_i]
            predicted += predicted_char
            inp = char_to_tensor(predicted_char)
        return predicted

    with Out() as o:
        torch.manual_seed(123)
        model = RNN(n_characters, HIDDEN_DIM, HIDDEN_DIM, n_characters)
        optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        o.print(model)
        for iteration in range(NUM_ITER):
            hidden, cell_state = model.init_zero_state()
            optimizer.zero_grad()
            loss = 0.
            inputs, targets = draw_random_sample(text)
            for c in range(TEXT_PORTION_SIZE):
                outputs, hidden, cell_state = model(inputs[c].unsqueeze(0), hidden, cell_state)
                loss += torch.nn.functional.cross_entropy(outputs, targets[c].view(1))
            loss /= TEXT_PORTION_SIZE
            loss.backward()
            optimizer.step()
            o.print(f'Iteration {iteration} | Loss {loss.item():.2f}\n\n')
            o.print(evaluate(model, 'Th', 20), '\n')
            o.print(50*'=')
        o.vals += [loss, model.fc.bias]
    return o.done()


def tricks(torch):
    """cyclical learning rate (cyclical_learning_rate with np.floor, set into
    optimizer.param_groups), gradient clipping (clip_grad_norm_ / clip_grad_value_), a custom
    Dataset with __getitem__ / __len__ fed to a DataLoader."""
    F = torch.nn.functional
    Dataset = torch.utils.data.Dataset
    DataLoader = torch.utils.data.DataLoader

    def cyclical_learning_rate(batch_step, step_size, base_lr=0.001, max_lr=0.006,
                               mode='triangular', gamma=0.999995):
        cycle = np.floor(1 + batch_step / (2. * step_size))
        x = np.abs(batch_step / float(step_size) - 2 * cycle + 1)
        lr_delta = (max_lr - base_lr) * np.maximum(0, (1 - x))
        if mode == 'triangular':
            pass
        elif mode == 'triangular2':
            lr_delta = lr_delta * 1 / (2. ** (cycle - 1))
        elif mode == 'exp_range':
            lr_delta = lr_delta * (gamma**(batch_step))
        else:
            raise ValueError('mode must be "triangular", "triangular2", or "exp_range"')
        lr = base_lr + lr_delta
        return lr

    class MyDataset(Dataset):
        def __init__(self, x, y, transform=None):
            self.x, self.y = x, y
            self.transform = transform

        def __getitem__(self, index):
            img = self.x[index]
            if self.transform is not None:
                img = self.transform(img)
            label = self.y[index]
            return img, label

        def __len__(self):
            return self.y.shape[0]

    with Out() as o:
        base = mnist_like(torch, 20)
        ds = MyDataset(base.tensors[0], base.tensors[1],
                       transform=lambda t: (t - 0.5) / 0.5)
        torch.manual_seed(0)
        train_loader = DataLoader(dataset=ds, batch_size=8, shuffle=True, num_workers=0,
                                  drop_last=True)
        for batch_idx, (x, y) in enumerate(train_loader):
            o.print('Batch index:', batch_idx, end='')
            o.print(' | Batch size:', y.size()[0])
            o.print('x shape:', x.shape, x.dtype, 'y shape:', y.shape, y.dtype)
        o.print(len(train_loader), len(ds))

        torch.manual_seed(1)
        model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 16),
                                    torch.nn.ReLU(), torch.nn.Linear(16, 10))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
        iter_per_ep = len(train_loader)
        batch_step = -1
        cur_lr = 0.001
        collect = {'lr': [], 'cost': [], 'norm': []}
        for epoch in range(2):
            for batch_idx, (features, targets) in enumerate(train_loader):
                batch_step += 1
                logits = model(features)
                cost = F.cross_entropy(logits, targets)
                optimizer.zero_grad()
                cost.backward()
                if epoch == 0:
                    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
                else:
                    total_norm = torch.tensor(0.)
                    torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.01)
                optimizer.step()
                cur_lr = cyclical_learning_rate(batch_step=batch_step, step_size=iter_per_ep,
                                                base_lr=0.001, max_lr=0.1,
                                                mode='triangular2')
                for g in optimizer.param_groups:
                    g['lr'] = cur_lr
                collect['lr'].append(optimizer.param_groups[0]['lr'])
                collect['cost'].append(cost.item())
                collect['norm'].append(total_norm.item())
                o.print('Epoch: %03d/%03d | Batch %03d/%03d | Cost: %.4f | LR: %.5f'
                        % (epoch+1, 2, batch_idx, iter_per_ep, cost, cur_lr))
        o.print(type(collect['lr'][0]).__name__, ['%.5f' % v for v in collect['lr']])
        o.print(optimizer)
        o.vals += [np.array(collect['cost'], dtype=np.float32),
                   np.array(collect['norm'], dtype=np.float32), model[1].weight]
    return o.done()
