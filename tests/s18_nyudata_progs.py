"""Atcold/NYU-DLSP20 notebooks (01-tensor_tutorial, 04-spiral_classification,
05-regression, 06-convnet, 08-seq_classification, 11-VAE, 15-transformer) transcribed as
users type the code cells, one program each, scaled down on small random data (no
torchvision, no plotting), as ``prog(L) -> (printed, values)`` for
tests/test_programs_s18_nyudata.py. A cell that ends in an expression shows its repr: here
``o.tryit(lambda: expr)``."""

import math

import numpy as np
from s16_yunjey_progs import Out


def tensor_tutorial(L):
    """01-tensor_tutorial.ipynb."""
    torch = L
    with Out() as o:
        torch.manual_seed(0)
        t = torch.Tensor(2, 3, 4)
        o.print(type(t).__name__)
        o.tryit(lambda: t.size())
        o.print('t size:', ' \u00D7 '.join(map(str, t.size())))
        o.print(f'point in a {t.numel()} dimensional space')
        o.print(f'organised in {t.dim()} sub-dimensions')
        o.tryit(lambda: t.random_(10))
        r = torch.Tensor(t)
        r.resize_(3, 8)
        o.tryit(lambda: r)
        o.tryit(lambda: r.zero_())
        o.tryit(lambda: t)
        s = r.clone()
        s.fill_(1)
        o.tryit(lambda: s)
        o.tryit(lambda: r)
        v = torch.Tensor([1, 2, 3, 4])
        o.tryit(lambda: v)
        o.print(f'dim: {v.dim()}, size: {v.size()[0]}')
        w = torch.Tensor([1, 0, 2, 0])
        o.tryit(lambda: v * w)
        o.tryit(lambda: v @ w)
        x = torch.Tensor(5).random_(10)
        o.tryit(lambda: x)
        o.print(f'first: {x[0]}, last: {x[-1]}')
        o.tryit(lambda: x[1:2 + 1])
        v = torch.arange(1, 4 + 1)
        o.tryit(lambda: v)
        o.print(v.pow(2), v)
        m = torch.Tensor([[2, 5, 3, 7],
                          [4, 2, 1, 9]])
        o.tryit(lambda: m)
        o.tryit(lambda: m.dim())
        o.print(m.size(0), m.size(1), m.size(), sep=' -- ')
        o.tryit(lambda: m.numel())
        o.tryit(lambda: m[0][2])
        o.tryit(lambda: m[0, 2])
        o.tryit(lambda: m[:, 1])
        o.tryit(lambda: m[:, [1]])
        o.tryit(lambda: m[[0], :])
        o.tryit(lambda: m[0, :])
        v = torch.arange(1., 4 + 1)
        o.tryit(lambda: v)
        o.tryit(lambda: m @ v)
        o.tryit(lambda: m[[0], :] @ v)
        o.tryit(lambda: m[[1], :] @ v)
        o.tryit(lambda: m + torch.rand(2, 4))
        o.tryit(lambda: m - torch.rand(2, 4))
        o.tryit(lambda: m * torch.rand(2, 4))
        o.tryit(lambda: m / torch.rand(2, 4))
        o.tryit(lambda: m.size())
        o.tryit(lambda: m.t())
        o.tryit(lambda: m.transpose(0, 1))
        o.tryit(lambda: torch.arange(3., 8 + 1))
        o.tryit(lambda: torch.arange(5.7, -2.1, -3))
        o.tryit(lambda: torch.linspace(3, 8, 20).view(1, -1))
        o.tryit(lambda: torch.zeros(3, 5))
        o.tryit(lambda: torch.ones(3, 2, 5))
        o.tryit(lambda: torch.eye(3))
        h = np.histogram(torch.randn(1000).numpy(), 100)[0]
        o.print(h.sum(), h.argmax())
        device = "cuda" if torch.cuda.is_available() else "cpu"
        o.print("Device: ", device)
        device = ("cuda" if torch.cuda.is_available() else "mps"
                  if torch.backends.mps.is_available() else "cpu")
        o.print("Device: ", device)
        z = torch.ones(2, 3, 5)
        z_1 = z.to(device)
        o.print(f"Tensor on {device}:\n", z_1)
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        z_2 = z.to(device)
        o.print(f"Tensor on {device}:\n", z_2)
        gpus = []
        if torch.cuda.is_available():
            gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        o.print(gpus)
        m_double = m.double()
        o.tryit(lambda: m_double)
        m_byte = m.byte()
        o.tryit(lambda: m_byte)
        o.tryit(lambda: m.to(device))
        m_np = m.numpy()
        o.tryit(lambda: m_np)
        m_np[0, 0] = -1
        o.tryit(lambda: m_np)
        o.tryit(lambda: m)
        n_np = np.arange(5)
        n = torch.from_numpy(n_np)
        o.print(n_np, n)
        n.mul_(2)
        o.tryit(lambda: n_np)
        a = torch.Tensor([[1, 2, 3, 4]])
        b = torch.Tensor([[5, 6, 7, 8]])
        o.print(a.size(), b)
        o.tryit(lambda: torch.cat((a, b), 0))
        o.tryit(lambda: torch.cat((a, b), 1))
        o.vals += [t, r, s, x, m, n, m_double, m_byte]
    return o.done()


