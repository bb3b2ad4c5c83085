"""ember.special's Airy, Bessel Y/I/K, spherical Bessel and orthogonal-polynomial functions
against live torch.special 2.13: values to the last bits (float32 and float64, edge cases,
integer, fractional, negative, nan and huge degrees), dtype promotion, broadcasting, out=,
argument errors and the absence of derivatives."""

import warnings

import numpy as np
import pytest
import torch

import ember
import ember.special as es

UNARY = ["airy_ai", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
         "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
         "scaled_modified_bessel_k1", "spherical_bessel_j0"]
POLYS = [f"{s}chebyshev_polynomial_{k}" for s in ("", "shifted_") for k in "tuvw"] + [
    "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p"]
# PyTorch reads an uninitialised variable for nan x in these (its result is garbage)
NAN_X_UNDEFINED = {"chebyshev_polynomial_u", "chebyshev_polynomial_w",
                   "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_w",
                   "laguerre_polynomial_l", "legendre_polynomial_p",
                   "shifted_chebyshev_polynomial_t"}

_rng = np.random.default_rng(0)
X = np.concatenate([
    [-np.inf, np.inf, np.nan, 0.0, -0.0, 1e-30, 1e-6, -1e-6, 0.5, -0.5, 2, -2, 2.09, -2.09,
     2.0899, 5, -5, 8, -8, 8.3203353, 100, 103.89, 103.9, 700, -700, 1e4, -1e4, 1e30],
    _rng.uniform(-10, 10, 600), _rng.uniform(-200, 200, 200), np.exp(_rng.uniform(-20, 6, 200))])
PX = np.concatenate([[-np.inf, np.inf, 0.0, -0.0, 1, -1, 0.5, -0.5, 2, -2, 1e-3, 0.999, 1.001,
                      10, -10, 1e10], _rng.uniform(-1, 1, 120), _rng.uniform(-3, 3, 60),
                     _rng.uniform(-20, 20, 20)])
NS = [-3, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 30, 60, 100, 127, 128, 129, 200, 511, 512,
      513, 1000, 2.5, -0.5, 7.9, 0.99, np.nan, np.inf, -np.inf, 1e30]


def ulps(e, t, dt):
    """|e - t| in units in the last place of t (0 where both are nan or equal)."""
    e, t = np.asarray(e, np.float64), np.asarray(t, np.float64)
    same = (np.isnan(e) & np.isnan(t)) | (e == t)
    with np.errstate(invalid="ignore"):
        d = np.abs(e - t) / np.maximum(np.spacing(np.abs(t).astype(dt)).astype(np.float64),
                                       np.finfo(dt).tiny)
    return np.where(same, 0, np.where(np.isnan(d), np.inf, d))


def test_names_match_torch_special():
    want = {n for n in dir(torch.special) if n in UNARY or n in POLYS}
    assert want == set(UNARY) | set(POLYS)
    for n in want:
        assert n in es.__all__ and callable(getattr(es, n))


@pytest.mark.parametrize("dt,bound", [(np.float32, 4), (np.float64, 8)])
@pytest.mark.parametrize("name", UNARY)
def test_unary_values(name, dt, bound):
    # float64 may differ by a few ulps: NumPy's vectorised float64 log/exp are not glibc's
    x = X.astype(dt)
    t = getattr(torch.special, name)(torch.from_numpy(x))
    e = getattr(es, name)(ember.tensor(x))
    assert str(e.dtype) == str(t.dtype)
    u = ulps(e.numpy(), t.numpy(), dt)
    assert u.max() <= bound, (x[np.argmax(u)], u.max())


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("name", POLYS)
def test_polynomial_values_against_tensor_degrees(name, dt):
    x = PX.astype(dt)[:, None]
    n = np.array(NS, dt)[None, :]
    t = getattr(torch.special, name)(torch.from_numpy(x), torch.from_numpy(n)).numpy()
    e = getattr(es, name)(ember.tensor(x), ember.tensor(n))
    assert tuple(e.shape) == t.shape and str(e.dtype) == "torch." + t.dtype.name
    u = ulps(e.numpy(), t, dt)
    assert u.max() <= 1, (x[np.unravel_index(np.argmax(u), u.shape)[0]], u.max())


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_number_degree_and_nan_x(name):
    x = np.array([np.nan, -0.7, 0.2, 0.93, 3.0], np.float32)
    if name in NAN_X_UNDEFINED:
        x = x[1:]
    for n in (0, 1, 5, 9, 40, 7.6, -2, True):
        t = getattr(torch.special, name)(torch.from_numpy(x), n).numpy()
        e = getattr(es, name)(ember.tensor(x), n).numpy()
        np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("name", ["hermite_polynomial_h", "hermite_polynomial_he"])
