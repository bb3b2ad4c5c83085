"""adaptive_max_pool1d/2d, max_unpool1d/2d, lp_pool1d/2d, local_response_norm, the
*_with_indices names and their modules against PyTorch 2.13 and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import close, same_error

import ember
from ember.autograd import gradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(11)


def both(name, shape, *args, **kw):
    """Values, indices (exactly) and input gradients of F.name vs torch's."""
    a = RNG.standard_normal(shape).astype(np.float32)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = getattr(F, name)(xe, *args, **kw), getattr(TF, name)(xt, *args, **kw)
    if isinstance(yt, tuple):
        close(ye[1], yt[1], 0, 0)
        ye, yt = ye[0], yt[0]
    close(ye, yt, 1e-5, 1e-6)
    g = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    close(xe.grad, xt.grad, 1e-5, 1e-5)


@pytest.mark.parametrize("shape,size", [((2, 3, 5, 6), (2, 3)), ((3, 7, 5), (3, None)),
                                        ((3, 7, 5), (7, 2)), ((1, 2, 4, 4), (5, 3)),
                                        ((2, 3, 5, 6), 1)])
def test_adaptive_max_pool2d(shape, size):
    both("adaptive_max_pool2d", shape, size, True)
    both("adaptive_max_pool2d", shape, size)
    x = ember.tensor(RNG.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, size), (x,))


@pytest.mark.parametrize("shape,size", [((2, 3, 9), 4), ((3, 7), 7), ((3, 5), (8,))])
def test_adaptive_max_pool1d(shape, size):
    both("adaptive_max_pool1d", shape, size, True)
    both("adaptive_max_pool1d", shape, size)


def test_adaptive_max_pool_nan_and_ties():
    a = np.array([[[1.0, np.nan, 3.0, np.nan], [2.0, 2.0, 2.0, 0.0]]], np.float32)
    ye, ie = F.adaptive_max_pool1d(ember.tensor(a), 2, True)
    yt, it = TF.adaptive_max_pool1d(torch.tensor(a), 2, True)
    close(ye, yt, 0, 0)
    close(ie, it, 0, 0)


def test_max_pool_with_indices_names():
    both("max_pool2d_with_indices", (2, 3, 5, 6), 2)
    both("max_pool2d_with_indices", (3, 5, 6), 3, 2, 1, 1, True)
    both("max_pool1d_with_indices", (2, 3, 9), 3, 2, 1)


@pytest.mark.parametrize("shape,args,size", [((2, 3, 5, 6), (2,), None),
                                             ((2, 3, 5, 6), (2,), (5, 6)),
                                             ((3, 6, 6), ((2, 3), (2, 1), (1, 0)), None),
                                             ((2, 3, 5, 6), (2,), (2, 3, 5, 7))])
def test_max_unpool2d(shape, args, size):
    a = RNG.standard_normal(shape).astype(np.float32)
    y, idx = TF.max_pool2d(torch.tensor(a), *args, return_indices=True)
    ye = ember.tensor(y.numpy(), requires_grad=True)
    yt = y.clone().requires_grad_(True)
    oe = F.max_unpool2d(ye, ember.tensor(idx.numpy()), *args, output_size=size)
    ot = TF.max_unpool2d(yt, idx, *args, output_size=size)
    close(oe, ot, 0, 0)
    g = RNG.standard_normal(tuple(ot.shape)).astype(np.float32)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    close(ye.grad, yt.grad, 0, 0)
    if args != (2,):  # overlapping windows repeat indices: PyTorch's gather rule is then
        return        # not the derivative of its last-write-wins forward (matched above)
    y64 = ember.tensor(y.numpy().astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: F.max_unpool2d(t, ember.tensor(idx.numpy()), *args,
                                              output_size=size), (y64,))


@pytest.mark.parametrize("shape,args", [((2, 3, 9), (2,)), ((3, 8), (3, 1, 1))])
def test_max_unpool1d_and_modules(shape, args):
    a = RNG.standard_normal(shape).astype(np.float32)
    y, idx = TF.max_pool1d(torch.tensor(a), *args, return_indices=True)
    close(F.max_unpool1d(ember.tensor(y.numpy()), ember.tensor(idx.numpy()), *args),
          TF.max_unpool1d(y, idx, *args), 0, 0)
    e_mod, t_mod = ember.nn.MaxUnpool1d(*args), torch.nn.MaxUnpool1d(*args)
    assert repr(e_mod) == repr(t_mod)
    close(e_mod(ember.tensor(y.numpy()), ember.tensor(idx.numpy())), t_mod(y, idx), 0, 0)
    assert repr(ember.nn.MaxUnpool2d(2, 1, 1)) == repr(torch.nn.MaxUnpool2d(2, 1, 1))


