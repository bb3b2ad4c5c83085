"""torch.linalg's inverses, solvers, factorizations and norms against PyTorch 2.13: values
(invariants where signs are not unique), gradients (vs torch and float64 finite
differences, gauge-invariant losses for qr/eigh/svd), double backward, batching, errors."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

EL, TL = ember.linalg, torch.linalg
RNG = np.random.default_rng(0)


def arr(*shape, spd=False, dtype=np.float64):
    a = RNG.standard_normal(shape)
    if spd:
        a = a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])
    return a.astype(dtype)


def pair(a, grad=True):
    return (ember.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad))


def close(e, t, tol=1e-9):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def same_grads(fe, ft, *arrays, tol=1e-8):
    es = [ember.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    close(fe(*es), ft(*ts), tol)
    fe(*es).sum().backward()
    ft(*ts).sum().backward()
    for e, t in zip(es, ts):
        close(e.grad, t.grad, tol)


def first_line(fn):
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - compared by type and message
        linalg_error = isinstance(err, (torch.linalg.LinAlgError, EL.LinAlgError))
        return ("LinAlgError" if linalg_error else type(err).__name__), str(err).split("\n")[0]
    return None


def same_error(fe, ft):
    e, t = first_line(fe), first_line(ft)
    assert t is not None
    assert e == t


def sym(x, lib):
    return (x + x.mT) / 2


# ---- inv, det, slogdet, logdet ----

@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 2, 2)])
def test_inv_det_slogdet(shape):
    a = arr(*shape)
    same_grads(EL.inv, TL.inv, a)
    same_grads(EL.det, TL.det, a)
    same_grads(lambda x: EL.slogdet(x).logabsdet, lambda x: TL.slogdet(x).logabsdet, a)
    close(EL.slogdet(ember.tensor(a)).sign, TL.slogdet(torch.tensor(a)).sign)
    same_grads(lambda x: x.inverse() * 2, lambda x: x.inverse() * 2, a)
    same_grads(ember.det, torch.det, a)
    s = arr(*shape, spd=True)
    same_grads(ember.logdet, torch.logdet, s)
    assert gradcheck(EL.inv, (ember.tensor(a, requires_grad=True),))
    assert gradgradcheck(EL.det, (ember.tensor(a, requires_grad=True),))
    assert gradgradcheck(EL.inv, (ember.tensor(a, requires_grad=True),))


def test_float32_and_singular_det_grad():
    a = arr(2, 3, 3, dtype=np.float32)
    e, t = EL.inv(ember.tensor(a)), TL.inv(torch.tensor(a))
    assert e.dtype == ember.float32
    close(e, t, 1e-4)
    # PyTorch 2.13 returns a zero gradient at a singular matrix; ember the adjugate (the true
    # derivative), checked against finite differences
    for sing in (np.array([[1., 2.], [2., 4.]]), np.diag([1., 0., 2.])):
        x = ember.tensor(sing, requires_grad=True)
        EL.det(x).backward()
        adj = np.array([[4., -2.], [-2., 1.]]) if len(sing) == 2 else np.diag([0., 2., 0.])
        np.testing.assert_allclose(x.grad.numpy(), adj, atol=1e-12)
        assert gradcheck(EL.det, (ember.tensor(sing, requires_grad=True),))
    close(ember.logdet(ember.tensor(-np.eye(2) * 2 + np.diag([0, 4.]))),
          torch.logdet(torch.tensor(-np.eye(2) * 2 + np.diag([0, 4.]))))


def test_inv_errors():
    sing = np.array([[1., 2., 3.], [2., 4., 6.], [1., 0., 1.]])
    same_error(lambda: EL.inv(ember.tensor(sing)), lambda: TL.inv(torch.tensor(sing)))
    batch = np.stack([np.eye(3), sing])
    same_error(lambda: EL.inv(ember.tensor(batch)), lambda: TL.inv(torch.tensor(batch)))
    assert isinstance(first_line(lambda: EL.inv(ember.tensor(sing))), tuple)
    with pytest.raises(EL.LinAlgError):
        EL.inv(ember.tensor(sing))
    with pytest.raises(RuntimeError):
        EL.inv(ember.tensor(sing))
    for f in ("inv", "det", "slogdet", "cholesky", "svd", "qr", "matrix_norm"):
        for x in (np.eye(3, dtype=np.int64), np.ones(3), np.ones((2, 3))):
            if x.shape == (2, 3) and f in ("svd", "qr", "matrix_norm"):
                continue
            same_error(lambda: getattr(EL, f)(ember.tensor(x)),
                       lambda: getattr(TL, f)(torch.tensor(x)))
    for f in ("eigh", "eigvalsh", "pinv", "matrix_rank", "inv_ex", "cholesky_ex"):
        for x in (np.eye(3, dtype=np.int64), np.ones(3)):
            same_error(lambda: getattr(EL, f)(ember.tensor(x)),
                       lambda: getattr(TL, f)(torch.tensor(x)))


def test_inv_ex_cholesky_ex():
    sing = np.stack([np.eye(3) * 2, np.diag([1., 1., 0.])])
    e, t = EL.inv_ex(ember.tensor(sing)), TL.inv_ex(torch.tensor(sing))
    close(e.info, t.info)
    assert e.info.dtype == ember.int32
    close(e.inverse[0], t.inverse[0])
    npd = np.stack([np.eye(2), [[1., 2.], [2., 1.]]])
    e, t = EL.cholesky_ex(ember.tensor(npd)), TL.cholesky_ex(torch.tensor(npd))
    close(e.info, t.info)
    close(e.L, t.L)
    same_error(lambda: EL.cholesky_ex(ember.tensor(npd), check_errors=True),
               lambda: TL.cholesky_ex(torch.tensor(npd), check_errors=True))
    s = arr(3, 3, spd=True)
    same_grads(lambda x: EL.cholesky_ex(x).L, lambda x: TL.cholesky_ex(x).L, s)


# ---- solve, solve_triangular, cholesky ----

@pytest.mark.parametrize("sa,sb", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3, 4)),
                                   ((2, 3, 3), (2, 3)), ((1, 3, 3), (4, 3, 2)),
                                   ((2, 3, 3), (3,))])
def test_solve(sa, sb):
    a, b = arr(*sa) + 3 * np.eye(sa[-1]), arr(*sb)
    same_grads(EL.solve, TL.solve, a, b)
    if len(sb) >= 2 and sb != sa[:-1]:
        bt = np.swapaxes(b, -1, -2).copy()
        same_grads(lambda x, y: EL.solve(x, y, left=False),
                   lambda x, y: TL.solve(x, y, left=False), a, bt)
    assert gradgradcheck(EL.solve, (ember.tensor(a, requires_grad=True),
                                    ember.tensor(b, requires_grad=True)))


def test_solve_errors():
    a = ember.tensor(np.eye(3, dtype=np.float32))
    ta = torch.eye(3)
    same_error(lambda: EL.solve(a, ember.ones(4)), lambda: TL.solve(ta, torch.ones(4)))
    same_error(lambda: EL.solve(a, ember.ones(4, 2)), lambda: TL.solve(ta, torch.ones(4, 2)))
    same_error(lambda: EL.solve(a, ember.ones(3), left=False),
               lambda: TL.solve(ta, torch.ones(3), left=False))
    same_error(lambda: EL.solve(a, ember.ones(3, dtype=ember.float64)),
               lambda: TL.solve(ta, torch.ones(3, dtype=torch.float64)))
    same_error(lambda: EL.solve(ember.ones(2, 3), ember.ones(2)),
               lambda: TL.solve(torch.ones(2, 3), torch.ones(2)))
    sing = np.stack([np.eye(3), np.diag([1., 1., 0.])])
    same_error(lambda: EL.solve(ember.tensor(sing), ember.ones(3, dtype=ember.float64)),
               lambda: TL.solve(torch.tensor(sing), torch.ones(3, dtype=torch.float64)))
    same_error(lambda: EL.solve_triangular(a, ember.ones(3), upper=True),
               lambda: TL.solve_triangular(ta, torch.ones(3), upper=True))
    same_error(lambda: EL.solve_triangular(a, ember.ones(4, 2), upper=True),
               lambda: TL.solve_triangular(ta, torch.ones(4, 2), upper=True))
    li, tli = ember.eye(3, dtype=ember.int64), torch.eye(3, dtype=torch.long)
    same_error(lambda: EL.solve_triangular(li, li, upper=True),
               lambda: TL.solve_triangular(tli, tli, upper=True))


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(upper, left, unit):
    a = arr(2, 3, 3) + 3 * np.eye(3)
    b = arr(2, 3, 2) if left else arr(2, 2, 3)
    kw = dict(upper=upper, left=left, unitriangular=unit)
    same_grads(lambda x, y: EL.solve_triangular(x, y, **kw),
               lambda x, y: TL.solve_triangular(x, y, **kw), a, b)
    assert gradgradcheck(lambda x, y: EL.solve_triangular(x, y, **kw),
                         (ember.tensor(a, requires_grad=True),
                          ember.tensor(b, requires_grad=True)))


def test_solve_triangular_singular_gives_inf_like_torch():
    a = np.array([[1., 0.], [1., 0.]])
    b = np.ones((2, 1))
    e = EL.solve_triangular(ember.tensor(a), ember.tensor(b), upper=False)
    t = TL.solve_triangular(torch.tensor(a), torch.tensor(b), upper=False)
    np.testing.assert_array_equal(np.isfinite(e.numpy()), np.isfinite(t.numpy()))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper):
    s = arr(2, 4, 4, spd=True)
    same_grads(lambda x: EL.cholesky(x, upper=upper), lambda x: TL.cholesky(x, upper=upper), s)
    f = lambda x: EL.cholesky(sym(x, ember), upper=upper)  # noqa: E731
    assert gradcheck(f, (ember.tensor(s, requires_grad=True),))
    assert gradgradcheck(f, (ember.tensor(s, requires_grad=True),))
    s32 = s.astype(np.float32)
    close(EL.cholesky(ember.tensor(s32)), TL.cholesky(torch.tensor(s32)), 1e-5)


def test_cholesky_error_and_solve_inverse():
    npd = np.stack([np.eye(2), [[1., 2.], [2., 1.]]])
    same_error(lambda: EL.cholesky(ember.tensor(npd)), lambda: TL.cholesky(torch.tensor(npd)))
    same_error(lambda: EL.cholesky(ember.tensor(npd[1])),
               lambda: TL.cholesky(torch.tensor(npd[1])))
    low = np.linalg.cholesky(arr(3, 3, spd=True))
    b = arr(3, 2)
    for upper in (False, True):
        fac = low.T.copy() if upper else low
        same_grads(lambda x, y: ember.cholesky_solve(x, y, upper),
                   lambda x, y: torch.cholesky_solve(x, y, upper), b, fac)
        same_grads(lambda y: ember.cholesky_inverse(y, upper),
                   lambda y: torch.cholesky_inverse(y, upper), fac)
        same_grads(lambda y: y.cholesky_inverse(upper), lambda y: y.cholesky_inverse(upper), fac)


# ---- eigh, svd, qr ----

def test_eigh_values_and_grads():
    for uplo in ("L", "U"):
        a = arr(2, 4, 4)
        e, t = EL.eigh(ember.tensor(a), UPLO=uplo), TL.eigh(torch.tensor(a), UPLO=uplo)
        close(e.eigenvalues, t.eigenvalues)
        ev, tv = e.eigenvectors.numpy(), t.eigenvectors.numpy()
        np.testing.assert_allclose(np.abs((ev * tv).sum(-2)), 1, atol=1e-9)  # up to sign
        close(EL.eigvalsh(ember.tensor(a), UPLO=uplo), TL.eigvalsh(torch.tensor(a), UPLO=uplo))

        def loss(lib):
            def f(x):
                w, v = lib.linalg.eigh(x, UPLO=uplo)
                return (v * v[..., :1, :]).pow(2) * w.unsqueeze(-2) + w.exp().unsqueeze(-1)
            return f
        same_grads(loss(ember), loss(torch), a)
        same_grads(lambda x: EL.eigvalsh(x, UPLO=uplo), lambda x: TL.eigvalsh(x, UPLO=uplo), a)
    s = arr(3, 3)
    f = lambda x: loss(ember)(sym(x, ember))  # noqa: E731
    assert gradcheck(f, (ember.tensor(s, requires_grad=True),))
    assert gradgradcheck(f, (ember.tensor(s, requires_grad=True),))
    # a repeated eigenvalue: the eigenvalues' gradient is still finite, as in PyTorch
    same_grads(EL.eigvalsh, TL.eigvalsh, np.eye(3))
    same_error(lambda: EL.eigh(ember.eye(3), UPLO="X"), lambda: TL.eigh(torch.eye(3), UPLO="X"))


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
@pytest.mark.parametrize("full", [False, True])
def test_svd(shape, full):
    a = arr(*shape)
    u, s, vh = EL.svd(ember.tensor(a), full_matrices=full)
    tu, ts, tvh = TL.svd(torch.tensor(a), full_matrices=full)
    assert u.shape == tu.shape and vh.shape == tvh.shape
    close(s, ts)
    k = min(shape[-2:])
    rebuilt = (u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :]
    np.testing.assert_allclose(rebuilt.numpy(), a, atol=1e-10)

    def loss(lib):
        def f(x):
            u, s, vh = lib.linalg.svd(x, full_matrices=full)
            u, vh = u[..., :k], vh[..., :k, :]
            uu, vv = u @ u.mT, vh.mT @ vh  # projectors: sign-free
            return (uu * uu.sum()).sum() + (vv.pow(3)).sum() + (s.pow(2) * s.cos()).sum()
        return f
    same_grads(loss(ember), loss(torch), a)
    same_grads(EL.svdvals, TL.svdvals, a)
    f = loss(ember)
    assert gradcheck(f, (ember.tensor(a, requires_grad=True),))
    if not full:
        assert gradgradcheck(f, (ember.tensor(a, requires_grad=True),))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 4, 2)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr(shape, mode):
    a = arr(*shape)
    q, r = EL.qr(ember.tensor(a), mode=mode)
    tq, tr = TL.qr(torch.tensor(a), mode=mode)
    assert q.shape == tq.shape and r.shape == tr.shape
    close(r.abs(), tr.abs())
    if mode != "r":
        np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-10)

    def loss(lib):
        def f(x):
            q, r = lib.linalg.qr(x, mode=mode)
            d = r.diagonal(dim1=-2, dim2=-1).sign()  # fix each column's sign
            return (q * d.unsqueeze(-2)).sin().sum() + (r * d.unsqueeze(-1)).pow(2).sum()
        return f
    m, n = shape[-2:]
    if mode == "r" or (mode == "complete" and m > n):
        same_error(lambda: loss(ember)(ember.tensor(a, requires_grad=True)).backward(),
                   lambda: loss(torch)(torch.tensor(a, requires_grad=True)).backward())
        return
    same_grads(loss(ember), loss(torch), a)
    assert gradcheck(loss(ember), (ember.tensor(a, requires_grad=True),))
    assert gradgradcheck(loss(ember), (ember.tensor(a, requires_grad=True),))


def test_decomp_float32():
    a = arr(2, 4, 3, dtype=np.float32)
    close(EL.svdvals(ember.tensor(a)), TL.svdvals(torch.tensor(a)), 1e-5)
    q, r = EL.qr(ember.tensor(a))
    assert q.dtype == ember.float32
    np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-5)
    s = (a @ np.swapaxes(a, -1, -2))
    close(EL.eigvalsh(ember.tensor(s)), TL.eigvalsh(torch.tensor(s)), 1e-4)
    same_error(lambda: EL.qr(ember.eye(2), mode="x"), lambda: TL.qr(torch.eye(2), mode="x"))


# ---- norms, pinv, lstsq, matrix_power, matrix_rank ----

@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf")])
def test_matrix_norm(ord):
    a = arr(2, 3, 4)
    same_grads(lambda x: EL.matrix_norm(x, ord), lambda x: TL.matrix_norm(x, ord), a)
    same_grads(lambda x: EL.matrix_norm(x, ord, dim=(0, 2), keepdim=True),
               lambda x: TL.matrix_norm(x, ord, dim=(0, 2), keepdim=True), a)
    same_grads(lambda x: EL.norm(x[0], ord), lambda x: TL.norm(x[0], ord), a)
    assert gradcheck(lambda x: EL.matrix_norm(x, ord), (ember.tensor(a, requires_grad=True),))


def test_vector_norm_and_norm():
    a = arr(2, 3, 4)
    for ord in (2, 1, 3, float("inf"), 0.5):
        same_grads(lambda x: EL.vector_norm(x, ord, dim=-1),
                   lambda x: TL.vector_norm(x, ord, dim=-1), a)
        same_grads(lambda x: EL.norm(x, ord, dim=1), lambda x: TL.norm(x, ord, dim=1), a)
    same_grads(EL.norm, TL.norm, a)
    same_grads(lambda x: EL.norm(x, dim=(0, 1)), lambda x: TL.norm(x, dim=(0, 1)), a)
    t3 = ember.ones(3, 3, 3)
    same_error(lambda: EL.norm(t3, 2), lambda: TL.norm(torch.ones(3, 3, 3), 2))
    same_error(lambda: EL.norm(ember.ones(3), "fro"), lambda: TL.norm(torch.ones(3), "fro"))
    same_error(lambda: EL.matrix_norm(ember.eye(3), 3), lambda: TL.matrix_norm(torch.eye(3), 3))
    same_error(lambda: EL.vector_norm(ember.ones(3, dtype=ember.int64)),
               lambda: TL.vector_norm(torch.ones(3, dtype=torch.long)))


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
def test_pinv_lstsq(shape):
    a = arr(*shape)
    same_grads(EL.pinv, TL.pinv, a)
    same_grads(ember.pinverse, torch.pinverse, a)
    assert gradgradcheck(EL.pinv, (ember.tensor(a, requires_grad=True),))
    if shape[-2] >= shape[-1]:
        b = arr(*shape[:-1], 2)
        same_grads(lambda x, y: EL.lstsq(x, y).solution,
                   lambda x, y: TL.lstsq(x, y).solution, a, b)
        close(EL.lstsq(ember.tensor(a), ember.tensor(b)).rank,
              TL.lstsq(torch.tensor(a), torch.tensor(b)).rank)


def test_matrix_power_and_rank():
    a = arr(2, 3, 3) + 2 * np.eye(3)
    for n in (0, 1, 2, 5, -1, -3):
        same_grads(lambda x: EL.matrix_power(x, n), lambda x: TL.matrix_power(x, n), a)
        same_grads(lambda x: x.matrix_power(n), lambda x: x.matrix_power(n), a)
    low = arr(3, 2) @ arr(2, 4)
    close(EL.matrix_rank(ember.tensor(low)), TL.matrix_rank(torch.tensor(low)))
    assert EL.matrix_rank(ember.tensor(low)).dtype == ember.int64
    sing = np.diag([1., 1., 0.])
    same_error(lambda: EL.matrix_power(ember.tensor(sing), -1),
               lambda: TL.matrix_power(torch.tensor(sing), -1))
    same_error(lambda: EL.matrix_power(ember.ones(2, 3), 2),
               lambda: TL.matrix_power(torch.ones(2, 3), 2))


def test_return_types_and_names():
    a = arr(3, 3, spd=True)
    e, t = EL.eigh(ember.tensor(a)), TL.eigh(torch.tensor(a))
    assert repr(e).split("(")[0] == repr(t).split("(")[0]
    assert repr(ember.slogdet(ember.tensor(a))).split("(")[0] == \
        repr(torch.slogdet(torch.tensor(a))).split("(")[0]
    for name in ("inv", "det", "cholesky", "pinv"):
        x, tx = pair(a)
        assert type(getattr(EL, name)(x).grad_fn).__name__ == \
            type(getattr(TL, name)(tx).grad_fn).__name__
