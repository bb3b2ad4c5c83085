"""Conv1d/Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d against PyTorch 2.13 (values,
gradients of input, weight and bias, indices, repr, state_dict keys, errors) and float64
finite differences."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from nn_testutil import close, error_of, np_of, same_error

import ember
from ember.autograd import gradcheck, gradgradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(11)


def leaf(shape, dtype=np.float64):
    a = RNG.standard_normal(shape).astype(dtype)
    return ember.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def backward_both(ye, yt):
    g = RNG.standard_normal(tuple(yt.shape)).astype(yt.detach().numpy().dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))


# ---- convolution -------------------------------------------------------------------------
CONV2D = [
    ((2, 3, 6, 5), (4, 3, 3, 3), {}),
    ((2, 4, 7, 6), (6, 2, 3, 2), {"stride": 2, "padding": 1, "groups": 2}),
    ((1, 3, 7, 7), (4, 3, 3, 3), {"padding": "same", "dilation": 2}),
    ((2, 3, 5, 6), (2, 3, 2, 4), {"padding": "same"}),  # even kernel: extra padding after
    ((2, 4, 6, 6), (4, 1, 3, 3), {"groups": 4, "padding": (1, 0), "stride": (2, 1)}),
    ((3, 5, 5), (4, 3, 1, 3), {"stride": 2, "padding": "valid"}),  # unbatched
    ((0, 3, 4, 4), (2, 3, 3, 3), {}),  # empty batch
]


@pytest.mark.parametrize("xs,ws,kw", CONV2D)
def test_conv2d_matches_torch(xs, ws, kw):
    (xe, xt), (we, wt), (be, bt) = leaf(xs), leaf(ws), leaf(ws[:1])
    ye, yt = F.conv2d(xe, we, be, **kw), TF.conv2d(xt, wt, bt, **kw)
    close(ye, yt, 1e-12, 1e-12)
    backward_both(ye, yt)
    for e, t in ((xe, xt), (we, wt), (be, bt)):
        close(e.grad, t.grad, 1e-12, 1e-12)
    # (an unbatched input's node is SqueezeBackward1 in both)
    assert ye.grad_fn.name() == yt.grad_fn.name()


@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 4, 9), (6, 2, 3), {"stride": 2, "padding": 2, "dilation": 2, "groups": 2}),
    ((3, 8), (2, 3, 4), {"padding": "same"}),
])
def test_conv1d_matches_torch(xs, ws, kw):
    (xe, xt), (we, wt) = leaf(xs), leaf(ws)
    ye, yt = F.conv1d(xe, we, **kw), TF.conv1d(xt, wt, **kw)
    close(ye, yt, 1e-12, 1e-12)
    backward_both(ye, yt)
    close(xe.grad, xt.grad, 1e-12, 1e-12)
    close(we.grad, wt.grad, 1e-12, 1e-12)


def test_conv2d_gradcheck():
    x, w, b = (ember.tensor(RNG.standard_normal(s), requires_grad=True)
               for s in ((1, 4, 5, 4), (4, 2, 3, 2), (4,)))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
                     (x, w, b))
    assert gradcheck(lambda x, w: F.conv2d(x, w, dilation=(2, 1), padding="same", groups=2),
                     (x, w))


@pytest.mark.parametrize("n,kw", [(2, {"stride": 2, "padding": 1, "groups": 2}),
                                  (2, {"dilation": (1, 2), "padding": "same", "groups": 2}),
                                  (1, {"stride": 2, "padding": 1, "groups": 2})])
def test_conv_second_order(n, kw):
    """Second derivatives by finite differences, and torch's for a gradient penalty."""
    conv = F.conv2d if n == 2 else F.conv1d
    x, w, b = (ember.tensor(RNG.standard_normal(s), requires_grad=True)
               for s in ((1, 4, 5, 4)[:n + 2], (4, 2, 3, 2)[:n + 2], (4,)))
    fn = lambda x, w, b: conv(x, w, b, **kw) ** 2  # noqa: E731
    assert gradgradcheck(fn, (x, w, b))
    xt, wt, bt = (torch.tensor(np_of(t), requires_grad=True) for t in (x, w, b))
    tconv = TF.conv2d if n == 2 else TF.conv1d
    penalties = []
    for lib, conv_fn, args in ((ember, conv, (x, w, b)), (torch, tconv, (xt, wt, bt))):
        y = conv_fn(*args, **kw).tanh().sum()
        (gx,) = lib.autograd.grad(y, args[0], create_graph=True)
        (gx * gx).sum().backward()
        penalties.append([a.grad for a in args])
    for e, t in zip(*penalties):
        close(e, t, 1e-10, 1e-12)


