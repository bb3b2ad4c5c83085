"""F.ctc_loss and nn.CTCLoss against PyTorch 2.13 (values, gradients, errors) and float64
finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import close, same_error

import ember
from ember.autograd import gradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(31)


def lengths(lib, values, as_tensor):
    return lib.tensor(values) if as_tensor else tuple(values)


def compare(x, targets, in_lens, tg_lens, *, softmax=True, tensor_lens=False, rtol=1e-6,
            **kw):
    """Loss and d loss / d x (x fed through log_softmax, or raw) in both libraries."""
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    axis = x.ndim - 1
    lpe = xe.log_softmax(axis) if softmax else xe
    lpt = xt.log_softmax(axis) if softmax else xt
    ye = F.ctc_loss(lpe, ember.tensor(targets), lengths(ember, in_lens, tensor_lens),
                    lengths(ember, tg_lens, tensor_lens), **kw)
    yt = TF.ctc_loss(lpt, torch.tensor(targets), lengths(torch, in_lens, tensor_lens),
                     lengths(torch, tg_lens, tensor_lens), **kw)
    close(ye, yt, rtol, 1e-6)
    assert tuple(ye.shape) == tuple(yt.shape)
    g = RNG.standard_normal(tuple(yt.shape)).astype(x.dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    close(xe.grad, xt.grad, rtol, 1e-6)
    return ye


def batch(t=8, n=3, c=5, s=4, dtype=np.float64):
    x = RNG.standard_normal((t, n, c)).astype(dtype)
    targets = RNG.integers(1, c, (n, s))
    return x, targets


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("softmax", [True, False])
def test_padded_targets(reduction, softmax):
    x, tg = batch()
    tg[0, 1] = tg[0, 0]  # a repeated label needs a blank between its copies
    compare(x, tg, (8, 6, 5), (4, 2, 1), softmax=softmax, reduction=reduction)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_concatenated_targets_and_tensor_lengths(reduction):
    x, _ = batch(t=7, n=3, c=4)
    tg_lens = (3, 1, 2)
    flat = RNG.integers(1, 4, sum(tg_lens))
    flat[1] = flat[0]
    compare(x, flat, (7, 5, 6), tg_lens, reduction=reduction)
    compare(x, flat, (7, 5, 6), tg_lens, reduction=reduction, tensor_lens=True)


def test_float32_and_blank_in_the_middle():
    x, tg = batch(t=10, n=2, c=6, s=3, dtype=np.float32)
    tg[tg == 2] = 3
    compare(x, tg, (10, 9), (3, 2), blank=2, rtol=1e-4)
    compare(x, tg, (10, 9), (3, 2), blank=5, reduction="none", rtol=1e-4)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_unbatched(reduction):
    x = RNG.standard_normal((6, 4))
    tg = np.array([1, 3, 3])
    compare(x, tg, (6,), (3,), reduction=reduction, tensor_lens=True)
    compare(x, tg, (6,), (3,), reduction=reduction)
    compare(x, tg[None], (5,), (2,), reduction=reduction)


def test_empty_targets_and_zero_lengths():
    x, tg = batch(t=5, n=3, c=4, s=2)
    compare(x, tg, (5, 0, 3), (0, 0, 2), reduction="none")
    compare(x, tg, (5, 2, 3), (0, 1, 2), reduction="mean")


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_impossible_alignments(zero_infinity, reduction):
    x, _ = batch(t=6, n=3, c=4)
    tg = np.array([[1, 1, 1], [1, 2, 3], [2, 1, 2]])
    kw = dict(reduction=reduction, zero_infinity=zero_infinity)
    ye = compare(x, tg, (4, 2, 6), (3, 3, 3), **kw)  # 1,1,1 needs 5 frames; 1,2,3 needs 3
    if not zero_infinity:
        assert np.isinf(ye.detach().numpy()).any()


def test_module_matches_functional():
    x, tg = batch()
    for kw in ({}, {"blank": 4, "reduction": "sum"}, {"zero_infinity": True}):
        tg_k = np.where(tg == kw.get("blank", 0), 1, tg)
        me, mt = ember.nn.CTCLoss(**kw), torch.nn.CTCLoss(**kw)
        lp = RNG.standard_normal((8, 3, 5))
        ye = me(ember.tensor(lp).log_softmax(2), ember.tensor(tg_k), (8, 3, 8), (4, 2, 3))
        yt = mt(torch.tensor(lp).log_softmax(2), torch.tensor(tg_k), (8, 3, 8), (4, 2, 3))
        close(ye, yt)
    assert repr(ember.nn.CTCLoss()) == repr(torch.nn.CTCLoss())


def test_grad_fn_names():
    x, tg = batch()
    lp = ember.tensor(x, requires_grad=True)
    y = F.ctc_loss(lp, ember.tensor(tg), (8, 8, 8), (4, 4, 4), reduction="none")
    assert type(y.grad_fn).__name__ == "CtcLossBackward0"


@pytest.mark.parametrize("concat", [False, True])
def test_finite_differences(concat):
    x, tg = batch(t=5, n=2, c=3, s=2)
    tg[1] = [2, 2]
    targets = ember.tensor(tg.reshape(-1) if concat else tg)

    def f(a):
        return F.ctc_loss(a.log_softmax(2), targets, (5, 4), (2, 2), reduction="none")

    assert gradcheck(f, (ember.tensor(x, requires_grad=True),))


def error_cases(lib):
    lp = lib.tensor(RNG.standard_normal((6, 2, 4))).log_softmax(2)
    tg = lib.tensor([[1, 2, 3], [3, 2, 1]])
    fn = (F if lib is ember else TF).ctc_loss
    return [
        lambda: fn(lp, tg, (6, 6), (3, 7)),
        lambda: fn(lp, tg, (7, 6), (3, 3)),
        lambda: fn(lp, tg, (6,), (3, 3)),
        lambda: fn(lp, tg, (6, 6), (3,)),
        lambda: fn(lp, tg, (-1, 6), (3, 3)),
        lambda: fn(lp, tg, (6, 6), (-1, 3)),
        lambda: fn(lp, tg, (6, 6), (3, 3), blank=4),
        lambda: fn(lp, tg, (6, 6), (3, 3), blank=-1),
        lambda: fn(lp.int(), tg, (6, 6), (3, 3)),
        lambda: fn(lp, tg, (6, 6), (3, 3), reduction="foo"),
        lambda: fn(lp, tg[:1], (6, 6), (3, 3)),
        lambda: fn(lp, tg.flatten(), (6, 6), (3, 4)),
        lambda: fn(lp, tg, lib.tensor([6.0, 6.0]), lib.tensor([3.0, 3.0])),
        lambda: fn(lp, tg, lib.tensor([6, 6]), (3, 3)),
        lambda: fn(lp, tg, 6, 3),
    ]


def test_errors():
    for fe, ft in zip(error_cases(ember), error_cases(torch)):
        same_error(fe, ft)


def test_double_backward_errors_like_torch():
    x, tg = batch(t=5, n=2, c=4, s=2)
    errors = []
    for lib, fn in ((ember, F.ctc_loss), (torch, TF.ctc_loss)):
        a = lib.tensor(x, requires_grad=True)
        loss = fn(a.log_softmax(2), lib.tensor(tg), (5, 4), (2, 1))
        (g,) = lib.autograd.grad(loss, a, create_graph=True)
        errors.append(lambda g=g: g.sum().backward())
    same_error(*errors)


def test_create_graph_first_order_matches_torch():
    x, tg = batch(t=5, n=2, c=4, s=2)
    grads = []
    for lib, fn in ((ember, F.ctc_loss), (torch, TF.ctc_loss)):
        a = lib.tensor(x, requires_grad=True)
        loss = fn(a.log_softmax(2), lib.tensor(tg), (5, 4), (2, 1), reduction="sum")
        grads.append(lib.autograd.grad(loss, a, create_graph=True)[0])
    close(*grads)
