"""Edge values, accuracy, in-place forms and aliases of the ops in test_ops_math_more.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

INF, NAN = float("inf"), float("nan")
EDGES = [-INF, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, INF, NAN]
UNARY = ("asin acos atan sinh cosh asinh acosh atanh exp2 logit frac sinc deg2rad rad2deg "
         "erf erfc erfinv lgamma digamma sgn fix").split()


def _same(e, t, rtol=1e-6):
    """Values equal to torch's, nan where torch has nan, infinities of the same sign."""
    assert str(e.dtype) == str(t.dtype)
    if t.dtype == torch.float32:  # PyTorch computes digamma & co. in float32: a few ulps off
        rtol = max(rtol, 4e-6)
    np.testing.assert_allclose(e.numpy(), t.numpy(force=True), rtol=rtol, atol=0,
                               equal_nan=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_edge_values(name, dtype):
    e = getattr(ember, name)(ember.tensor(EDGES, dtype=getattr(ember, dtype)))
    t = getattr(torch, name)(torch.tensor(EDGES, dtype=getattr(torch, dtype)))
    _same(e, t)


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_gamma_poles(name):
    x = [0.0, -0.0, -1.0, -2.0, -7.0, -1e6, 1e-300, 1e300]
    _same(getattr(ember, name)(ember.tensor(x, dtype=ember.float64)),
          getattr(torch, name)(torch.tensor(x, dtype=torch.float64)))


@pytest.mark.parametrize("n,x", [(1, [0.0, -0.0]), (2, [0.0, -1.0, -2.0]), (3, [0.0, -3.0])])
def test_polygamma_poles(n, x):
    _same(ember.polygamma(n, ember.tensor(x)), torch.polygamma(n, torch.tensor(x)))


def test_special_accuracy_float64():
    """A wide grid in float64: libm's erf/erfc/lgamma, our digamma and polygamma series."""
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-20, 20, 400), 10 ** rng.uniform(-8, 3, 200)])
    x = x[np.abs(x - np.round(x)) > 1e-3]  # off the poles
    for name, rtol in (("erf", 1e-14), ("erfc", 1e-13), ("lgamma", 1e-9), ("digamma", 1e-9)):
        e = getattr(ember, name)(ember.tensor(x)).numpy()
        t = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(e, t, rtol=rtol, atol=1e-12, err_msg=name)
    for n in (1, 2, 4):  # PyTorch's trigamma series is itself accurate to ~1e-9
        e = ember.polygamma(n, ember.tensor(x)).numpy()
        t = torch.polygamma(n, torch.tensor(x)).numpy()
        np.testing.assert_allclose(e, t, rtol=1e-8, err_msg=f"polygamma {n}")


def test_erfinv_accuracy_tails():
    y = np.concatenate([1 - 10.0 ** -np.arange(1, 16), -(1 - 10.0 ** -np.arange(1, 16)),
                        10.0 ** -np.arange(1, 300, 20), np.linspace(-0.99, 0.99, 41)])
    e = ember.erfinv(ember.tensor(y)).numpy()
    np.testing.assert_allclose(e, torch.erfinv(torch.tensor(y)).numpy(), rtol=1e-12)
    # erf undoes it to the last bits (erfc in the tails, where 1 - |y| is exact)
    tail = np.abs(y) > 0.5
    np.testing.assert_allclose(ember.erfc(ember.tensor(np.abs(e[tail]))).numpy(),
                               1 - np.abs(y[tail]), rtol=1e-14)


def test_aliases_run_the_same_code():
    pairs = [("multiply", "mul"), ("divide", "div"), ("subtract", "sub"), ("negative", "neg"),
             ("absolute", "abs"), ("fix", "trunc"), ("arcsin", "asin"), ("arccos", "acos"),
             ("arctan", "atan"), ("arcsinh", "asinh"), ("arccosh", "acosh"),
             ("arctanh", "atanh"), ("arctan2", "atan2")]
    for alias, name in pairs:  # copies under their own names, as PyTorch's are distinct
        for owner in (ember, ember.Tensor):
            fn, op = getattr(owner, alias), getattr(owner, name)
            assert fn.__code__ is op.__code__ and fn.__name__ == alias, alias
            assert (fn is op) is (alias is name) and (torch.multiply is torch.mul) is False


INPLACE = [("asin_", ()), ("erf_", ()), ("erfinv_", ()), ("lgamma_", ()), ("digamma_", ()),
           ("logit_", (0.1,)), ("sinc_", ()), ("deg2rad_", ()), ("frac_", ()), ("sgn_", ()),
           ("fix_", ()), ("clamp_min_", (0.1,)), ("clamp_max_", (0.2,)), ("negative_", ()),
           ("absolute_", ()), ("multiply_", (2.5,)), ("divide_", (4.0,)),
           ("subtract_", (1.0,)), ("true_divide_", (3.0,)), ("atan2_", "t"), ("hypot_", "t"),
           ("xlogy_", "t"), ("copysign_", "t"), ("polygamma_", "n"), ("arcsin_", ()),
           ("exp2_", ()), ("cosh_", ())]


