"""locuslab/TCN (TCN/tcn.py: Chomp1d, TemporalBlock with weight_norm Conv1d, TemporalConvNet;
TCN/adding_problem and TCN/mnist_pixel: model.py, utils.data_generator and the train loops)
as users type them, scaled down, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_seqdata.py."""

import numpy as np
from s16_yunjey_progs import Out


def _tcn_classes(L):
    nn = L.nn
    weight_norm = L.nn.utils.weight_norm

    class Chomp1d(nn.Module):
        def __init__(self, chomp_size):
            super(Chomp1d, self).__init__()
            self.chomp_size = chomp_size

        def forward(self, x):
            return x[:, :, :-self.chomp_size].contiguous()

    class TemporalBlock(nn.Module):
        def __init__(self, n_inputs, n_outputs, kernel_size, stride, dilation, padding,
                     dropout=0.2):
            super(TemporalBlock, self).__init__()
            self.conv1 = weight_norm(nn.Conv1d(n_inputs, n_outputs, kernel_size,
                                               stride=stride, padding=padding,
                                               dilation=dilation))
            self.chomp1 = Chomp1d(padding)
            self.relu1 = nn.ReLU()
            self.dropout1 = nn.Dropout(dropout)

            self.conv2 = weight_norm(nn.Conv1d(n_outputs, n_outputs, kernel_size,
                                               stride=stride, padding=padding,
                                               dilation=dilation))
            self.chomp2 = Chomp1d(padding)
            self.relu2 = nn.ReLU()
            self.dropout2 = nn.Dropout(dropout)

            self.net = nn.Sequential(self.conv1, self.chomp1, self.relu1, self.dropout1,
                                     self.conv2, self.chomp2, self.relu2, self.dropout2)
            self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) \
                if n_inputs != n_outputs else None
            self.relu = nn.ReLU()
            self.init_weights()

        def init_weights(self):
            self.conv1.weight.data.normal_(0, 0.01)
            self.conv2.weight.data.normal_(0, 0.01)
            if self.downsample is not None:
                self.downsample.weight.data.normal_(0, 0.01)

        def forward(self, x):
            out = self.net(x)
            res = x if self.downsample is None else self.downsample(x)
            return self.relu(out + res)

    class TemporalConvNet(nn.Module):
        def __init__(self, num_inputs, num_channels, kernel_size=2, dropout=0.2):
            super(TemporalConvNet, self).__init__()
            layers = []
            num_levels = len(num_channels)
            for i in range(num_levels):
                dilation_size = 2 ** i
                in_channels = num_inputs if i == 0 else num_channels[i - 1]
                out_channels = num_channels[i]
                layers += [TemporalBlock(in_channels, out_channels, kernel_size, stride=1,
                                         dilation=dilation_size,
                                         padding=(kernel_size - 1) * dilation_size,
                                         dropout=dropout)]
            self.network = nn.Sequential(*layers)

        def forward(self, x):
            return self.network(x)

    class TCN(nn.Module):
        def __init__(self, input_size, output_size, num_channels, kernel_size, dropout):
            super(TCN, self).__init__()
            self.tcn = TemporalConvNet(input_size, num_channels, kernel_size=kernel_size,
                                       dropout=dropout)
            self.linear = nn.Linear(num_channels[-1], output_size)
            self.init_weights()

        def init_weights(self):
            self.linear.weight.data.normal_(0, 0.01)

        def forward(self, x):
            y1 = self.tcn(x)
            return self.linear(y1[:, :, -1])

    return TCN, TemporalConvNet


