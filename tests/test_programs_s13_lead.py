"""Session 13, lead: smaller PyTorch behaviours found while reviewing, compared live with
torch 2.13."""

import numpy as np
import pytest
from torch_compare import run_both

_B = np.bool_(True)


@pytest.mark.parametrize("data,dtype", [
    ([_B, 3], None), ([[_B], [2]], None), ([np.int64(2), _B], None),  # inferred int64
    ([_B], "int64"), ([_B], "int32"), ([_B], "uint8"),                   # asked for
    ([_B, 1.5], None), ([1.5, _B], None), ([_B, True], None), ([_B], None),  # fine in both
    ([_B], "float32"), ([3, 0], "bool"), ([True, 3], None),
])
def test_numpy_bools_in_integer_lists(data, dtype):
    """An integer result reads each element through __index__: NumPy's bool has none, so
    PyTorch refuses it (a Python bool is an int and passes); float and bool results take it."""
    def run(L):
        t = L.tensor(data, dtype=getattr(L, dtype) if dtype else None)
        return str(t.dtype), t.tolist()
    want, got = run_both(run)
    assert got == want


# ---- F.linear_cross_entropy / nn.LinearCrossEntropyLoss (new in PyTorch 2.13) ------------

import warnings  # noqa: E402

import ember  # noqa: E402
import torch  # noqa: E402


def _head(L, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    x, w, b = (L.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
               for s in ((6, 5), (7, 5), (7,)))
    return x, w, b, L.tensor(rng.integers(0, 7, 6))


def _loss_and_grads(L, kw, options):
    x, w, b, t = _head(L)
    if kw.pop("class_weight", False):
        kw["weight"] = L.tensor(np.linspace(0.5, 2, 7).astype(np.float32))
    if kw.pop("ignore_first", False):
        kw["ignore_index"] = int(t[0])
    opts = L.nn.LinearCrossEntropyOptions(**options) if options is not None else None
    loss = L.nn.functional.linear_cross_entropy(x, w, t, linear_bias=b, options=opts, **kw)
    (loss.sum() if loss.dim() else loss).backward()
    return (type(loss.grad_fn).__name__, str(loss.dtype), tuple(loss.shape),
            [a.detach().numpy() for a in (loss, x.grad, w.grad, b.grad)])


@pytest.mark.parametrize("options", [None, {}, {"batch_chunk_size": 2}])
@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                {"class_weight": True}, {"class_weight": True,
                                                         "ignore_first": True},
                                {"label_smoothing": 0.1}])
