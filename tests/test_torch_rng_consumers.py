"""Samplers built on PyTorch's random stream draw exactly what PyTorch 2.13 draws: after the
same manual_seed, each call (and the draws after it) gives the same numbers as live torch."""

import warnings

import numpy as np
import pytest

import ember
import ember.distributions as ED
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
import torch.distributions as TD  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

DTYPES = ("float32", "float64")
SEEDS = (0, 3, 12345)


def _same(a, b):
    for x, y in zip(a, b, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape
        np.testing.assert_array_equal(x, y)


def _both(seed, fn):
    """fn(lib) under each library after manual_seed(seed), plus a trailing randn."""
    out = []
    for lib in (torch, ember):
        lib.manual_seed(seed)
        res = fn(lib)
        res = res if isinstance(res, list) else [res]
        out.append([r.numpy() if hasattr(r, "numpy") else r for r in res]
                   + [lib.randn(19).numpy(), lib.randn(3).numpy()])
    return out


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", (1, 7, 16, 100))
@pytest.mark.parametrize("name,args", [("exponential_", (1.0,)), ("exponential_", (0.37,)),
                                       ("cauchy_", (0.37, 1.3)), ("log_normal_", (0.37, 1.3)),
                                       ("geometric_", (0.37,))])
def test_inplace_samplers(dt, seed, n, name, args):
    _same(*_both(seed, lambda L: getattr(L.empty(n, dtype=getattr(L, dt)), name)(*args)))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ss", [(), (2,), (5, 3)])
def test_distributions(dt, seed, ss):
    rs = np.random.default_rng(seed)
    loc, sc = rs.standard_normal((3, 4)).astype(dt), (rs.random((3, 4)) + 0.5).astype(dt)
    pr, cp = rs.random((3, 4)).astype(dt), rs.random((3, 5)).astype(dt)

    def draw(L):
        D = TD if L is torch else ED
        return [D.Normal(L.tensor(loc), L.tensor(sc)).sample(ss),
                D.Normal(L.tensor(loc), L.tensor(sc)).rsample(ss),
                D.Normal(L.tensor(loc[0, 0]), L.tensor(sc[0, 0])).sample(ss),
                D.Bernoulli(probs=L.tensor(pr)).sample(ss),
                D.Categorical(probs=L.tensor(cp)).sample(ss),
                D.Categorical(logits=L.tensor(cp[0])).sample(ss)]
    _same(*_both(seed, draw))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_multivariate_normal(dt, seed):
    rs = np.random.default_rng(seed)
    m, a = rs.standard_normal(3).astype(dt), rs.standard_normal((3, 3))
    cov = (a @ a.T + np.eye(3)).astype(dt)
    t, e = _both(seed, lambda L: (TD if L is torch else ED).MultivariateNormal(
        L.tensor(m), L.tensor(cov)).rsample((4,)))
    # the draws are the same; L @ eps may round differently (BLAS), so the values within ulps
    np.testing.assert_allclose(e[0], t[0], rtol=1e-5 if dt == "float32" else 1e-12, atol=1e-6)
    _same(t[1:], e[1:])


def _loader_run(L, seed, **kw):
    L.manual_seed(seed)
    ds = L.utils.data.TensorDataset(L.arange(46).reshape(23, 2).float())
    dl = L.utils.data.DataLoader(ds, batch_size=5, shuffle=True, **kw)
    out = []
    for _ in range(3):
        for (b,) in dl:
            out += [b.numpy().copy(), L.randn(2).numpy()]
        out.append(L.rand(3).numpy())
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kw", [{}, {"gen": 5}, {"num_workers": 2},
                                {"num_workers": 2, "persistent_workers": True}])
def test_dataloader_shuffle(seed, kw):
    res = []
    for L in (torch, ember):
        opts = {k: v for k, v in kw.items() if k != "gen"}
        if "gen" in kw:
            opts["generator"] = L.Generator().manual_seed(kw["gen"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res.append(_loader_run(L, seed, **opts))
    _same(*res)


@pytest.mark.parametrize("seed", SEEDS)
def test_samplers_and_random_split(seed):
    def draw(L):
        D = L.utils.data
        g = L.Generator().manual_seed(seed + 1)
        return [np.array(list(D.SubsetRandomSampler([3, 5, 7, 9, 11]))),
                np.array(list(D.WeightedRandomSampler([0.1, 0.5, 0.2, 0.9], 7))),
                np.array(list(D.WeightedRandomSampler([0.1, 0.5, 0.2, 0.9], 3, replacement=False,
                                                      generator=g))),
                np.array(list(D.RandomSampler(range(10), replacement=True, num_samples=70))),
                np.array(list(D.RandomSampler(range(10), num_samples=25, generator=g))),
                np.array(list(D.RandomSampler(range(10), num_samples=25))),
                np.concatenate([np.array(s.indices) for s in D.random_split(range(10),
                                                                             [0.3, 0.7])])]
    _same(*_both(seed, draw))


_DROPOUTS = [("dropout1d", (4, 6, 5)), ("dropout1d", (6, 5)), ("dropout2d", (3, 7, 4, 4)),
             ("dropout3d", (2, 5, 3, 2, 2)), ("dropout3d", (5, 3, 2, 2)),
             ("alpha_dropout", (5, 9)), ("feature_alpha_dropout", (4, 6, 3))]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fn,shape", _DROPOUTS)
@pytest.mark.parametrize("p", (0.3, 0.77))
def test_channel_and_alpha_dropout(dt, seed, fn, shape, p):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(*_both(seed, lambda L: getattr(TF if L is torch else EF, fn)(
            L.tensor(x), p=p, training=True)))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bounds", [(1 / 8, 1 / 3), (0.11, 0.37)])
def test_rrelu_training(dt, seed, bounds):
    x = np.random.default_rng(seed).standard_normal((7, 30)).astype(dt)
    x[0, :3] = 0.0
    _same(*_both(seed, lambda L: (TF if L is torch else EF).rrelu(
        L.tensor(x), *bounds, training=True)))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_gumbel_softmax(dt, seed):
    x = np.random.default_rng(seed).standard_normal((8, 50)).astype(dt)
    t, e = _both(seed, lambda L: [(TF if L is torch else EF).gumbel_softmax(L.tensor(x), tau=0.7),
                                  (TF if L is torch else EF).gumbel_softmax(L.tensor(x),
                                                                            hard=True)])
    # same draws; -log and softmax round like NumPy's, within an ulp or two of PyTorch's
    np.testing.assert_allclose(e[0], t[0], rtol=1e-5 if dt == "float32" else 1e-13, atol=1e-7)
    _same(t[1:], e[1:])
