"""Session 14, Stanford CS231n's PyTorch assignments, scaled down (synthetic images, small
random CNNs): assignment 2's PyTorch.ipynb (barebones functions, nn.Module, nn.Sequential,
check_accuracy) with its learners' mistakes, and the two fixes the sweep found (reshape's
grad_fn names; torch.return_types' messages). Each program runs live on torch 2.13 and ember,
and what it prints (or raises) must be the same."""

import contextlib
import io

import numpy as np
from torch_compare import run_both


def same_printout(prog):
    """prog(L) on both libraries prints the same lines (an exception: its type and first
    line, printed last)."""
    def run(L):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                prog(L)
            except Exception as e:  # noqa: BLE001 - compared across libraries
                print("raised", type(e).__name__, (str(e).splitlines() or [""])[0])
        return buf.getvalue().splitlines()
    want, got = run_both(run)
    assert got == want, "\n".join(f"torch: {w}\nember: {g}" for w, g in zip(want, got) if w != g)
    return got


# ---- assignment 2, part II: barebones PyTorch ---------------------------------------------

def flatten(x):
    N = x.shape[0]
    return x.view(N, -1)


def two_layer_fc(L, x, params):
    w1, w2 = params
    return L.nn.functional.relu(flatten(x).mm(w1)).mm(w2)


def three_layer_convnet(L, x, params):
    F = L.nn.functional
    conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
    x = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=2))
    x = F.relu(F.conv2d(x, conv_w2, conv_b2, padding=1))
    return flatten(x).mm(fc_w) + fc_b


def random_weight(L, shape):
    fan_in = shape[0] if len(shape) == 2 else np.prod(shape[1:])
    w = L.randn(shape, dtype=L.float32) * np.sqrt(2. / fan_in)
    w.requires_grad = True
    return w


def zero_weight(L, shape):
    return L.zeros(shape, dtype=L.float32, requires_grad=True)


def loader_of(L, n=40, batch=10):
    g = L.Generator().manual_seed(0)
    x, y = L.randn(n, 3, 8, 8, generator=g), L.randint(0, 10, (n,), generator=g)
    return [(x[i:i + batch], y[i:i + batch]) for i in range(0, n, batch)]


def check_accuracy_part2(L, loader, model_fn, params):
    num_correct, num_samples = 0, 0
    with L.no_grad():
        for x, y in loader:
            _, preds = model_fn(L, x, params).max(1)
            num_correct += (preds == y).sum()
            num_samples += preds.size(0)
        acc = float(num_correct) / num_samples
        print('Got %d / %d correct (%.2f%%)' % (num_correct, num_samples, 100 * acc))


def train_part2(L, model_fn, params, learning_rate, loader, zero=True):
    for t, (x, y) in enumerate(loader):
        loss = L.nn.functional.cross_entropy(model_fn(L, x, params), y)
        loss.backward()
        with L.no_grad():
            for w in params:
                w -= learning_rate * w.grad
                if zero:
                    w.grad.zero_()
        if t % 2 == 0:
            print('Iteration %d, loss = %.4f' % (t, loss.item()))
            check_accuracy_part2(L, loader[:2], model_fn, params)


def test_barebones_shapes_flatten_and_random_weight():
    def prog(L):
        x = L.arange(12).view(2, 1, 3, 2)
        print('Before flattening: ', x)
        print('After flattening: ', flatten(x))
        print(two_layer_fc(L, L.zeros((64, 50)), [L.zeros((50, 42)), L.zeros((42, 10))]).size())
        params = [L.zeros((6, 3, 5, 5)), L.zeros((6,)), L.zeros((9, 6, 3, 3)), L.zeros((9,)),
                  L.zeros((9 * 32 * 32, 10)), L.zeros(10)]
        print(three_layer_convnet(L, L.zeros((64, 3, 32, 32)), params).size())
        L.manual_seed(0)
        print(random_weight(L, (3, 5)))
        w2 = random_weight(L, (2, 3, 2, 2))
        print(w2.dtype, w2.requires_grad, w2.is_leaf, w2.grad_fn, zero_weight(L, (2,)))
    same_printout(prog)


