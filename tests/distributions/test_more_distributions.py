"""Uniform, Exponential, Laplace, Gamma, Beta, Dirichlet, LogNormal against PyTorch 2.13:
values, gradients (vs torch and float64 finite differences), KL, sampling statistics,
reparameterised-sample gradients, validation errors and reprs."""

import math

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
F64 = "float64"


def _pair(data, rg=True):
    e = ember.tensor(data, dtype=ember.float64, requires_grad=rg)
    t = torch.tensor(data, dtype=torch.float64, requires_grad=rg)
    return e, t


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _close(a, b, tol=1e-9):
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


# name -> (parameter values (broadcasting shapes), log_prob values, has cdf, has icdf)
FAMILIES = {
    "Uniform": ([[[-1.0], [0.5]], [2.0, 3.0, 1.5]], [[0.7, 1.2, 1.4]] * 2, True, True),
    "Exponential": ([[[0.5, 2.0, 7.0], [1.0, 0.1, 3.0]]], [0.0, 0.4, 2.5], True, True),
    "Laplace": ([[0.0, -1.0, 2.5], [[0.5], [2.0]]], [[0.3, -3.0, 2.5]], True, True),
    "Gamma": ([[[0.3, 1.0, 5.0], [2.5, 0.8, 12.0]], [0.5, 2.0, 1.3]],
              [[0.05, 1.0, 3.0], [2.0, 0.7, 9.0]], True, False),
    "Beta": ([[[0.4], [3.0]], [0.7, 1.0, 5.0]], [[0.05, 0.5, 0.97]], False, False),
    "LogNormal": ([[0.0, -1.0, 2.5], [[0.5], [1.7]]], [[0.3, 0.05, 9.0]], True, True),
    "Dirichlet": ([[[0.4, 1.0, 3.0], [2.0, 0.6, 5.0]]], [[0.2, 0.3, 0.5], [0.01, 0.9, 0.09]],
                  False, False),
}


def _build(name, lib="ember"):
    params, values, *_ = FAMILIES[name]
    pairs = [_pair(p) for p in params]
    e = getattr(D, name)(*[p[0] for p in pairs])
    t = getattr(TD, name)(*[p[1] for p in pairs])
    return e, t, pairs


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_values_and_gradients_match_torch(name):
    ed, td, pairs = _build(name)
    _, values, has_cdf, has_icdf = FAMILIES[name]
    ev, tv = _pair(values, rg=False)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape)
    assert tuple(ed.event_shape) == tuple(td.event_shape)
    assert ed.has_rsample == td.has_rsample
    for attr in ("mean", "variance", "stddev", "mode"):
        _close(getattr(ed, attr), getattr(td, attr))
    e_out, t_out = [ed.log_prob(ev), ed.entropy()], [td.log_prob(tv), td.entropy()]
    if has_cdf:
        e_out.append(ed.cdf(ev))
        t_out.append(td.cdf(tv))
    if has_icdf:
        eq, tq = _pair([[0.1, 0.5, 0.93]], rg=False)
        e_out.append(ed.icdf(eq))
        t_out.append(td.icdf(tq))
    for a, b in zip(e_out, t_out):
        _close(a, b)
    if name == "Gamma":  # torch has no cdf gradient in concentration (see test_gamma_cdf...)
        e_out, t_out = e_out[:2], t_out[:2]
    w = [np.linspace(0.5, 1.5, b.numel()).reshape(tuple(b.shape)) for b in t_out]
    sum(ember.tensor(wi) * a for wi, a in zip(w, e_out)).sum().backward()
    sum(torch.tensor(wi) * b for wi, b in zip(w, t_out)).sum().backward()
    for e, t in pairs:
        _close(e.grad, t.grad)


