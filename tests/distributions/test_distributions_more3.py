"""LowRankMultivariateNormal, ContinuousBernoulli, ExponentialFamily against PyTorch 2.13:
values and gradients (vs torch and float64 finite differences) over broadcasting batch
shapes, the KL pairs PyTorch registers, validation errors, expand and sampling statistics."""

import numpy as np
import pytest
import torch

import ember


@pytest.fixture(autouse=True)
def _keep_global_rng():
    state = ember.get_rng_state()
    yield
    ember.set_rng_state(state)


D, TD = ember.distributions, torch.distributions


def _e(a, rg=True):
    return ember.tensor(np.asarray(a, dtype=np.float64), dtype=ember.float64, requires_grad=rg)


def _t(a, rg=True):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=rg)


def _np(x):
    return x.detach().numpy()


def _close(a, b, tol=1e-9):
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


def _first_line(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value).splitlines()[0]


def _same_error(fe, ft):
    te, tm = _first_line(ft)
    ee, em = _first_line(fe)
    assert (ee, em) == (te, tm)


def _check_grads(build_e, build_t, arrays, out):
    """out(dist) -> tensor; compares values and the gradient of a weighted sum with torch,
    then with central finite differences of ember's own float64 value."""
    es, ts = [_e(a) for a in arrays], [_t(a) for a in arrays]
    ve, vt = out(build_e(*es), D), out(build_t(*ts), TD)
    _close(ve, vt)
    w = np.random.default_rng(1).uniform(0.5, 1.5, size=tuple(vt.shape))
    (ve * ember.tensor(w)).sum().backward()
    (vt * torch.tensor(w)).sum().backward()
    grads = []
    for a, b in zip(es, ts):
        assert (a.grad is None) == (b.grad is None)
        grads.append(np.zeros(a.shape) if a.grad is None else a.grad.numpy())
        if b.grad is not None:
            _close(a.grad, b.grad, 1e-7)
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
                vals.append(float((out(build_e(*args), D).numpy() * w).sum()))
            num[idx] = (vals[0] - vals[1]) / (2 * h)
        np.testing.assert_allclose(grads[i], num, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ LowRankMultivariateNormal

R = np.random.default_rng(0)
LR_CASES = {
    "plain": (R.normal(size=3), R.normal(size=(3, 2)), R.uniform(0.5, 2, size=3)),
    "batched": (R.normal(size=(2, 1, 3)), R.normal(size=(4, 3, 2)), R.uniform(0.5, 2, size=3)),
    "rank1": (R.normal(size=(2, 4)), R.normal(size=(4, 1)), R.uniform(0.5, 2, size=(2, 4))),
}


def _lr(L, loc, w, d):
    return L.LowRankMultivariateNormal(loc, w, d)


@pytest.mark.parametrize("case", sorted(LR_CASES))
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance", "stddev",
                                  "scale_tril", "covariance_matrix", "precision_matrix"])
def test_lowrank_values_and_grads(case, what):
    arrays = LR_CASES[case]
    n = arrays[0].shape[-1]
    x = np.random.default_rng(2).normal(size=(2, 1, 1, n))

    def out(dist, L):
        if what == "log_prob":
            return dist.log_prob((ember.tensor if L is D else torch.tensor)(x))
        if what == "entropy":
            return dist.entropy()
        return getattr(dist, what)

    _check_grads(lambda *a: _lr(D, *a), lambda *a: _lr(TD, *a), arrays, out)


def test_lowrank_shapes_expand_rsample():
    loc, w, d = LR_CASES["batched"]
    e, t = _lr(D, _e(loc), _e(w), _e(d)), _lr(TD, _t(loc), _t(w), _t(d))
    assert e.batch_shape == t.batch_shape and e.event_shape == t.event_shape
    assert repr(e) == repr(t)
    ee, te = e.expand((3, 2, 4)), t.expand((3, 2, 4))
    assert ee.batch_shape == te.batch_shape and ee.cov_factor.shape == te.cov_factor.shape
    x = np.random.default_rng(3).normal(size=3)
    _close(ee.log_prob(ember.tensor(x)), te.log_prob(torch.tensor(x)))
    _close(ee.precision_matrix, te.precision_matrix)
    assert e.rsample((5,)).shape == t.rsample((5,)).shape

    def sub(L, T):
        cls = type("Sub", (L.LowRankMultivariateNormal,),
                   {"__init__": lambda self, *a: L.LowRankMultivariateNormal.__init__(self, *a)})
        return cls(T(loc), T(w), T(d)).expand((3, 2, 4))

    _same_error(lambda: sub(D, _e), lambda: sub(TD, _t))


