"""rasbt/machine-learning-book ch13/ch13_part1.py (computation graphs, requires_grad,
nn.init, autograd of a small expression, nn.Sequential, the XOR problem, nn.ModuleList, the
NoisyLinear custom layer) and ch14/ch14_part2.py (the smile-classifier CNN on random 64x64
"images" instead of CelebA), as users type them, for tests/test_programs_s19_mlbook.py."""

from importlib import import_module

import numpy as np
from s16_yunjey_progs import Out


def ch13_graphs(L):
    nn = L.nn
    with Out() as o:
        def compute_z(a, b, c):
            r1 = L.sub(a, b)
            r2 = L.mul(r1, 2)
            z = L.add(r2, c)
            return z

        o.print('Scalar Inputs:', compute_z(L.tensor(1), L.tensor(2), L.tensor(3)))
        o.print('Rank 1 Inputs:', compute_z(L.tensor([1]), L.tensor([2]), L.tensor([3])))
        o.print('Rank 2 Inputs:', compute_z(L.tensor([[1]]), L.tensor([[2]]), L.tensor([[3]])))
        a = L.tensor(3.14, requires_grad=True)
        b = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        o.print(a)
        o.print(b)
        o.print(a.requires_grad)
        w = L.tensor([1.0, 2.0, 3.0])
        o.print(w.requires_grad)
        w.requires_grad_()
        o.print(w.requires_grad)
        L.manual_seed(1)
        w = L.empty(2, 3)
        nn.init.xavier_normal_(w)
        o.print(w)
        o.vals.append(w)

        class MyModule(nn.Module):
            def __init__(self):
                super().__init__()
                self.w1 = L.empty(2, 3, requires_grad=True)
                nn.init.xavier_normal_(self.w1)
                self.w2 = L.empty(1, 2, requires_grad=True)
                nn.init.xavier_normal_(self.w2)

        m = MyModule()
        o.print(m, list(m.parameters()), m.w1.requires_grad, m.w1.is_leaf)
        o.vals += [m.w1, m.w2]
        w = L.tensor(1.0, requires_grad=True)
        b = L.tensor(0.5, requires_grad=True)
        x = L.tensor([1.4])
        y = L.tensor([2.1])
        z = L.add(L.mul(w, x), b)
        loss = (y - z).pow(2).sum()
        loss.backward()
        o.print('dL/dw : ', w.grad)
        o.print('dL/db : ', b.grad)
        o.print(2 * x * ((w * x + b) - y))
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 32), nn.ReLU())
        o.print(model)
        nn.init.xavier_uniform_(model[0].weight)
        l1_weight = 0.01
        l1_penalty = l1_weight * model[2].weight.abs().sum()
        o.print(l1_penalty.shape, l1_penalty.grad_fn.name())
        loss_fn = nn.BCELoss()
        optimizer = L.optim.SGD(model.parameters(), lr=0.001)
        o.print(loss_fn, optimizer)
        o.vals += [model[0].weight, l1_penalty]
    return o.done()


def _xor_data(L):
    np.random.seed(1)
    L.manual_seed(1)
    x = np.random.uniform(low=-1, high=1, size=(200, 2))
    y = np.ones(len(x))
    y[x[:, 0] * x[:, 1] < 0] = 0
    n_train = 100
    x_train = L.tensor(x[:n_train, :], dtype=L.float32)
    y_train = L.tensor(y[:n_train], dtype=L.float32)
    x_valid = L.tensor(x[n_train:, :], dtype=L.float32)
    y_valid = L.tensor(y[n_train:], dtype=L.float32)
    return n_train, x_train, y_train, x_valid, y_valid


