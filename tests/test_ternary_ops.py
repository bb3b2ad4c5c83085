"""lerp, addcmul, addcdiv (ops/ternary.py) and addmm (ops/linalg_more.py) against PyTorch 2.13:
values (bit for bit where PyTorch's fused multiply-add is reproduced), dtypes, grad_fn names,
gradients vs torch and float64 finite differences, second order, in-place forms, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from optable import FIXED, ErrorCase, OpCase, V, make_error_test, make_tests

CASES = [
    OpCase("lerp_scalar_small", lambda T, a, b: T.lerp(a, b, 0.3), [(2, 3), (2, 3)],
           gradgrad=True),
    OpCase("lerp_scalar_large", lambda T, a, b: T.lerp(a, b, 0.8), [(2, 3), (2, 3)]),
    OpCase("lerp_scalar_negative", lambda T, a, b: T.lerp(a, b, -0.7), [(3,), (3,)]),
    OpCase("lerp_broadcast", lambda T, a, b: T.lerp(a, b, 0.6), [(2, 1), (3,)]),
    OpCase("lerp_tensor_weight", lambda T, a, b, w: T.lerp(a, b, w),
           [(2, 3), (2, 3), (2, 3)], domain=["real", "real", "wide"], gradgrad=True),
    OpCase("lerp_tensor_weight_broadcast", lambda T, a, b, w: T.lerp(a, b, w),
           [(3,), (2, 1), (2, 3)], domain=["real", "real", "unit"]),
    OpCase("lerp_method", lambda T, a, b: a.lerp(b, 0.5), [(4,), (4,)]),
    OpCase("lerp_0d", lambda T, a, b, w: T.lerp(a, b, w), [(), (), ()]),
    OpCase("addcmul", lambda T, x, a, b: T.addcmul(x, a, b), [(2, 3), (2, 3), (2, 3)],
           gradgrad=True),
    OpCase("addcmul_value", lambda T, x, a, b: T.addcmul(x, a, b, value=0.3),
           [(2, 3), (3,), (2, 1)]),
    OpCase("addcmul_method", lambda T, x, a, b: x.addcmul(a, b, value=-2), [(3,), (3,), (3,)]),
    OpCase("addcmul_int", lambda T, x, a, b: T.addcmul(x, a, b, value=1.7),
           [V([3, 5]), V([1, 2]), V([4, -1])], dtypes=[FIXED]),
    OpCase("addcmul_promote", lambda T, x, a, b: T.addcmul(x, a, b),
           [V([1.5, 2.0], "float32"), V([1, 2]), V([0.25, 3.0], "float64")],
           dtypes=[FIXED]),
    OpCase("addcdiv", lambda T, x, a, b: T.addcdiv(x, a, b), [(2, 3), (2, 3), (2, 3)],
           domain=["real", "real", "nonzero"], gradgrad=True),
    OpCase("addcdiv_value", lambda T, x, a, b: T.addcdiv(x, a, b, value=0.3),
           [(2, 1), (3,), (2, 3)], domain=["real", "real", "nonzero"]),
    OpCase("addcdiv_method", lambda T, x, a, b: x.addcdiv(a, b, value=2),
           [(3,), (3,), (3,)], domain=["real", "real", "nonzero"]),
    OpCase("addmm", lambda T, x, a, b: T.addmm(x, a, b), [(2, 4), (2, 3), (3, 4)],
           gradgrad=True),
    OpCase("addmm_beta_alpha", lambda T, x, a, b: T.addmm(x, a, b, beta=0.5, alpha=-2),
           [(4,), (2, 3), (3, 4)]),
    OpCase("addmm_beta0", lambda T, x, a, b: T.addmm(x, a, b, beta=0), [(2, 4), (2, 3), (3, 4)]),
    OpCase("addmm_method", lambda T, x, a, b: x.addmm(a, b), [(1, 4), (2, 3), (3, 4)]),
    OpCase("addmm_int", lambda T, x, a, b: T.addmm(x, a, b, alpha=2),
           [V([1, 2]), V([[1, 2], [3, 4]]), V([[5, 6], [7, 8]])], dtypes=[FIXED]),
]

test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(CASES,
                                                                         grad_fn_names=True)


def _err(name, fn, *inputs):
    return ErrorCase(name, fn, list(inputs))


ERRORS = [
    _err("lerp_end_dtype", lambda T, a: T.lerp(a, a.double(), 0.5), (3,)),
    _err("lerp_weight_dtype", lambda T, a: T.lerp(a, a, a.double()), (3,)),
    _err("lerp_half_end", lambda T, a: T.lerp(a.half(), a, 0.5), (3,)),
    _err("lerp_int", lambda T, a: T.lerp(a.long(), a.long(), 0.5), (3,)),
    _err("lerp_int_tensor_weight", lambda T, a: T.lerp(a.int(), a.int(), a.int()), (3,)),
    _err("lerp_number_end", lambda T, a: T.lerp(a, 3, 0.5), (3,)),
    _err("lerp_shapes", lambda T, a, b: T.lerp(a, b, 0.5), (3,), (4,)),
    _err("lerp_inplace_broadcast", lambda T, a, b: a.lerp_(b, 0.5), (3,), (2, 3)),
    _err("addcmul_number", lambda T, a: T.addcmul(a, 2, a), (3,)),
    _err("addcmul_shapes", lambda T, a, b: T.addcmul(a, b, a), (3,), (4,)),
    _err("addcmul_bool", lambda T, a: T.addcmul(a > 0, a > 0, a > 0), (3,)),
    _err("addcmul_inplace_int", lambda T, a: a.long().addcmul_(a, a), (3,)),
    _err("addcdiv_int", lambda T, a: T.addcdiv(a, a.long(), a.long()), (3,)),
    _err("addmm_shapes", lambda T, x, a, b: T.addmm(x, a, b), (2, 3), (2, 4), (5, 3)),
    _err("addmm_3d", lambda T, x, a, b: T.addmm(x, a, b), (2, 3), (2, 4, 1), (4, 3)),
    _err("addmm_input", lambda T, x, a, b: T.addmm(x, a, b), (3, 3), (2, 4), (4, 3)),
    _err("addmm_self_dtype", lambda T, x, a, b: T.addmm(x.double(), a, b), (2, 3), (2, 4),
         (4, 3)),
    _err("addmm_mat_dtype", lambda T, x, a, b: T.addmm(x, a.double(), b), (2, 3), (2, 4),
         (4, 3)),
]

test_errors = make_error_test(ERRORS)


def _pair(dtype, n=4000, seed=0, scale=10.0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(n) * scale).astype(dtype) for _ in range(3)]


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("weight", [0.3, 0.7, 0.005, 1.0, 0.0, -0.6, 1.5, "tensor"])
def test_lerp_bits(dtype, weight):
    """PyTorch's lerp rounds once (a fused multiply-add): every bit the same."""
    a, b, w = _pair(dtype)
    if weight == "tensor":
        w = (w / 5).astype(dtype)
        args = [(torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(w)),
                (ember.from_numpy(a), ember.from_numpy(b), ember.from_numpy(w))]
    else:
        args = [(torch.from_numpy(a), torch.from_numpy(b), weight),
                (ember.from_numpy(a), ember.from_numpy(b), weight)]
    want = torch.lerp(*args[0]).numpy()
    got = ember.lerp(*args[1]).numpy()
    np.testing.assert_array_equal(got, want)