def test_hermite_degree_caps(name):
    for dt, cap in ((torch.float32, 128), (torch.float64, 512)):
        x = torch.tensor([0.3, -1.1], dtype=dt)
        for n in (cap, cap + 1):
            t = getattr(torch.special, name)(x, n)
            e = getattr(es, name)(ember.tensor(x.numpy()), n)
            np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert np.isnan(e.numpy()).all()


def test_large_degrees_stop_and_agree():
    x = np.array([0.5, -0.3, 3.0], np.float64)
    for name, n in (("legendre_polynomial_p", 3000), ("laguerre_polynomial_l", 3000),
                    ("chebyshev_polynomial_u", 10 ** 6), ("hermite_polynomial_h", 400)):
        t = getattr(torch.special, name)(torch.from_numpy(x), n).numpy()
        e = getattr(es, name)(ember.tensor(x), n).numpy()
        assert ulps(e, t, np.float64).max() <= 1, name


def _pair(fn):
    return fn(torch), fn(ember)


@pytest.mark.parametrize("case", [
    lambda m: m.special.airy_ai(m.tensor([1, 2, 0])),
    lambda m: m.special.modified_bessel_k1(m.tensor([True, False])),
    lambda m: m.special.chebyshev_polynomial_t(m.tensor([1, 2], dtype=m.int32), m.tensor([1, 2])),
    lambda m: m.special.legendre_polynomial_p(2, m.tensor([3, 4])),
    lambda m: m.special.legendre_polynomial_p(2.5, m.tensor([3.0, 4], dtype=m.float64)),
    lambda m: m.special.hermite_polynomial_h(m.tensor(0.5, dtype=m.float64), m.tensor([3.0, 4])),
    lambda m: m.special.hermite_polynomial_he(m.tensor([0.5]), m.tensor([3.0], dtype=m.float64)),
    lambda m: m.special.laguerre_polynomial_l(m.tensor([[0.5], [0.2]]), m.tensor([3, 4, 5])),
    lambda m: m.special.chebyshev_polynomial_w(x=m.tensor([0.1, 0.9]), n=3.5),
    lambda m: m.special.spherical_bessel_j0(x=m.tensor(0.25, dtype=m.float64)),
])
def test_promotion_and_broadcasting(case):
    t, e = _pair(case)
    assert str(e.dtype) == str(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("case", [
    lambda m: m.special.chebyshev_polynomial_t(2.0, 3.0),
    lambda m: m.special.chebyshev_polynomial_t(m.ones(2), "a"),
    lambda m: m.special.laguerre_polynomial_l([1.0], 3),
    lambda m: m.special.airy_ai(1.0),
    lambda m: m.special.chebyshev_polynomial_t(m.ones(2, dtype=m.float16), 3),
    lambda m: m.special.bessel_y0(m.ones(2, dtype=m.float16)),
    lambda m: m.special.legendre_polynomial_p(m.ones(2), m.ones(3)),
    lambda m: m.special.bessel_y1(m.ones(2), out=m.empty(2, dtype=m.int64)),
])
def test_errors_match(case):
    with pytest.raises(Exception) as t:
        case(torch)
    with pytest.raises(Exception) as e:
        case(ember)
    assert type(e.value).__name__ == type(t.value).__name__
    assert str(e.value).splitlines()[0] == str(t.value).splitlines()[0]


def test_out_argument():
    for lib in (torch, ember):
        x = lib.tensor([0.3, 0.5], requires_grad=True)  # fine: there is no derivative
        o = lib.empty(2, dtype=lib.float64)
        r = lib.special.modified_bessel_i1(x, out=o)
        assert r is o and o.dtype == lib.float64
        o2 = lib.empty(3)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.special.shifted_chebyshev_polynomial_v(x.detach(), 4, out=o2)
        assert o2.shape == (2,) and any("resized" in str(m.message) for m in w)
        if lib is torch:
            ref = (o.numpy().copy(), o2.numpy().copy())
    np.testing.assert_array_equal(o.numpy(), ref[0])
    np.testing.assert_array_equal(o2.numpy(), ref[1])


@pytest.mark.parametrize("name", UNARY + POLYS)
def test_no_derivative(name):
    msgs = []
    for lib in (torch, ember):
        x = lib.tensor([0.4, 1.5], requires_grad=True)
        fn = getattr(lib.special, name)
        y = fn(x) if name in UNARY else fn(x, lib.tensor([3.0, 2.0], requires_grad=True))
        assert not y.requires_grad and y.grad_fn is None
        with pytest.raises(RuntimeError) as err:
            y.sum().backward()
        msgs.append(str(err.value).splitlines()[0])
    assert msgs[0] == msgs[1]
