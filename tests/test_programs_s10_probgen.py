"""Session 10, probabilistic-modelling programs (normalizing flows, mixtures and EM, Bayesian
regression / VI, Gaussian processes, MCMC, VAEs, constraints) and the mistakes learners make
typing them, run on ember and compared live with torch 2.13."""

import numpy as np
import torch
from torch_compare import run_both, same_error_case, same as _same

import ember


def _probe(L, d):
    """What a program prints about a distribution: shapes, repr, a seeded draw, log_prob."""
    L.manual_seed(0)
    s = d.sample((3,))
    return (tuple(d.batch_shape), tuple(d.event_shape), repr(d), s.numpy().tolist(),
            np.round(d.log_prob(s).numpy(), 5).tolist(), tuple(d.param_shape))


# ---- GP / triangular solves: solve_triangular's keyword-only `upper` --------------------

def test_solve_triangular_without_upper_or_with_a_non_bool_is_refused_like_pytorch():
    A = lambda L: L.eye(3) * 2  # noqa: E731
    _same(lambda L: L.linalg.solve_triangular(A(L), L.ones(3, 1)))
    _same(lambda L: L.linalg.solve_triangular(A(L), L.ones(3, 1), True))
    _same(lambda L: L.linalg.solve_triangular(A(L), L.ones(3, 1), upper=None))
    _same(lambda L: L.linalg.solve_triangular(A(L), L.ones(3, 1), upper=1))
    _same(lambda L: L.linalg.solve_triangular(A(L), L.ones(3, 1), upper=True, left=None))
    _same(lambda L: L.linalg.solve_triangular(A(L), L.ones(3, 1), upper=False,
                                              unitriangular=0).tolist())
    _same(lambda L: L.linalg.solve_triangular(A(L), L.ones(3, 1), upper=False).tolist())


# ---- expand on Bernoulli and Categorical (batched VAEs, mixtures) ------------------------

def test_bernoulli_expand_keeps_probs_and_logits_as_pytorch():
    for kw in ({"logits": [0.3, -2.0]}, {"probs": [0.3, 0.9]}):
        def run(L, kw=kw):
            d = L.distributions.Bernoulli(**{k: L.tensor(v) for k, v in kw.items()},
                                          validate_args=False)
            before = _probe(L, d)
            e = d.expand(L.Size([4, 2]))
            return before, _probe(L, e), e._validate_args, type(e).__name__
        _same(run)
    _same(lambda L: L.distributions.Bernoulli(L.tensor([0.3, 0.2])).expand((3,)))


def test_categorical_expand_and_mixture_expand_repr_as_pytorch():
    def run(L):
        c = L.distributions.Categorical(logits=L.tensor([[0.3, -2.0, 1.0]] * 2))
        e = c.expand((4, 2))
        m = L.distributions.MixtureSameFamily(
            L.distributions.Categorical(L.ones(2, 3)),
            L.distributions.Normal(L.zeros(2, 3), 1.0)).expand((4, 2))
        return _probe(L, c), _probe(L, e), repr(m), round(float(e.entropy().sum()), 5)
    _same(run)
    _same(lambda L: L.distributions.Categorical(L.ones(2, 3)).expand((3,)))


def test_bernoulli_enumerate_support():
    def run(L):
        b = L.distributions.Bernoulli(L.tensor([[0.2, 0.3]], dtype=L.float64))
        v = b.enumerate_support(expand=False)
        return (v.dtype, tuple(v.shape), b.enumerate_support().numpy().tolist(),
                L.distributions.Bernoulli(L.tensor(0.2)).enumerate_support().tolist())
    want, got = run_both(run)
    assert str(got[0]) == str(want[0]) and got[1:] == want[1:]


# ---- Dirichlet / Beta reparameterised samples (Beta-VAE, topic models) -------------------

def _dirichlet_run(L):
    L.manual_seed(0)
    c = L.tensor([[0.3, 0.8, 2.0, 3.0]] * 6, requires_grad=True)
    x = L.distributions.Dirichlet(c).rsample((2,))
    (x * L.linspace(-1, 1, 4)).sum().backward()
    L.manual_seed(1)
    a = L.tensor([0.5, 1.0, 2.5], requires_grad=True)
    b = L.tensor([1.5, 0.7, 2.0], requires_grad=True)
    y = L.distributions.Beta(a, b).rsample((4,))
    y.pow(2).sum().backward()
    return (x.detach().numpy(), c.grad.numpy(), type(x.grad_fn).__name__, y.detach().numpy(),
            a.grad.numpy(), b.grad.numpy())