def _acc(torch, l, y):
    """res/plot_lib.py's acc()."""
    score, predicted = torch.max(l, 1)
    return (y == predicted).sum().float() / len(y)


def spiral_classification(L):
    """04-spiral_classification.ipynb (NYU-DLSP21): 5 spirals, linear model, Adam with
    weight decay, then the energy levels over a grid (meshgrid without indexing)."""
    torch, nn = L, L.nn
    π = math.pi
    with Out() as o:
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        seed = 12345
        torch.manual_seed(seed)
        N = 100
        n = 2
        K = 5
        d = 100
        t = torch.linspace(0, 1, N)
        a = 0.8 * t + 0.2
        X = list()
        y = list()
        for k in range(K):
            θ = (2 * t + k) * 2 * π / K + 0.2 * torch.randn(N)
            X.append(torch.stack((a * θ.sin(), a * θ.cos()), dim=1))
            y.append(torch.zeros(N, dtype=torch.long).fill_(k))
        X = torch.cat(X)
        y = torch.cat(y)
        o.print("Shapes:")
        o.print("X:", tuple(X.size()))
        o.print("y:", tuple(y.size()))
        learning_rate = 1e-3
        lambda_l2 = 1e-5
        model = nn.Sequential(
            nn.Linear(n, d),
            nn.Linear(d, K)
        )
        model.to(device)
        C = torch.nn.CrossEntropyLoss(reduction='none')
        optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=lambda_l2)
        for t in range(30):
            s = model(X)
            F = C(s, y)
            Lo = F.mean()
            optimiser.zero_grad()
            Lo.backward()
            optimiser.step()
            o.print(f'[EPOCH]: {t}, [LOSS]: {Lo.item():.4f}, [ACCURACY]: {_acc(L, s, y):.3f}')
        o.print(model)
        mesh = torch.arange(-1.5, 1.5, 0.1)
        xx, yy = torch.meshgrid(mesh, mesh)
        grid = torch.stack((xx.reshape(-1), yy.reshape(-1)), dim=1)
        with torch.no_grad():
            s = model(grid)
        energies = []
        for fe in ('cross-entropy', 'negative linear output'):
            for k in range(K):
                if fe == 'cross-entropy':
                    F = C(s, torch.LongTensor(1).fill_(k).expand(s.size(0)))
                    F = F.reshape(xx.shape)
                elif fe == 'negative linear output':
                    F = -s[:, k]
                    F = F.reshape(xx.shape)
                energies.append(F)
        o.vals += [X, y, s, xx, yy, grid] + energies + list(model.parameters())
    return o.done()