def test_barebones_two_layer_and_convnet_training():
    def prog(L):
        L.manual_seed(0)
        loader = loader_of(L)
        w1, w2 = random_weight(L, (3 * 8 * 8, 20)), random_weight(L, (20, 10))
        train_part2(L, two_layer_fc, [w1, w2], 1e-2, loader * 2)
        print(w1.grad.abs().sum(), w2[0])
        params = [random_weight(L, (4, 3, 5, 5)), zero_weight(L, (4,)),
                  random_weight(L, (5, 4, 3, 3)), zero_weight(L, (5,)),
                  random_weight(L, (5 * 8 * 8, 10)), zero_weight(L, (10,))]
        train_part2(L, three_layer_convnet, params, 3e-3, loader)
        print(params[1], params[5])
    same_printout(prog)


def test_barebones_mistakes_forgotten_zero_and_rebinding_the_weight():
    def prog(L):
        L.manual_seed(0)
        loader = loader_of(L, 20)
        w1, w2 = random_weight(L, (3 * 8 * 8, 20)), random_weight(L, (20, 10))
        train_part2(L, two_layer_fc, [w1, w2], 1e-2, loader, zero=False)  # grads pile up
        print(w1.grad.norm())
        w = random_weight(L, (4, 3))
        (w * 2).sum().backward()
        with L.no_grad():
            w = w - 0.1 * w.grad  # a new tensor, outside the graph: training silently stops
        print(w.requires_grad, w.grad, w.is_leaf)
    same_printout(prog)


def test_barebones_mistakes_raise_as_pytorch():
    cases = [
        lambda L: L.zeros(4, 3, requires_grad=True).sub_(1),  # update outside no_grad
        lambda L: random_weight(L, (4, 3)).grad.zero_(),  # no backward yet: grad is None
        lambda L: L.zeros(64, 3, 32, 32).view(64, 3 * 32 * 31),
        lambda L: L.zeros(4, 3, 5, 5).permute(0, 2, 3, 1).view(4, -1),
        lambda L: L.zeros(4, 3).view(-1, -1),
        lambda L: L.nn.functional.cross_entropy(L.randn(4, 10), L.tensor([1., 2., 3., 4.])),
        lambda L: L.zeros(64, 3, 2, 5).view(64, -1).mm(L.zeros(50, 42).t()),
        lambda L: L.nn.functional.conv2d(L.zeros(2, 3, 8, 8), L.zeros(6, 4, 3, 3)),
        lambda L: L.nn.functional.conv2d(L.zeros(2, 3, 8, 8, dtype=L.float64),
                                         L.zeros(6, 3, 3, 3)),
        lambda L: L.nn.functional.conv2d(L.ones(8, 8), L.ones(6, 3, 3, 3)),
        lambda L: L.nn.functional.conv2d(L.zeros(2, 3, 4, 4, dtype=L.uint8), L.zeros(1, 3, 3, 3)),
        lambda L: L.from_numpy(np.ones((2, 3))).mm(L.ones(3, 4)),
        lambda L: L.nn.Linear(3, 4)(L.from_numpy(np.ones((2, 3)))),
        lambda L: L.nn.Conv2d(3, 4, 3)(L.from_numpy(np.ones((1, 3, 4, 4)))),
        lambda L: L.randn(3).item(),
        lambda L: '%.4f' % L.tensor([1.0, 2.0]),
    ]
    for case in cases:
        want, got = run_both(case)
        assert isinstance(want, tuple) and got == want, (got, want)


def test_check_accuracy_counts_and_formats():
    def prog(L):
        preds, y = L.tensor([1, 2, 3]), L.tensor([1, 0, 3])
        num_correct = (preds == y).sum()
        print(num_correct, num_correct.dtype, float(num_correct) / 3, num_correct / 3)
        print('Got %d / %d correct (%.2f)' % (num_correct, 3, 100 * num_correct / 3))
        print('%s' % num_correct, '{:.4}'.format(L.tensor(1.23456)), f'{L.tensor(2.5):.2f}')
        print(preds.max(0), L.tensor([[1., 5.], [3., 2.]]).max(1))
        L.manual_seed(0)
        print(L.nn.functional.cross_entropy(L.randn(4, 10), L.tensor([1, 2, 3, 4], dtype=L.int32)))
    same_printout(prog)