def _finite_difference(fn, arrays, i, h=1e-6):
    base = [a.copy() for a in arrays]
    out = np.zeros_like(base[i])
    for k in np.ndindex(out.shape):
        up, dn = [a.copy() for a in base], [a.copy() for a in base]
        up[i][k] += h
        dn[i][k] -= h
        out[k] = (fn(*up) - fn(*dn)) / (2 * h)
    return out


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_gradients_match_float64_finite_differences(name):
    params, values, *_ = FAMILIES[name]
    arrays = [np.broadcast_to(np.asarray(p, np.float64), np.shape(p)).copy() for p in params]
    value = ember.tensor(values, dtype=ember.float64)

    def objective(*arrs, grad=False):
        ps = [ember.tensor(a, requires_grad=grad) for a in arrs]
        d = getattr(D, name)(*ps)
        out = (d.log_prob(value) * 1.3).sum() + d.entropy().sum()
        if grad:
            out.backward()
            return [p.grad.numpy() for p in ps]
        return float(out.item())

    grads = objective(*arrays, grad=True)
    for i in range(len(arrays)):
        np.testing.assert_allclose(grads[i], _finite_difference(objective, arrays, i),
                                   rtol=1e-6, atol=1e-6)


KL_PAIRS = {
    "Uniform": ([[-1.0, 0.0, 0.2], [1.0, 2.0, 0.9]], [[[-2.0], [0.1]], [3.0, 2.5, 0.95]]),
    "Exponential": ([[[0.5, 2.0, 7.0]]], [[[1.0], [0.2]]]),
    "Laplace": ([[0.0, -1.0, 2.5], [[0.5], [2.0]]], [[1.0, 0.3, 2.0], [1.5, 0.7, 3.0]]),
    "Gamma": ([[0.3, 1.0, 5.0], [[0.5], [2.0]]], [[2.0, 0.7, 4.0], [1.0, 3.0, 0.4]]),
    "Beta": ([[0.4, 3.0, 1.0], [[0.7], [5.0]]], [[2.0, 0.5, 1.0], [1.0, 1.0, 0.3]]),
    "Dirichlet": ([[[0.4, 1.0, 3.0], [2.0, 0.6, 5.0]]], [[[1.0, 1.0, 1.0]]]),
    "LogNormal": ([[0.0, -1.0, 2.5], [[0.5], [2.0]]], [[1.0, 0.3, 2.0], [1.5, 0.7, 3.0]]),
}


@pytest.mark.parametrize("name", sorted(KL_PAIRS))
def test_kl_divergence_and_gradients_match_torch(name):
    p_params, q_params = KL_PAIRS[name]
    pp, qp = [_pair(v) for v in p_params], [_pair(v) for v in q_params]
    ek = D.kl_divergence(getattr(D, name)(*[a[0] for a in pp]),
                         getattr(D, name)(*[a[0] for a in qp]))
    tk = TD.kl_divergence(getattr(TD, name)(*[a[1] for a in pp]),
                          getattr(TD, name)(*[a[1] for a in qp]))
    _close(ek, tk)
    finite = torch.isfinite(tk).numpy()
    if name == "Uniform":
        assert not finite.all() and finite.any()  # q narrower than p somewhere: inf
    ek[ember.tensor(finite)].sum().backward()
    tk[torch.tensor(finite)].sum().backward()
    for a, b in pp + qp:
        _close(a.grad, b.grad)


def test_kl_one_hot_and_unregistered_pair():
    el, tl = _pair([[0.0, 1.0, -2.0], [3.0, 0.0, 0.0]])
    e2, t2 = _pair([[1.0, 1.0, 0.0]])
    ek = D.kl_divergence(D.OneHotCategorical(logits=el), D.OneHotCategorical(logits=e2))
    tk = TD.kl_divergence(TD.OneHotCategorical(logits=tl), TD.OneHotCategorical(logits=t2))
    _close(ek, tk)
    ek.sum().backward()
    tk.sum().backward()
    _close(el.grad, tl.grad)
    msgs = []
    for lib in (D, TD):
        with pytest.raises(NotImplementedError) as err:
            lib.kl_divergence(lib.OneHotCategorical(logits=torch.zeros(2) if lib is TD else
                                                    ember.zeros(2)),
                              lib.Laplace(0.0, 1.0))
        msgs.append(str(err.value))
    assert msgs[0] == msgs[1]