def test_linear_cross_entropy_matches_torch(kw, options):
    """The reference path (options=None) and the chunked one: PyTorch's grad_fn, dtype,
    shape; loss and gradients to float32 rounding (BLAS and summation order differ)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (label smoothing with options warns: tested below)
        want = _loss_and_grads(torch, dict(kw), options)
        got = _loss_and_grads(ember, dict(kw), options)
    assert got[:3] == want[:3]
    for g, w in zip(got[3], want[3]):
        np.testing.assert_allclose(g, w, rtol=2e-6, atol=2e-6)


def test_linear_cross_entropy_chunked_gradients_by_finite_differences():
    """The chunked node's gradients, computed in its forward, against float64 central
    differences (mean with class weights and an ignored row, and 'none')."""
    x, w, b, t = _head(ember, np.float64, seed=3)
    t = ember.tensor(np.array([0, 6, 3, -100, 2, 6]))
    cw = ember.tensor(np.linspace(0.5, 2, 7))
    opts = ember.nn.LinearCrossEntropyOptions(allow_retain_graph=True)
    F = ember.nn.functional
    for red in ("mean", "sum", "none"):
        def f(x, w, b):
            out = F.linear_cross_entropy(x, w, t, linear_bias=b, weight=cw, reduction=red,
                                         options=opts)
            return out * ember.tensor(np.linspace(1, 2, 6)) if red == "none" else out
        assert ember.autograd.gradcheck(f, (x, w, b))


def _chunked_twice(L, allow, retain):
    x, w, b, t = _head(L)
    opts = L.nn.LinearCrossEntropyOptions(allow_retain_graph=allow)
    loss = L.nn.functional.linear_cross_entropy(x, w, t, options=opts)
    loss.backward(retain_graph=retain)
    loss.backward()
    return x.grad.numpy().round(5).tolist()


@pytest.mark.parametrize("allow,retain", [(False, True), (True, True), (False, False)])
def test_linear_cross_entropy_second_backward(allow, retain):
    """The chunked path refuses a second backward unless allow_retain_graph (PyTorch's own
    words), and without retain_graph the usual 'second time' error."""
    want, got = run_both(lambda L: _chunked_twice(L, allow, retain))
    assert got == want


@pytest.mark.parametrize("case", [
    lambda L, x, w, b, t, O: L.nn.functional.linear_cross_entropy(x[0][None, None], w, t),
    lambda L, x, w, b, t, O: L.nn.functional.linear_cross_entropy(x, w[0], t),
    lambda L, x, w, b, t, O: L.nn.functional.linear_cross_entropy(x, w[:, :4], t),
    lambda L, x, w, b, t, O: L.nn.functional.linear_cross_entropy(x, w, t, linear_bias=b[:6]),
    lambda L, x, w, b, t, O: L.nn.functional.linear_cross_entropy(
        x[0], w.reshape(7, 1, 5), t),
    lambda L, x, w, b, t, O: L.nn.functional.linear_cross_entropy(
        x, w, L.softmax(x @ w.T, 1), ignore_index=3),
    lambda L, x, w, b, t, O: L.nn.functional.linear_cross_entropy(
        x, w, L.tensor([0, 1, 2, 3, 4, 9]), options=O()),
    lambda L, x, w, b, t, O: L.nn.functional.linear_cross_entropy(x, w.double(), t,
                                                                  options=O()),
    lambda L, x, w, b, t, O: L.nn.functional.linear_cross_entropy(
        x, w, t, options=O(batch_chunk_size=3, chunking_method="aspect_ratio")),
    lambda L, x, w, b, t, O: O(acc_policy="fast"),
    lambda L, x, w, b, t, O: O(batch_chunk_size=0),
    lambda L, x, w, b, t, O: O(chunking_method="aspect_ratio:0"),
    lambda L, x, w, b, t, O: O(acc_dtype=L.int64),
    lambda L, x, w, b, t, O: L.nn.LinearCrossEntropyLoss(5, 7, weight=L.ones(3)),
    lambda L, x, w, b, t, O: L.nn.LinearCrossEntropyLoss(5, 7, label_smoothing=1.5),
])
def test_linear_cross_entropy_errors(case):
    def run(L):
        x, w, b, t = _head(L)
        return case(L, x, w, b, t, L.nn.LinearCrossEntropyOptions)
    want, got = run_both(run)
    assert isinstance(want, tuple) and got == want


def _warned_options(L, make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = make(L)
    return [str(w.message) for w in caught], type(out.grad_fn).__name__


@pytest.mark.parametrize("make", [
    lambda L: L.nn.functional.linear_cross_entropy(
        *_head(L)[:2], _head(L)[3], label_smoothing=0.1,
        options=L.nn.LinearCrossEntropyOptions()),
    lambda L: L.nn.functional.linear_cross_entropy(
        *_head(L)[:2], L.softmax(_head(L)[0] @ _head(L)[1].T, 1),
        options=L.nn.LinearCrossEntropyOptions()),
    lambda L: L.nn.LinearCrossEntropyLoss(5, 7, out_features=(2,), bias=True,
                                          options=L.nn.LinearCrossEntropyOptions())(
        _head(L)[0], L.tensor(np.random.default_rng(1).integers(0, 7, (6, 2)))),
])
def test_linear_cross_entropy_options_fall_back_with_warning(make):
    want, got = run_both(lambda L: _warned_options(L, make))
    assert got == want


def _module(L):
    L.manual_seed(0)  # the head's Linear is initialised from PyTorch's generator
    m = L.nn.LinearCrossEntropyLoss(5, 7, out_features=(2, 3), bias=True)
    x = _head(L)[0]
    t = L.tensor(np.random.default_rng(2).integers(0, 7, (6, 2, 3)))
    loss = m(x, t)
    loss.backward()
    return (repr(m), list(m.state_dict()), tuple(m.linear.weight.shape),
            type(loss.grad_fn).__name__, round(loss.item(), 5),
            m.linear.weight.grad.numpy().round(5).tolist(), repr(m.options),
            repr(L.nn.LinearCrossEntropyOptions(batch_chunk_size=3, acc_dtype=L.float32)))


def test_linear_cross_entropy_module_matches_torch():
    """A K-dimensional head: repr, state_dict keys, flat weight, graph, loss and gradient."""
    want, got = run_both(_module)
    assert got == want


# ---- pointwise losses reduce in PyTorch's summation order --------------------------------

@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("n", [7, 64, 200, 1000])
def test_pointwise_loss_means_are_pytorchs_to_the_bit(name, n):
    """mean/sum of exact per-element losses: PyTorch's cascade order (_aten_sum.py), so a
    hand-written regression prints the same full-precision loss."""
    rng = np.random.default_rng(n)
    a, b = (rng.standard_normal((20, n)).astype(np.float32) for _ in range(2))

    def run(L):
        f = getattr(L.nn.functional, name)
        return [(f(L.tensor(x), L.tensor(y), reduction=r).numpy().tobytes())
                for x, y in zip(a, b) for r in ("mean", "sum")]
    want, got = run_both(run)
    assert got == want


def _thermometer(L):
    """The book/tutorial regression written by hand: w * x + b with 0-d parameters, MSE by
    hand, plain gradient-descent steps under no_grad (Deep Learning with PyTorch, ch. 5)."""
    rng = np.random.default_rng(0)
    X = L.tensor(rng.standard_normal(1000).astype(np.float32) * 30)
    Y = L.tensor(rng.standard_normal(1000).astype(np.float32) * 10)
    w, b = L.ones((), requires_grad=True), L.zeros((), requires_grad=True)
    losses = []
    for _ in range(50):
        loss = ((w * X + b - Y) ** 2).mean()
        w.grad = b.grad = None
        loss.backward()
        with L.no_grad():
            w -= 1e-4 * w.grad
            b -= 1e-4 * b.grad
        losses.append(loss.item())
    return losses, w.item(), b.item()


def test_hand_written_regression_follows_pytorch_to_the_bit():
    """The broadcast scalars' gradients are whole sums (the engine's sum_to_shape), added in
    PyTorch's order as its sum_to does: every printed loss and the final w, b are PyTorch's."""
    want, got = run_both(_thermometer)
    assert got == want