def test_lerp_ends_exact():
    a = np.array([0.1, 1e8, -3.3, 7.0], np.float32)
    b = np.array([0.7, 1.0, 2.9, -1e-30], np.float32)
    for w, want in ((0.0, a), (1.0, b)):
        np.testing.assert_array_equal(ember.lerp(ember.tensor(a), ember.tensor(b), w).numpy(),
                                      want)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("value", [1, 0.3, -2.5])
def test_addcmul_addcdiv_bits(dtype, value):
    x, a, b = _pair(dtype, seed=1)
    b = np.where(np.abs(b) < 0.1, dtype(1), b)
    for fn in ("addcmul", "addcdiv"):
        want = getattr(torch, fn)(*map(torch.from_numpy, (x, a, b)), value=value).numpy()
        got = getattr(ember, fn)(*map(ember.from_numpy, (x, a, b)), value=value).numpy()
        np.testing.assert_array_equal(got, want, err_msg=fn)


@pytest.mark.parametrize("seed", [2, 3])
def test_float64_bits(seed):
    """float64 is exact too (Dekker's product; long double used to miss ~0.05% of entries)."""
    x, a, b = _pair(np.float64, seed=seed)
    b = np.where(np.abs(b) < 0.1, 1.0, b)
    tt, et = list(map(torch.from_numpy, (x, a, b))), list(map(ember.from_numpy, (x, a, b)))
    rng = np.random.default_rng(seed)
    w = rng.random(x.shape)
    cases = [("lerp", 0.3, {}), ("lerp", 0.7, {}), ("lerp", "w", {}),
             ("addcmul", None, {"value": 0.3}), ("addcdiv", None, {"value": 0.3})]
    for fn, weight, kw in cases:
        if fn == "lerp":
            targs = (tt[0], tt[1], torch.from_numpy(w) if weight == "w" else weight)
            eargs = (et[0], et[1], ember.from_numpy(w) if weight == "w" else weight)
        else:
            targs, eargs = tt, et
        want = getattr(torch, fn)(*targs, **kw).numpy()
        got = getattr(ember, fn)(*eargs, **kw).numpy()
        np.testing.assert_array_equal(got, want, err_msg=f"{fn} {weight}")


@pytest.mark.parametrize("name,args", [
    ("lerp_", lambda T, a, b: (b, 0.25)), ("lerp_", lambda T, a, b: (b, 0.75)),
    ("addcmul_", lambda T, a, b: (b, b)), ("addcdiv_", lambda T, a, b: (b, b + 3)),
])
def test_inplace_matches_torch(name, args):
    rng = np.random.default_rng(3)
    a0, b0 = rng.standard_normal((2, 3)).astype(np.float32), rng.random(3).astype(np.float32)
    results = []
    for T in (torch, ember):
        a, b = T.tensor(a0), T.tensor(b0)
        out = getattr(a, name)(*args(T, a, b))
        assert out is a
        results.append(a.numpy().copy())
    np.testing.assert_array_equal(results[1], results[0])


def test_soft_update_with_lerp_under_no_grad():
    """RL's target-network update: target.lerp_(online, tau) under no_grad, in place."""
    for T in (torch, ember):
        T.manual_seed(0)
    rng = np.random.default_rng(4)
    w_t, w_o = rng.standard_normal((2, 4, 3)).astype(np.float32)
    out = []
    for T in (torch, ember):
        target, online = T.tensor(w_t, requires_grad=True), T.tensor(w_o, requires_grad=True)
        with T.no_grad():
            target.lerp_(online, 0.005)
        assert target.grad_fn is None and target.is_leaf
        out.append(target.detach().numpy())
    np.testing.assert_array_equal(out[1], out[0])


def test_lerp_inplace_records_graph():
    for T in (torch, ember):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1
        b.lerp_(T.tensor([3.0, 5.0]), 0.25)
        b.sum().backward()
        assert b.grad_fn.name().startswith("LerpBackward")
        np.testing.assert_allclose(a.grad.numpy(), [0.75, 0.75])
