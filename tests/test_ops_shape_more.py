"""Triangles, diagonals and the further shape ops (ops/triangle_diag.py, ops/shape_more.py),
each row checked against PyTorch 2.13: values, dtype, grad_fn name, gradients vs torch and
float64 finite differences, some to second order; PyTorch's errors; diagonal views."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from optable import FIXED, ErrorCase, OpCase, V, make_error_test, make_tests

I64 = "int64"


def idx(*values) -> V:
    return V(np.array(values, dtype=np.int64))


TRI_DIAG = [
    OpCase("tril", lambda T, x: T.tril(x), [(3, 4)], gradgrad=True),
    OpCase("tril_k", lambda T, x: x.tril(1), [(3, 4)]),
    OpCase("tril_neg_k", lambda T, x: x.tril(diagonal=-1), [(2, 4, 3)]),
    OpCase("tril_far", lambda T, x: x.tril(-5), [(3, 3)]),
    OpCase("triu", lambda T, x: T.triu(x), [(4, 3)], gradgrad=True),
    OpCase("triu_k_batch", lambda T, x: x.triu(-1), [(2, 3, 3)]),
    OpCase("tril_empty", lambda T, x: x.tril(), [(0, 3)]),
    OpCase("tril_int", lambda T, x: x.tril(), [V([[1, 2], [3, 4]], "int32")], dtypes=[FIXED]),
    OpCase("triu_bool", lambda T, x: x.triu(), [V([[True, True], [True, False]])],
           dtypes=[FIXED]),
    OpCase("tril_inplace", lambda T, x: (x * 1).tril_(), [(3, 3)]),
    OpCase("triu_inplace", lambda T, x: (x * 1).triu_(1), [(3, 4)]),
    OpCase("diag_vec", lambda T, x: T.diag(x), [(3,)], gradgrad=True),
    OpCase("diag_vec_offset", lambda T, x: T.diag(x, 1), [(3,)]),
    OpCase("diag_vec_neg_offset", lambda T, x: x.diag(-2), [(2,)]),
    OpCase("diag_mat", lambda T, x: T.diag(x), [(3, 4)], gradgrad=True),
    OpCase("diag_mat_offset", lambda T, x: T.diag(x, -1), [(3, 4)]),
    OpCase("diag_mat_far", lambda T, x: T.diag(x, 5), [(3, 4)]),
    OpCase("diag_int", lambda T, x: T.diag(x), [V([1, 2], I64)], dtypes=[FIXED]),
    OpCase("diagonal", lambda T, x: x.diagonal(), [(3, 4)], gradgrad=True),
    OpCase("diagonal_offset", lambda T, x: T.diagonal(x, 1), [(3, 4)]),
    OpCase("diagonal_neg_offset", lambda T, x: T.diagonal(x, offset=-2), [(4, 3)]),
    OpCase("diagonal_dims", lambda T, x: x.diagonal(0, 0, 2), [(2, 3, 4)]),
    OpCase("diagonal_neg_dims", lambda T, x: x.diagonal(1, -1, 0), [(3, 2, 4)]),
    OpCase("diagonal_then_op", lambda T, x: x.diagonal().exp(), [(3, 3)]),
    OpCase("diag_embed", lambda T, x: T.diag_embed(x), [(2, 3)], gradgrad=True),
    OpCase("diag_embed_offset_dims", lambda T, x: T.diag_embed(x, 1, 0, 2), [(2, 3)]),
    OpCase("diag_embed_neg", lambda T, x: x.diag_embed(-1, 1, 0), [(3,)]),
    OpCase("trace", lambda T, x: T.trace(x), [(3, 3)], gradgrad=True),
    OpCase("trace_rect", lambda T, x: x.trace(), [(2, 4)]),
    OpCase("trace_empty", lambda T, x: x.trace(), [(0, 0)]),
    OpCase("trace_int", lambda T, x: x.trace(), [V([[1, 2], [3, 4]], "int32")],
           dtypes=[FIXED]),
]

MOVES = [
    OpCase("roll_flat", lambda T, x: T.roll(x, 1), [(2, 3)], gradgrad=True),
    OpCase("roll_dim", lambda T, x: x.roll(-1, 1), [(2, 3)]),
    OpCase("roll_dims", lambda T, x: T.roll(x, shifts=(1, 5), dims=(0, -1)), [(2, 3)]),
    OpCase("roll_0d", lambda T, x: T.roll(x, 2), [()]),
    OpCase("roll_empty", lambda T, x: T.roll(x, 1, 0), [(0, 3)]),
    OpCase("rot90", lambda T, x: T.rot90(x), [(2, 3)], gradgrad=True),
    OpCase("rot90_k2", lambda T, x: x.rot90(2), [(2, 3)]),
    OpCase("rot90_k_neg_dims", lambda T, x: T.rot90(x, -1, [2, 0]), [(2, 3, 4)]),
    OpCase("rot90_k0", lambda T, x: T.rot90(x, 4), [(2, 3)]),
    OpCase("tile", lambda T, x: T.tile(x, (2,)), [(2, 3)], gradgrad=True),
    OpCase("tile_more", lambda T, x: x.tile((2, 1, 2)), [(3,)]),
    OpCase("tile_0d", lambda T, x: T.tile(x, (3,)), [()]),
    OpCase("repeat_interleave_flat", lambda T, x: T.repeat_interleave(x, 2), [(2, 3)],
           gradgrad=True),
    OpCase("repeat_interleave_dim", lambda T, x: x.repeat_interleave(3, dim=-1), [(2, 2)]),
    OpCase("repeat_interleave_0d", lambda T, x: x.repeat_interleave(3), [()]),
    OpCase("repeat_interleave_out", lambda T, x: x.repeat_interleave(2, 0, output_size=4),
           [(2, 2)]),
    OpCase("repeat_interleave_tensor", lambda T, x, r: T.repeat_interleave(x, r, dim=0),
           [(3, 2), idx(1, 0, 2)], gradgrad=True),
    OpCase("repeat_interleave_tensor_flat", lambda T, x, r: x.repeat_interleave(r),
           [(2, 2), idx(1, 2, 0, 3)]),
    OpCase("repeat_interleave_tensor_one", lambda T, x, r: x.repeat_interleave(r, 1),
           [(2, 2), V(np.array(2))]),
    OpCase("repeat_interleave_counts", lambda T, r: T.repeat_interleave(r), [idx(2, 0, 1)],
           dtypes=[FIXED]),
    OpCase("meshgrid_ij", lambda T, a, b: T.meshgrid(a, b, indexing="ij"), [(3,), (2,)],
           gradgrad=True),
    OpCase("meshgrid_xy", lambda T, a, b, c: T.meshgrid([a, b, c], indexing="xy"),
           [(3,), (2,), (4,)]),
    OpCase("meshgrid_0d", lambda T, a, b: T.meshgrid(a, b, indexing="xy"), [(), (3,)]),
    OpCase("meshgrid_one", lambda T, a: T.meshgrid(a, indexing="xy"), [(3,)]),
    OpCase("broadcast_tensors", lambda T, a, b, c: T.broadcast_tensors(a, b, c),
           [(2, 1, 3), (4, 1), ()], gradgrad=True),
    OpCase("broadcast_tensors_same", lambda T, a, b: T.broadcast_tensors(a, b),
           [(2, 3), (2, 3)]),
    OpCase("tile_method_ints", lambda T, x: x.tile(2, 1, 2), [(2, 3)]),
    OpCase("tile_method_one_int", lambda T, x: x.tile(2), [(2, 3)]),
    OpCase("moveaxis", lambda T, x: T.moveaxis(x, 0, -1), [(2, 3, 4)]),
    OpCase("moveaxis_method", lambda T, x: x.moveaxis((0, 1), (2, 0)), [(2, 3, 4)]),
    OpCase("take_along_dim", lambda T, x, i: T.take_along_dim(x, i, 1),
           [(3, 4), V(np.array([[0, 3], [1, 1], [2, 0]]))], gradgrad=True),
    OpCase("take_along_dim_flat", lambda T, x, i: x.take_along_dim(i), [(3, 4), idx(0, 11, 5)]),
    OpCase("take_along_dim_bcast", lambda T, x, i: T.take_along_dim(x, i, dim=-2),
           [(2, 3, 1), V(np.array([[[0, 2, 1, 1]], [[2, 2, 0, 0]]]))]),
    OpCase("atleast_1d", lambda T, x: T.atleast_1d(x), [()]),
    OpCase("atleast_1d_many", lambda T, a, b: T.atleast_1d(a, b), [(), (2,)]),
    OpCase("atleast_2d", lambda T, a, b: T.atleast_2d([a, b]), [(), (3,)]),
    OpCase("atleast_3d", lambda T, a, b, c, d: T.atleast_3d(a, b, c, d),
           [(), (3,), (2, 3), (1, 2, 3, 4)]),
    OpCase("dstack", lambda T, a, b: T.dstack([a, b]), [(3,), (3,)], gradgrad=True),
    OpCase("dstack_2d", lambda T, a, b: T.dstack((a, b)), [(2, 3), (2, 3, 2)]),
    OpCase("column_stack", lambda T, a, b, c: T.column_stack([a, b, c]), [(3,), (3, 2), (3,)],
           gradgrad=True),
    OpCase("column_stack_0d", lambda T, a, b: T.column_stack([a, b]), [(), ()]),
    OpCase("column_stack_mixed", lambda T, a, b: T.column_stack([a, b]),
           [V([1.0, 2.0], "float32"), V([1, 2], I64)], dtypes=[FIXED]),
]

test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(
    TRI_DIAG + MOVES, grad_fn_names=True)


def _err(name, fn, *inputs, **kw):
    return ErrorCase(name, fn, list(inputs), kw)


ERRORS = [
    _err("tril_1d", lambda T, x: T.tril(x), (3,)),
    _err("triu_0d", lambda T, x: x.triu(), ()),
    _err("diag_3d", lambda T, x: T.diag(x), (2, 2, 2)),
    _err("diag_0d", lambda T, x: T.diag(x), ()),
    _err("diagonal_same_dims", lambda T, x: x.diagonal(0, 1, -1), (3, 3)),
    _err("diagonal_bad_dim", lambda T, x: x.diagonal(0, 0, 2), (3, 3)),
    _err("diagonal_1d", lambda T, x: x.diagonal(), (3,)),
    _err("diag_embed_same_dims", lambda T, x: T.diag_embed(x, 0, 0, 0), (3,)),
    _err("diag_embed_bad_dim", lambda T, x: T.diag_embed(x, 0, 0, 3), (3,)),
    _err("trace_1d", lambda T, x: T.trace(x), (3,)),
    _err("trace_3d", lambda T, x: x.trace(), (2, 2, 2)),
    _err("trace_bool", lambda T, x: (x > 0).trace(), (2, 2)),
    _err("roll_no_shifts", lambda T, x: T.roll(x, (), ()), (3, 3)),
    _err("roll_mismatch", lambda T, x: T.roll(x, (1, 2), (0,)), (3, 3)),
    _err("roll_mismatch_none", lambda T, x: T.roll(x, (1, 2)), (3, 3)),
    _err("roll_bad_dim", lambda T, x: T.roll(x, 1, 2), (3, 3)),
    _err("roll_0d_dim", lambda T, x: T.roll(x, 1, 0), ()),
    _err("tile_negative", lambda T, x: T.tile(x, (2, -1)), (3, 3)),
    _err("tile_int_dims", lambda T, x: T.tile(x, 2), (3,)),
    _err("diag_embed_0d", lambda T, x: T.diag_embed(x), ()),
    _err("repeat_interleave_0d_dim", lambda T, x: x.repeat_interleave(2, dim=-1), ()),
    _err("repeat_interleave_0d_dim_t", lambda T, x, r: x.repeat_interleave(r, dim=0), (),
         idx(2)),
    _err("repeat_interleave_counts_2d", lambda T: T.repeat_interleave(T.tensor([[1, 2]]))),
    _err("repeat_interleave_counts_0d", lambda T: T.repeat_interleave(T.tensor(2))),
    _err("broadcast_shapes", lambda T: T.broadcast_shapes((2, 3), (5, 1, 1), (5, 4, 3))),
    _err("broadcast_shapes_list", lambda T: T.broadcast_shapes([2, 3], [4, 3])),
    _err("broadcast_shapes_negative", lambda T: T.broadcast_shapes((-1,))),
    _err("rot90_one_dim", lambda T, x: T.rot90(x, 1, [0]), (3, 3)),
    _err("rot90_same_dims", lambda T, x: T.rot90(x, 1, [0, -2]), (3, 3)),
    _err("rot90_1d", lambda T, x: T.rot90(x), (3,)),
    _err("rot90_bad_dim", lambda T, x: T.rot90(x, 1, [0, 2]), (3, 3)),
    _err("repeat_interleave_neg", lambda T, x: x.repeat_interleave(-1), (3,)),
    _err("repeat_interleave_size", lambda T, x, r: x.repeat_interleave(r, 0), (3, 3),
         idx(1, 2)),
    _err("repeat_interleave_2d", lambda T, x: x.repeat_interleave(T.tensor([[1, 2]]), 0),
         (2,)),
    _err("repeat_interleave_float", lambda T, x: x.repeat_interleave(T.tensor([1.0, 2]), 0),
         (2,)),
    _err("repeat_interleave_neg_t", lambda T, x: x.repeat_interleave(T.tensor([1, -2]), 0),
         (2,)),
    _err("repeat_interleave_out", lambda T, x: x.repeat_interleave(2, 0, output_size=5), (3,)),
    _err("repeat_interleave_out_t",
         lambda T, x: x.repeat_interleave(T.tensor([1, 2]), 0, output_size=5), (2,)),
    _err("repeat_interleave_dim", lambda T, x: x.repeat_interleave(2, 3), (3, 3)),
    _err("meshgrid_2d", lambda T, x, v: T.meshgrid(x, v, indexing="ij")[0].sum(), (2, 2),
         (3,)),
    _err("meshgrid_indexing", lambda T, v: T.meshgrid(v, v, indexing="foo"), (3,)),
    _err("meshgrid_empty", lambda T: T.meshgrid([], indexing="ij")),
    _err("meshgrid_dtypes", lambda T, v: T.meshgrid(v, T.arange(2), indexing="xy"), (3,)),
    _err("broadcast_tensors", lambda T, a, b: T.broadcast_tensors(a, b), (3, 3), (4,)),
    _err("broadcast_tensors_list", lambda T, a: T.broadcast_tensors([a]), (3,)),
    _err("take_along_dim_ndim", lambda T, x, i: T.take_along_dim(x, i, 0), (3, 3), idx(0, 1)),
    _err("take_along_dim_dtype",
         lambda T, x: T.take_along_dim(x, T.tensor([[0, 1]], dtype=T.int32), 0), (3, 3)),
    _err("take_along_dim_shapes", lambda T, x, i: T.take_along_dim(x, i, 0), (3, 3),
         V(np.zeros((2, 2), np.int64))),
    _err("dstack_empty", lambda T: T.dstack([])),
    _err("column_stack_empty", lambda T: T.column_stack([])),
    _err("column_stack_rows", lambda T, a, b: T.column_stack([a, b]), (), (3,)),
]

test_errors = make_error_test(ERRORS)


def test_meshgrid_warns_once_without_indexing():
    """PyTorch's warning (its text as torch 2.13 gives it), once per process as in PyTorch."""
    from ember import _config

    _config._warned.discard("torch.meshgrid: in an upcoming release, it will be required to "
                            "pass the indexing argument.")
    v = ember.tensor([1.0, 2.0])
    for expected in (1, 0):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            a, b = ember.meshgrid(v, v)
        assert [str(w.message) for w in caught] == [
            "torch.meshgrid: in an upcoming release, it will be required to pass the "
            "indexing argument."] * expected
        assert a.tolist() == [[1.0, 1.0], [2.0, 2.0]]  # 'ij', the default