SAMPLING = {
    "Uniform": ([-1.0, 2.0], [2.0, 2.5]),
    "Exponential": ([0.5, 4.0],),
    "Laplace": ([0.0, -3.0], [1.0, 0.2]),
    "Gamma": ([0.2, 7.0], [1.0, 3.0]),
    "Beta": ([0.3, 4.0], [0.8, 2.0]),
    "LogNormal": ([0.0, 1.0], [0.25, 0.5]),
    "Dirichlet": ([[0.3, 1.0, 2.0], [5.0, 5.0, 1.0]],),
}


@pytest.mark.parametrize("name", sorted(SAMPLING))
def test_sampling_statistics_support_and_seed(name):
    params = SAMPLING[name]
    ed = getattr(D, name)(*[ember.tensor(p, dtype=ember.float64) for p in params])
    td = getattr(TD, name)(*[torch.tensor(p, dtype=torch.float64) for p in params])
    n = 40000
    ember.manual_seed(3)
    s = ed.sample((n,))
    ember.manual_seed(3)
    assert np.array_equal(ed.sample((n,)).numpy(), s.numpy())
    assert tuple(s.shape) == (n,) + tuple(td.batch_shape) + tuple(td.event_shape)
    assert s.dtype == ember.float64 and not s.requires_grad
    assert bool(td.support.check(torch.tensor(s.numpy())).all())
    x = s.numpy()
    mean, var = td.mean.numpy(), td.variance.numpy()
    assert (np.abs(x.mean(0) - mean) < 5 * np.sqrt(var / n)).all()
    # the sample variance: standard error from the fourth central moment of the draws
    se_var = np.sqrt(((x - mean) ** 4).mean(0) / n)
    assert (np.abs(x.var(0) - var) < 5 * se_var).all()


def test_rsample_pathwise_gradients():
    lo, hi = _pair([0.0, -2.0])[0], _pair([1.0, 3.0])[0]
    s = D.Uniform(lo, hi).rsample((5,))
    s.sum().backward()
    u = (s.detach().numpy() - lo.detach().numpy()) / (hi - lo).detach().numpy()
    _close(lo.grad, (1 - u).sum(0))
    _close(hi.grad, u.sum(0))
    rate = _pair([0.5, 3.0])[0]
    s = D.Exponential(rate).rsample((5,))
    s.sum().backward()
    _close(rate.grad, (-s.detach().numpy() / rate.detach().numpy()).sum(0))
    loc, scale = _pair([0.0, 1.0])[0], _pair([2.0, 0.5])[0]
    s = D.Laplace(loc, scale).rsample((5,))
    s.sum().backward()
    _close(loc.grad, [5.0, 5.0])
    _close(scale.grad, ((s.detach().numpy() - loc.detach().numpy()) / scale.detach().numpy()
                        ).sum(0))
    loc, scale = _pair([0.0, 1.0])[0], _pair([0.3, 0.5])[0]
    s = D.LogNormal(loc, scale).rsample((5,))
    s.sum().backward()
    y = s.detach().numpy()
    eps = (np.log(y) - loc.detach().numpy()) / scale.detach().numpy()
    _close(loc.grad, y.sum(0))
    _close(scale.grad, (y * eps).sum(0))


