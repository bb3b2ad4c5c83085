"""udacity/deep-learning-v2-pytorch, recurrent-neural-networks (char-rnn solution, time-series
Simple_RNN) as users type them, scaled down: a short fixed text instead of Anna Karenina, as
``prog(L) -> (printed, values)`` for tests/test_programs_s20_udacity.py."""

import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out

TEXT = ("Happy families are all alike; every unhappy family is unhappy in its own way.\n"
        "Everything was in confusion in the Oblonskys' house. The wife had discovered that "
        "the husband was carrying on an intrigue with a French girl.\n") * 3


def char_rnn(L):
    """Character_Level_RNN_Solution.ipynb: one_hot_encode, get_batches, CharRNN (LSTM with
    dropout, batch_first, weight.new(...).zero_() hidden state), train() with a validation
    split, clip_grad_norm_, the checkpoint dict, predict() / sample() with topk and
    np.random.choice."""
    torch = L
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)
        text = TEXT
        chars = tuple(sorted(set(text)))
        int2char = dict(enumerate(chars))
        char2int = {ch: ii for ii, ch in int2char.items()}
        encoded = np.array([char2int[ch] for ch in text])

        def one_hot_encode(arr, n_labels):
            one_hot = np.zeros((np.multiply(*arr.shape), n_labels), dtype=np.float32)
            one_hot[np.arange(one_hot.shape[0]), arr.flatten()] = 1.
            one_hot = one_hot.reshape((*arr.shape, n_labels))
            return one_hot

        def get_batches(arr, batch_size, seq_length):
            batch_size_total = batch_size * seq_length
            n_batches = len(arr)//batch_size_total
            arr = arr[:n_batches * batch_size_total]
            arr = arr.reshape((batch_size, -1))
            for n in range(0, arr.shape[1], seq_length):
                x = arr[:, n:n+seq_length]
                y = np.zeros_like(x)
                try:
                    y[:, :-1], y[:, -1] = x[:, 1:], arr[:, n+seq_length]
                except IndexError:
                    y[:, :-1], y[:, -1] = x[:, 1:], arr[:, 0]
                yield x, y

        train_on_gpu = torch.cuda.is_available()
        if not train_on_gpu:
            o.print('No GPU available, training on CPU; consider making n_epochs very small.')

        class CharRNN(nn.Module):
            def __init__(self, tokens, n_hidden=256, n_layers=2, drop_prob=0.5, lr=0.001):
                super().__init__()
                self.drop_prob = drop_prob
                self.n_layers = n_layers
                self.n_hidden = n_hidden
                self.lr = lr
                self.chars = tokens
                self.int2char = dict(enumerate(self.chars))
                self.char2int = {ch: ii for ii, ch in self.int2char.items()}
                self.lstm = nn.LSTM(len(self.chars), n_hidden, n_layers,
                                    dropout=drop_prob, batch_first=True)
                self.dropout = nn.Dropout(drop_prob)
                self.fc = nn.Linear(n_hidden, len(self.chars))

            def forward(self, x, hidden):
                r_output, hidden = self.lstm(x, hidden)
                out = self.dropout(r_output)
                out = out.contiguous().view(-1, self.n_hidden)
                out = self.fc(out)
                return out, hidden

            def init_hidden(self, batch_size):
                weight = next(self.parameters()).data
                hidden = (weight.new(self.n_layers, batch_size, self.n_hidden).zero_(),
                          weight.new(self.n_layers, batch_size, self.n_hidden).zero_())
                return hidden

        def train(net, data, epochs=10, batch_size=10, seq_length=50, lr=0.001, clip=5,
                  val_frac=0.1, print_every=10):
            net.train()
            opt = torch.optim.Adam(net.parameters(), lr=lr)
            criterion = nn.CrossEntropyLoss()
            val_idx = int(len(data)*(1-val_frac))
            data, val_data = data[:val_idx], data[val_idx:]
            counter = 0
            n_chars = len(net.chars)
            for e in range(epochs):
                h = net.init_hidden(batch_size)
                for x, y in get_batches(data, batch_size, seq_length):
                    counter += 1
                    x = one_hot_encode(x, n_chars)
                    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
                    h = tuple([each.data for each in h])
                    net.zero_grad()
                    output, h = net(inputs, h)
                    loss = criterion(output, targets.view(batch_size*seq_length).long())
                    loss.backward()
                    nn.utils.clip_grad_norm_(net.parameters(), clip)
                    opt.step()
                    if counter % print_every == 0:
                        val_h = net.init_hidden(batch_size)
                        val_losses = []
                        net.eval()
                        for x, y in get_batches(val_data, batch_size, seq_length):
                            x = one_hot_encode(x, n_chars)
                            x, y = torch.from_numpy(x), torch.from_numpy(y)
                            val_h = tuple([each.data for each in val_h])
                            inputs, targets = x, y
                            output, val_h = net(inputs, val_h)
                            val_loss = criterion(output,
                                                 targets.view(batch_size*seq_length).long())
                            val_losses.append(val_loss.item())
                        net.train()
                        o.print("Epoch: {}/{}...".format(e+1, epochs),
                                "Step: {}...".format(counter),
                                "Loss: {:.4f}...".format(loss.item()),
                                "Val Loss: {:.4f}".format(np.mean(val_losses)))

        n_hidden = 32
        n_layers = 2
        net = CharRNN(chars, n_hidden, n_layers)
        o.print(net)
        train(net, encoded, epochs=2, batch_size=4, seq_length=8, lr=0.001, print_every=4,
              val_frac=0.3)
        checkpoint = {'n_hidden': net.n_hidden, 'n_layers': net.n_layers,
                      'state_dict': net.state_dict(), 'tokens': net.chars}
        with tempfile.TemporaryDirectory() as d:
            model_name = os.path.join(d, 'rnn_x_epoch.net')
            with open(model_name, 'wb') as f:
                torch.save(checkpoint, f)
            with open(model_name, 'rb') as f:
                checkpoint = torch.load(f)
        loaded = CharRNN(checkpoint['tokens'], n_hidden=checkpoint['n_hidden'],
                         n_layers=checkpoint['n_layers'])
        loaded.load_state_dict(checkpoint['state_dict'])

        def predict(net, char, h=None, top_k=None):
            x = np.array([[net.char2int[char]]])
            x = one_hot_encode(x, len(net.chars))
            inputs = torch.from_numpy(x)
            h = tuple([each.data for each in h])
            out, h = net(inputs, h)
            p = F.softmax(out, dim=1).data
            if top_k is None:
                top_ch = np.arange(len(net.chars))
            else:
                p, top_ch = p.topk(top_k)
                top_ch = top_ch.numpy().squeeze()
            p = p.numpy().squeeze()
            char = np.random.choice(top_ch, p=p/p.sum())
            return net.int2char[char], h

        def sample(net, size, prime='The', top_k=None):
            net.eval()
            chars = [ch for ch in prime]
            h = net.init_hidden(1)
            for ch in prime:
                char, h = predict(net, ch, h, top_k=top_k)
            chars.append(char)
            for ii in range(size):
                char, h = predict(net, chars[-1], h, top_k=top_k)
                chars.append(char)
            return ''.join(chars)

        o.print(repr(sample(net, 20, prime='The', top_k=5)))
        o.print(repr(sample(loaded, 10, prime='Happy')))
        o.vals += [net.fc.weight, net.lstm.weight_hh_l1]
    return o.done()


