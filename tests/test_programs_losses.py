"""Loss programs run under ember and live PyTorch 2.13: values, input gradients, errors'
first lines and warnings must agree (findings of the losses sweep)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember


def _run(lib, fn):
    """fn(lib) -> loss; returns ('ok', value, grads) or ('err', type name, first line)."""
    try:
        return ("ok",) + fn(lib)
    except Exception as e:  # noqa: BLE001 - the comparison is of the error itself
        return ("err", type(e).__name__, str(e).splitlines()[0])


def _loss_and_grad(lib, make, *arrays):
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    loss = make(lib, *xs)
    loss.sum().backward()
    return loss.detach().numpy(), [x.grad.numpy() for x in xs]


def _same(fn, rtol=1e-6, atol=1e-12):
    a, b = _run(ember, fn), _run(torch, fn)
    assert a[0] == b[0], (a, b)
    if a[0] == "err":
        assert a[1:] == b[1:]
        return
    np.testing.assert_allclose(a[1], b[1], rtol=rtol, atol=atol)
    for ga, gb in zip(a[2], b[2]):
        np.testing.assert_allclose(ga, gb, rtol=rtol, atol=atol)


rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5))
P = rng.random((4, 5))
W = rng.random(5)
T = np.array([1, 0, 4, 2])


@pytest.mark.parametrize("ls", [-0.1, -1.5, 0.0, 0.3, 1.0, 1.1])
@pytest.mark.parametrize("kind", ["index", "index_weight", "index_ignore", "prob", "prob_w"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_label_smoothing_range(ls, kind, reduction):
    """PyTorch rejects only label_smoothing > 1; a negative one means no smoothing."""
    def make(L, x):
        w = L.tensor(W) if kind in ("index_weight", "prob_w") else None
        if kind.startswith("prob"):
            t = L.tensor(P)
        else:
            t = L.tensor(np.where(np.arange(4) == 1, -100, T) if kind == "index_ignore" else T)
        return L.nn.functional.cross_entropy(x, t, weight=w, label_smoothing=ls,
                                             reduction=reduction)
    _same(lambda L: _loss_and_grad(L, make, X), rtol=1e-12)
    _same(lambda L: _loss_and_grad(L, make, X.astype(np.float32)), rtol=1e-5, atol=1e-6)


def test_cross_entropy_loss_module_negative_label_smoothing():
    def make(L, x):
        return L.nn.CrossEntropyLoss(label_smoothing=-0.2)(x, L.tensor(T))
    _same(lambda L: _loss_and_grad(L, make, X), rtol=1e-12)


def test_binary_cross_entropy_weight_not_broadcastable():
    def make(L, x):
        return L.nn.functional.binary_cross_entropy(x, L.tensor(P), weight=L.tensor(W[:4]))
    _same(lambda L: _loss_and_grad(L, make, P))


@pytest.mark.parametrize("wshape", [(5,), (4, 1), (1, 5), (4, 5)])
def test_binary_cross_entropy_weight_broadcasts(wshape):
    w = rng.random(wshape)

    def make(L, x):
        return L.nn.functional.binary_cross_entropy(x, L.tensor(P[::-1].copy()), L.tensor(w))
    _same(lambda L: _loss_and_grad(L, make, P), rtol=1e-12)


def test_bce_with_logits_pos_weight_not_broadcastable():
    def make(L, x):
        return L.nn.functional.binary_cross_entropy_with_logits(
            x, L.tensor(P), pos_weight=L.tensor(W[:4]))
    _same(lambda L: _loss_and_grad(L, make, X))


@pytest.mark.parametrize("margin", [0.0, -1.0, 0.5])
def test_triplet_margin_loss_margin_must_be_positive(margin):
    def make(L, a):
        return L.nn.functional.triplet_margin_loss(a, L.tensor(P), L.tensor(X[::-1].copy()),
                                                   margin=margin)
    _same(lambda L: _loss_and_grad(L, make, X), rtol=1e-12)

    def make_mod(L, a):
        return L.nn.TripletMarginLoss(margin=margin)(a, L.tensor(P), L.tensor(X[::-1].copy()))
    _same(lambda L: _loss_and_grad(L, make_mod, X), rtol=1e-12)


def test_multi_margin_loss_weight_requiring_grad_is_an_error():
    def make(L, x):
        w = L.tensor(W, requires_grad=True)
        return L.nn.functional.multi_margin_loss(x, L.tensor(T), weight=w)
    _same(lambda L: _loss_and_grad(L, make, X))

    def make_ng(L, x):  # under no_grad the weight's requires_grad does not matter
        with L.no_grad():
            out = L.nn.functional.multi_margin_loss(x, L.tensor(T),
                                                    weight=L.tensor(W, requires_grad=True))
        return out + x.sum() * 0
    _same(lambda L: _loss_and_grad(L, make_ng, X), rtol=1e-12)


def _warnings_of(lib, fn):
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        fn(lib)
    return [(w.category.__name__, str(w.message), w.filename) for w in got]


def test_nllloss2d_is_deprecated():
    def make(L):
        m = L.nn.NLLLoss2d(ignore_index=1)

        class Sub(L.nn.NLLLoss2d):
            pass

        Sub()  # warned once, when subclassed
        return m

    assert _warnings_of(ember, make) == _warnings_of(torch, make)
    assert len(_warnings_of(torch, make)) == 2
    x = rng.standard_normal((2, 3, 4, 4))
    t = rng.integers(0, 3, (2, 4, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(lambda L: _loss_and_grad(L, lambda L, a: L.nn.NLLLoss2d()(a, L.tensor(t)), x),
              rtol=1e-12)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("other", [1.0, [1.0], 2])
def test_pointwise_losses_non_tensor_argument(name, other):
    def tgt(L):
        return getattr(L.nn.functional, name)(L.tensor(X), other)

    def inp(L):
        return getattr(L.nn.functional, name)(other, L.tensor(X))
    for fn in (tgt, inp):
        assert _run(ember, lambda L: (fn(L), [])) == _run(torch, lambda L: (fn(L), []))


@pytest.mark.parametrize("var", [1, -2, True])
def test_gaussian_nll_loss_non_float_var(var):
    def fn(L):
        return L.nn.functional.gaussian_nll_loss(L.tensor(X), L.tensor(P), var), []
    assert _run(ember, fn) == _run(torch, fn)


def test_ctc_loss_half_is_not_implemented():
    lp = np.log(np.full((5, 2, 4), 0.25))

    def fn(L):
        return L.nn.functional.ctc_loss(L.tensor(lp).half(), L.tensor([[1, 2], [1, 1]]),
                                        [5, 5], [2, 2]), []
    assert _run(ember, fn) == _run(torch, fn)
    assert _run(torch, fn)[0] == "err"


@pytest.mark.parametrize("wdtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_probabilities_weight_dtype(wdtype, reduction):
    def fn(L):
        x = L.tensor(X.astype(np.float32), requires_grad=True)
        w = L.tensor(W).to(getattr(L, wdtype))
        loss = L.nn.functional.cross_entropy(x, L.tensor(P.astype(np.float32)), weight=w,
                                             reduction=reduction)
        loss.sum().backward()
        return (str(loss.dtype), loss.detach().double().numpy()), [x.grad.numpy()]
    a, b = _run(ember, fn), _run(torch, fn)
    assert a[1][0] == b[1][0]
    np.testing.assert_allclose(a[1][1], b[1][1], rtol=1e-3 if wdtype == "float16" else 1e-6)
    np.testing.assert_allclose(a[2][0], b[2][0], rtol=1e-3 if wdtype == "float16" else 1e-6,
                               atol=1e-7)
