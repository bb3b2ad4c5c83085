"""einsum, tensordot (ops/einsum.py) and addmv/addr/baddbmm/addbmm/vdot/cross/kron
(ops/linalg_more.py), each row checked against PyTorch 2.13: values, dtype, grad_fn name,
gradients vs torch and float64 finite differences, second order; PyTorch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from optable import FIXED, ErrorCase, OpCase, V, make_error_test, make_tests


def _einsum(name, eq, shapes, gradgrad=True):
    # PyTorch records whichever op its einsum lowers to (mm, bmm, sum, a view...); ember
    # records one Einsum node, so the grad_fn name is not compared.
    return OpCase(f"einsum_{name}", lambda T, *xs: T.einsum(eq, *xs), shapes,
                  gradgrad=gradgrad, grad_fn_name=False)


EINSUM = [
    _einsum("matmul", "ij,jk->ik", [(2, 3), (3, 4)]),
    _einsum("matmul_implicit", "ij,jk", [(2, 3), (3, 4)]),
    _einsum("bmm", "bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    _einsum("bmm_planned", "bij,bjk->bik", [(2, 8, 16), (2, 16, 20)], gradgrad=False),
    _einsum("diag", "ii->i", [(3, 3)]),
    _einsum("trace", "ii", [(3, 3)]),
    _einsum("outer", "i,j->ij", [(3,), (4,)]),
    _einsum("sum_all", "ij->", [(2, 3)]),
    _einsum("sum_rows", "ij->j", [(2, 3)]),
    _einsum("transpose", "ij->ji", [(2, 3)]),
    _einsum("implicit_sorted", "ba", [(2, 3)]),
    _einsum("dot", "i,i->", [(4,), (4,)]),
    _einsum("ellipsis_bmm", "...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    _einsum("ellipsis_implicit", "...ba,c", [(4, 2, 3), (3,)]),
    _einsum("ellipsis_sum", "i...->...", [(2, 3, 4)]),
    _einsum("broadcast_one", "ij,ij->i", [(2, 3), (2, 1)]),
    _einsum("repeated_in_operand", "iij->ji", [(3, 3, 2)]),
    _einsum("triple_diag", "iii->i", [(2, 2, 2)]),
    _einsum("chain", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    _einsum("bilinear", "bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    _einsum("spaces", " ij , jk -> ik ", [(2, 3), (3, 2)], gradgrad=False),
    _einsum("empty", "i,i->", [(0,), (0,)], gradgrad=False),
    OpCase("einsum_list", lambda T, a, b: T.einsum("ij,jk", [a, b]), [(2, 3), (3, 2)],
           grad_fn_name=False),
    OpCase("einsum_sublist", lambda T, a, b: T.einsum(a, [0, 1], b, [1, 2], [0, 2]),
           [(2, 3), (3, 2)], grad_fn_name=False),
    OpCase("einsum_bool_sum", lambda T, a: T.einsum("ij->i", a),
           [V([[True, False], [True, True]])], dtypes=[FIXED], grad_fn_name=False),
    OpCase("einsum_bool_diag", lambda T, a: T.einsum("ii->i", a),
           [V([[True, False], [True, False]])], dtypes=[FIXED], grad_fn_name=False),
    OpCase("einsum_0d", lambda T, a, b: T.einsum(",->", a, b), [(), ()], grad_fn_name=False),
    OpCase("einsum_int", lambda T, a, b: T.einsum("ij,j->i", a, b),
           [V([[1, 2], [3, 4]]), V([5, 6])], dtypes=[FIXED], grad_fn_name=False),
]

TENSORDOT = [
    OpCase("tensordot_int", lambda T, a, b: T.tensordot(a, b, 1), [(2, 3), (3, 4)],
           gradgrad=True),
    OpCase("tensordot_default", lambda T, a, b: T.tensordot(a, b), [(2, 3, 4), (3, 4, 2)]),
    OpCase("tensordot_zero", lambda T, a, b: T.tensordot(a, b, 0), [(2, 3), (2,)]),
    OpCase("tensordot_lists", lambda T, a, b: T.tensordot(a, b, ([0, 2], [1, 0])),
           [(2, 3, 4), (4, 2, 5)], gradgrad=True),
    OpCase("tensordot_kw_neg", lambda T, a, b: T.tensordot(a, b, dims=[[-1], [0]]),
           [(2, 3), (3, 4)]),
    OpCase("tensordot_all", lambda T, a, b: T.tensordot(a, b, 2), [(2, 3), (2, 3)]),
]

PRODUCTS = [
    OpCase("addmv", lambda T, i, m, v: T.addmv(i, m, v), [(3,), (3, 4), (4,)], gradgrad=True),
    OpCase("addmv_scaled", lambda T, i, m, v: i.addmv(m, v, beta=0.5, alpha=-2),
           [(3,), (3, 4), (4,)]),
    OpCase("addmv_bcast_input", lambda T, i, m, v: T.addmv(i, m, v), [(1,), (3, 2), (2,)]),
    OpCase("addmv_0d_input", lambda T, i, m, v: T.addmv(i, m, v, alpha=3), [(), (3, 2), (2,)]),
    OpCase("addmv_beta0_nan", lambda T, i, m, v: T.addmv(i, m, v, beta=0),
           [V([np.nan, np.inf]), (2, 2), (2,)]),
    OpCase("addmv_inplace", lambda T, i, m, v: (i * 1).addmv_(m, v, alpha=2),
           [(3,), (3, 2), (2,)]),
    OpCase("addr", lambda T, i, u, v: T.addr(i, u, v), [(3, 4), (3,), (4,)], gradgrad=True),
    OpCase("addr_scaled_bcast", lambda T, i, u, v: i.addr(u, v, beta=2, alpha=0.5),
           [(4,), (3,), (4,)]),
    OpCase("addr_inplace", lambda T, i, u, v: (i * 1).addr_(u, v), [(2, 3), (2,), (3,)]),
    OpCase("addr_promote", lambda T, i, u, v: T.addr(i, u, v),
           [V([[1.0, 2.0]], "float32"), V([1.5], "float64"), V([1.0, -2.0], "float32")],
           dtypes=[FIXED], grad=()),  # PyTorch's own backward refuses mixed dtypes
    OpCase("addr_int", lambda T, i, u, v: T.addr(i, u, v, alpha=2),
           [V([[1, 2]]), V([3]), V([1, -2])], dtypes=[FIXED]),
    OpCase("baddbmm", lambda T, i, a, b: T.baddbmm(i, a, b), [(2, 3, 4), (2, 3, 5), (2, 5, 4)],
           gradgrad=True),
    OpCase("baddbmm_scaled_bcast", lambda T, i, a, b: i.baddbmm(a, b, beta=-1, alpha=2),
           [(1, 4), (2, 3, 5), (2, 5, 4)]),
    OpCase("baddbmm_inplace", lambda T, i, a, b: (i * 1).baddbmm_(a, b),
           [(2, 2, 2), (2, 2, 3), (2, 3, 2)]),
    OpCase("addbmm", lambda T, i, a, b: T.addbmm(i, a, b), [(3, 4), (2, 3, 5), (2, 5, 4)],
           gradgrad=True),
    OpCase("addbmm_scaled_bcast", lambda T, i, a, b: i.addbmm(a, b, beta=0.5, alpha=2),
           [(4,), (2, 3, 5), (2, 5, 4)]),
    OpCase("addbmm_inplace", lambda T, i, a, b: (i * 1).addbmm_(a, b),
           [(2, 2), (3, 2, 1), (3, 1, 2)]),
    OpCase("vdot", lambda T, a, b: T.vdot(a, b), [(4,), (4,)], gradgrad=True),
    OpCase("vdot_method_int", lambda T, a, b: a.vdot(b), [V([1, 2]), V([3, 4])],
           dtypes=[FIXED]),
    OpCase("cross", lambda T, a, b: T.cross(a, b, dim=1), [(2, 3), (2, 3)], gradgrad=True),
    OpCase("cross_bcast_neg_dim", lambda T, a, b: a.cross(b, dim=-2), [(2, 3, 4), (1, 3, 4)]),
    OpCase("cross_int", lambda T, a, b: T.cross(a, b, dim=0), [V([1, 2, 3]), V([4, 5, 7])],
           dtypes=[FIXED]),
    OpCase("chain_matmul_one", lambda T, a: T.chain_matmul(a), [(2, 3)]),
    OpCase("chain_matmul_two", lambda T, a, b: T.chain_matmul(a, b), [(2, 3), (3, 4)],
           gradgrad=True),
    OpCase("chain_matmul_four", lambda T, a, b, c, d: T.chain_matmul(a, b, c, d),
           [(5, 1), (1, 4), (4, 2), (2, 3)], gradgrad=True),
    OpCase("linalg_multi_dot", lambda T, a, b, c: T.linalg.multi_dot([a, b, c]),
           [(4, 1), (1, 3), (3, 2)], gradgrad=True),
    OpCase("linalg_multi_dot_vectors", lambda T, a, b, c, d: T.linalg.multi_dot((a, b, c, d)),
           [(3,), (3, 4), (4, 2), (2,)], gradgrad=True),
    OpCase("linalg_multi_dot_vec_mat", lambda T, a, b: T.linalg.multi_dot([a, b]),
           [(3,), (3, 2)]),
    OpCase("linalg_vecdot", lambda T, a, b: T.linalg.vecdot(a, b), [(2, 3), (3,)],
           gradgrad=True),
    OpCase("linalg_vecdot_dim", lambda T, a, b: T.linalg.vecdot(a, b, dim=0), [(2, 3), (2, 1)]),
    OpCase("linalg_cross", lambda T, a, b: T.linalg.cross(a, b), [(2, 3), (1, 3)]),
    OpCase("linalg_diagonal", lambda T, a: T.linalg.diagonal(a, offset=1), [(2, 3, 4)]),
    OpCase("linalg_matmul", lambda T, a, b: T.linalg.matmul(a, b), [(2, 3), (3,)]),
    OpCase("kron", lambda T, a, b: T.kron(a, b), [(2, 3), (2, 2)], gradgrad=True),
    OpCase("kron_ndim", lambda T, a, b: a.kron(b), [(2, 3), (3,)]),
    OpCase("kron_0d", lambda T, a, b: T.kron(a, b), [(), (2, 3)]),
    OpCase("kron_promote", lambda T, a, b: T.kron(a, b), [V([1, 2]), V([0.5, 2.0], "float32")],
           dtypes=[FIXED]),
]

test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(
    EINSUM + TENSORDOT + PRODUCTS, grad_fn_names=True)


def _err(name, fn, *inputs, **kw):
    return ErrorCase(name, fn, list(inputs), kw)


def _ein(name, eq, *shapes):
    return _err(f"einsum_{name}", lambda T, *xs: T.einsum(eq, *xs), *shapes)


ERRORS = [
    _ein("more_operands", "ij->i", (2, 3), (3, 4)),
    _ein("fewer_operands", "ij,jk->ik", (2, 3)),
    _ein("ndim", "i->i", (2, 3)),
    _ein("ndim_ellipsis", "ijk...->i", (2, 3)),
    _ein("bad_char", "i1->i", (2, 3)),
    _ein("bad_arrow", "ij-i", (2, 3)),
    _ein("sizes", "ij,ij->i", (2, 3), (3, 4)),
    _ein("output_unknown", "ij->k", (2, 3)),
    _ein("output_twice", "ij->ii", (2, 3)),
    _ein("two_ellipses", "i......->i", (2, 3)),
    _ein("ellipsis_sizes", "...i,...i->...", (3, 2, 3), (4, 3)),
    _ein("ellipsis_sizes_lead", "i...,i...->i...", (2, 3), (2, 4)),
    _ein("repeated_sizes", "ii->i", (2, 3)),
    _ein("dot_in_operand", "i.j->ij", (2, 3)),
    _ein("dot_in_output", "ij->i.", (2, 3)),
    _err("einsum_no_operands", lambda T: T.einsum("i")),
    _err("einsum_bool_product", lambda T, a: T.einsum("i,i->", a > 0, a > 0), (3,)),
    _err("einsum_dtypes", lambda T, a, b: T.einsum("ij,jk->ik", a, b.double()), (2, 3), (3, 4)),
    _err("tensordot_neg", lambda T, a, b: T.tensordot(a, b, -1), (2, 3), (3, 4)),
    _err("tensordot_big", lambda T, a, b: T.tensordot(a, b, 3), (2, 3), (3, 4)),
    _err("tensordot_sizes", lambda T, a, b: T.tensordot(a, b, ([0], [0])), (2, 3), (3, 4)),
    _err("tensordot_lengths", lambda T, a, b: T.tensordot(a, b, ([0, 1], [0])), (2, 3),
         (3, 4)),
    _err("tensordot_int_pair", lambda T, a, b: T.tensordot(a, b, (1, 0)), (2, 3), (3, 4)),
    _err("tensordot_dtype", lambda T, a, b: T.tensordot(a, b.double(), 1), (2, 3), (3, 4)),
    _err("tensordot_repeat", lambda T, a: T.tensordot(a, a, ([0, 0], [0, 1])), (3, 3)),
    _err("addmv_vec_size", lambda T, i, m, v: T.addmv(i, m, v), (3,), (3, 3), (4,)),
    _err("addmv_input_size", lambda T, i, m, v: T.addmv(i, m, v), (4,), (3, 3), (3,)),
    _err("addmv_mat_1d", lambda T, i, m, v: T.addmv(i, m, v), (3,), (3,), (3,)),
    _err("addmv_input_2d", lambda T, i, m, v: T.addmv(i, m, v), (1, 3), (3, 3), (3,)),
    _err("addmv_dtype", lambda T, i, m, v: T.addmv(i.double(), m, v), (3,), (3, 3), (3,)),
    _err("addr_vec1_2d", lambda T, i, m, v: T.addr(i, m, v), (3, 3), (3, 3), (3,)),
    _err("addr_vec2_2d", lambda T, i, v, m: T.addr(i, v, m), (3, 3), (3,), (3, 3)),
    _err("addr_input", lambda T, i, u, v: T.addr(i, u, v), (3, 3), (3,), (4,)),
    _err("addr_input_3d", lambda T, i, u, v: T.addr(i, u, v), (1, 3, 3), (3,), (3,)),
    _err("baddbmm_sizes", lambda T, i, a, b: T.baddbmm(i, a, b), (2, 3, 3), (2, 3, 4),
         (2, 3, 3)),
    _err("baddbmm_batches", lambda T, i, a, b: T.baddbmm(i, a, b), (2, 3, 3), (2, 3, 3),
         (3, 3, 3)),
    _err("baddbmm_input", lambda T, i, a, b: T.baddbmm(i, a, b), (2, 3, 4), (2, 3, 3),
         (2, 3, 3)),
    _err("baddbmm_dtype", lambda T, i, a, b: T.baddbmm(i, a.double(), b), (2, 3, 3),
         (2, 3, 3), (2, 3, 3)),
    _err("addbmm_1_2d", lambda T, i, a, b: T.addbmm(i, a, b), (3, 3), (3, 3), (2, 3, 3)),
    _err("addbmm_batches", lambda T, i, a, b: T.addbmm(i, a, b), (3, 3), (2, 3, 3),
         (3, 3, 3)),
    _err("addbmm_sizes", lambda T, i, a, b: T.addbmm(i, a, b), (3, 3), (2, 3, 4), (2, 3, 3)),
    _err("addbmm_input", lambda T, i, a, b: T.addbmm(i, a, b), (4, 4), (2, 3, 3), (2, 3, 3)),
    _err("addbmm_dtype", lambda T, i, a, b: T.addbmm(i, a.double(), b), (3, 3), (2, 3, 3),
         (2, 3, 3)),
    _err("addbmm_input_dtype", lambda T, i, a, b: T.addbmm(i.double(), a, b), (3, 3),
         (2, 3, 3), (2, 3, 3)),
    _err("chain_matmul_none", lambda T: T.chain_matmul()),
    _err("chain_matmul_vector", lambda T, a, b: T.chain_matmul(a, b), (3, 3), (3,)),
    _err("chain_matmul_shapes", lambda T, a, b, c: T.chain_matmul(a, b, c), (3, 3), (3, 3),
         (2, 2)),
    _err("chain_matmul_dtype", lambda T, a, b: T.chain_matmul(a, b.double()), (3, 3), (3, 3)),
    _err("multi_dot_one", lambda T, a: T.linalg.multi_dot([a]), (3, 3)),
    _err("multi_dot_first_3d", lambda T, a, b: T.linalg.multi_dot([a, b]), (1, 3, 3), (3, 3)),
    _err("multi_dot_last_3d", lambda T, a, b: T.linalg.multi_dot([a, b]), (3, 3), (1, 3, 3)),
    _err("multi_dot_middle_1d", lambda T, a, b, c: T.linalg.multi_dot([a, b, c]), (3, 3),
         (3,), (3, 3)),
    _err("multi_dot_shapes_vector", lambda T, a, b: T.linalg.multi_dot([a, b]), (3,), (2, 2)),
    _err("vecdot_dtype", lambda T, a, b: T.linalg.vecdot(a, b.double()), (3,), (3,)),
    _err("vecdot_shapes", lambda T, a, b: T.linalg.vecdot(a, b), (3, 3), (4,)),
    _err("linalg_cross_ndim", lambda T, a, b: T.linalg.cross(a, b), (3, 3), (3,)),
    _err("vdot_2d", lambda T, a, b: T.vdot(a, b), (2, 3), (3,)),
    _err("vdot_dtype", lambda T, a, b: T.vdot(a, b.double()), (3,), (3,)),
    _err("vdot_size", lambda T, a, b: T.vdot(a, b), (3,), (4,)),
    _err("cross_length", lambda T, a, b: T.cross(a, b, dim=0), (2, 3), (2, 3)),
    _err("cross_ndim", lambda T, a, b: T.cross(a, b, dim=-1), (2, 1, 3), (4, 3)),
    _err("cross_shapes", lambda T, a, b: T.cross(a, b, dim=1), (3, 3), (2, 3)),
    _err("cross_no_3", lambda T, a, b: T.cross(a, b), (2, 4), (2, 4)),
    _err("cross_none_first_3", lambda T, a, b: T.cross(a, b), (3, 3), (1, 3)),
    _err("cross_none_ndim", lambda T, a, b: T.cross(a, b), (2, 3), (3,)),
    _err("cross_dtype", lambda T, a, b: T.cross(a, b.double(), dim=0), (3,), (3,)),
]

test_errors = make_error_test(ERRORS)


def test_cross_without_dim_warns_once_and_uses_first_dim_of_3():
    from ember import _config
    from ember.ops import linalg_more

    _config._warned.discard(linalg_more._CROSS_WARNING)
    a, b = np.arange(12.0).reshape(4, 3), np.array([[1.0, -2.0, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.cross(torch.tensor(a), torch.tensor(b)).numpy()
    for expected in (1, 0):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = ember.cross(ember.tensor(a), ember.tensor(b))
        assert [str(w.message) for w in caught] == [linalg_more._CROSS_WARNING] * expected
        np.testing.assert_array_equal(y.numpy(), want)
    assert linalg_more._CROSS_WARNING == (  # PyTorch 2.13's text
        "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass "
        "the dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will "
        "change to agree with that of linalg.cross in a future release.")


def test_chain_matmul_warns_once():
    from ember import _config
    from ember.ops import linalg_more

    _config._warned.discard(linalg_more._CHAIN_WARNING)
    m = ember.ones(2, 2)
    for expected in (1, 0):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ember.chain_matmul(m, m)
        assert [str(w.message) for w in caught] == [
            "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
            "Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors "
            "rather than multiple parameters."] * expected


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]),
                                       ("ij,ij->i", [(2, 3), (2, 1)])])
def test_einsum_gradient_needs_only_requested_operands(eq, shapes):
    """A constant operand gets no gradient; the other still matches PyTorch."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    grads = []
    for lib in (torch, ember):
        xs = [lib.tensor(a, requires_grad=(i == 0)) for i, a in enumerate(arrays)]
        lib.einsum(eq, *xs).sum().backward()
        grads.append([None if x.grad is None else x.grad.numpy() for x in xs])
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-12)
    assert all(g is None for g in grads[1][1:])


@pytest.mark.parametrize("eq", ["ii->i", "ij->ji", "ij", "ij->j"])
def test_einsum_views_as_pytorch(eq):
    """A pure relabelling is a view of its operand (writes reach it), as in PyTorch."""
    bases = []
    for lib in (torch, ember):
        x = lib.arange(9.0).reshape(3, 3)
        lib.einsum(eq, x).add_(100.0)
        bases.append(x.numpy().copy())
    np.testing.assert_array_equal(bases[1], bases[0])


def test_einsum_view_written_in_graph():
    grads = []
    for lib in (torch, ember):
        x = lib.tensor(np.arange(1.0, 10.0).reshape(3, 3), requires_grad=True)
        y = x * 1
        lib.einsum("ii->i", y).mul_(3.0)
        (y * y).sum().backward()
        grads.append(x.grad.numpy().copy())
    np.testing.assert_array_equal(grads[1], grads[0])


def test_linalg_names_what_it_lacks():
    assert ember.linalg.__name__ == "ember.linalg"
    with pytest.raises(AttributeError, match="ember does not provide torch.linalg.eig"):
        ember.linalg.eig
