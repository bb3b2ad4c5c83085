"""clamp, hardtanh, relu6, leaky_relu and elu with number bounds against PyTorch 2.13, bit for bit.

Their fast paths (ops/_util.py: cached bound arrays from 512 to 2**18 entries, a branch-free
select from 4096) change NumPy's loops, not the answers: signs of zeros, nan and inf, values
at the bounds, gradients with inf/nan upstream, integer inputs and the in-place forms.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember.ops import _util

RNG = np.random.default_rng(11)
# below bound_array's 512 entries; cached (and select's bit path); above its 2**18 cap
SHAPES = [(3, 5), (128, 128), (600, 500)]
SPECIAL = [-0.0, 0.0, np.nan, np.inf, -np.inf, -1.0, 1.0, 0.0, 6.0, -2.0, 2.5, 0.5, -0.5, 7.0]
OPS = {  # name: (ember function, torch function); each takes (module, functional, x)
    "clamp": lambda T, NF, x: T.clamp(x, -1.0, 1.0),
    "clamp_min0": lambda T, NF, x: T.clamp(x, min=0.0),
    "clamp_min-0": lambda T, NF, x: T.clamp(x, min=-0.0),
    "clamp_max0": lambda T, NF, x: x.clamp(max=0.0),
    "clamp_max-0": lambda T, NF, x: x.clamp(max=-0.0),
    "clamp_lo>hi": lambda T, NF, x: T.clamp(x, 0.5, -0.5),
    "clamp_int_bounds": lambda T, NF, x: x.clip(-2, 6),
    "clip": lambda T, NF, x: T.clip(x, -0.5, 2.5),
    "hardtanh": lambda T, NF, x: NF.hardtanh(x),
    "hardtanh_2": lambda T, NF, x: NF.hardtanh(x, -2.0, 2.5),
    "relu6": lambda T, NF, x: NF.relu6(x),
    "leaky_relu": lambda T, NF, x: NF.leaky_relu(x),
    "leaky_relu_0.2": lambda T, NF, x: NF.leaky_relu(x, 0.2),
    "leaky_relu_1": lambda T, NF, x: NF.leaky_relu(x, 1.0),
    "leaky_relu_1.5": lambda T, NF, x: NF.leaky_relu(x, 1.5),
    "leaky_relu_0": lambda T, NF, x: NF.leaky_relu(x, 0.0),
    "leaky_relu_-0.3": lambda T, NF, x: NF.leaky_relu(x, -0.3),
}


def _data(shape, dtype):
    x = RNG.standard_normal(shape).astype(dtype) * 3
    x.flat[:len(SPECIAL)] = SPECIAL
    g = RNG.standard_normal(shape).astype(dtype)
    g.flat[:6] = [np.inf, -np.inf, np.nan, -1.0, -0.0, 2.0]
    g.flat[-6:] = [np.inf, -3.0, np.nan, -np.inf, -1.0, -2.0]  # where x is beyond a bound too
    x.flat[-6:] = [-7.0, -9.0, 8.0, -np.inf, 0.0, -0.0]
    return x, g


def same_bits(got, want):
    """Equal values, dtypes, and signs of zero (nan's sign bit is not specified)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    ok = ~np.isnan(want)
    np.testing.assert_array_equal(np.signbit(got[ok]), np.signbit(want[ok]))


def same_grads(name, x, got, want):
    if name.startswith(("hardtanh", "relu6")):
        # PyTorch's hardtanh gradient at a nan x depends on the element's position: 0 from its
        # vectorised loop, the gradient from the scalar loop that ends a row. ember: always 0.
        nan = np.isnan(x)
        assert (got[nan] == 0).all()
        got, want = got[~nan], want[~nan]
    same_bits(got, want)


def _run(T, NF, op, x, g):
    xt = T.tensor(x, requires_grad=True)
    y = op(T, NF, xt)
    y.backward(T.tensor(g))
    return y.detach().numpy(), xt.grad.numpy(), y.grad_fn.name()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(OPS))
def test_forward_and_gradient_are_pytorchs(name, shape, dtype):
    x, g = _data(shape, dtype)
    got = _run(ember, F, OPS[name], x, g)
    want = _run(torch, TF, OPS[name], x, g)
    same_bits(got[0], want[0])
    same_grads(name, x, got[1], want[1])
    assert got[2] == want[2]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_elu_is_pytorchs(shape, dtype):
    # NumPy's expm1/exp can differ from PyTorch's by an ulp, so only the values that need no
    # transcendental are compared bit for bit; the rest to that rounding.
    x, g = _data(shape, dtype)
    got = _run(ember, F, lambda T, NF, t: NF.elu(t, 0.7), x, g)
    want = _run(torch, TF, lambda T, NF, t: NF.elu(t, 0.7), x, g)
    exact = (x > 0) | ~np.isfinite(x) | (x == 0)
    for a, b in zip(got[:2], want[:2]):
        same_bits(a[exact], b[exact])
        np.testing.assert_allclose(a, b, rtol=4 * np.finfo(dtype).eps, atol=0)
    assert got[2] == want[2]


