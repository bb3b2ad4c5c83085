"""MaxPool1d, AvgPool1d, AdaptiveAvgPool1d and BatchNorm3d against PyTorch 2.13."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import close, same_error

import ember

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(17)


def both(name, shape, *args, **kw):
    a = RNG.standard_normal(shape).astype(np.float32)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = getattr(F, name)(xe, *args, **kw), getattr(TF, name)(xt, *args, **kw)
    if isinstance(yt, tuple):
        close(ye[1], yt[1], 0, 0)
        ye, yt = ye[0], yt[0]
    close(ye, yt, 1e-6, 1e-6)
    g = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    close(xe.grad, xt.grad, 1e-6, 1e-6)
    assert ye.grad_fn.name() == yt.grad_fn.name()


@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 8)])
def test_pool1d_match_torch(shape):
    both("max_pool1d", shape, 2)
    both("max_pool1d", shape, 3, 2, 1, 2, True, True)
    both("avg_pool1d", shape, 3, 2, 1)
    both("avg_pool1d", shape, 3, 2, 1, True, False)
    for size in (1, 3, 5):
        both("adaptive_avg_pool1d", shape, size)


@pytest.mark.parametrize("cls,args", [("MaxPool1d", (2,)), ("MaxPool1d", (3, 1, 1, 2)),
                                      ("AvgPool1d", (3, 2, 1)), ("AdaptiveAvgPool1d", (3,))])
def test_pool1d_modules(cls, args):
    t_mod, e_mod = getattr(torch.nn, cls)(*args), getattr(ember.nn, cls)(*args)
    assert repr(e_mod) == repr(t_mod)
    a = RNG.standard_normal((2, 3, 10)).astype(np.float32)
    close(e_mod(ember.tensor(a)), t_mod(torch.tensor(a)), 1e-6, 1e-6)


def test_pool1d_errors():
    for name, args, shape in (("max_pool1d", (2,), (3,)), ("avg_pool1d", (2,), (3,)),
                              ("adaptive_avg_pool1d", (2,), (3,)),
                              ("max_pool1d", (2, 1, 2), (1, 1, 3)),
                              ("avg_pool1d", (2, 1, 2), (1, 1, 3)),
                              ("max_pool1d", (2,), (1, 1, 1)), ("avg_pool1d", (2,), (1, 1, 1))):
        a = np.zeros(shape, np.float32)
        same_error(lambda: getattr(F, name)(ember.tensor(a), *args),
                   lambda: getattr(TF, name)(torch.tensor(a), *args))


def test_batch_norm3d_matches_torch():
    t_mod, e_mod = torch.nn.BatchNorm3d(3), ember.nn.BatchNorm3d(3)
    assert repr(e_mod) == repr(t_mod)
    for step in range(2):
        a = (RNG.standard_normal((2, 3, 2, 3, 2)) + step).astype(np.float32)
        close(e_mod(ember.tensor(a)), t_mod(torch.tensor(a)), 1e-5, 1e-5)
    for name, buf in t_mod.named_buffers():
        close(e_mod.get_buffer(name), buf, 1e-6, 1e-6)
    a = np.zeros((2, 3, 4, 4), np.float32)
    same_error(lambda: e_mod(ember.tensor(a)), lambda: t_mod(torch.tensor(a)))
