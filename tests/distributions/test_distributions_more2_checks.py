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
