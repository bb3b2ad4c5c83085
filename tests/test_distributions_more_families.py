"""FisherSnedecor, InverseGamma, Kumaraswamy, VonMises, GeneralizedPareto, LogisticNormal,
Wishart and LKJCholesky against PyTorch 2.13: log_prob, entropy, mean, mode, variance, cdf and
icdf on the same parameters (broadcasting batches, float64 and float32), and their gradients
against torch and float64 central differences."""

import numpy as np
import pytest
import torch

import ember

D, TD = ember.distributions, torch.distributions
R = np.random.default_rng(0)


def _e(a, rg=True):
    return ember.tensor(np.asarray(a, dtype=np.float64), dtype=ember.float64, requires_grad=rg)


def _t(a, rg=True):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=rg)


def _np(x):
    return x.detach().numpy()


def _weights(shape):
    return np.random.default_rng(1).uniform(0.5, 1.5, size=tuple(shape))


def _weighted(out, w):
    """sum(w * out) over the finite outputs (nan/inf entries carry no gradient)."""
    out = np.asarray(out, dtype=np.float64)
    return float(np.where(np.isfinite(out), out * w, 0.0).sum())


def check(fn, arrays, grad=True, tol=1e-9, fd=True, oracle=True):
    """fn(L, *tensors) -> tensor, L the distributions module. Values equal torch's; the
    gradient of sum(w * out) equals torch's and ember's own central differences (float64).
    oracle=False: no torch (where PyTorch fails in float64), differences only."""
    es, ts = [_e(a, grad) for a in arrays], [_t(a, grad) for a in arrays]
    ve = fn(D, *es)
    vt = fn(TD, *ts) if oracle else ve
    assert ve.dtype == ember.float64 and tuple(ve.shape) == tuple(vt.shape)
    np.testing.assert_allclose(_np(ve), _np(vt), rtol=tol, atol=tol)
    if not grad:
        return
    w = _weights(vt.shape)
    w = np.where(np.isfinite(_np(vt)), w, 0.0)
    (ve * ember.tensor(w)).sum().backward()
    if oracle:
        (vt * torch.tensor(w)).sum().backward()
    for a, b in zip(es, ts if oracle else []):
        ga = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        gb = np.zeros(b.shape) if b.grad is None else b.grad.numpy()
        np.testing.assert_allclose(ga, gb, rtol=1e-7, atol=1e-8)
    if not fd:
        return
    h = 1e-6
    for i, a in enumerate(arrays):
        a = np.asarray(a, dtype=np.float64)
        num = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            vals = []
            for s in (h, -h):
                b = a.copy()
                b[idx] += s
                args = [_e(x, False) for x in arrays]
                args[i] = _e(b, False)
                vals.append(_weighted(fn(D, *args).numpy(), w))
            num[idx] = (vals[0] - vals[1]) / (2 * h)
        ga = np.zeros(a.shape) if es[i].grad is None else es[i].grad.numpy()
        np.testing.assert_allclose(ga, num, rtol=1e-5, atol=1e-6)


def _quantity(what):
    """dist -> tensor for a property, a method without arguments, or one of the arguments."""
    def get(dist, *value):
        if value:
            return getattr(dist, what)(*value)
        attr = getattr(dist, what)
        return attr() if callable(attr) else attr
    return get


# ------------------------------------------------------------------------- FisherSnedecor

F_DF1 = np.array([[1.5, 3.0, 6.0]])
F_DF2 = np.array([[1.5], [4.5], [9.0]])  # mean nan below 2, variance nan below 4
F_X = R.uniform(0.2, 3.0, size=(3, 3))


@pytest.mark.parametrize("what", ["log_prob", "mean", "mode", "variance"])
def test_fisher_snedecor(what):
    get = _quantity(what)

    def fn(L, df1, df2, x):
        dist = L.FisherSnedecor(df1, df2)
        return get(dist, x) if what == "log_prob" else get(dist)

    if what != "variance":
        check(fn, [F_DF1, F_DF2, F_X])
        return
    # PyTorch writes nan into df2 <= 4 and differentiates through it, so its df1-gradient is
    # nan even where the weight is 0: the values over all, the gradients where df2 > 4
    check(fn, [F_DF1, F_DF2, F_X], grad=False)
    check(fn, [F_DF1, F_DF2[1:], F_X[1:]])