def test_lowrank_sampling_statistics_and_pathwise_grad():
    loc, w, d = np.array([1.0, -2.0, 0.5]), np.array([[1.0, 0.0], [0.5, 1.0], [0.0, -1.0]]), \
        np.array([0.5, 1.0, 2.0])
    el, ew, ed = _e(loc), _e(w), _e(d)
    e = _lr(D, el, ew, ed)
    ember.manual_seed(0)
    s = e.sample((40000,)).numpy()
    np.testing.assert_allclose(s.mean(0), loc, atol=0.05)
    np.testing.assert_allclose(np.cov(s.T), w @ w.T + np.diag(d), atol=0.08)
    r = e.rsample((20000,))
    r.pow(2).sum().div(20000).backward()   # d/dloc E|x|^2 = 2 loc; d/dD = 1
    np.testing.assert_allclose(el.grad.numpy(), 2 * loc, atol=0.1)
    np.testing.assert_allclose(ed.grad.numpy(), np.ones(3), atol=0.1)


@pytest.mark.parametrize("pair", ["lr_lr", "mvn_lr", "lr_mvn"])
def test_lowrank_kl(pair):
    rg = np.random.default_rng(4)
    lr_p = (rg.normal(size=(2, 1, 3)), rg.normal(size=(4, 3, 2)), rg.uniform(0.5, 2, size=3))
    lr_q = (rg.normal(size=3), rg.normal(size=(3, 3)), rg.uniform(0.5, 2, size=(4, 3)))
    low = np.tril(rg.normal(size=(4, 3, 3)), -1) + np.diag([1.0, 2.0, 1.5])
    mloc = rg.normal(size=(2, 1, 3))

    def build(L, *a):
        lp, lq, m = _lr(L, *a[:3]), _lr(L, *a[3:6]), L.MultivariateNormal(a[6], scale_tril=a[7].tril())
        p, q = {"lr_lr": (lp, lq), "mvn_lr": (m, lq), "lr_mvn": (lp, m)}[pair]
        return L.kl_divergence(p, q)

    _check_grads(lambda *a: build(D, *a), lambda *a: build(TD, *a),
                 list(lr_p) + list(lr_q) + [mloc, low], lambda v, L: v)


@pytest.mark.parametrize("pair", ["lr_lr", "mvn_lr", "lr_mvn"])
def test_lowrank_kl_event_mismatch(pair):
    def build(L, T):
        a = L.LowRankMultivariateNormal(T(np.zeros(2)), T(np.ones((2, 1))), T(np.ones(2)))
        b = L.LowRankMultivariateNormal(T(np.zeros(3)), T(np.ones((3, 1))), T(np.ones(3)))
        m3 = L.MultivariateNormal(T(np.zeros(3)), T(np.eye(3)))
        p, q = {"lr_lr": (a, b), "mvn_lr": (m3, a), "lr_mvn": (a, m3)}[pair]
        return L.kl_divergence(p, q)

    _same_error(lambda: build(D, _e), lambda: build(TD, _t))


@pytest.mark.parametrize("args", [
    ((), (3, 1), (3,)), ((3,), (3,), (3,)), ((3,), (2, 1), (3,)), ((3,), (3, 1), (2,)),
    ((2, 3), (4, 3, 1), (3,)), ("neg", (3, 1), (3,))])
def test_lowrank_validation(args):
    def build(L, T):
        if args[0] == "neg":
            return L.LowRankMultivariateNormal(T(np.zeros(3)), T(np.ones((3, 1))),
                                               T(np.array([1.0, -1.0, 1.0])))
        loc, w, d = (T(np.ones(s)) for s in args)
        return L.LowRankMultivariateNormal(loc, w, d)

    _same_error(lambda: build(D, _e), lambda: build(TD, _t))


def test_lowrank_value_validation():
    e = _lr(D, *(_e(a) for a in LR_CASES["plain"]))
    t = _lr(TD, *(_t(a) for a in LR_CASES["plain"]))
    _same_error(lambda: e.log_prob(ember.ones(2)), lambda: t.log_prob(torch.ones(2)))
    _same_error(lambda: e.log_prob(ember.tensor([1.0, float("nan"), 0.0])),
                lambda: t.log_prob(torch.tensor([1.0, float("nan"), 0.0])))


