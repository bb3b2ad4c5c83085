"""ritchieng/deep-learning-wizard boosting_models_pytorch pages (optimizers, learning rate
scheduling, weight initialization and activation functions, forward/back-propagation from
scratch) and the practical_pytorch autoencoder page as users type them, on random "MNIST"
TensorDatasets, a few iterations, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s17_dlwizard.py."""

import numpy as np
from s16_yunjey_progs import Out
from s17_dlwizard_progs import loaders, mnist_like


def _ffn(L, act=None, init=None):
    nn = L.nn

    class FeedforwardNeuralNetModel(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim):
            super(FeedforwardNeuralNetModel, self).__init__()
            # Linear function
            self.fc1 = nn.Linear(input_dim, hidden_dim)
            if init is not None:
                init(self.fc1.weight)
            # Non-linearity
            self.relu = nn.ReLU() if act is None else act()
            # Linear function (readout)
            self.fc2 = nn.Linear(hidden_dim, output_dim)
            if init is not None:
                init(self.fc2.weight)

        def forward(self, x):
            out = self.fc1(x)
            out = self.relu(out)
            out = self.fc2(out)
            return out

    return FeedforwardNeuralNetModel(28 * 28, 16, 10)


def _run(L, o, model, optimizer, train_loader, test_loader, num_epochs, scheduler=None,
         sched_first=False, float_correct=False, plateau=False):
    criterion = L.nn.CrossEntropyLoss()
    iter = 0
    accuracy = 0
    for epoch in range(num_epochs):
        if scheduler is not None and sched_first:
            # Decay Learning Rate
            scheduler.step()
            # Print Learning Rate
            o.print('Epoch:', epoch, 'LR:', scheduler.get_lr())
            o.print('Epoch:', epoch, 'last LR:', scheduler.get_last_lr())
        for i, (images, labels) in enumerate(train_loader):
            images = images.view(-1, 28 * 28).requires_grad_()
            optimizer.zero_grad()
            outputs = model(images)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            iter += 1
            if iter % 4 == 0:
                correct = 0
                total = 0
                for images, labels in test_loader:
                    images = images.view(-1, 28 * 28)
                    outputs = model(images)
                    _, predicted = L.max(outputs.data, 1)
                    total += labels.size(0)
                    if float_correct:
                        correct += (predicted.type(L.FloatTensor).cpu()
                                    == labels.type(L.FloatTensor)).sum()
                    elif plateau:
                        correct += (predicted == labels).sum().item()
                    else:
                        correct += (predicted == labels).sum()
                if float_correct:
                    accuracy = 100. * correct.item() / total
                else:
                    accuracy = 100 * correct / total
                if not plateau:
                    o.print('Iteration: {}. Loss: {:.4f}. Accuracy: {}'.format(
                        iter, loss.item(), accuracy))
                o.vals.append(loss.item())
        if plateau:
            o.print('Epoch {} completed'.format(epoch))
            o.print('Loss: {:.4f}. Accuracy: {}'.format(loss.item(), accuracy))
            o.print('-' * 20)
            scheduler.step(accuracy)
            o.print(optimizer.param_groups[0]['lr'], scheduler.get_last_lr())
        elif scheduler is not None and not sched_first:
            scheduler.step()
            o.print('Epoch:', epoch, 'LR:', scheduler.get_last_lr())
    o.vals += list(model.parameters())


def _setup(L, seed, n_iters=12):
    L.manual_seed(seed)
    train_dataset, test_dataset = mnist_like(L, seed=seed)
    batch_size = 10
    num_epochs = int(n_iters / (len(train_dataset) / batch_size))
    train_loader, test_loader = loaders(L, train_dataset, test_dataset, batch_size)
    return train_loader, test_loader, num_epochs


def optimizers(L):
    torch = L
    with Out() as o:
        makers = [
            lambda p: torch.optim.SGD(p, lr=0.1),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
            lambda p: torch.optim.Adam(p, lr=0.001),
            lambda p: torch.optim.Adagrad(p, lr=0.01),
            lambda p: torch.optim.Adadelta(p, lr=1.0),
            lambda p: torch.optim.Adamax(p, lr=0.002),
            lambda p: torch.optim.RMSprop(p, lr=0.01),
            lambda p: torch.optim.AdamW(p, lr=0.001),
            lambda p: torch.optim.NAdam(p, lr=0.002),
            lambda p: torch.optim.RAdam(p, lr=0.001),
        ]
        for k, make in enumerate(makers):
            train_loader, test_loader, num_epochs = _setup(L, k, n_iters=8)
            model = _ffn(L)
            optimizer = make(model.parameters())
            o.print(type(optimizer).__name__, sorted(optimizer.defaults))
            _run(L, o, model, optimizer, train_loader, test_loader, num_epochs)
            if type(optimizer).__name__ == 'RMSprop':
                # g / sqrt(square_avg) of a pixel whose gradient is a cancelling sum: the
                # BLAS / MKL-sqrt last bits (README) move one weight by 1e-4 relative: its
                # losses and printout are compared, its parameters are not
                del o.vals[-4:]
        o.tryit(lambda: torch.optim.SGD(model.parameters(), lr=0.1, nesterov=True))
        o.tryit(lambda: torch.optim.SGD(model.parameters(), lr=-0.1))
        o.tryit(lambda: torch.optim.Adam(model.parameters(), lr=0.1, betas=(1.0, 0.999)))
        o.print(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True))
    return o.done()


