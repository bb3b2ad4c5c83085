"""Session 14: d2l chapters 6-7 as programs: the builders' guide (parameter access,
initialization, tied and lazy parameters, custom layers, file I/O) and convolutions by
hand (corr2d, learning an edge kernel, pooling, multi-channel), LeNet/VGG/NiN shapes."""

import os
import tempfile

def params_access(L):
    nn = L.nn; F = nn.functional
    L.manual_seed(0)
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    print(net[0].weight)
    X = L.rand(size=(2, 4))
    print(net(X).shape)
    print(net[2].state_dict())
    print(type(net[2].bias).__name__, net[2].bias)
    print(net[2].bias.data)
    print(net[2].weight.grad == None)
    print(*[(name, param.shape) for name, param in net.named_parameters()])
    print(net.state_dict()['2.bias'].data)
    def init_normal(module):
        if type(module) == nn.Linear:
            nn.init.normal_(module.weight, mean=0, std=0.01)
            nn.init.zeros_(module.bias)
    net.apply(init_normal)
    print(net[0].weight.data[0], net[0].bias.data[0])
    def init_constant(module):
        if type(module) == nn.Linear:
            nn.init.constant_(module.weight, 1); nn.init.zeros_(module.bias)
    net.apply(init_constant); print(net[0].weight.data[0], net[0].bias.data[0])
    def init_xavier(module):
        if type(module) == nn.Linear: nn.init.xavier_uniform_(module.weight)
    def init_42(module):
        if type(module) == nn.Linear: nn.init.constant_(module.weight, 42)
    net[0].apply(init_xavier); net[2].apply(init_42)
    print(net[0].weight.data[0]); print(net[2].weight.data)
    def my_init(module):
        if type(module) == nn.Linear:
            print("Init", *[(name, param.shape) for name, param in module.named_parameters()][0])
            nn.init.uniform_(module.weight, -10, 10)
            module.weight.data *= module.weight.data.abs() >= 5
    net.apply(my_init); print(net[0].weight[:2])
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42
    print(net[0].weight.data[0])
    shared = nn.LazyLinear(8)
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(),
                        nn.LazyLinear(1))
    net(X)
    print(net[2].weight.data[0] == net[4].weight.data[0])
    net[2].weight.data[0, 0] = 100
    print(net[2].weight.data[0] == net[4].weight.data[0])
    print(net)
    print(len(list(net.parameters())), [p.shape for p in net.parameters()])

def lazy(L):
    nn = L.nn
    L.manual_seed(0)
    net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
    print(net[0].weight)
    print(net)
    net(L.rand(2, 20))
    print(net[0].weight.shape, net)
    try:
        n2 = nn.LazyLinear(4); print(n2.weight.shape)
    except Exception as e: print(type(e).__name__, e)
    try:
        n3 = nn.LazyLinear(4); print(n3.weight.data)
    except Exception as e: print(type(e).__name__, e)
    n4 = nn.LazyLinear(3); print(n4.in_features, n4.out_features, n4.weight.dtype, n4.bias)

def custom_layers(L):
    nn = L.nn; F = nn.functional
    class CenteredLayer(nn.Module):
        def __init__(self): super().__init__()
        def forward(self, X): return X - X.mean()
    layer = CenteredLayer()
    print(layer(L.tensor([1.0, 2, 3, 4, 5])))
    L.manual_seed(0)
    net = nn.Sequential(nn.LazyLinear(128), CenteredLayer())
    Y = net(L.rand(4, 8)); print(Y.mean())
    class MyLinear(nn.Module):
        def __init__(self, in_units, units):
            super().__init__()
            self.weight = nn.Parameter(L.randn(in_units, units))
            self.bias = nn.Parameter(L.randn(units,))
        def forward(self, X):
            linear = L.matmul(X, self.weight.data) + self.bias.data
            return F.relu(linear)
    linear = MyLinear(5, 3); print(linear.weight)
    print(linear(L.rand(2, 5)))
    net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1)); print(net(L.rand(2, 64)))
    print(net, net.state_dict().keys())
    class MySequential(nn.Module):
        def __init__(self, *args):
            super().__init__()
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)
        def forward(self, X):
            for module in self.children(): X = module(X)
            return X
    net = MySequential(nn.Linear(20, 4), nn.ReLU(), nn.Linear(4, 2))
    print(net, net(L.rand(2, 20)))
    class FixedHiddenMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.rand_weight = L.rand((20, 20))
            self.linear = nn.Linear(20, 20)
        def forward(self, X):
            X = self.linear(X)
            X = F.relu(X @ self.rand_weight + 1)
            X = self.linear(X)
            while X.abs().sum() > 1: X /= 2
            return X.sum()
    print(FixedHiddenMLP()(L.rand(2, 20)))

