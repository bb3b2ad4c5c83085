"""yunjey/pytorch-tutorial (01-basics, 02-intermediate, 03-advanced) as users type them,
scaled down on synthetic data (random "images" instead of MNIST/CIFAR, a random id stream
instead of Penn Treebank, a tiny conv net instead of VGG-19), as ``prog(L) -> (printed,
values)`` for tests/test_programs_s16_yunjey.py. ``printed`` holds what print() wrote (model
reprs, the 'Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}' lines) and every warning's category
and first line; ``values`` the tensors the program ends with."""

import io
import warnings

import numpy as np


class Out:
    """print() into a list of lines, warnings recorded beside them."""

    def __init__(self):
        self.lines, self.vals = [], []
        self._w = warnings.catch_warnings(record=True)

    def __enter__(self):
        self.caught = self._w.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._w.__exit__(*exc)
        self.lines += [("warning", w.category.__name__,
                        str(w.message).splitlines()[0].split(" (Triggered internally")[0])
                       for w in self.caught]
        return False

    def print(self, *args, **kw):
        buf = io.StringIO()
        print(*args, file=buf, **kw)
        self.lines += buf.getvalue().splitlines()

    def tryit(self, f):
        """f()'s repr, or its exception's type and first line."""
        try:
            r = f()
        except Exception as e:  # noqa: BLE001 - compared across libraries
            self.lines.append((type(e).__name__, str(e).splitlines()[0]))
            return None
        self.lines.append(repr(r))
        return r

    def done(self):
        return self.lines, self.vals


def _images(L, n, c, h, w, seed):
    """MNIST-like batches: uint8 pixels / 255 as ToTensor() gives, labels 0..9 (int64)."""
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.integers(0, 256, (n, c, h, w), dtype=np.uint8)).float() / 255
    y = L.from_numpy(rng.integers(0, 10, n))
    return x, y


def basics(L):
    nn = L.nn
    with Out() as o:
        x = L.tensor(1., requires_grad=True)
        w = L.tensor(2., requires_grad=True)
        b = L.tensor(3., requires_grad=True)
        y = w * x + b
        y.backward()
        o.print(x.grad); o.print(w.grad); o.print(b.grad)
        o.print(y)
        L.manual_seed(0)
        x = L.randn(10, 3)
        y = L.randn(10, 2)
        linear = nn.Linear(3, 2)
        o.print('w: ', linear.weight)
        o.print('b: ', linear.bias)
        criterion = nn.MSELoss()
        optimizer = L.optim.SGD(linear.parameters(), lr=0.01)
        pred = linear(x)
        loss = criterion(pred, y)
        o.print('loss: {:.4f}'.format(loss.item()))  # full digits: BLAS's last bits
        o.vals.append(loss.item())
        o.print(loss.dtype, loss.shape, type(loss.grad_fn).__name__)
        loss.backward()
        o.print('dL/dw: ', linear.weight.grad)
        o.print('dL/db: ', linear.bias.grad)
        optimizer.step()
        pred = linear(x)
        loss = criterion(pred, y)
        o.print('loss after 1 step optimization: {:.4f}'.format(loss.item()))
        o.vals.append(loss.item())
        linear.weight.data.sub_(0.01 * linear.weight.grad.data)
        linear.bias.data.sub_(0.01 * linear.bias.grad.data)
        o.vals += [linear.weight, linear.bias, pred]
        xn = np.array([[1, 2], [3, 4]])
        yt = L.from_numpy(xn)
        z = yt.numpy()
        o.print(yt, z, z.dtype, yt.dtype, yt.type())
        o.print(optimizer)
        o.print(criterion, linear)
        # custom dataset / loader
        class CustomDataset(L.utils.data.Dataset):
            def __init__(self):
                self.x = L.arange(12.).view(6, 2)
            def __getitem__(self, index):
                return self.x[index], index % 3
            def __len__(self):
                return 6
        loader = L.utils.data.DataLoader(dataset=CustomDataset(), batch_size=4, shuffle=False)
        data_iter = iter(loader)
        images, labels = next(data_iter)
        o.print(images, labels, len(loader))
        o.tryit(lambda: data_iter.next())
        for images, labels in loader:
            o.print(images.size(), labels)
        image, label = CustomDataset()[0]
        o.print(image.size(), label)
        # finetuning-only-the-top-layer pattern
        net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        for param in net.parameters():
            param.requires_grad = False
        net[2] = nn.Linear(net[2].in_features, 5)
        out = net(L.randn(2, 4))
        o.print(out.size(), out.requires_grad, out.grad_fn is not None)
        o.print([p.requires_grad for p in net.parameters()])
        o.vals.append(out)
    return o.done()