# ------------------------------------------------------------------ ContinuousBernoulli

PROBS = np.array([[0.02, 0.3, 0.4995, 0.5, 0.5005, 0.7, 0.98]])
LOGITS = np.array([[-3.0, -0.003, 0.0, 0.0015, 1.2, 4.0]])


@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("what", ["log_prob", "cdf", "icdf", "entropy", "mean", "variance",
                                  "stddev", "logits", "probs"])
def test_cb_values_and_grads(param, what):
    arr = PROBS if param == "probs" else LOGITS
    x = np.array([[0.0], [0.25], [0.5], [0.9], [1.0]])
    if what == "icdf":
        x = np.array([[0.0], [0.1], [0.5], [0.95]])

    def out(dist, L):
        if what in ("log_prob", "cdf", "icdf"):
            return getattr(dist, what)((ember.tensor if L is D else torch.tensor)(x))
        if what == "entropy":
            return dist.entropy()
        return getattr(dist, what)

    build = {"probs": lambda L: lambda p: L.ContinuousBernoulli(probs=p),
             "logits": lambda L: lambda lg: L.ContinuousBernoulli(logits=lg)}[param]
    _check_grads(build(D), build(TD), [arr], out)


def test_cb_lims_and_bregman_entropy():
    p = np.array([0.3, 0.45, 0.5, 0.52, 0.8])
    e = D.ContinuousBernoulli(_e(p), lims=(0.4, 0.6))
    t = TD.ContinuousBernoulli(_t(p), lims=(0.4, 0.6))
    for name in ("mean", "variance"):
        _close(getattr(e, name), getattr(t, name))
    _close(e._cont_bern_log_norm(), t._cont_bern_log_norm())
    _close(D.ExponentialFamily.entropy(e), TD.ExponentialFamily.entropy(t))
    _close(D.ExponentialFamily.entropy(e), e.entropy(), 1e-6)
    assert isinstance(e, D.ExponentialFamily)
    lg = np.array([-2.0, -0.0005, 0.0, 0.3])
    _close(e._log_normalizer(_e(lg)), t._log_normalizer(_t(lg)))


def test_cb_shapes_expand_sampling():
    pe, pt = _e([[0.2], [0.45], [0.9]]), _t([[0.2], [0.45], [0.9]])
    e, t = D.ContinuousBernoulli(pe), TD.ContinuousBernoulli(pt)
    assert repr(e) == repr(t)
    ee, te = e.expand((2, 3, 4)), t.expand((2, 3, 4))
    assert ee.batch_shape == te.batch_shape and ee._lims == te._lims
    _close(ee.log_prob(_e(0.3, False)), te.log_prob(_t(0.3, False)))
    assert e.sample((5,)).shape == t.sample((5,)).shape
    ember.manual_seed(0)
    s = e.sample((40000,)).numpy()
    np.testing.assert_allclose(s.mean(0), _np(t.mean), atol=0.01)
    np.testing.assert_allclose(s.var(0), _np(t.variance), atol=0.01)
    assert s.min() >= 0 and s.max() <= 1
    r = e.rsample((20000,))
    r.mean().backward()   # d E[x] / d lambda, pathwise
    t.mean.sum().div(3).backward()
    np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), atol=0.03)


def test_cb_validation():
    _same_error(lambda: D.ContinuousBernoulli(), lambda: TD.ContinuousBernoulli())
    _same_error(lambda: D.ContinuousBernoulli(_e([1.5]), validate_args=True),
                lambda: TD.ContinuousBernoulli(_t([1.5]), validate_args=True))
    # without validate_args, out-of-range probs are clamped into (0, 1), as in torch
    _close(D.ContinuousBernoulli(_e([1.5])).probs, TD.ContinuousBernoulli(_t([1.5])).probs)
    e, t = D.ContinuousBernoulli(_e([0.3])), TD.ContinuousBernoulli(_t([0.3]))
    _same_error(lambda: e.log_prob(ember.tensor([1.5])), lambda: t.log_prob(torch.tensor([1.5])))


