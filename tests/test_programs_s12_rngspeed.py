"""Session 12, small random draws (the RL sweep's per-step sampling): the faster float32
Box-Muller block, the scalar path's mean/std step on Python floats and the leaner wrappers
give PyTorch 2.13's numbers bit for bit, and leave the generator in PyTorch's state (compared
byte for byte through get_rng_state(), the cached second normal included)."""

import math
import random
from fractions import Fraction

import numpy as np
import pytest
import torch

import ember
from ember import _torch_rng as ET

SEEDS = (0, 7, 2**32 + 11)


def _bits(t):
    a = np.ascontiguousarray(t.detach().numpy())
    return str(a.dtype), a.shape, a.view(np.uint8).tobytes()


def _run(fn, seed):
    """fn(lib) after manual_seed(seed) on both libraries, then more draws of every path
    (scalar normals, which use the cached sine, a 16-block, uniforms, integers), and the
    final generator state: all identical."""
    got = []
    for lib in (torch, ember):
        lib.manual_seed(seed)
        res = fn(lib)
        res = list(res) if isinstance(res, (list, tuple)) else [res]
        res += [lib.randn(3), lib.randn(17), lib.rand(5), lib.randint(0, 10, (4,)),
                lib.randn(1, dtype=lib.float64)]
        got.append(([_bits(r) for r in res], lib.get_rng_state().numpy().tobytes()))
    (t, ts), (e, es) = got
    assert len(t) == len(e)
    for i, (a, b) in enumerate(zip(t, e)):
        assert a[:2] == b[:2], (i, a[:2], b[:2])
        if a[2] != b[2]:
            ta, ea = np.frombuffer(a[2], a[0]), np.frombuffer(b[2], b[0])
            bad = np.flatnonzero(ta != ea)
            raise AssertionError(f"output {i}: {bad.size} differ, first {bad[:4]}: "
                                 f"{ta[bad[:4]]} vs {ea[bad[:4]]}")
    assert ts == es, "generator state differs"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_randn_every_size_to_70(dt, seed):
    # each size twice in a row: the second draw starts where the first left the stream
    _run(lambda L: [L.randn(n, dtype=getattr(L, dt)) for n in range(71) for _ in (0, 1)], seed)


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.5, 2.0), (-3.0, 0.1), (1e4, 3.0),
                                      (2.0, 0.0), (-0.25, 1.0), (0.0, 0.3), (1e-3, 1e-30)])
def test_normal_mean_std_every_size_to_70(dt, mean, std):
    def fn(L):
        out = []
        for n in range(71):
            out.append(L.empty(n, dtype=getattr(L, dt)).normal_(mean, std))
            out.append(L.normal(mean, std, (n,), dtype=getattr(L, dt)))
        return out
    _run(fn, 3)


@pytest.mark.parametrize("n", [1000, 1023, 4097, 8209, 33000])
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_randn_large(n, dt):
    _run(lambda L: [L.randn(n, dtype=getattr(L, dt)),
                    L.empty(n, dtype=getattr(L, dt)).normal_(-1.5, 0.2)], 5)


@pytest.mark.parametrize("n", [1, 15, 16, 17, 33, 64, 100])
def test_randn_half(n):
    _run(lambda L: [L.randn(n, dtype=L.float16), L.randn(n + 3, dtype=L.float16)], 1)


def test_interleaved_program():
    """An RL-style step loop: action noise, exploration coins, minibatch indices, dropout."""
    def fn(L):
        out = []
        x = L.zeros(64, 3)
        for step in range(6):
            out.append(L.randn(1))
            out.append(L.randn_like(x).clamp(-0.5, 0.5))
            out.append(L.rand(64))
            out.append(L.randint(0, 10, (64,)))
            out.append(L.randn(4))
            out.append(L.randperm(37))
            out.append(x.clone().normal_(0.0, 0.1))
            out.append(L.randn(8, dtype=L.float64))
            out.append(L.nn.functional.dropout(L.ones(8, 8), 0.5, True))
        return out
    _run(fn, 9)


def test_explicit_generator():
    def fn(L):
        g = L.Generator().manual_seed(1234)
        return [L.randn(n, generator=g) for n in (1, 5, 16, 31, 70)] + [
            L.randn(3, 3, generator=g), L.rand(4, generator=g)]
    _run(fn, 0)


