"""F.margin_ranking_loss, hinge/cosine embedding, triplet margin, Poisson NLL, bilinear, pdist,
channel_shuffle, alpha dropouts, their nn modules and the top-level torch.* loss spellings:
values and gradients vs PyTorch 2.13, float64 finite differences, errors' first lines."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from torch_compare import compare, error_of, gradcheck, same_error

rng = np.random.default_rng(7)


def r(*shape):
    return rng.standard_normal(shape)


def F(lib):
    return lib.nn.functional


SIGNS = np.array([1.0, -1.0, 1.0, -1.0, 1.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ranking_and_embedding_losses(reduction):
    x1, x2 = r(5), r(5)
    compare(lambda L, a, b: F(L).margin_ranking_loss(a, b, L.tensor(SIGNS), 0.2,
                                                     reduction=reduction), x1, x2)
    hinge_t = np.array([1.0, -1.0, 1.0, -1.0, 2.0])  # a label that is neither: both terms
    compare(lambda L, a: F(L).hinge_embedding_loss(a, L.tensor(hinge_t), 0.7,
                                                   reduction=reduction), x1)
    compare(lambda L, a, b: F(L).cosine_embedding_loss(a, b, L.tensor(SIGNS[:3]), 0.1,
                                                       reduction=reduction), r(3, 4), r(3, 4))
    compare(lambda L, a, b: F(L).cosine_embedding_loss(a, b, L.tensor(-1.0), -0.5,
                                                       reduction=reduction), r(4), r(4))


@pytest.mark.parametrize("p,swap", [(2, False), (1, True), (3, False)])
def test_triplet_margin_loss(p, swap):
    a, pos, neg = r(4, 3), r(4, 3), r(4, 3)
    for reduction in ("mean", "none"):
        compare(lambda L, x, y, z: F(L).triplet_margin_loss(x, y, z, 0.8, p, swap=swap,
                                                            reduction=reduction), a, pos, neg)
    gradcheck(lambda L, x, y, z: F(L).triplet_margin_loss(x, y, z, 5.0, p, swap=swap),
              a, pos, neg)


@pytest.mark.parametrize("log_input,full", [(True, False), (True, True), (False, True),
                                            (False, False)])
def test_poisson_nll_loss(log_input, full):
    target = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 0.5])
    x = r(6) if log_input else np.abs(r(6)) + 0.1
    x[0] = x[0] if log_input else 0.0  # input 0 with target 0: finite thanks to eps
    for reduction in ("mean", "sum", "none"):
        compare(lambda L, a: F(L).poisson_nll_loss(a, L.tensor(target), log_input, full,
                                                   reduction=reduction), x, rtol=1e-5)
    # with the target differentiable too (PyTorch gives nan at target 0, ember 0: not here)
    compare(lambda L, a, t: F(L).poisson_nll_loss(a, t, log_input, full), x, target + 0.2,
            rtol=1e-5)
    gradcheck(lambda L, a, t: F(L).poisson_nll_loss(a, t, log_input, full), x, target + 0.2)


def test_losses_gradcheck_second_order():
    gradcheck(lambda L, a, b: F(L).margin_ranking_loss(a, b, L.tensor(SIGNS), 0.2), r(5), r(5),
              second=True)
    gradcheck(lambda L, a, b: F(L).cosine_embedding_loss(
        a, b, L.tensor(SIGNS[:3]), -0.9), r(3, 4), r(3, 4), second=True)
    gradcheck(lambda L, a: F(L).hinge_embedding_loss(a, L.tensor(SIGNS), 3.0), r(5))


def test_bilinear_values_grads_and_module():
    compare(lambda L, a, b, w, c: F(L).bilinear(a, b, w, c), r(3, 2), r(3, 4), r(5, 2, 4), r(5))
    compare(lambda L, a, b, w: F(L).bilinear(a, b, w), r(2, 3, 2), r(2, 3, 4), r(5, 2, 4))
    gradcheck(lambda L, a, b, w: F(L).bilinear(a, b, w), r(3, 2), r(3, 4), r(2, 2, 4),
              second=True)
    for lib in (ember, torch):
        lib.manual_seed(0)
    em, tm = ember.nn.Bilinear(3, 4, 5), torch.nn.Bilinear(3, 4, 5)
    assert repr(em) == repr(tm)
    assert [(n, tuple(p.shape)) for n, p in em.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    bound = 1 / np.sqrt(3)
    w = em.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound  # U(-1/sqrt(in1), ..)
    em.weight.data = ember.tensor(tm.weight.detach().numpy())
    em.bias.data = ember.tensor(tm.bias.detach().numpy())
    x1, x2 = r(2, 3).astype(np.float32), r(2, 4).astype(np.float32)
    np.testing.assert_allclose(em(ember.tensor(x1), ember.tensor(x2)).detach().numpy(),
                               tm(torch.tensor(x1), torch.tensor(x2)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert ember.nn.Bilinear(2, 2, 1, bias=False).bias is None


@pytest.mark.parametrize("call", [
    lambda L: F(L).bilinear(L.randn(3, 2), L.randn(3, 4), L.randn(5, 2, 3)),
    lambda L: F(L).bilinear(L.randn(3, 2), L.randn(4, 4), L.randn(5, 2, 4)),
    lambda L: F(L).bilinear(L.randn(3, 2), L.randn(3, 4), L.randn(5, 2, 4), L.randn(4)),
    lambda L: F(L).margin_ranking_loss(L.randn(3), L.randn(3, 1), L.randn(3)),
    lambda L: F(L).cosine_embedding_loss(L.randn(3, 2), L.randn(3, 2), L.randn(3, 1)),
    lambda L: F(L).cosine_embedding_loss(L.randn(2), L.randn(2), L.randn(3)),
    lambda L: F(L).cosine_embedding_loss(L.randn(3, 2, 2), L.randn(3, 2, 2), L.randn(3)),
    lambda L: F(L).triplet_margin_loss(L.randn(3, 2), L.randn(3, 2), L.randn(2)),
    lambda L: F(L).triplet_margin_loss(L.randn(3, 2), L.randn(3, 2), L.randn(3, 2),
                                       reduction="foo"),
    lambda L: F(L).poisson_nll_loss(L.randn(3), L.randn(3), reduction="foo"),
    lambda L: F(L).hinge_embedding_loss(L.randn(3), L.randn(4)),
    lambda L: F(L).channel_shuffle(L.randn(2, 6, 3), 4),
    lambda L: F(L).channel_shuffle(L.randn(2, 6, 3), 0),
    lambda L: F(L).channel_shuffle(L.randn(6), 2),
    lambda L: F(L).pdist(L.randn(3, 2, 2)),
    lambda L: F(L).pdist(L.randn(3, 2), p=-1),
    lambda L: F(L).alpha_dropout(L.randn(3), 1.5),
    lambda L: F(L).feature_alpha_dropout(L.randn(3), 0.5, True),
    lambda L: L.nn.TripletMarginLoss(margin=0.0),
])
def test_errors_match_torch(call):
    assert error_of(lambda: call(ember)) == error_of(lambda: call(torch))


@pytest.mark.parametrize("p", [2, 1, 3, 0.5])
def test_pdist(p):
    compare(lambda L, a: F(L).pdist(a, p), r(5, 3), rtol=1e-5)
    gradcheck(lambda L, a: F(L).pdist(a, p), r(4, 3))


def test_channel_shuffle_and_module():
    compare(lambda L, a: F(L).channel_shuffle(a, 3), r(2, 6, 2, 2))
    x = r(1, 4, 3)
    em, tm = ember.nn.ChannelShuffle(2), torch.nn.ChannelShuffle(2)
    assert repr(em) == repr(tm)
    np.testing.assert_array_equal(em(ember.tensor(x)).numpy(), tm(torch.tensor(x)).numpy())


def test_loss_modules_match_functional():
    a, b, c = r(4, 3), r(4, 3), r(4, 3)
    y = SIGNS[:4]
    pairs = [
        (lambda L: L.nn.MarginRankingLoss(0.3, reduction="sum"), (a[:, 0], b[:, 0], y)),
        (lambda L: L.nn.HingeEmbeddingLoss(0.5), (a, np.sign(b))),
        (lambda L: L.nn.CosineEmbeddingLoss(0.2, reduction="none"), (a, b, y)),
        (lambda L: L.nn.TripletMarginLoss(0.7, p=1, swap=True), (a, b, c)),
        (lambda L: L.nn.PoissonNLLLoss(full=True), (a, np.abs(b) * 3)),
    ]
    for make, args in pairs:
        e = make(ember)(*[ember.tensor(v) for v in args])
        t = make(torch)(*[torch.tensor(v) for v in args])
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6)
        assert repr(make(ember)) == repr(make(torch))


def test_alpha_dropout_statistics_and_modes():
    x = ember.tensor(r(200, 300).astype(np.float32))
    ember.manual_seed(0)
    y = F(ember).alpha_dropout(x, 0.2, True)
    alpha = 1.7580993408473766
    dropped_at = -alpha / np.sqrt((alpha ** 2 * 0.2 + 1) * 0.8) * 0.8  # a * 0 + b
    kept = ~np.isclose(y.detach().numpy(), dropped_at)
    assert abs(kept.mean() - 0.8) < 0.01
    assert abs(float(y.mean())) < 0.02 and abs(float(y.std()) - 1) < 0.02  # SELU invariant
    assert F(ember).alpha_dropout(x, 0.2) is x  # training defaults to False, as PyTorch
    fz = F(ember).feature_alpha_dropout(ember.tensor(r(50, 40, 6)), 0.5, True).numpy()
    at = -alpha / np.sqrt((alpha ** 2 * 0.5 + 1) * 0.5) * 0.5
    gone = np.isclose(fz, at)
    assert np.all(gone.all(2) == gone.any(2)) and 0.4 < gone.all(2).mean() < 0.6  # channels
    for lib in (ember, torch):  # p = 1: every unit is at the saturation value, a * alpha' + b
        out = F(lib).alpha_dropout(lib.ones(3, dtype=lib.float64), 1.0, True)
        if lib is ember:
            got = out.numpy()
        else:
            np.testing.assert_allclose(got, out.numpy())
    m = ember.nn.AlphaDropout(0.3)
    assert repr(m) == repr(torch.nn.AlphaDropout(0.3))
    m.eval()
    assert m(x) is x


def test_alpha_dropout_gradient_is_the_mask():
    x = ember.tensor(r(4, 5), requires_grad=True)
    ember.manual_seed(3)
    y = F(ember).alpha_dropout(x, 0.4, True)
    y.sum().backward()
    mask = x.grad.numpy()
    a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.4 + 1) * 0.6)
    assert set(np.unique(np.round(mask, 12))) <= {0.0, round(a, 12)}


TOP = [
    ("kl_div", lambda L, a, b: L.kl_div(a, b), (r(3, 5), np.abs(r(3, 5)))),
    ("kl_div_mean", lambda L, a, b: L.kl_div(a, b, 1), (r(3, 5), np.abs(r(3, 5)))),
    ("kl_div_log", lambda L, a, b: L.kl_div(a, b, 2, log_target=True), (r(3, 5), r(3, 5))),
    ("bce", lambda L, a, b: L.binary_cross_entropy_with_logits(
        a, b, L.tensor([1.0, 2, 0.5, 1]), L.tensor([0.5, 1, 2, 3.0]), 1), (r(3, 4), r(3, 4))),
    ("bce_default", lambda L, a, b: L.binary_cross_entropy_with_logits(a, b), (r(3, 4),
                                                                               r(3, 4))),
    ("mrl", lambda L, a, b: L.margin_ranking_loss(a, b, L.tensor(SIGNS), 0.3), (r(5), r(5))),
    ("mrl_sum", lambda L, a, b: L.margin_ranking_loss(a, b, L.tensor(SIGNS), 0.3, 2),
     (r(5), r(5))),
    ("hel", lambda L, a: L.hinge_embedding_loss(a, L.tensor(SIGNS), 1.0, 1), (r(5),)),
    ("cel", lambda L, a, b: L.cosine_embedding_loss(a, b, L.tensor(SIGNS[:3])), (r(3, 4),
                                                                                r(3, 4))),
    ("tml", lambda L, a, b, c: L.triplet_margin_loss(a, b, c, 1.0, 2, 1e-6, True),
     (r(4, 3), r(4, 3), r(4, 3))),
    ("pnll", lambda L, a, b: L.poisson_nll_loss(a, b, True, True, 1e-8, 1), (r(6), np.abs(r(6)))),
]


@pytest.mark.parametrize("name,fn,args", TOP, ids=[t[0] for t in TOP])
def test_top_level_losses(name, fn, args):
    compare(fn, *args, rtol=1e-5)


def test_top_level_loss_reduction_errors():
    same_error(lambda L, a, b: L.kl_div(a, b, "mean"), r(3), r(3))
    compare(lambda L, a, b: L.margin_ranking_loss(a, b, b, 0.0, 5), r(3), r(3))  # no reducing


def test_new_names_in_nn_and_functional():
    for name in ("MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss",
                 "TripletMarginLoss", "PoissonNLLLoss", "Bilinear", "ChannelShuffle",
                 "AlphaDropout", "FeatureAlphaDropout"):
        assert hasattr(torch.nn, name) and hasattr(ember.nn, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F(ember).poisson_nll_loss(ember.zeros(3), ember.zeros(3), full=True)
