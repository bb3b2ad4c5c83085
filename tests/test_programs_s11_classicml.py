"""Session 11, classic machine learning in PyTorch tensors (logistic/softmax regression with
LBFGS, k-means, PCA, Gaussian processes, mixtures, Bayesian regression, linear-algebra
utilities) and the mistakes made typing them, run on ember and compared live with torch."""

import numpy as np
import torch
from torch_compare import seeded, same as _same

import ember


# ---- kthvalue: which of tied entries' index (PyTorch's quickselect, not a stable sort) ----

def test_kthvalue_picks_the_same_index_among_ties():
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 4, (40, 23)).astype(np.float32)
    rows[::7, 3] = np.nan
    for k in (1, 2, 7, 12, 23):
        _same(lambda L: [t.nan_to_num(9.0).tolist()
                         for t in L.kthvalue(L.from_numpy(rows), k, dim=1)])
        _same(lambda L: L.kthvalue(L.from_numpy(rows[:6].T.copy()), k % 6 + 1, 0)
              .indices.tolist())
    _same(lambda L: L.kthvalue(L.tensor([2., 1., 2., 0., 1.]), 2).indices.item())
    _same(lambda L: L.kthvalue(L.tensor([[3, 1, 1, 2, 1]]), 1, keepdim=True).indices.tolist())


# ---- torch.linalg.lstsq: PyTorch's checks, in its order ---------------------------------

def test_lstsq_refuses_bad_inputs_like_pytorch():
    cases = [lambda L: L.linalg.lstsq(L.ones(3, 2, dtype=L.long), L.ones(3, 1, dtype=L.long)),
             lambda L: L.linalg.lstsq(L.ones(3, 2), L.ones(3, 1, dtype=L.long)),
             lambda L: L.linalg.lstsq(L.ones(3, 2, dtype=L.float64), L.ones(3, 1)),
             lambda L: L.linalg.lstsq(L.ones(3), L.ones(3, 1)),
             lambda L: L.linalg.lstsq(L.ones(3, 2), L.ones(3)[0]),
             lambda L: L.linalg.lstsq(L.ones(3, 2, dtype=L.long), L.ones(3, 1, dtype=L.long),
                                      driver="bad"),
             lambda L: L.linalg.lstsq(L.ones(3, 2, dtype=L.long), L.ones(4, 1, dtype=L.long))]
    for case in cases:
        _same(case)


# ---- torch.cov: correction is an int argument -------------------------------------------

def test_cov_correction_must_be_an_int():
    for c in (0.5, 2.0, True, None, "a"):
        _same(lambda L: L.cov(L.ones(2, 3), correction=c))
    _same(lambda L: L.cov(L.ones(2, 3), correction=L.tensor(1.0)))
    _same(lambda L: L.cov(L.tensor([[1., 3, 1, 3], [0, 2, 2, 0]]),
                          correction=L.tensor(0)).tolist())
    _same(lambda L: L.cov(L.tensor([[1., 3, 1, 3], [0, 2, 2, 0]]),
                          correction=np.int64(0)).tolist())


# ---- cholesky_solve: dtype, size and batch checks before solving -------------------------

def test_cholesky_solve_mistakes_raise_pytorchs_errors():
    for case in (lambda L: L.cholesky_solve(L.ones(3, 1), L.eye(2)),
                 lambda L: L.cholesky_solve(L.ones(2, 3, 1), L.eye(2)),
                 lambda L: L.cholesky_solve(L.ones(2, 1, dtype=L.long), L.eye(2)),
                 lambda L: L.cholesky_solve(L.ones(2, 1), L.eye(2, dtype=L.float64)),
                 lambda L: L.cholesky_solve(L.ones(3, 2, dtype=L.long), L.ones(2, 3)),
                 lambda L: L.cholesky_solve(L.ones(2, 1, dtype=L.long), L.eye(2, dtype=L.long)),
                 lambda L: L.cholesky_solve(L.ones(3, 2, 2), L.ones(2, 2, 2))):
        _same(case)
    _same(lambda L: L.cholesky_solve(L.ones(3, 2, 1), 2 * L.eye(2).expand(1, 2, 2)).tolist())


# ---- linalg.svd(driver=...): a cuSOLVER option refused on CPU ----------------------------

def test_svd_driver_is_refused_on_cpu_tensors():
    for case in (lambda L: L.linalg.svd(L.eye(2), driver="gesvd"),
                 lambda L: L.linalg.svd(L.eye(2), full_matrices=False, driver="gesvdj"),
                 lambda L: L.linalg.svdvals(L.eye(2), driver="gesvd"),
                 lambda L: L.linalg.svd(L.eye(2, dtype=L.long), driver="gesvd"),
                 lambda L: L.linalg.svd(L.ones(2), driver="gesvd")):
        _same(case)
    _same(lambda L: L.linalg.svdvals(L.eye(2), driver=None).tolist())


