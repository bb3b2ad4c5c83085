"""Session 14: Dive into Deep Learning (PyTorch edition) chapters 3-5 as programs, without
the d2l package (its helpers inlined): linear and softmax regression from scratch and
concise, MLP, dropout and weight decay from scratch, initialization notes. Each ``prog(L)``
prints; tests/test_programs_s14_d2l.py runs it on torch and on ember and compares."""

import random


def synthetic_data(L, w, b, n):
    X = L.normal(0, 1, (n, len(w)))
    y = L.matmul(X, w) + b
    y += L.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))

def data_iter(L, batch_size, features, labels):
    n = len(features); idx = list(range(n)); random.shuffle(idx)
    for i in range(0, n, batch_size):
        bi = L.tensor(idx[i:min(i + batch_size, n)])
        yield features[bi], labels[bi]

def linreg(X, w, b, L): return L.matmul(X, w) + b
def squared_loss(y_hat, y): return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2

def sgd(L, params, lr, bs):
    with L.no_grad():
        for p in params:
            p -= lr * p.grad / bs
            p.grad.zero_()

def lin_scratch(L):
    L.manual_seed(0); random.seed(0)
    true_w = L.tensor([2, -3.4]); true_b = 4.2
    features, labels = synthetic_data(L, true_w, true_b, 200)
    print('features:', features[0], '\nlabel:', labels[0])
    w = L.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = L.zeros(1, requires_grad=True)
    lr, ne, bs = 0.03, 3, 10
    for epoch in range(ne):
        for X, y in data_iter(L, bs, features, labels):
            l = squared_loss(linreg(X, w, b, L), y)
            l.sum().backward()
            sgd(L, [w, b], lr, bs)
        with L.no_grad():
            train_l = squared_loss(linreg(features, w, b, L), labels)
            print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')
    print(f'error in estimating w: {true_w - w.reshape(true_w.shape)}')
    print(f'error in estimating b: {true_b - b}')
    print(w, b)

def lin_concise(L):
    from importlib import import_module
    nn = L.nn; data = L.utils.data
    L.manual_seed(0)
    true_w = L.tensor([2, -3.4]); true_b = 4.2
    features, labels = synthetic_data(L, true_w, true_b, 200)
    ds = data.TensorDataset(features, labels)
    it = data.DataLoader(ds, 10, shuffle=True)
    print(next(iter(it)))
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = nn.MSELoss()
    trainer = L.optim.SGD(net.parameters(), lr=0.03)
    for epoch in range(3):
        for X, y in it:
            l = loss(net(X), y)
            trainer.zero_grad(); l.backward(); trainer.step()
        l = loss(net(features), labels)
        print(f'epoch {epoch + 1}, loss {l:f}')
    w = net[0].weight.data
    print('error in estimating w:', true_w - w.reshape(true_w.shape))
    b = net[0].bias.data
    print('error in estimating b:', true_b - b)
    print(net, net[0].weight, net[0].bias.grad)
    print(trainer)

def softmax(X):
    X_exp = X.exp()
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition

class Accumulator:
    def __init__(self, n): self.data = [0.0] * n
    def add(self, *args): self.data = [a + float(b) for a, b in zip(self.data, args)]
    def reset(self): self.data = [0.0] * len(self.data)
    def __getitem__(self, idx): return self.data[idx]

def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())

def softmax_scratch(L):
    L.manual_seed(1)
    X = L.normal(0, 1, (2, 5))
    X_prob = softmax(X)
    print(X_prob, X_prob.sum(1))
    y = L.tensor([0, 2])
    y_hat = L.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    print(y_hat[[0, 1], y])
    def cross_entropy(y_hat, y): return -L.log(y_hat[range(len(y_hat)), y])
    print(cross_entropy(y_hat, y))
    print(accuracy(y_hat, y) / len(y))
    # train on synthetic 3-class data
    Xs = L.randn(60, 4); ys = L.randint(0, 3, (60,))
    W = L.normal(0, 0.01, size=(4, 3), requires_grad=True)
    b = L.zeros(3, requires_grad=True)
    net = lambda X: softmax(L.matmul(X.reshape((-1, W.shape[0])), W) + b)
    dl = L.utils.data.DataLoader(L.utils.data.TensorDataset(Xs, ys), 20, shuffle=True)
    def evaluate_accuracy(net, it):
        m = Accumulator(2)
        with L.no_grad():
            for X, y in it: m.add(accuracy(net(X), y), y.numel())
        return m[0] / m[1]
    print(evaluate_accuracy(net, dl))
    for epoch in range(3):
        m = Accumulator(3)
        for X, y in dl:
            y_hat = net(X); l = cross_entropy(y_hat, y)
            l.sum().backward()
            sgd(L, [W, b], 0.1, X.shape[0])
            m.add(float(l.sum()), accuracy(y_hat, y), y.numel())
        print(epoch, m[0] / m[2], m[1] / m[2], evaluate_accuracy(net, dl))
    print(W, b)
    print(net(Xs[:2]).argmax(axis=1), ys[:2])

def softmax_concise(L):
    nn = L.nn
    L.manual_seed(2)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    def init_weights(m):
        if type(m) == nn.Linear:
            nn.init.normal_(m.weight, std=0.01)
    net.apply(init_weights)
    loss = nn.CrossEntropyLoss(reduction='none')
    trainer = L.optim.SGD(net.parameters(), lr=0.1)
    X = L.randn(30, 4, 4); y = L.randint(0, 3, (30,))
    for e in range(3):
        l = loss(net(X), y)
        trainer.zero_grad(); l.mean().backward(); trainer.step()
        print(e, l.mean().item(), l[:3])
    print(net)