# --------------------------------------------------------------------------- InverseGamma

IG_A = np.array([0.5, 1.5, 3.0])  # mean inf up to 1, variance inf up to 2
IG_RATE = np.array([[0.7], [2.0]])
IG_X = R.uniform(0.2, 3.0, size=(2, 3))


@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "mode", "variance"])
def test_inverse_gamma(what):
    get = _quantity(what)

    def fn(L, a, rate, x):
        dist = L.InverseGamma(a, rate)
        return get(dist, x) if what == "log_prob" else get(dist)

    check(fn, [IG_A, IG_RATE, IG_X])


def test_inverse_gamma_cdf():
    # torch has no gradient of gammainc in its first argument: values only
    check(lambda L, a, r, x: L.InverseGamma(a, r).cdf(x), [IG_A, IG_RATE, IG_X], grad=False)
    check(lambda L, r, x: L.InverseGamma(_c(L, IG_A), r).cdf(x), [IG_RATE, IG_X])


def _c(L, a):
    return (ember.tensor if L is D else torch.tensor)(np.asarray(a, np.float64))


# ---------------------------------------------------------------------------- Kumaraswamy

K_A = np.array([0.5, 2.0, 3.5])
K_B = np.array([[0.8], [2.5]])
K_X = R.uniform(0.05, 0.95, size=(2, 3))


@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance", "cdf", "icdf"])
def test_kumaraswamy(what):
    get = _quantity(what)

    def fn(L, a, b, x):
        dist = L.Kumaraswamy(a, b)
        return get(dist, x) if what in ("log_prob", "cdf", "icdf") else get(dist)

    check(fn, [K_A, K_B, K_X])


def test_kumaraswamy_mode_is_the_density_peak():
    """PyTorch 2.13 returns nan for every mode (its log form takes log1p(-b)); ember gives
    ((a - 1) / (a b - 1))^(1/a), checked here against the argmax of the density (in
    float64: near its flat top float32's rounding noise decides the argmax)."""
    f64 = ember.float64
    a = ember.tensor([2.0, 3.5, 1.5, 0.5], dtype=f64)
    b = ember.tensor([3.0, 1.2, 2.0, 2.0], dtype=f64)
    dist = D.Kumaraswamy(a, b)
    grid = ember.linspace(1e-4, 1 - 1e-4, 200001, dtype=f64).unsqueeze(-1)
    peak = grid.squeeze(-1)[dist.log_prob(grid).argmax(0)]
    mode = dist.mode
    np.testing.assert_allclose(mode.numpy()[:3], peak.numpy()[:3], atol=1e-4)
    assert np.isnan(mode.numpy()[3])  # a < 1: the density is unbounded at 0
    assert torch.isnan(TD.Kumaraswamy(torch.tensor(2.0), torch.tensor(3.0)).mode)


# ------------------------------------------------------------------------------- VonMises

VM_LOC = np.array([-1.0, 0.5, 2.5])
VM_K = np.array([[0.2], [1.0], [3.0], [5.0]])  # both sides of the Bessel series' 3.75
VM_X = R.uniform(-np.pi, np.pi, size=(4, 3))


@pytest.mark.parametrize("what", ["log_prob", "mean", "mode", "variance"])
def test_von_mises(what):
    get = _quantity(what)

    def fn(L, loc, k, x):
        dist = L.VonMises(loc, k)
        return get(dist, x) if what == "log_prob" else get(dist)

    check(fn, [VM_LOC, VM_K, VM_X])


# ---------------------------------------------------------------------- GeneralizedPareto

GP_LOC = np.array([[0.1], [-1.0]])
GP_SCALE = np.array([[0.5], [2.0]])
GP_XI = np.array([-0.3, 0.4, 0.7])
GP_Z = R.uniform(0.05, 2.0, size=(2, 3))  # inside the support: below 1/0.3 for xi = -0.3
GP_U = R.uniform(0.05, 0.95, size=(2, 3))


