"""ritchieng/deep-learning-wizard practical_pytorch: the CNN (same / valid padding, max / average
pooling), RNN (1-2 layers, tanh / relu) and LSTM (1-3 layers) pages as users type them, on
random "MNIST" TensorDatasets, a few iterations, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s17_dlwizard.py."""

from s16_yunjey_progs import Out
from s17_dlwizard_progs import loaders, mnist_like


def _train(L, o, model, train_loader, test_loader, num_epochs, view, lr=0.1, every=4):
    criterion = L.nn.CrossEntropyLoss()
    optimizer = L.optim.SGD(model.parameters(), lr=lr)
    o.print(len(list(model.parameters())))
    for i in range(len(list(model.parameters()))):
        o.print(list(model.parameters())[i].size())
    iter = 0
    for epoch in range(num_epochs):
        for i, (images, labels) in enumerate(train_loader):
            images = view(images).requires_grad_()
            optimizer.zero_grad()
            outputs = model(images)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            iter += 1
            if iter % every == 0:
                correct = 0
                total = 0
                for images, labels in test_loader:
                    images = view(images)
                    outputs = model(images)
                    _, predicted = L.max(outputs.data, 1)
                    total += labels.size(0)
                    correct += (predicted == labels).sum()
                accuracy = 100 * correct / total
                o.print('Iteration: {}. Loss: {:.4f}. Accuracy: {}'.format(
                    iter, loss.item(), accuracy))
                o.vals.append(loss.item())
    o.vals += list(model.parameters())


def _cnn(L, padding, pool, seed):
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(seed)
        train_dataset, test_dataset = mnist_like(L, 20, 10, seed=seed)
        batch_size = 10
        n_iters = 4
        num_epochs = int(n_iters / (len(train_dataset) / batch_size))
        train_loader, test_loader = loaders(L, train_dataset, test_dataset, batch_size)
        side = 7 if padding == 2 else 4

        class CNNModel(nn.Module):
            def __init__(self):
                super(CNNModel, self).__init__()
                # Convolution 1
                self.cnn1 = nn.Conv2d(in_channels=1, out_channels=16, kernel_size=5, stride=1,
                                      padding=padding)
                self.relu1 = nn.ReLU()
                # Max pool 1
                self.maxpool1 = pool(kernel_size=2)
                # Convolution 2
                self.cnn2 = nn.Conv2d(in_channels=16, out_channels=32, kernel_size=5, stride=1,
                                      padding=padding)
                self.relu2 = nn.ReLU()
                # Max pool 2
                self.maxpool2 = pool(kernel_size=2)
                # Fully connected 1 (readout)
                self.fc1 = nn.Linear(32 * side * side, 10)

            def forward(self, x):
                out = self.cnn1(x)
                out = self.relu1(out)
                out = self.maxpool1(out)
                out = self.cnn2(out)
                out = self.relu2(out)
                out = self.maxpool2(out)
                # Resize: original (100, 32, 7, 7), out.size(0): 100, new out (100, 32*7*7)
                out = out.view(out.size(0), -1)
                out = self.fc1(out)
                return out

        model = CNNModel()
        o.print(model)
        o.print(model.cnn1(train_dataset[0][0].unsqueeze(0)).size())
        o.tryit(lambda: model(train_dataset[0][0]).size())
        o.tryit(lambda: model.cnn1(train_dataset[0][0].view(1, 28, 28)).size())
        _train(L, o, model, train_loader, test_loader, num_epochs, lambda im: im, lr=0.01,
               every=2)
    return o.done()


def cnn_same_maxpool(L):
    return _cnn(L, 2, L.nn.MaxPool2d, 0)


def cnn_same_avgpool(L):
    return _cnn(L, 2, L.nn.AvgPool2d, 1)


def cnn_valid_maxpool(L):
    return _cnn(L, 0, L.nn.MaxPool2d, 2)