# ---- pca_lowrank / svd_lowrank: PyTorch's randomized algorithm and random stream ---------

def _lowrank(L):
    A = seeded(L, (12, 7))
    L.manual_seed(0)
    S1 = L.pca_lowrank(A, q=3)[1]
    after = L.randn(3)  # the generator moved as PyTorch's did
    S2 = L.svd_lowrank(A.T, q=4, niter=1)[1]
    U, S3, V = L.svd_lowrank(A.double(), q=5, M=A.double().mean(0, keepdim=True))
    U4, S4, V4 = L.svd_lowrank(L.stack([A, 2 * A]), q=2, niter=0)
    return S1, after, S2, S3, S4, U, V, U4, V4


def test_lowrank_svd_follows_pytorchs_randomized_range_finder():
    want, got = _lowrank(torch), _lowrank(ember)
    for t, e in zip(want[:5], got[:5]):
        assert str(t.dtype) == str(e.dtype) and t.shape == e.shape
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=2e-5, atol=1e-6)
    for t, e in zip(want[5:], got[5:]):  # singular vectors up to LAPACK's choice of sign
        assert tuple(t.shape) == tuple(e.shape)
        np.testing.assert_allclose(np.abs(e.numpy()), np.abs(t.numpy()), atol=1e-5)
    _same(lambda L: L.pca_lowrank(L.ones(4, 3), niter=-1))


# ---- half-precision matrices: PyTorch's refusal, or its CPU kernel's ----------------------

def test_half_precision_linalg_errors_name_pytorchs_kernels():
    for case in (lambda L, h: L.linalg.inv(h), lambda L, h: L.inverse(h),
                 lambda L, h: L.linalg.det(h), lambda L, h: L.linalg.solve(h, h),
                 lambda L, h: L.linalg.cholesky(h), lambda L, h: L.linalg.svd(h),
                 lambda L, h: L.linalg.svdvals(h), lambda L, h: L.linalg.qr(h),
                 lambda L, h: L.logdet(h), lambda L, h: L.linalg.slogdet(h),
                 lambda L, h: L.cholesky_inverse(h), lambda L, h: L.linalg.matrix_norm(h, 2)):
        _same(lambda L: case(L, L.tensor([[1., -2], [3, 4]], dtype=L.float16)))
    for o in ("fro", 1, -1, float("inf")):  # no SVD: computed in half
        _same(lambda L: L.linalg.matrix_norm(L.tensor([[1., -2], [3, 4]], dtype=L.float16),
                                             o).item())


def test_vector_norm_ord_must_be_a_number():
    for o in ("fro", "2", None):
        _same(lambda L: L.linalg.vector_norm(L.ones(2), ord=o))
    _same(lambda L: L.linalg.norm(L.ones(2, 2), "fro", dim=0))


# ---- argument mistakes: tril_indices(n), quantile([...]), cdist(compute_mode=...) --------

def test_missing_and_mistyped_arguments_are_refused_like_pytorch():
    for case in (lambda L: L.tril_indices(3), lambda L: L.triu_indices(3),
                 lambda L: L.tril_indices(),
                 lambda L: L.quantile(L.tensor([1., 2.]), [0.5]),
                 lambda L: L.quantile(L.tensor([1., 2.]), (0.25, 0.75)),
                 lambda L: L.nanquantile(L.tensor([1., 2.]), [0.5]),
                 lambda L: L.cdist(L.ones(2, 2), L.ones(3, 2), compute_mode="bad"),
                 lambda L: L.cdist(L.ones(2), L.ones(3, 2), compute_mode="mm")):
        _same(case)
    for mode in ("use_mm_for_euclid_dist_if_necessary", "donot_use_mm_for_euclid_dist"):
        _same(lambda L: L.cdist(L.eye(2), L.ones(1, 2), compute_mode=mode).tolist())


# ---- torch.histogramdd ------------------------------------------------------------------