def mlp_scratch(L):
    nn = L.nn
    L.manual_seed(0)
    ni, no, nh = 16, 3, 8
    W1 = nn.Parameter(L.randn(ni, nh, requires_grad=True) * 0.01)
    b1 = nn.Parameter(L.zeros(nh, requires_grad=True))
    W2 = nn.Parameter(L.randn(nh, no, requires_grad=True) * 0.01)
    b2 = nn.Parameter(L.zeros(no, requires_grad=True))
    params = [W1, b1, W2, b2]
    print(W1[:2, :3], b1)
    def relu(X):
        a = L.zeros_like(X)
        return L.max(X, a)
    print(relu(L.tensor([[-1.0, 2.0], [0.0, -0.5]])))
    def net(X):
        X = X.reshape((-1, ni))
        H = relu(X @ W1 + b1)
        return (H @ W2 + b2)
    loss = nn.CrossEntropyLoss(reduction='none')
    updater = L.optim.SGD(params, lr=0.1)
    X = L.randn(20, 4, 4); y = L.randint(0, 3, (20,))
    for e in range(3):
        l = loss(net(X), y); updater.zero_grad(); l.mean().backward(); updater.step()
        print(e, float(l.mean()), W1.grad is None, b2)
    print(W1.requires_grad, W1.is_leaf, type(W1).__name__, repr(b2)[:40])

def dropout_scratch(L):
    nn = L.nn
    def dropout_layer(X, dropout):
        assert 0 <= dropout <= 1
        if dropout == 1: return L.zeros_like(X)
        if dropout == 0: return X
        mask = (L.rand(X.shape) > dropout).float()
        return mask * X / (1.0 - dropout)
    L.manual_seed(0)
    X = L.arange(16, dtype=L.float32).reshape((2, 8))
    print(X); print(dropout_layer(X, 0.)); print(dropout_layer(X, 0.5)); print(dropout_layer(X, 1.))
    class Net(nn.Module):
        def __init__(self, ni, no, h1, h2, is_training=True):
            super(Net, self).__init__()
            self.num_inputs = ni; self.training = is_training
            self.lin1 = nn.Linear(ni, h1)
            self.lin2 = nn.Linear(h1, h2)
            self.lin3 = nn.Linear(h2, no)
            self.relu = nn.ReLU()
        def forward(self, X):
            H1 = self.relu(self.lin1(X.reshape((-1, self.num_inputs))))
            if self.training == True: H1 = dropout_layer(H1, 0.2)
            H2 = self.relu(self.lin2(H1))
            if self.training == True: H2 = dropout_layer(H2, 0.5)
            return self.lin3(H2)
    net = Net(16, 3, 8, 8)
    print(net)
    out = net(L.randn(4, 16)); print(out)
    net2 = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(8, 3))
    print(net2, net2(L.randn(2, 4, 4)))
    net2.eval(); print(net2(L.ones(1, 16)))

def weight_decay(L):
    nn = L.nn
    L.manual_seed(0)
    n_train, num_inputs, bs = 20, 50, 5
    true_w, true_b = L.ones((num_inputs, 1)) * 0.01, 0.05
    X = L.normal(0, 1, (n_train, num_inputs)); y = L.matmul(X, true_w) + true_b
    y += L.normal(0, 0.01, y.shape)
    def init_params():
        w = L.normal(0, 1, size=(num_inputs, 1), requires_grad=True)
        b = L.zeros(1, requires_grad=True)
        return [w, b]
    def l2_penalty(w): return L.sum(w.pow(2)) / 2
    w, b = init_params()
    for epoch in range(5):
        for i in range(0, n_train, bs):
            Xb, yb = X[i:i+bs], y[i:i+bs]
            l = (Xb @ w + b - yb.reshape(-1, 1)) ** 2 / 2 + 3 * l2_penalty(w)
            l.sum().backward()
            with L.no_grad():
                for p in [w, b]:
                    p -= 0.003 * p.grad / bs; p.grad.zero_()
        print(epoch, float(((X @ w + b - y) ** 2 / 2).mean()))
    print('L2 norm of w:', L.norm(w).item())
    net = nn.Sequential(nn.Linear(num_inputs, 1))
    for param in net.parameters(): param.data.normal_()
    trainer = L.optim.SGD([{"params": net[0].weight, 'weight_decay': 3},
                           {"params": net[0].bias}], lr=0.003)
    for epoch in range(3):
        trainer.zero_grad()
        l = nn.MSELoss(reduction='none')(net(X), y)
        l.mean().backward()
        trainer.step()
        print(float(l.mean()))
    print('L2 norm of w:', net[0].weight.norm().item())
    print(trainer)

def numerics(L):
    nn = L.nn
    L.manual_seed(0)
    x = L.arange(-8.0, 8.0, 0.1, requires_grad=True)
    y = L.sigmoid(x)
    y.backward(L.ones_like(x))
    print(x.grad[:5], x.grad.max(), x.shape)
    M = L.normal(0, 1, size=(4, 4))
    print('a single matrix \n', M)
    for i in range(100):
        M = L.mm(M, L.normal(0, 1, size=(4, 4)))
    print('after multiplying 100 matrices\n', M)
    lin = nn.Linear(8, 4)
    nn.init.xavier_uniform_(lin.weight); print(lin.weight)
    nn.init.xavier_normal_(lin.weight); print(lin.weight.std() > 0)
    nn.init.kaiming_uniform_(lin.weight)
    nn.init.constant_(lin.bias, 1)
    print(lin.weight, lin.bias)
    print(nn.init.calculate_gain('relu'), nn.init.calculate_gain('tanh'))