@pytest.mark.parametrize("cls,args,kw", [
    ("Conv2d", (3, 8, 3), {}),
    ("Conv2d", (4, 6, (3, 2)), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2,
                                "bias": False}),
    ("Conv2d", (3, 4, 3), {"padding": "same", "padding_mode": "reflect"}),
    ("Conv2d", (3, 4, 3), {"padding": 1, "padding_mode": "circular"}),
    ("Conv2d", (3, 4, 2), {"padding": (1, 0), "padding_mode": "replicate"}),
    ("Conv1d", (3, 4, 3), {"padding": "valid"}),
    ("Conv1d", (2, 4, 3), {"padding": 2, "padding_mode": "reflect", "stride": 2}),
])
def test_conv_modules_match_torch(cls, args, kw):
    t_mod, e_mod = getattr(torch.nn, cls)(*args, **kw), getattr(ember.nn, cls)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    shape = (2, args[0], 6, 7) if cls == "Conv2d" else (2, args[0], 9)
    xe, xt = leaf(shape, np.float32)
    ye, yt = e_mod(xe), t_mod(xt)
    close(ye, yt, 1e-5, 1e-6)
    backward_both(ye, yt)
    close(xe.grad, xt.grad, 1e-5, 1e-5)
    close(e_mod.weight.grad, t_mod.weight.grad, 1e-5, 1e-5)


def test_conv_init_statistics():
    ember.manual_seed(0)
    m = ember.nn.Conv2d(8, 64, 3, groups=2)
    bound = 1 / math.sqrt(4 * 9)  # kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), ...)
    w = m.weight.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound / math.sqrt(3)
    assert np.abs(m.bias.detach().numpy()).max() <= bound


def test_conv_errors():
    w_e, w_t = ember.randn(8, 3, 3, 3), torch.randn(8, 3, 3, 3)
    cases = [((2, 3), {}, w_e, w_t), ((1, 4, 5, 5), {}, w_e, w_t), ((4, 5, 5), {}, w_e, w_t),
             ((1, 3, 2, 2), {}, w_e, w_t), ((1, 3, 5, 5), {"stride": 2, "padding": "same"},
                                            w_e, w_t),
             ((1, 3, 5, 5), {"padding": "foo"}, w_e, w_t),
             ((1, 3, 5, 5), {"stride": 0}, w_e, w_t), ((1, 3, 5, 5), {"padding": -1}, w_e, w_t),
             ((1, 3, 5, 5), {"stride": (1, 1, 1)}, w_e, w_t),
             ((1, 3, 5, 5), {"dilation": 0}, w_e, w_t), ((1, 3, 5, 5), {"groups": 0}, w_e, w_t),
             ((1, 6, 5, 5), {"groups": 3}, ember.randn(8, 2, 3, 3), torch.randn(8, 2, 3, 3)),
             ((1, 3, 5, 5), {}, ember.randn(8, 3, 3), torch.randn(8, 3, 3))]
    for shape, kw, we, wt in cases:
        x = np.zeros(shape, np.float32)
        same_error(lambda: F.conv2d(ember.tensor(x), we, **kw),
                   lambda: TF.conv2d(torch.tensor(x), wt, **kw))
    x = np.zeros((1, 3, 5, 5), np.float32)
    same_error(lambda: F.conv2d(ember.tensor(x), w_e, ember.zeros(7)),
               lambda: TF.conv2d(torch.tensor(x), w_t, torch.zeros(7)))
    for xd, wd, bd in (("float64", "float32", None), ("float32", "float64", None),
                       ("float32", "float32", "float64")):
        args = {lib: (lib.zeros(1, 3, 5, 5, dtype=getattr(lib, xd)),
                      lib.zeros(4, 3, 3, 3, dtype=getattr(lib, wd)),
                      None if bd is None else lib.zeros(4, dtype=getattr(lib, bd)))
                for lib in (ember, torch)}
        same_error(lambda: F.conv2d(*args[ember]), lambda: TF.conv2d(*args[torch]))
    x = np.zeros((1, 3, 2), np.float32)
    same_error(lambda: F.conv1d(ember.tensor(x), ember.randn(4, 3, 3)),
               lambda: TF.conv1d(torch.tensor(x), torch.randn(4, 3, 3)))
    for kw in ({"padding": "same", "stride": 2}, {"groups": 2}, {"groups": 0}):
        same_error(lambda: ember.nn.Conv2d(3, 8, 3, **kw), lambda: torch.nn.Conv2d(3, 8, 3, **kw))
    for kw in ({"padding": "foo"}, {"padding_mode": "bad"}):
        # These messages print a Python set, whose order varies from process to process
        # (in PyTorch's too): compare them with the set's items sorted.
        got = error_of(lambda: ember.nn.Conv2d(3, 8, 3, **kw))
        expected = error_of(lambda: torch.nn.Conv2d(3, 8, 3, **kw))
        assert (got[0], sorted_sets(got[1])) == (expected[0], sorted_sets(expected[1]))
    same_error(lambda: ember.nn.Conv2d(4, 6, 3, groups=4), lambda: torch.nn.Conv2d(4, 6, 3,
                                                                                  groups=4))