def lr_step_decay(L):
    torch = L
    from_mod = L.optim.lr_scheduler
    with Out() as o:
        for k, (step_size, gamma) in enumerate([(1, 0.1), (2, 0.1), (1, 0.96)]):
            train_loader, test_loader, num_epochs = _setup(L, k, n_iters=16)
            model = _ffn(L)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
            scheduler = from_mod.StepLR(optimizer, step_size=step_size, gamma=gamma)
            _run(L, o, model, optimizer, train_loader, test_loader, num_epochs,
                 scheduler=scheduler, sched_first=True)
            o.print(scheduler.state_dict())
        # the order PyTorch recommends today: optimizer.step() then scheduler.step()
        train_loader, test_loader, num_epochs = _setup(L, 5, n_iters=16)
        model = _ffn(L)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        scheduler = from_mod.StepLR(optimizer, step_size=1, gamma=0.96)
        _run(L, o, model, optimizer, train_loader, test_loader, num_epochs,
             scheduler=scheduler)
        o.tryit(lambda: from_mod.StepLR(optimizer, step_size=1, gamma=0.1, verbose=True))
        o.tryit(lambda: from_mod.StepLR(optimizer))
        o.tryit(lambda: from_mod.StepLR(model, step_size=1))
    return o.done()


def lr_plateau(L):
    torch = L
    ReduceLROnPlateau = L.optim.lr_scheduler.ReduceLROnPlateau
    with Out() as o:
        for k, (factor, patience) in enumerate([(0.1, 1), (0.1, 0), (0.5, 0)]):
            train_loader, test_loader, num_epochs = _setup(L, k, n_iters=24)
            model = _ffn(L)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
            o.tryit(lambda: ReduceLROnPlateau(optimizer, mode='max', factor=factor,
                                              patience=patience, verbose=True))
            scheduler = ReduceLROnPlateau(optimizer, mode='max', factor=factor,
                                          patience=patience)
            _run(L, o, model, optimizer, train_loader, test_loader, num_epochs,
                 scheduler=scheduler, plateau=True)
            o.print(sorted(scheduler.state_dict()))
        o.tryit(lambda: ReduceLROnPlateau(optimizer, mode='maximum'))
        o.tryit(lambda: ReduceLROnPlateau(optimizer, factor=1.0))
        o.tryit(lambda: ReduceLROnPlateau(optimizer, threshold_mode='x'))
    return o.done()


def weight_init(L):
    torch, nn = L, L.nn
    StepLR = L.optim.lr_scheduler.StepLR
    inits = [
        (nn.Tanh, lambda w: nn.init.normal_(w, mean=0, std=1)),
        (nn.Tanh, None),
        (nn.Tanh, nn.init.xavier_normal_),
        (nn.ReLU, nn.init.xavier_normal_),
        (nn.ReLU, nn.init.kaiming_normal_),
        (nn.LeakyReLU, nn.init.kaiming_normal_),
        (nn.ReLU, lambda w: nn.init.kaiming_uniform_(w, mode='fan_in', nonlinearity='relu')),
        (nn.LeakyReLU, lambda w: nn.init.kaiming_normal_(w, a=0.01, nonlinearity='leaky_relu')),
        (nn.Tanh, nn.init.xavier_uniform_),
    ]
    with Out() as o:
        for k, (act, init) in enumerate(inits):
            # std=1 weights saturate tanh, whose float32 last bit (README) momentum carries
            # on: one epoch for that case, two for the others
            train_loader, test_loader, num_epochs = _setup(L, k, n_iters=4 if k == 0 else 8)
            model = _ffn(L, act, init)
            o.print(model.relu)
            o.print('{:.4f} {:.4f}'.format(model.fc1.weight.std().item(),
                                           model.fc2.weight.mean().item()))
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
            scheduler = StepLR(optimizer, step_size=1, gamma=0.96)
            _run(L, o, model, optimizer, train_loader, test_loader, num_epochs,
                 scheduler=scheduler, sched_first=True, float_correct=True)
        o.tryit(lambda: nn.init.kaiming_normal_(torch.empty(3), nonlinearity='relu'))
        o.tryit(lambda: nn.init.xavier_normal_(torch.empty(3)))
        o.tryit(lambda: nn.init.kaiming_normal_(torch.empty(2, 3), nonlinearity='gelu'))
        o.tryit(lambda: nn.init.kaiming_normal_(torch.empty(2, 3), mode='fan_avg'))
        o.print(nn.init.calculate_gain('leaky_relu', 0.2), nn.init.calculate_gain('tanh'))
    return o.done()