@pytest.mark.parametrize("name,args", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_methods(name, args):
    """x * 1 then the in-place method: the same values, the same gradient as PyTorch."""
    rng = np.random.default_rng(5)
    x0, y0 = rng.uniform(0.1, 0.9, (2, 3)), rng.uniform(0.1, 0.9, (3,))
    grads = []
    for T in (ember, torch):
        x = T.tensor(x0, requires_grad=True)
        a = x * 1
        if args == "t":
            extra = (T.tensor(y0),)
        elif args == "n":
            extra = (2,)
            out = getattr(a, name)(*extra)
            grads.append((out, None))
            continue
        else:
            extra = args
        out = getattr(a, name)(*extra)
        assert out is a
        out.sum().backward()
        grads.append((out, x.grad))
    (eo, eg), (to, tg) = grads
    _same(eo.detach(), to.detach(), rtol=1e-12)
    if tg is not None:  # (PyTorch's trigamma, digamma's derivative, is good to ~1e-9)
        _same(eg, tg, rtol=1e-8 if name == "digamma_" else 1e-12)


def test_median_ties_pick_an_equal_entry():
    """Among equal values PyTorch's index follows its selection algorithm; ember's is the
    middle one of a stable sort. Either way it points at an entry holding the median."""
    x = ember.tensor([[1.0, 2.0, 1.0, 2.0, 1.0], [3.0, 3.0, 3.0, 0.0, 5.0]])
    v, i = ember.median(x, 1)
    tv, _ = torch.median(torch.tensor(x.numpy()), 1)
    np.testing.assert_array_equal(v.numpy(), tv.numpy())
    np.testing.assert_array_equal(np.take_along_axis(x.numpy(), i.numpy()[:, None], 1)[:, 0],
                                  v.numpy())


def test_nanmedian_all_nan_row():
    x = ember.tensor([[NAN, NAN, NAN, NAN], [1.0, NAN, 3.0, 2.0]])
    v, i = ember.nanmedian(x, 1)
    assert np.isnan(v.numpy()[0]) and v.numpy()[1] == 2.0
    assert np.isnan(x.numpy()[0, i.numpy()[0]]) and i.numpy()[1] == 3


def test_median_repr_and_fields():
    r = ember.median(ember.tensor([[3.0, 1.0, 2.0]]), 1)
    t = torch.median(torch.tensor([[3.0, 1.0, 2.0]]), 1)
    assert repr(r) == repr(t)
    assert repr(ember.cummax(ember.tensor([1.0, 3.0, 2.0]), 0)) == repr(
        torch.cummax(torch.tensor([1.0, 3.0, 2.0]), 0))


def test_fmax_differs_from_maximum_on_nan():
    a, b = [NAN, 1.0, NAN], [2.0, NAN, NAN]
    e = ember.fmax(ember.tensor(a), ember.tensor(b)).numpy()
    np.testing.assert_array_equal(e, [2.0, 1.0, NAN])
    assert np.isnan(ember.maximum(ember.tensor(a), ember.tensor(b)).numpy()).all()


def test_logcumsumexp_gradient_no_overflow():
    x0 = np.array([1000.0, 999.0, -1000.0, 1001.0])
    g0 = np.array([1.0, -2.0, 0.5, 3.0])
    out = []
    for T in (ember, torch):
        x = T.tensor(x0, requires_grad=True)
        T.logcumsumexp(x, 0).backward(T.tensor(g0))
        out.append(x.grad.numpy())
    assert np.isfinite(out[0]).all()
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_ldexp_negative_int_exponent():
    """d(a 2^b)/da = 2^b, also for a negative integer b, where PyTorch 2.13's gradient is 0
    (it raises 2 to the power in integers): a known, deliberate difference."""
    x = ember.tensor([1.5, -2.0, 3.0], dtype=ember.float64, requires_grad=True)
    y = ember.ldexp(x, ember.tensor([-2, -1, 1]))
    np.testing.assert_array_equal(y.detach().numpy(), [0.375, -1.0, 6.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.25, 0.5, 2.0])
    t = torch.tensor([1.5, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    torch.ldexp(t, torch.tensor([-2, -1, 1])).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.0, 2.0])


def test_positive_is_the_input_and_frexp_prints_as_torch():
    x = ember.tensor([1.0, -2.0], requires_grad=True)
    assert ember.positive(x) is x
    assert repr(ember.frexp(ember.tensor([8.0, 0.3]))) == repr(
        torch.frexp(torch.tensor([8.0, 0.3])))
