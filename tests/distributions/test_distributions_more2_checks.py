"""The newer distributions and transforms against PyTorch 2.13: argument and support
validation (first lines), expand, MixtureSameFamily, the transforms (values, log|det J|,
gradients, shapes) and the names exported at ember.distributions' top level."""

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


def _lib_tensor(lib):
    if lib is D:
        return lambda d: ember.tensor(d, dtype=ember.float64)
    return lambda d: torch.tensor(d, dtype=torch.float64)


def _close(a, b, tol=1e-9):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def _first_line(fn):
    with pytest.raises(ValueError) as err:
        fn()
    return str(err.value).splitlines()[0]


BAD_PARAMS = {
    "poisson": lambda L, T: L.Poisson(T([1.0, -1.0])),
    "binomial_count": lambda L, T: L.Binomial(T([2.5, 3.0]), probs=T([0.2, 0.3])),
    "binomial_probs": lambda L, T: L.Binomial(T(3.0), probs=T([0.2, 1.3])),
    "binomial_both": lambda L, T: L.Binomial(T(3.0), probs=T([0.2]), logits=T([0.1])),
    "geometric_zero": lambda L, T: L.Geometric(probs=T([0.0, 0.5])),
    "geometric_big": lambda L, T: L.Geometric(probs=T([1.5, 0.5])),
    "negbin_count": lambda L, T: L.NegativeBinomial(T([-1.0, 2.0]), probs=T(0.5)),
    "negbin_probs": lambda L, T: L.NegativeBinomial(T(2.0), probs=T([1.0, 0.5])),
    "multinomial": lambda L, T: L.Multinomial(3, probs=T([0.5, -0.1, 0.6])),
    "cauchy": lambda L, T: L.Cauchy(T([0.0, 1.0]), T([1.0, 0.0])),
    "halfnormal": lambda L, T: L.HalfNormal(T([1.0, -1.0])),
    "halfcauchy": lambda L, T: L.HalfCauchy(T([0.0, 1.0])),
    "studentt_df": lambda L, T: L.StudentT(T([-1.0, 2.0])),
    "studentt_scale": lambda L, T: L.StudentT(T([1.0, 2.0]), 0.0, T([1.0, -2.0])),
    "chi2": lambda L, T: L.Chi2(T([1.0, -2.0])),
    "gumbel": lambda L, T: L.Gumbel(T([0.0, 1.0]), T([-1.0, 1.0])),
    "weibull_scale": lambda L, T: L.Weibull(T([-1.0, 1.0]), T([1.0, 1.0])),
    "weibull_conc": lambda L, T: L.Weibull(T([1.0, 1.0]), T([1.0, 0.0])),
    "pareto_alpha": lambda L, T: L.Pareto(T([1.0, 1.0]), T([1.0, -1.0])),
    "pareto_scale": lambda L, T: L.Pareto(T([1.0, -1.0]), T([1.0, 1.0])),
    "relaxed_bernoulli": lambda L, T: L.RelaxedBernoulli(T(0.5), probs=T([0.2, 1.2])),
    "relaxed_onehot": lambda L, T: L.RelaxedOneHotCategorical(T(0.5), probs=T([0.2, -0.2, 1.0])),
}


@pytest.mark.parametrize("case", sorted(BAD_PARAMS))
def test_parameter_validation_errors_match_torch(case):
    make = BAD_PARAMS[case]
    assert _first_line(lambda: make(D, _lib_tensor(D))) == \
        _first_line(lambda: make(TD, _lib_tensor(TD)))


OUT_OF_SUPPORT = {
    "poisson": (lambda L, T: L.Poisson(T([1.0, 2.0])), [1.5, 2.0]),
    "binomial": (lambda L, T: L.Binomial(T(6.0), probs=T([0.2, 0.3])), [7.0, 2.0]),
    "geometric": (lambda L, T: L.Geometric(probs=T([0.2, 0.3])), [-1.0, 2.0]),
    "negbin": (lambda L, T: L.NegativeBinomial(T(2.0), probs=T([0.2, 0.3])), [0.5, 2.0]),
    "multinomial": (lambda L, T: L.Multinomial(3, probs=T([0.2, 0.8])), [2.0, -1.0]),
    "halfnormal": (lambda L, T: L.HalfNormal(T([1.0, 2.0])), [-0.5, 2.0]),
    "halfcauchy": (lambda L, T: L.HalfCauchy(T([1.0, 2.0])), [-0.5, 2.0]),
    "chi2": (lambda L, T: L.Chi2(T([1.0, 2.0])), [-0.5, 2.0]),
    "weibull": (lambda L, T: L.Weibull(T([1.0, 2.0]), T(1.5)), [0.0, 2.0]),
    "pareto": (lambda L, T: L.Pareto(T([1.0, 2.0]), T(1.5)), [1.5, 1.9]),
    "relaxed_bernoulli": (lambda L, T: L.RelaxedBernoulli(T(0.5), probs=T([0.2, 0.3])),
                          [0.5, 1.5]),
    "relaxed_onehot": (lambda L, T: L.RelaxedOneHotCategorical(T(0.5), probs=T([0.2, 0.8])),
                       [0.5, 0.6]),
}