def fromscratch_fnn(L):
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(2)
        rng = np.random.default_rng(0)
        data = rng.uniform(4.0, 8.0, (30, 2))
        data = data / np.linalg.norm(data, axis=1, keepdims=True)
        target = np.repeat([0, 1, 2], 10)
        X = torch.tensor(data, dtype=torch.float)
        y = torch.tensor(target.reshape(-1, 1), dtype=torch.float)
        o.print(X.size())
        o.print(y.size())
        X = X[:y[y < 2].size()[0]]
        y = y[:y[y < 2].size()[0]]
        o.print(X.size())
        o.print(y.size())

        class FNN(nn.Module):
            def __init__(self, ):
                super().__init__()
                self.input_dim = 2
                self.hidden_dim = 32
                self.output_dim = 1
                self.learning_rate = 0.001
                self.w1 = torch.randn(self.input_dim, self.hidden_dim)
                self.w2 = torch.randn(self.hidden_dim, self.output_dim)

            def sigmoid(self, s):
                return 1 / (1 + torch.exp(-s))

            def sigmoid_first_order_derivative(self, s):
                return s * (1 - s)

            def forward(self, X):
                self.y1 = torch.matmul(X, self.w1)
                self.y2 = self.sigmoid(self.y1)
                self.y3 = torch.matmul(self.y2, self.w2)
                y4 = self.sigmoid(self.y3)
                return y4

            def backward(self, X, l, y4):
                self.dC_dy4 = y4 - l
                self.dy4_dy3 = self.sigmoid_first_order_derivative(y4)
                self.dy3_dw2 = self.y2
                self.y4_delta = self.dC_dy4 * self.dy4_dy3
                self.dC_dw2 = torch.matmul(torch.t(self.dy3_dw2), self.y4_delta)
                self.dy3_dy2 = self.w2
                self.dy2_dy1 = self.sigmoid_first_order_derivative(self.y2)
                self.y2_delta = torch.matmul(self.y4_delta, torch.t(self.dy3_dy2)) * self.dy2_dy1
                self.dC_dw1 = torch.matmul(torch.t(X), self.y2_delta)
                self.w1 -= self.learning_rate * self.dC_dw1
                self.w2 -= self.learning_rate * self.dC_dw2

            def train(self, X, l):
                y4 = self.forward(X)
                self.backward(X, l, y4)

        model = FNN()
        o.print(model)
        o.print(list(model.parameters()), model.training)
        loss_lst = []
        num_epochs = 21
        for epoch in range(num_epochs):
            y_hat = model(X)
            cross_entropy_loss = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))
            mean_cross_entropy_loss = torch.mean(cross_entropy_loss).detach().item()
            if epoch % 5 == 0:
                o.print('Epoch {} | Loss: {:.5f}'.format(epoch, mean_cross_entropy_loss))
            loss_lst.append(mean_cross_entropy_loss)
            model.train(X, y)
        o.tryit(lambda: model.eval())
        o.vals += [loss_lst, model.w1, model.w2]
    return o.done()


def autoencoder(L):
    torch, nn = L, L.nn
    with Out() as o:
        train_loader, test_loader, num_epochs = _setup(L, 7, n_iters=8)

        class FullyConnectedAutoencoder(nn.Module):
            def __init__(self, input_dim, hidden_dim):
                super().__init__()
                # Encoder: affine function
                self.fc1 = nn.Linear(input_dim, hidden_dim)
                # Decoder: affine function
                self.fc2 = nn.Linear(hidden_dim, input_dim)

            def forward(self, x):
                # Encoder: affine function
                out = self.fc1(x)
                # Encoder: non-linear function
                out = nn.functional.leaky_relu(out)
                # Decoder: affine function
                out = self.fc2(out)
                # Decoder: non-linear function
                out = torch.sigmoid(out)
                return out

        input_dim = 28 * 28
        hidden_dim = int(input_dim * 0.02)
        model = FullyConnectedAutoencoder(input_dim, hidden_dim)
        o.print(model)
        criterion = nn.MSELoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        dropout = nn.Dropout(0.5)
        idx = 0
        for epoch in range(num_epochs):
            for i, (images, labels) in enumerate(train_loader):
                images = images.view(-1, 28 * 28).requires_grad_()
                # Noisy images (denoising autoencoder page): dropout on the input
                noisy_images = dropout(torch.ones(images.shape)) * images
                optimizer.zero_grad()
                outputs = model(noisy_images)
                loss = criterion(outputs, images)
                loss.backward()
                optimizer.step()
                idx += 1
                if idx % 2 == 0:
                    o.print('Iteration: {}. Loss: {:.5f}'.format(idx, loss.item()))
                    o.vals.append(loss.item())
        test_images = next(iter(test_loader))[0].view(-1, 28 * 28)
        with torch.no_grad():
            recon = model(test_images)
        o.print(recon.shape, recon.requires_grad)
        o.vals += [recon] + list(model.parameters())
    return o.done()
