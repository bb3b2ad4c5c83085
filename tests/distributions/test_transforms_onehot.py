"""distributions.transforms, TransformedDistribution (SAC's tanh-squashed Normal) and
OneHotCategorical against PyTorch 2.13."""

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
ET, TT = D.transforms, TD.transforms


def _pair(data, rg=True):
    return (ember.tensor(data, dtype=ember.float64, requires_grad=rg),
            torch.tensor(data, dtype=torch.float64, requires_grad=rg))


def _close(a, b, tol=1e-9):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def _transforms(M, loc, scale):
    return {
        "exp": M.ExpTransform(), "sigmoid": M.SigmoidTransform(), "tanh": M.TanhTransform(),
        "affine": M.AffineTransform(loc, scale), "affine_neg": M.AffineTransform(0.5, -2.0),
        "affine_ev": M.AffineTransform(loc, scale, event_dim=1),
        "compose": M.ComposeTransform([M.AffineTransform(0.3, 1.5), M.TanhTransform(),
                                       M.AffineTransform(1.0, 2.0)]),
        "inverse": M.ExpTransform().inv,
    }


@pytest.mark.parametrize("key", list(_transforms(ET, 0.0, 1.0)))
def test_transform_values_jacobians_and_gradients(key):
    el, tl = _pair([0.5, -1.0, 2.0])
    es, ts = _pair([1.5, 0.3, 2.0])
    et, tt = _transforms(ET, el, es)[key], _transforms(TT, tl, ts)[key]
    data = [[0.1, -25.0, 30.0], [1.3, -0.7, 4.0]] if key != "inverse" else [[0.1, 2.0, 9.0]]
    ex, tx = _pair(data)
    ey, ty = et(ex), tt(tx)
    _close(ey, ty)
    ej, tj = et.log_abs_det_jacobian(ex, ey), tt.log_abs_det_jacobian(tx, ty)
    _close(ej, tj)
    assert np.isfinite(ej.detach().numpy()).all()
    if key not in ("tanh", "sigmoid", "compose"):  # atanh(+-1) is inf for saturated x
        _close(et.inv(ey), tt.inv(ty))
    (ey.sum() + ej.sum()).backward()
    (ty.sum() + tj.sum()).backward()
    _close(ex.grad, tx.grad)
    if key.startswith("affine") and key != "affine_neg":
        _close(el.grad, tl.grad)
        _close(es.grad, ts.grad)
    assert repr(et) == repr(tt)
    assert repr(et.domain) == repr(tt.domain) and repr(et.codomain) == repr(tt.codomain)
    assert et.bijective == tt.bijective
    sign = et.sign
    _close(sign, tt.sign) if hasattr(sign, "detach") else None
    assert hasattr(sign, "detach") or sign == tt.sign


def test_tanh_jacobian_stable_and_cache():
    x = ember.tensor([0.0, 10.0, -50.0, 400.0], dtype=ember.float64)
    j = ET.TanhTransform().log_abs_det_jacobian(x, x.tanh())
    naive = np.log1p(-np.tanh(x.numpy()) ** 2)
    assert np.isfinite(j.numpy()).all() and np.isinf(naive[-1])
    _close(j[:2], naive[:2])
    t = ET.TanhTransform(cache_size=1)
    y = t(x)
    assert t.inv(y) is x and t(x) is y
    assert ET.TanhTransform().inv(y) is not x
    with pytest.raises(ValueError) as a:
        ET.ExpTransform(cache_size=2)
    with pytest.raises(ValueError) as b:
        TT.ExpTransform(cache_size=2)
    assert str(a.value) == str(b.value)


