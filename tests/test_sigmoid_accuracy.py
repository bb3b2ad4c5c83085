"""sigmoid in PyTorch's form, 1 / (1 + exp(-x)) in the input's precision: within an ulp or
two of PyTorch everywhere (its exp is SLEEF's, ours NumPy's), small results keep their
relative accuracy (the tanh form gave 0 for sigmoid(-50)), exactly 0 and 1 where PyTorch
gives them, no overflow warnings; the gradient g (1 - y) y in PyTorch's order."""

import warnings

import numpy as np
import pytest
import torch

import ember

ULP_BOUND = {np.float32: 4, np.float64: 3, np.float16: 1}


def _inputs(dtype):
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-110, 110, 2001), rng.standard_normal(20000) * 8,
                        [-800.0, 800.0, -np.inf, np.inf, 0.0, -0.0]])
    return x.astype(dtype), rng.standard_normal(x.size).astype(dtype)


def _ulps(a, b, dtype):
    spacing = np.spacing(np.maximum(np.abs(a), np.finfo(dtype).tiny).astype(dtype))
    return np.max(np.abs(a.astype(np.float64) - b) / spacing.astype(np.float64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_values_and_gradients_within_ulps_of_torch(dtype):
    x, g = _inputs(dtype)
    xt = torch.from_numpy(x).requires_grad_()
    yt = torch.sigmoid(xt)
    yt.backward(torch.from_numpy(g))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xe = ember.from_numpy(x.copy()).requires_grad_()
        ye = ember.sigmoid(xe)
        ye.backward(ember.from_numpy(g))
    assert _ulps(ye.detach().numpy(), yt.detach().numpy(), dtype) <= ULP_BOUND[dtype]
    # (1 - y) turns y's last-bit differences near y = 1 into large relative ones: compare
    # the gradient to the input gradient's scale there.
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=8 * eps,
                               atol=4 * eps * float(np.max(np.abs(g))))


def test_extremes_as_torch():
    x = [-100.0, -88.0, -50.0, -20.0, 20.0, 100.0]
    got, want = ember.sigmoid(ember.tensor(x)).numpy(), torch.sigmoid(torch.tensor(x)).numpy()
    assert (got == 0).tolist() == (want == 0).tolist() and (got == 1).tolist() == (want == 1).tolist()
    assert _ulps(got, want, np.float32) <= ULP_BOUND[np.float32]
    assert ember.sigmoid(ember.tensor(-50.0)).item() > 1e-22  # the tanh form gave 0


@pytest.mark.parametrize("name", ["silu", "mish", "glu", "logsigmoid"])
def test_sigmoid_based_activations_close_to_torch(name):
    x = (np.random.default_rng(1).standard_normal(400) * 8).astype(np.float32)
    want = getattr(torch.nn.functional, name)(torch.from_numpy(x)).numpy()
    got = getattr(ember.nn.functional, name)(ember.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-30)