CB_KL = {
    "cb_cb": (lambda L, T: (L.ContinuousBernoulli(T(PROBS)),
                            L.ContinuousBernoulli(T(np.array([0.1, 0.6, 0.5, 0.501, 0.2, .9, .4])))),),
    "beta_cb": (lambda L, T: (L.Beta(T(2.0), T(3.0)), L.ContinuousBernoulli(T(PROBS))),),
    "uniform_cb": (lambda L, T: (L.Uniform(T([0.1, 0.0]), T([0.5, 0.4])),
                                 L.ContinuousBernoulli(T([0.3, 0.8]))),),
    "cb_uniform": (lambda L, T: (L.ContinuousBernoulli(T([0.3, 0.8])),
                                 L.Uniform(T([-0.1, 0.2]), T([1.5, 1.5]))),),
    "cb_exp": (lambda L, T: (L.ContinuousBernoulli(T(PROBS)), L.Exponential(T(2.0))),),
    "cb_normal": (lambda L, T: (L.ContinuousBernoulli(T(PROBS)), L.Normal(T(0.3), T(2.0))),),
    "cb_pareto": (lambda L, T: (L.ContinuousBernoulli(T(PROBS)), L.Pareto(T(1.0), T(2.0))),),
    "normal_cb": (lambda L, T: (L.Normal(T([0.3, 1.0]), T(2.0)), L.ContinuousBernoulli(T(0.4))),),
    "gamma_cb": (lambda L, T: (L.Gamma(T([2.0]), T(3.0)), L.ContinuousBernoulli(T(0.4))),),
    "exp_cb": (lambda L, T: (L.Exponential(T([2.0, 1.0])), L.ContinuousBernoulli(T(0.4))),),
    "laplace_cb": (lambda L, T: (L.Laplace(T(0.0), T(1.0)), L.ContinuousBernoulli(T(0.4))),),
    "gumbel_cb": (lambda L, T: (L.Gumbel(T(0.0), T(1.0)), L.ContinuousBernoulli(T(0.4))),),
    "pareto_cb": (lambda L, T: (L.Pareto(T(1.0), T(1.0)), L.ContinuousBernoulli(T(0.4))),),
}


@pytest.mark.parametrize("pair", sorted(CB_KL))
def test_cb_kl(pair):
    (build,) = CB_KL[pair]
    ke = D.kl_divergence(*build(D, lambda a: _e(a, False)))
    kt = TD.kl_divergence(*build(TD, lambda a: _t(a, False)))
    assert ke.shape == kt.shape
    _close(ke, kt)


def test_cb_kl_grads_and_bregman():
    q = np.array([0.1, 0.6, 0.5, 0.501, 0.2, 0.9, 0.4])
    _check_grads(lambda p, q_: D.ContinuousBernoulli(p), lambda p, q_: TD.ContinuousBernoulli(p),
                 [PROBS, q], lambda d, L: L.kl_divergence(
                     d, L.ContinuousBernoulli(_e(q, False) if L is D else _t(q, False))))
    from torch.distributions.kl import _kl_expfamily_expfamily

    from ember.distributions.exp_family import kl_expfamily_expfamily
    pe, qe = D.ContinuousBernoulli(_e(PROBS)), D.ContinuousBernoulli(_e(q))
    pt, qt = TD.ContinuousBernoulli(_t(PROBS)), TD.ContinuousBernoulli(_t(q))
    _close(kl_expfamily_expfamily(pe, qe), _kl_expfamily_expfamily(pt, qt))
    _close(kl_expfamily_expfamily(pe, qe), D.kl_divergence(pe, qe), 1e-6)
    _same_error(lambda: kl_expfamily_expfamily(pe, D.Normal(_e(0.0), _e(1.0))),
                lambda: _kl_expfamily_expfamily(pt, TD.Normal(_t(0.0), _t(1.0))))


# ------------------------------------------------------------------ CatTransform, StackTransform


def _cat_case(L, kind, dim):
    tr = L.transforms
    if kind == "cat":
        inner = L.CatTransform([tr.ExpTransform(), tr.AffineTransform(1.0, 2.0)], dim=dim,
                               lengths=[1, 2])
        return L.CatTransform([inner, tr.SigmoidTransform()], dim=dim, lengths=[3, 2])
    if kind == "cat_event":   # a block with event_dim 1: the other blocks' ladj are summed
        return L.CatTransform([tr.ExpTransform(), tr.IndependentTransform(tr.TanhTransform(), 1)],
                              dim=dim, lengths=[2, 3])
    return L.StackTransform([tr.ExpTransform(), tr.AffineTransform(-1.0, 3.0),
                             tr.SigmoidTransform()], dim=dim)