# ---- parts III-V: nn.Module, nn.Sequential, optimizers -------------------------------------

def modules(L):
    nn, F = L.nn, L.nn.functional

    class TwoLayerFC(nn.Module):
        def __init__(self, input_size, hidden_size, num_classes):
            super().__init__()
            self.fc1 = nn.Linear(input_size, hidden_size)
            nn.init.kaiming_normal_(self.fc1.weight)
            self.fc2 = nn.Linear(hidden_size, num_classes)
            nn.init.kaiming_normal_(self.fc2.weight)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x.view(x.shape[0], -1))))

    class ThreeLayerConvNet(nn.Module):
        def __init__(self, in_channel, channel_1, channel_2, num_classes):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channel, channel_1, 5, padding=2)
            nn.init.kaiming_normal_(self.conv1.weight)
            nn.init.constant_(self.conv1.bias, 0)
            self.conv2 = nn.Conv2d(channel_1, channel_2, 3, padding=1)
            nn.init.kaiming_normal_(self.conv2.weight)
            nn.init.zeros_(self.conv2.bias)
            self.fc = nn.Linear(channel_2 * 8 * 8, num_classes)
            nn.init.kaiming_normal_(self.fc.weight)

        def forward(self, x):
            x = F.relu(self.conv2(F.relu(self.conv1(x))))
            return self.fc(x.view(x.size(0), -1))

    class Flatten(nn.Module):
        def forward(self, x):
            return flatten(x)

    return TwoLayerFC, ThreeLayerConvNet, Flatten


def check_accuracy_part34(L, loader, model):
    num_correct, num_samples = 0, 0
    model.eval()
    with L.no_grad():
        for x, y in loader:
            x = x.to(device=L.device('cpu'), dtype=L.float32)
            y = y.to(device=L.device('cpu'), dtype=L.long)
            _, preds = model(x).max(1)
            num_correct += (preds == y).sum()
            num_samples += preds.size(0)
        acc = float(num_correct) / num_samples
        print('Got %d / %d correct (%.2f)' % (num_correct, num_samples, 100 * acc))


def train_part34(L, model, optimizer, loader, epochs=1):
    model = model.to(device=L.device('cpu'))
    for _ in range(epochs):
        for t, (x, y) in enumerate(loader):
            model.train()
            loss = L.nn.functional.cross_entropy(model(x.to(dtype=L.float32)), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if t % 2 == 0:
                print('Iteration %d, loss = %.4f' % (t, loss.item()))
                check_accuracy_part34(L, loader, model)


def test_module_api_two_layer_and_convnet():
    def prog(L):
        L.manual_seed(0)
        TwoLayerFC, ThreeLayerConvNet, _ = modules(L)
        model = TwoLayerFC(50, 42, 10)
        print(model, model(L.zeros((64, 50))).size())
        model = TwoLayerFC(3 * 8 * 8, 20, 10)
        train_part34(L, model, L.optim.SGD(model.parameters(), lr=1e-2), loader_of(L), epochs=2)
        model = ThreeLayerConvNet(3, 4, 5, 10)
        print(model, sum(p.numel() for p in model.parameters()))
        train_part34(L, model, L.optim.SGD(model.parameters(), lr=3e-3), loader_of(L))
        print(model.conv1.bias)
    same_printout(prog)


def test_sequential_api_with_nesterov_sgd():
    def prog(L):
        L.manual_seed(0)
        nn = L.nn
        model = nn.Sequential(modules(L)[2](), nn.Linear(3 * 8 * 8, 20), nn.ReLU(),
                              nn.Linear(20, 10))
        optimizer = L.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9, nesterov=True)
        print(model, optimizer)
        train_part34(L, model, optimizer, loader_of(L), epochs=2)
        print(optimizer.state_dict()['param_groups'])
        model = nn.Sequential(nn.Conv2d(3, 4, 5, padding=2), nn.ReLU(),
                              nn.Conv2d(4, 5, 3, padding=1), nn.ReLU(),
                              nn.Flatten(), nn.Linear(5 * 8 * 8, 10))
        optimizer = L.optim.SGD(model.parameters(), lr=3e-3, momentum=0.9, nesterov=True)
        train_part34(L, model, optimizer, loader_of(L))
        for name, p in model.named_parameters():
            print(name, p.shape, p.grad.shape)
        L.optim.SGD(model.parameters(), lr=1e-2, nesterov=True)  # Nesterov needs momentum
    same_printout(prog)