def file_io(L):
    nn = L.nn; F = nn.functional
    d = tempfile.mkdtemp()
    x = L.arange(4); p = os.path.join(d, 'x-file')
    L.save(x, p); x2 = L.load(p); print(x2)
    y = L.zeros(4); L.save([x, y], p); x2, y2 = L.load(p); print(x2, y2)
    mydict = {'x': x, 'y': y}; L.save(mydict, p); print(L.load(p))
    L.manual_seed(0)
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.LazyLinear(16); self.output = nn.LazyLinear(4)
        def forward(self, x): return self.output(F.relu(self.hidden(x)))
    net = MLP(); X = L.randn(size=(2, 8)); Y = net(X)
    L.save(net.state_dict(), p)
    clone = MLP(); print(clone.load_state_dict(L.load(p))); print(clone.eval())
    Y_clone = clone(X); print(Y_clone == Y)
    sd = L.load(p, weights_only=True); print(list(sd.keys()), sd['hidden.bias'][:3])


def corr2d(L, X, K):
    h, w = K.shape
    Y = L.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y

def conv_basics(L):
    nn = L.nn
    X = L.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = L.tensor([[0.0, 1.0], [2.0, 3.0]])
    print(corr2d(L, X, K))
    class Conv2D(nn.Module):
        def __init__(self, kernel_size):
            super().__init__()
            self.weight = nn.Parameter(L.rand(kernel_size)); self.bias = nn.Parameter(L.zeros(1))
        def forward(self, x): return corr2d(L, x, self.weight) + self.bias
    L.manual_seed(0)
    c = Conv2D((1, 2)); print(c.weight)
    X = L.ones((6, 8)); X[:, 2:6] = 0; print(X)
    K = L.tensor([[1.0, -1.0]]); Y = corr2d(L, X, K); print(Y)
    print(corr2d(L, X.t(), K))
    conv2d = nn.LazyConv2d(1, kernel_size=(1, 2), bias=False)
    X = X.reshape((1, 1, 6, 8)); Y = Y.reshape((1, 1, 6, 7)); lr = 3e-2
    for i in range(10):
        Y_hat = conv2d(X)
        l = (Y_hat - Y) ** 2
        conv2d.zero_grad()
        l.sum().backward()
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
        if (i + 1) % 2 == 0: print(f'epoch {i + 1}, loss {l.sum():.3f}')
    print(conv2d.weight.data.reshape((1, 2)))
    # own Conv2D trained
    c = Conv2D((1, 2)); X2 = X.reshape(6, 8); Y2 = Y.reshape(6, 7)
    for i in range(3):
        l = (c(X2) - Y2) ** 2; c.zero_grad(); l.sum().backward()
        c.weight.data[:] -= lr * c.weight.grad
        print(i, float(l.sum()), c.weight.grad)
    def comp_conv2d(conv2d, X):
        X = X.reshape((1, 1) + X.shape); Y = conv2d(X); return Y.reshape(Y.shape[2:])
    conv2d = nn.LazyConv2d(1, kernel_size=3, padding=1); X = L.rand(size=(8, 8))
    print(comp_conv2d(conv2d, X).shape)
    conv2d = nn.LazyConv2d(1, kernel_size=(5, 3), padding=(2, 1))
    print(comp_conv2d(conv2d, X).shape)
    conv2d = nn.LazyConv2d(1, kernel_size=3, padding=1, stride=2)
    print(comp_conv2d(conv2d, X).shape)
    conv2d = nn.LazyConv2d(1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4))
    print(comp_conv2d(conv2d, X).shape)