@pytest.mark.parametrize("case", sorted(OUT_OF_SUPPORT))
def test_out_of_support_values_match_torch(case):
    make, value = OUT_OF_SUPPORT[case]
    ed, td = make(D, _lib_tensor(D)), make(TD, _lib_tensor(TD))
    assert _first_line(lambda: ed.log_prob(ember.tensor(value, dtype=ember.float64))) == \
        _first_line(lambda: td.log_prob(torch.tensor(value, dtype=torch.float64)))


EXPAND = {
    "Poisson": lambda L, T: L.Poisson(T([0.5, 3.0])),
    "Binomial": lambda L, T: L.Binomial(T(5.0), logits=T([0.5, -1.0])),
    "Geometric": lambda L, T: L.Geometric(probs=T([0.5, 0.2])),
    "NegativeBinomial": lambda L, T: L.NegativeBinomial(T([2.0, 3.0]), probs=T([0.5, 0.2])),
    "Multinomial": lambda L, T: L.Multinomial(4, probs=T([[0.5, 0.2, 0.3]])),
    "Cauchy": lambda L, T: L.Cauchy(T([0.5, 3.0]), T(2.0)),
    "HalfNormal": lambda L, T: L.HalfNormal(T([0.5, 3.0])),
    "HalfCauchy": lambda L, T: L.HalfCauchy(T([0.5, 3.0])),
    "StudentT": lambda L, T: L.StudentT(T([2.5, 7.0]), T(1.0), T(2.0)),
    "Chi2": lambda L, T: L.Chi2(T([2.5, 7.0])),
    "Gumbel": lambda L, T: L.Gumbel(T([0.5, 3.0]), T(2.0)),
    "Weibull": lambda L, T: L.Weibull(T([0.5, 3.0]), T(2.0)),
    "Pareto": lambda L, T: L.Pareto(T([0.5, 3.0]), T(2.0)),
    "RelaxedBernoulli": lambda L, T: L.RelaxedBernoulli(T(0.5), logits=T([0.5, 3.0])),
    "RelaxedOneHotCategorical": lambda L, T: L.RelaxedOneHotCategorical(
        T(0.5), probs=T([[0.5, 0.2, 0.3]])),
}


@pytest.mark.parametrize("name", sorted(EXPAND))
def test_expand_matches_torch(name):
    ed, td = EXPAND[name](D, _lib_tensor(D)), EXPAND[name](TD, _lib_tensor(TD))
    shape = (3,) + tuple(td.batch_shape)
    ee, te = ed.expand(shape), td.expand(shape)
    assert type(ee) is type(ed)
    assert tuple(ee.batch_shape) == tuple(te.batch_shape) == shape
    assert tuple(ee.event_shape) == tuple(te.event_shape)
    torch.manual_seed(0)
    v = te.sample()
    _close(ee.log_prob(ember.tensor(v.numpy())), te.log_prob(v))
    assert tuple(ee.sample((2,)).shape) == (2,) + shape + tuple(te.event_shape)


def _mixture(L, T, locs, scales, logits, event=False):
    comp = L.Normal(locs, scales)
    if event:
        comp = L.Independent(comp, 1)
    return L.MixtureSameFamily(L.Categorical(logits=logits), comp)


