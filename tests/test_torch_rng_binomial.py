"""torch.binomial, Binomial and Wishart draw exactly what PyTorch 2.13 draws: after the same
manual_seed, the draws and the draws after them equal live torch's."""

import warnings

import numpy as np
import pytest

import ember
import ember.distributions as ED

torch = pytest.importorskip("torch")
import torch.distributions as TD  # noqa: E402

SEEDS = (0, 5, 2024)


def _both(seed, fn):
    """fn(lib) under each library after manual_seed(seed), then a small and a large randn."""
    out = []
    for lib in (torch, ember):
        lib.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fn(lib)
        res = res if isinstance(res, list) else [res]
        out.append([r.numpy() for r in res] + [lib.randn(3).numpy(), lib.randn(20).numpy()])
    return out


def _same(a, b):
    for x, y in zip(a, b, strict=True):
        assert x.shape == y.shape and x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


def _params(seed, shape, top):
    rs = np.random.default_rng(seed)
    count = rs.integers(0, top, shape).astype(float)
    prob = rs.random(shape)
    prob.reshape(-1)[::5] = 1 - prob.reshape(-1)[::5] / 50  # near 1: the symmetric branch
    return count, prob


@pytest.mark.parametrize("dt", ("float32", "float64"))
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("top", (8, 60, 5000, 10 ** 7))  # inversion, both, BTRS
def test_binomial_tensor(dt, seed, top):
    count, prob = _params(seed, (7, 9), top)
    _same(*_both(seed, lambda L: L.binomial(L.tensor(count, dtype=getattr(L, dt)),
                                            L.tensor(prob, dtype=getattr(L, dt)))))


@pytest.mark.parametrize("dt", ("float32", "float64"))
def test_binomial_edges_draw_nothing(dt):
    count = [0.0, 5, 5, 5, -1, 7.5, 12, 40, 3]
    prob = [0.5, 0.0, 1.0, float("nan"), 0.5, 0.5, 1.5, -0.2, 1e-9]
    _same(*_both(1, lambda L: L.binomial(L.tensor(count, dtype=getattr(L, dt)),
                                         L.tensor(prob, dtype=getattr(L, dt)))))


@pytest.mark.parametrize("shapes", [((3, 1), (4,)), ((), (5,)), ((2, 3), ()), ((0,), (0,))])
def test_binomial_broadcast_and_generator(shapes):
    rs = np.random.default_rng(3)
    count = rs.integers(0, 80, shapes[0]).astype(float)
    prob = rs.random(shapes[1])
    _same(*_both(11, lambda L: L.binomial(L.tensor(count), L.tensor(prob))))
    outs = []
    for lib in (torch, ember):
        g = lib.Generator().manual_seed(8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs.append([lib.binomial(lib.tensor(count), lib.tensor(prob), generator=g).numpy(),
                         lib.rand(4, generator=g).numpy()])
    _same(*outs)


@pytest.mark.parametrize("make,exc", [
    (lambda L: (L.tensor([3, 4]), L.tensor([0.5, 0.5])), ValueError),
    (lambda L: (L.tensor([3.0, 4.0]), L.tensor([1, 0])), ValueError),
    (lambda L: (L.tensor([3.0, 4.0]), L.tensor([True, False])), ValueError),
    (lambda L: (L.tensor([3.0]), L.tensor([0.5], dtype=L.float64)), RuntimeError),
    (lambda L: (L.ones(2, 3), L.full((3, 2), 0.5)), RuntimeError),
    (lambda L: (3.0, L.tensor([0.5])), TypeError)])
def test_binomial_errors(make, exc):
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(exc) as info:
            lib.binomial(*make(lib))
        msgs.append(str(info.value).splitlines()[0])
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("dt", ("float32", "float64"))
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ss", [(), (3,), (2, 4)])
def test_binomial_distribution(dt, seed, ss):
    count, prob = _params(seed + 1, (5,), 300)

    def draw(L):
        D = TD if L is torch else ED
        c, p = L.tensor(count, dtype=getattr(L, dt)), L.tensor(prob, dtype=getattr(L, dt))
        return [D.Binomial(c, probs=p).sample(ss), D.Binomial(25, probs=p).sample(ss),
                D.Binomial(c[:, None], logits=L.tensor([-1.0, 2.0], dtype=getattr(L, dt)))
                .sample(ss)]

    _same(*_both(seed, draw))


# (df, p, batch shape, sample shape, dtype); df < p gives near-singular draws, redrawn: those
# only in float64 (in float32 PyTorch's sqrt rounds differently, which can move a draw across
# the Cholesky test and so change which draws are redrawn)
_CASES = [(4.0, 2, (), (3,)), (2.5, 2, (2,), ()), (6.0, 3, (3,), (2, 2)), (3.0, 1, (2,), (4,)),
          (5.0, 4, (), (5,))]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", [c + (dt,) for c in _CASES for dt in ("float32", "float64")]
                         + [(1.5, 2, (), (6,), "float64"), (2.2, 3, (2,), (4,), "float64")])