def ch13_xor(L):
    nn = L.nn
    data = import_module(L.__name__ + ".utils.data")
    with Out() as o:
        n_train, x_train, y_train, x_valid, y_valid = _xor_data(L)
        train_ds = data.TensorDataset(x_train, y_train)
        batch_size = 2
        L.manual_seed(1)
        train_dl = data.DataLoader(train_ds, batch_size, shuffle=True)
        model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
        o.print(model)
        loss_fn = nn.BCELoss()
        optimizer = L.optim.SGD(model.parameters(), lr=0.001)
        L.manual_seed(1)
        num_epochs = 4

        def train(model, num_epochs, train_dl, x_valid, y_valid):
            loss_hist_train = [0] * num_epochs
            accuracy_hist_train = [0] * num_epochs
            loss_hist_valid = [0] * num_epochs
            accuracy_hist_valid = [0] * num_epochs
            for epoch in range(num_epochs):
                for x_batch, y_batch in train_dl:
                    pred = model(x_batch)[:, 0]
                    loss = loss_fn(pred, y_batch)
                    loss.backward()
                    optimizer.step()
                    optimizer.zero_grad()
                    loss_hist_train[epoch] += loss.item()
                    is_correct = ((pred >= 0.5).float() == y_batch).float()
                    accuracy_hist_train[epoch] += is_correct.mean()
                loss_hist_train[epoch] /= n_train / batch_size
                accuracy_hist_train[epoch] /= n_train / batch_size
                pred = model(x_valid)[:, 0]
                loss = loss_fn(pred, y_valid)
                loss_hist_valid[epoch] = loss.item()
                is_correct = ((pred >= 0.5).float() == y_valid).float()
                accuracy_hist_valid[epoch] += is_correct.mean()
            return loss_hist_train, loss_hist_valid, accuracy_hist_train, accuracy_hist_valid

        def show(history):
            o.print([round(v, 4) for v in history[0]], [round(v, 4) for v in history[1]])
            o.print(history[2], history[3])

        show(train(model, num_epochs, train_dl, x_valid, y_valid))
        model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(),
                              nn.Linear(4, 1), nn.Sigmoid())
        loss_fn = nn.BCELoss()
        optimizer = L.optim.SGD(model.parameters(), lr=0.015)
        o.print(model)
        show(train(model, num_epochs, train_dl, x_valid, y_valid))

        class MyModule(nn.Module):
            def __init__(self):
                super().__init__()
                l1 = nn.Linear(2, 4)
                a1 = nn.ReLU()
                l2 = nn.Linear(4, 4)
                a2 = nn.ReLU()
                l3 = nn.Linear(4, 1)
                a3 = nn.Sigmoid()
                l = [l1, a1, l2, a2, l3, a3]
                self.module_list = nn.ModuleList(l)

            def forward(self, x):
                for f in self.module_list:
                    x = f(x)
                return x

            def predict(self, x):
                x = L.tensor(x, dtype=L.float32)
                pred = self.forward(x)[:, 0]
                return (pred >= 0.5).float()

        model = MyModule()
        o.print(model)
        loss_fn = nn.BCELoss()
        optimizer = L.optim.SGD(model.parameters(), lr=0.015)
        show(train(model, num_epochs, train_dl, x_valid, y_valid))
        # mlxtend's plot_decision_regions calls clf.predict on a NumPy grid
        xx, yy = np.meshgrid(np.arange(-1, 1, 0.25), np.arange(-1, 1, 0.25))
        Z = model.predict(np.array([xx.ravel(), yy.ravel()]).T)
        o.print(Z.dtype, Z.shape, y_valid.numpy().astype(np.int64)[:10])
        o.vals += [Z, model(x_valid)]
    return o.done()


