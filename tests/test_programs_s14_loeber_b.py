"""Session 14, Loeber's later parts (softmax and cross-entropy, activations, the MNIST-shaped
feed-forward net, the CIFAR-shaped CNN with per-class accuracy, save/load) and Aladdin
Persson's tensor basics, run on ember and torch 2.13 live, every printed line compared.
PyTorch's float32 softmax and sigmoid use SLEEF's expf, whose last bit ember does not
reproduce (README, known gaps), so the printed losses are compared at the tutorials' 4
decimals and the tensors shown at print precision (4 decimals). Found: a loader with workers
iterated as ``_SingleProcessDataLoaderIter`` (the name ``dataiter.next()``'s error shows)."""

import numpy as np
from torch_compare import run_both, same_error_case


def _printer():
    lines = []
    return lines, lambda *a: lines.append(" ".join(str(v) for v in a))


def test_softmax_and_cross_entropy_numpy_versus_torch():
    def run(L):
        lines, P = _printer()
        x = np.array([2.0, 1.0, 0.1])
        P('softmax numpy:', np.exp(x) / np.sum(np.exp(x), axis=0))
        P('softmax torch:', L.softmax(L.tensor([2.0, 1.0, 0.1]), dim=0))
        loss = L.nn.CrossEntropyLoss()
        Y = L.tensor([2, 0, 1])
        good = L.tensor([[0.1, 0.2, 3.9], [1.2, 0.1, 0.3], [0.3, 2.2, 0.2]])
        bad = L.tensor([[0.9, 0.2, 0.1], [0.1, 0.3, 1.5], [1.2, 0.2, 0.5]])
        P(f'Batch Loss1:  {loss(good, Y).item():.4f}', f'Batch Loss2: {loss(bad, Y).item():.4f}')
        _, p1 = L.max(good, 1)
        _, p2 = L.max(bad, 1)
        P(f'Actual class: {Y}, Y_pred1: {p1}, Y_pred2: {p2}', L.max(good, 1))
        P(loss(L.tensor([[2.0, 1.0, 0.1]]), L.tensor([0])))
        return lines
    want, got = run_both(run)
    assert got == want
    for bad in ([0.0], [3]):
        same_error_case(lambda L, bad=bad: L.nn.CrossEntropyLoss()(L.tensor([[2.0, 1.0, 0.1]]),
                                                                  L.tensor(bad)))


def test_activation_functions_print_as_the_video_shows():
    def run(L):
        lines, P = _printer()
        F = L.nn.functional
        x = L.tensor([-1.0, 1.0, 2.0, 3.0])
        P(L.softmax(x, dim=0), L.nn.Softmax(dim=0)(x), L.sigmoid(x), L.nn.Sigmoid()(x),
          L.tanh(x), L.nn.Tanh()(x), L.relu(x), L.nn.ReLU()(x), F.leaky_relu(x),
          L.nn.LeakyReLU()(x), F.leaky_relu(x, 0.2), L.nn.LeakyReLU(0.2), L.nn.Softmax())
        P(L.relu(L.tensor([-1, 2, 3])))
        return lines
    want, got = run_both(run)
    assert got == want
    for f in (lambda L, t: L.sigmoid(t), lambda L, t: L.tanh(t),
              lambda L, t: L.nn.functional.leaky_relu(t)):  # integer input: float or error
        want, got = run_both(lambda L, f=f: str(f(L, L.tensor([-1, 2, 3]))))
        assert got == want


