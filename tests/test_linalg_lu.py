"""LU factorization against PyTorch 2.13: torch.linalg.lu_factor / lu_factor_ex / lu,
torch.lu, torch.lu_unpack (values, pivots, info, dtypes, batches, rectangular and empty
matrices, singular ones), their gradients (vs torch and float64 finite differences, double
backward), grad_fn names, deprecation warnings and errors."""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

EL, TL = ember.linalg, torch.linalg
RNG = np.random.default_rng(7)
SHAPES = [(3, 3), (2, 4, 4), (3, 5), (5, 3), (2, 3, 6, 4), (1, 1), (2, 1, 3)]


def arr(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def close(e, t, tol=1e-10):
    e, t = e.detach().numpy(), t.detach().numpy()
    assert e.shape == t.shape and e.dtype == t.dtype, (e.shape, t.shape, e.dtype, t.dtype)
    np.testing.assert_allclose(e, t, rtol=tol, atol=tol)


def first_line(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as err:  # noqa: BLE001 - compared by type and message
        return type(err).__name__, str(err).split("\n")[0]
    return None


def same_error(fe, ft):
    t = first_line(ft)
    assert t is not None
    assert first_line(fe) == t


def backward_both(e_outs, t_outs, seed=0):
    """sum(out * w) over the outputs, backward on both libraries."""
    rng = np.random.default_rng(seed)
    le = lt = 0
    for e, t in zip(e_outs, t_outs):
        w = rng.standard_normal(tuple(t.shape))
        le = le + (e * ember.tensor(w, dtype=e.dtype)).sum()
        lt = lt + (t * torch.tensor(w, dtype=t.dtype)).sum()
    le.backward()
    lt.backward()


# ---- values ----

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lu_factor_ex_matches_torch(shape, dtype):
    a = arr(*shape, dtype=dtype)
    e, t = EL.lu_factor_ex(ember.tensor(a)), TL.lu_factor_ex(torch.tensor(a))
    close(e.LU, t.LU, 1e-12 if dtype == np.float64 else 1e-5)
    assert e.pivots.dtype == ember.int32 and e.info.dtype == ember.int32
    np.testing.assert_array_equal(e.pivots.numpy(), t.pivots.numpy())
    np.testing.assert_array_equal(e.info.numpy(), t.info.numpy())
    assert repr(e).startswith("torch.return_types.linalg_lu_factor_ex(")


@pytest.mark.parametrize("shape", SHAPES)
def test_lu_and_unpack_match_torch(shape):
    a = arr(*shape)
    e, t = EL.lu(ember.tensor(a)), TL.lu(torch.tensor(a))
    for name in ("P", "L", "U"):
        close(getattr(e, name), getattr(t, name), 1e-12)
    lu, piv = EL.lu_factor(ember.tensor(a))
    tlu, tpiv = TL.lu_factor(torch.tensor(a))
    for eu, tu in zip(ember.lu_unpack(lu, piv), torch.lu_unpack(tlu, tpiv)):
        close(eu, tu, 1e-12)
    # P L U gives A back
    np.testing.assert_allclose((e.P @ e.L @ e.U).numpy(), a, atol=1e-12)


@pytest.mark.parametrize("shape", [(0, 0), (3, 0), (0, 3), (0, 3, 3), (2, 0, 2)])
def test_empty_matrices(shape):
    a = np.zeros(shape)
    e, t = EL.lu_factor_ex(ember.tensor(a)), TL.lu_factor_ex(torch.tensor(a))
    for x, y in zip(e, t):
        assert tuple(x.shape) == tuple(y.shape) and str(x.dtype) == str(y.dtype)
    for x, y in zip(EL.lu(ember.tensor(a)), TL.lu(torch.tensor(a))):
        close(x, y)


SINGULAR = [
    [[1.0, 2.0], [2.0, 4.0]],
    np.zeros((3, 3)),
    [[0.0, 1.0, 2.0], [0.0, 3.0, 4.0], [0.0, 5.0, 7.0]],
    [[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]],
    [[1.0, 1.0, 3.0], [2.0, 2.0, 2.0]],
]


@pytest.mark.parametrize("a", SINGULAR)
def test_singular_matrices(a):
    a = np.asarray(a, dtype=np.float64)
    e, t = EL.lu_factor_ex(ember.tensor(a)), TL.lu_factor_ex(torch.tensor(a))
    close(e.LU, t.LU, 1e-12)
    np.testing.assert_array_equal(e.pivots.numpy(), t.pivots.numpy())
    assert e.info.item() == t.info.item() > 0
    same_error(lambda: EL.lu_factor(ember.tensor(a)), lambda: TL.lu_factor(torch.tensor(a)))
    same_error(lambda: EL.lu_factor_ex(ember.tensor(a), check_errors=True),
               lambda: TL.lu_factor_ex(torch.tensor(a), check_errors=True))
    # linalg.lu and torch.lu never raise for singular input
    close(EL.lu(ember.tensor(a)).U, TL.lu(torch.tensor(a)).U, 1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        close(ember.lu(ember.tensor(a))[0], torch.lu(torch.tensor(a))[0], 1e-12)


def test_singular_in_a_batch_names_the_element():
    a = np.stack([np.eye(2) * 2, [[1.0, 2.0], [2.0, 4.0]]])
    same_error(lambda: EL.lu_factor(ember.tensor(a)), lambda: TL.lu_factor(torch.tensor(a)))


def test_torch_lu_forms_and_methods():
    a = arr(2, 3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = ember.lu(ember.tensor(a)), torch.lu(torch.tensor(a))
        assert type(e) is tuple and len(e) == 2
        for x, y in zip(e, t):
            close(x, y, 1e-12)
        e = ember.tensor(a).lu(get_infos=True)
        t = torch.tensor(a).lu(get_infos=True)
        assert repr(e).startswith("torch.return_types._lu_with_info(")
        for x, y in zip(e, t):
            close(x, y, 1e-12)
        u = ember.lu_unpack(*e[:2], unpack_data=False)
        tu = torch.lu_unpack(*t[:2], unpack_data=False)
        close(u.P, tu.P)
        assert tuple(u.L.shape) == tuple(tu.L.shape) == (0,)
        u = ember.lu_unpack(*e[:2], unpack_pivots=False)
        tu = torch.lu_unpack(*t[:2], unpack_pivots=False)
        assert tuple(u.P.shape) == (0,) and str(u.P.dtype) == str(tu.P.dtype)
        close(u.L, tu.L, 1e-12)


@pytest.mark.parametrize("dtype", ["int64", "float16", "bool"])
def test_lu_unpack_of_other_dtypes(dtype):
    lu = (arr(3, 3) * 3).astype(dtype)
    piv = np.array([3, 2, 3], np.int32)
    e = ember.lu_unpack(ember.tensor(lu), ember.tensor(piv))
    t = torch.lu_unpack(torch.tensor(lu), torch.tensor(piv))
    for x, y in zip(e, t):
        close(x, y)


def test_deprecation_warnings_once():
    code = ("import warnings, ember\n"
            "warnings.simplefilter('always')\n"
            "a = ember.eye(3)\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    lu, p = ember.lu(a); ember.lu(a)\n"
            "    ember.lu_solve(a, lu, p); ember.lu_solve(a, lu, p)\n"
            "    ember.triangular_solve(a, a); a.triangular_solve(a)\n"
            "msgs = [str(x.message).split(' ')[0] for x in w]\n"
            "assert msgs == ['torch.lu', 'torch.lu_solve', 'torch.triangular_solve'], msgs\n")
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", code], check=True)


# ---- gradients ----

@pytest.mark.parametrize("shape", SHAPES[:5])
def test_gradients_match_torch(shape):
    a = arr(*shape)
    ea, ta = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    backward_both(EL.lu(ea)[1:], TL.lu(ta)[1:])
    close(ea.grad, ta.grad, 1e-9)
    ea.grad = ta.grad = None
    backward_both(EL.lu_factor(ea)[:1], TL.lu_factor(ta)[:1], seed=1)
    close(ea.grad, ta.grad, 1e-9)
    ea.grad = ta.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backward_both(ea.lu()[:1], ta.lu()[:1], seed=2)
    close(ea.grad, ta.grad, 1e-9)
    ea.grad = ta.grad = None
    lu, piv = EL.lu_factor(ea)
    tlu, tpiv = TL.lu_factor(ta)
    backward_both(ember.lu_unpack(lu, piv)[1:], torch.lu_unpack(tlu, tpiv)[1:], seed=3)
    close(ea.grad, ta.grad, 1e-9)


def test_grad_fn_names():
    a = ember.tensor(arr(3, 3), requires_grad=True)
    assert EL.lu_factor(a).LU.grad_fn.name() == "LinalgLuFactorExBackward0"
    assert EL.lu_factor_ex(a).pivots.grad_fn is None
    assert not EL.lu(a).P.requires_grad


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (2, 4), (4, 2)])
def test_gradcheck_and_double_backward(shape):
    a = ember.tensor(arr(*shape), requires_grad=True)
    assert gradcheck(lambda x: EL.lu_factor(x).LU, (a,))
    assert gradcheck(lambda x: EL.lu(x).L, (a,))
    assert gradcheck(lambda x: EL.lu(x).U, (a,))
    assert gradgradcheck(lambda x: EL.lu_factor(x).LU, (a,))
    assert gradgradcheck(lambda x: EL.lu(x).L * 2 + 1, (a,))


def test_float32_gradient_dtype():
    a = arr(3, 3, dtype=np.float32)
    ea, ta = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    backward_both(EL.lu(ea)[1:], TL.lu(ta)[1:])
    close(ea.grad, ta.grad, 1e-4)


# ---- errors ----

ERROR_CASES = [
    ("lu_factor", lambda L, T: L.linalg.lu_factor(L.ones(3, dtype=L.int64))),
    ("lu_factor half", lambda L, T: L.linalg.lu_factor(L.ones(3, 3, dtype=L.float16))),
    ("lu_factor bool", lambda L, T: L.linalg.lu_factor(L.ones(3, 3, dtype=L.bool))),
    ("lu_factor 1d", lambda L, T: L.linalg.lu_factor(L.ones(3))),
    ("lu_factor 0d", lambda L, T: L.linalg.lu_factor(L.tensor(1.0))),
    ("lu_factor 1d int", lambda L, T: L.linalg.lu_factor(L.ones(3, dtype=L.int64))),
    ("lu_factor_ex 1d", lambda L, T: L.linalg.lu_factor_ex(L.ones(3))),
    ("lu 1d", lambda L, T: L.linalg.lu(L.ones(3))),
    ("lu int", lambda L, T: L.linalg.lu(L.ones(3, 3, dtype=L.int64))),
    ("no pivot", lambda L, T: L.linalg.lu_factor(L.eye(3), pivot=False)),
    ("no pivot lu", lambda L, T: L.linalg.lu(L.eye(3), pivot=False)),
    ("no pivot ex", lambda L, T: L.linalg.lu_factor_ex(L.eye(3), pivot=False)),
    ("torch.lu 1d", lambda L, T: L.lu(L.ones(3))),
    ("torch.lu int", lambda L, T: L.lu(L.ones(3, 3, dtype=L.int64))),
    ("torch.lu no pivot", lambda L, T: L.lu(L.eye(3), pivot=False)),
    ("unpack 1d", lambda L, T: L.lu_unpack(L.ones(3), L.ones(3, dtype=L.int32))),
    ("unpack piv int64", lambda L, T: L.lu_unpack(L.eye(3), L.ones(3, dtype=L.int64))),
    ("unpack piv float", lambda L, T: L.lu_unpack(L.eye(3), L.ones(3))),
    ("unpack piv 0", lambda L, T: L.lu_unpack(L.eye(3), L.zeros(3, dtype=L.int32))),
    ("unpack piv big", lambda L, T: L.lu_unpack(L.eye(3), L.full((3,), 4, dtype=L.int32))),
]


@pytest.mark.parametrize("name,case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_match_torch(name, case):
    same_error(lambda: case(ember, EL), lambda: case(torch, TL))


def test_pivots_of_the_wrong_shape_raise():
    """PyTorch reads past (or ignores) pivots of the wrong length: undefined; ember refuses."""
    with pytest.raises(RuntimeError, match="Expected LU_pivots to have shape"):
        ember.lu_unpack(ember.eye(3), ember.ones(2, dtype=ember.int32))