def regression(L):
    """05-regression.ipynb: a linear model with SGD and weight decay, then an ensemble of
    two-layer ReLU nets with Adam, their predictions before and after training."""
    import random
    torch, nn = L, L.nn
    with Out() as o:
        seed = 12345
        random.seed(seed)
        torch.manual_seed(seed)
        D, C, H = 1, 1, 100
        X = torch.unsqueeze(torch.linspace(-1, 1, 100), dim=1)
        y = X.pow(3) + 0.3 * torch.rand(X.size())
        o.print("Shapes:")
        o.print("X:", tuple(X.size()))
        o.print("y:", tuple(y.size()))
        learning_rate = 1e-3
        lambda_l2 = 1e-5
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        model = nn.Sequential(
            nn.Linear(D, H),
            nn.Linear(H, C)
        )
        model.to(device)
        criterion = torch.nn.MSELoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, weight_decay=lambda_l2)
        for t in range(20):
            y_pred = model(X)
            loss = criterion(y_pred, y)
            o.print("[EPOCH]: %i, [LOSS or MSE]: %.4f" % (t, loss.item()))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        o.print(model)
        o.vals += [X.data, y.data, y_pred.data]
        n_networks = 3
        models = list()
        y_pretrain = list()
        criterion = torch.nn.MSELoss()
        for mod in range(n_networks):
            model = nn.Sequential(
                nn.Linear(D, H),
                nn.ReLU(),
                nn.Linear(H, C)
            )
            model.to(device)
            models.append(model)
            optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=lambda_l2)
            for t in range(15):
                y_pred = model(X)
                if t == 0:
                    y_pretrain.append(y_pred)
                loss = criterion(y_pred, y)
                o.print("[EPOCH]: %i, [LOSS or MSE]: %.4f" % (t, loss.item()))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        o.print(model)
        for y_pretrain_idx in y_pretrain:
            X_new = torch.unsqueeze(torch.linspace(-2, 2, 100), dim=1)
            o.vals += [X_new.data.numpy(), y_pretrain_idx.data.numpy()]
        for model in models:
            X_new = torch.unsqueeze(torch.linspace(-2, 2, 100), dim=1)
            with torch.no_grad():
                y_pred = model(X_new)
            o.vals += [y_pred.data.numpy()]
    return o.done()


