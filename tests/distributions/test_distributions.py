"""ember.distributions against torch.distributions (PyTorch 2.13)."""

import numpy as np
import pytest
import torch

import ember

NEG_INF = float("-inf")


def _pair(data, dtype="float64", rg=True):
    e = ember.tensor(data, dtype=getattr(ember, dtype), requires_grad=rg)
    t = torch.tensor(data, dtype=getattr(torch, dtype), requires_grad=rg)
    return e, t


def _close(a, b, tol=1e-6):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


LOGITS = [[1.0, NEG_INF, 0.5, 2.0], [0.2, 0.1, -1.0, NEG_INF], [1e4, -1e4, 0.0, 3.0]]


@pytest.mark.parametrize("use_probs", [False, True])
def test_categorical_log_prob_entropy_and_grads(use_probs):
    el, tl = _pair(LOGITS)
    if use_probs:
        ed = ember.distributions.Categorical(probs=ember.softmax(el, -1))
        td = torch.distributions.Categorical(probs=torch.softmax(tl, -1))
    else:
        ed = ember.distributions.Categorical(logits=el)
        td = torch.distributions.Categorical(logits=tl)
    ev, tv = ember.tensor([3, 0, 0]), torch.tensor([3, 0, 0])
    elp, tlp = ed.log_prob(ev), td.log_prob(tv)
    eh, th = ed.entropy(), td.entropy()
    _close(elp, tlp)
    _close(eh, th)
    assert np.isfinite(eh.detach().numpy()).all() and np.isfinite(elp.detach().numpy()).all()
    (elp.sum() + eh.sum()).backward()
    (tlp.sum() + th.sum()).backward()
    _close(el.grad, tl.grad)
    assert np.isfinite(el.grad.numpy()).all()
    _close(ed.probs, td.probs)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape) == (3,)
    assert tuple(ed.event_shape) == tuple(td.event_shape) == ()
    _close(ed.mode, td.mode)


def test_categorical_sampling_frequencies_and_shapes():
    ember.manual_seed(0)
    d = ember.distributions.Categorical(probs=ember.tensor([0.1, 0.6, 0.3]))
    s = d.sample((20000,))
    assert s.shape == (20000,) and s.dtype == ember.int64
    freq = np.bincount(s.numpy(), minlength=3) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.6, 0.3], atol=0.015)
    masked = ember.distributions.Categorical(logits=ember.tensor([[0.0, NEG_INF]] * 4))
    assert (masked.sample((50,)).numpy() == 0).all()
    assert masked.sample().shape == (4,)
    assert not d.sample().requires_grad


def test_categorical_validation_errors_match_torch():
    def msg(T, **kw):
        with pytest.raises(ValueError) as e:
            T.distributions.Categorical(**kw)
        return str(e.value).splitlines()[0]

    assert msg(ember, probs=ember.tensor([0.5, -0.1])) == msg(torch, probs=torch.tensor([0.5, -0.1]))
    assert msg(ember) == msg(torch)
    ed = ember.distributions.Categorical(logits=ember.zeros(3))
    td = torch.distributions.Categorical(logits=torch.zeros(3))
    with pytest.raises(ValueError) as a:
        ed.log_prob(ember.tensor(5))
    with pytest.raises(ValueError) as b:
        td.log_prob(torch.tensor(5))
    assert str(a.value).splitlines()[0] == str(b.value).splitlines()[0]
    assert repr(ed) == repr(td)