def linear_regression(L):
    nn = L.nn
    with Out() as o:
        x_train = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168], [9.779], [6.182],
                            [7.59], [2.167], [7.042], [10.791], [5.313], [7.997], [3.1]],
                           dtype=np.float32)
        y_train = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573], [3.366], [2.596],
                            [2.53], [1.221], [2.827], [3.465], [1.65], [2.904], [1.3]],
                           dtype=np.float32)
        L.manual_seed(0)
        model = nn.Linear(1, 1)
        criterion = nn.MSELoss()
        optimizer = L.optim.SGD(model.parameters(), lr=0.001)
        num_epochs = 60
        for epoch in range(num_epochs):
            inputs = L.from_numpy(x_train)
            targets = L.from_numpy(y_train)
            outputs = model(inputs)
            loss = criterion(outputs, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if (epoch + 1) % 5 == 0:
                o.print('Epoch [{}/{}], Loss: {:.4f}'.format(epoch + 1, num_epochs, loss.item()))
        predicted = model(L.from_numpy(x_train)).detach().numpy()
        o.print(predicted.dtype, predicted.shape)
        o.tryit(lambda: model(L.from_numpy(x_train)).numpy())
        o.tryit(lambda: model(L.from_numpy(x_train.astype(np.float64))))
        o.tryit(lambda: model(L.from_numpy(x_train[:, 0])))
        o.tryit(lambda: criterion(model(L.from_numpy(x_train)), L.from_numpy(y_train[:, 0])))
        o.tryit(lambda: '{:.4f}'.format(loss))
        o.tryit(lambda: 'Loss: {:.4f}'.format(loss.detach()))
        o.tryit(lambda: '%.4f' % loss)
        o.tryit(lambda: float(loss))
        o.vals += [L.from_numpy(predicted), model.weight, model.bias]
    return o.done()


def logistic_regression(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        input_size, num_classes, num_epochs, batch_size = 64, 10, 2, 20
        x, y = _images(L, 60, 1, 8, 8, 0)
        ds = L.utils.data.TensorDataset(x, y)
        train_loader = L.utils.data.DataLoader(dataset=ds, batch_size=batch_size, shuffle=True)
        test_loader = L.utils.data.DataLoader(dataset=ds, batch_size=batch_size, shuffle=False)
        model = nn.Linear(input_size, num_classes)
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.SGD(model.parameters(), lr=0.01)
        total_step = len(train_loader)
        for epoch in range(num_epochs):
            for i, (images, labels) in enumerate(train_loader):
                images = images.reshape(-1, 8 * 8)
                outputs = model(images)
                loss = criterion(outputs, labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                o.print('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                        .format(epoch + 1, num_epochs, i + 1, total_step, loss.item()))
        with L.no_grad():
            correct = 0
            total = 0
            for images, labels in test_loader:
                images = images.reshape(-1, 8 * 8)
                outputs = model(images)
                _, predicted = L.max(outputs.data, 1)
                total += labels.size(0)
                correct += (predicted == labels).sum()
            o.print('Accuracy of the model on the 10000 test images: {} %'
                    .format(100 * correct / total))
            o.print(correct, type(total), 100 * correct // total, correct.item() / total)
        o.tryit(lambda: criterion(outputs, labels.float()))
        o.tryit(lambda: criterion(outputs, labels.view(-1, 1)))
        o.tryit(lambda: criterion(outputs, labels.int()))
        o.tryit(lambda: criterion(outputs, labels + 10))
        o.tryit(lambda: model(images.view(-1, 28 * 28)))
        o.tryit(lambda: model(x))
        o.vals += [model.weight, outputs]
    return o.done()


def feedforward(L):
    nn = L.nn
    with Out() as o:
        class NeuralNet(nn.Module):
            def __init__(self, input_size, hidden_size, num_classes):
                super(NeuralNet, self).__init__()
                self.fc1 = nn.Linear(input_size, hidden_size)
                self.relu = nn.ReLU()
                self.fc2 = nn.Linear(hidden_size, num_classes)

            def forward(self, x):
                out = self.fc1(x)
                out = self.relu(out)
                out = self.fc2(out)
                return out
        device = L.device('cuda' if L.cuda.is_available() else 'cpu')
        o.print(device, repr(device))
        L.manual_seed(1)
        model = NeuralNet(64, 50, 10).to(device)
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        o.print(optimizer)
        x, y = _images(L, 40, 1, 8, 8, 1)
        loader = L.utils.data.DataLoader(L.utils.data.TensorDataset(x, y), batch_size=10,
                                         shuffle=True)
        total_step = len(loader)
        for epoch in range(2):
            for i, (images, labels) in enumerate(loader):
                images = images.reshape(-1, 8 * 8).to(device)
                labels = labels.to(device)
                outputs = model(images)
                loss = criterion(outputs, labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if (i + 1) % 2 == 0:
                    o.print('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                            .format(epoch + 1, 2, i + 1, total_step, loss.item()))
        with L.no_grad():
            outputs = model(x.reshape(-1, 64))
            _, predicted = L.max(outputs.data, 1)
            correct = (predicted == y).sum().item()
            o.print('Accuracy of the network on the 10000 test images: {} %'
                    .format(100 * correct / y.size(0)))
        o.print(predicted.dtype, predicted[:5], outputs.max(1))
        sd = model.state_dict()
        o.print(list(sd.keys()), sd['fc1.weight'].shape)
        buf = io.BytesIO()
        L.save(sd, buf)
        buf.seek(0)
        m2 = NeuralNet(64, 50, 10)
        o.print(m2.load_state_dict(L.load(buf)))
        o.tryit(lambda: m2.load_state_dict({'fc1.weight': sd['fc1.weight']}))
        o.tryit(lambda: NeuralNet(64, 40, 10).load_state_dict(sd))
        o.vals += [outputs, m2(x.reshape(-1, 64))]
    return o.done()


def cnn(L):
    nn = L.nn
    with Out() as o:
        class ConvNet(nn.Module):
            def __init__(self, num_classes=10):
                super(ConvNet, self).__init__()
                self.layer1 = nn.Sequential(
                    nn.Conv2d(1, 4, kernel_size=5, stride=1, padding=2),
                    nn.BatchNorm2d(4),
                    nn.ReLU(),
                    nn.MaxPool2d(kernel_size=2, stride=2))
                self.layer2 = nn.Sequential(
                    nn.Conv2d(4, 8, kernel_size=5, stride=1, padding=2),
                    nn.BatchNorm2d(8),
                    nn.ReLU(),
                    nn.MaxPool2d(kernel_size=2, stride=2))
                self.fc = nn.Linear(2 * 2 * 8, num_classes)

            def forward(self, x):
                out = self.layer1(x)
                out = self.layer2(out)
                out = out.reshape(out.size(0), -1)
                out = self.fc(out)
                return out
        L.manual_seed(0)
        model = ConvNet(10)
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        x, y = _images(L, 12, 1, 8, 8, 2)
        loader = L.utils.data.DataLoader(L.utils.data.TensorDataset(x, y), batch_size=4,
                                         shuffle=True)
        total_step = len(loader)
        for epoch in range(2):
            for i, (images, labels) in enumerate(loader):
                outputs = model(images)
                loss = criterion(outputs, labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                o.print('Epoch [{}/{}], Step [{}/{}], Loss: {:.2f}'
                        .format(epoch + 1, 2, i + 1, total_step, loss.item()))
                o.vals.append(loss.item())
        model.eval()
        with L.no_grad():
            outputs = model(x)
            _, predicted = L.max(outputs.data, 1)
            o.print(predicted.shape, (predicted == y).sum().item() <= 12)
        o.print(model.layer1[1].running_mean.shape, model.layer1[1].num_batches_tracked)
        o.print(sorted(model.state_dict().keys())[:8])
        o.tryit(lambda: model(x[0]))
        o.tryit(lambda: model(x.view(12, 64)))
        o.tryit(lambda: model(x.double()))
        model.train()
        o.tryit(lambda: model(x[:1]).shape)
        # The conv biases before BatchNorm get a gradient of rounding noise only (BN takes
        # the mean out), which Adam scales up to +-lr: the trained model's eval outputs carry
        # that noise, so eval mode is compared on a fresh model after one train-mode pass.
        o.vals += [model.layer1[1].running_var, model.fc.weight]
        L.manual_seed(0)
        fresh = ConvNet(10)
        fresh(x)
        fresh.eval()
        o.vals += [fresh(x), fresh.layer2[1].running_mean]
    return o.done()
