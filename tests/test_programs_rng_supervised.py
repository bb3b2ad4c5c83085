"""Supervised-training programs (PyTorch's beginner tutorials and classic training scripts)
print the same numbers under ember as under PyTorch 2.13 after the same manual_seed: the
draws (data, default inits, DataLoader shuffles, random_split, dropout masks) are equal bit
for bit, and trained values agree to float32 rounding of the BLAS products (rtol 1e-5 over
a handful of steps). Each program runs under both libraries here, live."""

import math

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = (torch, ember)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


class _Drawn:
    """Values straight from the generator: compared bit for bit."""

    def __init__(self, t):
        self.a = _np(t)


def _same(a, b):
    np.testing.assert_array_equal(_np(a), _np(b))


# -- torch.random.fork_rng / thread_safe_generator ----------------------------------------

@pytest.mark.parametrize("enabled", [True, False])
def test_fork_rng_restores_the_default_stream(enabled):
    out = []
    for lib in LIBS:
        lib.manual_seed(4)
        with lib.random.fork_rng(devices=[], enabled=enabled):
            inside = lib.rand(5)
            lib.nn.functional.dropout(lib.ones(7), 0.5)
        out.append((inside, lib.rand(3), lib.randn(2)))
    for a, b in zip(*out):
        _same(a, b)


def test_thread_safe_generator_is_none_outside_thread_workers():
    assert ember.random.thread_safe_generator() is None and torch.random.thread_safe_generator() is None
    assert ember.thread_safe_generator() is None


# -- samplers on tensors that are not contiguous fill them in memory order ------------------

def _views(lib):
    return {"t": lib.zeros(9, 4).t(), "perm": lib.zeros(4, 3, 5).permute(2, 0, 1),
            "gaps": lib.zeros(6, 8)[:, ::2].t(), "big_t": lib.zeros(3, 20).t()}


SAMPLERS = {
    "uniform_": lambda t: t.uniform_(-2, 3),
    "normal_": lambda t: t.normal_(1.5, 2.0),
    "bernoulli_p": lambda t: t.bernoulli_(0.3),
    "random_": lambda t: t.random_(0, 11),
    "exponential_": lambda t: t.exponential_(2.0),
    "cauchy_": lambda t: t.cauchy_(),
    "log_normal_": lambda t: t.log_normal_(0.0, 0.5),
    "geometric_": lambda t: t.geometric_(0.3),
}


@pytest.mark.parametrize("view", ["t", "perm", "gaps", "big_t"])
@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_inplace_samplers_on_views_draw_in_memory_order(view, name):
    out = []
    for lib in LIBS:
        lib.manual_seed(11)
        t = _views(lib)[view]
        SAMPLERS[name](t)
        out.append((t, lib.rand(3), lib.randn(3)))
    for a, b in zip(*out):
        _same(a, b)


def test_bernoulli_tensor_p_on_views():
    out = []
    for lib in LIBS:
        lib.manual_seed(2)
        z = lib.zeros(8, 3).t()
        a = z.bernoulli_(lib.rand(8, 3).t()).clone()
        b = lib.bernoulli(lib.rand(8, 3).t())  # out-of-place: a contiguous result, C order
        c = lib.bernoulli(lib.full((8, 3), 0.5).t(), p=0.3)
        out.append((a, b, c, lib.rand(2)))
    for a, b in zip(*out):
        _same(a, b)


@pytest.mark.parametrize("fn", ["rand_like", "randn_like", "randint_like"])
def test_like_samplers_follow_the_input_layout(fn):
    out = []
    for lib in LIBS:
        lib.manual_seed(5)
        x = lib.ones(4, 3, 6).permute(2, 0, 1)
        args = (x, 9) if fn == "randint_like" else (x,)
        r = getattr(lib, fn)(*args)
        out.append((r, r.stride(), lib.rand(2)))
    for a, b in zip(*out):
        _same(a, b)


def test_rand_like_passes_requires_grad():
    for lib in LIBS:
        assert lib.rand_like(lib.ones(2, 3), requires_grad=True).requires_grad
        assert lib.randn_like(lib.ones(3, 2).t(), requires_grad=True).requires_grad


