"""A Linear layer (or addmm) with one input feature, against PyTorch 2.13 live, bit for bit:
PyTorch's kernel makes each entry x*w + b one multiply-add rounded once, except on its
matrix-vector path (one row or one output), which rounds the product and the sum apart.
ember rounded twice everywhere (1 ulp on ~20% of entries; Siren's sin(3000 x) showed it)."""

import numpy as np
import pytest
import torch

import ember

SIZES = [(n, out) for n in (1, 2, 3, 8, 200) for out in (1, 2, 3, 32, 128)]


def _both(fn, dt, n, out, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dt) for s in ((n, 1), (out, 1), (out,))]
    return [fn(L, *map(L.from_numpy, arrays)).detach().numpy() for L in (torch, ember)]


def _module(L, x, w, b):
    m = L.nn.Linear(1, w.shape[0]).to(w.dtype)
    with L.no_grad():
        m.weight.copy_(w)
        m.bias.copy_(b)
    return m(x)


def _sequential_no_grad(L, x, w, b):  # nn's no_grad fast path
    m = L.nn.Sequential(L.nn.Linear(1, w.shape[0]).to(w.dtype), L.nn.ReLU())
    with L.no_grad():
        m[0].weight.copy_(w)
        m[0].bias.copy_(b)
        return m(x)


FORMS = {
    "linear": lambda L, x, w, b: L.nn.functional.linear(x, w, b),
    "linear_3d": lambda L, x, w, b: L.nn.functional.linear(x.view(1, -1, 1), w, b),
    "addmm": lambda L, x, w, b: L.addmm(b, x, w.t()),
    "module": _module,
    "module_grad": lambda L, x, w, b: _module(L, x.requires_grad_(), w, b),
    "sequential_no_grad": _sequential_no_grad,
}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["float32", "float64"])
def test_one_input_feature_rounds_as_pytorch(form, dt):
    for i, (n, out) in enumerate(SIZES):
        want, got = _both(FORMS[form], dt, n, out, i)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want), (n, out, int((got != want).sum()))


def test_one_input_feature_gradients():
    """The backward rule is unchanged: dL/dx = g W, dL/dW = g^T x, dL/db = sum of g."""
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s).astype(np.float64) for s in ((6, 1), (4, 1), (4,))]
    grads = []
    for L in (torch, ember):
        x, w, b = (L.from_numpy(a.copy()).requires_grad_() for a in arrays)
        (L.nn.functional.linear(x, w, b) ** 2).sum().backward()
        grads.append([t.grad.numpy() for t in (x, w, b)])
    for want, got in zip(*grads):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
