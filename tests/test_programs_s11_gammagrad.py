"""Session 11, reparameterised gradients of Gamma/Beta/Dirichlet samples (VAEs with Gamma or
Dirichlet latents, Beta policies): PyTorch computes them with fixed approximations
(torch._standard_gamma_grad, torch._dirichlet_grad), which ember reproduces; compared live
with torch 2.13."""

import numpy as np
import pytest
import torch

import ember
from torch_compare import run_both

_DT = {np.float32: (torch.float32, ember.float32), np.float64: (torch.float64, ember.float64)}


def _grid_gamma(dt):
    a = np.geomspace(1e-3, 1e3, 41)
    x = np.concatenate([[1e-300, 1e-40, 1e-20], np.geomspace(1e-8, 1e4, 90), [1e30]])
    a = np.concatenate([a, [8.0, 8.5, 20.0, 300.0]])  # Rice expansion, both sides of 0.9a..1.1a
    A, X = np.meshgrid(a, x)
    X = np.concatenate([X.ravel(), 0.9 * a * 1.0000001, 1.1 * a, 0.8 * np.ones_like(a)])
    A = np.concatenate([A.ravel(), a, a, a])
    return A.astype(dt), np.maximum(X.astype(dt), np.finfo(dt).tiny)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_standard_gamma_grad_grid(dt):
    a, x = _grid_gamma(dt)
    want = torch._standard_gamma_grad(torch.from_numpy(a), torch.from_numpy(x)).numpy()
    got = ember._standard_gamma_grad(ember.from_numpy(a), ember.from_numpy(x)).numpy()
    assert got.dtype == want.dtype
    if dt == np.float32:  # computed in float64 and rounded once, as PyTorch does
        np.testing.assert_array_equal(got, want)
    else:  # float64: ulp differences of pow/log, amplified where the Taylor terms cancel
        np.testing.assert_allclose(got, want, rtol=5e-14, atol=0)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_dirichlet_grad_grid(dt):
    a = np.geomspace(1e-2, 1e3, 25)
    rest = np.geomspace(1e-2, 1e3, 20)
    x = np.concatenate([[1e-30, 1e-10], np.linspace(0.001, 0.999, 40), [1 - 1e-6]])
    A, R, X = (v.astype(dt) for v in np.meshgrid(a, rest, x))
    T = A + R
    want = torch._dirichlet_grad(*(torch.from_numpy(v) for v in (X, A, T))).numpy()
    got = ember._dirichlet_grad(*(ember.from_numpy(v) for v in (X, A, T))).numpy()
    assert got.dtype == want.dtype
    if dt == np.float32:
        # PyTorch runs the small-x series and psi's recurrence in float32; glibc's logf and
        # float64-then-rounded log differ in ~0.05% of inputs, which psi(T) - psi(a) amplifies
        assert (got == want).mean() > 0.995
        np.testing.assert_allclose(got, want, rtol=5e-6, atol=0)
    else:
        np.testing.assert_allclose(got, want, rtol=5e-12, atol=0)


def _rsample_grads(L, name, dt):
    L.manual_seed(3)
    tdt = _DT[dt][0] if L is torch else _DT[dt][1]
    c = (L.rand(60, dtype=tdt) * 6 + 0.02).requires_grad_()
    r = (L.rand(60, dtype=tdt) + 0.5).requires_grad_()
    D = L.distributions
    if name == "Gamma":
        s = D.Gamma(c, r).rsample((2,))
        loss = s.log().sum() + s.sum()
    elif name == "Beta":
        s = D.Beta(c, r * 3).rsample((2,))
        loss = (s * s).sum() - s.sum()
    elif name == "Chi2":
        s = D.Chi2(c).rsample((2,))
        loss = s.sqrt().sum()
    elif name == "StudentT":
        s = D.StudentT(c + 1, r, r).rsample((2,))
        loss = (s * s).sum()
    else:
        k = 2 if name == "Dirichlet2" else 5
        s = D.Dirichlet(c.view(-1, k)).rsample((2,))
        loss = (s * L.arange(k, dtype=tdt)).sum() + (s * s).sum()
    loss.backward()
    out = [s.detach().numpy().copy(), c.grad.numpy().copy()]
    if r.grad is not None:
        out.append(r.grad.numpy().copy())
    return out


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["Gamma", "Beta", "Dirichlet2", "Dirichlet5", "Chi2",
                                  "StudentT"])
def test_rsample_gradients_match_torch(name, dt):
    want, got = run_both(lambda L: _rsample_grads(L, name, dt))
    assert len(got) == len(want)
    np.testing.assert_array_equal(got[0], want[0])  # the same draws
    rtol = 2e-6 if dt == np.float32 else 1e-12
    for g, w in zip(got[1:], want[1:]):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 1e-3)


def test_dirichlet_256x10_backward_matches_torch():
    def run(L):
        L.manual_seed(0)
        c = (L.rand(256, 10) + 0.5).requires_grad_()
        x = L.distributions.Dirichlet(c).rsample()
        (x * L.arange(10.0)).sum().backward()
        return c.grad.numpy().copy()
    want, got = run_both(run)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-9)


def test_private_grad_ops_errors():
    f32, f64 = (lambda L: L.tensor([1.0, 2.0])), (lambda L: L.tensor([1.0], dtype=L.float64))
    cases = [lambda L: L._standard_gamma_grad(f32(L), f64(L)),
             lambda L: L._standard_gamma_grad(L.tensor([1, 2]), L.tensor([1, 2])),
             lambda L: L._dirichlet_grad(L.tensor([0.3]), f64(L), L.tensor([2.0]))]
    for case in cases:
        want, got = run_both(case)
        assert got == want, f"ember: {got}\ntorch: {want}"
