"""InstanceNorm1d/2d and F.instance_norm against PyTorch 2.13 (values, gradients, running
statistics over train/eval steps, grad_fn, repr, state_dict keys, errors)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from nn_testutil import close, np_of, same_error

import ember
from ember.autograd import gradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(23)


@pytest.mark.parametrize("cls,shape,kw", [
    ("InstanceNorm1d", (2, 3, 5), {}),
    ("InstanceNorm2d", (2, 3, 4, 3), {"affine": True}),
    ("InstanceNorm2d", (2, 3, 4, 3), {"affine": True, "track_running_stats": True,
                                      "momentum": 0.3}),
    ("InstanceNorm1d", (3, 5), {"track_running_stats": True}),  # unbatched
    ("InstanceNorm2d", (3, 2, 3), {"affine": True, "bias": False}),
])
def test_instance_norm_matches_torch(cls, shape, kw):
    t_mod, e_mod = getattr(torch.nn, cls)(3, **kw), getattr(ember.nn, cls)(3, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    with torch.no_grad():
        for p in t_mod.parameters():
            p.copy_(torch.randn(p.shape))
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    for mode in ("train", "train", "eval"):
        getattr(t_mod, mode)(), getattr(e_mod, mode)()
        x = (RNG.standard_normal(shape) * 2 + 1).astype(np.float32)
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ye, yt = e_mod(xe), t_mod(xt)
        close(ye, yt, 1e-5, 1e-5)
        g = RNG.standard_normal(shape).astype(np.float32)
        ye.backward(ember.tensor(g))
        yt.backward(torch.tensor(g))
        close(xe.grad, xt.grad, 1e-4, 1e-5)
        for (_, p), (_, q) in zip(e_mod.named_parameters(), t_mod.named_parameters()):
            close(p.grad, q.grad, 1e-4, 1e-5)
        for name, buf in t_mod.named_buffers():
            close(e_mod.get_buffer(name), buf, 1e-6, 1e-6)
        assert ye.grad_fn.name() == yt.grad_fn.name()


def test_instance_norm_gradcheck():
    x = ember.tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal(3), requires_grad=True)
    b = ember.tensor(RNG.standard_normal(3), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3), (x, w, b))
    xt = torch.tensor(np_of(x))
    close(F.instance_norm(x), TF.instance_norm(xt), 1e-12, 1e-12)


def test_instance_norm_errors_and_warning():
    def both(make, shape):
        x = np.zeros(shape, np.float32)
        same_error(lambda: make(ember.nn)(ember.tensor(x)), lambda: make(torch.nn)(torch.tensor(x)))

    both(lambda nn: nn.InstanceNorm1d(3), (2, 3, 1))
    both(lambda nn: nn.InstanceNorm1d(3), (3,))
    both(lambda nn: nn.InstanceNorm2d(3), (3, 4))
    both(lambda nn: nn.InstanceNorm1d(3, affine=True), (2, 4, 5))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ember.nn.InstanceNorm1d(3)(ember.zeros(2, 4, 5))
    assert any("does not match num_features" in str(w.message) for w in seen)