def test_zero_bounds_of_both_signs_on_one_cached_shape():
    x, _ = _data((64, 64), np.float32)  # 0.0 and -0.0 compare equal: the cache must not mix them
    for bound in (0.0, -0.0, 0.0, 0, -0.0):
        for kw in ({"min": bound}, {"max": bound}):
            same_bits(ember.clamp(ember.tensor(x), **kw).numpy(),
                      torch.clamp(torch.tensor(x), **kw).numpy())


@pytest.mark.parametrize("name", ["clamp_", "hardtanh", "relu6", "leaky_relu", "leaky_relu_1.5"])
@pytest.mark.parametrize("shape", [(3, 5), (128, 128)])
def test_in_place_forms_are_pytorchs(name, shape):
    ops = {"clamp_": lambda T, NF, t: t.clamp_(-1.0, 1.0),
           "hardtanh": lambda T, NF, t: NF.hardtanh(t, -1.0, 2.5, inplace=True),
           "relu6": lambda T, NF, t: NF.relu6(t, inplace=True),
           "leaky_relu": lambda T, NF, t: NF.leaky_relu(t, 0.1, inplace=True),
           "leaky_relu_1.5": lambda T, NF, t: NF.leaky_relu(t, 1.5, inplace=True)}
    x, g = _data(shape, np.float32)
    res = []
    for T, NF in ((ember, F), (torch, TF)):
        leaf = T.tensor(x, requires_grad=True)
        h = leaf * 1
        y = ops[name](T, NF, h)
        assert y is h
        y.backward(T.tensor(g))
        res.append((y.detach().numpy(), leaf.grad.numpy(), y.grad_fn.name()))
        with T.no_grad():  # and without a graph
            z = T.tensor(x)
            assert ops[name](T, NF, z) is z
            res.append(z.numpy())
    same_bits(res[0][0], res[2][0])
    same_grads(name, x, res[0][1], res[2][1])
    assert res[0][2] == res[2][2]
    same_bits(res[1], res[3])


@pytest.mark.parametrize("shape", [(3, 5), (128, 128)])
def test_integer_inputs_are_pytorchs(shape):
    x = RNG.integers(-9, 9, shape)
    for f in (lambda T, NF, t: T.clamp(t, -1, 4), lambda T, NF, t: t.clamp(min=2),
              lambda T, NF, t: t.clamp(max=-3), lambda T, NF, t: T.clamp(t, -1.5, 4),
              lambda T, NF, t: NF.hardtanh(t, -1.5, 4.5), lambda T, NF, t: NF.relu6(t),
              lambda T, NF, t: t.clamp_(-2, 3)):
        same_bits(f(ember, F, ember.tensor(x)).numpy(), f(torch, TF, torch.tensor(x)).numpy())


def test_numpy_scalar_bounds_keep_the_tensors_dtype():
    x, _ = _data((40, 30), np.float32)
    for lo in (np.float64(-0.5), np.float32(-0.5), np.int64(-1)):
        same_bits(ember.clamp(ember.tensor(x), min=lo, max=np.float64(2.0)).numpy(),
                  torch.clamp(torch.tensor(x), min=lo, max=np.float64(2.0)).numpy())


def test_hardtanh_rejects_min_above_max_as_pytorch():
    for T, NF in ((ember, F), (torch, TF)):
        with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
            NF.hardtanh(T.ones(3), 2.0, 1.0)


def test_second_derivative_through_hardtanh_and_clamp():
    x, _ = _data((4, 5), np.float64)
    res = []
    for T, NF in ((ember, F), (torch, TF)):
        xt = T.tensor(x, requires_grad=True)
        y = NF.hardtanh(xt, -1.0, 2.5) * xt + T.clamp(xt, min=0.0) * xt
        (gx,) = T.autograd.grad(y.sum(), xt, create_graph=True)
        gx.sum().backward()
        res.append((gx.detach().numpy(), xt.grad.numpy()))
    same_bits(res[0][0], res[1][0])
    same_bits(res[0][1], res[1][1])


def test_bound_arrays_are_read_only_and_bounded():
    x = np.zeros((32, 32), np.float32)
    for v in range(100):
        a = _util.bound_array(x, float(v))
        assert not a.flags.writeable and a.shape == x.shape and a.dtype == x.dtype
    assert len(_util._BOUNDS) <= 32
    big = np.zeros(_util._ZEROS_MAX + 1, np.float32)
    assert _util.bound_array(big, 1.0) == 1.0  # too big to keep: the scalar itself
    assert _util.bound_array(x.T[:, :20], 1.0) == 1.0  # not C-contiguous: x's layout stays
    assert _util.bound_array(x, float("nan")) != _util.bound_array(x, float("nan"))


def test_float16_ties_keep_x_too():
    # NumPy's float16 loop returns the first operand of a tie, float32/64 the second.
    x = np.array([-0.0, 0.0, np.nan, -1.0, 2.0, 1.0, np.inf, -np.inf] * 80, np.float16)
    for f in (lambda T, NF, t: T.clamp(t, 0.0, 1.0), lambda T, NF, t: T.clamp(t, -0.0, -0.0),
              lambda T, NF, t: t.clamp(max=0.0), lambda T, NF, t: NF.hardtanh(t, 0.0, 1.0),
              lambda T, NF, t: NF.elu(t), lambda T, NF, t: NF.leaky_relu(t, 0.5)):
        same_bits(f(ember, F, ember.tensor(x)).numpy(), f(torch, TF, torch.tensor(x)).numpy())
