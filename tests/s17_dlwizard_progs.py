"""ritchieng/deep-learning-wizard, docs/deep_learning/practical_pytorch/ (matrices, gradients,
linear and logistic regression, feedforward networks) as users type them, scaled down:
random uint8 "MNIST" images / 255 in TensorDatasets instead of torchvision's MNIST, a few
iterations, as ``prog(L) -> (printed, values)`` for tests/test_programs_s17_dlwizard.py."""

import numpy as np
from s16_yunjey_progs import Out


def mnist_like(L, n_train=40, n_test=20, seed=0, side=28):
    """train / test TensorDatasets of [1, side, side] float images in [0, 1] and int64 labels,
    as transforms.ToTensor() gives them."""
    rng = np.random.default_rng(seed)
    out = []
    for n in (n_train, n_test):
        x = L.from_numpy(rng.integers(0, 256, (n, 1, side, side), dtype=np.uint8)).float() / 255
        y = L.from_numpy(rng.integers(0, 10, n))
        out.append(L.utils.data.TensorDataset(x, y))
    return out


def loaders(L, train_dataset, test_dataset, batch_size):
    train_loader = L.utils.data.DataLoader(dataset=train_dataset, batch_size=batch_size,
                                           shuffle=True)
    test_loader = L.utils.data.DataLoader(dataset=test_dataset, batch_size=batch_size,
                                          shuffle=False)
    return train_loader, test_loader