def test_gamma_rsample_implicit_gradient():
    alpha = np.array([1e-3, 0.05, 0.3, 1.0, 2.5, 9.0, 150.0, 4e3])
    conc = ember.tensor(np.repeat(alpha, 50), dtype=ember.float64, requires_grad=True)
    rate = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)
    ember.manual_seed(0)
    s = D.Gamma(conc, rate).rsample()
    s.sum().backward()
    x = s.detach().numpy() * 2.0  # the standard-gamma draw
    a = conc.detach().numpy()
    torch_grad = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy()
    # PyTorch's approximation (accurate to ~5e-4 relative), reproduced to float64 rounding
    np.testing.assert_allclose(conc.grad.numpy(), torch_grad / 2.0, rtol=1e-13, atol=1e-300)
    _close(rate.grad, -(s.detach().numpy() / 2.0).sum())
    # Gamma.cdf's derivative in a (ember's; PyTorch has none) is exact: central differences
    keep = x > 1e-250
    xa, aa = torch.tensor(x[keep]), torch.tensor(a[keep])
    h = 1e-6 * aa
    dF = (torch.special.gammainc(aa + h, xa) - torch.special.gammainc(aa - h, xa)) / (2 * h)
    ea = ember.tensor(a[keep], requires_grad=True)
    D.Gamma(ea, 1.0).cdf(ember.tensor(x[keep])).sum().backward()
    np.testing.assert_allclose(ea.grad.numpy(), dF.numpy(), rtol=2e-5, atol=1e-12)
    # and the rsample gradient against the same differences: dx/da = -dF/da / p(x), to the
    # accuracy PyTorch's approximation states (5e-4 relative)
    logp = (aa - 1) * xa.log() - xa - torch.lgamma(aa)
    fd = (-dF / logp.exp()).numpy()
    np.testing.assert_allclose(conc.grad.numpy()[keep] * 2.0, fd, rtol=5e-4, atol=1e-12)


@pytest.mark.parametrize("name", ["Beta", "Dirichlet"])
def test_beta_dirichlet_rsample_gradient_is_unbiased(name):
    # pathwise gradient of E[x_0] over many draws vs the analytic derivative of the mean
    n = 20000
    ember.manual_seed(1)
    if name == "Beta":
        a = ember.full((n,), 0.7, dtype=ember.float64, requires_grad=True)
        d = D.Beta(a, ember.tensor(2.0, dtype=ember.float64))
        draws = d.rsample()
        exact = 2.0 / 2.7 ** 2  # d/da a / (a + b)
    else:
        a = ember.tensor([[0.7, 2.0, 1.5]] * n, dtype=ember.float64, requires_grad=True)
        draws = D.Dirichlet(a).rsample()[:, 0]
        exact = (2.0 + 1.5) / 4.2 ** 2
    draws.sum().backward()
    g = a.grad.numpy() if name == "Beta" else a.grad.numpy()[:, 0]
    assert abs(g.mean() - exact) < 5 * g.std() / np.sqrt(n)
    assert abs(draws.detach().numpy().mean() - (0.7 / 2.7 if name == "Beta" else 0.7 / 4.2)) \
        < 0.01


def test_gamma_cdf_gradients():
    c, tc = _pair([0.3, 2.0, 40.0])
    v, tv = _pair([0.2, 1.5, 45.0])
    out = D.Gamma(c, 1.5).cdf(v)
    tout = TD.Gamma(tc, 1.5).cdf(tv)
    _close(out, tout)
    out.sum().backward()
    tout.sum().backward(inputs=[tv])  # torch has no gradient in concentration
    _close(v.grad, tv.grad)
    fd = _finite_difference(
        lambda a: float(D.Gamma(ember.tensor(a), 1.5).cdf(v.detach()).sum()),
        [c.detach().numpy().copy()], 0)
    np.testing.assert_allclose(c.grad.numpy(), fd, rtol=1e-6, atol=1e-9)


def _first_line(fn):
    with pytest.raises(ValueError) as err:
        fn()
    return str(err.value).splitlines()[0]


@pytest.mark.parametrize("case", [
    ("Laplace", ([0.0, 1.0, 2.0], [1.0, -1.0, 2.0])),
    ("Exponential", ([0.0, 1.0],)),
    ("Gamma", ([1.0, 2.0], [-1.0, 1.0])),
    ("Gamma", ([1.0, -2.0], [1.0, 1.0])),
    ("Beta", ([1.0, -2.0], [1.0, 1.0])),
    ("Uniform", ([0.0, 2.0], [1.0, 1.0])),
    ("LogNormal", ([0.0, 2.0], [1.0, 0.0])),
    ("Dirichlet", ([[1.0, 0.0, 2.0]],)),
])
def test_parameter_validation_errors_match_torch(case):
    name, params = case
    assert _first_line(lambda: getattr(D, name)(*[ember.tensor(p) for p in params])) == \
        _first_line(lambda: getattr(TD, name)(*[torch.tensor(p) for p in params]))