def ch13_noisy(L):
    nn = L.nn
    data = import_module(L.__name__ + ".utils.data")
    with Out() as o:
        class NoisyLinear(nn.Module):
            def __init__(self, input_size, output_size, noise_stddev=0.1):
                super().__init__()
                w = L.Tensor(input_size, output_size)
                self.w = nn.Parameter(w)
                nn.init.xavier_uniform_(self.w)
                b = L.Tensor(output_size).fill_(0)
                self.b = nn.Parameter(b)
                self.noise_stddev = noise_stddev

            def forward(self, x, training=False):
                if training:
                    noise = L.normal(0.0, self.noise_stddev, x.shape)
                    x_new = L.add(x, noise)
                else:
                    x_new = x
                return L.add(L.mm(x_new, self.w), self.b)

        L.manual_seed(1)
        noisy_layer = NoisyLinear(4, 2)
        x = L.zeros((1, 4))
        o.print(noisy_layer(x, training=True))
        o.print(noisy_layer(x, training=True))
        o.print(noisy_layer(x, training=False))

        class MyNoisyModule(nn.Module):
            def __init__(self):
                super().__init__()
                self.l1 = NoisyLinear(2, 4, 0.07)
                self.a1 = nn.ReLU()
                self.l2 = nn.Linear(4, 4)
                self.a2 = nn.ReLU()
                self.l3 = nn.Linear(4, 1)
                self.a3 = nn.Sigmoid()

            def forward(self, x, training=False):
                x = self.l1(x, training)
                x = self.a1(x)
                x = self.l2(x)
                x = self.a2(x)
                x = self.l3(x)
                x = self.a3(x)
                return x

            def predict(self, x):
                x = L.tensor(x, dtype=L.float32)
                pred = self.forward(x)[:, 0]
                return (pred >= 0.5).float()

        L.manual_seed(1)
        model = MyNoisyModule()
        o.print(model)
        o.print([(n, p.shape) for n, p in model.named_parameters()])
        n_train, x_train, y_train, x_valid, y_valid = _xor_data(L)
        batch_size = 2
        L.manual_seed(1)
        train_dl = data.DataLoader(data.TensorDataset(x_train, y_train), batch_size, shuffle=True)
        loss_fn = nn.BCELoss()
        optimizer = L.optim.SGD(model.parameters(), lr=0.015)
        L.manual_seed(1)
        num_epochs = 3
        loss_hist_train = [0] * num_epochs
        accuracy_hist_train = [0] * num_epochs
        loss_hist_valid = [0] * num_epochs
        accuracy_hist_valid = [0] * num_epochs
        for epoch in range(num_epochs):
            for x_batch, y_batch in train_dl:
                pred = model(x_batch, True)[:, 0]
                loss = loss_fn(pred, y_batch)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                loss_hist_train[epoch] += loss.item()
                is_correct = ((pred >= 0.5).float() == y_batch).float()
                accuracy_hist_train[epoch] += is_correct.mean()
            loss_hist_train[epoch] /= n_train / batch_size
            accuracy_hist_train[epoch] /= n_train / batch_size
            pred = model(x_valid)[:, 0]
            loss = loss_fn(pred, y_valid)
            loss_hist_valid[epoch] = loss.item()
            is_correct = ((pred >= 0.5).float() == y_valid).float()
            accuracy_hist_valid[epoch] += is_correct.mean()
        o.print([round(v, 4) for v in loss_hist_train], [round(v, 4) for v in loss_hist_valid])
        o.print(accuracy_hist_train, accuracy_hist_valid)
        o.vals += [noisy_layer.w, model.l1.w, model(x_valid)]
    return o.done()