def test_wishart_identity_scale(seed, case):
    """The same draws in the same order: the stream after them is equal bit for bit; the
    matrices to a few units in the last place of their largest entry, as PyTorch's sqrt (of
    the Chi2 draws) is not correctly rounded (1 in 7 float32 values, 1 in 80 float64 ones are
    an ulp off NumPy's) and its matrix products round their own way."""
    df, p, batch, ss, dt = case

    def draw(L):
        D = TD if L is torch else ED
        tril = L.eye(p, dtype=getattr(L, dt)).expand(batch + (p, p))
        w = D.Wishart(L.tensor(df, dtype=getattr(L, dt)), scale_tril=tril)
        return [w.sample(ss), w.rsample(ss)]

    (t1, t2, *t_next), (e1, e2, *e_next) = _both(seed, draw)
    _same(t_next, e_next)
    for t, e in ((t1, e1), (t2, e2)):
        scale = np.abs(t).max(axis=(-2, -1), keepdims=True)
        assert (np.abs(e - t) <= 8 * np.finfo(t.dtype).eps * scale).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_wishart_general(seed):
    """A general covariance: the same draws (the stream after them is equal), the matrices
    equal up to the matrix products' rounding."""
    rs = np.random.default_rng(seed)
    a = rs.standard_normal((2, 4, 4))
    cov = a @ a.transpose(0, 2, 1) + np.eye(4)
    df = np.array([3.5, 9.0])

    def draw(L):
        D = TD if L is torch else ED
        return D.Wishart(L.tensor(df), covariance_matrix=L.tensor(cov)).sample((3,))

    (t, *t_next), (e, *e_next) = _both(seed, draw)
    _same(t_next, e_next)
    np.testing.assert_allclose(e, t, rtol=1e-12, atol=0)


def test_wishart_warns_only_when_singular():
    ember.manual_seed(0)
    w = ED.Wishart(ember.tensor(5.0), covariance_matrix=ember.eye(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert w.sample((4,)).shape == (4, 3, 3)


def test_logit_relaxed_bernoulli_sample():
    """PyTorch's LogitRelaxedBernoulli does not declare has_rsample; sample() still draws."""
    def draw(L):
        D = TD if L is torch else ED
        d = D.relaxed_bernoulli.LogitRelaxedBernoulli(L.tensor(0.5), probs=L.tensor([0.2, 0.7]))
        assert d.has_rsample is False
        return [d.sample((3,)), d.rsample()]

    (*t, t_next1, t_next2), (*e, e_next1, e_next2) = _both(4, draw)
    _same([t_next1, t_next2], [e_next1, e_next2])
    for x, y in zip(t, e, strict=True):  # logs of the same uniforms: NumPy's log vs PyTorch's
        np.testing.assert_allclose(y, x, rtol=4 * np.finfo(np.float32).eps)


@pytest.mark.parametrize("which", ["count", "prob", "both", "no_grad"])
def test_binomial_of_inputs_requiring_grad(which):
    """The draw is recorded with a node whose backward raises, as PyTorch's."""
    got = []
    for lib in (torch, ember):
        lib.manual_seed(2)
        c = lib.full((3,), 20.0, requires_grad=which in ("count", "both", "no_grad"))
        p = lib.full((3,), 0.5, requires_grad=which in ("prob", "both"))
        with lib.set_grad_enabled(which != "no_grad"):
            r = lib.binomial(c, p)
        err = None
        if r.requires_grad:
            with pytest.raises(RuntimeError) as info:
                r.sum().backward()
            err = str(info.value).splitlines()[0]
        got.append((r.tolist(), r.requires_grad, repr(r).split("grad_fn=")[-1], err))
    assert got[0] == got[1]