@pytest.mark.parametrize("name,value", [
    ("Exponential", [-1.0, 2.0, 1.0]), ("Gamma", [1.0, -0.5, 2.0]), ("Beta", [0.5, 1.5, 0.2]),
    ("Uniform", [0.5, 3.0, 0.2]), ("LogNormal", [0.0, 1.0, 2.0]),
])
def test_out_of_support_values(name, value):
    params = {"Exponential": ([1.0, 2.0, 3.0],), "Gamma": ([1.5, 2.0, 0.5], [1.0, 1.0, 2.0]),
              "Beta": ([1.5, 2.0, 0.5], [2.0, 1.0, 2.0]),
              "Uniform": ([0.0, 0.0, 0.0], [1.0, 2.0, 1.0]),
              "LogNormal": ([0.0, 1.0, 2.0], [1.0, 1.0, 2.0])}[name]
    eps, tps = [ember.tensor(p) for p in params], [torch.tensor(p) for p in params]
    ed, td = getattr(D, name)(*eps), getattr(TD, name)(*tps)
    assert _first_line(lambda: ed.log_prob(ember.tensor(value))) == \
        _first_line(lambda: td.log_prob(torch.tensor(value)))
    ed = getattr(D, name)(*eps, validate_args=False)
    td = getattr(TD, name)(*tps, validate_args=False)
    np.testing.assert_allclose(ed.log_prob(ember.tensor(value)).numpy(),
                               td.log_prob(torch.tensor(value)).numpy(), rtol=1e-5)


def test_reprs_and_constraints_match_torch():
    cases = [
        lambda L, t: L.Uniform(0.0, 1.0), lambda L, t: L.Uniform(t([0.0, 1.0]), 2.0),
        lambda L, t: L.Gamma(t([1.0, 2.0]), 1.0), lambda L, t: L.Beta(1.0, 2.0),
        lambda L, t: L.Laplace(0.5, t([1.0])), lambda L, t: L.LogNormal(0.0, 1.0),
        lambda L, t: L.Exponential(t([1.0, 2.0])), lambda L, t: L.Dirichlet(t([1.0, 2.0])),
        lambda L, t: L.OneHotCategorical(t([0.5, 0.5])),
    ]
    for make in cases:
        e, t = make(D, ember.tensor), make(TD, torch.tensor)
        assert repr(e) == repr(t)
        assert repr(e.support) == repr(t.support)
        assert e.support.event_dim == t.support.event_dim
        assert e.support.is_discrete == t.support.is_discrete
    ec, tc = D.constraints, TD.constraints
    for name in ["real", "positive", "nonnegative", "unit_interval", "simplex", "one_hot",
                 "real_vector", "boolean", "dependent"]:
        assert repr(getattr(ec, name)) == repr(getattr(tc, name))
    for name, args in [("interval", (0.0, 2.0)), ("half_open_interval", (-1.0, 1.0)),
                       ("greater_than", (1.5,)), ("greater_than_eq", (1.0,)),
                       ("less_than", (2.0,))]:
        ecn, tcn = getattr(ec, name)(*args), getattr(tc, name)(*args)
        assert repr(ecn) == repr(tcn)
        v = np.array([-1.0, 0.0, 1.0, 1.5, 2.0, 3.0])
        assert (ecn.check(v) == tcn.check(torch.tensor(v)).numpy()).all()


def test_expand_matches_torch():
    for name in ["Uniform", "Exponential", "Laplace", "Gamma", "Beta", "LogNormal"]:
        ed, td, _ = _build(name)
        shape = (4,) + tuple(td.batch_shape)
        ee, te = ed.expand(shape), td.expand(shape)
        assert tuple(ee.batch_shape) == tuple(te.batch_shape) == shape
        v = te.sample()
        _close(ee.log_prob(ember.tensor(v.numpy())), te.log_prob(v))
    ed, td, _ = _build("Dirichlet")
    ee, te = ed.expand((5, 2)), td.expand((5, 2))
    assert tuple(ee.event_shape) == tuple(te.event_shape) == (3,)
    v = te.sample()
    _close(ee.log_prob(ember.tensor(v.numpy())), te.log_prob(v))