def test_feed_forward_net_on_mnist_shaped_data():
    rng = np.random.default_rng(0)
    imgs = rng.random((60, 1, 28, 28)).astype(np.float32)
    labs = rng.integers(0, 10, 60)

    def run(L):
        lines, P = _printer()
        L.manual_seed(0)
        ds = L.utils.data.TensorDataset(L.from_numpy(imgs), L.from_numpy(labs))
        train = L.utils.data.DataLoader(ds, batch_size=20, shuffle=True)
        model = L.nn.Sequential(L.nn.Linear(784, 50), L.nn.ReLU(), L.nn.Linear(50, 10))
        crit, opt = L.nn.CrossEntropyLoss(), L.optim.Adam(model.parameters(), lr=0.001)
        for epoch in range(2):
            for i, (images, labels) in enumerate(train):
                loss = crit(model(images.reshape(-1, 28 * 28)), labels)
                opt.zero_grad()
                loss.backward()
                opt.step()
                P(f'Epoch [{epoch+1}/2], Step [{i+1}/{len(train)}], Loss: {loss.item():.4f}')
        with L.no_grad():
            outputs = model(L.from_numpy(imgs).reshape(-1, 28 * 28))
            _, predicted = L.max(outputs.data, 1)
            n_correct = (predicted == L.from_numpy(labs)).sum().item()
            P(f'Accuracy of the network: {100.0 * n_correct / len(labs)} %', predicted[:8])
        return lines
    want, got = run_both(run)
    assert got == want
    same_error_case(lambda L: L.nn.Linear(784, 10)(L.ones(2, 1, 28, 28)))