def convnet(L):
    """06-convnet.ipynb: FC2Layer against CNN on (random) MNIST-shaped images, then both with
    the pixels permuted by one randperm; the public names of dir(model)."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    with Out() as o:
        torch.manual_seed(1)

        def get_n_params(model):
            np = 0
            for p in list(model.parameters()):
                np += p.nelement()
            return np
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        input_size = 28 * 28
        output_size = 10
        rng = np.random.default_rng(0)
        imgs = torch.from_numpy(rng.integers(0, 256, (96, 1, 28, 28), dtype=np.uint8)).float() / 255
        imgs = (imgs - 0.1307) / 0.3081
        labels = torch.from_numpy(rng.integers(0, 10, 96))
        train_loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(imgs[:64], labels[:64]), batch_size=16, shuffle=True)
        test_loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(imgs[64:], labels[64:]), batch_size=16, shuffle=True)

        class FC2Layer(nn.Module):
            def __init__(self, input_size, n_hidden, output_size):
                super(FC2Layer, self).__init__()
                self.input_size = input_size
                self.network = nn.Sequential(
                    nn.Linear(input_size, n_hidden),
                    nn.ReLU(),
                    nn.Linear(n_hidden, n_hidden),
                    nn.ReLU(),
                    nn.Linear(n_hidden, output_size),
                    nn.LogSoftmax(dim=1)
                )

            def forward(self, x):
                x = x.view(-1, self.input_size)
                return self.network(x)

        class CNN(nn.Module):
            def __init__(self, input_size, n_feature, output_size):
                super(CNN, self).__init__()
                self.n_feature = n_feature
                self.conv1 = nn.Conv2d(in_channels=1, out_channels=n_feature, kernel_size=5)
                self.conv2 = nn.Conv2d(n_feature, n_feature, kernel_size=5)
                self.fc1 = nn.Linear(n_feature * 4 * 4, 50)
                self.fc2 = nn.Linear(50, 10)

            def forward(self, x, verbose=False):
                x = self.conv1(x)
                x = F.relu(x)
                x = F.max_pool2d(x, kernel_size=2)
                x = self.conv2(x)
                x = F.relu(x)
                x = F.max_pool2d(x, kernel_size=2)
                x = x.view(-1, self.n_feature * 4 * 4)
                x = self.fc1(x)
                x = F.relu(x)
                x = self.fc2(x)
                x = F.log_softmax(x, dim=1)
                return x

        accuracy_list = []

        def train(epoch, model, perm=torch.arange(0, 784).long()):
            model.train()
            for batch_idx, (data, target) in enumerate(train_loader):
                data, target = data.to(device), target.to(device)
                data = data.view(-1, 28 * 28)
                data = data[:, perm]
                data = data.view(-1, 1, 28, 28)
                optimizer.zero_grad()
                output = model(data)
                loss = F.nll_loss(output, target)
                loss.backward()
                optimizer.step()
                if batch_idx % 2 == 0:
                    o.print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.4f}'.format(
                        epoch, batch_idx * len(data), len(train_loader.dataset),
                        100. * batch_idx / len(train_loader), loss.item()))

        def test(model, perm=torch.arange(0, 784).long()):
            model.eval()
            test_loss = 0
            correct = 0
            for data, target in test_loader:
                data, target = data.to(device), target.to(device)
                data = data.view(-1, 28 * 28)
                data = data[:, perm]
                data = data.view(-1, 1, 28, 28)
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction='sum').item()
                pred = output.data.max(1, keepdim=True)[1]
                correct += pred.eq(target.data.view_as(pred)).cpu().sum().item()
            test_loss /= len(test_loader.dataset)
            accuracy = 100. * correct / len(test_loader.dataset)
            accuracy_list.append(accuracy)
            o.print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
                test_loss, correct, len(test_loader.dataset), accuracy))

        n_hidden = 8
        model_fnn = FC2Layer(input_size, n_hidden, output_size)
        model_fnn.to(device)
        optimizer = optim.SGD(model_fnn.parameters(), lr=0.01, momentum=0.5)
        o.print('Number of parameters: {}'.format(get_n_params(model_fnn)))
        for epoch in range(0, 1):
            train(epoch, model_fnn)
            test(model_fnn)
        n_features = 6
        model_cnn = CNN(input_size, n_features, output_size)
        model_cnn.to(device)
        optimizer = optim.SGD(model_cnn.parameters(), lr=0.01, momentum=0.5)
        o.print('Number of parameters: {}'.format(get_n_params(model_cnn)))
        for epoch in range(0, 1):
            train(epoch, model_cnn)
            test(model_cnn)
        perm = torch.randperm(784)
        image, _ = train_loader.dataset.__getitem__(0)
        image_perm = image.view(-1, 28 * 28).clone()
        image_perm = image_perm[:, perm]
        image_perm = image_perm.view(-1, 1, 28, 28)
        o.vals += [perm, image_perm]
        model_cnn = CNN(input_size, n_features, output_size)
        model_cnn.to(device)
        optimizer = optim.SGD(model_cnn.parameters(), lr=0.01, momentum=0.5)
        for epoch in range(0, 1):
            train(epoch, model_cnn, perm)
            test(model_cnn, perm)
        model_fnn = FC2Layer(input_size, n_hidden, output_size)
        model_fnn.to(device)
        optimizer = optim.SGD(model_fnn.parameters(), lr=0.01, momentum=0.5)
        for epoch in range(0, 1):
            train(epoch, model_fnn, perm)
            test(model_fnn, perm)
        o.print(accuracy_list)
        o.print([n for n in dir(model_cnn) if not n.startswith('_')])
        o.vals += list(model_cnn.parameters()) + list(model_fnn.parameters())
    return o.done()
