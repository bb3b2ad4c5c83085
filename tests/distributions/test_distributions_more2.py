"""Poisson, Binomial, Geometric, NegativeBinomial, Multinomial, Cauchy, HalfNormal, HalfCauchy,
StudentT, Chi2, Gumbel, Weibull, Pareto, RelaxedBernoulli, RelaxedOneHotCategorical against
PyTorch 2.13: values and gradients (vs torch and float64 finite differences), shapes, KL,
sampling statistics, pathwise gradients, validation errors, expand and reprs."""

import numpy as np
import pytest
import torch

import ember


@pytest.fixture(autouse=True)
def _keep_global_rng():
    """These tests reseed ember's generator; later files see the stream they would without."""
    state = ember.get_rng_state()
    yield
    ember.set_rng_state(state)


D, TD = ember.distributions, torch.distributions


def _pair(data, rg=True):
    e = ember.tensor(data, dtype=ember.float64, requires_grad=rg)
    t = torch.tensor(data, dtype=torch.float64, requires_grad=rg)
    return e, t


def _consts(lib):
    if lib is D:
        return lambda d: ember.tensor(d, dtype=ember.float64)
    return lambda d: torch.tensor(d, dtype=torch.float64)


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _close(a, b, tol=1e-9):
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


MOMENTS = ("mean", "mode", "variance", "stddev")
# name -> (build(L, T, *params), parameters (broadcasting shapes), value, outputs, moments)
# outputs: which of log_prob / entropy / cdf / icdf to compare ("cdf~": no gradient in torch)
FAMILIES = {
    "Poisson": (lambda L, T, r: L.Poisson(r), [[[0.5, 3.0, 12.0], [1.0, 0.1, 7.0]]],
                [[0.0, 2.0, 15.0]], ("log_prob",), MOMENTS),
    "Binomial": (lambda L, T, p: L.Binomial(T(6.0), probs=p),
                 [[[0.2, 0.5, 0.9], [0.05, 0.7, 0.999]]], [[0.0, 3.0, 6.0]],
                 ("log_prob", "entropy"), MOMENTS),
    "BinomialLogits": (lambda L, T, lg: L.Binomial(T([[4.0], [9.0]]), logits=lg),
                       [[-1.0, 0.0, 2.5]], [[0.0, 3.0, 4.0], [9.0, 1.0, 2.0]], ("log_prob",),
                       MOMENTS),
    "Geometric": (lambda L, T, p: L.Geometric(probs=p), [[[0.2, 0.5, 0.95], [0.05, 0.7, 0.99]]],
                  [[0.0, 3.0, 0.0], [7.0, 1.0, 2.0]], ("log_prob", "entropy"), MOMENTS),
    "GeometricLogits": (lambda L, T, lg: L.Geometric(logits=lg), [[-2.0, 0.0, 3.0]],
                        [[0.0, 3.0, 10.0]], ("log_prob", "entropy"), MOMENTS),
    "NegativeBinomial": (lambda L, T, r, p: L.NegativeBinomial(r, probs=p),
                         [[[2.5], [0.7]], [0.2, 0.5, 0.9]], [[0.0, 3.0, 12.0]], ("log_prob",),
                         MOMENTS),
    "NegativeBinomialLogits": (lambda L, T, r, lg: L.NegativeBinomial(r, logits=lg),
                               [[3.0, 0.4, 7.0], [[-1.0], [1.5]]], [[1.0, 0.0, 5.0]],
                               ("log_prob",), MOMENTS),
    "Multinomial": (lambda L, T, p: L.Multinomial(5, probs=p),
                    [[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]], [[1.0, 1.0, 3.0], [0.0, 0.0, 5.0]],
                    ("log_prob", "entropy"), ("mean", "variance", "stddev")),
    "MultinomialLogits": (lambda L, T, lg: L.Multinomial(3, logits=lg), [[0.0, -1.0, 2.0, 0.5]],
                          [[1.0, 0.0, 2.0, 0.0]], ("log_prob", "entropy"),
                          ("mean", "variance")),
    "Cauchy": (lambda L, T, a, b: L.Cauchy(a, b), [[0.0, 1.0, -2.0], [[1.0], [0.5]]],
               [[0.3, -1.0, 4.0]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "HalfNormal": (lambda L, T, s: L.HalfNormal(s), [[[1.0, 0.5, 3.0], [0.2, 2.0, 1.0]]],
                   [[0.3, 1.2, 0.0]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "HalfCauchy": (lambda L, T, s: L.HalfCauchy(s), [[[1.0, 0.5, 3.0], [0.2, 2.0, 1.0]]],
                   [[0.3, 1.2, 0.0]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "StudentT": (lambda L, T, df, a, b: L.StudentT(df, a, b),
                 [[0.7, 1.5, 3.0, 9.0], [[0.0], [1.0]], [2.0, 0.5, 1.0, 3.0]],
                 [[0.3, -1.0, 4.0, 2.0]], ("log_prob", "entropy"), MOMENTS),
    "Chi2": (lambda L, T, df: L.Chi2(df), [[[0.7, 3.0, 9.0], [2.0, 1.0, 20.0]]],
             [[0.5, 2.0, 7.0], [3.0, 0.1, 25.0]], ("log_prob", "entropy", "cdf~"), MOMENTS),
    "Gumbel": (lambda L, T, a, b: L.Gumbel(a, b), [[0.0, 1.0, -2.0], [[1.0], [0.5]]],
               [[0.3, -1.0, 4.0]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "Weibull": (lambda L, T, s, c: L.Weibull(s, c), [[[1.0], [0.5]], [0.7, 3.0, 9.0]],
                [[0.3, 1.2, 0.9]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "Pareto": (lambda L, T, s, a: L.Pareto(s, a), [[[0.5], [1.0]], [0.7, 2.5, 9.0]],
               [[1.2, 2.0, 3.5]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "RelaxedBernoulli": (lambda L, T, t, p: L.RelaxedBernoulli(t, probs=p),
                         [0.7, [[0.2, 0.5, 0.9], [0.05, 0.6, 0.3]]], [[0.1, 0.5, 0.97]],
                         ("log_prob",), ()),
    "RelaxedOneHotCategorical": (
        lambda L, T, t, lg: L.RelaxedOneHotCategorical(t, logits=lg),
        [[[0.5], [2.0]], [[0.0, 1.0, -2.0], [3.0, 0.0, 0.0]]],
        [[0.2, 0.3, 0.5], [0.01, 0.9, 0.09]], ("log_prob",), ()),
}


def _build(name, pairs, lib):
    build = FAMILIES[name][0]
    return build(lib, _consts(lib), *[p[0] if lib is D else p[1] for p in pairs])


def _outputs(d, value, q, which):
    out = []
    for w in which:
        if w == "log_prob":
            out.append(d.log_prob(value))
        elif w == "entropy":
            out.append(d.entropy())
        elif w.startswith("cdf"):
            out.append(d.cdf(value))
        else:
            out.append(d.icdf(q))
    return out


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_values_and_gradients_match_torch(name):
    _, params, values, which, moments = FAMILIES[name]
    pairs = [_pair(p) for p in params]
    ed, td = _build(name, pairs, D), _build(name, pairs, TD)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape)
    assert tuple(ed.event_shape) == tuple(td.event_shape)
    assert ed.has_rsample == td.has_rsample
    assert getattr(ed, "has_enumerate_support", False) == td.has_enumerate_support
    assert repr(ed) == repr(td)
    assert repr(ed.support) == repr(td.support)
    assert ed.support.is_discrete == td.support.is_discrete
    assert ed.support.event_dim == td.support.event_dim
    for attr in moments:
        _close(getattr(ed, attr), getattr(td, attr))
    ev, tv = _pair(values, rg=False)
    eq, tq = _pair([[0.1, 0.5, 0.93]], rg=False)
    e_out, t_out = _outputs(ed, ev, eq, which), _outputs(td, tv, tq, which)
    if name.startswith("Multinomial"):
        # torch takes lgamma(n + 1) of an int64 tensor, so in float32; ember in float64
        n = float(td.total_count) + 1
        lg32 = torch.lgamma(torch.tensor(n, dtype=torch.float32)).double()
        t_out[1] = t_out[1] + lg32 - torch.lgamma(torch.tensor(n, dtype=torch.float64))
    for a, b in zip(e_out, t_out):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b)
    keep = [i for i, w in enumerate(which) if not w.endswith("~")]
    w = [np.linspace(0.5, 1.5, t_out[i].numel()).reshape(tuple(t_out[i].shape)) for i in keep]
    sum((ember.tensor(wi) * e_out[i]).sum() for wi, i in zip(w, keep)).backward()
    sum((torch.tensor(wi) * t_out[i]).sum() for wi, i in zip(w, keep)).backward()
    for e, t in pairs:
        _close(e.grad, t.grad)


def _finite_difference(fn, arrays, i, h=1e-6):
    out = np.zeros_like(arrays[i])
    for k in np.ndindex(out.shape):
        up, dn = [a.copy() for a in arrays], [a.copy() for a in arrays]
        up[i][k] += h
        dn[i][k] -= h
        out[k] = (fn(*up) - fn(*dn)) / (2 * h)
    return out


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_gradients_match_float64_finite_differences(name):
    _, params, values, which, _ = FAMILIES[name]
    arrays = [np.array(p, dtype=np.float64) for p in params]
    value = ember.tensor(values, dtype=ember.float64)
    q = ember.tensor([[0.1, 0.5, 0.93]], dtype=ember.float64)

    def objective(*arrs, grad=False):
        ps = [ember.tensor(a, requires_grad=grad) for a in arrs]
        d = FAMILIES[name][0](D, _consts(D), *ps)
        outs = _outputs(d, value, q, [w.rstrip("~") for w in which])
        total = sum((o * (1.0 + 0.3 * k)).sum() for k, o in enumerate(outs))
        if grad:
            total.backward()
            return [p.grad.numpy() for p in ps]
        return float(total.item())

    grads = objective(*arrays, grad=True)
    for i in range(len(arrays)):
        np.testing.assert_allclose(grads[i], _finite_difference(objective, arrays, i),
                                   rtol=1e-6, atol=1e-6)


def test_missing_entropy_and_cdf_raise_as_in_torch():
    for lib in (D, TD):
        T = _consts(lib)
        with pytest.raises(NotImplementedError):
            lib.Poisson(T([1.0, 2.0])).entropy()
        with pytest.raises(NotImplementedError):
            lib.NegativeBinomial(T(3.0), probs=T(0.3)).entropy()
        with pytest.raises(NotImplementedError) as err:
            lib.Binomial(T([3.0, 4.0]), probs=T([0.2, 0.3])).entropy()
        assert str(err.value) == "Inhomogeneous total count not supported by `entropy`."
        with pytest.raises(NotImplementedError) as err:
            lib.Multinomial(T(3.0), probs=T([0.2, 0.8]))
        assert str(err.value) == "inhomogeneous total_count is not supported"


def test_enumerate_support_matches_torch():
    for expand in (True, False):
        e = D.Binomial(ember.tensor([[3.0], [3.0]]), probs=ember.tensor([0.2, 0.5, 0.7]))
        t = TD.Binomial(torch.tensor([[3.0], [3.0]]), probs=torch.tensor([0.2, 0.5, 0.7]))
        es, ts = e.enumerate_support(expand), t.enumerate_support(expand)
        assert tuple(es.shape) == tuple(ts.shape) and es.dtype == ember.float32
        _close(es, ts)
        _close(e.log_prob(es), t.log_prob(ts), 1e-6)


# (p family, p params, q family, q params); every tensor parameter gets a gradient
KL_CASES = [
    ("Poisson", [[0.5, 3.0, 12.0]], "Poisson", [[[1.0], [0.2]]]),
    ("Binomial", [[[5.0], [8.0]], [0.2, 0.5, 0.9]], "Binomial", [[[5.0], [5.0]],
                                                                 [0.3, 0.1, 0.6]]),
    ("Geometric", [[0.2, 0.5, 0.9]], "Geometric", [[[0.3], [0.7]]]),
    ("Gumbel", [[0.0, 1.0, -2.0], [[1.0], [0.5]]], "Gumbel", [[1.0, 0.0, 0.0], [2.0, 0.7, 3.0]]),
    ("HalfNormal", [[[1.0, 0.5, 3.0]]], "HalfNormal", [[[2.0], [0.4]]]),
    ("Cauchy", [[0.0, 1.0, -2.0], [[1.0], [0.5]]], "Cauchy", [[1.0, 0.0, 0.0], [2.0, 0.7, 3.0]]),
    ("Pareto", [[[0.5], [1.0]], [0.7, 2.5, 9.0]], "Pareto", [[0.8, 0.5, 0.7], [1.5, 3.0, 2.0]]),
    ("Chi2", [[0.7, 3.0, 9.0]], "Chi2", [[[2.0], [5.0]]]),
    ("Bernoulli", [[0.2, 0.5, 0.9]], "Poisson", [[[1.0], [0.3]]]),
    ("Poisson", [[0.5, 3.0]], "Bernoulli", [[0.2, 0.7]]),
    ("Pareto", [[1.0, 2.0], [0.5, 3.0]], "Uniform", [[0.0, 0.0], [5.0, 5.0]]),
    ("Pareto", [[1.0, 2.0, 0.5], [0.5, 3.0, 4.0]], "Exponential", [[2.0, 0.3, 1.0]]),
    ("Pareto", [[1.0, 2.0, 0.5], [0.5, 3.0, 4.0]], "Gamma", [[2.0, 0.3, 1.0], [1.0, 2.0, 0.5]]),
    ("Pareto", [[1.0, 2.0, 0.5], [1.5, 3.0, 4.0]], "Normal", [[0.0, 1.0, -1.0], [1.0, 2.0, 3.0]]),
    ("Exponential", [[0.5, 2.0]], "Gumbel", [[0.0, 1.0], [1.0, 2.0]]),
    ("Gamma", [[0.5, 2.0], [1.0, 3.0]], "Gumbel", [[0.0, 1.0], [1.0, 2.0]]),
    ("Gumbel", [[0.0, 1.0], [1.0, 2.0]], "Normal", [[0.5, 0.0], [1.0, 3.0]]),
    ("Normal", [[0.5, 0.0], [1.0, 3.0]], "Gumbel", [[0.0, 1.0], [1.0, 2.0]]),
    ("Uniform", [[0.0, 1.0], [1.0, 3.0]], "Gumbel", [[0.0, 1.0], [1.0, 2.0]]),
    ("Uniform", [[0.5, 1.0, 3.0], [1.0, 3.0, 4.0]], "Pareto", [[1.0, 1.0, 1.0], [2.0, 0.5, 3.0]]),
    ("Gumbel", [[0.0], [1.0]], "Gamma", [[1.0], [2.0]]),
    ("Normal", [[0.0], [1.0]], "Pareto", [[1.0], [2.0]]),
    ("Gamma", [[1.0], [1.0]], "Pareto", [[1.0], [2.0]]),
]


@pytest.mark.parametrize("case", KL_CASES, ids=[f"{c[0]}-{c[2]}" for c in KL_CASES])
def test_kl_divergence_and_gradients_match_torch(case):
    pn, p_params, qn, q_params = case
    pp, qp = [_pair(v) for v in p_params], [_pair(v) for v in q_params]
    if pn == "Binomial":
        pp[0] = _pair(p_params[0], rg=False)
        qp[0] = _pair(q_params[0], rg=False)
    ek = D.kl_divergence(getattr(D, pn)(*[a[0] for a in pp]), getattr(D, qn)(*[a[0] for a in qp]))
    tk = TD.kl_divergence(getattr(TD, pn)(*[a[1] for a in pp]),
                          getattr(TD, qn)(*[a[1] for a in qp]))
    assert tuple(ek.shape) == tuple(tk.shape)
    _close(ek, tk)
    finite = torch.isfinite(tk).numpy()
    if not finite.any():
        return
    w = np.linspace(0.5, 1.5, finite.sum())
    (ek[ember.tensor(finite)] * ember.tensor(w)).sum().backward()
    (tk[torch.tensor(finite)] * torch.tensor(w)).sum().backward()
    for a, b in pp + qp:
        if b.requires_grad:
            _close(a.grad, b.grad if b.grad is not None else torch.zeros_like(b))


def test_kl_dispatch_picks_the_most_specific_pair():
    # Gumbel, HalfNormal are TransformedDistributions; Chi2 is a Gamma (no Chi2 pair)
    e = D.kl_divergence(D.Chi2(ember.tensor([1.0, 3.0])), D.Chi2(ember.tensor([2.0, 2.0])))
    t = TD.kl_divergence(TD.Chi2(torch.tensor([1.0, 3.0])), TD.Chi2(torch.tensor([2.0, 2.0])))
    _close(e, t, 1e-6)
    msgs = []
    for lib in (D, TD):
        T = _consts(lib)
        # Weibull has no pair of its own: the TransformedDistribution one (equal transforms)
        kl = lib.kl_divergence(lib.Weibull(T(1.0), T(2.0)), lib.Weibull(T(1.0), T(2.0)))
        assert float(kl) == 0.0
        with pytest.raises(NotImplementedError):
            lib.kl_divergence(lib.Weibull(T(1.0), T(2.0)), lib.Weibull(T(1.0), T(3.0)))
        with pytest.raises(NotImplementedError) as err:
            lib.kl_divergence(lib.Binomial(T(3.0), probs=T(0.5)),
                              lib.Binomial(T(5.0), probs=T(0.5)))
        msgs.append(str(err.value))
        with pytest.raises(NotImplementedError):
            lib.kl_divergence(lib.Cauchy(T(0.0), T(1.0)), lib.Normal(T(0.0), T(1.0)))
    assert msgs[0] == msgs[1]


# name -> (build(L, T), sample size); checked against torch's mean and variance
SAMPLING = {
    "Poisson": (lambda L, T: L.Poisson(T([0.3, 4.0, 60.0])), 40000),
    "Binomial": (lambda L, T: L.Binomial(T([3.0, 20.0]), probs=T([0.3, 0.9])), 40000),
    "Geometric": (lambda L, T: L.Geometric(probs=T([0.2, 0.9])), 40000),
    "NegativeBinomial": (lambda L, T: L.NegativeBinomial(T([2.5, 10.0]), probs=T([0.3, 0.6])),
                         40000),
    "Multinomial": (lambda L, T: L.Multinomial(7, probs=T([[0.2, 0.3, 0.5], [0.7, 0.2, 0.1]])),
                    40000),
    "HalfNormal": (lambda L, T: L.HalfNormal(T([0.5, 3.0])), 40000),
    "StudentT": (lambda L, T: L.StudentT(T([6.0, 30.0]), T([1.0, -1.0]), T([2.0, 0.5])),
                 40000),
    "Chi2": (lambda L, T: L.Chi2(T([0.5, 7.0])), 40000),
    "Gumbel": (lambda L, T: L.Gumbel(T([0.0, 2.0]), T([1.0, 0.3])), 40000),
    "Weibull": (lambda L, T: L.Weibull(T([1.0, 2.0]), T([0.8, 5.0])), 40000),
    "Pareto": (lambda L, T: L.Pareto(T([1.0, 0.5]), T([5.0, 9.0])), 40000),
}


@pytest.mark.parametrize("name", sorted(SAMPLING))
def test_sampling_statistics_support_and_seed(name):
    build, n = SAMPLING[name]
    ed, td = build(D, _consts(D)), build(TD, _consts(TD))
    ember.manual_seed(5)
    s = ed.sample((n,))
    ember.manual_seed(5)
    assert np.array_equal(ed.sample((n,)).numpy(), s.numpy())
    assert tuple(s.shape) == (n,) + tuple(td.batch_shape) + tuple(td.event_shape)
    assert s.dtype == ember.float64 and not s.requires_grad
    assert bool(td.support.check(torch.tensor(s.numpy())).all())
    x = s.numpy()
    mean, var = td.mean.numpy(), td.variance.numpy()
    assert (np.abs(x.mean(0) - mean) < 5 * np.sqrt(var / n)).all()
    se_var = np.sqrt(((x - mean) ** 4).mean(0) / n)
    assert (np.abs(x.var(0) - var) < 5 * se_var).all()


@pytest.mark.parametrize("name", ["Cauchy", "HalfCauchy"])
def test_heavy_tailed_sampling_by_quantiles(name):
    # no mean: compare the empirical cdf at the quartiles with 1/4, 1/2, 3/4
    ember.manual_seed(2)
    args = (ember.tensor([1.0, -2.0]), ember.tensor([2.0, 0.5])) if name == "Cauchy" else \
        (ember.tensor([2.0, 0.5]),)
    d = getattr(D, name)(*args)
    s = d.sample((40000,))
    for q in (0.25, 0.5, 0.75):
        level = d.icdf(ember.full((2,), q))
        frac = (s.numpy() <= level.numpy()).mean(0)
        assert (np.abs(frac - q) < 5 * np.sqrt(q * (1 - q) / 40000)).all()


def test_relaxed_sampling_support_and_low_temperature_limit():
    ember.manual_seed(4)
    p = [0.2, 0.7]
    s = D.RelaxedBernoulli(ember.tensor(0.05), probs=ember.tensor(p)).sample((20000,)).numpy()
    assert ((s > 0) & (s < 1)).all()
    assert (np.abs((s > 0.5).mean(0) - p) < 5 * np.sqrt(0.25 / 20000)).all()
    probs = np.array([0.1, 0.6, 0.3])
    s = D.RelaxedOneHotCategorical(ember.tensor(0.1), probs=ember.tensor(probs)).sample(
        (20000,)).numpy()
    assert np.allclose(s.sum(-1), 1.0, atol=1e-5) and (s >= 0).all()
    freq = np.bincount(s.argmax(-1), minlength=3) / 20000
    assert (np.abs(freq - probs) < 5 * np.sqrt(0.25 / 20000)).all()


def test_bernoulli_gradients_at_logit_zero_match_torch():
    # softplus form: the gradient at logits = 0 is sigmoid(0) - t, not the subgradient -t
    el, tl = _pair([0.0, 0.0, 1.5, -40.0])
    ev, tv = _pair([1.0, 0.0, 0.0, 1.0], rg=False)
    ed, td = D.Bernoulli(logits=el), TD.Bernoulli(logits=tl)
    e_out, t_out = ed.log_prob(ev) + 1.7 * ed.entropy(), td.log_prob(tv) + 1.7 * td.entropy()
    _close(e_out, t_out)
    e_out.sum().backward()
    t_out.sum().backward()
    _close(el.grad, tl.grad)


def _rsample_grads(build, params, n=6, seed=0):
    ember.manual_seed(seed)
    ps = [ember.tensor(p, dtype=ember.float64, requires_grad=True) for p in params]
    s = build(*ps).rsample((n,))
    s.sum().backward()
    return s.detach().numpy(), [p.detach().numpy() for p in ps], [p.grad.numpy() for p in ps]


def test_rsample_pathwise_gradients_follow_the_formulas():
    x, (loc, scale), (gl, gs) = _rsample_grads(D.Cauchy, [[0.0, 1.0], [2.0, 0.5]])
    _close(gl, [6.0, 6.0])
    _close(gs, ((x - loc) / scale).sum(0))
    for cls in (D.HalfNormal, D.HalfCauchy):  # |scale * eps|: d/dscale = x / scale
        x, (scale,), (gs,) = _rsample_grads(cls, [[2.0, 0.5]])
        assert (x >= 0).all()
        _close(gs, (x / scale).sum(0))
    x, (loc, scale), (gl, gs) = _rsample_grads(D.Gumbel, [[0.0, 1.0], [2.0, 0.5]])
    _close(gl, [6.0, 6.0])
    _close(gs, ((x - loc) / scale).sum(0))
    # Weibull x = scale E^(1/c), Pareto x = scale e^(E / alpha) with E ~ Exp(1) fixed
    x, (scale, c), (gs, gc) = _rsample_grads(D.Weibull, [[2.0, 0.5], [0.7, 3.0]])
    _close(gs, (x / scale).sum(0))
    _close(gc, (-x * np.log(x / scale) / c).sum(0))
    x, (scale, a), (gs, ga) = _rsample_grads(D.Pareto, [[2.0, 0.5], [0.7, 3.0]])
    _close(gs, (x / scale).sum(0))
    _close(ga, (-x * np.log(x / scale) / a).sum(0))
    x, (df, loc, scale), (_, gl, gs) = _rsample_grads(D.StudentT, [[3.0, 8.0], [0.0, 1.0],
                                                                   [2.0, 0.5]])
    _close(gl, [6.0, 6.0])
    _close(gs, ((x - loc) / scale).sum(0))


def test_relaxed_rsample_gradients_follow_the_formulas():
    # y = sigmoid(z), z = (logit u + logits) / T:  dy/dlogits = y(1-y)/T, dy/dT = -y(1-y) z/T
    y, (t, lg), (gt, gl) = _rsample_grads(
        lambda t, lg: D.RelaxedBernoulli(t, logits=lg), [0.7, [0.5, -1.0, 2.0]])
    z = np.log(y) - np.log1p(-y)
    _close(gl, (y * (1 - y) / t).sum(0), 1e-7)
    _close(gt, (-y * (1 - y) * z / t).sum(), 1e-7)
    # y = softmax(s), s = (logits + g) / T: d(w.y)/dlogits = y (w - w.y) / T
    ember.manual_seed(1)
    lg = ember.tensor([0.5, -1.0, 2.0], dtype=ember.float64, requires_grad=True)
    t = ember.tensor(0.6, dtype=ember.float64)
    y = D.RelaxedOneHotCategorical(t, logits=lg).rsample((4,))
    w = np.array([1.0, -2.0, 0.5])
    (y * ember.tensor(w)).sum().backward()
    yn = y.detach().numpy()
    _close(lg.grad, (yn * (w - (yn * w).sum(-1, keepdims=True)) / 0.6).sum(0), 1e-7)


@pytest.mark.parametrize("name", ["StudentT", "Chi2"])
def test_implicit_rsample_gradients_are_unbiased(name):
    # d/d df of E[x^2] = scale^2 df/(df - 2) (StudentT) and of E[x] = df (Chi2), over many draws
    n = 20000
    ember.manual_seed(3)
    df = ember.full((n,), 9.0, dtype=ember.float64, requires_grad=True)
    if name == "StudentT":
        draws = D.StudentT(df, 0.0, 1.5).rsample() ** 2
        exact = -2 * 1.5 ** 2 / (9.0 - 2) ** 2
    else:
        draws = D.Chi2(df).rsample()
        exact = 1.0
    draws.sum().backward()
    g = df.grad.numpy()
    assert abs(g.mean() - exact) < 5 * g.std() / np.sqrt(n)