def _gp_reference(what, loc, scale, xi, x):
    """The closed forms in float64 NumPy (xi = 0 by its limit)."""
    z = (x - loc) / scale
    safe = np.where(xi == 0, 1.0, xi)
    log_sf = np.where(xi == 0, -z, -np.log1p(safe * z) / safe)
    if what == "log_survival_function":
        return log_sf
    if what == "log_cdf":
        return np.log1p(-np.exp(log_sf))
    if what == "cdf":
        return -np.expm1(log_sf)
    return -np.log(scale) - np.where(xi == 0, z, (1 / safe + 1) * np.log1p(safe * z))


GP_DENSITY = ["log_prob", "cdf", "log_cdf", "log_survival_function"]


@pytest.mark.parametrize("what", GP_DENSITY + ["icdf", "entropy", "mean", "mode", "variance"])
@pytest.mark.parametrize("xi_zero", [False, True])
def test_generalized_pareto(what, xi_zero):
    get = _quantity(what)
    xi = np.where(np.arange(3) == 1, 0.0, GP_XI) if xi_zero else GP_XI

    def fn(L, loc, scale, xi, z, u):
        dist = L.GeneralizedPareto(loc, scale, xi)
        if what == "icdf":
            return dist.icdf(u)
        if what in GP_DENSITY:
            return get(dist, loc + scale * z)
        return get(dist)

    arrays = [GP_LOC, GP_SCALE, xi, GP_Z, GP_U]
    # at xi = 0 the xi = 0 formula is chosen where xi is within isclose's tolerance, so its
    # xi-derivative is 0 (as PyTorch's) while differences across the switch are not
    fd = not xi_zero
    if what not in GP_DENSITY:
        check(fn, arrays, fd=fd)
        return
    # PyTorch 2.13 raises for these in float64 (its isclose against a float32 zero): torch
    # in float32, and in float64 the closed forms and ember's own differences
    check(fn, arrays, fd=fd, oracle=False)
    value = fn(D, *[_e(a, False) for a in arrays]).numpy()
    ref = _gp_reference(what, GP_LOC, GP_SCALE, xi, GP_LOC + GP_SCALE * GP_Z)
    np.testing.assert_allclose(value, ref, rtol=1e-12, atol=1e-12)
    es = [ember.tensor(a, dtype=ember.float32, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in arrays]
    ve, vt = fn(D, *es), fn(TD, *ts)
    np.testing.assert_allclose(_np(ve), _np(vt), rtol=1e-5, atol=1e-6)
    ve.sum().backward()
    vt.sum().backward()
    for a, b in zip(es, ts):
        ga = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        gb = np.zeros(b.shape) if b.grad is None else b.grad.numpy()
        np.testing.assert_allclose(ga, gb, rtol=1e-4, atol=1e-5)
    with pytest.raises(RuntimeError, match="Double did not match Float"):
        fn(TD, *[_t(a, False) for a in arrays])


def test_generalized_pareto_support_and_numbers():
    e = D.GeneralizedPareto(ember.tensor([0.0, 1.0]), 2.0, ember.tensor([-0.5, 0.5]))
    t = TD.GeneralizedPareto(torch.tensor([0.0, 1.0]), 2.0, torch.tensor([-0.5, 0.5]))
    assert repr(e.support) == repr(t.support)
    assert D.constraints.is_dependent(D.GeneralizedPareto.support)
    assert D.GeneralizedPareto(0.0, 1.0, 0.1).batch_shape == ()
    for dist in (e, t):
        assert dist.entropy().shape == (2,)


# ------------------------------------------------------------------------- LogisticNormal

LN_LOC = R.normal(size=(2, 3))
LN_SCALE = R.uniform(0.5, 1.5, size=3)
LN_X = R.dirichlet(np.ones(4), size=2)


def test_logistic_normal_log_prob():
    # unvalidated: the differences step x off the simplex
    check(lambda L, m, s, x: L.LogisticNormal(m, s, validate_args=False).log_prob(x),
          [LN_LOC, LN_SCALE, LN_X])


def test_logistic_normal_scalar_and_shapes():
    e, t = D.LogisticNormal(0.3, 1.2), TD.LogisticNormal(0.3, 1.2)
    assert e.batch_shape == t.batch_shape and e.event_shape == t.event_shape == (2,)
    x = [0.3, 0.7]
    np.testing.assert_allclose(e.log_prob(ember.tensor(x)).numpy(),
                               t.log_prob(torch.tensor(x)).numpy(), rtol=1e-6, atol=1e-6)
    assert e.loc.shape == t.loc.shape == (1,) and e.scale.shape == t.scale.shape


# -------------------------------------------------------------------------------- Wishart

W_DF = np.array([4.5, 6.0])
W_A = R.normal(size=(3, 3)) * 0.5
W_X = np.stack([m @ m.T + np.eye(3) for m in R.normal(size=(2, 3, 3))])


def _wishart(L, param, df, a):
    """Wishart with a positive definite matrix (or Cholesky factor) built from a."""
    eye = (ember.eye if L is D else torch.eye)(3, dtype=a.dtype)
    if param == "scale_tril":
        return L.Wishart(df, scale_tril=a.tril(-1) + (a.diagonal() .exp()).diag_embed())
    return L.Wishart(df, **{param: a @ a.mT + eye})


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "mode", "variance"])
def test_wishart(param, what):
    get = _quantity(what)

    def fn(L, df, a, x):
        dist = _wishart(L, param, df, a)
        return get(dist, x) if what == "log_prob" else get(dist)

    check(fn, [W_DF, W_A, W_X], fd=what in ("log_prob", "entropy"))


