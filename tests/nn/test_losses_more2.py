"""gaussian_nll, soft_margin, multi_margin, multilabel_margin, multilabel_soft_margin and
triplet_margin_with_distance losses (F. and nn.) against PyTorch 2.13 and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import close, same_error

import ember
from ember.autograd import gradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(23)


def run(name, arrays, grads, *args, **kw):
    """F.name vs torch on the same arrays; gradients of the float ones in ``grads``."""
    es = [ember.tensor(a, requires_grad=i in grads) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=i in grads) for i, a in enumerate(arrays)]
    ye, yt = getattr(F, name)(*es, *args, **kw), getattr(TF, name)(*ts, *args, **kw)
    close(ye, yt, 1e-5, 1e-6)
    g = RNG.standard_normal(tuple(yt.shape)).astype(yt.detach().numpy().dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for i in grads:
        close(es[i].grad, ts[i].grad, 1e-5, 1e-6)


def f32(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("vshape", [(4, 3), (4,), (4, 1)])
def test_gaussian_nll(reduction, vshape):
    var = np.abs(f32(*vshape)) + 0.1
    var.flat[0] = 1e-9  # below eps: clamped, its gradient passes through
    for full in (False, True):
        run("gaussian_nll_loss", [f32(4, 3), f32(4, 3), var], (0, 1, 2), full=full,
            eps=1e-4, reduction=reduction)
    x = ember.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    v = ember.tensor(np.abs(RNG.standard_normal(vshape)) + 0.5, requires_grad=True)
    assert gradcheck(lambda a, b: F.gaussian_nll_loss(a, a * 0.5, b, reduction=reduction),
                     (x, v))


def test_gaussian_nll_float_var_and_errors():
    x, y = f32(4, 3), f32(4, 3)
    close(F.gaussian_nll_loss(ember.tensor(x), ember.tensor(y), 0.5),
          TF.gaussian_nll_loss(torch.tensor(x), torch.tensor(y), 0.5), 1e-6)
    for var, kw in [(np.ones((4, 2)), {}), (-np.ones((4, 3)), {}), (np.ones((4, 3)),
                    dict(reduction="bad")), (np.ones((1, 1)), {})]:
        v = var.astype(np.float32)
        same_error(lambda: F.gaussian_nll_loss(ember.tensor(x), ember.tensor(y),
                                               ember.tensor(v), **kw),
                   lambda: TF.gaussian_nll_loss(torch.tensor(x), torch.tensor(y),
                                                torch.tensor(v), **kw))
    same_error(lambda: F.gaussian_nll_loss(ember.tensor(x), ember.tensor(y), -1.0),
               lambda: TF.gaussian_nll_loss(torch.tensor(x), torch.tensor(y), -1.0))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_soft_margin_and_multilabel_soft_margin(reduction):
    sign = np.sign(f32(4, 5)).astype(np.float32)
    run("soft_margin_loss", [f32(4, 5), sign], (0,), reduction=reduction)
    run("soft_margin_loss", [f32(4, 5), sign[0]], (0,), reduction=reduction)
    xs = f32(4, 5)
    same_error(lambda: F.soft_margin_loss(ember.tensor(xs), ember.tensor(xs, requires_grad=True)),
               lambda: TF.soft_margin_loss(torch.tensor(xs), torch.tensor(xs, requires_grad=True)))
    labels = (f32(4, 5) > 0).astype(np.float32)
    run("multilabel_soft_margin_loss", [f32(4, 5), labels], (0, 1), reduction=reduction)
    run("multilabel_soft_margin_loss", [f32(5), labels[0]], (0,), reduction=reduction)
    run("multilabel_soft_margin_loss", [f32(4, 5), labels, np.abs(f32(5))], (0, 2),
        reduction=reduction)
    x = ember.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda a: F.soft_margin_loss(a, ember.tensor(sign[:3, :4].astype(float)),
                                                  reduction=reduction), (x,))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin(reduction, p):
    y = np.array([0, 2, 4, 1])
    run("multi_margin_loss", [f32(4, 5), y], (0,), p, 0.7, reduction=reduction)
    run("multi_margin_loss", [f32(5), np.array(3)], (0,), p, reduction=reduction)
    run("multi_margin_loss", [f32(5), np.array([3])], (0,), p, reduction=reduction)
    w = np.abs(f32(5))
    es = [ember.tensor(f32(4, 5)), ember.tensor(y)]
    ye = F.multi_margin_loss(*es, p, 1.2, ember.tensor(w), reduction=reduction)
    yt = TF.multi_margin_loss(*(torch.tensor(e.numpy()) for e in es), p, 1.2, torch.tensor(w),
                              reduction=reduction)
    close(ye, yt, 1e-5, 1e-6)
    x = ember.tensor(RNG.standard_normal((4, 5)), requires_grad=True)
    assert gradcheck(lambda a: F.multi_margin_loss(a, ember.tensor(y), p, 0.3,
                                                   ember.tensor(w.astype(float)),
                                                   reduction=reduction), (x,))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin(reduction):
    t = np.array([[0, 2, -1, 1, 0], [1, -1, 0, 0, 0], [4, 3, 2, 1, 0], [-1, 0, 0, 0, 0]])
    run("multilabel_margin_loss", [f32(4, 5), t], (0,), reduction=reduction)
    run("multilabel_margin_loss", [f32(5), t[0]], (0,), reduction=reduction)
    run("multilabel_margin_loss", [f32(4, 5), np.array([[1, 1, -1, 3, 9]] * 4) % 5], (0,),
        reduction=reduction)
    x = ember.tensor(RNG.standard_normal((4, 5)), requires_grad=True)
    assert gradcheck(lambda a: F.multilabel_margin_loss(a, ember.tensor(t),
                                                        reduction=reduction), (x,))


def test_margin_loss_errors():
    x, y = f32(4, 5), np.array([0, 2, 4, 1])
    t = np.array([[0, 2, -1, 1, 0]] * 4)
    cases = [("multi_margin_loss", (x, y[:3]), {}), ("multi_margin_loss", (x, y + 5), {}),
             ("multi_margin_loss", (x, y - 1), {}), ("multi_margin_loss", (x, y * 1.0), {}),
             ("multi_margin_loss", (x[None], y), {}), ("multi_margin_loss", (x, y[:, None]), {}),
             ("multi_margin_loss", (x, y), dict(p=3)),
             ("multi_margin_loss", (x, y, 1, 1.0, np.ones(4, np.float32)), {}),
             ("multi_margin_loss", (x, y, 1, 1.0, np.ones((5, 1), np.float32)), {}),
             ("multi_margin_loss", (x, y), dict(reduction="bad")),
             ("multilabel_margin_loss", (x, t[:3]), {}), ("multilabel_margin_loss", (x, t + 5), {}),
             ("multilabel_margin_loss", (x, t - 2), {}), ("multilabel_margin_loss", (x, t * 1.0), {}),
             ("multilabel_margin_loss", (x[None], t), {}),
             ("soft_margin_loss", (x, np.ones((3, 5), np.float32)), {}),
             ("multilabel_soft_margin_loss", (x, x), dict(reduction="bad"))]
    for name, args, kw in cases:
        ea = [ember.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        ta = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        same_error(lambda: getattr(F, name)(*ea, **kw), lambda: getattr(TF, name)(*ta, **kw))


def _l1(a, b):
    return (a - b).abs().sum(-1)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance(reduction, swap):
    arrays = [f32(4, 6), f32(4, 6), f32(4, 6)]
    run("triplet_margin_with_distance_loss", arrays, (0, 1, 2), swap=swap, margin=1.5,
        reduction=reduction)
    es = [ember.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ye = F.triplet_margin_with_distance_loss(*es, distance_function=_l1, swap=swap,
                                             reduction=reduction)
    yt = TF.triplet_margin_with_distance_loss(*ts, distance_function=_l1, swap=swap,
                                              reduction=reduction)
    close(ye, yt, 1e-5, 1e-5)
    ye.sum().backward()
    yt.sum().backward()
    for a, b in zip(es, ts):
        close(a.grad, b.grad, 1e-5, 1e-5)
    run("triplet_margin_with_distance_loss", [f32(6), f32(6), f32(6)], (0,), swap=swap,
        reduction=reduction)


def test_triplet_with_distance_errors():
    a = f32(4, 6)
    for args, kw in [((a, a, a[0]), {}), ((a, a, a), dict(margin=0)),
                     ((a, a, a), dict(reduction="bad"))]:
        same_error(lambda: F.triplet_margin_with_distance_loss(
                       *(ember.tensor(v) for v in args), **kw),
                   lambda: TF.triplet_margin_with_distance_loss(
                       *(torch.tensor(v) for v in args), **kw))


def test_loss_modules():
    w = np.abs(f32(5))
    pairs = [("GaussianNLLLoss", (), dict(full=True, eps=1e-3)), ("SoftMarginLoss", (), {}),
             ("MultiMarginLoss", (2, 0.5), dict(reduction="sum")),
             ("MultiLabelMarginLoss", (), {}), ("MultiLabelSoftMarginLoss", (), {}),
             ("TripletMarginWithDistanceLoss", (), dict(margin=2.0, swap=True))]
    for cls, args, kw in pairs:
        e_mod, t_mod = getattr(ember.nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
        assert repr(e_mod) == repr(t_mod)
    e_mod = ember.nn.MultiMarginLoss(weight=ember.tensor(w))
    t_mod = torch.nn.MultiMarginLoss(weight=torch.tensor(w))
    x, y = f32(4, 5), np.array([0, 2, 4, 1])
    close(e_mod(ember.tensor(x), ember.tensor(y)), t_mod(torch.tensor(x), torch.tensor(y)), 1e-6)
    e_t = ember.nn.TripletMarginWithDistanceLoss(distance_function=ember.nn.PairwiseDistance())
    t_t = torch.nn.TripletMarginWithDistanceLoss(distance_function=torch.nn.PairwiseDistance())
    assert repr(e_t) == repr(t_t)
    close(e_t(*(ember.tensor(x) for _ in range(2)), ember.tensor(x[::-1].copy())),
          t_t(*(torch.tensor(x) for _ in range(2)), torch.tensor(x[::-1].copy())), 1e-6)
    for make in (lambda nn: nn.MultiMarginLoss(3),
                 lambda nn: nn.TripletMarginWithDistanceLoss(margin=0)):
        same_error(lambda: make(ember.nn), lambda: make(torch.nn))
