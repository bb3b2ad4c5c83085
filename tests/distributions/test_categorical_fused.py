"""Categorical's fused nodes (normalised logits, log_prob pick, entropy) against PyTorch 2.13
and float64 finite differences: values, gradients, second derivatives, -inf masks, nan rows."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

INF = float("inf")
# Finite rows, masked entries, a near-degenerate row and large magnitudes.
MASKED = [[1.0, -INF, 0.5, 2.0], [0.2, 0.1, -1.0, -INF], [30.0, -30.0, 0.0, 3.0],
          [-INF, -INF, 0.7, -INF]]
# A row of -inf and a +inf entry: PyTorch gives nan there (and -inf beside the +inf).
DEGENERATE = [[0.5, -INF, 1.0], [-INF, -INF, -INF], [INF, 0.0, 1.0], [2.0, 1.0, -3.0]]


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _same(a, b, dtype):
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)  # nan/inf must coincide


def _pair(data, dtype):
    e = ember.tensor(data, dtype=getattr(ember, dtype), requires_grad=True)
    t = torch.tensor(data, dtype=getattr(torch, dtype), requires_grad=True)
    return e, t


def _dists(data, dtype, validate=None):
    el, tl = _pair(data, dtype)
    ed = ember.distributions.Categorical(logits=el, validate_args=validate)
    td = torch.distributions.Categorical(logits=tl, validate_args=validate)
    return el, tl, ed, td


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("data,validate", [(MASKED, None), (DEGENERATE, False)])
def test_values_and_gradients_match_torch(dtype, data, validate):
    el, tl, ed, td = _dists(data, dtype, validate)
    act = [3, 2, 0, 2] if len(data[0]) == 4 else [2, 0, 1, 0]
    ev, tv = ember.tensor(act), torch.tensor(act)
    outs = [(ed.logits, td.logits), (ed.log_prob(ev), td.log_prob(tv)),
            (ed.entropy(), td.entropy()), (ed.probs, td.probs)]
    for a, b in outs:
        assert a.dtype == getattr(ember, dtype)
        _same(a, b, dtype)
    # Weighted sum so every output's gradient counts; rows that are nan stay out of it.
    rows = np.flatnonzero(np.isfinite(_np(td.entropy())))
    w = np.random.default_rng(0).standard_normal((2, len(rows)))
    for T, x, d, v in ((ember, el, ed, ev), (torch, tl, td, tv)):
        w0, w1 = (T.tensor(r, dtype=x.dtype) for r in w)
        i = T.tensor(rows)
        ((w0 * d.log_prob(v)[i]).sum() + (w1 * d.entropy()[i]).sum()).backward()
    _same(el.grad, tl.grad, dtype)
    assert np.isfinite(_np(el.grad)[rows]).all()


def test_masked_entries_keep_probability_zero_and_no_nan():
    el, tl, ed, td = _dists(MASKED, "float32")
    p = ed.probs.detach().numpy()
    assert (p[np.isneginf(np.array(MASKED))] == 0).all()
    h = ed.entropy()
    assert np.isfinite(h.detach().numpy()).all()
    h.sum().backward()
    g = el.grad.numpy()
    assert np.isfinite(g).all() and (g[np.isneginf(np.array(MASKED))] == 0).all()


def test_node_names_match_torch():
    el, tl, ed, td = _dists(MASKED, "float32")
    ev, tv = ember.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 2, 2])
    pairs = [(ed.logits, td.logits), (ed.log_prob(ev), td.log_prob(tv)),
             (ed.entropy(), td.entropy())]
    for a, b in pairs:
        assert a.grad_fn.name() == b.grad_fn.name()


def _fns(act):
    """log_prob and entropy as functions of the raw logits, for the finite-difference checks."""
    D = ember.distributions.Categorical
    return (lambda x: D(logits=x).log_prob(ember.tensor(act)), lambda x: D(logits=x).entropy())


@pytest.mark.parametrize("which", [0, 1])
def test_finite_differences_float64(which):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3))
    x[1, 2] = x[3, 0] = -INF  # masked entries: the difference quotient there is 0
    xe = ember.tensor(x, requires_grad=True)
    f = _fns([0, 1, 2, 1, 0])[which]
    assert gradcheck(f, (xe,), eps=1e-6, atol=1e-7, rtol=1e-5)
    assert gradgradcheck(f, (xe,), eps=1e-6, atol=1e-6, rtol=1e-4)


def _second(T, x, d, v, wrt=None, couple=True):
    """First and second derivatives of a weighted log_prob + entropy, with create_graph
    (the second loss couples the rows unless couple=False)."""
    wrt = x if wrt is None else wrt
    out = (d.log_prob(v) * T.tensor([1.0, -2.0, 0.5, 1.5], dtype=x.dtype)).sum() \
        + (d.entropy() * T.tensor([0.3, 1.0, -1.0, 2.0], dtype=x.dtype)).sum()
    (g,) = T.autograd.grad(out, wrt, create_graph=True)
    loss = (g * g.detach()).sum() + (g * g).sum()
    (gg,) = T.autograd.grad(loss + g.sum() ** 2 if couple else loss, wrt)
    return _np(g), _np(gg)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_second_derivatives_match_torch(dtype):
    data = [[1.0, -0.5, 0.5, 2.0], [0.2, 0.1, -1.0, -3.0], [30.0, -30.0, 0.0, 3.0],
            [4.0, -2.0, 0.7, 0.0]]
    el, tl, ed, td = _dists(data, dtype)
    ev, tv = ember.tensor([3, 2, 0, 2]), torch.tensor([3, 2, 0, 2])
    for a, b in zip(_second(ember, el, ed, ev), _second(torch, tl, td, tv)):
        _same(a, b, dtype)
    el, tl, ed, td = _dists(data, dtype)  # and taken at the normalised logits
    for a, b in zip(_second(ember, el, ed, ev, ed.logits), _second(torch, tl, td, tv, td.logits)):
        _same(a, b, dtype)


@pytest.mark.parametrize("couple", [False, True])
@pytest.mark.parametrize("at_logits", [False, True])
def test_second_derivatives_with_masks_match_torch(at_logits, couple):
    """With -inf logits PyTorch's composite double backward multiplies finfo.min by 0 in some
    rows (nan); ours is the same composite, so nan in exactly those rows, equal elsewhere."""
    el, tl, ed, td = _dists(MASKED, "float64")
    ev, tv = ember.tensor([3, 2, 0, 2]), torch.tensor([3, 2, 0, 2])
    ours = _second(ember, el, ed, ev, ed.logits if at_logits else None, couple)
    theirs = _second(torch, tl, td, tv, td.logits if at_logits else None, couple)
    for a, b in zip(ours, theirs):
        _same(a, b, "float64")
    assert np.isfinite(ours[0][:3]).all()  # row 3: entropy weight 2 > 1 overflows (nan)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_entropy_gradient_overflow_matches_torch(dtype, scale):
    """g * finfo.min overflows in PyTorch's entropy backward when |g| > 1 in a masked row:
    nan there, as PyTorch; finite for |g| <= 1 and in rows without a -inf logit."""
    grads = []
    for T, data in ((ember, MASKED), (torch, MASKED)):
        x = T.tensor(data, dtype=getattr(T, dtype), requires_grad=True)
        h = T.distributions.Categorical(logits=x).entropy()
        (h * T.tensor([scale, -scale, scale, 1.0], dtype=x.dtype)).sum().backward()
        grads.append(_np(x.grad))
    _same(grads[0], grads[1], dtype)
    assert np.isfinite(grads[0]).all() == (scale <= 1)
    assert np.isfinite(grads[0][2]).all()


@pytest.mark.parametrize("value", [[[0, 1, 2, 1]] * 2, [[1], [0], [2], [0]], [1]])
def test_broadcast_values_take_the_general_path(value):
    el, tl, ed, td = _dists([r[:3] for r in MASKED[:3]] + [[0.0, 1.0, 2.0]], "float64")
    a, b = ed.log_prob(ember.tensor(value)), td.log_prob(torch.tensor(value))
    _same(a, b, "float64")
    a.sum().backward()
    b.sum().backward()
    _same(el.grad, tl.grad, "float64")


@pytest.mark.parametrize("value", [[0, 3, 1], [0, -1, 1]])
def test_out_of_range_without_validation_errors_like_torch(value):
    msgs = []
    for T in (ember, torch):
        d = T.distributions.Categorical(logits=T.zeros(3, 3), validate_args=False)
        with pytest.raises(RuntimeError) as e:
            d.log_prob(T.tensor(value))
        msgs.append(str(e.value).splitlines()[0])
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("value", [[0, 1], [[0, 1]] * 3])
def test_unbroadcastable_value_errors_like_torch(value):
    msgs = []
    for T in (ember, torch):
        d = T.distributions.Categorical(logits=T.zeros(3, 3))
        with pytest.raises(ValueError) as e:
            d.log_prob(T.tensor(value))
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_probs_parameterisation_keeps_the_composite_entropy():
    p = [[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]]
    ep, tp = _pair(p, "float64")
    ed = ember.distributions.Categorical(probs=ep)
    td = torch.distributions.Categorical(probs=tp)
    _same(ed.entropy(), td.entropy(), "float64")
    ed.entropy().sum().backward()
    td.entropy().sum().backward()
    _same(ep.grad, tp.grad, "float64")


def test_no_grad_and_integer_logits():
    with ember.no_grad():
        d = ember.distributions.Categorical(logits=ember.tensor([[1.0, 2.0], [0.0, -INF]]))
        assert d.log_prob(ember.tensor([1, 0])).grad_fn is None
    de = ember.distributions.Categorical(logits=ember.tensor([[1, 2, 3]]))
    dt = torch.distributions.Categorical(logits=torch.tensor([[1, 2, 3]]))
    _same(de.entropy(), dt.entropy(), "float32")
    _same(de.log_prob(ember.tensor([2])), dt.log_prob(torch.tensor([2])), "float32")


@pytest.mark.parametrize("vdtype", ["uint8", "int16", "int32", "int64"])
def test_value_dtypes_and_a_single_distribution(vdtype):
    for data, value in (([[0.1, 0.5, 2.0], [1.0, -1.0, 0.0]], [2, 1]), ([0.1, -INF, 2.0], 2)):
        res = []
        for T in (ember, torch):
            x = T.tensor(data, dtype=T.float64, requires_grad=True)
            lp = T.distributions.Categorical(logits=x).log_prob(
                T.tensor(np.array(value, dtype=vdtype)))
            (lp * 3.0).sum().backward()
            res.append((lp, x.grad))
        assert tuple(res[0][0].shape) == tuple(res[1][0].shape)
        for a, b in zip(*res):
            _same(a, b, "float64")