@pytest.mark.parametrize("event", [False, True])
def test_mixture_same_family_matches_torch(event):
    shape = (2, 3, 2) if event else (2, 3)
    locs = np.linspace(-1, 2, int(np.prod(shape))).reshape(shape)
    scales = np.linspace(0.5, 2, int(np.prod(shape))).reshape(shape)
    logits = np.array([[0.0, 1.0, -1.0], [2.0, 0.0, 0.5]])
    params = [(ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True))
              for a in (locs, scales, logits)]
    em = _mixture(D, None, *[p[0] for p in params], event=event)
    tm = _mixture(TD, None, *[p[1] for p in params], event=event)
    assert tuple(em.batch_shape) == tuple(tm.batch_shape)
    assert tuple(em.event_shape) == tuple(tm.event_shape)
    assert repr(em) == repr(tm) and repr(em.support) == repr(tm.support)
    x = np.array([[0.3, -1.0], [2.0, 0.1]])  # batch (2,) x event (2,), or (S=2) x batch (2,)
    ex, tx = ember.tensor(x), torch.tensor(x)
    e_out = [em.log_prob(ex), em.mean, em.variance]
    t_out = [tm.log_prob(tx), tm.mean, tm.variance]
    if not event:
        e_out.append(em.cdf(ex))
        t_out.append(tm.cdf(tx))
    for a, b in zip(e_out, t_out):
        _close(a, b)
    sum((a * (1 + k)).sum() for k, a in enumerate(e_out)).backward()
    sum((b * (1 + k)).sum() for k, b in enumerate(t_out)).backward()
    for e, t in params:
        _close(e.grad, t.grad)
    ee, te = em.expand((4, 2)), tm.expand((4, 2))
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    _close(ee.log_prob(ex[0]), te.log_prob(tx[0]))


def test_mixture_sampling_and_errors():
    ember.manual_seed(0)
    m = D.MixtureSameFamily(D.Categorical(probs=ember.tensor([0.3, 0.7])),
                            D.Normal(ember.tensor([-5.0, 5.0]), ember.tensor([1.0, 1.0])))
    s = m.sample((20000,))
    assert tuple(s.shape) == (20000,) and not m.has_rsample
    assert abs((s.numpy() < 0).mean() - 0.3) < 5 * np.sqrt(0.21 / 20000)
    assert abs(s.numpy().mean() - float(m.mean)) < 5 * np.sqrt(float(m.variance) / 20000)
    mv = D.MixtureSameFamily(D.Categorical(logits=ember.zeros(3)),
                             D.Independent(D.Normal(ember.zeros(3, 2), ember.ones(3, 2)), 1))
    assert tuple(mv.sample((5,)).shape) == (5, 2)
    for lib in (D, TD):
        z = ember.zeros if lib is D else torch.zeros
        o = ember.ones if lib is D else torch.ones
        cases = [lambda: lib.MixtureSameFamily(lib.Normal(z(2), o(2)), lib.Normal(z(2), o(2))),
                 lambda: lib.MixtureSameFamily(lib.Categorical(logits=z(3)),
                                               lib.Normal(z(2), o(2))),
                 lambda: lib.MixtureSameFamily(lib.Categorical(logits=z(4, 2)),
                                               lib.Normal(z(3, 2), o(3, 2)))]
        lines = [_first_line(c) for c in cases]
        if lib is D:
            first = lines
    assert first == lines


def _transforms(L, T):
    return {
        "power": (L.PowerTransform(T([0.5, 2.0, -1.5])), [[0.3, 1.2, 2.5]]),
        "softplus": (L.SoftplusTransform(), [[-3.0, 0.0, 25.0]]),
        "abs": (L.AbsTransform(), [[-3.0, 0.5, 2.0]]),
        "softmax": (L.SoftmaxTransform(), [[-3.0, 0.5, 2.0], [1.0, 1.0, 0.0]]),
        "stick": (L.StickBreakingTransform(), [[-3.0, 0.5, 2.0], [1.0, 1.0, 0.0]]),
        "reshape": (L.ReshapeTransform((2, 3), (3, 2)), [[[-3.0, 0.5, 2.0], [1.0, 1.0, 0.0]]]),
        "independent": (L.IndependentTransform(L.ExpTransform(), 1), [[-3.0, 0.5], [1.0, 2.0]]),
        "independent_affine": (L.IndependentTransform(L.AffineTransform(T(1.0), T([2.0, -0.5])),
                                                      1), [[-3.0, 0.5], [1.0, 2.0]]),
    }