def test_dirichlet_and_beta_rsample_draw_and_differentiate_as_pytorch():
    want, got = _dirichlet_run(torch), _dirichlet_run(ember)
    np.testing.assert_array_equal(got[0], want[0])  # PyTorch's float64 gammas, bit for bit
    np.testing.assert_array_equal(got[3], want[3])
    assert got[2] == want[2] == "_DirichletBackward"
    # PyTorch's estimator (the marginal Beta's implicit gradient); PyTorch approximates it,
    # ember integrates it exactly: they agree to PyTorch's approximation error
    for g, w in zip(got[1:] + (got[4], got[5]), want[1:] + (want[4], want[5])):
        if isinstance(w, np.ndarray) and w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-6)


# ---- validate_args: the class default, read when used -----------------------------------

def test_default_validate_args_is_a_class_attribute_read_at_use():
    def run(L):
        D = L.distributions
        saved = D.Distribution._validate_args  # another test may have switched it off
        try:
            D.Distribution.set_default_validate_args(True)
            d = D.Normal(0.0, 1.0)
            D.Distribution.set_default_validate_args(False)
            off = float(d.log_prob(L.tensor(float("nan"))))  # built before, validates no more
            bad = float(D.Normal(0.0, -1.0).scale)
            D.Distribution.set_default_validate_args(1)
            return off, bad, D.Distribution._validate_args, "_validate_args" in d.__dict__
        finally:
            D.Distribution.set_default_validate_args(saved)
    want, got = run_both(run)
    assert np.isnan(got[0]) and np.isnan(want[0])
    assert got[1:] == want[1:]
    same_error_case(lambda L: L.distributions.Distribution.set_default_validate_args("yes"))


def test_dependent_constraint_has_no_static_is_discrete_or_event_dim():
    _same(lambda L: L.distributions.constraints.dependent.is_discrete)
    _same(lambda L: L.distributions.constraints.dependent.event_dim)
    _same(lambda L: (L.distributions.constraints.dependent(is_discrete=True, event_dim=1)
                     .event_dim, repr(L.distributions.constraints.dependent(is_discrete=True))))
    _same(lambda L: L.distributions.constraints.dependent(event_dim=1).is_discrete)


# ---- shapes and learner mistakes ---------------------------------------------------------

def test_transform_shapes_keep_pytorchs_types():
    def run(L):
        T = L.distributions.transforms
        out = [T.StickBreakingTransform().forward_shape((2, 3)),
               T.StickBreakingTransform().inverse_shape((2, 3)),
               T.AffineTransform(0.0, L.ones(2)).forward_shape((3, 1)),
               T.ComposeTransform([T.StickBreakingTransform()]).forward_shape((3, 1))]
        return [(type(s).__name__, tuple(s)) for s in out]
    _same(run)


def test_mvn_batch_mismatch_and_bad_sample_shapes_error_as_pytorch():
    _same(lambda L: L.distributions.MultivariateNormal(L.zeros(2, 3),
                                                       L.eye(3).expand(4, 3, 3)))
    for shape in [(2.5,), [2, "a"], (None,), 3]:
        _same(lambda L, s=shape: L.distributions.Normal(0.0, 1.0).sample(s))
    _same(lambda L: tuple(L.distributions.Normal(0.0, 1.0).sample((np.int64(2),)).shape))


def test_exponential_families_and_their_cross_kl_refusal():
    def run(L):
        D = L.distributions
        made = [D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0), D.Beta(1.0, 1.0),
                D.Dirichlet(L.ones(2)), D.Exponential(1.0), D.Poisson(1.0),
                D.Bernoulli(L.tensor(0.5)), D.Chi2(2.0), D.Categorical(L.ones(2))]
        return [isinstance(d, D.ExponentialFamily) for d in made]
    _same(run)
    _same(lambda L: L.distributions.kl_divergence(L.distributions.Beta(1.0, 1.0),
                                                  L.distributions.Dirichlet(L.ones(2))))
    _same(lambda L: L.distributions.kl_divergence(L.distributions.Poisson(1.0),
                                                  L.distributions.Normal(0.0, 1.0)))
