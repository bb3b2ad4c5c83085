"""Shortcuts taken for speed give what the general path (and PyTorch 2.13) gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F

RNG = np.random.default_rng(5)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("n", [6, 3000, 5000])  # small and large arrays take different paths
def test_relu_gradient_with_inf_and_nan_is_pytorchs(n, dtype):
    x = RNG.standard_normal(n).astype(dtype)
    g = RNG.standard_normal(n).astype(dtype)
    x[:6] = [-1.0, 0.0, 2.0, np.nan, -3.0, -0.0]
    g[:6] = [np.inf, np.nan, 1.0, 5.0, -2.0, -1.5]  # masked -2.0 and -1.5: +0.0, not -0.0
    grads = []
    for T in (ember, torch):
        xt = T.tensor(x, requires_grad=True)
        y = T.relu(xt)
        y.backward(T.tensor(g))
        grads.append((_np(y), _np(xt.grad)))
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("shape", [(3, 4), (128, 128), (600, 500)])  # the last is above
def test_relu_forward_signs_nan_inf_are_pytorchs(shape):          # the cached-zeros limit
    x = RNG.standard_normal(shape).astype(np.float32)
    x.flat[:6] = [-0.0, 0.0, np.nan, -np.inf, np.inf, -1.0]
    want = torch.relu(torch.tensor(x)).numpy()
    for got in (ember.relu(ember.tensor(x)).numpy(), F.relu(ember.tensor(x)).numpy()):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))  # relu(-0.0) = -0.0


@pytest.mark.parametrize("shape", [(3, 4), (128, 128)])
def test_sequential_plan_in_place_relu_is_pytorchs(shape):
    x = RNG.standard_normal(shape).astype(np.float32)
    seq = ember.nn.Sequential(ember.nn.Linear(shape[1], shape[1]), ember.nn.ReLU())
    with ember.no_grad():
        lin = seq[0](ember.tensor(x)).numpy()
        planned = seq(ember.tensor(x)).numpy()
    np.testing.assert_array_equal(planned, torch.relu(torch.tensor(lin)).numpy())


def test_relu_gradient_finite_is_the_masked_gradient():
    x = ember.tensor(RNG.standard_normal((64, 40)).astype(np.float32), requires_grad=True)
    g = RNG.standard_normal((64, 40)).astype(np.float32)
    ember.relu(x).backward(ember.tensor(g))
    np.testing.assert_array_equal(_np(x.grad), np.where(_np(x) > 0, g, 0))


@pytest.mark.parametrize("shape", [(200, 1), (7, 1)])
def test_outer_product_shaped_linear_matches_torch(shape):
    x = RNG.standard_normal(shape).astype(np.float32)
    w = RNG.standard_normal((5, 1)).astype(np.float32)
    out = []
    for T in (ember, torch):
        xt, wt = T.tensor(x, requires_grad=True), T.tensor(w, requires_grad=True)
        y = T.nn.functional.linear(xt, wt)
        y.backward(T.ones_like(y))
        out.append((_np(y), _np(xt.grad), _np(wt.grad)))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(out[0][0], x @ w.T)  # each entry one product, as BLAS


@pytest.mark.parametrize("target", [[0, 2, 1, 2], [0, -100, 1, 2], [3, 0, 1, 1]])
def test_cross_entropy_common_case_against_torch(target):
    x = RNG.standard_normal((4, 4)).astype(np.float32)
    res = []
    for T in (ember, torch):
        xt = T.tensor(x, requires_grad=True)
        loss = T.nn.functional.cross_entropy(xt, T.tensor(target))
        loss.backward()
        res.append((_np(loss), _np(xt.grad)))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-6)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-5, atol=1e-7)


def test_cross_entropy_target_out_of_range_is_pytorchs_error():
    x = ember.zeros(3, 2, requires_grad=True)
    for bad in ([0, 2, 1], [0, -1, 1]):
        with pytest.raises(IndexError, match="out of bounds"):
            F.cross_entropy(x, ember.tensor(bad))


def test_zero_dim_power_keeps_dtype_and_value():
    for dt in (ember.float32, ember.float64):
        x = ember.tensor(1.7, dtype=dt, requires_grad=True)
        y = x ** 3
        y.backward()
        ref = np.asarray(1.7, dtype=np.float32 if dt == ember.float32 else np.float64)
        assert y.dtype == dt and x.grad.dtype == dt
        assert _np(y) == ref ** 3 and _np(x.grad) == 3 * ref ** 2


def test_mean_gradient_is_spread_evenly():
    x = ember.tensor(RNG.standard_normal((6, 5)), requires_grad=True)
    x.mean().backward()
    np.testing.assert_array_equal(_np(x.grad), np.full((6, 5), 1 / 30))
    x.grad = None
    x.mean().backward()
    x.grad.add_(1)  # writable, and not shared with anything
    np.testing.assert_array_equal(_np(x.grad), np.full((6, 5), 1 + 1 / 30))


def test_operator_shortcut_keeps_errors_and_dtypes():
    a, b = ember.ones(2, 3), ember.ones(4, 3)
    with pytest.raises(RuntimeError, match="must match the size"):
        a + b
    assert (ember.ones(2, dtype=ember.float64) + ember.ones(2)).dtype == ember.float64
    assert (ember.ones(2, dtype=ember.int64) * ember.ones(2, dtype=ember.int64)).dtype == \
        ember.int64
    assert not (a * a).requires_grad and (a - a).grad_fn is None


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
@pytest.mark.parametrize("number", [0.01, 3, -2.5, 1e30, float("nan")])
def test_tensor_and_python_number_operators_are_pytorchs(dtype, number):
    x = np.array([1.5, -2.0, 0.0, 1e3, np.inf, -7.0]).astype(dtype)
    for T in (ember, torch):
        t = T.tensor(x)
        got = [t * number, number * t, t + number, number + t, t - number, number - t]
        if T is ember:
            mine = got
        else:
            for a, b in zip(mine, got):
                assert a.dtype == getattr(ember, str(b.dtype).split(".")[1])
                np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_tensor_and_python_number_records_when_grad_is_needed():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    y = 1.0 - 0.5 * w
    assert y.grad_fn.name() == "RsubBackward1" and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [-0.5, -0.5])
    with ember.no_grad():
        assert (0.5 * w).grad_fn is None and not (0.5 * w).requires_grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [2, 3])
def test_square_and_cube_are_pytorchs_products(dtype, p):
    x = (RNG.standard_normal(2000) * 3).astype(dtype)
    g = RNG.standard_normal(2000).astype(dtype)
    out = []
    for T in (ember, torch):
        xt = T.tensor(x, requires_grad=True)
        y = xt ** p
        y.backward(T.tensor(g))
        out.append((_np(y), _np(xt.grad)))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8"])
@pytest.mark.parametrize("values", [[3, 1, 3, 0], [[1, 5], [5, 2]], [7], 4])
def test_full_argmax_argmin_are_pytorchs(dtype, values):
    x = np.array(values).astype(dtype)
    for name in ("argmax", "argmin"):
        got, want = getattr(ember.tensor(x), name)(), getattr(torch.tensor(x), name)()
        assert got.dtype == ember.int64 and got.shape == () and got.item() == want.item()
        assert getattr(ember, name)(ember.tensor(x)).item() == want.item()


def test_full_argmax_with_nan_and_empty_are_pytorchs():
    x = np.array([1.0, np.nan, 5.0, np.nan], np.float32)
    for name in ("argmax", "argmin"):
        assert getattr(ember.tensor(x), name)().item() == \
            getattr(torch.tensor(x), name)().item()
    for T in (ember, torch):
        with pytest.raises(IndexError, match=r"^argmax\(\): Expected reduction dim to be "
                           r"specified for input.numel\(\) == 0.$"):
            T.tensor(np.zeros((0,), np.float32)).argmax()


@pytest.mark.parametrize("name,args", [
    ("sign", ()), ("trunc", ()), ("tan", ()), ("log2", ()), ("log10", ()), ("log1p", ()),
    ("expm1", ()), ("rsqrt", ()), ("square", ()), ("remainder", (1.5,)), ("fmod", (1.5,)),
    ("floor_divide", (1.5,))])
def test_more_in_place_methods_are_pytorchs(name, args):
    x = np.array([-2.5, -0.0, 0.3, 1.7, 4.0, np.nan], np.float32)
    out = []
    for T in (ember, torch):
        t = T.tensor(x)
        r = getattr(t, name + "_")(*args)
        out.append((r is t, t._version, t.numpy().copy()))
    (same_e, ver_e, ve), (same_t, ver_t, vt) = out
    assert same_e and same_t and ver_e == ver_t
    np.testing.assert_allclose(ve, vt, rtol=1e-6, equal_nan=True)


def test_sign_of_nan_is_zero_as_pytorch():
    x = np.array([np.nan, -0.0, 0.0, 2.0, -3.0, -np.inf])
    for fn in ("sign", "sgn"):
        np.testing.assert_array_equal(getattr(ember, fn)(ember.tensor(x)).numpy(),
                                      getattr(torch, fn)(torch.tensor(x)).numpy())
