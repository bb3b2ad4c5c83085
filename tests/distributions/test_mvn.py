"""MultivariateNormal against PyTorch 2.13: shapes, log_prob/entropy/KL values and gradients,
properties, expand, rsample's reparameterisation, and the argument errors."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck

ED, TD = ember.distributions, torch.distributions
RNG = np.random.default_rng(1)


@pytest.fixture(autouse=True)
def _keep_ember_rng():
    """The seeded tests here leave ember's generator as they found it (later tests in the
    suite draw from it)."""
    state = ember.get_rng_state()
    yield
    ember.set_rng_state(state)


def spd(*shape):
    a = RNG.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def close(e, t, tol=1e-9):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def both(a):
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def first_line(fn):
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - compared by type and message
        return type(err).__name__, str(err).split("\n")[0]
    return None


@pytest.mark.parametrize("kind", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("loc_shape,mat_shape", [((3,), (3, 3)), ((2, 3), (3, 3)),
                                                 ((3,), (4, 3, 3)), ((4, 1, 3), (2, 3, 3))])
def test_values_and_grads(kind, loc_shape, mat_shape):
    loc = RNG.standard_normal(loc_shape)
    m = spd(*mat_shape)
    if kind == "scale_tril":
        m = np.linalg.cholesky(m)
    value = RNG.standard_normal((5,) + np.broadcast_shapes(loc_shape[:-1], mat_shape[:-2]) +
                                (3,))
    el, tl = both(loc)
    em, tm = both(m)
    e = ED.MultivariateNormal(el, **{kind: em})
    t = TD.MultivariateNormal(tl, **{kind: tm})
    assert e.batch_shape == t.batch_shape and e.event_shape == t.event_shape
    for name in ("mean", "mode", "variance", "covariance_matrix", "precision_matrix",
                 "scale_tril", "stddev"):
        ev, tv = getattr(e, name), getattr(t, name)
        assert tuple(ev.shape) == tuple(tv.shape), name
        close(ev, tv)
    lp_e, lp_t = e.log_prob(ember.tensor(value)), t.log_prob(torch.tensor(value))
    close(lp_e, lp_t)
    close(e.entropy(), t.entropy())
    (lp_e.sum() + e.entropy().sum()).backward()
    (lp_t.sum() + t.entropy().sum()).backward()
    close(el.grad, tl.grad, 1e-8)
    close(em.grad, tm.grad, 1e-8)


def test_rsample_shape_and_reparameterisation():
    loc, low = RNG.standard_normal((2, 3)), np.linalg.cholesky(spd(3, 3))
    el, eL = ember.tensor(loc, requires_grad=True), ember.tensor(low, requires_grad=True)
    d = ED.MultivariateNormal(el, scale_tril=eL)
    ember.manual_seed(0)
    x = d.rsample((4,))
    assert tuple(x.shape) == (4, 2, 3)
    ember.manual_seed(0)
    eps = ember.randn(4, 2, 3, dtype=ember.float64)
    np.testing.assert_allclose(x.detach().numpy(), loc + (low @ eps.numpy()[..., None])[..., 0])
    x.sum().backward()
    np.testing.assert_allclose(el.grad.numpy(), np.full((2, 3), 4.0))
    np.testing.assert_allclose(eL.grad.numpy(), np.ones((3, 1)) * eps.numpy().sum((0, 1)))
    assert not d.sample((2,)).requires_grad


def test_sample_covariance():
    cov = spd(3, 3)
    ember.manual_seed(3)
    x = ED.MultivariateNormal(ember.zeros(3, dtype=ember.float64), ember.tensor(cov)).sample(
        (40000,))
    np.testing.assert_allclose(np.cov(x.numpy().T), cov, rtol=0.05, atol=0.1)


@pytest.mark.parametrize("kinds", [("scale_tril", "covariance_matrix"),
                                   ("precision_matrix", "scale_tril")])
def test_kl(kinds):
    lp, lq = RNG.standard_normal((2, 3)), RNG.standard_normal(3)
    mp, mq = spd(2, 3, 3), spd(3, 3)
    if kinds[0] == "scale_tril":
        mp = np.linalg.cholesky(mp)
    if kinds[1] == "scale_tril":
        mq = np.linalg.cholesky(mq)
    ins = [both(a) for a in (lp, mp, lq, mq)]
    e = ED.kl_divergence(ED.MultivariateNormal(ins[0][0], **{kinds[0]: ins[1][0]}),
                         ED.MultivariateNormal(ins[2][0], **{kinds[1]: ins[3][0]}))
    t = TD.kl_divergence(TD.MultivariateNormal(ins[0][1], **{kinds[0]: ins[1][1]}),
                         TD.MultivariateNormal(ins[2][1], **{kinds[1]: ins[3][1]}))
    close(e, t)
    e.sum().backward()
    t.sum().backward()
    for ee, tt in ins:
        close(ee.grad, tt.grad, 1e-8)

    cov_q = ember.tensor(spd(3, 3))

    def kl(a, b):
        return ED.kl_divergence(ED.MultivariateNormal(a, scale_tril=b),
                                ED.MultivariateNormal(ember.tensor(lq), cov_q))
    low = ember.tensor(np.linalg.cholesky(spd(3, 3)), requires_grad=True)
    assert gradcheck(lambda a, b: kl(a, b.tril()), (ember.tensor(lq, requires_grad=True), low))


def test_expand_and_repr():
    e = ED.MultivariateNormal(ember.zeros(3, 2), ember.eye(2).expand(3, 2, 2).contiguous() * 2)
    t = TD.MultivariateNormal(torch.zeros(3, 2), torch.eye(2).expand(3, 2, 2) * 2)
    assert repr(e) == repr(t)
    ex, tx = e.expand((4, 3)), t.expand((4, 3))
    assert ex.batch_shape == tx.batch_shape
    v = np.ones((4, 3, 2), np.float32)
    close(ex.log_prob(ember.tensor(v)), tx.log_prob(torch.tensor(v)), 1e-6)
    close(ex.covariance_matrix, tx.covariance_matrix)


def test_errors():
    z, tz = ember.zeros(2), torch.zeros(2)
    cases = [
        (lambda M, z, eye: M(z)),
        (lambda M, z, eye: M(z, eye(2), eye(2))),
        (lambda M, z, eye: M(z[0], eye(2))),
        (lambda M, z, eye: M(z, z + 1)),
        (lambda M, z, eye: M(z, scale_tril=z + 1)),
        (lambda M, z, eye: M(z, eye(2) * 0 + 1)),
        (lambda M, z, eye: M(z, precision_matrix=-eye(2))),
        (lambda M, z, eye: M(z, scale_tril=-eye(2))),
        (lambda M, z, eye: M(z / 0 * 0, eye(2))),
        (lambda M, z, eye: M(z, eye(2)).log_prob(z[:1])),
    ]
    for case in cases:
        e = first_line(lambda: case(ED.MultivariateNormal, z, ember.eye))
        t = first_line(lambda: case(TD.MultivariateNormal, tz, torch.eye))
        assert t is not None and e == t
    lower_only = [[2., 1.], [0., 2.]]  # not symmetric: refused unless validate_args=False
    e = ED.MultivariateNormal(z, ember.tensor(lower_only), validate_args=False)
    t = TD.MultivariateNormal(tz, torch.tensor(lower_only), validate_args=False)
    close(e.log_prob(z + 1), t.log_prob(tz + 1))
    assert first_line(lambda: ED.MultivariateNormal(z, ember.tensor(lower_only))) == \
        first_line(lambda: TD.MultivariateNormal(tz, torch.tensor(lower_only)))
    bad = (ED.MultivariateNormal(z, ember.eye(2)), ED.MultivariateNormal(ember.zeros(3),
                                                                         ember.eye(3)))
    tbad = (TD.MultivariateNormal(tz, torch.eye(2)), TD.MultivariateNormal(torch.zeros(3),
                                                                           torch.eye(3)))
    assert first_line(lambda: ED.kl_divergence(*bad)) == \
        first_line(lambda: TD.kl_divergence(*tbad))