def test_init_on_a_transposed_view():
    out = []
    for lib in LIBS:
        lib.manual_seed(8)
        w = lib.empty(3, 10)
        lib.nn.init.normal_(w.t())
        w2 = lib.empty(4, 6)
        lib.nn.init.uniform_(w2.t(), -1, 1)
        out.append((w, w2, lib.rand(2)))
    for a, b in zip(*out):
        _same(a, b)


def test_dropout_masks_on_permuted_inputs():
    out = []
    for lib in LIBS:
        F = lib.nn.functional
        lib.manual_seed(21)
        x = lib.ones(2, 5, 3).transpose(1, 2)
        out.append((F.dropout(x, 0.4), F.alpha_dropout(lib.ones(5, 3).t(), 0.4, True),
                    lib.nn.Dropout(0.2)(lib.ones(4, 2, 8).transpose(0, 1)), lib.rand(3)))
    for a, b in zip(*out):
        _same(a, b)


def test_dropout_with_p_one_draws_nothing():
    out = []
    for lib in LIBS:
        lib.manual_seed(0)
        x = lib.ones(4, requires_grad=True)
        y = lib.nn.functional.dropout(x, p=1.0)
        y.sum().backward()
        out.append((y, x.grad, lib.rand(3)))
    for a, b in zip(*out):
        _same(a, b)


def test_transformer_encoder_layer_trains_with_torchs_masks():
    """batch_first self-attention returns a transposed tensor, so dropout1's mask follows its
    memory order; forward values then agree to float32 rounding."""
    out = []
    for lib in LIBS:
        lib.manual_seed(21)
        enc = lib.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1,
                                             batch_first=True)
        x = lib.randn(2, 4, 8)
        y = enc(x)
        y.pow(2).sum().backward()
        out.append((y, enc.linear1.weight.grad, lib.rand(3)))
    (ya, ga, ra), (yb, gb, rb) = out
    np.testing.assert_allclose(_np(ya), _np(yb), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(ga), _np(gb), rtol=1e-4, atol=1e-5)
    _same(ra, rb)


# -- whole programs ----------------------------------------------------------------------

def _quickstart(lib):
    """The Quickstart: random FashionMNIST-shaped data, shuffled DataLoader, MLP, SGD."""
    nn, data = lib.nn, lib.utils.data
    lib.manual_seed(0)
    X, y = lib.rand(256, 1, 28, 28), lib.randint(0, 10, (256,))
    dl = data.DataLoader(data.TensorDataset(X, y), batch_size=64, shuffle=True)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    losses, order = [], []
    for _ in range(2):
        for xb, yb in dl:
            loss = nn.CrossEntropyLoss()(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
            losses.append(loss.item())
            order.append(_np(yb))
    with lib.no_grad():
        acc = (model(X).argmax(1) == y).float().mean().item()
    return losses, order, acc, _Drawn(lib.rand(2))


def _polynomial(lib):
    """"Learning PyTorch with Examples": randn scalars, autograd, a custom Function."""
    lib.manual_seed(0)
    x = lib.linspace(-math.pi, math.pi, 200)
    y = lib.sin(x)

    class P3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            ctx.save_for_backward(inp)
            return 0.5 * (5 * inp ** 3 - 3 * inp)

        @staticmethod
        def backward(ctx, g):
            inp, = ctx.saved_tensors
            return g * 1.5 * (5 * inp ** 2 - 1)

    a, b, c, d = (lib.randn((), requires_grad=True) for _ in range(4))
    losses = []
    for _ in range(30):
        loss = (a + b * P3.apply(c + d * x) - y).pow(2).sum()
        loss.backward()
        with lib.no_grad():
            for p in (a, b, c, d):
                p -= 1e-5 * p.grad
                p.grad = None
        losses.append(loss.item())
    return losses, [p.item() for p in (a, b, c, d)]


def _cnn_bn_dropout(lib):
    """A CNN with BatchNorm, Dropout2d and Dropout, kaiming/xavier init, SGD with nesterov
    and weight decay, cosine schedule, gradient clipping."""
    nn, F = lib.nn, lib.nn.functional
    lib.manual_seed(1234)
    X, y = lib.randn(64, 3, 8, 8), lib.randint(0, 4, (64,))
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout2d(0.1), nn.Flatten(), nn.Linear(8 * 16, 32),
        nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 4))
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                        weight_decay=5e-4)
    sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)
    dl = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(X, y), batch_size=16,
                                   shuffle=True, drop_last=True)
    losses = []
    for _ in range(2):
        for xb, yb in dl:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            losses.append(loss.item())
        sched.step()
    return losses, _np(model[1].running_var), _Drawn(lib.rand(2))


