"""Gradients at the edges of the float range, against PyTorch 2.13 (found by sweeping value
and gradient of ~50 unary functions over [-1e30, 1e30] against torch): sinc's gradient was
nan where pi x^2 underflows, softplus's slope underflowed to 0 below x = -20 (float32), and
i0's gradient summed a power series to max|x| terms (x = 1e30 hung, nan raised)."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import ember


def _grads(T, f, xs, dtype):
    x = T.tensor(xs, dtype=getattr(T, dtype), requires_grad=True)
    f(T, x).sum().backward()
    return x.grad.numpy()


CASES = [
    ("sinc", lambda T, x: T.sinc(x), [0.0, 1e-30, 1e-10, 0.5, 1e30, -1e30]),
    ("softplus", lambda T, x: T.nn.functional.softplus(x), [-20.0, -60.0, -100.0, 0.0, 30.0,
                                                            1e30]),
    ("softplus_beta", lambda T, x: T.nn.functional.softplus(x, beta=2, threshold=5),
     [-20.0, 0.3, 4.0, 400.0]),
    ("i0", lambda T, x: T.i0(x), [0.0, 1e-3, -3.0, 50.0, 700.0, 1e30, -1e30, np.nan, np.inf]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,f,xs", CASES, ids=[c[0] for c in CASES])
def test_edge_gradients_match_torch(name, f, xs, dtype):
    want, got = _grads(torch, f, xs, dtype), _grads(ember, f, xs, dtype)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=4 * np.finfo(dtype).eps, atol=0)


def test_i0_gradient_of_huge_inputs_returns():
    code = ("import ember\nx = ember.tensor([1e30, float('nan'), 5.0], requires_grad=True)\n"
            "ember.i0(x).sum().backward()\nprint(x.grad.tolist())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.startswith("[inf, nan, 24.33")