@pytest.mark.parametrize("name", sorted(_transforms(D, _lib_tensor(D))))
def test_transforms_match_torch(name):
    et, x = _transforms(D, _lib_tensor(D))[name]
    tt, _ = _transforms(TD, _lib_tensor(TD))[name]
    ex = ember.tensor(x, dtype=ember.float64, requires_grad=True)
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ey, ty = et(ex), tt(tx)
    _close(ey, ty)
    ex2, tx2 = et.inv(ey), tt.inv(ty)
    _close(ex2, tx2)
    cached = et.with_cache(1)
    assert cached.inv(cached(ex)) is ex
    outs = [(ey, ty), (et.inv(ember.tensor(ty.detach().numpy())),
                       tt.inv(torch.tensor(ty.detach().numpy())))]
    if name not in ("abs", "softmax"):  # torch has no log|det J| for these
        outs.append((et.log_abs_det_jacobian(ex, ey), tt.log_abs_det_jacobian(tx, ty)))
    for a, b in outs:
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b)
    sum((a * (1 + k)).sum() for k, (a, _) in enumerate(outs)).backward()
    sum((b * (1 + k)).sum() for k, (_, b) in enumerate(outs)).backward()
    _close(ex.grad, tx.grad)
    assert repr(et.domain) == repr(tt.domain) and repr(et.codomain) == repr(tt.codomain)
    assert et.bijective == tt.bijective and repr(et) == repr(tt)
    shape = tuple(tx.shape)
    assert tuple(et.forward_shape(shape)) == tuple(tt.forward_shape(torch.Size(shape)))
    yshape = torch.Size(ty.shape)
    assert tuple(et.inverse_shape(tuple(yshape))) == tuple(tt.inverse_shape(yshape))
    assert (et == _transforms(D, _lib_tensor(D))[name][0]) == \
        (tt == _transforms(TD, _lib_tensor(TD))[name][0])


def test_stick_breaking_log_det_matches_finite_differences():
    x = np.array([-0.7, 0.4, 1.3])
    t = D.StickBreakingTransform()

    def head(v):  # the first K coordinates of y determine the rest
        return t(ember.tensor(v)).numpy()[:-1]

    jac = np.stack([(head(x + h) - head(x - h)) / 2e-6 for h in np.eye(3) * 1e-6], -1)
    y = t(ember.tensor(x))
    _close(t.log_abs_det_jacobian(ember.tensor(x), y), np.log(abs(np.linalg.det(jac))), 1e-7)


def test_transformed_distributions_with_new_transforms_match_torch():
    for make in [lambda L, T: L.TransformedDistribution(
                     L.Normal(T([0.0, 1.0, -1.0]), T(1.0)), [L.StickBreakingTransform()]),
                 lambda L, T: L.TransformedDistribution(
                     L.Normal(T([0.0, 1.0, -1.0, 2.0]), T(1.0)),
                     [L.ReshapeTransform((4,), (2, 2)),
                      L.IndependentTransform(L.SoftplusTransform(), 2)])]:
        ed, td = make(D, _lib_tensor(D)), make(TD, _lib_tensor(TD))
        assert tuple(ed.event_shape) == tuple(td.event_shape)
        torch.manual_seed(1)
        v = td.sample((3,))
        _close(ed.log_prob(ember.tensor(v.numpy())), td.log_prob(v))
        assert tuple(ed.rsample((3,)).shape) == tuple(v.shape)


def test_transform_errors_match_torch():
    for lib in (D, TD):
        with pytest.raises(ValueError) as err:
            lib.ReshapeTransform((2, 3), (5,))
        assert str(err.value) == "in_shape, out_shape have different numbers of elements"
        with pytest.raises(ValueError) as err:
            lib.StickBreakingTransform().forward_shape(())
        assert str(err.value) == "Too few dimensions on input"
    msgs = []
    for lib, size in ((D, tuple), (TD, torch.Size)):
        with pytest.raises(ValueError) as err:
            lib.ReshapeTransform((2, 3), (6,)).forward_shape(size((4, 3, 2)))
        msgs.append(str(err.value))
    assert msgs[0] == msgs[1]


def test_top_level_names_match_torch():
    ours = {n for n in dir(D) if not n.startswith("_")}
    transforms = [n for n in TD.__all__ if n.endswith("Transform") or n == "identity_transform"]
    missing = set()  # every transform PyTorch lists is now ember's too
    for name in transforms:
        assert (name in ours) == (name not in missing), name
        if name in ours:
            assert getattr(D, name) is getattr(D.transforms, name)
    for name in ["Poisson", "Binomial", "Multinomial", "Geometric", "NegativeBinomial", "Cauchy",
                 "HalfNormal", "HalfCauchy", "StudentT", "Chi2", "Gumbel", "Weibull", "Pareto",
                 "RelaxedBernoulli", "RelaxedOneHotCategorical", "MixtureSameFamily"]:
        assert name in TD.__all__ and name in D.__all__ and hasattr(D, name)
    for name in ["nonnegative_integer", "positive_integer"]:
        assert repr(getattr(D.constraints, name)) == repr(getattr(TD.constraints, name))
