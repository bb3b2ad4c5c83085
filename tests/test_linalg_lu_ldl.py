"""torch.linalg.ldl_factor / ldl_factor_ex / ldl_solve against PyTorch 2.13 (LAPACK's
Bunch-Kaufman sytrf/sytrs): LD, pivots (1x1 and 2x2 blocks) and info on random, symmetric,
zero-diagonal, integer-valued and singular matrices, batches, solves with broadcasting, the
missing derivatives, and errors."""

import numpy as np
import pytest
import torch

import ember
from test_linalg_lu import first_line

EL, TL = ember.linalg, torch.linalg
RNG = np.random.default_rng(11)


def matrices():
    out = []
    for trial in range(60):
        n = int(RNG.integers(1, 8))
        a = RNG.standard_normal((n, n))
        if trial % 3 == 0:
            a = a + a.T
        if trial % 4 == 0:
            a[np.diag_indices(n)] = 0  # forces 2x2 blocks
        if trial % 5 == 0:
            a = np.round(a)
        out.append(a)
    return out + [np.zeros((3, 3)), np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]]),
                  np.array([[1.0, np.nan], [np.nan, 1.0]]), np.zeros((0, 0))]


def same(e, t, tol=1e-10):
    assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("hermitian", [False, True])
def test_factor_and_solve_match_torch(hermitian):
    for a in matrices():
        e = EL.ldl_factor_ex(ember.tensor(a), hermitian=hermitian)
        t = TL.ldl_factor_ex(torch.tensor(a), hermitian=hermitian)
        same(e.LD, t.LD)
        np.testing.assert_array_equal(e.pivots.numpy(), t.pivots.numpy())
        np.testing.assert_array_equal(e.info.numpy(), t.info.numpy())
        if t.info.item() == 0 and a.size and not np.isnan(a).any():
            b = RNG.standard_normal((a.shape[0], 2))
            same(EL.ldl_solve(e.LD, e.pivots, ember.tensor(b), hermitian=hermitian),
                 TL.ldl_solve(t.LD, t.pivots, torch.tensor(b), hermitian=hermitian), 1e-8)


def test_batches_float32_and_large_matrices():
    a = RNG.standard_normal((2, 3, 5, 5)).astype(np.float32)
    e, t = EL.ldl_factor(ember.tensor(a)), TL.ldl_factor(torch.tensor(a))
    assert repr(e).startswith("torch.return_types.linalg_ldl_factor(")
    same(e.LD, t.LD, 1e-5)
    np.testing.assert_array_equal(e.pivots.numpy(), t.pivots.numpy())
    b = RNG.standard_normal((2, 3, 5, 2)).astype(np.float32)
    same(EL.ldl_solve(*e, ember.tensor(b)), TL.ldl_solve(*t, torch.tensor(b)), 1e-3)
    # batch dims broadcast (PyTorch 2.13 crashes with a segmentation fault on this one)
    b = RNG.standard_normal((4, 1, 1, 5, 2)).astype(np.float32)
    x = EL.ldl_solve(*e, ember.tensor(b)).numpy()
    sym = np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)
    np.testing.assert_allclose(np.linalg.solve(sym, b), x, rtol=1e-3, atol=1e-3)
    big = RNG.standard_normal((90, 90))
    big = big + big.T  # past LAPACK's block size: the blocked dsytrf, same pivots
    e, t = EL.ldl_factor(ember.tensor(big)), TL.ldl_factor(torch.tensor(big))
    np.testing.assert_array_equal(e.pivots.numpy(), t.pivots.numpy())
    same(e.LD, t.LD, 1e-9)
    x = EL.ldl_solve(*e, ember.tensor(big[:, :3]))
    np.testing.assert_allclose(big @ x.numpy(), big[:, :3], atol=1e-9)


def test_no_derivative():
    def factor(L):
        a = L.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
        L.linalg.ldl_factor(a).LD.sum().backward()

    def solve(L):
        ld, piv = L.linalg.ldl_factor(L.tensor([[2.0, 1.0], [1.0, 3.0]]))
        L.linalg.ldl_solve(ld, piv, L.ones(2, 1, requires_grad=True)).sum().backward()

    for case in (factor, solve):
        assert first_line(lambda: case(ember)) == first_line(lambda: case(torch))
    a = ember.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    assert EL.ldl_factor(a).LD.grad_fn.name() == "NotImplemented"


