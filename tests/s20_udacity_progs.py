"""udacity/deep-learning-v2-pytorch, intro-to-pytorch (Parts 1-5 solutions) as users type
them, scaled down: random "images" (uint8 pixels / 255 as ToTensor() gives,
normalised as transforms.Normalize((0.5,), (0.5,)) does) in a TensorDataset/DataLoader instead
of torchvision's MNIST / Fashion-MNIST, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_udacity.py."""

import re
from collections import OrderedDict

import numpy as np
from s16_yunjey_progs import Out


def _loader(L, n, shape, batch_size, seed, shuffle=True, classes=10):
    """A DataLoader of n random normalised images of ``shape`` with int64 labels."""
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.integers(0, 256, (n, *shape), dtype=np.uint8)).float() / 255
    x = (x - 0.5) / 0.5
    y = L.from_numpy(rng.integers(0, classes, n))
    ds = L.utils.data.TensorDataset(x, y)
    return L.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle)


def _addr(s):
    return re.sub(r" at 0x[0-9a-f]+", " at 0x?", str(s))


def part1_tensors(L):
    """Part 1 - Tensors in PyTorch: sigmoid by hand, sum / mm / view, the mm shape error,
    a two-layer network of weight matrices, NumPy bridge (from_numpy shares memory)."""
    torch = L
    with Out() as o:
        def activation(x):
            return 1/(1+torch.exp(-x))

        torch.manual_seed(7)
        features = torch.randn((1, 5))
        weights = torch.randn_like(features)
        bias = torch.randn((1, 1))
        y = activation(torch.sum(features * weights) + bias)
        o.print(y)
        y = activation((features * weights).sum() + bias)
        o.print(y)
        o.tryit(lambda: torch.mm(features, weights))
        o.print(weights.shape)
        y = activation(torch.mm(features, weights.view(5, 1)) + bias)
        o.print(y)
        o.print(weights.reshape(5, 1).shape, weights.resize_(5, 1).shape)

        torch.manual_seed(7)
        features = torch.randn((1, 3))
        n_input = features.shape[1]
        n_hidden = 2
        n_output = 1
        W1 = torch.randn(n_input, n_hidden)
        W2 = torch.randn(n_hidden, n_output)
        B1 = torch.randn((1, n_hidden))
        B2 = torch.randn((1, n_output))
        h = activation(torch.mm(features, W1) + B1)
        output = activation(torch.mm(h, W2) + B2)
        o.print(output)

        np.random.seed(0)
        a = np.random.rand(4, 3)
        o.print(a)
        b = torch.from_numpy(a)
        o.print(b)
        o.print(b.numpy())
        b.mul_(2)
        o.print(a)
        o.vals += [y, output, b]
    return o.done()