@pytest.mark.parametrize("offset,dims", [(0, (0, 1)), (1, (0, 1)), (-1, (1, 0)), (1, (2, 0))])
def test_diagonal_is_a_view(offset, dims):
    """Writing into a diagonal writes into its base, and back, as in PyTorch."""
    out = []
    for lib in (torch, ember):
        base = lib.arange(24.0).reshape(2, 3, 4) if dims == (2, 0) else \
            lib.arange(12.0).reshape(3, 4)
        d = base.diagonal(offset, *dims)
        d.mul_(-1)
        d[..., 0] = 100.0
        base.add_(1)  # the view sees its base's change
        out.append((base.numpy().copy(), d.numpy().copy()))
    (tb, td), (eb, ed) = out
    np.testing.assert_array_equal(eb, tb)
    np.testing.assert_array_equal(ed, td)


def test_diagonal_inplace_in_graph():
    """An in-place op on a diagonal of a graph tensor routes gradients as PyTorch's does."""
    grads = []
    for lib in (torch, ember):
        x = lib.tensor(np.arange(1.0, 10.0).reshape(3, 3), requires_grad=True)
        y = x * 2
        y.diagonal().mul_(y.diagonal(1).sum())
        (y ** 2).sum().backward()
        grads.append(x.grad.numpy().copy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_diagonal_view_version_and_base():
    x = ember.zeros(3, 3)
    d = x.diagonal()
    assert d._base is x
    d.fill_(1.0)
    assert x.sum().item() == 3.0
    y = ember.diag(x)  # torch.diag is a copy
    y.fill_(5.0)
    assert x.sum().item() == 3.0


def test_tril_inplace_grad_fn():
    x = ember.ones(2, 2, requires_grad=True).clone()
    assert type(x.tril_().grad_fn).__name__ == "TrilBackward0"
    assert x.tolist() == [[1.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize("shapes", [((2, 1), (3,)), (2, (3, 1)), ((), (1,), (4, 1, 2)), ()])
def test_broadcast_shapes(shapes):
    got = ember.broadcast_shapes(*shapes)
    assert isinstance(got, ember.Size) and got == torch.broadcast_shapes(*shapes)