def matrices(L):
    torch = L
    with Out() as o:
        arr = [[1, 2], [3, 4]]
        o.print(arr)
        o.print(repr(np.array(arr)))
        o.print(repr(torch.Tensor(arr)))
        o.print(repr(torch.ones((2, 2))))
        torch.manual_seed(0)
        o.print(repr(torch.rand(2, 2)))
        torch.manual_seed(0)
        o.print(repr(torch.rand(2, 2)))
        o.print(repr(torch.rand(2, 2)))
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(0)
        np_array = np.ones((2, 2))
        torch_tensor = torch.from_numpy(np_array)
        o.print(torch_tensor)
        o.print(type(torch_tensor).__name__)
        for dt in (np.int8, np.int64, np.int32, np.uint8, np.float64, np.double, np.float32,
                   np.int16, np.bool_, np.float16):
            o.tryit(lambda dt=dt: torch.from_numpy(np.ones((2, 2), dtype=dt)))
        torch_tensor = torch.ones(2, 2)
        o.print(torch_tensor.type())
        torch_to_numpy = torch_tensor.numpy()
        o.print(type(torch_to_numpy), torch_to_numpy.dtype)
        tensor_cpu = torch.ones(2, 2)
        if torch.cuda.is_available():
            tensor_cpu.cuda()
        o.print(tensor_cpu.cpu())
        a = torch.ones(2, 2)
        o.print(a)
        o.print(a.size())
        o.print(a.view(4))
        o.print(a.view(4).size())
        b = torch.ones(2, 2)
        c = a + b
        o.print(c)
        c = torch.add(a, b)
        o.print('Old c tensor')
        o.print(c)
        c.add_(a)
        o.print('-' * 60)
        o.print('New c tensor')
        o.print(c)
        o.print(a - b)
        o.print(a.sub(b))
        o.print(a)
        o.print(a.sub_(b))
        o.print(a)
        a = torch.ones(2, 2)
        b = torch.zeros(2, 2)
        o.print(a * b)
        o.print(torch.mul(a, b))
        o.print(a.mul_(b))
        o.print(a)
        a = torch.ones(2, 2)
        b = torch.zeros(2, 2)
        o.print(b / a)
        o.print(torch.div(b, a))
        o.print(b.div_(a))
        o.print(a / b)
        a = torch.Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        o.print(a.size())
        o.print(a.mean(dim=0))
        o.tryit(lambda: a.mean(dim=1))
        a = torch.Tensor([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
        o.print(a.size())
        o.print(a.mean(dim=1))
        a = torch.Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        o.print(a.std(dim=0))
        o.tryit(lambda: torch.LongTensor([1, 2, 3]).mean())
        o.tryit(lambda: torch.Tensor([1, 2, 3]).std(dim=0, unbiased=False))
        o.tryit(lambda: torch.Tensor([[1, 2], [3, 4]]).mean(dim=(0, 1)))
        o.tryit(lambda: torch.Tensor(2, 3).size())
        o.tryit(lambda: torch.Tensor(np.ones((2, 2), dtype=np.int64)))
        o.vals += [torch_tensor, a]
    return o.done()


def gradients(L):
    torch = L
    with Out() as o:
        a = torch.ones((2, 2), requires_grad=True)
        o.print(repr(a))
        o.print(a.requires_grad)
        a = torch.ones((2, 2))
        a.requires_grad_()
        o.print(a.requires_grad)
        no_gradient = torch.ones(2, 2)
        o.print(no_gradient.requires_grad)
        b = torch.ones((2, 2), requires_grad=True)
        o.print(a + b)
        o.print(torch.add(a, b))
        o.print(a * b)
        o.print(torch.mul(a, b))
        x = torch.ones(2, requires_grad=True)
        o.print(repr(x))
        y = 5 * (x + 1) ** 2
        o.print(repr(y))
        o.tryit(lambda: y.backward())
        oo = (1 / 2) * torch.sum(y)
        o.print(repr(oo))
        oo.backward()
        o.print(repr(x.grad))
        o.print(x.requires_grad)
        o.print(y.requires_grad)
        o.print(oo.requires_grad)
        o.tryit(lambda: oo.backward())
        o.print(x.grad_fn, y.grad_fn.name(), oo.grad_fn.name())
        o.print(x.is_leaf, y.is_leaf, y.grad_fn.next_functions[0][0].name())
        o.tryit(lambda: y.grad)
        o.vals += [x.grad, y, oo]
    return o.done()


def linear_regression(L):
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(0)
        x_values = [i for i in range(11)]
        o.print(x_values)
        x_train = np.array(x_values, dtype=np.float32)
        o.print(x_train.shape)
        x_train = x_train.reshape(-1, 1)
        y_values = [2 * i + 1 for i in x_values]
        y_train = np.array(y_values, dtype=np.float32).reshape(-1, 1)
        o.print(y_train.shape)

        class LinearRegressionModel(nn.Module):
            def __init__(self, input_dim, output_dim):
                super(LinearRegressionModel, self).__init__()
                self.linear = nn.Linear(input_dim, output_dim)

            def forward(self, x):
                out = self.linear(x)
                return out

        input_dim = 1
        output_dim = 1
        model = LinearRegressionModel(input_dim, output_dim)
        o.print(model)
        criterion = nn.MSELoss()
        learning_rate = 0.01
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        o.print(optimizer)
        epochs = 5
        for epoch in range(epochs):
            epoch += 1
            inputs = torch.from_numpy(x_train).requires_grad_()
            labels = torch.from_numpy(y_train)
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            o.print('epoch {}, loss {:.4f}'.format(epoch, loss.item()))
            o.vals.append(loss.item())
        predicted = model(torch.from_numpy(x_train).requires_grad_()).data.numpy()
        o.print(type(predicted).__name__, predicted.dtype, predicted.shape)
        o.vals.append(predicted)
        # Save / load only the parameters (alpha & beta)
        import io
        buf = io.BytesIO()
        torch.save(model.state_dict(), buf)
        buf.seek(0)
        o.print(model.load_state_dict(torch.load(buf)))
        o.print(list(model.state_dict().keys()))
        # GPU version: device = cuda:0 if available else cpu; model.to(device)
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        o.print(device, repr(device))
        o.print(type(model.to(device)).__name__)
        inputs = torch.from_numpy(x_train).to(device)
        labels = torch.from_numpy(y_train).to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        o.print('epoch {}, loss {:.4f}'.format(epochs + 1, loss.item()))
        o.vals += [model.linear.weight, model.linear.bias]
    return o.done()


def _accuracy_loop(L, model, test_loader, view):
    correct = 0
    total = 0
    for images, labels in test_loader:
        images = view(images)
        outputs = model(images)
        _, predicted = L.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum()
    return correct, total


def logistic_regression(L):
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(0)
        train_dataset, test_dataset = mnist_like(L)
        o.print(len(train_dataset))
        o.print(type(train_dataset[0]))
        o.print(train_dataset[0][0].size())
        o.print(train_dataset[0][0].numpy().reshape(28, 28).shape)
        o.print(train_dataset[0][1])
        batch_size = 10
        n_iters = 12
        num_epochs = n_iters / (len(train_dataset) / batch_size)
        num_epochs = int(num_epochs)
        o.print(num_epochs)
        train_loader, test_loader = loaders(L, train_dataset, test_dataset, batch_size)
        o.print(isinstance(train_loader, torch.utils.data.DataLoader), len(train_loader))

        class LogisticRegressionModel(nn.Module):
            def __init__(self, input_dim, output_dim):
                super(LogisticRegressionModel, self).__init__()
                self.linear = nn.Linear(input_dim, output_dim)

            def forward(self, x):
                out = self.linear(x)
                return out

        input_dim = 28 * 28
        output_dim = 10
        model = LogisticRegressionModel(input_dim, output_dim)
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        learning_rate = 0.001
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        o.print(len(list(model.parameters())))
        o.print(list(model.parameters())[0].size())
        o.print(list(model.parameters())[1].size())
        iter = 0
        for epoch in range(num_epochs):
            for i, (images, labels) in enumerate(train_loader):
                images = images.view(-1, 28 * 28).requires_grad_()
                labels = labels
                optimizer.zero_grad()
                outputs = model(images)
                loss = criterion(outputs, labels)
                loss.backward()
                optimizer.step()
                iter += 1
                if iter % 4 == 0:
                    correct, total = _accuracy_loop(
                        L, model, test_loader, lambda im: im.view(-1, 28 * 28).requires_grad_())
                    accuracy = 100 * correct / total
                    o.print('Iteration: {}. Loss: {:.4f}. Accuracy: {}'.format(
                        iter, loss.item(), accuracy))
                    o.print(repr(accuracy), repr(correct))
                    o.vals.append(loss.item())
        o.vals += list(model.parameters())
    return o.done()


def _ffn_prog(L, act, hidden_layers, seed, lr=0.1):
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(seed)
        train_dataset, test_dataset = mnist_like(L, seed=seed)
        batch_size = 10
        n_iters = 12
        num_epochs = int(n_iters / (len(train_dataset) / batch_size))
        train_loader, test_loader = loaders(L, train_dataset, test_dataset, batch_size)

        class FeedforwardNeuralNetModel(nn.Module):
            def __init__(self, input_dim, hidden_dim, output_dim):
                super(FeedforwardNeuralNetModel, self).__init__()
                self.fc1 = nn.Linear(input_dim, hidden_dim)
                self.act1 = act()
                if hidden_layers > 1:
                    self.fc2 = nn.Linear(hidden_dim, hidden_dim)
                    self.act2 = act()
                if hidden_layers > 2:
                    self.fc3 = nn.Linear(hidden_dim, hidden_dim)
                    self.act3 = act()
                self.fc4 = nn.Linear(hidden_dim, output_dim)

            def forward(self, x):
                out = self.fc1(x)
                out = self.act1(out)
                if hidden_layers > 1:
                    out = self.fc2(out)
                    out = self.act2(out)
                if hidden_layers > 2:
                    out = self.fc3(out)
                    out = self.act3(out)
                out = self.fc4(out)
                return out

        input_dim = 28 * 28
        hidden_dim = 16
        output_dim = 10
        model = FeedforwardNeuralNetModel(input_dim, hidden_dim, output_dim)
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        o.print(type(model.parameters()).__name__)
        o.print(len(list(model.parameters())))
        for p in model.parameters():
            o.print(p.size())
        iter = 0
        for epoch in range(num_epochs):
            for i, (images, labels) in enumerate(train_loader):
                images = images.view(-1, 28 * 28).requires_grad_()
                optimizer.zero_grad()
                outputs = model(images)
                loss = criterion(outputs, labels)
                loss.backward()
                optimizer.step()
                iter += 1
                if iter % 4 == 0:
                    correct, total = _accuracy_loop(L, model, test_loader,
                                                    lambda im: im.view(-1, 28 * 28))
                    accuracy = 100 * correct / total
                    o.print('Iteration: {}. Loss: {:.4f}. Accuracy: {}'.format(
                        iter, loss.item(), accuracy))
                    o.vals.append(loss.item())
        o.vals += list(model.parameters())
    return o.done()


def ffn_sigmoid(L):
    return _ffn_prog(L, L.nn.Sigmoid, 1, 0)


def ffn_tanh(L):
    return _ffn_prog(L, L.nn.Tanh, 1, 1)


def ffn_relu(L):
    return _ffn_prog(L, L.nn.ReLU, 1, 2)


def ffn_relu_2_hidden(L):
    return _ffn_prog(L, L.nn.ReLU, 2, 3)


def ffn_relu_3_hidden(L):
    return _ffn_prog(L, L.nn.ReLU, 3, 4)