def tcn_adding_problem(L):
    """adding_problem/add_test.py: data_generator (torch.rand numbers, a 0/1 mask from
    np.random.choice), TCN with weight_norm convs, Adam, F.mse_loss, clip_grad_norm_,
    eval loss; the weight_norm deprecation warning and the model repr."""
    torch, F = L, L.nn.functional
    with Out() as o:
        torch.manual_seed(1111); np.random.seed(1111)

        def data_generator(N, seq_length):
            X_num = torch.rand([N, 1, seq_length])
            X_mask = torch.zeros([N, 1, seq_length])
            Y = torch.zeros([N, 1])
            for i in range(N):
                positions = np.random.choice(seq_length, size=2, replace=False)
                X_mask[i, 0, positions[0]] = 1
                X_mask[i, 0, positions[1]] = 1
                Y[i, 0] = X_num[i, 0, positions[0]] + X_num[i, 0, positions[1]]
            X = torch.cat((X_num, X_mask), dim=1)
            return X, Y

        TCN, _ = _tcn_classes(L)
        input_channels, n_classes, batch_size, seq_length = 2, 1, 8, 12
        X_train, Y_train = data_generator(24, seq_length)
        X_test, Y_test = data_generator(8, seq_length)
        channel_sizes = [6] * 3
        model = TCN(input_channels, n_classes, channel_sizes, kernel_size=3, dropout=0.1)
        o.print(model.tcn.network[0])
        lr = 4e-3
        optimizer = getattr(torch.optim, 'Adam')(model.parameters(), lr=lr)

        def train(epoch):
            model.train()
            batch_idx = 1
            total_loss = 0
            for i in range(0, X_train.size(0), batch_size):
                if i + batch_size > X_train.size(0):
                    x, y = X_train[i:], Y_train[i:]
                else:
                    x, y = X_train[i:(i + batch_size)], Y_train[i:(i + batch_size)]
                optimizer.zero_grad()
                output = model(x)
                loss = F.mse_loss(output, y)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                batch_idx += 1
                total_loss += loss.item()
            o.print('Train Epoch: {:2d} lr {:.4f}\tLoss: {:.6f}'.format(
                epoch, lr, total_loss / 3))

        def evaluate():
            model.eval()
            with torch.no_grad():
                output = model(X_test)
                test_loss = F.mse_loss(output, Y_test)
                o.print('\nTest set: Average loss: {:.6f}\n'.format(test_loss.item()))
                return test_loss.item()

        for ep in range(1, 4):
            train(ep)
            tloss = evaluate()
        conv = model.tcn.network[1].conv1
        o.print(sorted(n for n, _ in conv.named_parameters()), conv.weight_g.shape)
        o.vals += [model.linear.weight, conv.weight_v, conv.weight_g, conv.weight,
                   model(X_test), tloss]
    return o.done()


def tcn_mnist_pixel(L):
    """mnist_pixel/pmnist_test.py: pixels as a 1-channel sequence, a permutation from
    np.random.permutation as torch.Tensor(permute).long(), log_softmax + nll_loss, the
    accuracy count pred.eq(target.data.view_as(pred)).cpu().sum()."""
    torch, F = L, L.nn.functional
    with Out() as o:
        torch.manual_seed(1111); np.random.seed(1111)
        TCN, _ = _tcn_classes(L)
        rng = np.random.default_rng(0)
        images = torch.from_numpy(rng.integers(0, 256, (12, 1, 6, 6), dtype=np.uint8))
        images = images.float() / 255
        labels = torch.from_numpy(rng.integers(0, 10, 12))
        input_channels, n_classes = 1, 10
        seq_length = int(36 / input_channels)
        permute = torch.Tensor(np.random.permutation(36).astype(np.float64)).long()

        class Net(TCN):
            def forward(self, inputs):
                y1 = self.tcn(inputs)
                o = self.linear(y1[:, :, -1])
                return F.log_softmax(o, dim=1)

        model = Net(input_channels, n_classes, [5] * 2, kernel_size=3, dropout=0.05)
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
        for epoch in range(2):
            model.train()
            for i in range(0, 12, 4):
                data, target = images[i:i + 4], labels[i:i + 4]
                data = data.view(-1, input_channels, seq_length)
                data = data[:, :, permute]
                optimizer.zero_grad()
                output = model(data)
                loss = F.nll_loss(output, target)
                loss.backward()
                optimizer.step()
            model.eval()
            test_loss, correct = 0, 0
            with torch.no_grad():
                data = images.view(-1, input_channels, seq_length)[:, :, permute]
                output = model(data)
                test_loss += F.nll_loss(output, labels, reduction='sum').item()
                pred = output.data.max(1, keepdim=True)[1]
                correct += pred.eq(labels.data.view_as(pred)).cpu().sum()
            o.print('Test set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)'.format(
                test_loss / 12, correct, 12, 100. * correct / 12))
            o.print(type(correct).__name__, correct.dtype)
        o.vals += [output, model.linear.weight, permute]
    return o.done()