def test_part5_batchnorm_dropout_adam_and_kaiming_modes():
    def prog(L):
        L.manual_seed(0)
        nn = L.nn
        model = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Dropout(0.2), nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
        train_part34(L, model, L.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4),
                     loader_of(L), epochs=2)
        print(model[1].running_mean, model[1].num_batches_tracked)
        w = L.empty(4, 3, 2, 2)
        nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')
        print(w.std(), nn.init.calculate_gain('leaky_relu', 0.2))
        nn.init.kaiming_normal_(L.zeros(3))
    same_printout(prog)


# ---- the fixes -----------------------------------------------------------------------------

def test_reshape_names_its_grad_fn_as_pytorch():
    """reshape views a contiguous input (ViewBackward0), views a strided one with new strides
    where some fit (ReshapeAliasBackward0), else copies (CloneBackward0 then
    UnsafeViewBackward0, no view); ravel is contiguous().view(-1). ember named them all
    ViewBackward0 (MultiHeadAttention's y.transpose(1, 2).reshape(N, S, E) among them)."""
    def prog(L):
        L.manual_seed(0)
        X = L.randn(2, 3, 4, requires_grad=True)
        t = X.transpose(1, 2)
        rs = [X.reshape(6, 4), X[:, :2].reshape(2, 8), X[:, :2].reshape(4, 4), X[:, :2].flatten(),
              X[:, ::2].reshape(2, 2, 4), X.mT.reshape(2, 4, 3), X[0].reshape(3, 4),
              X[:, 1].reshape(8), X[:, :2].flatten(1), t.flatten(1), L.flatten(t),
              L.reshape(t, (2, -1)), t.reshape_as(L.zeros(2, 12)), t.contiguous().view(2, -1),
              t.ravel(), X[:, :2].ravel(), X.ravel(), L.nn.Flatten()(t),
              X.expand(2, 2, 3, 4).reshape(4, 12), X.permute(2, 0, 1).reshape(4, 6),
              X[:, :, :1].flatten(1)]
        for r in rs:
            nxt = [f.name() for f, _ in r.grad_fn.next_functions]
            print(tuple(r.shape), r.grad_fn.name(), nxt, r._base is None, r.stride())
        w = L.randn(6)
        sum(((r.reshape(-1)[:6] * w) ** 2).sum() for r in rs).backward()
        print(X.grad)
        with L.no_grad():
            for r in (t.reshape(2, -1), X[:, :2].reshape(2, 8), t.ravel(), X[:, :2].ravel()):
                print(r._base is None, r.grad_fn, r.stride())
        for r in (X.repeat_interleave(2), X.repeat_interleave(1, dim=0)):  # clone, then view
            fn, names = r.grad_fn, []
            while fn is not None:
                names.append(fn.name())
                fn = next((f for f, _ in fn.next_functions if f is not None), None)
            print(names, r._base is None, r.stride())
        a, b = t.detach().reshape(-1), X.detach()[:, :2].reshape(2, 8)
        X.data.add_(1)
        print(a._version, b._version, b[0, 0] == X[0, 0, 0], a[0] == X[0, 0, 0])
    same_printout(prog)


def test_return_types_messages_name_torch_return_types():
    """Forgetting [0] after max(dim=1) (the saliency map) and calling .numpy() on the pair:
    PyTorch's message names 'torch.return_types.max'; its fields are read-only."""
    def prog(L):
        s = L.tensor([[1., 2.], [3., 0.]]).max(dim=1)
        for f in (lambda: s.numpy(), lambda: setattr(s, 'values', 1),
                  lambda: setattr(s, 'foo', 1), lambda: delattr(s, 'indices'),
                  lambda: L.sort(L.ones(2)).detach(), lambda: L.linalg.eigh(L.eye(2)).shape):
            try:
                f()
            except AttributeError as e:
                print(e)
        print(hasattr(s, 'values'), getattr(s, 'zzz', 5), type(s).__name__, s)
    same_printout(prog)