def test_normal_log_prob_entropy_rsample_grads():
    eloc, tloc = _pair([0.5, -1.0, 2.0])
    esc, tsc = _pair([1.5, 0.3, 2.0])
    ed, td = ember.distributions.Normal(eloc, esc), torch.distributions.Normal(tloc, tsc)
    ev, tv = _pair([0.1, 0.2, 5.0], rg=False)
    _close(ed.log_prob(ev), td.log_prob(tv))
    _close(ed.entropy(), td.entropy())
    (ed.log_prob(ev).sum() + ed.entropy().sum()).backward()
    (td.log_prob(tv).sum() + td.entropy().sum()).backward()
    _close(eloc.grad, tloc.grad)
    _close(esc.grad, tsc.grad)
    # rsample: d sample / d loc = 1, d sample / d scale = eps = (sample - loc) / scale
    eloc.grad = esc.grad = None
    s = ed.rsample((4,))
    assert s.shape == (4, 3) and s.requires_grad
    s.sum().backward()
    eps = (s.detach().numpy() - eloc.detach().numpy()) / esc.detach().numpy()
    _close(eloc.grad, np.full(3, 4.0))
    _close(esc.grad, eps.sum(0))
    assert not ed.sample().requires_grad
    _close(ed.stddev, td.stddev)
    _close(ed.variance, td.variance)
    assert repr(ed) == repr(td)
    with pytest.raises(ValueError) as a:
        ember.distributions.Normal(ember.tensor([0.0]), ember.tensor([-1.0]))
    with pytest.raises(ValueError) as b:
        torch.distributions.Normal(torch.tensor([0.0]), torch.tensor([-1.0]))
    assert str(a.value).splitlines()[0] == str(b.value).splitlines()[0]


def test_bernoulli_and_extreme_logits():
    el, tl = _pair([1e4, -1e4, 0.3, -2.0])
    ed = ember.distributions.Bernoulli(logits=el)
    td = torch.distributions.Bernoulli(logits=tl)
    ev, tv = _pair([1.0, 1.0, 0.0, 1.0], rg=False)
    _close(ed.log_prob(ev), td.log_prob(tv))
    _close(ed.entropy(), td.entropy())
    (ed.log_prob(ev).sum() + ed.entropy().sum()).backward()
    (td.log_prob(tv).sum() + td.entropy().sum()).backward()
    _close(el.grad, tl.grad)
    ep, tp = _pair([0.2, 0.7])
    _close(ember.distributions.Bernoulli(probs=ep).log_prob(ember.tensor([1.0, 0.0], dtype=ember.float64)),
           torch.distributions.Bernoulli(probs=tp).log_prob(torch.tensor([1.0, 0.0], dtype=torch.float64)))


def test_independent_normal():
    eloc, tloc = _pair([[0.0, 1.0], [2.0, -1.0]])
    esc, tsc = _pair([[1.0, 2.0], [0.5, 1.5]])
    ed = ember.distributions.Independent(ember.distributions.Normal(eloc, esc), 1)
    td = torch.distributions.Independent(torch.distributions.Normal(tloc, tsc), 1)
    assert tuple(ed.batch_shape) == (2,) and tuple(ed.event_shape) == (2,)
    ev, tv = _pair([[0.3, 0.1], [1.0, 1.0]], rg=False)
    _close(ed.log_prob(ev), td.log_prob(tv))
    _close(ed.entropy(), td.entropy())


def test_kl_divergence_pairs():
    D, TD = ember.distributions, torch.distributions
    a, ta = _pair([0.5, -1.0])
    b, tb = _pair([1.5, 0.3])
    _close(D.kl_divergence(D.Normal(a, b), D.Normal(b, b + 1)),
           TD.kl_divergence(TD.Normal(ta, tb), TD.Normal(tb, tb + 1)))
    el, tl = _pair(LOGITS)
    el2, tl2 = _pair([[0.0, 0.0, 1.0, 1.0]] * 3)
    _close(D.kl_divergence(D.Categorical(logits=el), D.Categorical(logits=el2)),
           TD.kl_divergence(TD.Categorical(logits=tl), TD.Categorical(logits=tl2)))
    _close(D.kl_divergence(D.Categorical(logits=el2), D.Categorical(logits=el)),
           TD.kl_divergence(TD.Categorical(logits=tl2), TD.Categorical(logits=tl)))
    _close(D.kl_divergence(D.Bernoulli(logits=a), D.Bernoulli(logits=b)),
           TD.kl_divergence(TD.Bernoulli(logits=ta), TD.Bernoulli(logits=tb)))
    ind = D.kl_divergence(D.Independent(D.Normal(a, b), 1), D.Independent(D.Normal(b, b), 1))
    tind = TD.kl_divergence(TD.Independent(TD.Normal(ta, tb), 1), TD.Independent(TD.Normal(tb, tb), 1))
    _close(ind, tind)