def part2_networks(L):
    """Part 2 - Neural Networks in PyTorch: weight-matrix MNIST net, softmax by hand, the
    Network class (nn and functional forms), fc1/fc2/fc3 with relu, bias.data.fill_,
    weight.data.normal_(std=0.01), images.resize_, nn.Sequential and OrderedDict."""
    torch = L
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(7)
        trainloader = _loader(L, 64, (1, 28, 28), 16, 0)
        dataiter = iter(trainloader)
        images, labels = next(dataiter)
        o.print(type(images).__name__)
        o.print(images.shape)
        o.print(labels.shape)

        def activation(x):
            return 1/(1+torch.exp(-x))

        inputs = images.view(images.shape[0], -1)
        w1 = torch.randn(784, 256)
        b1 = torch.randn(256)
        w2 = torch.randn(256, 10)
        b2 = torch.randn(10)
        h = activation(torch.mm(inputs, w1) + b1)
        out = torch.mm(h, w2) + b2

        def softmax(x):
            return torch.exp(x)/torch.sum(torch.exp(x), dim=1).view(-1, 1)

        probabilities = softmax(out)
        o.print(probabilities.shape)
        o.print(probabilities.sum(dim=1).shape)

        class Network(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(784, 256)
                self.output = nn.Linear(256, 10)
                self.sigmoid = nn.Sigmoid()
                self.softmax = nn.Softmax(dim=1)

            def forward(self, x):
                x = self.hidden(x)
                x = self.sigmoid(x)
                x = self.output(x)
                x = self.softmax(x)
                return x

        model = Network()
        o.print(model)

        class NetworkF(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(784, 256)
                self.output = nn.Linear(256, 10)

            def forward(self, x):
                x = F.sigmoid(self.hidden(x))
                x = F.softmax(self.output(x), dim=1)
                return x

        p2 = NetworkF()(inputs)

        class Network3(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, 128)
                self.fc2 = nn.Linear(128, 64)
                self.fc3 = nn.Linear(64, 10)

            def forward(self, x):
                x = self.fc1(x)
                x = F.relu(x)
                x = self.fc2(x)
                x = F.relu(x)
                x = self.fc3(x)
                x = F.softmax(x, dim=1)
                return x

        model = Network3()
        o.print(model)
        o.print(model.fc1.weight.shape)
        o.print(model.fc1.bias[:5])
        o.print(model.fc1.bias.data.fill_(0)[:5])
        model.fc1.weight.data.normal_(std=0.01)
        images.resize_(64 // 4, 1, 784)
        img_idx = 0
        ps = model.forward(images[img_idx, :])
        o.print(ps.shape)

        input_size = 784
        hidden_sizes = [128, 64]
        output_size = 10
        model = nn.Sequential(nn.Linear(input_size, hidden_sizes[0]),
                              nn.ReLU(),
                              nn.Linear(hidden_sizes[0], hidden_sizes[1]),
                              nn.ReLU(),
                              nn.Linear(hidden_sizes[1], output_size),
                              nn.Softmax(dim=1))
        o.print(model)
        images.resize_(images.shape[0], 1, 784)
        ps2 = model.forward(images[0, :])
        o.print(model[0])
        o.print(model[0].weight.shape)
        model = nn.Sequential(OrderedDict([
                              ('fc1', nn.Linear(input_size, hidden_sizes[0])),
                              ('relu1', nn.ReLU()),
                              ('fc2', nn.Linear(hidden_sizes[0], hidden_sizes[1])),
                              ('relu2', nn.ReLU()),
                              ('output', nn.Linear(hidden_sizes[1], output_size)),
                              ('softmax', nn.Softmax(dim=1))]))
        o.print(model)
        o.print(model[0])
        o.print(model.fc1)
        o.tryit(lambda: model.fc4)
        o.vals += [probabilities, p2, ps, ps2, model(images.view(16, 784))]
    return o.done()


def part3_training(L):
    """Part 3 - Training Neural Networks: CrossEntropyLoss on logits, LogSoftmax + NLLLoss,
    autograd on y = x**2 (grad_fn, grad before/after backward), the SGD step printout, the
    training loop with `for ... else`, and view_classify's torch.exp under no_grad."""
    torch = L
    nn, optim = L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)
        trainloader = _loader(L, 48, (1, 28, 28), 16, 1)
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                              nn.Linear(64, 10))
        criterion = nn.CrossEntropyLoss()
        images, labels = next(iter(trainloader))
        images = images.view(images.shape[0], -1)
        logits = model(images)
        loss = criterion(logits, labels)
        o.print(f"{loss.item():.4f}")

        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                              nn.Linear(64, 10), nn.LogSoftmax(dim=1))
        criterion = nn.NLLLoss()
        logps = model(images)
        loss = criterion(logps, labels)
        o.print(f"{loss.item():.4f}")

        x = torch.randn(2, 2, requires_grad=True)
        o.print(x)
        y = x**2
        o.print(y)
        o.print(_addr(y.grad_fn))
        z = y.mean()
        o.print(z)
        o.print(x.grad)
        z.backward()
        o.print(x.grad)
        o.print(x/2)

        o.print('Before backward pass: \n', model[0].weight.grad)
        loss.backward()
        o.print('After backward pass: \n', model[0].weight.grad)
        g0 = model[0].weight.grad.clone()

        optimizer = optim.SGD(model.parameters(), lr=0.01)
        o.print('Initial weights - ', model[0].weight)
        images, labels = next(iter(trainloader))
        images.resize_(16, 784)
        optimizer.zero_grad()
        output = model(images)
        loss = criterion(output, labels)
        loss.backward()
        o.print('Gradient -', model[0].weight.grad)
        optimizer.step()
        o.print('Updated weights - ', model[0].weight)

        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                              nn.Linear(64, 10), nn.LogSoftmax(dim=1))
        criterion = nn.NLLLoss()
        optimizer = optim.SGD(model.parameters(), lr=0.003)
        epochs = 3
        for e in range(epochs):
            running_loss = 0
            for images, labels in trainloader:
                images = images.view(images.shape[0], -1)
                optimizer.zero_grad()
                output = model(images)
                loss = criterion(output, labels)
                loss.backward()
                optimizer.step()
                running_loss += loss.item()
            else:
                o.print(f"Training loss: {running_loss/len(trainloader):.4f}")
        images, labels = next(iter(trainloader))
        img = images[0].view(1, 784)
        with torch.no_grad():
            logps = model(img)
        ps = torch.exp(logps)
        o.print(ps.requires_grad, ps.shape)
        o.print(ps.data.numpy().squeeze().shape)
        o.vals += [x.grad, g0, ps, model[0].weight]
    return o.done()