def test_distribution_draws_rl_shapes():
    def fn(L):
        D = L.distributions
        mu = L.linspace(-1, 1, 192).reshape(64, 3).requires_grad_()
        sd = L.linspace(0.1, 2, 192).reshape(64, 3).requires_grad_()
        a = D.Normal(mu, sd).rsample()
        a.sum().backward()
        logits = L.linspace(-2, 2, 128).reshape(64, 2)
        return [a, mu.grad, sd.grad, D.Normal(mu, sd).sample((2,)),
                D.Normal(mu.detach()[:1, :2], sd.detach()[:1, :2]).rsample(),
                D.Categorical(logits=logits).sample(),
                L.multinomial(L.tensor([[0.1, 0.2, 0.3, 0.4]]), 1),
                L.bernoulli(L.full((64,), 0.3))]
    _run(fn, 4)


@pytest.mark.parametrize("shape", [(3, 5), (4,), (70,), (2, 40)])
@pytest.mark.parametrize("mean,std", [(0.0, 0.02), (-1.0, 3.0), (0.5, 0.0)])
def test_init_normal_scalar_path(shape, mean, std):
    """nn.init.normal_ draws one scalar normal per element at every size (the mean/std step
    on Python floats below 17 values, NumPy's above)."""
    _run(lambda L: [L.nn.init.normal_(L.empty(*shape), mean, std),
                    L.nn.init.normal_(L.empty(*shape, dtype=L.float64), mean, std)], 2)


def test_non_contiguous_normal_scalar_path():
    def fn(L):
        x = L.zeros(6, 4).t()
        y = L.zeros(3, 5, dtype=L.float64).t()
        return [x.normal_(1.0, 0.5), y.normal_(-2.0, 0.25), x.normal_()]
    _run(fn, 6)


def _exact_fma(a: float, b: float, c: float) -> float:
    return float(Fraction(a) * Fraction(b) + Fraction(c))  # one correct rounding


def test_fma_floats_matches_fma64_and_exact_fma():
    """The scalar path's mean/std step on Python floats performs fma64's IEEE operations:
    the same bits as fma64 (NaN-free inputs) and as an exactly rounded fma."""
    rnd = random.Random(0)
    zs = [rnd.gauss(0, 1) for _ in range(400)] + [0.0, -0.0, 1e-310, -5e-324, 37.5, -8.25]
    for b, c in [(0.1, 0.5), (3.0, -1e4), (1e-30, 0.0), (0.0, 2.0), (2.0, -0.0),
                 (0.7, -0.3), (1e300, 1e300)]:
        got = np.array(ET._fma_floats(zs, b, c))
        assert got.tobytes() == ET.fma64(np.array(zs), b, c).tobytes()
        if math.isfinite(b * 1e10):  # (the rational reference has no signed zero)
            exact = np.array([_exact_fma(z, b, c) for z in zs])
            nz = exact != 0
            assert got[nz].tobytes() == exact[nz].tobytes()
            assert (got[~nz] == 0).all()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 64, 384, 385, 512, 1000, 5000, 65536, 65537])
def test_randperm_sizes(n):
    """randperm's swaps: a plain loop up to 384 values, resolved with NumPy above."""
    _run(lambda L: [L.randperm(n), L.randperm(n, dtype=L.int32), L.randperm(n)], n)


def test_swapped_matches_sequential_swaps():
    """The vectorised Fisher-Yates against the swaps done one by one, on targets with many
    repeats (chains of swaps through one position) and with none."""
    rng = np.random.default_rng(0)
    for n in [2, 3, 4, 5, 9, 17, 100, 385, 700]:
        i = np.arange(n - 1)
        cases = [(rng.integers(0, 2**32, n - 1) % (n - i) + i), i.copy(),
                 np.full(n - 1, n - 1), np.minimum(i + 1, n - 1)]
        for t in cases:
            r = list(range(n))
            for j, z in enumerate(t.tolist()):
                r[j], r[z] = r[z], r[j]
            assert ET._swapped(n, t.astype(np.int64)).tolist() == r


@pytest.mark.parametrize("mode", ["different", "same"])
def test_vmap_small_draws(mode):
    """Inside vmap the scalar path still takes its uniforms through the batched draw."""
    def fn(L):
        f = L.func.vmap(lambda x: x + L.randn(3) + L.randn(1, dtype=L.float64) * L.rand(3),
                        randomness=mode)
        return [f(L.zeros(4, 3)), f(L.zeros(2, 3))]
    _run(fn, 8)