def sorted_sets(msg: str) -> str:
    return re.sub(r"\{([^}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}",
                  msg)


# ---- pooling ---------------------------------------------------------------------------------
MAX_POOL = [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (3, 2), "stride": 1, "padding": (1, 0), "dilation": (1, 2)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 2, "stride": 1, "return_indices": True},  # overlapping windows
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "return_indices": True},
]


@pytest.mark.parametrize("kw", MAX_POOL)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 5, 4)])
def test_max_pool2d_matches_torch(kw, shape):
    xe, xt = leaf(shape, np.float32)
    ye, yt = F.max_pool2d(xe, **kw), TF.max_pool2d(xt, **kw)
    if kw.get("return_indices"):
        (ye, ie), (yt, it) = ye, yt
        close(ie, it, 0, 0)
    close(ye, yt, 0, 0)
    backward_both(ye, yt)
    close(xe.grad, xt.grad, 1e-6, 1e-6)  # the gradient goes to each window's argmax
    assert ye.grad_fn.name() == yt.grad_fn.name()


def test_max_pool2d_ties_nan_and_inf():
    x = np.array([[[[1.0, 1.0, 0.0, -np.inf], [1.0, np.nan, -np.inf, -np.inf]]]], np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = F.max_pool2d(xe, 2, 1, return_indices=True), TF.max_pool2d(xt, 2, 1,
                                                                         return_indices=True)
    close(ye[0], yt[0], 0, 0)
    close(ye[1], yt[1], 0, 0)
    backward_both(ye[0], yt[0])
    close(xe.grad, xt.grad, 0, 0)


AVG_POOL = [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": (2, 3), "stride": (1, 2), "divisor_override": 4},
    {"kernel_size": 2, "ceil_mode": True},
]


@pytest.mark.parametrize("kw", AVG_POOL)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 5, 4)])
def test_avg_pool2d_matches_torch(kw, shape):
    xe, xt = leaf(shape, np.float32)
    ye, yt = F.avg_pool2d(xe, **kw), TF.avg_pool2d(xt, **kw)
    close(ye, yt, 1e-6, 1e-6)
    backward_both(ye, yt)
    close(xe.grad, xt.grad, 1e-6, 1e-6)
    assert ye.grad_fn.name() == yt.grad_fn.name()


@pytest.mark.parametrize("size", [1, (3, 2), (None, 4), (5, 7), 4])
def test_adaptive_avg_pool2d_matches_torch(size):
    xe, xt = leaf((2, 3, 7, 6), np.float32)
    ye, yt = F.adaptive_avg_pool2d(xe, size), TF.adaptive_avg_pool2d(xt, size)
    close(ye, yt, 1e-6, 1e-6)
    backward_both(ye, yt)
    close(xe.grad, xt.grad, 1e-6, 1e-6)
    assert ye.grad_fn.name() == yt.grad_fn.name()