def test_cnn_on_cifar_shaped_data_with_per_class_accuracy():
    rng = np.random.default_rng(1)
    imgs = (rng.random((12, 3, 32, 32)) * 2 - 1).astype(np.float32)
    labs = rng.integers(0, 4, 12)

    def run(L):
        lines, P = _printer()
        F = L.nn.functional

        class ConvNet(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.pool = L.nn.Conv2d(3, 6, 5), L.nn.MaxPool2d(2, 2)
                self.conv2, self.fc1 = L.nn.Conv2d(6, 16, 5), L.nn.Linear(16 * 5 * 5, 4)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                return self.fc1(x.view(-1, 16 * 5 * 5))

        L.manual_seed(0)
        model = ConvNet()
        P(model)
        opt = L.optim.SGD(model.parameters(), lr=0.01)
        x, y = L.from_numpy(imgs), L.from_numpy(labs)
        for _ in range(3):
            loss = L.nn.CrossEntropyLoss()(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            P(f'Loss: {loss.item():.4f}')
        correct, seen = [0] * 4, [0] * 4
        with L.no_grad():
            _, predicted = L.max(model(x), 1)
            for i in range(len(y)):
                label, pred = y[i], predicted[i]
                if label == pred:
                    correct[label] += 1
                seen[label] += 1
        P(correct, seen, label, pred)
        return lines
    want, got = run_both(run)
    assert got == want
    same_error_case(lambda L: L.nn.Conv2d(3, 6, 5)(L.ones(2, 1, 32, 32)))


def test_save_whole_model_state_dict_and_checkpoint(tmp_path):
    def run(L):
        lines, P = _printer()
        L.manual_seed(0)
        model = L.nn.Sequential(L.nn.Linear(6, 1), L.nn.Sigmoid())
        path = str(tmp_path / f"{L.__name__}.pth")
        L.save(model, path)
        loaded = L.load(path, weights_only=False)
        P(loaded.eval(), *loaded.parameters())
        opt = L.optim.Adam(model.parameters(), lr=1e-3)
        model(L.ones(2, 6)).sum().backward()
        opt.step()
        L.save({"epoch": 90, "model_state": model.state_dict(), "optim_state": opt.state_dict()},
               path)
        ck = L.load(path)
        opt2 = L.optim.Adam(model.parameters(), lr=0)
        opt2.load_state_dict(ck["optim_state"])
        P(ck, opt2.state_dict(), model.load_state_dict(ck["model_state"]))
        return lines
    want, got = run_both(run)
    assert got == want


# ---- Aladdin Persson: initialisation, math, indexing, reshaping ------------------------------

def test_tensor_initialisation_and_dtype_conversions():
    def run(L):
        lines, P = _printer()
        L.manual_seed(0)
        P(L.eye(5, 5), L.arange(start=0, end=5, step=1), L.linspace(start=0.1, end=1, steps=10),
          L.empty(size=(1, 5)).normal_(mean=0, std=1), L.empty(size=(1, 5)).uniform_(0, 1),
          L.diag(L.ones(3)), L.arange(0, 1, 0.1))
        t = L.arange(4)
        P(t.bool(), t.short(), t.long(), t.half(), t.float(), t.double(),
          L.tensor([65504.0, 70000.0, 1e-8]).half(), L.tensor([1.5, -2.7]).short())
        return lines
    want, got = run_both(run)
    assert got == want
    same_error_case(lambda L: L.empty(3).uniform_(1, 0))


def test_tensor_math_broadcasting_and_reductions():
    def run(L):
        lines, P = _printer()
        x, y = L.tensor([1, 2, 3]), L.tensor([9, 8, 7])
        z1 = L.empty(3)
        L.add(x, y, out=z1)
        t = L.zeros(3)
        t.add_(x)
        P(z1, L.true_divide(x, y), t, x ** 2, L.dot(x, y), L.eq(x, y), L.sort(y, descending=False))
        L.manual_seed(0)
        m = L.rand(5, 5)
        P(m.matrix_power(3), L.rand(5, 5) ** L.rand(1, 5), L.bmm(L.rand(2, 3, 4), L.rand(2, 4, 2)))
        P(L.max(x, dim=0), L.argmax(x, dim=0), L.mean(x.float(), dim=0), L.clamp(x, min=0, max=2),
          L.any(L.tensor([1, 0, 1], dtype=L.bool)), L.all(L.tensor([1, 0, 1], dtype=L.bool)))
        return lines
    want, got = run_both(run)
    assert got == want
    same_error_case(lambda L: L.mean(L.tensor([1, 2, 3]), dim=0))
    same_error_case(lambda L: L.rand(2, 3).matrix_power(2))


def test_indexing_fancy_masks_where_and_unique():
    def run(L):
        lines, P = _printer()
        L.manual_seed(0)
        x = L.rand((3, 5))
        P(x[L.tensor([1, 0]), L.tensor([4, 0])])
        x = L.arange(10)
        P(x[[2, 5, 8]], x[(x < 2) | (x > 8)], x[x.remainder(2) == 0], L.where(x > 5, x, x * 2),
          L.tensor([0, 0, 1, 2, 2, 3, 4]).unique(), x.ndimension(), x.numel(), L.where(x > 5))
        return lines
    want, got = run_both(run)
    assert got == want
    same_error_case(lambda L: L.arange(10)[L.arange(10) < 2 | L.arange(10) > 8])


def test_reshaping_view_permute_cat_squeeze():
    def run(L):
        lines, P = _printer()
        x = L.arange(9)
        y = x.view(3, 3).t()
        L.manual_seed(0)
        x1, x2 = L.rand((2, 5)), L.rand((2, 5))
        P(y, y.is_contiguous(), y.contiguous().view(9), L.cat((x1, x2), dim=1),
          L.rand((4, 2, 5)).permute(0, 2, 1).shape, L.arange(10).unsqueeze(0).unsqueeze(1).shape,
          L.arange(10).unsqueeze(0).unsqueeze(1).squeeze(1).shape)
        return lines
    want, got = run_both(run)
    assert got == want
    same_error_case(lambda L: L.arange(9).view(3, 3).t().view(9))
    same_error_case(lambda L: L.cat((L.rand(2, 5), L.rand(3, 4)), dim=0))


def test_dataloader_iterator_with_workers_and_the_old_dataiter_next():
    """Loeber's ``dataiter = iter(train_loader)`` with num_workers=2, then the Python 2
    ``dataiter.next()`` of older copies of the code: PyTorch's iterator class and error."""
    def loader(L, nw):
        return L.utils.data.DataLoader(list(range(6)), batch_size=2, num_workers=nw)
    for nw in (0, 2):
        same_error_case(lambda L, nw=nw: iter(loader(L, nw)).next())

        def run(L, nw=nw):
            it = iter(loader(L, nw))
            return type(it).__name__, hasattr(it, "next"), next(it).tolist(), len(it), \
                [b.tolist() for b in it]
        want, got = run_both(run)
        assert got == want
