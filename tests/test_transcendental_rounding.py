"""float32 log2, log10, tan, asin, acos, atan, sinh, cosh and atanh are computed in float64
and rounded once, which brings them to PyTorch's (Sleef's) values but for a fraction of a
percent: NumPy's float32 kernels differed from PyTorch's in 11-50% of values. Each bound is
about twice the rate measured on this sample; every value stays within one ulp."""

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(11)
X = (RNG.standard_normal(20000) * 3).astype(np.float32)
POS = np.abs(X) + np.float32(1e-3)
UNIT = (np.tanh(X) * np.float32(0.999)).astype(np.float32)
CASES = {"log2": (POS, 0.1), "log10": (POS, 0.1), "tan": (X, 1.5), "asin": (UNIT, 5.0),
         "acos": (UNIT, 11.0), "atan": (X, 0.1), "sinh": (X, 0.5), "cosh": (X, 0.5),
         "atanh": (UNIT, 0.2)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_values_are_pytorchs_but_for_a_few(name):
    a, percent = CASES[name]
    want = getattr(torch, name)(torch.from_numpy(a)).numpy()
    got = getattr(ember, name)(ember.from_numpy(a)).numpy()
    assert got.dtype == want.dtype == np.float32
    finite = np.isfinite(want)
    assert np.array_equal(np.isfinite(got), finite)
    ulps = np.abs(got[finite].view(np.int32).astype(np.int64)
                  - want[finite].view(np.int32).astype(np.int64))
    assert ulps.max() <= 1
    assert np.mean(got != want) * 100 <= percent


@pytest.mark.parametrize("name", sorted(CASES))
def test_float64_and_gradients_unchanged(name):
    a = CASES[name][0][:500].astype(np.float64)
    want = getattr(torch, name)(torch.from_numpy(a)).numpy()
    got = getattr(ember, name)(ember.from_numpy(a)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    t = ember.from_numpy(a.copy()).requires_grad_()
    getattr(ember, name)(t).sum().backward()
    u = torch.from_numpy(a.copy()).requires_grad_()
    getattr(torch, name)(u).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-13)