def ch14_smile_cnn(L):
    nn = L.nn
    data = import_module(L.__name__ + ".utils.data")
    with Out() as o:
        rng = np.random.default_rng(14)
        imgs = L.from_numpy(rng.integers(0, 256, (12, 3, 64, 64), dtype=np.uint8)).float() / 255
        smile = L.from_numpy(rng.integers(0, 2, 12))
        train_ds = data.Subset(data.TensorDataset(imgs, smile), L.arange(8))
        valid_ds = data.Subset(data.TensorDataset(imgs, smile), L.arange(8, 12))
        o.print('Train set:', len(train_ds))
        o.print('Validation set:', len(valid_ds))
        batch_size = 4
        L.manual_seed(1)
        train_dl = data.DataLoader(train_ds, batch_size, shuffle=True)
        valid_dl = data.DataLoader(valid_ds, batch_size, shuffle=False)
        model = nn.Sequential()
        model.add_module('conv1', nn.Conv2d(in_channels=3, out_channels=8, kernel_size=3, padding=1))
        model.add_module('relu1', nn.ReLU())
        model.add_module('pool1', nn.MaxPool2d(kernel_size=2))
        model.add_module('dropout1', nn.Dropout(p=0.5))
        model.add_module('conv2', nn.Conv2d(in_channels=8, out_channels=8, kernel_size=3, padding=1))
        model.add_module('relu2', nn.ReLU())
        model.add_module('pool2', nn.MaxPool2d(kernel_size=2))
        model.add_module('dropout2', nn.Dropout(p=0.5))
        model.add_module('conv3', nn.Conv2d(in_channels=8, out_channels=16, kernel_size=3, padding=1))
        model.add_module('relu3', nn.ReLU())
        model.add_module('pool3', nn.MaxPool2d(kernel_size=2))
        model.add_module('conv4', nn.Conv2d(in_channels=16, out_channels=16, kernel_size=3, padding=1))
        model.add_module('relu4', nn.ReLU())
        x = L.ones((4, 3, 64, 64))
        o.print(model(x).shape)
        model.add_module('pool4', nn.AvgPool2d(kernel_size=8))
        model.add_module('flatten', nn.Flatten())
        o.print(model(x).shape)
        model.add_module('fc', nn.Linear(16, 1))
        model.add_module('sigmoid', nn.Sigmoid())
        o.print(model(x).shape)
        o.print(model)
        device = L.device("cpu")
        model = model.to(device)
        loss_fn = nn.BCELoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)

        def train(model, num_epochs, train_dl, valid_dl):
            loss_hist_train = [0] * num_epochs
            accuracy_hist_train = [0] * num_epochs
            loss_hist_valid = [0] * num_epochs
            accuracy_hist_valid = [0] * num_epochs
            for epoch in range(num_epochs):
                model.train()
                for x_batch, y_batch in train_dl:
                    x_batch = x_batch.to(device)
                    y_batch = y_batch.to(device)
                    pred = model(x_batch)[:, 0]
                    loss = loss_fn(pred, y_batch.float())
                    loss.backward()
                    optimizer.step()
                    optimizer.zero_grad()
                    loss_hist_train[epoch] += loss.item() * y_batch.size(0)
                    is_correct = ((pred >= 0.5).float() == y_batch).float()
                    accuracy_hist_train[epoch] += is_correct.sum().cpu()
                loss_hist_train[epoch] /= len(train_dl.dataset)
                accuracy_hist_train[epoch] /= len(train_dl.dataset)
                model.eval()
                with L.no_grad():
                    for x_batch, y_batch in valid_dl:
                        pred = model(x_batch)[:, 0]
                        loss = loss_fn(pred, y_batch.float())
                        loss_hist_valid[epoch] += loss.item() * y_batch.size(0)
                        is_correct = ((pred >= 0.5).float() == y_batch).float()
                        accuracy_hist_valid[epoch] += is_correct.sum().cpu()
                loss_hist_valid[epoch] /= len(valid_dl.dataset)
                accuracy_hist_valid[epoch] /= len(valid_dl.dataset)
                o.print(f'Epoch {epoch+1} accuracy: {accuracy_hist_train[epoch]:.4f} '
                        f'val_accuracy: {accuracy_hist_valid[epoch]:.4f}')
            return loss_hist_train, loss_hist_valid, accuracy_hist_train, accuracy_hist_valid

        L.manual_seed(1)
        hist = train(model, 2, train_dl, valid_dl)
        o.print([round(v, 4) for v in hist[0]], [round(v, 4) for v in hist[1]])
        x_arr = np.arange(len(hist[0])) + 1
        o.print(x_arr, np.asarray(hist[2]), np.asarray(hist[3]).dtype)
        x_batch = imgs[8:]
        pred = model(x_batch)[:, 0] * 100
        for j in range(4):
            o.print(f'Pr(Smile)={pred[j]:.0f}%')
        o.print(x_batch[0].cpu().permute(1, 2, 0).shape)
        o.vals += [pred, model.conv1.weight]
    return o.done()
