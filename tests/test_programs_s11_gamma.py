"""Rejection samplers (Gamma/Beta/Dirichlet/Chi2/StudentT through _standard_gamma, and
torch.poisson) give PyTorch 2.13's draws bit for bit on the fast paths of _torch_rng_serial:
every alpha range, dtype and size, the generator's state afterwards (a second draw, then
randn, which uses the cached Box-Muller sine), and a cached normal carried in."""

import numpy as np
import pytest
import torch

import ember
import ember._torch_rng_serial as S

SIZES = (1, 2, 3, 127, 128, 1000, 5000)


def _alphas(kind, n, rs):
    if kind == "mixed":  # every branch side by side, zeros included
        a = rs.choice([0.0, 1e-3, 0.3, 0.999, 1.0, 2.5, 50.0, 1e4], n) * rs.uniform(0.5, 1.5, n)
        a[rs.rand(n) < 0.1] = 0.0
        return a
    if kind == "runs":  # long stretches above 1 (attempt-indexed path), rare zeros and smalls
        a = rs.uniform(1.2, 3.0, n)
        a[rs.rand(n) < 0.05] = 0.0
        a[rs.rand(n) < 0.003] = 0.5
        return a
    return np.full(n, float(kind))


def _draws(lib, seed, make, cached):
    lib.manual_seed(seed)
    if cached:
        lib.randn(1)  # leaves the second value of a Box-Muller pair waiting
    first, second = make(lib), make(lib)
    return [np.array(first.numpy()), np.array(second.numpy()), lib.randn(3).numpy()]


def _same(seed, make, cached):
    t, e = (_draws(lib, seed, make, cached) for lib in (torch, ember))
    for x, y in zip(t, e, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("kind", ["1e-3", "0.3", "1", "2.5", "50", "mixed", "runs"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_standard_gamma_draws_and_state(kind, dtype):
    for n in SIZES:
        a = _alphas(kind, n, np.random.RandomState(n))
        for cached in (False, True):
            _same(n + cached, lambda L: L.distributions.Gamma(
                L.tensor(a, dtype=getattr(L, dtype)), 1.0, validate_args=False).sample(), cached)


def test_distribution_samples_and_rsamples():
    conc = np.random.RandomState(0).uniform(0.2, 4.0, (64, 5))
    cases = [
        lambda L: L.distributions.Gamma(L.tensor(conc), L.tensor(conc) + 1).rsample(),
        lambda L: L.distributions.Gamma(L.tensor(conc, dtype=L.float32), 2.0).sample((3,)),
        lambda L: L.distributions.Beta(L.tensor(conc), L.tensor(conc[::-1].copy())).rsample(),
        lambda L: L.distributions.Beta(2.0, 3.0).sample((300,)),
        # 4 components: PyTorch's float64 row sum of 5+ adds in another order (1 ulp apart)
        lambda L: L.distributions.Dirichlet(L.tensor(conc[:, :4], dtype=L.float32)).rsample(),
        lambda L: L.distributions.Dirichlet(L.tensor(conc[:, :4])).sample((2,)),
        lambda L: L.distributions.Chi2(L.tensor(conc * 3)).sample(),
        lambda L: L.distributions.StudentT(L.tensor(conc)).sample(),
    ]
    for i, make in enumerate(cases):
        for cached in (False, True):
            _same(i, make, cached)


def test_odd_alphas_follow_the_c_loop():
    # NaN used to loop forever (y > 0 never holds); C stops at y <= 0 failing, and
    # std::max(tiny, NaN) gives tiny. inf gives inf; 0 gives 0 clamped to tiny.
    vals = [float("nan"), 2.0, float("inf"), 0.0, -0.5, -1.0] * 2
    for dtype in ("float32", "float64"):
        for cached in (False, True):
            _same(5, lambda L: L.distributions.Gamma(
                L.tensor(vals, dtype=getattr(L, dtype)), 1.0, validate_args=False).sample(),
                cached)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_poisson_draws_and_state(dtype):
    for n in SIZES:
        rs = np.random.RandomState(n)
        for lam in (0.5, 3.0, 9.99, 10.0, 30.0, 1e3, None):
            mixed = rs.choice([0.0, 0.5, 3.0, 9.99, 10.0, 30.0, 1e3, 1e6], n)
            a = mixed * rs.uniform(0.5, 1.5, n) if lam is None else np.full(n, lam)
            if n > 1000 and lam is not None:
                continue  # the mixed array covers the long sizes
            _same(n, lambda L: L.poisson(L.tensor(a, dtype=getattr(L, dtype))), lam == 3.0)
    _same(0, lambda L: L.distributions.Poisson(L.tensor([0.0, 3.0, 15.0])).sample((50,)), False)


class _Counting:
    """A bit generator that counts its random_raw calls."""

    def __init__(self, bg):
        self.bg, self.calls = bg, 0

    def random_raw(self, n=None):
        self.calls += 1
        return self.bg.random_raw(n)


def test_samplers_draw_in_blocks():
    # the serial loops called the generator once or twice per uniform: thousands of calls
    gen = ember.random._gen(None)
    ember.manual_seed(0)
    gen.bits  # made on first use
    counting = gen._bits = _Counting(gen._bits)
    try:
        for a in (np.full(2000, 0.4), np.full(2000, 1.0), np.full(2000, 30.0)):
            counting.calls = 0
            S.standard_gamma(gen, a)
            assert counting.calls < 60
        for lam in (2.0, 30.0):
            counting.calls = 0
            S.poisson(gen, np.full(2000, lam))
            assert counting.calls < 60
    finally:
        gen._bits = counting.bg
