"""The new families' argument and support errors (first lines as PyTorch 2.13's), expand and
KL pairs; distributions.utils; torch's submodule names; lazy loading."""

import importlib
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember

D, TD = ember.distributions, torch.distributions
R = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _validation_on():
    """Both libraries validate by default; another test may have switched either off."""
    saved = TD.Distribution._validate_args, D.Distribution._validate_args
    TD.Distribution.set_default_validate_args(True)
    D.Distribution.set_default_validate_args(True)
    yield
    TD.Distribution.set_default_validate_args(saved[0])
    D.Distribution.set_default_validate_args(saved[1])


def _first_line(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), (str(info.value).splitlines() or [""])[0]


def _same_error(build):
    """build(L, T) raises the same type and first line for L, T = torch's and ember's."""
    assert _first_line(lambda: build(D, ember.tensor)) == \
        _first_line(lambda: build(TD, torch.tensor))


EYE = [[1.0, 0.0], [0.0, 1.0]]
NOT_PD = [[1.0, 2.0], [2.0, 1.0]]

ARG_ERRORS = {
    "fisher": lambda L, T: L.FisherSnedecor(T([1.0, -1.0]), 2.0),
    "inverse_gamma": lambda L, T: L.InverseGamma(T(0.0), T(1.0)),
    "kumaraswamy": lambda L, T: L.Kumaraswamy(T([1.0]), T([-2.0])),
    "von_mises": lambda L, T: L.VonMises(T(0.0), T(-1.0)),
    "gpareto_scale": lambda L, T: L.GeneralizedPareto(T(0.0), T(-1.0), T(0.5)),
    "gpareto_nan": lambda L, T: L.GeneralizedPareto(T(0.0), T(1.0), T(float("nan"))),
    "logistic_normal": lambda L, T: L.LogisticNormal(T([0.0, 1.0]), T([1.0, 0.0])),
    "lkj_dim": lambda L, T: L.LKJCholesky(1, T(1.0)),
    "lkj_conc": lambda L, T: L.LKJCholesky(3, T(-1.0)),
    "wishart_two": lambda L, T: L.Wishart(T(3.0), covariance_matrix=T(EYE), scale_tril=T(EYE)),
    "wishart_none": lambda L, T: L.Wishart(T(3.0)),
    "wishart_1d": lambda L, T: L.Wishart(T(3.0), covariance_matrix=T([1.0, 2.0])),
    "wishart_df": lambda L, T: L.Wishart(T(0.5), covariance_matrix=T(EYE)),
    "wishart_df_number": lambda L, T: L.Wishart(1, covariance_matrix=T(EYE)),
    "wishart_cov": lambda L, T: L.Wishart(T(3.0), covariance_matrix=T(NOT_PD)),
    "wishart_tril": lambda L, T: L.Wishart(T(3.0), scale_tril=T([[1.0, 1.0], [0.0, 1.0]])),
    "wishart_prec": lambda L, T: L.Wishart(T([3.0, 4.0]), precision_matrix=T(NOT_PD)),
}


@pytest.mark.parametrize("case", sorted(ARG_ERRORS))
def test_argument_errors_as_torch(case):
    _same_error(ARG_ERRORS[case])


SUPPORT_ERRORS = {
    "fisher": lambda L, T: L.FisherSnedecor(T(1.0), T(2.0)).log_prob(T(-1.0)),
    "inverse_gamma": lambda L, T: L.InverseGamma(T(2.0), T(1.0)).log_prob(T([1.0, 0.0])),
    "kumaraswamy": lambda L, T: L.Kumaraswamy(T(2.0), T(1.0)).log_prob(T(1.5)),
    "gpareto": lambda L, T: L.GeneralizedPareto(T(0.0), T(1.0), T(-0.5)).log_prob(T(3.0)),
    "gpareto_below": lambda L, T: L.GeneralizedPareto(T(1.0), T(1.0), T(0.5)).log_prob(T(0.5)),
    "logistic_normal": lambda L, T: L.LogisticNormal(T([0.0]), T([1.0])).log_prob(
        T([0.5, 0.6])),
    "lkj": lambda L, T: L.LKJCholesky(2, T(1.0)).log_prob(T([[1.0, 0.0], [0.5, 0.5]])),
    "wishart": lambda L, T: L.Wishart(T(3.0), covariance_matrix=T(EYE)).log_prob(T(NOT_PD)),
    "von_mises_shape": lambda L, T: L.VonMises(T([0.0, 1.0]), T(1.0)).log_prob(T([0.0] * 3)),
    "not_tensor": lambda L, T: L.FisherSnedecor(T(1.0), T(2.0)).log_prob(1.0),
}


@pytest.mark.parametrize("case", sorted(SUPPORT_ERRORS))
def test_value_errors_as_torch(case):
    _same_error(SUPPORT_ERRORS[case])


def test_wishart_low_df_warns_as_torch():
    with pytest.warns(UserWarning, match="Low df values detected"):
        D.Wishart(ember.tensor(1.5), covariance_matrix=ember.tensor(EYE))


