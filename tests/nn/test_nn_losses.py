"""Every loss against PyTorch 2.13: values, gradients (input, target), second-order
gradients, grad_fn names and error messages."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch

import ember
from nn_testutil import close, np_of, same_error

F_E, F_T = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(1234)
REDUCTIONS = ("mean", "sum", "none")


def _leaf(T, a, grad):
    rg = grad and a.dtype.kind == "f"
    return T.tensor(a.copy(), requires_grad=rg)


def compare(fn_name, arrays, grad_idx=(0,), rtol=1e-9, atol=1e-10, second_order=True,
            name_check=True, **kw):
    """Run F.<fn_name>(*arrays, **kw) in both libraries (kw values that are arrays become
    constant tensors) and compare the value, the grads of ``grad_idx`` inputs for a random
    upstream gradient, the grad_fn name and, optionally, a second-order gradient."""
    def run(T, F):
        args = [_leaf(T, a, i in grad_idx) for i, a in enumerate(arrays)]
        kws = {k: T.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        return args, getattr(F, fn_name)(*args, **kws)

    (ae, oe), (at, ot) = run(ember, F_E), run(torch, F_T)
    close(oe, ot, rtol, atol)
    if name_check:
        assert type(oe.grad_fn).__name__ == type(ot.grad_fn).__name__
    up = RNG.standard_normal(tuple(ot.shape))
    ge = ember.autograd.grad(oe, [ae[i] for i in grad_idx], ember.tensor(up),
                             create_graph=second_order)
    gt = torch.autograd.grad(ot, [at[i] for i in grad_idx], torch.tensor(up),
                             create_graph=second_order)
    for a, b in zip(ge, gt):
        close(a, b, rtol, atol)
    if second_order:
        v = [RNG.standard_normal(tuple(b.shape)) for b in gt]
        se = sum((a * ember.tensor(w)).sum() for a, w in zip(ge, v))
        st = sum((b * torch.tensor(w)).sum() for b, w in zip(gt, v))
        x_e, x_t = ae[grad_idx[0]], at[grad_idx[0]]
        (ht,) = torch.autograd.grad(st, [x_t], allow_unused=True) if st.requires_grad \
            else (None,)
        (he,) = ember.autograd.grad(se, [x_e], allow_unused=True) if se.requires_grad \
            else (None,)
        if ht is None or he is None:  # a gradient constant in x: no or a zero second grad
            for h in (he, ht):
                assert h is None or np.allclose(np_of(h), 0)
        else:
            close(he, ht, rtol * 10, atol * 10)
    return oe


# ---- cross entropy with class indices ---------------------------------------------------
SHAPES = {"2d": ((5, 4), (5,)), "1d": ((4,), ()), "3d": ((3, 4, 2), (3, 2)),
          "4d": ((2, 4, 2, 3), (2, 2, 3))}


def _targets(tshape, C, ignore):
    t = RNG.integers(0, C, size=tshape)
    if ignore is not None and t.size > 1:
        t.reshape(-1)[::3] = ignore
    return np.asarray(t, dtype=np.int64)


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [None, -100, 2])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_indices(shape, reduction, weighted, ignore, smoothing):
    xs, ts = SHAPES[shape]
    C = xs[0] if len(xs) == 1 else xs[1]
    x = RNG.standard_normal(xs) * 3
    t = _targets(ts, C, ignore)
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    if ignore is not None:
        kw["ignore_index"] = ignore
    if weighted:
        kw["weight"] = RNG.uniform(0.2, 2.0, C)
    compare("cross_entropy", [x, t], **kw)


def test_cross_entropy_float32_and_extreme_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [0.5, 0.25, -1e4]], np.float32)
    t = np.array([1, 1, 2])
    for red, eps in itertools.product(REDUCTIONS, (0.0, 0.1)):
        out = compare("cross_entropy", [x, t], rtol=1e-6, atol=1e-5, second_order=False,
                      reduction=red, label_smoothing=eps)
        assert np.all(np.isfinite(np_of(out)))
    compare("cross_entropy", [x[:, :2], np.array([0, 1, 0])], rtol=1e-6, atol=1e-5,
            second_order=False, weight=np.array([1.0, 3.0], np.float32))


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x, t = RNG.standard_normal((3, 4)), np.full(3, -100)
    out = compare("cross_entropy", [x, t], second_order=False)
    assert np.isnan(np_of(out))


@pytest.mark.parametrize("shape", ["2d", "1d", "3d"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probabilities(shape, reduction, weighted, smoothing):
    xs, _ = SHAPES[shape]
    C = xs[0] if len(xs) == 1 else xs[1]
    x = RNG.standard_normal(xs)
    axis = 0 if len(xs) == 1 else 1
    p = np.exp(RNG.standard_normal(xs))
    p /= p.sum(axis=axis, keepdims=True)
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    if weighted:
        kw["weight"] = RNG.uniform(0.2, 2.0, C)
    compare("cross_entropy", [x, p], grad_idx=(0, 1), **kw)


def test_cross_entropy_probability_weight_gradient():
    x, p, w = RNG.standard_normal((4, 3)), RNG.dirichlet(np.ones(3), 4), RNG.uniform(1, 2, 3)
    compare("cross_entropy", [x, p, w], grad_idx=(0, 1, 2))


# ---- nll ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [None, 1])
def test_nll_loss(shape, reduction, weighted, ignore):
    xs, ts = SHAPES[shape]
    C = xs[0] if len(xs) == 1 else xs[1]
    x = RNG.standard_normal(xs)
    kw = {"reduction": reduction}
    if ignore is not None:
        kw["ignore_index"] = ignore
    if weighted:
        kw["weight"] = RNG.uniform(0.2, 2.0, C)
    compare("nll_loss", [x, _targets(ts, C, ignore)], **kw)


# ---- binary cross-entropy -----------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, "row", "full"])
def test_binary_cross_entropy(reduction, weight):
    x = RNG.uniform(0.02, 0.98, (4, 3))
    x[0, 0], x[1, 1] = 0.0, 1.0  # the clamped logs
    y = RNG.uniform(0, 1, (4, 3))
    kw = {"reduction": reduction}
    if weight:
        kw["weight"] = RNG.uniform(0.5, 2, (3,) if weight == "row" else (4, 3))
    compare("binary_cross_entropy", [x, y], grad_idx=(0, 1), second_order=False, **kw)
    x[0, 0], x[1, 1] = 0.3, 0.6
    compare("binary_cross_entropy", [x, y], grad_idx=(0, 1), **kw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, "row"])
@pytest.mark.parametrize("pos_weight", [False, True])
def test_bce_with_logits(reduction, weight, pos_weight):
    x = RNG.standard_normal((4, 3)) * 4
    y = RNG.uniform(0, 1, (4, 3))
    kw = {"reduction": reduction}
    if weight:
        kw["weight"] = RNG.uniform(0.5, 2, (3,))
    if pos_weight:
        kw["pos_weight"] = RNG.uniform(0.5, 3, (3,))
    compare("binary_cross_entropy_with_logits", [x, y], grad_idx=(0, 1), **kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pos_weight", [False, True])
def test_bce_with_logits_extreme_logits(dtype, pos_weight):
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 80.0, -80.0], dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.0, 1.0], dtype)
    kw = {"pos_weight": np.full(7, 2.5, dtype)} if pos_weight else {}
    for red in REDUCTIONS:
        out = compare("binary_cross_entropy_with_logits", [x, y], grad_idx=(0, 1),
                      rtol=1e-6, atol=1e-6, second_order=False, reduction=red, **kw)
        assert np.all(np.isfinite(np_of(out)))


# ---- regression losses --------------------------------------------------------------------
def _regression_data():
    x = RNG.standard_normal((4, 5))
    y = RNG.standard_normal((4, 5))
    y[0, :3] = x[0, :3]                        # d = 0 exactly (sign(0) = 0)
    y[1, 0], y[1, 1] = x[1, 0] - 1.0, x[1, 1] + 0.5   # on the beta/delta boundaries
    return x, y


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fn,kw", [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 1.0}),
    ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}),
    ("huber_loss", {"delta": 1.0}), ("huber_loss", {"delta": 0.5}),
    ("huber_loss", {"delta": 2.5}),
])
def test_regression_losses(fn, kw, reduction):
    x, y = _regression_data()
    compare(fn, [x, y], grad_idx=(0, 1), reduction=reduction, **kw)


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_with_weight(fn, reduction):
    x, y = _regression_data()
    compare(fn, [x, y], grad_idx=(0, 1), reduction=reduction, name_check=False,
            weight=RNG.uniform(0.5, 2, x.shape))


def test_mse_broadcast_warning_and_float32():
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 1))
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[4, 1\]\)\)"):
        compare("mse_loss", [x, y], grad_idx=(0, 1))
    compare("mse_loss", [x.astype(np.float32), y[:, 0:1].astype(np.float32).repeat(3, 1)],
            grad_idx=(0, 1), rtol=1e-6, atol=1e-6)


def test_loss_modules_match_functional():
    x, t = RNG.standard_normal((6, 3)), RNG.integers(0, 3, 6)
    w = RNG.uniform(0.5, 2, 3)
    pairs = [
        ("CrossEntropyLoss", dict(weight=w, ignore_index=1, label_smoothing=0.1), t),
        ("NLLLoss", dict(weight=w, reduction="sum"), t),
        ("MSELoss", dict(reduction="none"), RNG.standard_normal((6, 3))),
        ("L1Loss", {}, RNG.standard_normal((6, 3))),
        ("SmoothL1Loss", dict(beta=0.3), RNG.standard_normal((6, 3))),
        ("HuberLoss", dict(delta=0.7), RNG.standard_normal((6, 3))),
        ("BCELoss", dict(weight=w), RNG.uniform(0, 1, (6, 3))),
        ("BCEWithLogitsLoss", dict(pos_weight=w, reduction="sum"), RNG.uniform(0, 1, (6, 3))),
    ]
    for name, kw, target in pairs:
        inp = 1 / (1 + np.exp(-x)) if name == "BCELoss" else x
        le = getattr(ember.nn, name)(**{k: ember.tensor(v) if isinstance(v, np.ndarray) else v
                                        for k, v in kw.items()})
        lt = getattr(torch.nn, name)(**{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                        for k, v in kw.items()})
        close(le(ember.tensor(inp), ember.tensor(target)),
              lt(torch.tensor(inp), torch.tensor(target)), 1e-10, 1e-12)
        assert list(le.state_dict()) == list(lt.state_dict())


def test_legacy_size_average_and_reduce():
    x, y = RNG.standard_normal(4), RNG.standard_normal(4)
    for sa, rd in [(False, None), (None, False), (True, True)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = F_E.mse_loss(ember.tensor(x), ember.tensor(y), size_average=sa, reduce=rd)
            t = F_T.mse_loss(torch.tensor(x), torch.tensor(y), size_average=sa, reduce=rd)
        close(e, t)


# ---- errors --------------------------------------------------------------------------------
ERRORS = [
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.randn(3)),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.randn(4)),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.randn(3, 4)),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.tensor([0, 5, 1])),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.tensor([0, -1, 1])),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.tensor([0, 1])),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.tensor([0, 1, 2]).int()),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.tensor([[0, 1, 2]])),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.softmax(T.randn(3, 5), 1), ignore_index=1),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.tensor([0, 1, 2]), weight=T.ones(4)),
    lambda T, F: F.cross_entropy(T.randn(3, 5, 2), T.tensor([0, 1, 2])),
    lambda T, F: F.cross_entropy(T.randn(3), T.tensor([0, 1, 2])),
    lambda T, F: F.cross_entropy(T.randn(2, 3, 4, 5), T.zeros(2, 4).long()),
    lambda T, F: F.cross_entropy(T.randn(2, 3, 4, 5), T.zeros(2, 4, 6).long()),
    lambda T, F: F.cross_entropy(T.randn(5), T.tensor([1, 2])),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.tensor(1)),
    lambda T, F: F.cross_entropy(T.randn(3, 5), [1, 2, 3]),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.tensor([0, 1, 2]), label_smoothing=1.5),
    lambda T, F: F.cross_entropy(T.randn(3, 5), T.tensor([0, 1, 2]), reduction="foo"),
    lambda T, F: F.cross_entropy(T.randn(3, 2), T.tensor([0, 1, 0]),
                                 weight=T.ones(2, requires_grad=True)),
    lambda T, F: F.nll_loss(T.randn(3, 5), T.tensor([0, 5, 1])),
    lambda T, F: F.nll_loss(T.randn(5), T.tensor(5)),
    lambda T, F: F.binary_cross_entropy(T.rand(3), T.rand(3, 1)),
    lambda T, F: F.binary_cross_entropy(T.rand(3) + 1, T.rand(3)),
    lambda T, F: F.binary_cross_entropy(T.rand(3), T.tensor([0, 1, 1])),
    lambda T, F: F.binary_cross_entropy_with_logits(T.rand(3), T.rand(3, 1)),
    lambda T, F: F.binary_cross_entropy_with_logits(
        T.rand(3), T.rand(3), pos_weight=T.ones(3, requires_grad=True)),
    lambda T, F: F.mse_loss(T.randn(3, 5), T.randn(4, 1)),
    lambda T, F: F.mse_loss(T.tensor([1, 2]), T.tensor([1, 3])),
    lambda T, F: F.mse_loss(T.randn(3), T.randn(3), weight=T.ones(2)),
    lambda T, F: F.l1_loss(T.randn(3), T.randn(3), reduction="foo"),
    lambda T, F: F.smooth_l1_loss(T.randn(3), T.randn(3), beta=-1),
    lambda T, F: F.huber_loss(T.randn(3), T.randn(3), delta=0),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_loss_errors_match_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: ERRORS[case](ember, F_E), lambda: ERRORS[case](torch, F_T))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_smooth_l1_default_beta_gradients_are_pytorchs_bits(reduction, dtype):
    """beta = 1 takes a clamp of d in backward: torch's gradients bit for bit, on d = 0,
    +-1 exactly, just inside and outside them, inf and nan, for both inputs."""
    rng = np.random.default_rng(9)
    x = (rng.standard_normal(64) * 2).astype(dtype)
    y = (rng.standard_normal(64) * 2).astype(dtype)
    one = np.array(1, dtype)
    y[:8] = x[:8] - np.array([0, 1, -1, np.nextafter(one, 0), -np.nextafter(one, 2), np.inf,
                              -np.inf, np.nan], dtype)
    grads = []
    for T in (ember, torch):
        xt, yt = T.tensor(x, requires_grad=True), T.tensor(y, requires_grad=True)
        loss = T.nn.functional.smooth_l1_loss(xt, yt, reduction=reduction)
        loss.backward(T.ones_like(loss) * 0.75)
        grads.append([xt.grad.numpy(), yt.grad.numpy()])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))