def _regression(lib):
    """Regression: random_split, Adam with weight decay, StepLR, MSE."""
    nn, data = lib.nn, lib.utils.data
    lib.manual_seed(2024)
    X = lib.randn(200, 8)
    y = X @ lib.randn(8, 1) + 0.1 * lib.randn(200, 1)
    train, val = data.random_split(data.TensorDataset(X, y), [160, 40])
    dl = data.DataLoader(train, batch_size=32, shuffle=True)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = lib.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    losses = []
    for _ in range(3):
        for xb, yb in dl:
            loss = nn.MSELoss()(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        sched.step()
    return losses, list(train.indices), list(val.indices), _Drawn(lib.rand(2))


def _classification(lib):
    """Classification: multinomial labels, random_split by fractions with a generator,
    label-smoothed CrossEntropyLoss, Adam, BatchNorm1d and Dropout, WeightedRandomSampler."""
    nn, F, data = lib.nn, lib.nn.functional, lib.utils.data
    lib.manual_seed(99)
    labels = lib.multinomial(lib.tensor([0.4, 0.3, 0.2, 0.1]), 300, replacement=True)
    feats = lib.randn(4, 10)[labels] * 2 + lib.randn(300, 10)
    ds = data.TensorDataset(feats, labels)
    train, val, test = data.random_split(ds, [0.7, 0.2, 0.1],
                                         generator=lib.Generator().manual_seed(42))
    model = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3),
                          nn.Linear(32, 4))
    crit = nn.CrossEntropyLoss(label_smoothing=0.1)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(2):
        for xb, yb in data.DataLoader(train, batch_size=32, shuffle=True):
            loss = crit(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    w = 1.0 / lib.bincount(labels)[labels].float()
    drawn = list(data.WeightedRandomSampler(w, 20))
    return losses, list(test.indices), drawn, _Drawn(F.dropout(lib.ones(6), 0.5))


def _text_embeddingbag(lib):
    """Text classification: EmbeddingBag with offsets, uniform_ init, SGD lr 5,
    clip_grad_norm_ 0.1, a collate_fn."""
    nn, data = lib.nn, lib.utils.data
    lib.manual_seed(5)
    items = [(int(lib.randint(4, (1,))), lib.randint(0, 50, (int(lib.randint(3, 9, (1,))),)))
             for _ in range(96)]

    def collate(batch):
        lens = [len(t) for _, t in batch]
        offsets = lib.tensor([0] + lens[:-1]).cumsum(0)
        return lib.tensor([lab for lab, _ in batch]), lib.cat([t for _, t in batch]), offsets

    emb, fc = nn.EmbeddingBag(50, 16), nn.Linear(16, 4)
    emb.weight.data.uniform_(-0.5, 0.5)
    fc.weight.data.uniform_(-0.5, 0.5)
    fc.bias.data.zero_()
    params = list(emb.parameters()) + list(fc.parameters())
    opt = lib.optim.SGD(params, lr=5)
    losses = []
    for lab, text, off in data.DataLoader(items, batch_size=16, shuffle=True,
                                          collate_fn=collate):
        loss = nn.CrossEntropyLoss()(fc(emb(text, off)), lab)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 0.1)
        opt.step()
        losses.append(loss.item())
    return losses, _Drawn(lib.rand(2))


PROGRAMS = {"quickstart": _quickstart, "polynomial": _polynomial, "cnn": _cnn_bn_dropout,
            "regression": _regression, "classification": _classification,
            "text": _text_embeddingbag}


def _compare(a, b):
    if isinstance(a, _Drawn):
        np.testing.assert_array_equal(a.a, b.a)
    elif isinstance(a, (list, tuple)) and a and isinstance(a[0], (float, np.floating)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # trained: float32 rounding
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _compare(x, y)
    elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-6)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_prints_torchs_numbers(name):
    ref, got = PROGRAMS[name](torch), PROGRAMS[name](ember)
    _compare(ref, got)