@pytest.mark.parametrize("kind,dim", [("cat", 0), ("cat", -1), ("cat", 1), ("cat_event", -1),
                                      ("stack", 1), ("stack", -1), ("stack", 0)])
def test_cat_stack_transforms(kind, dim):
    rg = np.random.default_rng(5)
    n = 5 if kind.startswith("cat") else 3
    shape = [2, 4, 2]
    shape[dim] = n
    x = rg.uniform(-0.9, 0.9, size=shape)
    te, tt = _cat_case(D, kind, dim), _cat_case(TD, kind, dim)
    assert te.event_dim == tt.event_dim and te.bijective == tt.bijective
    assert te.domain.event_dim == tt.domain.event_dim

    _check_grads(lambda a: a, lambda a: a, [x], lambda a, L: (te if L is D else tt)(a))
    _check_grads(lambda a: a, lambda a: a, [x], lambda a, L: (lambda t: t.log_abs_det_jacobian(
        a, t(a)))(te if L is D else tt))
    ye, yt = te(_e(x, False)), tt(_t(x, False))
    _close(te.inv(ye), tt.inv(yt))
    _close(te.inv(ye), _e(x, False))
    if kind != "cat_event":   # (torch.cat cannot join that one's per-block checks)
        ok_e = te.codomain.check(ye.numpy())
        ok_t = tt.codomain.check(yt)
        np.testing.assert_array_equal(np.asarray(ok_e), ok_t.numpy())
        bad = x.copy()
        bad[(slice(None),) * (dim % 3) + (-1,)] = 7.0   # outside the sigmoid's codomain
        np.testing.assert_array_equal(np.asarray(te.codomain.check(bad)),
                                      tt.codomain.check(torch.tensor(bad)).numpy())
        assert not np.asarray(te.codomain.check(bad)).all()
    cached_e, cached_t = te.with_cache(1), tt.with_cache(1)
    xe = _e(x, False)
    assert cached_e.inv(cached_e(xe)) is xe
    assert type(cached_e) is type(te) and cached_t.transforms[0]._cache_size == 1
    assert cached_e.transforms[0]._cache_size == 1


@pytest.mark.parametrize("kind", ["cat", "stack"])
def test_cat_stack_errors(kind):
    def build(L, T, shape, method):
        t = _cat_case(L, kind, 0)
        x = T(np.full(shape, 0.2), False)
        if method == "call":
            return t(x)
        if method == "inv":
            return t.inv(x)
        return t.log_abs_det_jacobian(x, x)

    for shape in ((4, 2), ()):
        for method in ("call", "inv", "ladj"):
            _same_error(lambda: build(D, _e, shape, method), lambda: build(TD, _t, shape, method))
    _same_error(lambda: D.CatTransform([D.transforms.ExpTransform()], lengths=[1, 2]),
                lambda: TD.CatTransform([TD.transforms.ExpTransform()], lengths=[1, 2]))
    _same_error(lambda: D.StackTransform([1]), lambda: TD.StackTransform([1]))
    _same_error(lambda: D.constraints.cat([D.constraints.real], lengths=[1, 2]),
                lambda: TD.constraints.cat([TD.constraints.real], lengths=[1, 2]))


def test_cat_stack_in_transformed_distribution():
    rg = np.random.default_rng(6)
    x = rg.normal(size=(3, 4))
    loc = rg.normal(size=(3, 1))

    def build(L, mu):
        # (a negative stacking dim gives the transform event_dim 1 but an unsummed
        # log|det J|, which torch's TransformedDistribution cannot use either)
        tr = L.transforms
        base = L.Normal(mu, 1.0)
        st = L.StackTransform([tr.ExpTransform(), tr.AffineTransform(0.5, 2.0),
                               tr.SigmoidTransform()], dim=0)
        return L.TransformedDistribution(base, [st])

    def out(d, L):
        y = (d.transforms[0])((ember.tensor if L is D else torch.tensor)(x))
        return d.log_prob(y)

    _check_grads(lambda m: build(D, m), lambda m: build(TD, m), [loc], out)