def test_histogramdd_bins_points_like_pytorch():
    def run(L, **kw):
        r = L.histogramdd(seeded(L, (60, 2)), **kw)
        return r.hist.tolist(), [e.tolist() for e in r.bin_edges], type(r.bin_edges).__name__
    for kw in ({"bins": 3}, {"bins": [2, 4], "range": [-1., 1., -2., 2.]},
               {"bins": (3, 2), "density": True}):
        want, got = run(torch, **kw), run(ember, **kw)
        np.testing.assert_allclose(np.array(got[0]), np.array(want[0]), rtol=1e-6)
        for g, w in zip(got[1], want[1]):
            np.testing.assert_allclose(g, w, rtol=1e-6)
        assert got[2] == want[2]
    _same(lambda L: L.histogramdd(L.tensor([[0.1, 0.5], [0.9, 0.2], [0.5, 0.5]]),
                                  bins=[L.tensor([0., .5, 1.]), L.tensor([0., 1.])],
                                  weight=L.tensor([1., 2., 4.])).hist.tolist())
    _same(lambda L: L.histogramdd(L.ones(4, 2), bins=2).bin_edges[0].tolist())
    for case in (lambda L: L.histogramdd(L.ones(4, 2), bins=[2, 2, 2]),
                 lambda L: L.histogramdd(L.ones(4, 2), bins=2, range=[0., 1.]),
                 lambda L: L.histogramdd(L.ones(4, 2, dtype=L.long), bins=2),
                 lambda L: L.histogramdd(L.ones(4), bins=[2]),
                 lambda L: L.histogramdd(L.ones(4, 2), bins=2, range=[1., 0., 0., 1.])):
        _same(case)
    _same(lambda L: L.histogramdd(L.ones(4, 2), L.tensor([0., 1., 2.])))
    _same(lambda L: L.histogramdd(L.ones(4, 2)))


def test_histogramdd_of_a_grad_input_records_no_derivative():
    def run(L, bins):
        r = L.histogramdd(seeded(L, (5, 2), grad=True), bins=bins)
        r.hist.sum().backward()
    _same(lambda L: run(L, 2))
    _same(lambda L: run(L, [L.tensor([0., 1.]), L.tensor([-1., 1.])]))


# ---- int inputs and node names of the GP / regression toolkit ----------------------------

def test_int_inputs_to_vecdot_matrix_exp_and_cholesky_inverse_are_refused():
    for case in (lambda L: L.linalg.vecdot(L.tensor([1, 2]), L.tensor([3, 4])),
                 lambda L: L.linalg.vecdot(L.tensor([True]), L.tensor([True])),
                 lambda L: L.linalg.matrix_exp(L.eye(2, dtype=L.long)),
                 lambda L: L.matrix_exp(L.ones(2, 3, dtype=L.long)),
                 lambda L: L.cholesky_inverse(L.eye(2, dtype=L.long)),
                 lambda L: L.cholesky_inverse(L.ones(2, 2, dtype=L.bool)),
                 lambda L: L.cholesky_inverse(L.ones(2, 3, dtype=L.long))):
        _same(case)
    _same(lambda L: L.linalg.vecdot(L.tensor([1., 2], dtype=L.float16),
                                    L.tensor([3., 4], dtype=L.float16)).item())


def _node(t):
    return type(t.grad_fn).__name__


def test_gp_and_regression_outputs_show_pytorchs_grad_fn():
    def run(L):
        L1 = (2 * L.eye(3)).requires_grad_()
        x = seeded(L, (5, 2), grad=True)
        big = seeded(L, (30, 2), seed=1, grad=True)
        names = [_node(L.cholesky_solve(L.ones(3, 1), L1)),
                 _node(L.cholesky_inverse(L1)), _node(L.cholesky_inverse(L1, upper=True))]
        r = L.linalg.lstsq(x, L.ones(5, 1))
        w = L.linalg.lstsq(x.T, L.ones(2, 1))
        names += [_node(r.solution), _node(r.residuals), _node(w.residuals),
                  tuple(w.residuals.shape)]
        for p in (2.0, 1.0):
            for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist",
                         "use_mm_for_euclid_dist_if_necessary"):
                names += [_node(L.cdist(x, x, p, mode)), _node(L.cdist(big, x, p, mode))]
            names += [_node(L.cdist(x, x.detach(), p)), _node(L.cdist(x, big, p))]
        v = seeded(L, (3, 4), grad=True)
        names += [_node(L.sort(v)[0]), _node(L.sort(v, stable=False)[0]),
                  _node(v.sort(stable=True)[0]), _node(L.sort(v, 0, True)[0])]
        for kw in ({}, {"dim": 1}, {"dim": 1, "keepdim": True}, {"keepdim": True}):
            q = L.quantile(v, 0.3, **kw)
            names += [_node(q), tuple(q.shape), _node(L.nanquantile(v, L.tensor([.2, .6]), **kw))]
        return names
    _same(run)


def test_lstsq_and_quantile_gradients_unchanged_by_their_nodes():
    def run(L):
        A = seeded(L, (5, 3), grad=True, dtype=np.float64)
        r = L.linalg.lstsq(A, L.ones(5, 2, dtype=L.float64), driver="gelsd")
        (r.solution.sum() + r.residuals.sum()).backward()
        v = seeded(L, (3, 4), seed=2, grad=True, dtype=np.float64)
        L.quantile(v, L.tensor([0.25, 0.6], dtype=L.float64), dim=1, keepdim=True).sum().backward()
        return np.round(A.grad.numpy(), 10).tolist(), np.round(v.grad.numpy(), 10).tolist()
    _same(run)
