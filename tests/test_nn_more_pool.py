"""adaptive_max_pool3d, fractional_max_pool2d/3d, lp_pool3d, max_unpool3d, the *_with_indices
names and their modules against PyTorch 2.13 (values, indices, gradients, errors) and float64
finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_more_util import close, same_error, to_ember

import ember
from ember.autograd import gradcheck, gradgradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(7)


def both(name, a, *args, **kw):
    """Values, indices (exactly) and input gradients of F.name against torch's."""
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    kw_e = {k: to_ember(v) for k, v in kw.items()}
    ye, yt = getattr(F, name)(xe, *args, **kw_e), getattr(TF, name)(xt, *args, **kw)
    if isinstance(yt, tuple):
        assert isinstance(ye, tuple) and len(ye) == 2
        close(ye[1], yt[1], 0, 0)
        ye, yt = ye[0], yt[0]
    close(ye, yt, 1e-6, 1e-6)
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    g = RNG.standard_normal(tuple(yt.shape)).astype(a.dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    close(xe.grad, xt.grad, 1e-5, 1e-6)


def samples(n, c, nd, dtype=np.float32):
    return torch.tensor(RNG.random((n, c, nd)).astype(dtype))


@pytest.mark.parametrize("shape,size", [((2, 3, 5, 7, 6), (2, 3, 4)), ((3, 4, 5, 6), 2),
                                        ((2, 2, 5, 7, 6), (5, None, 6)),
                                        ((1, 2, 3, 4, 5), (4, 6, 7)), ((2, 3, 4, 4, 4), 1)])
def test_adaptive_max_pool3d(shape, size):
    a = RNG.standard_normal(shape).astype(np.float32)
    both("adaptive_max_pool3d", a, size)
    both("adaptive_max_pool3d", a, size, True)
    both("adaptive_max_pool3d_with_indices", a, size)


def test_adaptive_max_pool3d_finite_differences():
    x = ember.tensor(RNG.standard_normal((1, 2, 5, 4, 3)), requires_grad=True)
    assert gradcheck(lambda t: F.adaptive_max_pool3d(t, (2, 3, 2)), (x,))
    assert gradgradcheck(lambda t: F.adaptive_max_pool3d(t, (3, 2, 2)), (x,))


def test_nan_wins_and_ties():
    a = np.array([[[[1.0, np.nan, 3.0], [np.nan, 2.0, 3.0], [3.0, 3.0, 0.0]]]], np.float32)
    u = torch.tensor([[[0.5, 0.5]]])
    both("fractional_max_pool2d", a, 2, output_size=2, return_indices=True, _random_samples=u)
    b = np.array([[[[[1.0, np.nan], [np.nan, 2.0]], [[3.0, 3.0], [3.0, 0.0]]]]], np.float32)
    both("adaptive_max_pool3d", b, 1, True)
    both("adaptive_max_pool3d", b[..., 1:, :, :] * 0 + 2, 1, True)  # all tied: the first


@pytest.mark.parametrize("shape,k,out", [((2, 3, 9, 8), (3, 2), (4, 5)), ((3, 9, 8), 2, (6, 3)),
                                         ((2, 2, 10, 7), 3, (8, 5)), ((1, 1, 5, 5), 2, 4),
                                         ((2, 3, 6, 9), (1, 4), 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractional_max_pool2d(shape, k, out, dtype):
    a = RNG.standard_normal(shape).astype(dtype)
    n = shape[0] if len(shape) == 4 else 1
    u = samples(n + 1, shape[-3], 2, dtype)  # more sample rows than the batch is allowed
    both("fractional_max_pool2d", a, k, output_size=out, _random_samples=u)
    both("fractional_max_pool2d", a, k, output_size=out, return_indices=True,
         _random_samples=u)
    both("fractional_max_pool2d_with_indices", a, k, out, _random_samples=u)


@pytest.mark.parametrize("shape,k,out", [((2, 3, 7, 6, 5), (2, 3, 2), (4, 3, 3)),
                                         ((2, 7, 6, 9), 2, (5, 4, 3)),
                                         ((1, 2, 6, 6, 6), 3, 3)])
def test_fractional_max_pool3d(shape, k, out):
    a = RNG.standard_normal(shape).astype(np.float32)
    n = shape[0] if len(shape) == 5 else 1
    u = samples(n, shape[-4], 3)
    both("fractional_max_pool3d", a, k, output_size=out, return_indices=True, _random_samples=u)
    both("fractional_max_pool3d_with_indices", a, k, out, _random_samples=u)


def test_fractional_output_ratio_and_finite_differences():
    a = RNG.standard_normal((2, 3, 9, 8)).astype(np.float32)
    u = samples(2, 3, 2)
    both("fractional_max_pool2d", a, 2, output_ratio=(0.5, 0.7), _random_samples=u)
    a3 = RNG.standard_normal((2, 2, 6, 7, 8)).astype(np.float32)
    both("fractional_max_pool3d", a3, 2, output_ratio=0.6, _random_samples=samples(2, 2, 3))
    u64 = ember.tensor(RNG.random((1, 2, 2)))
    x = ember.tensor(RNG.standard_normal((1, 2, 7, 6)), requires_grad=True)
    assert gradcheck(lambda t: F.fractional_max_pool2d(t, 2, (4, 3), _random_samples=u64), (x,))
    u3 = ember.tensor(RNG.random((1, 1, 3)))
    x3 = ember.tensor(RNG.standard_normal((1, 1, 5, 4, 5)), requires_grad=True)
    assert gradcheck(lambda t: F.fractional_max_pool3d(t, 2, 3, _random_samples=u3), (x3,))


def test_fractional_random_samples_default():
    ember.manual_seed(3)
    x = ember.randn(2, 3, 9, 9)
    y, idx = F.fractional_max_pool2d(x, 2, output_size=4, return_indices=True)
    assert tuple(y.shape) == (2, 3, 4, 4)
    flat = x.reshape(2, 3, -1).numpy()  # every value is the maximum of its 2x2 window
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.reshape(2, 3, -1).numpy(), -1),
                                  y.reshape(2, 3, -1).numpy())
    rows, cols = np.divmod(idx.numpy(), 9)
    for r, c, v in zip(rows.ravel(), cols.ravel(), range(rows.size)):
        assert r < 9 and c < 9
    ember.manual_seed(3)
    assert ember.equal(F.fractional_max_pool2d(ember.randn(2, 3, 9, 9), 2, output_size=4), y)


def test_fractional_errors():
    x = torch.randn(2, 3, 7, 6)
    u = samples(2, 3, 2)
    cases = [((x, 3), dict(output_size=(6, 5), _random_samples=u)),
             ((x, 3), dict(output_size=(2, 6), _random_samples=u)),
             ((x, (3, 3, 3)), dict(output_size=(2, 2), _random_samples=u)),
             ((x, [3]), dict(output_size=2, _random_samples=u)),
             ((x, 3), dict(output_size=(2, 2, 2), _random_samples=u)),
             ((x, 3), dict(output_size=2, _random_samples=samples(2, 4, 2))),
             ((x, 3), dict(output_size=2, _random_samples=samples(1, 3, 2))),
             ((x, 3), dict(output_size=2, _random_samples=samples(2, 3, 3))),
             ((x, 3), dict(output_size=2, _random_samples=torch.rand(2, 3))),
             ((x, 3), dict(output_size=2, _random_samples=u.double())),
             ((x, 3), dict(output_size=2, _random_samples=u.clone().requires_grad_())),
             ((x[0, 0], 3), dict(output_size=2, _random_samples=u)),
             ((x[0, 0], 3), dict(output_size=2)),
             ((x.long(), 3), dict(output_size=2, _random_samples=u.long())),
             ((torch.randn(2, 3, 0, 5), 3), dict(output_size=2, _random_samples=u)),
             ((x, 3), dict(output_ratio=0.5, _random_samples=u)),
             ((x, 3), dict(output_ratio=(0.5, 0.5, 0.5), _random_samples=u)),
             ((x, 3), dict(_random_samples=u))]
    for args, kw in cases:
        same_error(lambda: F.fractional_max_pool2d(*to_ember(args), **{
            k: to_ember(v) for k, v in kw.items()}), lambda: TF.fractional_max_pool2d(*args, **kw))
    x3, u3 = torch.randn(2, 3, 7, 6, 5), samples(2, 3, 3)
    for out in [(6, 2, 2), (2, 6, 2), (2, 2, 6), (2, 2)]:
        same_error(lambda: F.fractional_max_pool3d(to_ember(x3), 3, out,
                                                   _random_samples=to_ember(u3)),
                   lambda: TF.fractional_max_pool3d(x3, 3, out, _random_samples=u3))
    same_error(lambda: F.fractional_max_pool3d(to_ember(x3[0, 0]), 3, 2,
                                               _random_samples=to_ember(u3)),
               lambda: TF.fractional_max_pool3d(x3[0, 0], 3, 2, _random_samples=u3))


def test_fractional_modules():
    for args, kw in [((2,), dict(output_ratio=0.5)), ((3,), dict(output_size=(4, 3)))]:
        e, t = ember.nn.FractionalMaxPool2d(*args, **kw), torch.nn.FractionalMaxPool2d(*args, **kw)
        assert (e.kernel_size, e.output_size, e.output_ratio) == \
            (t.kernel_size, t.output_size, t.output_ratio)
        assert repr(e) == repr(t)
    u = samples(2, 3, 2)
    e = ember.nn.FractionalMaxPool2d(2, output_size=(3, 4), return_indices=True,
                                     _random_samples=to_ember(u))
    t = torch.nn.FractionalMaxPool2d(2, output_size=(3, 4), return_indices=True,
                                     _random_samples=u)
    assert list(e.state_dict()) == list(t.state_dict()) == ["_random_samples"]
    x = torch.randn(2, 3, 8, 9)
    (ye, ie), (yt, it) = e(to_ember(x)), t(x)
    close(ye, yt, 0, 0)
    close(ie, it, 0, 0)
    u3 = samples(1, 2, 3)
    e3 = ember.nn.FractionalMaxPool3d((2, 2, 1), output_size=3, _random_samples=to_ember(u3))
    t3 = torch.nn.FractionalMaxPool3d((2, 2, 1), output_size=3, _random_samples=u3)
    x3 = torch.randn(1, 2, 6, 5, 4)
    close(e3(to_ember(x3)), t3(x3), 0, 0)
    for cls, args, kw in [("FractionalMaxPool2d", (2,), {}),
                          ("FractionalMaxPool2d", (2,), dict(output_size=2, output_ratio=0.5)),
                          ("FractionalMaxPool2d", (2,), dict(output_ratio=(0.5, 1.5))),
                          ("FractionalMaxPool3d", (0,), dict(output_size=2)),
                          ("FractionalMaxPool3d", ((2, 0, 2),), dict(output_size=2)),
                          ("FractionalMaxPool3d", (2,), dict(output_ratio=1.0))]:
        same_error(lambda: getattr(ember.nn, cls)(*args, **kw),
                   lambda: getattr(torch.nn, cls)(*args, **kw))


def test_adaptive_max_pool3d_module_and_errors():
    e, t = ember.nn.AdaptiveMaxPool3d((2, None, 3), True), torch.nn.AdaptiveMaxPool3d((2, None, 3),
                                                                                     True)
    assert repr(e) == repr(t)
    x = torch.randn(2, 3, 4, 5, 6)
    (ye, ie), (yt, it) = e(to_ember(x)), t(x)
    close(ye, yt, 0, 0)
    close(ie, it, 0, 0)
    for shape, size in [((2, 3, 4, 4, 4), (2, 3)), ((4, 4, 4), 2), ((2, 2, 2, 2, 2, 2), 2),
                        ((2, 3, 0, 4, 4), 2), ((2, 3, 4, 4, 4), -1), ((4, 4), (1, 2, 2))]:
        a = torch.randn(shape)
        same_error(lambda: F.adaptive_max_pool3d(to_ember(a), size),
                   lambda: TF.adaptive_max_pool3d(a, size))
    a = torch.randn(2, 3, 4, 4, 4)
    same_error(lambda: F.adaptive_max_pool3d(to_ember(a.long()), 2),
               lambda: TF.adaptive_max_pool3d(a.long(), 2))


def test_with_indices_names_always_return_both():
    for name, shape, args in [("max_pool1d_with_indices", (2, 3, 9), (3, 2)),
                              ("max_pool2d_with_indices", (2, 3, 5, 6), (2,)),
                              ("max_pool3d_with_indices", (2, 3, 5, 6, 4), (2, 1, 1)),
                              ("max_pool3d_with_indices", (3, 5, 6, 4), (3, 2, 1, 1, True)),
                              ("adaptive_max_pool1d_with_indices", (2, 3, 9), (4,)),
                              ("adaptive_max_pool2d_with_indices", (2, 3, 9, 7), ((4, 3),))]:
        a = RNG.standard_normal(shape).astype(np.float32)
        both(name, a, *args)
        both(name, a, *args, return_indices=False)


@pytest.mark.parametrize("p", [2.0, 1.5, 3, float("inf"), -float("inf")])
def test_lp_pool3d(p):
    a = RNG.standard_normal((2, 3, 5, 6, 4)).astype(np.float32)
    if p not in (2.0, float("inf"), -float("inf")):  # odd or fractional powers: x > 0
        a = np.abs(a) + 0.1
    both("lp_pool3d", a, p, 2)
    both("lp_pool3d", a[0], p, (2, 3, 2), (1, 2, 1), True)
    e, t = ember.nn.LPPool3d(p, 2, 1), torch.nn.LPPool3d(p, 2, 1)
    assert repr(e) == repr(t)
    close(e(ember.tensor(a)), t(torch.tensor(a)), 1e-6, 1e-6)


def test_lp_pool3d_finite_differences_and_errors():
    x = ember.tensor(RNG.uniform(0.5, 2.0, (1, 2, 4, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.lp_pool3d(t, 2.0, 2, 1), (x,))
    a = torch.randn(2, 3, 4, 4, 4)
    for args in [(2, (2, 2)), (2, (2, 2, 2, 2))]:
        same_error(lambda: F.lp_pool3d(to_ember(a), *args), lambda: TF.lp_pool3d(a, *args))
    same_error(lambda: F.lp_pool3d(to_ember(a[0, 0]), 2, 2), lambda: TF.lp_pool3d(a[0, 0], 2, 2))


@pytest.mark.parametrize("shape,args,size", [((2, 3, 4, 4, 4), (2,), None),
                                             ((2, 3, 5, 6, 4), (2,), (5, 6, 4)),
                                             ((3, 6, 5, 6), ((2, 3, 2), (2, 1, 2), (1, 0, 1)),
                                              None),
                                             ((2, 3, 4, 5, 6), (2,), (2, 3, 4, 5, 7))])
def test_max_unpool3d(shape, args, size):
    y, idx = TF.max_pool3d(torch.randn(shape), *args, return_indices=True)
    ye, yt = ember.tensor(y.numpy(), requires_grad=True), y.clone().requires_grad_(True)
    oe = F.max_unpool3d(ye, ember.tensor(idx.numpy()), *args, output_size=size)
    ot = TF.max_unpool3d(yt, idx, *args, output_size=size)
    close(oe, ot, 0, 0)
    assert type(oe.grad_fn).__name__ == type(ot.grad_fn).__name__
    g = RNG.standard_normal(tuple(ot.shape)).astype(np.float32)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    close(ye.grad, yt.grad, 0, 0)
    m_e, m_t = ember.nn.MaxUnpool3d(*args), torch.nn.MaxUnpool3d(*args)
    assert repr(m_e) == repr(m_t)
    close(m_e(ember.tensor(y.numpy()), ember.tensor(idx.numpy()), size), m_t(y, idx, size), 0, 0)
    if args == (2,):  # windows that do not overlap: each index is written once
        y64 = ember.tensor(y.numpy().astype(np.float64), requires_grad=True)
        assert gradcheck(lambda t: F.max_unpool3d(t, ember.tensor(idx.numpy()), *args,
                                                  output_size=size), (y64,))


def test_max_unpool3d_errors():
    y, i = TF.max_pool3d(torch.randn(2, 3, 4, 4, 4), 2, return_indices=True)
    high, low = i.clone(), i.clone()  # one invalid index each (with several, which one
    high[1, 2, 1, 0, 1] = 64          # PyTorch reports depends on its threads)
    low[0, 1, 0, 0, 1] = -3
    small = i.clamp(max=26)  # valid for a 3x3x3 output but for one
    small[0, 0, 1, 1, 1] = 30
    cases = [((y, i.int(), 2), {}), ((y, i[:1], 2), {}), ((y[0, 0], i[0, 0], 2), {}),
             ((y[0, 0], i, 2), {}), ((y, high, 2), {}), ((y, low, 2), {}),
             ((y, small, 2), dict(output_size=(3, 3, 3))), ((y, i, 2), dict(output_size=(4, 4))),
             ((y, i, 2), dict(stride=0, output_size=(4, 4, 4))), ((y, i, 0), {}),
             ((y, i, 2), dict(padding=5)), ((y.long(), i, 2), {}),
             ((torch.randn(2, 3, 0, 2, 2), torch.zeros(2, 3, 0, 2, 2).long(), 2), {})]
    for args, kw in cases:
        same_error(lambda: F.max_unpool3d(*to_ember(args), **kw),
                   lambda: TF.max_unpool3d(*args, **kw))
    y2, i2 = TF.max_pool2d(torch.randn(2, 3, 4, 4), 2, return_indices=True)  # shared check
    same_error(lambda: F.max_unpool2d(*to_ember((y2, i2, 2)), padding=3),
               lambda: TF.max_unpool2d(y2, i2, 2, padding=3))