def _rnn(L, layer_dim, nonlinearity, seed):
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(seed)
        train_dataset, test_dataset = mnist_like(L, seed=seed)
        batch_size = 10
        n_iters = 12
        num_epochs = int(n_iters / (len(train_dataset) / batch_size))
        train_loader, test_loader = loaders(L, train_dataset, test_dataset, batch_size)

        class RNNModel(nn.Module):
            def __init__(self, input_dim, hidden_dim, layer_dim, output_dim):
                super(RNNModel, self).__init__()
                # Hidden dimensions
                self.hidden_dim = hidden_dim
                # Number of hidden layers
                self.layer_dim = layer_dim
                # batch_first=True causes input/output tensors to be of shape
                # (batch_dim, seq_dim, input_dim)
                self.rnn = nn.RNN(input_dim, hidden_dim, layer_dim, batch_first=True,
                                  nonlinearity=nonlinearity)
                # Readout layer
                self.fc = nn.Linear(hidden_dim, output_dim)

            def forward(self, x):
                # Initialize hidden state with zeros
                h0 = torch.zeros(self.layer_dim, x.size(0), self.hidden_dim).requires_grad_()
                # We need to detach the hidden state to prevent exploding/vanishing gradients
                out, hn = self.rnn(x, h0.detach())
                # Index hidden state of last time step
                # out.size() --> 100, 28, 10
                # out[:, -1, :] --> 100, 10 --> just want last time step hidden states!
                out = self.fc(out[:, -1, :])
                return out

        input_dim = 28
        hidden_dim = 12
        output_dim = 10
        model = RNNModel(input_dim, hidden_dim, layer_dim, output_dim)
        o.print(model)
        seq_dim = 28
        x = train_dataset[0][0].view(-1, seq_dim, input_dim)
        out, hn = model.rnn(x)
        o.print(out.size(), hn.size(), out.grad_fn is not None)
        o.tryit(lambda: model.rnn(train_dataset[0][0].view(seq_dim, input_dim))[1].size())
        o.tryit(lambda: model.rnn(x, L.zeros(layer_dim + 1, 1, hidden_dim)))
        _train(L, o, model, train_loader, test_loader, num_epochs,
               lambda im: im.view(-1, seq_dim, input_dim))
    return o.done()


def rnn_1_layer_tanh(L):
    return _rnn(L, 1, 'tanh', 0)


def rnn_2_layer_tanh(L):
    return _rnn(L, 2, 'tanh', 1)


def rnn_2_layer_relu(L):
    return _rnn(L, 2, 'relu', 2)


def _lstm(L, layer_dim, seed):
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(seed)
        train_dataset, test_dataset = mnist_like(L, seed=seed)
        batch_size = 10
        n_iters = 12
        num_epochs = int(n_iters / (len(train_dataset) / batch_size))
        train_loader, test_loader = loaders(L, train_dataset, test_dataset, batch_size)

        class LSTMModel(nn.Module):
            def __init__(self, input_dim, hidden_dim, layer_dim, output_dim):
                super(LSTMModel, self).__init__()
                self.hidden_dim = hidden_dim
                self.layer_dim = layer_dim
                self.lstm = nn.LSTM(input_dim, hidden_dim, layer_dim, batch_first=True)
                self.fc = nn.Linear(hidden_dim, output_dim)

            def forward(self, x):
                # Initialize hidden state with zeros
                h0 = torch.zeros(self.layer_dim, x.size(0), self.hidden_dim).requires_grad_()
                # Initialize cell state
                c0 = torch.zeros(self.layer_dim, x.size(0), self.hidden_dim).requires_grad_()
                # We need to detach as we are doing truncated backpropagation through time
                out, (hn, cn) = self.lstm(x, (h0.detach(), c0.detach()))
                out = self.fc(out[:, -1, :])
                return out

        input_dim = 28
        hidden_dim = 12
        output_dim = 10
        model = LSTMModel(input_dim, hidden_dim, layer_dim, output_dim)
        o.print(model)
        seq_dim = 28
        x = train_dataset[0][0].view(-1, seq_dim, input_dim)
        o.tryit(lambda: model.lstm(x, L.zeros(layer_dim, 1, hidden_dim)))
        o.tryit(lambda: model.lstm(x, (L.zeros(layer_dim, 2, hidden_dim),
                                       L.zeros(layer_dim, 2, hidden_dim))))
        _train(L, o, model, train_loader, test_loader, num_epochs,
               lambda im: im.view(-1, seq_dim, input_dim))
    return o.done()


def lstm_1_layer(L):
    return _lstm(L, 1, 0)


def lstm_2_layer(L):
    return _lstm(L, 2, 1)


def lstm_3_layer(L):
    return _lstm(L, 3, 2)
