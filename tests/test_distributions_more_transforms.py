"""Matrix constraints; CorrCholesky, LowerCholesky, PositiveDefinite and CumulativeDistribution
transforms (values, gradients, log|det J|); biject_to/transform_to over every registered
constraint; all against PyTorch 2.13."""

import numpy as np
import pytest
import torch

import ember

D, TD = ember.distributions, torch.distributions
R = np.random.default_rng(0)


def _first_line(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), (str(info.value).splitlines() or [""])[0]


def _same_error(build):
    assert _first_line(lambda: build(D, ember.tensor)) == \
        _first_line(lambda: build(TD, torch.tensor))


# ----------------------------------------------------------------------------- constraints

MATRICES = [np.eye(3), np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([[1.0, 2.0], [2.0, 1.0]]),
            np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[1.0, 0.0], [0.5, 2.0]]),
            np.array([[1.0, 0.0], [0.6, 0.8]]), np.array([[1.0, 1e-8], [1e-8, 1.0]]),
            np.array([[1.0, 0.0], [-0.6, -0.8]]), np.ones((2, 3)),
            np.stack([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]])]
MATRIX_CONSTRAINTS = ["square", "symmetric", "positive_semidefinite", "positive_definite",
                      "lower_triangular", "lower_cholesky", "corr_cholesky"]


@pytest.mark.parametrize("name", MATRIX_CONSTRAINTS)
def test_matrix_constraints_as_torch(name):
    ce, ct = getattr(D.constraints, name), getattr(TD.constraints, name)
    assert repr(ce) == repr(ct) and ce.event_dim == ct.event_dim == 2
    assert ce.is_discrete is False
    for m in MATRICES:
        if m.shape[-1] != m.shape[-2] and name not in ("square", "lower_triangular"):
            continue
        for dtype in (np.float32, np.float64):
            a = m.astype(dtype)
            re, rt = ce.check(ember.tensor(a)), ct.check(torch.tensor(a))
            assert re.dtype == ember.bool and tuple(re.shape) == tuple(rt.shape)
            assert re.tolist() == rt.tolist(), (name, m)


def test_dependent_property_and_aliases():
    C = D.constraints
    assert C.is_dependent(D.GeneralizedPareto.support)
    assert D.GeneralizedPareto.support.event_dim == 0
    assert D.GeneralizedPareto.support.is_discrete is False
    with pytest.raises(NotImplementedError):
        C.dependent_property(lambda self: None).event_dim
    assert C.MixtureSameFamilyConstraint is C.mixture_same_family
    assert C.independent(C.positive, 1).base_constraint is C.positive
    for name in TD.constraints.__all__:
        assert hasattr(C, name), name


# ------------------------------------------------------------------------------ transforms

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


@pytest.mark.parametrize("n", [1, 3, 6])
def test_corr_cholesky_transform(n):
    te, tt = D.CorrCholeskyTransform(), TD.CorrCholeskyTransform()
    x = R.normal(size=(2, n))
    _grads(te, tt, x)
    _grads(lambda v: te.inv(te(v)), lambda v: tt.inv(tt(v)), x)
    _grads(lambda v: te.log_abs_det_jacobian(v, te(v)),
           lambda v: tt.log_abs_det_jacobian(v, tt(v)), x)
    y = te(ember.tensor(x))
    assert bool(D.constraints.corr_cholesky.check(y).all())
    np.testing.assert_allclose(te.inv(y).numpy(), x, rtol=1e-9, atol=1e-12)
    assert te.forward_shape((2, n)) == tt.forward_shape((2, n))
    assert te.inverse_shape(tuple(y.shape)) == (2, n)
    assert (te.domain, te.codomain, te.bijective) == (D.constraints.real_vector,
                                                      D.constraints.corr_cholesky, True)


def test_corr_cholesky_log_det_is_the_jacobian():
    """log|det J| of x -> the strictly lower entries of y, by central differences."""
    te = D.CorrCholeskyTransform()
    x = R.normal(size=6)
    rows, cols = np.tril_indices(4, -1)

    def f(v):
        return te(ember.tensor(v)).numpy()[rows, cols]

    h = 1e-6
    jac = np.stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(6)], -1)
    ladj = float(te.log_abs_det_jacobian(ember.tensor(x), te(ember.tensor(x))))
    np.testing.assert_allclose(ladj, np.linalg.slogdet(jac)[1], rtol=1e-7)