def test_unvalidated_and_reprs():
    d = D.Kumaraswamy(ember.tensor(-1.0), 2.0, validate_args=False)
    assert repr(d) == repr(TD.Kumaraswamy(torch.tensor(-1.0), 2.0, validate_args=False))
    # FisherSnedecor's inner Gammas validate by default, in PyTorch too
    _same_error(lambda L, T: L.FisherSnedecor(T(-1.0), 2.0, validate_args=False))
    w = D.Wishart(ember.tensor(3.0), covariance_matrix=ember.tensor(EYE))
    assert repr(w) == repr(TD.Wishart(torch.tensor(3.0), covariance_matrix=torch.tensor(EYE)))


def _families(L, T):
    return {
        "FisherSnedecor": L.FisherSnedecor(T([1.5, 5.0]), T(6.0)),
        "InverseGamma": L.InverseGamma(T([1.5, 5.0]), T(2.0)),
        "Kumaraswamy": L.Kumaraswamy(T([1.5, 5.0]), T(0.7)),
        "VonMises": L.VonMises(T([1.5, -1.0]), T(2.0)),
        "GeneralizedPareto": L.GeneralizedPareto(T([0.5, 1.0]), T(2.0), T([-0.2, 0.3])),
        "LogisticNormal": L.LogisticNormal(T([[0.5, 1.0]]), T(2.0)),
        "LKJCholesky": L.LKJCholesky(3, T([0.5, 2.0])),
        "Wishart": L.Wishart(T([3.5, 5.0]), covariance_matrix=T([[2.0, 0.3], [0.3, 1.0]])),
    }


VALUES = {"FisherSnedecor": 0.7, "InverseGamma": 0.7, "Kumaraswamy": 0.3, "VonMises": 0.4,
          "GeneralizedPareto": 1.2, "LogisticNormal": [0.2, 0.3, 0.5],
          "LKJCholesky": [[1.0, 0, 0], [0.6, 0.8, 0], [0.0, 0.6, 0.8]],
          "Wishart": [[1.5, 0.2], [0.2, 0.9]]}


@pytest.mark.filterwarnings("ignore:Singular sample detected")  # PyTorch's, on every draw
@pytest.mark.parametrize("name", sorted(VALUES))
def test_expand(name):
    e, t = _families(D, ember.tensor)[name], _families(TD, torch.tensor)[name]
    shape = (3,) + tuple(t.batch_shape)
    ee, te = e.expand(shape), t.expand(shape)
    assert type(ee) is type(e) and ee.batch_shape == te.batch_shape
    assert ee.event_shape == te.event_shape and ee._validate_args == te._validate_args
    np.testing.assert_allclose(ee.log_prob(ember.tensor(VALUES[name])).numpy(),
                               te.log_prob(torch.tensor(VALUES[name])).numpy(), rtol=1e-5)
    if name not in ("LKJCholesky", "LogisticNormal"):
        np.testing.assert_allclose(ee.mean.numpy(), te.mean.numpy(), rtol=1e-6)
    assert ee.sample((2,)).shape == te.sample((2,)).shape

    class Sub(type(e)):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)

    if name not in ("VonMises",):  # PyTorch's VonMises rebuilds itself instead
        sub = Sub.__new__(Sub)
        sub.__dict__.update(e.__dict__)
        with pytest.raises(NotImplementedError, match="must also define a custom .expand"):
            sub.expand(shape)


def test_kl_pairs_as_torch():
    pairs = [("InverseGamma", lambda L, T: (L.InverseGamma(T([1.5, 3.0]), T(2.0)),
                                           L.InverseGamma(T(2.5), T([1.0, 0.5])))),
             ("LogisticNormal", lambda L, T: (L.LogisticNormal(T([0.5, 1.0]), T(2.0)),
                                              L.LogisticNormal(T([0.0, 1.0]), T(1.0))))]
    for _, build in pairs:
        pe, qe = build(D, ember.tensor)
        pt, qt = build(TD, torch.tensor)
        np.testing.assert_allclose(D.kl_divergence(pe, qe).numpy(),
                                   TD.kl_divergence(pt, qt).numpy(), rtol=1e-6)
    _same_error(lambda L, T: L.kl_divergence(L.Kumaraswamy(T(1.0), T(2.0)),
                                             L.Kumaraswamy(T(2.0), T(2.0))))
    _same_error(lambda L, T: L.kl_divergence(L.VonMises(T(1.0), T(2.0)),
                                             L.VonMises(T(2.0), T(2.0))))


# ------------------------------------------------------------------------------ utils