def test_max_unpool_errors():
    y, i = TF.max_pool2d(torch.rand(2, 3, 5, 6), 2, return_indices=True)
    bad = i.clone()
    bad[1, 2, 1, 0] = 100  # one invalid index: which of several PyTorch names varies
    cases = [((y, i, 2), dict(output_size=(7, 6))), ((y, i, 2), dict(output_size=(5, 6, 7))), ((y, bad, 2), {}),
             ((y, i[:1], 2), {}), ((y, i.int(), 2), {}), ((y[0, 0], i[0, 0], 2), {})]
    for args, kw in cases:
        e_args = tuple(ember.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v
                       for v in args)
        same_error(lambda: F.max_unpool2d(*e_args, **kw), lambda: TF.max_unpool2d(*args, **kw))
    y1, i1 = TF.max_pool1d(torch.rand(3, 5, 6), 2, return_indices=True)
    for args, kw in [((y1, i1, 2), dict(output_size=(9,))), ((y1, i1.clamp(max=0) + torch.tensor([[0, 0, 13]]), 2), {})]:
        e_args = tuple(ember.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v
                       for v in args)
        same_error(lambda: F.max_unpool1d(*e_args, **kw), lambda: TF.max_unpool1d(*args, **kw))


@pytest.mark.parametrize("p", [2.0, 1.5, 3, float("inf")])
def test_lp_pool(p):
    both("lp_pool2d", (2, 3, 5, 6), p, 2)
    both("lp_pool2d", (3, 5, 6), p, (2, 3), 1, True)
    both("lp_pool1d", (2, 3, 7), p, 3)
    both("lp_pool1d", (3, 7), p, 2, 1, True)
    if p == 2.0:
        x = ember.tensor(RNG.standard_normal((1, 2, 4, 5)), requires_grad=True)
        assert gradcheck(lambda t: F.lp_pool2d(t, p, 2, 1), (x,))


@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 5, 3, 4), (2, 6, 2, 3, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm(shape, size):
    both("local_response_norm", shape, size, 0.1, 0.6, 2.0)
    if size == 3:
        x = ember.tensor(RNG.standard_normal(shape), requires_grad=True)
        assert gradcheck(lambda t: F.local_response_norm(t, size, 0.1, 0.6, 2.0), (x,))


def test_pool_errors():
    cases = [("adaptive_max_pool2d", (4, 5), ((2, 3), True)),
             ("adaptive_max_pool2d", (2, 3, 5, 6), ((2, 3, 3),)),
             ("adaptive_max_pool2d", (2, 0, 3, 4), ((2, 3),)),
             ("adaptive_max_pool1d", (5,), (3,)), ("adaptive_max_pool1d", (2, 3, 4, 5), (3,)),
             ("adaptive_max_pool1d", (3, 5), ((3, 4),)),
             ("local_response_norm", (5, 6), (3,)), ("lp_pool2d", (5, 6), (2, 3))]
    for name, shape, args in cases:
        a = np.ones(shape, np.float32)
        same_error(lambda: getattr(F, name)(ember.tensor(a), *args),
                   lambda: getattr(TF, name)(torch.tensor(a), *args))
    a = np.ones((2, 3, 4), np.int64)
    same_error(lambda: F.adaptive_max_pool2d(ember.tensor(a), 2),
               lambda: TF.adaptive_max_pool2d(torch.tensor(a), 2))


@pytest.mark.parametrize("cls,args,shape", [
    ("AdaptiveMaxPool1d", (3,), (2, 3, 8)), ("AdaptiveMaxPool2d", ((3, None),), (2, 3, 5, 6)),
    ("AdaptiveMaxPool2d", (2, True), (3, 5, 6)), ("LPPool1d", (2, 3), (2, 3, 8)),
    ("LPPool2d", (1.5, (2, 3), 1, True), (2, 3, 5, 6)), ("LocalResponseNorm", (3,), (2, 5, 4)),
    ("MaxPool2d", (2, None, 0, 1, True), (2, 3, 5, 6)), ("MaxPool1d", (2, None, 0, 1, True),
                                                         (2, 3, 7))])
def test_pool_modules(cls, args, shape):
    e_mod, t_mod = getattr(ember.nn, cls)(*args), getattr(torch.nn, cls)(*args)
    assert repr(e_mod) == repr(t_mod)
    a = np.abs(RNG.standard_normal(shape)).astype(np.float32)
    ye, yt = e_mod(ember.tensor(a)), t_mod(torch.tensor(a))
    if isinstance(yt, tuple):
        close(ye[1], yt[1], 0, 0)
        ye, yt = ye[0], yt[0]
    close(ye, yt, 1e-5, 1e-6)