def time_series(L):
    """recurrent-neural-networks/time-series/Simple_RNN.ipynb: data.resize on a sine wave,
    torch.Tensor(data).unsqueeze(0), an nn.RNN with batch_first, hidden = hidden.data."""
    torch = L
    nn = L.nn
    with Out() as o:
        torch.manual_seed(0)
        seq_length = 20
        time_steps = np.linspace(0, np.pi, seq_length + 1)
        data = np.sin(time_steps)
        data.resize((seq_length + 1, 1))

        class RNN(nn.Module):
            def __init__(self, input_size, output_size, hidden_dim, n_layers):
                super(RNN, self).__init__()
                self.hidden_dim = hidden_dim
                self.rnn = nn.RNN(input_size, hidden_dim, n_layers, batch_first=True)
                self.fc = nn.Linear(hidden_dim, output_size)

            def forward(self, x, hidden):
                batch_size = x.size(0)
                r_out, hidden = self.rnn(x, hidden)
                r_out = r_out.view(-1, self.hidden_dim)
                output = self.fc(r_out)
                return output, hidden

        test_rnn = RNN(input_size=1, output_size=1, hidden_dim=10, n_layers=2)
        time_steps = np.linspace(0, np.pi, seq_length)
        data = np.sin(time_steps)
        data.resize((seq_length, 1))
        test_input = torch.Tensor(data).unsqueeze(0)
        o.print('Input size: ', test_input.size())
        test_out, test_h = test_rnn(test_input, None)
        o.print('Output size: ', test_out.size())
        o.print('Hidden state size: ', test_h.size())

        input_size = 1
        output_size = 1
        hidden_dim = 32
        n_layers = 1
        rnn = RNN(input_size, output_size, hidden_dim, n_layers)
        o.print(rnn)
        criterion = nn.MSELoss()
        optimizer = torch.optim.Adam(rnn.parameters(), lr=0.01)

        def train(rnn, n_steps, print_every):
            hidden = None
            for batch_i, step in enumerate(range(n_steps)):
                time_steps = np.linspace(step * np.pi, (step+1)*np.pi, seq_length + 1)
                data = np.sin(time_steps)
                data.resize((seq_length + 1, 1))
                x = data[:-1]
                y = data[1:]
                x_tensor = torch.Tensor(x).unsqueeze(0)
                y_tensor = torch.Tensor(y)
                prediction, hidden = rnn(x_tensor, hidden)
                hidden = hidden.data
                loss = criterion(prediction, y_tensor)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if batch_i % print_every == 0:
                    o.print('Loss: {:.4f}'.format(loss.item()))
                    o.print(time_steps[1:].shape, prediction.data.numpy().flatten().shape)
            return rnn

        trained_rnn = train(rnn, 30, 10)
        o.vals += [test_out, test_h, trained_rnn.fc.weight]
    return o.done()