def _grads(fe, ft, x):
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ye, yt = fe(xe), ft(xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    w = R.uniform(0.5, 1.5, size=tuple(yt.shape))
    (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)



def test_utils_as_torch():
    Ue, Ut = D.utils, TD.utils
    assert sorted(Ue.__all__) == sorted(Ut.__all__)
    p = np.array([[0.0, 0.3, 0.7], [1.0, 0.5, 1e-30]])
    for binary in (False, True):
        _grads(lambda v: Ue.probs_to_logits(v, binary), lambda v: Ut.probs_to_logits(v, binary),
               p)
        _grads(lambda v: Ue.logits_to_probs(v, binary), lambda v: Ut.logits_to_probs(v, binary),
               R.normal(size=(2, 3)))
    for dtype in (ember.float32, ember.float64):
        e = Ue.clamp_probs(ember.tensor(p, dtype=dtype))
        t = Ut.clamp_probs(torch.tensor(p, dtype=getattr(torch, str(dtype)[6:])))
        assert e.tolist() == t.tolist()
    for d in (-1, 0, 1):
        _grads(lambda v: Ue.tril_matrix_to_vec(v, d), lambda v: Ut.tril_matrix_to_vec(v, d),
               R.normal(size=(2, 3, 3)))
        n = Ut.tril_matrix_to_vec(torch.zeros(3, 3), d).shape[-1]
        _grads(lambda v: Ue.vec_to_tril_matrix(v, d), lambda v: Ut.vec_to_tril_matrix(v, d),
               R.normal(size=(2, n)))
    _same_error(lambda L, T: L.utils.vec_to_tril_matrix(T([1.0, 2.0])))
    _same_error(lambda L, T: L.utils.tril_matrix_to_vec(T(EYE), 2))
    _same_error(lambda L, T: L.utils.broadcast_all(T(1.0), "a"))
    e = Ue.broadcast_all(ember.tensor([1.0, 2.0], dtype=ember.float64), 3, 4.5)
    t = Ut.broadcast_all(torch.tensor([1.0, 2.0], dtype=torch.float64), 3, 4.5)
    assert [x.tolist() for x in e] == [x.tolist() for x in t]
    assert all(x.dtype == ember.float64 for x in e)
    assert Ue.euler_constant == Ut.euler_constant


def test_lazy_property():
    calls = []

    class Box:
        @D.utils.lazy_property
        def value(self):
            calls.append(1)
            with ember.no_grad():
                pass
            return ember.tensor(2.0, requires_grad=True) * 3

    box = Box()
    with ember.no_grad():
        v = box.value  # computed with gradients on, as PyTorch's
    assert v.requires_grad and box.value is v and len(calls) == 1
    assert isinstance(Box.value, D.utils.lazy_property)


# --------------------------------------------------------------- submodules, lazy loading

ALIASES = ["binomial", "cauchy", "chi2", "geometric", "gumbel", "half_cauchy", "half_normal",
           "multinomial", "negative_binomial", "pareto", "poisson", "relaxed_bernoulli",
           "relaxed_categorical", "studentT", "weibull", "fishersnedecor", "inverse_gamma",
           "kumaraswamy", "von_mises", "wishart", "lkj_cholesky", "logistic_normal",
           "generalized_pareto", "constraint_registry", "utils"]


@pytest.mark.parametrize("name", ALIASES)
def test_submodule_aliases(name):
    me = getattr(D, name)
    mt = importlib.import_module(f"torch.distributions.{name}")
    assert me is importlib.import_module(f"ember.distributions.{name}")
    assert sorted(me.__all__) == sorted(mt.__all__)
    for attr in me.__all__:
        if hasattr(D, attr):
            assert getattr(me, attr) is getattr(D, attr)


def test_every_torch_submodule_is_an_attribute():
    import pkgutil

    names = [m.name for m in pkgutil.iter_modules(TD.__path__)]
    assert len(names) > 40
    for name in names:
        assert getattr(D, name).__name__ == f"ember.distributions.{name}"


def test_torch_style_imports_through_the_runner():
    code = ("from torch.distributions.normal import Normal\n"
            "from torch.distributions.studentT import StudentT\n"
            "from torch.distributions.wishart import Wishart\n"
            "from torch.distributions.constraint_registry import biject_to\n"
            "from torch.distributions.utils import probs_to_logits, lazy_property\n"
            "import torch.distributions as td\n"
            "import ember\n"
            "assert Normal is ember.distributions.Normal and td.VonMises.__module__ == "
            "'ember.distributions.von_mises'\n")
    with ember.run.torch_alias():
        exec(compile(code, "<runner>", "exec"), {})


def test_lazy_loading():
    """import ember loads no distributions; import ember.distributions none of the new
    families, which load on first attribute access."""
    new = ["fishersnedecor", "inverse_gamma", "kumaraswamy", "von_mises", "wishart",
           "lkj_cholesky", "logistic_normal", "generalized_pareto", "constraint_registry",
           "studentT", "binomial"]
    code = ("import sys, ember\n"
            "assert not [m for m in sys.modules if m.startswith('ember.distributions')]\n"
            "import ember.distributions as D\n"
            f"new = {['ember.distributions.' + n for n in new]!r}\n"
            "loaded = [m for m in new if m in sys.modules]\n"
            "assert not loaded, loaded\n"
            "D.Wishart, D.biject_to\n"
            "assert 'ember.distributions.wishart' in sys.modules\n"
            "assert 'Wishart' in dir(D) and 'studentT' in dir(D)\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        D.nope
