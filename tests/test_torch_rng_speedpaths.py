"""The fast normal sampler (16-value Box-Muller blocks, float32 and float64, drawn in chunks of
512 blocks) gives PyTorch 2.13's numbers bit for bit at every path boundary, and leaves the
generator where PyTorch's is: each case is followed by more draws, compared too."""

import numpy as np
import pytest

import ember
import ember.distributions as ED
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
import torch.distributions as TD  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

# around the 16-block path, the tail block, and the 512-block chunks (8192 values)
SIZES = (15, 16, 17, 31, 32, 33, 47, 255, 256, 257, 4095, 4096, 4097, 8191, 8192, 8193,
         8207, 8208, 8209, 16400, 65539)
DTYPES = ("float32", "float64")


def _bits(a):
    a = np.ascontiguousarray(a.detach().numpy() if hasattr(a, "detach") else a)
    return a.dtype, a.shape, a.view(np.uint8).tobytes()


def _check(fn, seed=11):
    """fn(lib) after manual_seed(seed) in both libraries, then a randn(19), a rand(5) and a
    randn(3) (the scalar path's cached value): identical dtypes, shapes and bits."""
    got = []
    for lib in (torch, ember):
        lib.manual_seed(seed)
        res = fn(lib)
        res = list(res) if isinstance(res, (tuple, list)) else [res]
        got.append([_bits(r) for r in res + [lib.randn(19), lib.rand(5), lib.randn(3)]])
    for t, e in zip(*got, strict=True):
        assert t[:2] == e[:2]
        if t[2] != e[2]:
            tv, ev = np.frombuffer(t[2], t[0]), np.frombuffer(e[2], e[0])
            bad = np.flatnonzero(tv != ev)
            raise AssertionError(f"{bad.size} values differ, first at {bad[:5]}: "
                                 f"{tv[bad[:5]]} vs {ev[bad[:5]]}")


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_randn_sizes(n, dt):
    _check(lambda L: L.randn(n, dtype=getattr(L, dt)), seed=n)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", (16, 33, 256, 8209))
@pytest.mark.parametrize("mean,std", [(0.5, 2.0), (-3.0, 0.1), (1e4, 3.0), (0.0, 1e-30)])
def test_normal_mean_std(n, dt, mean, std):
    _check(lambda L: L.empty(n, dtype=getattr(L, dt)).normal_(mean, std), seed=3)
    _check(lambda L: L.normal(mean, std, (n,), dtype=getattr(L, dt)), seed=4)


@pytest.mark.parametrize("dt", DTYPES)
def test_normal_tensor_arguments(dt):
    def run(L):
        g = L.Generator().manual_seed(5)
        mu = L.linspace(-2, 2, 48, dtype=getattr(L, dt)).reshape(6, 8)
        sd = L.linspace(0.1, 3, 48, dtype=getattr(L, dt)).reshape(6, 8)
        return (L.normal(mu, sd), L.normal(mu, 0.5), L.normal(1.5, sd),
                L.normal(mu, sd, generator=g), L.randn(4, 33, generator=g, dtype=mu.dtype))
    _check(run)


@pytest.mark.parametrize("dt", DTYPES)
def test_non_contiguous_and_shapes(dt):
    def run(L):
        a = L.zeros(40, 24, dtype=getattr(L, dt))
        a.t().normal_(1.0, 2.0)  # not contiguous: scalar draws in memory order
        b = L.zeros(8, 64, dtype=getattr(L, dt))
        b[:, ::2].normal_()
        c = L.empty(3, 5, 17, dtype=getattr(L, dt)).normal_()
        return a, b, c, L.randn_like(c), L.randn(2, 3, 4, 5, dtype=getattr(L, dt))
    _check(run)


def test_half_precision():
    _check(lambda L: (L.randn(32, dtype=L.float16), L.randn(304, dtype=L.float16),
                      L.empty(48, dtype=L.float16).normal_(2.0, 0.5), L.randn(9, dtype=L.float16)))


@pytest.mark.parametrize("n", (17, 20, 33, 513, 8209))
def test_half_precision_tail_block(n):
    # PyTorch's half kernel draws the tail's 16 uniforms right after the full blocks'
    _check(lambda L: (L.randn(n, dtype=L.float16),
                      L.empty(n, dtype=L.float16).normal_(0.1, 0.3),
                      L.randn(3, n, dtype=L.float16)), seed=n)


@pytest.mark.parametrize("dt", DTYPES)
def test_rl_draws(dt):
    """SAC/TD3-style steps: Normal(mu, std).rsample on a batch, exploration noise, dropout."""
    def run(L, D, F):
        mu = L.linspace(-1, 1, 256 * 6, dtype=getattr(L, dt)).reshape(256, 6)
        d = D.Normal(mu, mu.abs() + 0.1)
        out = []
        for _ in range(3):
            out += [d.rsample(), d.sample(), L.randn_like(mu) * 0.1,
                    F.dropout(L.ones(64, 32, dtype=mu.dtype), 0.5, True)]
        return out
    got = []
    for lib, D, F in ((torch, TD, TF), (ember, ED, EF)):
        lib.manual_seed(2)
        got.append([_bits(r) for r in run(lib, D, F) + [lib.randn(21)]])
    assert got[0] == got[1]


def test_many_seeds_every_block_offset():
    """Seeds across the tail's 16 offsets: n = 16 q + r for r in 0..15."""
    for r in range(16):
        _check(lambda L: L.randn(48 + r), seed=1000 + r)
        _check(lambda L: L.randn(48 + r, dtype=L.float64), seed=2000 + r)


def test_empty_draw_keeps_the_waiting_normal():
    # an empty randn/normal_ takes no draw and leaves the cached second Box-Muller value
    got = []
    for lib in (torch, ember):
        lib.manual_seed(2)
        got.append([lib.randn(1).tolist(), lib.randn(0).tolist(), lib.randn(1).tolist(),
                    lib.empty(0).normal_().tolist(), lib.randn(3).tolist()])
    assert got[1] == got[0]
