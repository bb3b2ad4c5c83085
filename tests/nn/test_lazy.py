"""Lazy modules against PyTorch 2.13: placeholders, inference on the first call, the class
switch, state_dict before and after, loading into an uninitialized module."""

import numpy as np
import pytest
import torch

import ember
from nn_testutil import close, np_of, same_error

CASES = [("LazyLinear", (3,), (2, 5)), ("LazyConv1d", (4, 3), (2, 3, 7)),
         ("LazyConv2d", (4, 3), (2, 3, 6, 6)), ("LazyConv3d", (2, 2), (1, 3, 4, 4, 4)),
         ("LazyConvTranspose2d", (4, 3, 2), (1, 3, 4, 4)), ("LazyBatchNorm1d", (), (4, 3)),
         ("LazyBatchNorm2d", (), (2, 3, 4, 4))]


@pytest.mark.parametrize("name,args,shape", CASES)
def test_first_call_infers_and_switches_class(name, args, shape):
    e, t = getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(e) == repr(t)
    assert e.has_uninitialized_params() and t.has_uninitialized_params()
    assert list(e.state_dict()) == list(t.state_dict())
    assert isinstance(e.weight, ember.nn.UninitializedParameter)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    e(ember.tensor(x))
    t(torch.tensor(x))
    assert type(e).__name__ == type(t).__name__ == name[4:]
    assert type(e) is getattr(ember.nn, name[4:])
    assert type(e.weight) is ember.nn.Parameter and not e._forward_pre_hooks
    assert repr(e) == repr(t)
    st = t.state_dict()
    assert list(e.state_dict()) == list(st)
    for k, v in st.items():
        assert tuple(e.state_dict()[k].shape) == tuple(v.shape)
    e.load_state_dict({k: ember.tensor(np_of(v)) for k, v in st.items()})
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    close(ye, yt, 1e-5, 1e-5)
    ye.sum().backward()
    yt.sum().backward()
    close(e.weight.grad, t.weight.grad, 1e-4, 1e-5)


def test_linear_init_bounds_and_dtype():
    e = ember.nn.LazyLinear(50, dtype=ember.float64)
    e(ember.randn(2, 16, dtype=ember.float64))
    w = e.weight.detach().numpy()
    assert w.dtype == np.float64 and np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.2
    assert e.in_features == 16


def test_load_into_uninitialized():
    t = torch.nn.Linear(5, 3)
    e = ember.nn.LazyLinear(3)
    e.load_state_dict({k: ember.tensor(np_of(v)) for k, v in t.state_dict().items()})
    assert not e.has_uninitialized_params()
    x = np.ones((2, 5), np.float32)
    close(e(ember.tensor(x)), t(torch.tensor(x)), 1e-6, 1e-6)
    assert type(e) is ember.nn.Linear


def test_sequential_and_errors():
    seq = ember.nn.Sequential(ember.nn.LazyLinear(4), ember.nn.ReLU(), ember.nn.LazyLinear(2))
    with ember.no_grad():
        assert seq(ember.randn(3, 7)).shape == (3, 2)
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    assert seq[2].in_features == 4
    e, t = ember.nn.LazyConv2d(4, 3), torch.nn.LazyConv2d(4, 3)
    same_error(lambda: e(ember.randn(3, 4)), lambda: t(torch.randn(3, 4)))
    e, t = ember.nn.LazyConv2d(4, 3, groups=2), torch.nn.LazyConv2d(4, 3, groups=2)
    same_error(lambda: e(ember.randn(1, 3, 5, 5)), lambda: t(torch.randn(1, 3, 5, 5)))
    p, q = ember.nn.UninitializedParameter(), torch.nn.UninitializedParameter()
    same_error(lambda: p.shape, lambda: q.shape)
    assert repr(p) == repr(q) == "<UninitializedParameter>"
    same_error(lambda: ember.nn.utils.spectral_norm(ember.nn.LazyLinear(2)),
               lambda: torch.nn.utils.spectral_norm(torch.nn.LazyLinear(2)))


@pytest.mark.parametrize("kw", [dict(affine=False), dict(track_running_stats=False),
                                dict(affine=False, track_running_stats=False)])
def test_lazy_batchnorm_options(kw):
    e, t = ember.nn.LazyBatchNorm1d(**kw), torch.nn.LazyBatchNorm1d(**kw)
    assert list(e.state_dict()) == list(t.state_dict()) and repr(e) == repr(t)
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    close(e(ember.tensor(x)), t(torch.tensor(x)), 1e-5, 1e-6)
    assert type(e) is ember.nn.BatchNorm1d and repr(e) == repr(t)
    for k, v in t.state_dict().items():
        close(e.state_dict()[k], v, 1e-6, 1e-7)