def test_singular_raises():
    """PyTorch 2.13 fails with an internal assert ("Unknown error code: 1"); ember says why."""
    with pytest.raises(EL.LinAlgError, match=r"D\[1,1\] is zero"):
        EL.ldl_factor(ember.zeros(3, 3))
    with pytest.raises(EL.LinAlgError, match=r"\(Batch element 1\): .*D\[1,1\] is zero"):
        EL.ldl_factor_ex(ember.stack([ember.eye(2), ember.zeros(2, 2)]), check_errors=True)


FACTOR_ERRORS = [
    lambda L: L.linalg.ldl_factor(L.ones(3, 3, dtype=L.int64)),
    lambda L: L.linalg.ldl_factor(L.ones(3, 3, dtype=L.bool)),
    lambda L: L.linalg.ldl_factor(L.ones(3, 3, dtype=L.float16)),
    lambda L: L.linalg.ldl_factor(L.ones(3)),
    lambda L: L.linalg.ldl_factor(L.ones(3, dtype=L.int64)),
    lambda L: L.linalg.ldl_factor(L.ones(3, 4)),
    lambda L: L.linalg.ldl_factor(L.ones(3, 4, dtype=L.int64)),
    lambda L: L.linalg.ldl_factor_ex(L.ones(3, 4, dtype=L.float16)),
]

SOLVE_ERRORS = [
    lambda L, ld, p: L.linalg.ldl_solve(ld, p.float(), L.ones(4, 2)),
    lambda L, ld, p: L.linalg.ldl_solve(ld, p[:3].float(), L.ones(4, 2)),
    lambda L, ld, p: L.linalg.ldl_solve(ld, p[:3], L.ones(3, 2)),
    lambda L, ld, p: L.linalg.ldl_solve(ld, p, L.ones(4)),
    lambda L, ld, p: L.linalg.ldl_solve(ld, p, L.tensor(1.0)),
    lambda L, ld, p: L.linalg.ldl_solve(ld, p, L.ones(4, 2, dtype=L.float64)),
    lambda L, ld, p: L.linalg.ldl_solve(ld, p, L.ones(3, 2, dtype=L.float64)),
    lambda L, ld, p: L.linalg.ldl_solve(ld.long(), p, L.ones(3)),
    lambda L, ld, p: L.linalg.ldl_solve(ld[0], p, L.ones(4, 2)),
    lambda L, ld, p: L.linalg.ldl_solve(ld[:3], p, L.ones(4, 2)),
    lambda L, ld, p: L.linalg.ldl_solve(ld, p * 0, L.ones(4, 2)),
    lambda L, ld, p: L.linalg.ldl_solve(ld, p * 0 - 9, L.ones(4, 2)),
    lambda L, ld, p: L.linalg.ldl_solve(ld.half(), p * 0 + 9, L.ones(4, 2, dtype=L.float16)),
    lambda L, ld, p: L.linalg.ldl_solve(ld.half(), p, L.ones(4, 2, dtype=L.float16)),
    lambda L, ld, p: L.linalg.ldl_solve(L.stack([ld, ld]), L.stack([p, p]), L.ones(3, 4, 2)),
]


@pytest.mark.parametrize("case", FACTOR_ERRORS)
def test_factor_errors(case):
    t = first_line(lambda: case(torch))
    assert t is not None and first_line(lambda: case(ember)) == t


@pytest.mark.parametrize("case", SOLVE_ERRORS)
def test_solve_errors(case):
    a = RNG.standard_normal((4, 4)).astype(np.float32)
    a = a + a.T
    t_ld, t_p = TL.ldl_factor(torch.tensor(a))
    e_ld, e_p = EL.ldl_factor(ember.tensor(a))
    t = first_line(lambda: case(torch, t_ld, t_p))
    assert t is not None and first_line(lambda: case(ember, e_ld, e_p)) == t


def test_pivots_of_other_integer_dtypes():
    a = RNG.standard_normal((4, 4))
    a = a + a.T
    for L in (torch, ember):
        ld, p = L.linalg.ldl_factor(L.tensor(a))
        x = L.linalg.ldl_solve(ld, p.to(L.int16), L.tensor(a[:, :1]))
        np.testing.assert_allclose(x.numpy()[:, 0], np.eye(4)[:, 0], atol=1e-10)