def test_corr_cholesky_shape_errors():
    for f in (lambda T: T.forward_shape((4,)), lambda T: T.forward_shape(()),
              lambda T: T.inverse_shape((2, 3)), lambda T: T.inverse_shape((3,))):
        assert _first_line(lambda: f(D.CorrCholeskyTransform())) == \
            _first_line(lambda: f(TD.CorrCholeskyTransform()))


@pytest.mark.parametrize("name", ["LowerCholeskyTransform", "PositiveDefiniteTransform"])
def test_matrix_transforms(name):
    te, tt = getattr(D, name)(), getattr(TD, name)()
    x = R.normal(size=(2, 3, 3))
    _grads(te, tt, x)
    y = te(ember.tensor(x))
    assert bool(te.codomain.check(y).all())
    _grads(te.inv, tt.inv, y.numpy())
    assert te == getattr(D, name)() and te != D.CorrCholeskyTransform()
    assert repr(te.domain) == repr(tt.domain) and repr(te.codomain) == repr(tt.codomain)
    assert te.with_cache(1)._cache_size == 1 and not te.bijective
    with pytest.raises(NotImplementedError):
        te.log_abs_det_jacobian(ember.tensor(x), y)


def test_cumulative_distribution_transform():
    de, dt = D.Normal(ember.tensor(0.5), ember.tensor(2.0)), TD.Normal(0.5, 2.0)
    te = D.CumulativeDistributionTransform(de)
    tt = TD.CumulativeDistributionTransform(dt)
    x = R.normal(size=4)
    _grads(te, tt, x)
    _grads(te.inv, tt.inv, R.uniform(0.05, 0.95, size=4))
    _grads(lambda v: te.log_abs_det_jacobian(v, te(v)),
           lambda v: tt.log_abs_det_jacobian(v, tt(v)), x)
    assert te.domain is de.support and te.codomain is D.constraints.unit_interval
    assert te.sign == 1 and te.bijective and te.with_cache(1).distribution is de
    # a uniform pushed back through the inverse CDF is the distribution itself
    e = D.TransformedDistribution(D.Uniform(ember.tensor(0.0), ember.tensor(1.0)), [te.inv])
    np.testing.assert_allclose(e.log_prob(ember.tensor(x)).numpy(),
                               dt.log_prob(torch.tensor(x)).numpy(), rtol=1e-6)


# ------------------------------------------------------------------------- the registries

def _constraints(C):
    return [C.real, C.positive, C.nonnegative, C.greater_than(2.0), C.greater_than_eq(-1.0),
            C.less_than(3.0), C.interval(-1.0, 2.0), C.half_open_interval(0.0, 1.0),
            C.unit_interval, C.simplex, C.real_vector, C.independent(C.positive, 1),
            C.lower_cholesky, C.positive_definite, C.positive_semidefinite, C.corr_cholesky,
            C.cat([C.positive, C.real], 0, [2, 1]), C.stack([C.positive, C.unit_interval], -1)]


def _input(c):
    name = type(c).__name__
    if name in ("_LowerCholesky", "_PositiveDefinite", "_PositiveSemidefinite"):
        return R.normal(size=(3, 3))
    if name == "_Cat":
        return R.normal(size=(3, 2))
    if name == "_Stack":
        return R.normal(size=(4, 2))
    return R.normal(size=(4, 3))


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_registries_as_torch(registry):
    re, rt = getattr(D, registry), getattr(TD, registry)
    for ce, ct in zip(_constraints(D.constraints), _constraints(TD.constraints)):
        try:
            tt = rt(ct)
        except NotImplementedError:
            assert _first_line(lambda: re(ce)) == _first_line(lambda: rt(ct))
            continue
        te = re(ce)
        assert type(te).__name__ == type(tt).__name__
        x = _input(ce)
        _grads(te, tt, x)
        assert bool(np.all(ce.check(te(ember.tensor(x)).numpy()))), ce
        if registry == "biject_to" and te.bijective:
            y = te(ember.tensor(x))
            np.testing.assert_allclose(te.inv(y).numpy(), x, rtol=1e-6, atol=1e-8)


def test_registry_register_and_errors():
    _same_error(lambda L, T: L.biject_to.register(3, lambda c: None))
    _same_error(lambda L, T: L.transform_to(L.constraints.integer_interval(0, 3)))

    class Odd(D.constraints.Constraint):
        pass

    reg = D.constraint_registry.ConstraintRegistry()
    assert reg.register(Odd)(lambda c: D.transforms.ExpTransform()) is not None
    assert isinstance(reg(Odd()), D.transforms.ExpTransform)
    reg.register(Odd(), lambda c: D.transforms.identity_transform)
    assert reg(Odd()) is D.transforms.identity_transform
