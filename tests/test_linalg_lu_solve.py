"""torch.linalg.lu_solve, torch.lu_solve / Tensor.lu_solve and torch.triangular_solve /
Tensor.triangular_solve against PyTorch 2.13: values (left/adjoint, batch broadcasting,
float32), gradients (vs torch, float64 finite differences, double backward), grad_fn names
and errors."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck
from test_linalg_lu import arr, backward_both, close, same_error

EL, TL = ember.linalg, torch.linalg
pytestmark = pytest.mark.filterwarnings("ignore:torch.(lu_solve|triangular_solve) is deprecated")

SOLVE_SHAPES = [((3, 3), (3, 2)), ((2, 4, 4), (4, 3)), ((4, 4), (2, 4, 1)),
                ((2, 1, 3, 3), (4, 3, 2)), ((3, 3), (3, 0))]


def factors(shape, dtype=np.float64):
    lu, piv = TL.lu_factor(torch.tensor(arr(*shape, dtype=dtype)))
    lu = np.ascontiguousarray(lu.numpy())
    return lu, piv.numpy()


@pytest.mark.parametrize("lshape,bshape", SOLVE_SHAPES)
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve_matches_torch(lshape, bshape, left, adjoint):
    lu, piv = factors(lshape)
    b = arr(*(bshape if left else bshape[:-2] + bshape[:-3:-1]))
    e = [ember.tensor(lu, requires_grad=True), ember.tensor(piv), ember.tensor(b,
                                                                               requires_grad=True)]
    t = [torch.tensor(lu, requires_grad=True), torch.tensor(piv), torch.tensor(b,
                                                                               requires_grad=True)]
    ex = EL.lu_solve(*e, left=left, adjoint=adjoint)
    tx = TL.lu_solve(*t, left=left, adjoint=adjoint)
    close(ex, tx, 1e-10)
    assert ex.grad_fn.name() == "LinalgLuSolveBackward0"
    backward_both([ex], [tx])
    close(e[0].grad, t[0].grad, 1e-9)
    close(e[2].grad, t[2].grad, 1e-9)


@pytest.mark.parametrize("left,adjoint", [(True, False), (True, True), (False, False),
                                          (False, True)])
def test_lu_solve_gradcheck_and_double_backward(left, adjoint):
    lu, piv = factors((2, 3, 3))
    b = arr(2, 3, 2) if left else arr(2, 2, 3)
    p = ember.tensor(piv)
    inputs = (ember.tensor(lu, requires_grad=True), ember.tensor(b, requires_grad=True))

    def f(lu_, b_):
        return EL.lu_solve(lu_, p, b_, left=left, adjoint=adjoint)

    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def test_lu_solve_through_the_factorization():
    """d/dA of lu_solve(lu_factor(A), B) is that of solve(A, B)."""
    a, b = arr(3, 3), arr(3, 2)
    ea, ta = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ex = EL.lu_solve(*EL.lu_factor(ea), ember.tensor(b))
    tx = TL.lu_solve(*TL.lu_factor(ta), torch.tensor(b))
    backward_both([ex], [tx])
    close(ea.grad, ta.grad, 1e-9)
    close(ex, EL.solve(ember.tensor(a), ember.tensor(b)), 1e-12)
    assert gradgradcheck(lambda x: EL.lu_solve(*EL.lu_factor(x), ember.tensor(b)),
                         (ember.tensor(a, requires_grad=True),))


def test_float32_and_torch_spellings():
    lu, piv = factors((3, 3), np.float32)
    b = arr(3, 2, dtype=np.float32)
    ex = ember.lu_solve(ember.tensor(b), ember.tensor(lu), ember.tensor(piv))
    tx = torch.lu_solve(torch.tensor(b), torch.tensor(lu), torch.tensor(piv))
    close(ex, tx, 1e-5)
    close(ember.tensor(b).lu_solve(ember.tensor(lu), ember.tensor(piv)), tx, 1e-5)


LU_SOLVE_ERRORS = [
    ("left false bad", lambda L, lu, p: L.linalg.lu_solve(lu, p, L.ones(3, 2), left=False)),
    ("bad rows", lambda L, lu, p: L.linalg.lu_solve(lu, p, L.ones(4, 2))),
    ("vector B", lambda L, lu, p: L.linalg.lu_solve(lu, p, L.ones(3))),
    ("0-d B", lambda L, lu, p: L.linalg.lu_solve(lu, p, L.tensor(1.0))),
    ("batch mismatch", lambda L, lu, p: L.linalg.lu_solve(L.stack([lu, lu]), L.stack([p, p]),
                                                          L.ones(3, 3, 2))),
    ("short pivots", lambda L, lu, p: L.linalg.lu_solve(lu, p[:2], L.ones(3, 2))),
    ("batched pivots", lambda L, lu, p: L.linalg.lu_solve(lu, L.stack([p, p]), L.ones(3, 2))),
    ("pivots dtype", lambda L, lu, p: L.linalg.lu_solve(lu, p.long(), L.ones(3, 2))),
    ("B dtype", lambda L, lu, p: L.linalg.lu_solve(lu, p, L.ones(3, 2, dtype=L.float64))),
    ("B int", lambda L, lu, p: L.linalg.lu_solve(lu, p, L.ones(3, 2, dtype=L.int64))),
    ("LU int", lambda L, lu, p: L.linalg.lu_solve(lu.long(), p, L.ones(3, 2, dtype=L.int64))),
    ("LU rect", lambda L, lu, p: L.linalg.lu_solve(L.ones(3, 4), p, L.ones(3, 2))),
    ("LU 1d", lambda L, lu, p: L.linalg.lu_solve(L.ones(3), p, L.ones(3, 2))),
    ("pivot 0", lambda L, lu, p: L.linalg.lu_solve(lu, p * 0, L.ones(3, 2))),
    ("pivot big", lambda L, lu, p: L.linalg.lu_solve(lu, p * 0 + 5, L.ones(3, 2))),
    ("half", lambda L, lu, p: L.linalg.lu_solve(lu.half(), p, L.ones(3, 2, dtype=L.float16))),
    ("torch.lu_solve 1d", lambda L, lu, p: L.lu_solve(L.ones(3), lu, p)),
    ("torch.lu_solve rows", lambda L, lu, p: L.lu_solve(L.ones(4, 2), lu, p)),
    ("torch.lu_solve dtype", lambda L, lu, p: L.lu_solve(L.ones(3, 2, dtype=L.float64), lu, p)),
]


@pytest.mark.parametrize("name,case", LU_SOLVE_ERRORS, ids=[c[0] for c in LU_SOLVE_ERRORS])
def test_lu_solve_errors_match_torch(name, case):
    lu, piv = factors((3, 3), np.float32)
    same_error(lambda: case(ember, ember.tensor(lu), ember.tensor(piv)),
               lambda: case(torch, torch.tensor(lu), torch.tensor(piv)))


# ---- triangular_solve ----

TRI_SHAPES = [((3, 3), (3, 2)), ((4, 3, 3), (2, 1, 3, 2)), ((3, 3), (2, 3, 4)),
              ((1, 1), (1, 3))]
FLAGS = [(u, t, n) for u in (True, False) for t in (False, True) for n in (False, True)]


@pytest.mark.parametrize("ashape,bshape", TRI_SHAPES)
@pytest.mark.parametrize("upper,transpose,unit", FLAGS)
def test_triangular_solve_matches_torch(ashape, bshape, upper, transpose, unit):
    a = arr(*ashape) + 3 * np.eye(ashape[-1])
    b = arr(*bshape)
    ea, ta = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    eb, tb = ember.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    e = ember.triangular_solve(eb, ea, upper, transpose, unit)
    t = torch.triangular_solve(tb, ta, upper, transpose, unit)
    assert repr(e).startswith("torch.return_types.triangular_solve(")
    close(e.solution, t.solution, 1e-11)
    close(e.cloned_coefficient, t.cloned_coefficient)
    assert e.solution.grad_fn.name() == "TriangularSolveBackward0"
    backward_both(e, t)
    close(ea.grad, ta.grad, 1e-9)
    close(eb.grad, tb.grad, 1e-9)


@pytest.mark.parametrize("upper,transpose,unit", FLAGS)
def test_triangular_solve_gradcheck(upper, transpose, unit):
    a = ember.tensor(arr(2, 3, 3) + 3 * np.eye(3), requires_grad=True)
    b = ember.tensor(arr(3, 2), requires_grad=True)

    def f(b_, a_):
        return b_.triangular_solve(a_, upper=upper, transpose=transpose,
                                   unitriangular=unit).solution

    assert gradcheck(f, (b, a))
    assert gradgradcheck(f, (b, a))


def test_triangular_solve_singular_gives_inf_and_nan_as_torch():
    b = arr(3, 2)
    e = ember.triangular_solve(ember.tensor(b), ember.zeros(3, 3, dtype=ember.float64))
    t = torch.triangular_solve(torch.tensor(b), torch.zeros(3, 3, dtype=torch.float64))
    close(e.solution, t.solution)


def test_triangular_solve_float32():
    a, b = arr(3, 3, dtype=np.float32) + 3 * np.eye(3, dtype=np.float32), arr(3, 2,
                                                                             dtype=np.float32)
    e = ember.tensor(b).triangular_solve(ember.tensor(a), False)
    t = torch.tensor(b).triangular_solve(torch.tensor(a), False)
    close(e.solution, t.solution, 1e-5)


TRI_ERRORS = [
    ("1d b", lambda L: L.triangular_solve(L.ones(3), L.eye(3))),
    ("1d A", lambda L: L.triangular_solve(L.ones(3, 2), L.ones(3))),
    ("both 1d", lambda L: L.triangular_solve(L.ones(3), L.ones(3))),
    ("rect A", lambda L: L.triangular_solve(L.ones(3, 2), L.ones(3, 4))),
    ("rows", lambda L: L.triangular_solve(L.ones(4, 2), L.eye(3))),
    ("dtype", lambda L: L.triangular_solve(L.ones(3, 2, dtype=L.float64), L.eye(3))),
    ("dtype and rect", lambda L: L.triangular_solve(L.ones(3, 2, dtype=L.float64),
                                                    L.ones(3, 4))),
    ("int", lambda L: L.triangular_solve(L.ones(3, 2, dtype=L.int64),
                                         L.ones(3, 3, dtype=L.int64))),
    ("half", lambda L: L.triangular_solve(L.ones(3, 2, dtype=L.float16),
                                          L.ones(3, 3, dtype=L.float16))),
    ("batch", lambda L: L.triangular_solve(L.ones(2, 3, 2), L.ones(4, 3, 3))),
    ("int batch", lambda L: L.triangular_solve(L.ones(2, 3, 2, dtype=L.int64),
                                               L.ones(4, 3, 3, dtype=L.int64))),
]


@pytest.mark.parametrize("name,case", TRI_ERRORS, ids=[c[0] for c in TRI_ERRORS])
def test_triangular_solve_errors_match_torch(name, case):
    same_error(lambda: case(ember), lambda: case(torch))