@pytest.mark.parametrize("what", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_wishart_matrices(what):
    check(lambda L, df, a: getattr(_wishart(L, "covariance_matrix", df, a), what),
          [W_DF, W_A], fd=False)


def test_wishart_kl_bregman():
    def fn(L, df1, a1, df2, a2):
        return L.kl_divergence(_wishart(L, "covariance_matrix", df1, a1),
                               _wishart(L, "precision_matrix", df2, a2))

    check(fn, [np.array(4.5), W_A, np.array(5.5), R.normal(size=(3, 3)) * 0.5], fd=False,
          tol=1e-8)


# ---------------------------------------------------------------------------- LKJCholesky

def _corr_cholesky(n, dim, seed):
    x = torch.tensor(np.random.default_rng(seed).normal(size=(n, dim * (dim - 1) // 2)))
    return TD.transforms.CorrCholeskyTransform()(x).numpy()


@pytest.mark.parametrize("dim", [2, 4])
def test_lkj_cholesky_log_prob(dim):
    conc = np.array([0.5, 1.0, 3.0])
    value = _corr_cholesky(3, dim, dim)
    check(lambda L, c, v: L.LKJCholesky(dim, c).log_prob(v), [conc, value], fd=False)
    check(lambda L, c: L.LKJCholesky(dim, c).log_prob(_c(L, value)), [conc])


# ---------------------------------------------------------------------------- float32

FLOAT32 = {
    "FisherSnedecor": ((F_DF1, F_DF2), F_X),
    "InverseGamma": ((IG_A, IG_RATE), IG_X),
    "Kumaraswamy": ((K_A, K_B), K_X),
    "VonMises": ((VM_LOC, VM_K), VM_X),
    "GeneralizedPareto": ((GP_LOC, GP_SCALE, GP_XI), GP_LOC + GP_SCALE * GP_Z),
    "LogisticNormal": ((LN_LOC, LN_SCALE), LN_X),
}


@pytest.mark.parametrize("name", sorted(FLOAT32))
def test_float32_values(name):
    params, x = FLOAT32[name]
    e = getattr(D, name)(*[ember.tensor(p, dtype=ember.float32) for p in params])
    t = getattr(TD, name)(*[torch.tensor(p, dtype=torch.float32) for p in params])
    for what in ("log_prob", "mean", "variance", "entropy"):
        try:
            vt = getattr(t, what)
            vt = vt(torch.tensor(x, dtype=torch.float32)) if what == "log_prob" else \
                vt() if callable(vt) else vt
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                ve = getattr(e, what)
                ve() if callable(ve) else ve
            continue
        ve = getattr(e, what)
        ve = ve(ember.tensor(x, dtype=ember.float32)) if what == "log_prob" else \
            ve() if callable(ve) else ve
        assert ve.dtype == ember.float32
        np.testing.assert_allclose(ve.numpy(), vt.numpy(), rtol=2e-5, atol=2e-5)