def multichannel(L):
    def corr2d_multi_in(X, K): return sum(corr2d(L, x, k) for x, k in zip(X, K))
    X = L.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                  [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
    K = L.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
    print(corr2d_multi_in(X, K))
    def corr2d_multi_in_out(X, K): return L.stack([corr2d_multi_in(X, k) for k in K], 0)
    K = L.stack((K, K + 1, K + 2), 0); print(K.shape); print(corr2d_multi_in_out(X, K))
    def corr2d_multi_in_out_1x1(X, K):
        c_i, h, w = X.shape; c_o = K.shape[0]
        X = X.reshape((c_i, h * w)); K = K.reshape((c_o, c_i))
        Y = L.matmul(K, X); return Y.reshape((c_o, h, w))
    L.manual_seed(0)
    X = L.normal(0, 1, (3, 3, 3)); K = L.normal(0, 1, (2, 3, 1, 1))
    Y1 = corr2d_multi_in_out_1x1(X, K); Y2 = corr2d_multi_in_out(X, K)
    assert float(L.abs(Y1 - Y2).sum()) < 1e-6
    print(Y1.shape)
    def pool2d(X, pool_size, mode='max'):
        p_h, p_w = pool_size
        Y = L.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                if mode == 'max': Y[i, j] = X[i: i + p_h, j: j + p_w].max()
                elif mode == 'avg': Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
        return Y
    X = L.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    print(pool2d(X, (2, 2)), pool2d(X, (2, 2), 'avg'))
    X = L.arange(16, dtype=L.float32).reshape((1, 1, 4, 4)); print(X)
    nn = L.nn
    print(nn.MaxPool2d(3)(X)); print(nn.MaxPool2d(3, padding=1, stride=2)(X))
    print(nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))(X))
    X = L.cat((X, X + 1), 1); print(nn.MaxPool2d(3, padding=1, stride=2)(X))
    print(nn.AvgPool2d(3, padding=1, stride=2)(X))

def lenet(L):
    nn = L.nn
    L.manual_seed(0)
    def init_cnn(module):
        if type(module) == nn.Linear or type(module) == nn.Conv2d:
            nn.init.xavier_uniform_(module.weight)
    net = nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.LazyLinear(120), nn.Sigmoid(), nn.LazyLinear(84), nn.Sigmoid(),
        nn.LazyLinear(10))
    X = L.rand(size=(1, 1, 28, 28), dtype=L.float32)
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__, 'output shape:\t', X.shape)
    net.apply(init_cnn)
    print(net)
    def vgg_block(num_convs, out_channels):
        layers = []
        for _ in range(num_convs):
            layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
            layers.append(nn.ReLU())
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        return nn.Sequential(*layers)
    net = nn.Sequential(vgg_block(1, 4), vgg_block(2, 8), nn.Flatten(), nn.LazyLinear(16),
                        nn.ReLU(), nn.Dropout(0.5), nn.LazyLinear(10))
    X = L.randn(1, 1, 16, 16)
    for blk in net:
        X = blk(X); print(blk.__class__.__name__, 'output shape:\t', X.shape)
    def nin_block(out_channels, kernel_size, strides, padding):
        return nn.Sequential(nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(),
            nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),
            nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())
    net = nn.Sequential(nin_block(8, 5, 2, 0), nn.MaxPool2d(3, stride=2), nn.Dropout(0.5),
                        nin_block(10, 3, 1, 1),
                        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    X = L.randn(1, 1, 32, 32)
    for blk in net:
        X = blk(X); print(blk.__class__.__name__, 'output shape:\t', X.shape)
    print(net[0])
