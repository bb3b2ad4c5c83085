"""number / tensor is PyTorch's reciprocal() * number, not a correctly rounded division:
the values and gradients must be PyTorch's bit for bit (they differ in ~27% of entries)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("number", [3.0, 0.7, 5, -1e-3, 1.0])
def test_number_over_tensor_is_pytorchs_bit_for_bit(dtype, number):
    x = RNG.standard_normal(2000).astype(dtype)
    x[:4] = [0.0, -0.0, np.inf, np.nan]
    g = RNG.standard_normal(2000).astype(dtype)
    out = []
    for T in (ember, torch):
        xt = T.tensor(x, requires_grad=True)
        y = number / xt
        y.backward(T.tensor(g))
        out.append((y.detach().numpy(), xt.grad.numpy(), y.grad_fn.name(), str(y.dtype)))
    (ye, ge, ne, de), (yt, gt, nt, dt) = out
    np.testing.assert_array_equal(ye, yt)
    np.testing.assert_array_equal(ge, gt)
    assert (ne, de.split(".")[-1]) == (nt, dt.split(".")[-1]) == ("MulBackward0", dtype)


def test_number_over_tensor_second_derivative_is_pytorchs():
    x = RNG.standard_normal(50)
    grads = []
    for T in (ember, torch):
        xt = T.tensor(x, requires_grad=True)
        (g,) = T.autograd.grad((3.0 / xt).sum(), xt, create_graph=True)
        (gg,) = T.autograd.grad(g.sum(), xt)
        grads.append((g.detach().numpy(), gg.numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_number_over_int_tensor_is_float_as_pytorch():
    x = np.array([1, 3, -7, 0])
    e, t = 3 / ember.tensor(x), 3 / torch.tensor(x)
    assert e.dtype == ember.float32
    np.testing.assert_array_equal(e.numpy(), t.numpy())