def part4_5_fashion(L):
    """Parts 4 and 5 - Fashion-MNIST and Inference and Validation: the Classifier with
    log_softmax, Adam, topk, `top_class == labels.view(*top_class.shape)`, torch.mean of a
    bool tensor (the error the notebook quotes), equals.type(torch.FloatTensor), the dropout
    classifier with model.eval() / model.train() and a `for ... else` validation pass."""
    torch = L
    nn, optim, F = L.nn, L.optim, L.nn.functional
    with Out() as o:
        torch.manual_seed(0)
        trainloader = _loader(L, 48, (1, 28, 28), 16, 2)
        testloader = _loader(L, 32, (1, 28, 28), 16, 3)

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, 256)
                self.fc2 = nn.Linear(256, 128)
                self.fc3 = nn.Linear(128, 64)
                self.fc4 = nn.Linear(64, 10)

            def forward(self, x):
                x = x.view(x.shape[0], -1)
                x = F.relu(self.fc1(x))
                x = F.relu(self.fc2(x))
                x = F.relu(self.fc3(x))
                x = F.log_softmax(self.fc4(x), dim=1)
                return x

        model = Classifier()
        images, labels = next(iter(testloader))
        ps = torch.exp(model(images))
        o.print(ps.shape)
        top_p, top_class = ps.topk(1, dim=1)
        o.print(top_class[:10, :])
        o.print((top_class == labels).shape)
        equals = top_class == labels.view(*top_class.shape)
        o.tryit(lambda: torch.mean(equals))
        accuracy = torch.mean(equals.type(torch.FloatTensor))
        o.print(f'Accuracy: {accuracy.item()*100}%')

        class DropClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, 256)
                self.fc2 = nn.Linear(256, 128)
                self.fc3 = nn.Linear(128, 64)
                self.fc4 = nn.Linear(64, 10)
                self.dropout = nn.Dropout(p=0.2)

            def forward(self, x):
                x = x.view(x.shape[0], -1)
                x = self.dropout(F.relu(self.fc1(x)))
                x = self.dropout(F.relu(self.fc2(x)))
                x = self.dropout(F.relu(self.fc3(x)))
                x = F.log_softmax(self.fc4(x), dim=1)
                return x

        for Model in (Classifier, DropClassifier):
            model = Model()
            criterion = nn.NLLLoss()
            optimizer = optim.Adam(model.parameters(), lr=0.003)
            epochs = 2
            train_losses, test_losses = [], []
            for e in range(epochs):
                running_loss = 0
                for images, labels in trainloader:
                    optimizer.zero_grad()
                    log_ps = model(images)
                    loss = criterion(log_ps, labels)
                    loss.backward()
                    optimizer.step()
                    running_loss += loss.item()
                else:
                    test_loss = 0
                    accuracy = 0
                    with torch.no_grad():
                        model.eval()
                        for images, labels in testloader:
                            log_ps = model(images)
                            test_loss += criterion(log_ps, labels)
                            ps = torch.exp(log_ps)
                            top_p, top_class = ps.topk(1, dim=1)
                            equals = top_class == labels.view(*top_class.shape)
                            accuracy += torch.mean(equals.type(torch.FloatTensor))
                    model.train()
                    train_losses.append(running_loss/len(trainloader))
                    test_losses.append(test_loss/len(testloader))
                    o.print("Epoch: {}/{}.. ".format(e+1, epochs),
                            "Training Loss: {:.3f}.. ".format(running_loss/len(trainloader)),
                            "Test Loss: {:.3f}.. ".format(test_loss/len(testloader)),
                            "Test Accuracy: {:.3f}".format(accuracy/len(testloader)))
            o.print(type(test_losses[0]).__name__, test_losses[0].dtype, test_losses[0].shape)
            o.vals += [test_losses[-1], accuracy]
        model.eval()
        images, labels = next(iter(testloader))
        img = images[0]
        img = img.view(1, 784)
        with torch.no_grad():
            output = model.forward(img)
        ps = torch.exp(output)
        o.vals += [ps]
    return o.done()
