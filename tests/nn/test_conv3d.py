"""The 3-D family against PyTorch 2.13: F.conv3d / conv_transpose3d / max_pool3d / avg_pool3d /
adaptive_avg_pool3d and their modules, nn.InstanceNorm3d (values, gradients, indices, node
names, reprs, state_dict names, initialisation, errors) and float64 finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import close, np_of, same_error

import ember
from ember.autograd import gradcheck, gradgradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(33)

CASES = [
    ("conv3d", [(2, 4, 5, 6, 5), (6, 2, 2, 3, 2), (6,)],
     {"stride": (1, 2, 1), "padding": (1, 0, 2), "dilation": (2, 1, 1), "groups": 2}),
    ("conv3d", [(3, 4, 5, 4), (2, 3, 3, 2, 3)], {"padding": "same"}),  # unbatched, no bias
    ("conv3d", [(1, 2, 4, 4, 4), (3, 2, 1, 1, 1), (3,)], {"stride": 2}),
    ("conv_transpose3d", [(2, 4, 3, 4, 3), (4, 3, 2, 3, 2), (6,)],
     {"stride": (2, 1, 2), "padding": (1, 0, 1), "output_padding": (1, 0, 0), "groups": 2,
      "dilation": (1, 2, 1)}),
    ("conv_transpose3d", [(2, 3, 2, 3), (2, 2, 2, 2, 2)], {"stride": 2}),
    ("max_pool3d", [(2, 3, 5, 6, 7)],
     {"kernel_size": (2, 3, 2), "stride": (1, 2, 2), "padding": 1, "dilation": (2, 1, 1),
      "ceil_mode": True}),
    ("max_pool3d", [(3, 4, 5, 6)], {"kernel_size": 2}),
    ("avg_pool3d", [(2, 3, 5, 6, 7)],
     {"kernel_size": (2, 3, 3), "stride": (1, 2, 2), "padding": 1, "ceil_mode": True,
      "count_include_pad": False}),
    ("avg_pool3d", [(2, 3, 5, 6, 7)], {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("avg_pool3d", [(3, 5, 4, 6)], {"kernel_size": 3, "padding": 1, "divisor_override": 5}),
    ("adaptive_avg_pool3d", [(2, 3, 5, 6, 7)], {"output_size": (3, None, 4)}),
    ("adaptive_avg_pool3d", [(3, 5, 6, 7)], {"output_size": 2}),
    ("adaptive_avg_pool3d", [(2, 3, 4, 5, 6)], {"output_size": 1}),
]


def leaves(shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    return ([ember.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.parametrize("name,shapes,kw", CASES)
def test_functional_matches_torch(name, shapes, kw):
    es, ts = leaves(shapes)
    ye, yt = getattr(F, name)(*es, **kw), getattr(TF, name)(*ts, **kw)
    close(ye, yt, 1e-12, 1e-12)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    g = RNG.standard_normal(tuple(yt.shape))
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for e, t in zip(es, ts):
        close(e.grad, t.grad, 1e-12, 1e-12)


def test_max_pool3d_indices_and_ties():
    x = RNG.integers(0, 3, (2, 2, 4, 5, 6)).astype(np.float64)  # many ties: first one wins
    for kw in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1},
               {"kernel_size": (2, 2, 3), "dilation": 2, "ceil_mode": True}):
        ye, ie = F.max_pool3d(ember.tensor(x), return_indices=True, **kw)
        yt, it = TF.max_pool3d(torch.tensor(x), return_indices=True, **kw)
        close(ye, yt, 0, 0)
        assert ie.dtype == ember.int64
        np.testing.assert_array_equal(np_of(ie), np_of(it))


@pytest.mark.parametrize("name,args", [
    ("conv3d", {"stride": (2, 1, 1), "padding": 1, "groups": 2}),
    ("conv_transpose3d", {"stride": 2, "padding": (1, 0, 0), "output_padding": 1}),
])
def test_conv3d_finite_differences_second_order(name, args):
    x = ember.tensor(RNG.standard_normal((1, 2, 3, 3, 3)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal((2, 1, 2, 2, 2)), requires_grad=True)
    b = ember.tensor(RNG.standard_normal(2), requires_grad=True)
    kw = dict(args, groups=args.get("groups", 1))
    if name == "conv_transpose3d":
        w = ember.tensor(RNG.standard_normal((2, 2, 2, 2, 2)), requires_grad=True)
    fn = lambda x, w, b: getattr(F, name)(x, w, b, **kw) ** 2  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool3d(x, 2, 1, 1) ** 2,
    lambda x: F.avg_pool3d(x, 2, 1, 1, count_include_pad=False) ** 2,
    lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)) ** 2,
])
def test_pools_finite_differences(fn):
    x = ember.tensor(RNG.standard_normal((1, 2, 3, 4, 3)), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


MODULES = [
    ("Conv3d", (4, 6, 3), {"stride": 2, "padding": 1, "groups": 2}),
    ("Conv3d", (2, 3, (1, 2, 3)), {"padding": "same", "bias": False, "padding_mode": "reflect"}),
    ("Conv3d", (2, 3, 2), {"dilation": (1, 2, 1), "padding_mode": "circular", "padding": 1}),
    ("ConvTranspose3d", (4, 2, (2, 3, 2)), {"stride": 2, "output_padding": 1, "groups": 2}),
    ("ConvTranspose3d", (4, 3, 2), {"bias": False, "dilation": 2, "padding": 1}),
]


@pytest.mark.parametrize("cls,args,kw", MODULES)
def test_conv_modules_match_torch(cls, args, kw):
    t_mod, e_mod = getattr(torch.nn, cls)(*args, **kw), getattr(ember.nn, cls)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert e_mod.weight.shape == t_mod.weight.shape
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    x = RNG.standard_normal((2, args[0], 4, 5, 4)).astype(np.float32)
    close(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)), 1e-5, 1e-5)


def test_conv_transpose3d_output_size():
    t_mod = torch.nn.ConvTranspose3d(2, 2, 3, stride=2)
    e_mod = ember.nn.ConvTranspose3d(2, 2, 3, stride=2)
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    x = RNG.standard_normal((1, 2, 3, 3, 3)).astype(np.float32)
    close(e_mod(ember.tensor(x), output_size=[8, 7, 8]),
          t_mod(torch.tensor(x), output_size=[8, 7, 8]), 1e-5, 1e-6)
    same_error(lambda: e_mod(ember.tensor(x), output_size=[9, 9, 9]),
               lambda: t_mod(torch.tensor(x), output_size=[9, 9, 9]))


@pytest.mark.parametrize("cls", ["Conv3d", "ConvTranspose3d"])
def test_conv3d_init_bounds(cls):
    ember.manual_seed(0)
    m = getattr(ember.nn, cls)(8, 16, 3, groups=2)
    fan_in = m.weight.shape[1] * 27
    bound = 1 / np.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias rule agree
    w, b = np_of(m.weight), np_of(m.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert np.abs(b).max() <= bound


@pytest.mark.parametrize("cls,args,kw", [
    ("MaxPool3d", (2,), {}),
    ("MaxPool3d", ((2, 3, 2),), {"stride": 1, "padding": 1, "dilation": 1, "ceil_mode": True}),
    ("AvgPool3d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}),
    ("AvgPool3d", ((1, 2, 2),), {"divisor_override": 3}),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}),
    ("AdaptiveAvgPool3d", (2,), {}),
])
def test_pool_modules_match_torch(cls, args, kw):
    t_mod, e_mod = getattr(torch.nn, cls)(*args, **kw), getattr(ember.nn, cls)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    x = RNG.standard_normal((2, 3, 4, 5, 6))
    close(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)), 1e-12, 1e-12)
    close(e_mod(ember.tensor(x[0])), t_mod(torch.tensor(x[0])), 1e-12, 1e-12)


def test_max_pool3d_module_return_indices():
    x = RNG.standard_normal((2, 3, 4, 5, 6))
    ye, ie = ember.nn.MaxPool3d(2, return_indices=True)(ember.tensor(x))
    yt, it = torch.nn.MaxPool3d(2, return_indices=True)(torch.tensor(x))
    close(ye, yt, 0, 0)
    np.testing.assert_array_equal(np_of(ie), np_of(it))


@pytest.mark.parametrize("kw", [{}, {"affine": True}, {"track_running_stats": True},
                                {"affine": True, "track_running_stats": True, "momentum": 0.3}])
def test_instance_norm3d_matches_torch(kw):
    t_mod, e_mod = torch.nn.InstanceNorm3d(3, **kw), ember.nn.InstanceNorm3d(3, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    if kw.get("affine"):
        w, b = RNG.standard_normal(3), RNG.standard_normal(3)
        for m, lib in ((e_mod, ember), (t_mod, torch)):
            m.weight.data = lib.tensor(w, dtype=lib.float32)
            m.bias.data = lib.tensor(b, dtype=lib.float32)
    for shape in ((2, 3, 3, 4, 5), (3, 2, 3, 4)):
        x = RNG.standard_normal(shape).astype(np.float32)
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ye, yt = e_mod(xe), t_mod(xt)
        close(ye, yt, 1e-5, 1e-5)
        g = RNG.standard_normal(shape).astype(np.float32)
        ye.backward(ember.tensor(g))
        yt.backward(torch.tensor(g))
        close(xe.grad, xt.grad, 1e-4, 1e-5)
    for name, t in t_mod.state_dict().items():
        close(e_mod.state_dict()[name], t, 1e-5, 1e-6)
    e_mod.eval()
    t_mod.eval()
    x = RNG.standard_normal((2, 3, 3, 4, 5)).astype(np.float32)
    close(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)), 1e-5, 1e-5)


def _x(shape):
    a = RNG.standard_normal(shape)
    return ember.tensor(a), torch.tensor(a)


ERRORS = [
    ("conv3d", (3, 4, 5), ((4, 3, 2, 2, 2),), {}),
    ("conv3d", (2, 3, 4, 5, 6), ((4, 3, 2, 2, 2),), {"stride": (1, 2)}),
    ("conv3d", (2, 3, 4, 5, 6), ((4, 3, 9, 2, 2),), {}),
    ("conv3d", (2, 3, 4, 5, 6), ((4, 2, 2, 2, 2),), {}),
    ("conv3d", (2, 3, 4, 5, 6), ((4, 3, 2, 2),), {}),
    ("conv_transpose3d", (2, 3, 4, 5, 6), ((3, 2, 2, 2, 2),),
     {"stride": 2, "output_padding": (2, 0, 0)}),
    ("conv_transpose3d", (2, 4, 4, 5, 6), ((3, 2, 2, 2, 2),), {}),
    ("max_pool3d", (4, 5, 6), (2,), {}),
    ("max_pool3d", (2, 3, 4, 5, 6), (2,), {"padding": 2}),
    ("max_pool3d", (2, 3, 4, 5, 6), (5,), {}),
    ("max_pool3d", (2, 3, 4, 5, 6), ((2, 2),), {}),
    ("max_pool3d", (2, 3, 4, 5, 6), (2,), {"stride": 0}),
    ("avg_pool3d", (4, 5, 6), (2,), {}),
    ("avg_pool3d", (2, 3, 4, 5, 6), (5,), {}),
    ("avg_pool3d", (2, 3, 4, 5, 6), ((2, 2),), {}),
    ("avg_pool3d", (2, 3, 4, 5, 6), (2,), {"divisor_override": 0}),
    ("avg_pool3d", (2, 3, 4, 5, 6), (2,), {"padding": 2}),
    ("adaptive_avg_pool3d", (4, 5, 6), (2,), {}),
    ("adaptive_avg_pool3d", (2, 3, 4, 5, 6), ((2, 2),), {}),
]


@pytest.mark.parametrize("name,shape,args,kw", ERRORS)
def test_errors_match_torch(name, shape, args, kw):
    xe, xt = _x(shape)
    ae = [ember.tensor(RNG.standard_normal(a)) if isinstance(a, tuple) and name.startswith("conv")
          else a for a in args]
    at = [torch.tensor(np_of(a)) if isinstance(a, ember.Tensor) else a for a in ae]
    same_error(lambda: getattr(F, name)(xe, *ae, **kw), lambda: getattr(TF, name)(xt, *at, **kw))


def test_module_errors_match_torch():
    same_error(lambda: ember.nn.ConvTranspose3d(3, 4, 2, padding_mode="reflect"),
               lambda: torch.nn.ConvTranspose3d(3, 4, 2, padding_mode="reflect"))
    same_error(lambda: ember.nn.InstanceNorm3d(3)(ember.zeros(2, 3, 4)),
               lambda: torch.nn.InstanceNorm3d(3)(torch.zeros(2, 3, 4)))
    same_error(lambda: F.adaptive_avg_pool3d(ember.zeros(1, 2, 3, 4, 5, dtype=ember.int64), 2),
               lambda: TF.adaptive_avg_pool3d(torch.zeros(1, 2, 3, 4, 5, dtype=torch.int64), 2))
