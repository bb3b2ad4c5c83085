"""Top-level math (argwhere ... matrix_exp, the legacy cholesky/qr/svd) and the top-level
spellings of nn.functional kernels: values, dtypes and gradients vs PyTorch 2.13, gradients
vs float64 finite differences, errors' first lines."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from torch_compare import compare, error_of, gradcheck, same_error

rng = np.random.default_rng(5)


def r(*shape):
    return rng.standard_normal(shape)


INTS = rng.integers(0, 3, (3, 7))
X = r(4, 5)

VALUES = [
    ("argwhere", lambda L, a: L.argwhere(a > 0), (X,)),
    ("isin", lambda L, a, b: L.isin(a, b), (INTS, np.array([1, 2]))),
    ("isin_scalar", lambda L, a: L.isin(a, 1, invert=True), (INTS,)),
    ("isin_scalar_first", lambda L, b: L.isin(2, b), (INTS,)),
    ("unique_consecutive", lambda L, a: L.unique_consecutive(
        a, return_inverse=True, return_counts=True), (np.array([1, 1, 2, 2, 3, 1, 1, 2]),)),
    ("unique_consecutive_2d", lambda L, a: L.unique_consecutive(a, return_counts=True),
     (np.array([[1, 1], [2, 2]]),)),
    ("unique_consecutive_dim", lambda L, a: L.unique_consecutive(
        a, return_inverse=True, return_counts=True, dim=1), (np.array([[1, 1, 2, 2],
                                                                       [1, 1, 3, 3]]),)),
    ("unravel_index", lambda L, a: L.unravel_index(a, (3, 4)), (np.array([0, 5, 11, -1, 12,
                                                                          -13, 30]),)),
    ("unravel_scalar", lambda L, a: L.unravel_index(a, (2, 3, 4)), (np.array(17),)),
    ("aminmax_dim", lambda L, a: tuple(L.aminmax(a, dim=1, keepdim=True)), (X,)),
    ("mode", lambda L, a: tuple(L.mode(a)), (INTS,)),
    ("mode_dim0", lambda L, a: tuple(L.mode(a, 0, True)), (INTS,)),
    ("msort", lambda L, a: L.msort(a), (X,)),
    ("histogram", lambda L, a: tuple(L.histogram(a, 5)), (r(30),)),
    ("histogram_range", lambda L, a: tuple(L.histogram(a, 4, range=(-1.0, 1.0), density=True)),
     (r(30),)),
    ("histogram_edges", lambda L, a, b: tuple(L.histogram(a, b)), (r(30), np.array([-2.0, 0,
                                                                                     1, 3]))),
    ("qr_complete", lambda L, a: tuple(v.abs() for v in L.qr(a, some=False)), (r(5, 3),)),
    ("vander_int", lambda L, a: L.vander(a), (np.array([1, 2, 3]),)),
    ("cov_weighted", lambda L, a, f, w: L.cov(a, correction=0, fweights=f, aweights=w),
     (X, np.array([1, 2, 1, 3, 1]), np.array([0.5, 1, 2, 1, 1]))),
    ("cov_weighted_corr", lambda L, a, f, w: L.cov(a, fweights=f, aweights=w),
     (X, np.array([1, 2, 1, 3, 1]), np.array([0.5, 1, 2, 1, 1]))),
]


@pytest.mark.parametrize("name,fn,args", VALUES, ids=[v[0] for v in VALUES])
def test_values(name, fn, args):
    compare(fn, *args, grad=False)


GRADS = [
    ("aminmax", lambda L, a: tuple(L.aminmax(a, dim=0)), (X,)),
    ("mode_values", lambda L, a: L.mode(a).values, (np.array([[1.0, 2, 2], [3, 3, 1]]),)),
    ("msort", lambda L, a: L.msort(a), (X,)),
    ("cov", lambda L, a: L.cov(a), (X,)),
    ("cov_1d", lambda L, a: L.cov(a), (r(6),)),
    ("cov_corr2", lambda L, a: L.cov(a, correction=2), (X,)),
    ("corrcoef", lambda L, a: L.corrcoef(a), (X,)),
    ("trapezoid", lambda L, a: L.trapezoid(a), (X,)),
    ("trapezoid_x", lambda L, a, x: L.trapezoid(a, x), (X, np.sort(r(5)))),
    ("trapezoid_x_dim0", lambda L, a, x: L.trapezoid(a, x, dim=0), (X, np.sort(r(4)))),
    ("trapz_dx", lambda L, a: L.trapz(a, dx=0.5, dim=0), (X,)),
    ("cumulative_trapezoid", lambda L, a: L.cumulative_trapezoid(a), (X,)),
    ("cumulative_trapezoid_x", lambda L, a, x: L.cumulative_trapezoid(a, x, dim=0),
     (X, np.sort(r(4)))),
    ("dist", lambda L, a, b: L.dist(a, b), (X, r(5))),
    ("dist_p3", lambda L, a, b: L.dist(a, b, 3), (X, r(4, 5))),
    ("gradient", lambda L, a: L.gradient(a), (X,)),
    ("gradient_edge2", lambda L, a: L.gradient(a, spacing=[2.0, 0.5], edge_order=2), (X,)),
    ("gradient_dim", lambda L, a: L.gradient(a, spacing=2.0, dim=1), (X,)),
    ("i0", lambda L, a: L.i0(a), (r(8) * 6,)),
    ("matrix_exp", lambda L, a: L.matrix_exp(a), (r(2, 3, 3),)),
    ("matrix_exp_large", lambda L, a: L.matrix_exp(a), (4 * r(3, 3),)),
    ("cholesky", lambda L, a: L.cholesky(a @ a.mT + L.eye(4, dtype=L.float64)), (r(4, 4),)),
    ("cholesky_upper", lambda L, a: L.cholesky(a @ a.mT + L.eye(4, dtype=L.float64), True),
     (r(4, 4),)),
    ("qr", lambda L, a: tuple(L.qr(a)), (r(5, 3),)),
    ("svd_S", lambda L, a: L.svd(a).S, (r(5, 3),)),
    ("svd_reconstruct", lambda L, a: (lambda s: s.U @ L.diag(s.S) @ s.V.mT)(L.svd(a)),
     (r(5, 3),)),
]


@pytest.mark.parametrize("name,fn,args", GRADS, ids=[g[0] for g in GRADS])
def test_values_and_gradients(name, fn, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(fn, *args, rtol=1e-6, atol=1e-6)


FD = [
    ("cov", lambda L, a: L.cov(a), (r(3, 4),)),
    ("corrcoef", lambda L, a: L.corrcoef(a), (r(3, 4),)),
    ("cumulative_trapezoid", lambda L, a, x: L.cumulative_trapezoid(a, x), (r(2, 4), r(4))),
    ("vander", lambda L, a: L.vander(a, 4), (np.array([0.0, 1.5, -2.0]),)),
    ("gradient", lambda L, a: L.gradient(a, edge_order=2)[0], (r(5, 3),)),
    ("dist", lambda L, a, b: L.dist(a, b, 1.5), (r(3), r(3))),
]


@pytest.mark.parametrize("name,fn,args", FD, ids=[f[0] for f in FD])
def test_finite_differences(name, fn, args):
    gradcheck(fn, *args)


def test_i0_and_matrix_exp_second_order():
    gradcheck(lambda L, a: L.i0(a), np.array([-3.0, -0.5, 0.0, 0.7, 5.0]), second=True)
    gradcheck(lambda L, a: L.matrix_exp(a), r(3, 3), second=True)
    x = ember.tensor([0.0, 1.0, 40.0], dtype=ember.float64, requires_grad=True)
    t = torch.tensor([0.0, 1.0, 40.0], dtype=torch.float64, requires_grad=True)
    ember.i0(x).sum().backward()
    torch.i0(t).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)  # I1, large x too


def test_vander_and_svd_conventions():
    compare(lambda L, a: L.vander(a, 3, True), r(4), grad=False)
    compare(lambda L, a: L.vander(a), r(4), grad=False)  # torch's own vander backward fails
    for some in (True, False):
        e, t = ember.svd(ember.tensor(X), some=some), torch.svd(torch.tensor(X), some=some)
        assert [tuple(v.shape) for v in e] == [tuple(v.shape) for v in t]
        # V, not V^T: the columns of V agree with PyTorch's up to sign
        np.testing.assert_allclose(np.abs(e.V.numpy()[:, :4]), np.abs(t.V.numpy()[:, :4]),
                                   atol=1e-10)
    e, t = ember.svd(ember.tensor(X), compute_uv=False), torch.svd(torch.tensor(X),
                                                                    compute_uv=False)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)
    assert repr(ember.aminmax(ember.tensor([1.0, 3.0]))) == \
        repr(torch.aminmax(torch.tensor([1.0, 3.0])))


def test_deprecation_warnings_first_lines():
    a = r(3, 3)
    a = a @ a.T + np.eye(3)
    for name in ("cholesky", "qr"):
        lines = []
        for lib in (ember, torch):
            lib.set_warn_always(True)
            try:
                with warnings.catch_warnings(record=True) as rec:
                    warnings.simplefilter("always")
                    getattr(lib, name)(lib.tensor(a))
            finally:
                lib.set_warn_always(False)
            lines.append(str(rec[0].message).split("\n")[0])
        assert lines[0] == lines[1]


@pytest.mark.parametrize("call", [
    lambda L: L.gradient(L.zeros(3, 3), spacing=[1.0, 2.0], dim=0),
    lambda L: L.unravel_index(L.tensor([1.0]), (3, 4)),
    lambda L: L.unravel_index(L.tensor([1]), (3, -4)),
    lambda L: L.cov(L.zeros(2, 2, 2)),
    lambda L: L.vander(L.zeros(2, 2)),
    lambda L: L.matrix_exp(L.zeros(2, 3)),
    lambda L: L.gradient(L.zeros(3), edge_order=3),
    lambda L: L.gradient(L.zeros(2), edge_order=2),
    lambda L: L.gradient(L.zeros(3, 3), spacing=[1.0, 2.0, 3.0]),
    lambda L: L.isin(1, 2),
])
def test_math_errors(call):
    assert error_of(lambda: call(ember)) == error_of(lambda: call(torch))


NN = [
    ("conv1d", lambda L, x, w, b: L.conv1d(x, w, b, 2, 1), (r(2, 3, 9), r(4, 3, 3), r(4))),
    ("conv2d", lambda L, x, w: L.conv2d(x, w, None, 1, 1, 1, 1), (r(2, 3, 5, 5), r(4, 3, 3, 3))),
    ("conv_transpose1d", lambda L, x, w: L.conv_transpose1d(x, w, None, 2), (r(2, 3, 5),
                                                                             r(3, 2, 3))),
    ("conv_transpose2d", lambda L, x, w: L.conv_transpose2d(x, w), (r(2, 3, 4, 4),
                                                                    r(3, 2, 3, 3))),
    ("embedding", lambda L, w: L.embedding(w, L.tensor([[0, 2], [1, 0]])), (r(3, 4),)),
    ("embedding_pad", lambda L, w: L.embedding(w, L.tensor([[0, 2], [1, 0]]), 0), (r(3, 4),)),
    ("layer_norm", lambda L, x, w, b: L.layer_norm(x, (5,), w, b, 1e-3), (r(3, 5), r(5), r(5))),
    ("group_norm", lambda L, x, w, b: L.group_norm(x, 2, w, b), (r(3, 4, 5), r(4), r(4))),
    ("rms_norm", lambda L, x, w: L.rms_norm(x, [5], w), (r(3, 5), r(5))),
    ("batch_norm", lambda L, x, w, b: L.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
     (r(6, 4), r(4), r(4))),
    ("batch_norm_eval", lambda L, x, w, b: L.batch_norm(
        x, w, b, L.zeros(4, dtype=L.float64), L.ones(4, dtype=L.float64) * 2, False, 0.1,
        1e-5, False), (r(6, 4), r(4), r(4))),
    ("instance_norm", lambda L, x: L.instance_norm(x, None, None, None, None, True, 0.1, 1e-5,
                                                   False), (r(2, 3, 6),)),
    ("max_pool1d", lambda L, x: L.max_pool1d(x, 3), (r(2, 3, 9),)),
    ("max_pool1d_stride", lambda L, x: L.max_pool1d(x, 3, 1, 1), (r(2, 3, 9),)),
    ("max_pool2d", lambda L, x: L.max_pool2d(x, 2), (r(2, 3, 6, 6),)),
    ("max_pool1d_with_indices", lambda L, x: L.max_pool1d_with_indices(x, 2), (r(2, 3, 8),)),
    ("avg_pool1d", lambda L, x: L.avg_pool1d(x, 3, 2, 1, False, False), (r(2, 3, 9),)),
    ("adaptive_avg_pool1d", lambda L, x: L.adaptive_avg_pool1d(x, 4), (r(2, 3, 9),)),
    ("pixel_shuffle", lambda L, x: L.pixel_shuffle(x, 2), (r(1, 8, 3, 3),)),
    ("pixel_unshuffle", lambda L, x: L.pixel_unshuffle(x, 2), (r(1, 2, 4, 4),)),
    ("cosine_similarity", lambda L, x, y: L.cosine_similarity(x, y), (r(3, 5), r(3, 5))),
    ("pairwise_distance", lambda L, x, y: L.pairwise_distance(x, y), (r(3, 5), r(3, 5))),
    ("pdist", lambda L, x: L.pdist(x), (r(5, 3),)),
    ("bilinear", lambda L, x, y, w, b: L.bilinear(x, y, w, b), (r(3, 2), r(3, 4), r(5, 2, 4),
                                                                r(5))),
    ("channel_shuffle", lambda L, x: L.channel_shuffle(x, 3), (r(2, 6, 2),)),
    ("constant_pad_nd", lambda L, x: L.constant_pad_nd(x, (1, 2), 1.5), (r(2, 3),)),
    ("constant_pad_nd_2d", lambda L, x: L.constant_pad_nd(x, [1, 2, 0, 1]), (r(2, 3),)),
    ("dropout_eval", lambda L, x: L.dropout(x, 0.5, False), (r(2, 3),)),
    ("dropout_p1", lambda L, x: L.dropout(x, 1.0, True), (r(2, 3),)),
    ("alpha_dropout_eval", lambda L, x: L.alpha_dropout(x, 0.5, False), (r(2, 3),)),
    ("alpha_dropout_p1", lambda L, x: L.alpha_dropout(x, 1.0, True), (r(2, 3),)),
    ("feature_dropout_p1", lambda L, x: L.feature_dropout(x, 1.0, True), (r(2, 3),)),
    ("feature_alpha_dropout_p1", lambda L, x: L.feature_alpha_dropout(x, 1.0, True), (r(2, 3),)),
]


@pytest.mark.parametrize("name,fn,args", NN, ids=[n[0] for n in NN])
def test_top_level_nn_spellings(name, fn, args):
    compare(fn, *args, rtol=1e-6, atol=1e-6)


def test_top_level_dropout_statistics_and_inplace():
    y = ember.feature_dropout(ember.ones(40, 10, 6), 0.3, True).numpy()
    assert np.all((y == 0).all(2) | np.isclose(y, 1 / 0.7).all(2))  # whole channels
    assert abs((y[:, :, 0] == 0).mean() - 0.3) < 0.08
    z = ember.ones(1000)
    assert ember.dropout_(z, 0.5, True) is z and abs((z.numpy() == 0).mean() - 0.5) < 0.06
    same_error(lambda L, a: L.feature_dropout(a, 0.5, True), r(3))
    same_error(lambda L, a: L.constant_pad_nd(a, (1, 2, 3)), r(3))