def test_squashed_gaussian_policy_matches_torch():
    """SAC's actor: TransformedDistribution(Normal(mu, std), [Tanh, Affine])."""
    emu, tmu = _pair([[0.2, -1.0], [3.0, 0.5]])
    estd, tstd = _pair([[0.5, 1.2], [0.1, 2.0]])

    def make(M, Dm, mu, std):
        return Dm.TransformedDistribution(Dm.Normal(mu, std),
                                          [M.TanhTransform(), M.AffineTransform(0.5, 2.0)])
    ed, td = make(ET, D, emu, estd), make(TT, TD, tmu, tstd)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape) and ed.has_rsample
    assert repr(ed.support) == repr(td.support) and repr(ed) == repr(td)
    ev, tv = _pair([[0.9, -1.2], [2.4, 0.6]], rg=False)
    _close(ed.log_prob(ev), td.log_prob(tv))
    _close(ed.cdf(ev), td.cdf(tv))
    eq, tq = _pair([[0.2, 0.7]], rg=False)
    _close(ed.icdf(eq), td.icdf(tq))
    (ed.log_prob(ev).sum() + ed.cdf(ev).sum()).backward()
    (td.log_prob(tv).sum() + td.cdf(tv).sum()).backward()
    _close(emu.grad, tmu.grad)
    _close(estd.grad, tstd.grad)
    # rsample: the composition of Normal's rsample with the transforms
    emu.grad = estd.grad = None
    ember.manual_seed(0)
    a = ed.rsample((3,))
    a.sum().backward()
    eps = (np.arctanh((a.detach().numpy() - 0.5) / 2.0) - emu.detach().numpy()) / \
        estd.detach().numpy()
    dtanh = 2.0 * (1 - ((a.detach().numpy() - 0.5) / 2.0) ** 2)
    _close(emu.grad, dtanh.sum(0), 1e-7)
    _close(estd.grad, (dtanh * eps).sum(0), 1e-7)
    ind = D.Independent(ed, 1)
    tind = TD.Independent(td, 1)
    _close(ind.log_prob(ev), tind.log_prob(tv))
    lp = ed.log_prob(ed.sample((4,)))
    assert lp.shape == (4, 2, 2)


def test_transformed_distribution_event_dims_and_errors():
    base = D.Normal(ember.zeros(3, 2), ember.ones(3, 2))
    tbase = TD.Normal(torch.zeros(3, 2), torch.ones(3, 2))
    ed = D.TransformedDistribution(base, ET.AffineTransform(0.0, 2.0, event_dim=1))
    td = TD.TransformedDistribution(tbase, TT.AffineTransform(0.0, 2.0, event_dim=1))
    assert tuple(ed.batch_shape) == tuple(td.batch_shape) == (3,)
    assert tuple(ed.event_shape) == tuple(td.event_shape) == (2,)
    v = torch.randn(3, 2)
    _close(ed.log_prob(ember.tensor(v.numpy())), td.log_prob(v), 1e-6)
    ee, te = ed.expand((4, 3)), td.expand((4, 3))
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    with pytest.raises(ValueError):
        D.TransformedDistribution(base, "exp")
    with pytest.raises(ValueError):
        TD.TransformedDistribution(tbase, "exp")


def test_one_hot_categorical_matches_torch():
    el, tl = _pair([[0.0, 1.0, -2.0], [3.0, 0.0, 0.0]])
    ed, td = D.OneHotCategorical(logits=el), TD.OneHotCategorical(logits=tl)
    assert tuple(ed.batch_shape) == (2,) and tuple(ed.event_shape) == (3,)
    ev = ember.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], dtype=ember.float64)
    tv = torch.tensor(ev.numpy())
    for a, b in [(ed.log_prob(ev), td.log_prob(tv)), (ed.entropy(), td.entropy()),
                 (ed.mean, td.mean), (ed.variance, td.variance), (ed.mode, td.mode),
                 (ed.enumerate_support(), td.enumerate_support()),
                 (ed.enumerate_support(False), td.enumerate_support(False))]:
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b)
    (ed.log_prob(ev).sum() + ed.entropy().sum()).backward()
    (td.log_prob(tv).sum() + td.entropy().sum()).backward()
    _close(el.grad, tl.grad)
    with pytest.raises(ValueError) as a:
        ed.log_prob(ember.tensor([[0.0, 0.5, 0.5]] * 2, dtype=ember.float64))
    with pytest.raises(ValueError) as b:
        td.log_prob(torch.tensor([[0.0, 0.5, 0.5]] * 2, dtype=torch.float64))
    assert str(a.value).splitlines()[0] == str(b.value).splitlines()[0]
    ember.manual_seed(0)
    p = np.array([0.2, 0.5, 0.3])
    s = D.OneHotCategorical(probs=ember.tensor(p)).sample((20000,)).numpy()
    assert s.shape == (20000, 3) and (s.sum(-1) == 1).all()
    assert (np.abs(s.mean(0) - p) < 5 * np.sqrt(p * (1 - p) / 20000)).all()
    assert tuple(ed.expand((4, 2)).sample().shape) == (4, 2, 3)


def test_one_hot_straight_through_gradient():
    el, tl = _pair([[0.0, 1.0, -2.0]])
    ember.manual_seed(0)
    s = D.OneHotCategoricalStraightThrough(logits=el).rsample((5,))
    w = np.arange(15.0).reshape(5, 1, 3)
    (s * ember.tensor(w)).sum().backward()
    tp = torch.softmax(tl, -1)  # d/dlogits of sum(w * probs), the straight-through gradient
    (torch.tensor(w) * tp).sum().backward()
    _close(el.grad, tl.grad)
    assert ((s.detach().numpy() == 0) | (s.detach().numpy() == 1)).all()