def test_pool_gradcheck():
    x = ember.tensor(RNG.standard_normal((1, 2, 5, 6)), requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, True, False), (x,))
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 4)), (x,))
    for fn in (lambda f, x: f.max_pool2d(x, 3, 2, 1, ceil_mode=True),
               lambda f, x: f.max_pool2d(x[0], 2, 1),  # unbatched, overlapping windows
               lambda f, x: f.avg_pool2d(x, 3, 2, 1, True, False),
               lambda f, x: f.adaptive_avg_pool2d(x, (3, 4))):
        assert gradgradcheck(lambda x: fn(F, x) ** 2, (x,))
        # A gradient penalty through the pool agrees with torch's.
        xt = torch.tensor(np_of(x), requires_grad=True)
        grads = []
        for lib, f, a in ((ember, F, x), (torch, TF, xt)):
            a.grad = None
            (gx,) = lib.autograd.grad((fn(f, a) ** 3).sum(), a, create_graph=True)
            (gx * gx).sum().backward()
            grads.append(a.grad)
        close(*grads, 1e-10, 1e-12)


@pytest.mark.parametrize("cls,args,kw", [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((3, 2),), {"stride": 1, "padding": 1, "dilation": 2, "ceil_mode": True}),
    ("AvgPool2d", (2,), {}), ("AvgPool2d", (3, 2, 1, True, False, 2), {}),
    ("AdaptiveAvgPool2d", ((3, None),), {}), ("AdaptiveAvgPool2d", (1,), {}),
])
def test_pool_modules_match_torch(cls, args, kw):
    t_mod, e_mod = getattr(torch.nn, cls)(*args, **kw), getattr(ember.nn, cls)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    xe, xt = leaf((2, 3, 7, 6), np.float32)
    close(e_mod(xe), t_mod(xt), 1e-6, 1e-6)


def test_pool_errors():
    def both(fe, ft, shape):
        x = np.zeros(shape, np.float32)
        same_error(lambda: fe(ember.tensor(x)), lambda: ft(torch.tensor(x)))

    for name, kw in (("max_pool2d", {}), ("avg_pool2d", {})):
        fe, ft = getattr(F, name), getattr(TF, name)
        both(lambda x: fe(x, 3, padding=2, **kw), lambda x: ft(x, 3, padding=2, **kw),
             (1, 1, 3, 3))
        both(lambda x: fe(x, 3), lambda x: ft(x, 3), (1, 1, 2, 2))
        both(lambda x: fe(x, 2, stride=0), lambda x: ft(x, 2, stride=0), (1, 1, 4, 4))
        both(lambda x: fe(x, 2), lambda x: ft(x, 2), (3, 3))
    both(lambda x: F.adaptive_avg_pool2d(x, 2), lambda x: TF.adaptive_avg_pool2d(x, 2), (3, 3))
    xi = np.ones((1, 1, 4, 4), np.int64)
    same_error(lambda: F.adaptive_avg_pool2d(ember.tensor(xi), 2),
               lambda: TF.adaptive_avg_pool2d(torch.tensor(xi), 2))


def test_small_cnn_train_and_eval_match_torch():
    """A tutorial-style CNN: every parameter's gradient and the running stats agree."""
    def build(nn):
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, groups=2), nn.ReLU(),
                             nn.AvgPool2d(2), nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(),
                             nn.Linear(24, 5))

    t_net, e_net = build(torch.nn), build(ember.nn)
    e_net.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_net.state_dict().items()})
    for mode in ("train", "eval"):
        getattr(t_net, mode)(), getattr(e_net, mode)()
        x = RNG.standard_normal((3, 1, 10, 10)).astype(np.float32)
        ye, yt = e_net(ember.tensor(x)), t_net(torch.tensor(x))
        close(ye, yt, 1e-5, 1e-6)
        backward_both(ye, yt)
        for (name, p), (_, q) in zip(e_net.named_parameters(), t_net.named_parameters()):
            close(p.grad, q.grad, 1e-4, 1e-5)
    for (name, b), (_, c) in zip(e_net.named_buffers(), t_net.named_buffers()):
        close(b, c, 1e-6, 1e-7)


def test_integer_pools_and_conv_match_torch():
    x = np.arange(-8, 17).reshape(1, 1, 5, 5) * 3
    w = np.array([[[[1, -2], [3, 1]]]])
    for fn in (lambda f, lib: f.max_pool2d(lib.tensor(x), 3, 2, 1),
               lambda f, lib: f.avg_pool2d(lib.tensor(x), 3, 2, 1),  # truncates, as PyTorch
               lambda f, lib: f.avg_pool2d(lib.tensor(x), 2, count_include_pad=False),
               lambda f, lib: f.conv2d(lib.tensor(x), lib.tensor(w))):
        close(fn(F, ember), fn(TF, torch), 0, 0)
