"""The shape, indexing and linear-algebra ops' table, each row checked against PyTorch 2.13.

Values, dtype, shape and requires_grad of the forward; the gradient against float64 finite
differences and against PyTorch's; some rows to second order (see tests/optable.py). The
``ERRORS`` rows check PyTorch's exception type and first message line for bad shapes and dims.
"""

from __future__ import annotations

import dataclasses
import numpy as np
import pytest
import torch

import ember
from optable import FIXED, ErrorCase, OpCase, V, leaves, make_error_test, make_tests

I64 = "int64"


def idx(*values) -> V:
    """An int64 index tensor input."""
    return V(np.array(values, dtype=np.int64))


def _linear(T, *args):
    f = ember.ops.linear if T is ember else torch.nn.functional.linear
    return f(*args)


def _mm_rows(name, fn, shapes, gradgrad=True):
    return OpCase(name, fn, shapes, gradgrad=gradgrad)


LINALG = [
    _mm_rows("matmul_1d_1d", lambda T, a, b: a @ b, [(3,), (3,)]),
    _mm_rows("matmul_1d_2d", lambda T, a, b: a @ b, [(3,), (3, 4)]),
    _mm_rows("matmul_2d_1d", lambda T, a, b: T.matmul(a, b), [(2, 3), (3,)]),
    _mm_rows("matmul_2d_2d", lambda T, a, b: a @ b, [(2, 3), (3, 4)]),
    _mm_rows("matmul_3d_3d", lambda T, a, b: a @ b, [(2, 2, 3), (2, 3, 4)]),
    _mm_rows("matmul_3d_2d", lambda T, a, b: a @ b, [(2, 2, 3), (3, 4)]),
    _mm_rows("matmul_2d_3d", lambda T, a, b: a @ b, [(2, 3), (2, 3, 4)]),
    _mm_rows("matmul_broadcast_batch", lambda T, a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)]),
    _mm_rows("matmul_1d_3d", lambda T, a, b: a @ b, [(3,), (2, 3, 4)]),
    _mm_rows("matmul_3d_1d", lambda T, a, b: a @ b, [(2, 4, 3), (3,)]),
    _mm_rows("matmul_4d_1d", lambda T, a, b: T.matmul(a, b), [(2, 2, 4, 3), (3,)]),
    _mm_rows("matmul_empty_inner", lambda T, a, b: a @ b, [(2, 0), (0, 3)], gradgrad=False),
    _mm_rows("matmul_method", lambda T, a, b: a.matmul(b), [(2, 3), (3, 2)], gradgrad=False),
    _mm_rows("rmatmul_array", lambda T, a: a @ T.ones(3, 2, dtype=a.dtype), [(4, 3)]),
    _mm_rows("dot", lambda T, a, b: T.dot(a, b), [(4,), (4,)]),
    _mm_rows("inner_1d", lambda T, a, b: T.inner(a, b), [(4,), (4,)], gradgrad=False),
    _mm_rows("inner_nd", lambda T, a, b: a.inner(b), [(2, 3), (2, 2, 3)], gradgrad=False),
    _mm_rows("mm", lambda T, a, b: T.mm(a, b), [(2, 3), (3, 4)]),
    _mm_rows("mm_method", lambda T, a, b: a.mm(b), [(1, 3), (3, 1)], gradgrad=False),
    _mm_rows("bmm", lambda T, a, b: T.bmm(a, b), [(3, 2, 4), (3, 4, 2)]),
    _mm_rows("mv", lambda T, a, b: T.mv(a, b), [(2, 3), (3,)]),
    _mm_rows("outer", lambda T, a, b: T.outer(a, b), [(3,), (4,)]),
    _mm_rows("linear_1d", _linear, [(3,), (4, 3)]),
    _mm_rows("linear_1d_bias", _linear, [(3,), (4, 3), (4,)]),
    _mm_rows("linear_2d", _linear, [(5, 3), (4, 3)]),
    _mm_rows("linear_2d_bias", _linear, [(5, 3), (4, 3), (4,)]),
    _mm_rows("linear_3d", _linear, [(2, 5, 3), (4, 3)]),
    _mm_rows("linear_3d_bias", _linear, [(2, 5, 3), (4, 3), (4,)]),
    _mm_rows("linear_vector_weight", _linear, [(5, 3), (3,)], gradgrad=False),
    OpCase("matmul_int", lambda T, a, b: a @ b, [V([[1, 2], [3, 4]]), V([5, 6])], dtypes=[FIXED]),
]

SHAPE = [
    OpCase("reshape", lambda T, x: x.reshape(3, 2), [(2, 3)], gradgrad=True),
    OpCase("reshape_tuple_infer", lambda T, x: T.reshape(x, (-1, 4)), [(2, 3, 4)]),
    OpCase("reshape_0d", lambda T, x: x.reshape(1, 1), [()]),
    OpCase("reshape_to_0d", lambda T, x: x.reshape(()), [(1,)]),
    OpCase("view_infer", lambda T, x: x.view(-1), [(2, 3)]),
    OpCase("view_infer_mid", lambda T, x: x.view(2, -1, 2), [(2, 3, 2)]),
    OpCase("view_empty", lambda T, x: x.view(-1, 3), [(0, 3)]),
    OpCase("flatten", lambda T, x: x.flatten(), [(2, 3, 4)], gradgrad=True),
    OpCase("flatten_start", lambda T, x: T.flatten(x, 1), [(2, 3, 4)]),
    OpCase("flatten_range", lambda T, x: x.flatten(0, -2), [(2, 3, 4)]),
    OpCase("flatten_noop", lambda T, x: x.flatten(1, 1), [(2, 3)]),
    OpCase("flatten_0d", lambda T, x: x.flatten(), [()]),
    OpCase("unflatten", lambda T, x: x.unflatten(1, (2, 2)), [(3, 4)]),
    OpCase("unflatten_infer", lambda T, x: x.unflatten(-1, (-1, 3)), [(2, 6)]),
    OpCase("squeeze_all", lambda T, x: x.squeeze(), [(1, 3, 1, 2)], gradgrad=True),
    OpCase("squeeze_dim", lambda T, x: x.squeeze(2), [(1, 3, 1, 2)]),
    OpCase("squeeze_neg_dim", lambda T, x: T.squeeze(x, -4), [(1, 3, 1, 2)]),
    OpCase("squeeze_tuple", lambda T, x: x.squeeze((0, 2)), [(1, 3, 1, 2)]),
    OpCase("squeeze_non_one", lambda T, x: x.squeeze(1), [(1, 3, 1, 2)]),
    OpCase("squeeze_0d", lambda T, x: x.squeeze(0), [()]),
    OpCase("unsqueeze", lambda T, x: x.unsqueeze(0), [(2, 3)], gradgrad=True),
    OpCase("unsqueeze_last", lambda T, x: x.unsqueeze(-1), [(2, 3)]),
    OpCase("unsqueeze_neg", lambda T, x: T.unsqueeze(x, -3), [(2, 3)]),
    OpCase("unsqueeze_0d", lambda T, x: x.unsqueeze(-1), [()]),
    OpCase("transpose", lambda T, x: x.transpose(0, 2), [(2, 3, 4)], gradgrad=True),
    OpCase("transpose_neg", lambda T, x: T.transpose(x, -1, -2), [(2, 3, 4)]),
    OpCase("swapaxes", lambda T, x: T.swapaxes(x, 0, 1), [(2, 3)]),
    OpCase("t", lambda T, x: x.t(), [(2, 3)]),
    OpCase("t_1d", lambda T, x: T.t(x), [(3,)]),
    OpCase("permute", lambda T, x: x.permute(2, 0, 1), [(2, 3, 4)], gradgrad=True),
    OpCase("permute_tuple_neg", lambda T, x: T.permute(x, (-1, 0, -2)), [(2, 3, 4)]),
    OpCase("movedim", lambda T, x: T.movedim(x, 0, -1), [(2, 3, 4)]),
    OpCase("T_property", lambda T, x: x.T, [(2, 3)]),
    OpCase("mT_property", lambda T, x: x.mT, [(4, 2, 3)]),
    OpCase("expand", lambda T, x: x.expand(2, 3, 4), [(3, 1)], gradgrad=True),
    OpCase("expand_keep", lambda T, x: x.expand(-1, 4), [(3, 1)]),
    OpCase("expand_tuple", lambda T, x: x.expand((2, -1, 3)), [(4, 1)]),
    OpCase("expand_0d", lambda T, x: x.expand(2, 2), [()]),
    OpCase("expand_as", lambda T, x, y: x.expand_as(y), [(1, 3), (2, 3)], grad=(0,)),
    OpCase("broadcast_to", lambda T, x: T.broadcast_to(x, (2, 3)), [(3,)]),
    OpCase("repeat", lambda T, x: x.repeat(2, 3), [(2, 3)], gradgrad=True),
    OpCase("repeat_more_dims", lambda T, x: x.repeat(2, 1, 2), [(3,)]),
    OpCase("repeat_tuple", lambda T, x: x.repeat((1, 2)), [(2, 1)]),
    OpCase("repeat_zero", lambda T, x: x.repeat(0, 2), [(2, 3)]),
    OpCase("contiguous", lambda T, x: x.contiguous(), [(2, 3)]),
    OpCase("contiguous_transposed", lambda T, x: x.t().contiguous() * 2, [(2, 3)]),
    OpCase("flip", lambda T, x: x.flip(0), [(2, 3)], gradgrad=True),
    OpCase("flip_dims", lambda T, x: T.flip(x, (0, -1)), [(2, 3, 2)]),
    OpCase("fliplr", lambda T, x: T.fliplr(x), [(2, 3)]),
    OpCase("cat", lambda T, a, b: T.cat([a, b]), [(2, 3), (1, 3)], gradgrad=True),
    OpCase("cat_dim1", lambda T, a, b, c: T.cat((a, b, c), dim=1), [(2, 1), (2, 3), (2, 2)]),
    OpCase("cat_neg_dim", lambda T, a, b: T.cat([a, b], -1), [(2, 2, 1), (2, 2, 2)]),
    OpCase("cat_single", lambda T, a: T.cat([a]), [(2, 3)]),
    OpCase("cat_legacy_empty", lambda T, a, b: T.cat([a, b]), [(2, 3), (0,)]),
    OpCase("cat_float64_float32", lambda T, a, b: T.cat([a, b]),
           [V(np.ones((1, 2)), "float32"), V(np.full((1, 2), 2.0), "float64")], dtypes=[FIXED]),
    OpCase("cat_int_float", lambda T, a, b: T.cat([a, b]),
           [V([[1, 2]]), V([[0.5, 1.5]], "float32")], dtypes=[FIXED]),
    OpCase("cat_int_bool", lambda T, a, b: T.cat([a, b]), [V([1, 2]), V([True])],
           dtypes=[FIXED]),
    OpCase("concat_alias", lambda T, a, b: T.concat([a, b], 1), [(2, 1), (2, 2)]),
    OpCase("stack", lambda T, a, b: T.stack([a, b]), [(2, 3), (2, 3)], gradgrad=True),
    OpCase("stack_dim1", lambda T, a, b, c: T.stack((a, b, c), 1), [(2, 3)] * 3),
    OpCase("stack_neg", lambda T, a, b: T.stack([a, b], dim=-1), [(2, 3), (2, 3)]),
    OpCase("stack_0d", lambda T, a, b: T.stack([a, b]), [(), ()]),
    OpCase("stack_mixed", lambda T, a, b: T.stack([a, b]),
           [V([1.0, 2.0], "float32"), V([1, 2])], dtypes=[FIXED]),
    OpCase("hstack", lambda T, a, b: T.hstack([a, b]), [(2, 1), (2, 2)]),
    OpCase("vstack", lambda T, a, b: T.vstack([a, b]), [(3,), (2, 3)]),
    OpCase("split_int", lambda T, x: x.split(2), [(5, 2)], gradgrad=True),
    OpCase("split_sections", lambda T, x: T.split(x, [1, 3, 0], dim=1), [(2, 4)]),
    OpCase("split_big", lambda T, x: x.split(7), [(5,)]),
    OpCase("chunk_uneven", lambda T, x: x.chunk(3), [(5, 2)]),
    OpCase("chunk_more_than_size", lambda T, x: T.chunk(x, 4, dim=1), [(2, 3)]),
    OpCase("chunk_neg_dim", lambda T, x: x.chunk(2, -1), [(2, 4)]),
    OpCase("tensor_split", lambda T, x: x.tensor_split(3), [(7,)]),
    OpCase("unbind", lambda T, x: x.unbind(), [(3, 2)], gradgrad=True),
    OpCase("unbind_dim", lambda T, x: T.unbind(x, dim=-1), [(3, 2)]),
    OpCase("narrow", lambda T, x: x.narrow(1, 1, 2), [(2, 4)], gradgrad=True),
    OpCase("narrow_neg_start", lambda T, x: T.narrow(x, 0, -2, 2), [(3, 2)]),
    OpCase("narrow_empty", lambda T, x: x.narrow(0, 3, 0), [(3, 2)]),
    OpCase("clone", lambda T, x: x.clone(), [(2, 3)]),
]


def _setitem(index, value=5.0):
    """y = x * 1; y[index] = value (a constant, or the row's second input)."""

    def fn(T, x, *v):
        y = x * 1
        y[index] = v[0] if v else value
        return y

    return fn


def _setitem_tensor_index(T, x, i, v):
    y = x * 1
    y[i] = v * 2
    return y


def _setitem_into_zeros(T, v):
    y = T.zeros(3, 4, dtype=v.dtype)
    y[1:, ::2] = v
    return y


def _setitem_mask(T, x):
    y = x.clone()
    y[y > 0] = 0.0
    return y


MASK = V(np.array([[True, False, True], [False, False, True]]))

INDEXING = [
    OpCase("int", lambda T, x: x[1], [(3, 4)], gradgrad=True),
    OpCase("int_negative", lambda T, x: x[-1, -2], [(3, 4)]),
    OpCase("int_all_dims", lambda T, x: x[1, 2], [(3, 4)]),
    OpCase("slice", lambda T, x: x[1:3], [(4, 2)], gradgrad=True),
    OpCase("slice_step", lambda T, x: x[::2, 1::2], [(5, 4)]),
    OpCase("slice_negative", lambda T, x: x[-3:-1, :-1], [(4, 3)]),
    OpCase("slice_past_end", lambda T, x: x[2:10], [(4,)]),
    OpCase("slice_empty", lambda T, x: x[3:1], [(4,)]),
    OpCase("none", lambda T, x: x[None], [(2, 3)]),
    OpCase("none_mid", lambda T, x: x[:, None, 1], [(2, 3)]),
    OpCase("ellipsis", lambda T, x: x[..., 1], [(2, 3, 4)]),
    OpCase("ellipsis_mid", lambda T, x: x[0, ..., 1:], [(2, 3, 4)]),
    OpCase("ellipsis_only", lambda T, x: x[...], [(2, 3)]),
    OpCase("full_slice", lambda T, x: x[:], [(2, 3)]),
    OpCase("full_slices", lambda T, x: x[:, :], [(2, 3)]),  # AliasBackward0, x[:] is a Slice
    OpCase("full_slice_tuple", lambda T, x: x[(slice(None),)], [(2, 3)]),
    OpCase("column", lambda T, x: x[:, 0], [(3, 2)], gradgrad=True),
    OpCase("slice_then_full", lambda T, x: x[1:, :], [(3, 2)]),
    OpCase("full_then_step", lambda T, x: x[:, ::2], [(3, 4)]),
    OpCase("list", lambda T, x: x[[2, 0]], [(3, 2)], gradgrad=True),
    OpCase("list_repeated", lambda T, x: x[[0, 0, 1]], [(3, 2)], gradgrad=True),
    OpCase("tensor_index", lambda T, x, i: x[i], [(4, 2), idx([3, 0, 3])]),
    OpCase("tensor_index_2d", lambda T, x, i: x[i], [(4, 2), idx([[0, 1], [1, 1]])]),
    OpCase("tensor_index_0d", lambda T, x, i: x[i], [(4, 2), V(np.int64(2))]),
    OpCase("int32_index", lambda T, x, i: x[i], [(4,), V(np.array([1, 1, 2], np.int32))]),
    OpCase("two_arrays", lambda T, x: x[[0, 1, 1], [2, 0, 2]], [(2, 3)], gradgrad=True),
    OpCase("array_slice_mixed", lambda T, x: x[1:, [0, 2, 0]], [(3, 3)]),
    OpCase("array_int_mixed", lambda T, x: x[0, [1, 1]], [(2, 3)]),
    OpCase("arrays_split_by_slice", lambda T, x: x[[0, 1], :, [1, 0]], [(2, 3, 2)]),
    OpCase("ellipsis_array", lambda T, x: x[..., [0, 0]], [(2, 3)]),
    OpCase("none_array", lambda T, x: x[None, [1, 0]], [(2, 3)]),
    OpCase("bool_mask", lambda T, x, m: x[m], [(2, 3), MASK], gradgrad=True),
    OpCase("bool_mask_rows", lambda T, x, m: x[m], [(2, 3), V(np.array([False, True]))]),
    OpCase("bool_mask_cols", lambda T, x, m: x[:, m], [(2, 3), V(np.array([True, False, True]))]),
    OpCase("bool_list", lambda T, x: x[[True, False, True]], [(3, 2)]),
    OpCase("bool_from_values", lambda T, x: x[x > 0], [(3, 4)]),
    OpCase("gather", lambda T, x, i: x.gather(1, i), [(2, 3), idx([0, 2, 2], [1, 1, 0])],
           gradgrad=True),
    OpCase("gather_dim0_small", lambda T, x, i: T.gather(x, 0, i), [(3, 2), idx([2], [0])]),
    OpCase("gather_1d", lambda T, x, i: x.gather(0, i), [(4,), idx(3, 3, 0)]),
    OpCase("scatter_src", lambda T, x, i, s: x.scatter(1, i, s),
           [(2, 3), idx([0, 2], [1, 0]), (2, 2)], gradgrad=True),
    # PyTorch 2.13 itself fails on src's gradient here (wrong shape): see test_scatter_src_grad
    OpCase("scatter_src_larger", lambda T, x, i, s: x.scatter(0, i, s),
           [(3, 2), idx([2, 0]), (2, 3)], grad=(0,)),
    OpCase("scatter_value", lambda T, x, i: x.scatter(1, i, -1.5), [(2, 3), idx([1], [2])]),
    OpCase("scatter_add", lambda T, x, i, s: x.scatter_add(1, i, s),
           [(2, 3), idx([0, 0, 2], [1, 1, 1]), (2, 3)], gradgrad=True),
    OpCase("scatter_add_fn", lambda T, x, i, s: T.scatter_add(x, 0, i, s),
           [(3,), idx(0, 0, 2, 0), (4,)]),
    OpCase("index_select", lambda T, x, i: x.index_select(0, i), [(3, 2), idx(2, 0, 2)],
           gradgrad=True),
    OpCase("index_select_dim1", lambda T, x, i: T.index_select(x, -1, i), [(2, 3), idx(1)]),
    OpCase("index_select_0d_index", lambda T, x, i: x.index_select(0, i), [(3, 2), V(np.int64(1))]),
    OpCase("masked_fill", lambda T, x, m: x.masked_fill(m, 0.5), [(2, 3), MASK], gradgrad=True),
    OpCase("masked_fill_neg_inf", lambda T, x, m: x.masked_fill(m, float("-inf")),
           [(2, 3), MASK], fd=False),
    OpCase("masked_fill_broadcast_mask", lambda T, x, m: T.masked_fill(x, m, 2),
           [(2, 3), V(np.array([True, False, True]))]),
    OpCase("masked_fill_tensor_value", lambda T, x, m, v: x.masked_fill(m, v),
           [(2, 3), MASK, ()], gradgrad=True),
    OpCase("masked_fill_int", lambda T, x, m: x.masked_fill(m, 7), [V([[1, 2, 3], [4, 5, 6]]),
                                                                    MASK], dtypes=[FIXED]),
    OpCase("masked_select", lambda T, x, m: x.masked_select(m), [(2, 3), MASK]),
    OpCase("take", lambda T, x, i: x.take(i), [(2, 3), idx([5, 0], [0, 1])]),
    OpCase("setitem_int", _setitem(0), [(3, 2)], gradgrad=True),
    OpCase("setitem_slice_tensor", _setitem(slice(1, None)), [(3, 2), (2,)], gradgrad=True),
    OpCase("setitem_list", _setitem([0, 2]), [(3, 2)]),
    OpCase("setitem_list_value", _setitem(([0, 2], [1, 0])), [(3, 2), (2,)]),
    OpCase("setitem_tensor_index", _setitem_tensor_index, [(4, 2), idx(3, 1), (1, 2)]),
    OpCase("setitem_into_zeros", _setitem_into_zeros, [(2, 2)], gradgrad=True),
    OpCase("setitem_mask", _setitem_mask, [(3, 4)]),
    OpCase("setitem_neg_inf", _setitem((0, slice(None)), float("-inf")), [(2, 3)], fd=False),
    OpCase("setitem_ellipsis", _setitem((Ellipsis, 1), 0.0), [(2, 3, 2)]),
]

CASES = ([dataclasses.replace(c, name=f"linalg-{c.name}") for c in LINALG]
         + [dataclasses.replace(c, name=f"shape-{c.name}") for c in SHAPE]
         + [dataclasses.replace(c, name=f"index-{c.name}") for c in INDEXING])
test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(CASES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES
                                  if any(c.diff_mask(c.arrays("float32")))])
def test_grad_fn_names(case):
    """Each output's grad_fn has PyTorch's name, as the tensor's repr shows it."""
    arrays = case.arrays("float32")
    mask = case.diff_mask(arrays)
    names = []
    for lib in ("torch", "ember"):
        out, _ = case.run(lib, arrays, mask)
        names.append([type(o.grad_fn).__name__ if o.grad_fn is not None else None
                      for o in leaves(out)])
    assert names[1] == names[0]


def _err(name, fn, *inputs, **kw):
    return ErrorCase(name, fn, list(inputs), kw)


ERRORS = [
    # linear algebra: shape and dtype mismatches, as each of PyTorch's paths words them
    _err("mm_shapes", lambda T, a, b: T.mm(a, b), (2, 3), (4, 5)),
    _err("mm_vector", lambda T, a, b: T.mm(a, b), (2, 3), (3,)),
    _err("mm_self_vector", lambda T, a, b: T.mm(a, b), (3,), (3, 2)),
    _err("mm_dtype", lambda T, a, b: T.mm(a, b.double()), (2, 3), (3, 2)),
    _err("mm_dtype_bad_shape", lambda T, a, b: T.mm(a, b.double()), (2, 3), (2, 3)),
    _err("matmul_2d_2d", lambda T, a, b: a @ b, (2, 3), (4, 5)),
    _err("matmul_1d_2d", lambda T, a, b: a @ b, (3,), (4, 5)),
    _err("matmul_2d_1d", lambda T, a, b: a @ b, (2, 3), (4,)),
    _err("matmul_1d_1d", lambda T, a, b: T.matmul(a, b), (3,), (4,)),
    _err("matmul_3d_3d", lambda T, a, b: a @ b, (2, 2, 3), (2, 4, 5)),
    _err("matmul_batch", lambda T, a, b: a @ b, (2, 2, 3), (3, 3, 4)),
    _err("matmul_broadcast_batch", lambda T, a, b: a @ b, (2, 1, 3, 4), (5, 5, 2)),
    _err("matmul_3d_2d", lambda T, a, b: a @ b, (2, 2, 3), (4, 5)),
    _err("matmul_3d_1d", lambda T, a, b: a @ b, (2, 2, 3), (4,)),
    _err("matmul_1d_3d", lambda T, a, b: a @ b, (3,), (2, 4, 5)),
    _err("matmul_2d_3d", lambda T, a, b: a @ b, (2, 3), (2, 4, 5)),
    _err("matmul_0d", lambda T, a, b: T.matmul(a, b), (), (2, 3)),
    _err("matmul_dtype_2d", lambda T, a, b: a @ b.double(), (2, 3), (3, 2)),
    _err("matmul_dtype_1d", lambda T, a, b: a @ b.double(), (3,), (3,)),
    _err("matmul_dtype_mv", lambda T, a, b: a @ b.double(), (2, 3), (3,)),
    _err("matmul_dtype_3d", lambda T, a, b: a @ b.double(), (2, 2, 3), (2, 3, 4)),
    _err("matmul_dtype_long", lambda T, a, b: a.long() @ b, (2, 3), (3, 2)),
    _err("bmm_2d", lambda T, a, b: T.bmm(a, b), (2, 3), (3, 2)),
    _err("bmm_batch2_2d", lambda T, a, b: T.bmm(a, b), (2, 3, 4), (4, 2)),
    _err("bmm_batches", lambda T, a, b: T.bmm(a, b), (2, 2, 3), (3, 3, 4)),
    _err("bmm_inner", lambda T, a, b: T.bmm(a, b), (2, 2, 3), (2, 4, 4)),
    _err("bmm_dtype", lambda T, a, b: T.bmm(a, b.double()), (2, 3, 4), (2, 4, 2)),
    _err("dot_2d", lambda T, a, b: T.dot(a, b), (3,), (3, 1)),
    _err("dot_sizes", lambda T, a, b: T.dot(a, b), (3,), (4,)),
    _err("dot_dtype", lambda T, a, b: T.dot(a, b.double()), (3,), (3,)),
    _err("mv_sizes", lambda T, a, b: T.mv(a, b), (2, 3), (4,)),
    _err("mv_matrix", lambda T, a, b: T.mv(a, b), (2, 3), (3, 1)),
    _err("inner_sizes", lambda T, a, b: T.inner(a, b), (2, 3), (2, 4)),
    _err("outer_2d", lambda T, a, b: T.outer(a, b), (3,), (3, 1)),
    _err("linear_shapes", _linear, (2, 3), (5, 4)),
    _err("linear_3d_shapes", _linear, (2, 2, 3), (4, 5)),
    _err("linear_1d_shapes", _linear, (3,), (4, 5)),
    _err("linear_bias", _linear, (2, 3), (4, 3), (3,)),
    _err("linear_dtype", lambda T, a, b: _linear(T, a, b.double()), (2, 3), (5, 3)),
    # shape ops: bad sizes and dims
    _err("view_size", lambda T, x: x.view(4, 4), (2, 3)),
    _err("view_two_infer", lambda T, x: x.view(-1, -1), (2, 3)),
    _err("view_infer_bad", lambda T, x: x.view(-1, 4), (2, 3)),
    _err("view_infer_zero", lambda T, x: x.view(0, -1), (2, 3)),
    _err("reshape_size", lambda T, x: x.reshape(5), (2, 3)),
    _err("flatten_order", lambda T, x: x.flatten(1, 0), (2, 3)),
    _err("flatten_dim", lambda T, x: x.flatten(2), (2, 3)),
    _err("flatten_0d_dim", lambda T, x: x.flatten(1), ()),
    _err("unflatten_sizes", lambda T, x: x.unflatten(1, (2, 2)), (2, 3)),
    _err("squeeze_dim", lambda T, x: x.squeeze(5), (2, 3)),
    _err("squeeze_0d_dim", lambda T, x: x.squeeze(1), ()),
    _err("squeeze_repeated", lambda T, x: x.squeeze((0, 0)), (2, 3)),
    _err("unsqueeze_dim", lambda T, x: x.unsqueeze(3), (2, 3)),
    _err("unsqueeze_neg_dim", lambda T, x: x.unsqueeze(-4), (2, 3)),
    _err("transpose_dim", lambda T, x: x.transpose(0, 2), (2, 3)),
    _err("permute_length", lambda T, x: x.permute(0), (2, 3)),
    _err("permute_repeated", lambda T, x: x.permute(0, 0), (2, 3)),
    _err("permute_dim", lambda T, x: x.permute(0, 2), (2, 3)),
    _err("t_3d", lambda T, x: x.t(), (2, 2, 2)),
    _err("mT_1d", lambda T, x: x.mT, (3,)),
    _err("movedim_dim", lambda T, x: x.movedim(0, 2), (2, 3)),
    _err("expand_fewer", lambda T, x: x.expand(3), (2, 3)),
    _err("expand_mismatch", lambda T, x: x.expand(3, 3), (2, 3)),
    _err("expand_leading_infer", lambda T, x: x.expand(-1, -1, 3), (2, 3)),
    _err("expand_negative", lambda T, x: x.expand(2, -2), (2, 3)),
    _err("repeat_fewer", lambda T, x: x.repeat(2), (2, 3)),
    _err("repeat_negative", lambda T, x: x.repeat(-1, 1), (2, 3)),
    _err("flip_dim", lambda T, x: x.flip(2), (2, 3)),
    _err("flip_repeated", lambda T, x: x.flip(0, 0), (2, 3)),
    _err("cat_sizes", lambda T, a, b: T.cat([a, b]), (2, 3), (2, 4)),
    _err("cat_ndims", lambda T, a, b: T.cat([a, b]), (2, 3), (3,)),
    _err("cat_dim", lambda T, a: T.cat([a, a], dim=2), (2, 3)),
    _err("cat_empty_list", lambda T: T.cat([])),
    _err("stack_sizes", lambda T, a: T.stack([a, a.t()]), (2, 3)),
    _err("stack_empty_list", lambda T: T.stack([])),
    _err("stack_dim", lambda T, a: T.stack([a, a], 3), (2, 3)),
    _err("split_sections", lambda T, x: x.split([1, 1], 1), (2, 3)),
    _err("split_zero", lambda T, x: x.split(0), (2, 3)),
    _err("split_negative", lambda T, x: x.split(-1), (2, 3)),
    _err("chunk_zero", lambda T, x: x.chunk(0), (2, 3)),
    _err("tensor_split_zero", lambda T, x: x.tensor_split(0), (2, 3)),
    _err("unbind_dim", lambda T, x: x.unbind(2), (2, 3)),
    _err("unbind_0d", lambda T, x: x.unbind(), ()),
    _err("narrow_length", lambda T, x: x.narrow(0, 1, 2), (2, 3)),
    _err("narrow_start", lambda T, x: x.narrow(0, 3, 0), (2, 3)),
    _err("narrow_neg_start", lambda T, x: x.narrow(0, -3, 1), (2, 3)),
    _err("narrow_dim", lambda T, x: x.narrow(2, 0, 1), (2, 3)),
    # indexing
    _err("index_out_of_range", lambda T, x: x[2], (2, 3)),
    _err("index_out_of_range_dim1", lambda T, x: x[0, 3], (2, 3)),
    _err("index_too_many", lambda T, x: x[:, :, 0], (2, 3)),
    _err("index_list_out_of_range", lambda T, x: x[[0, 2]], (2, 3)),
    _err("index_tensor_out_of_range", lambda T, x, i: x[i], (2, 3), idx(0, 5)),
    _err("index_0d_tensor_out_of_range", lambda T, x, i: x[i], (2, 3), V(np.int64(5))),
    _err("index_float_tensor", lambda T, x, i: x[i], (2, 3), V(np.array([1.0]))),
    _err("index_float", lambda T, x: x[1.5], (2, 3)),
    _err("index_negative_step", lambda T, x: x[::-1], (2, 3)),
    _err("index_zero_step", lambda T, x: x[::0], (2, 3)),
    _err("index_mask_shape", lambda T, x, m: x[m], (2, 3), V(np.array([True, False, True]))),
    _err("index_mask_shape_dim1", lambda T, x, m: x[:, m], (2, 3), V(np.array([True, False]))),
    _err("setitem_leaf", lambda T, x: x.requires_grad_().__setitem__(0, 1.0), (2, 3)),
    _err("setitem_leaf_advanced", lambda T, x: x.requires_grad_().__setitem__([0], 1.0), (2, 3)),
    _err("setitem_shape", lambda T, x: x.__setitem__(0, T.ones(4)), (2, 3)),
    _err("setitem_shape_advanced", lambda T, x: x.__setitem__([0, 1], T.ones(2, 2)), (2, 3)),
    _err("setitem_mask_shape", lambda T, x: x.__setitem__(x > 0, T.ones(100)), (2, 3)),
    _err("setitem_out_of_range", lambda T, x: x.__setitem__(5, 1.0), (2, 3)),
    _err("gather_float_index", lambda T, x, i: x.gather(0, i.float()), (2, 3), idx([0])),
    _err("gather_ndim", lambda T, x, i: x.gather(0, i), (2, 3), idx(0)),
    _err("gather_out_of_range", lambda T, x, i: x.gather(0, i), (2, 3), idx([5])),
    _err("gather_index_too_big", lambda T, x, i: x.gather(0, i), (2, 3), idx([0, 0, 0, 0])),
    _err("gather_index_too_big_dim1", lambda T, x, i: x.gather(1, i), (2, 3), idx([0], [0], [0])),
    _err("gather_dim", lambda T, x, i: x.gather(2, i), (2, 3), idx([0])),
    _err("scatter_out_of_range", lambda T, x, i: x.scatter(0, i, 1.0), (2, 3), idx([5])),
    _err("scatter_ndim", lambda T, x, i: x.scatter(0, i, 1.0), (2, 3), idx(0)),
    _err("scatter_index_too_big", lambda T, x, i: x.scatter(0, i, 1.0), (2, 3), idx([0] * 4)),
    _err("scatter_src_small", lambda T, x, i, s: x.scatter(0, i, s), (2, 3), idx([0, 1]),
         (1, 1)),
    _err("scatter_add_dtype", lambda T, x, i, s: x.scatter_add(0, i, s.double()), (2, 3),
         idx([0]), (1, 1)),
    _err("index_select_2d_index", lambda T, x, i: x.index_select(0, i), (2, 3), idx([0])),
    _err("index_select_float_index", lambda T, x, i: x.index_select(0, i.float()), (2, 3),
         idx(0)),
    _err("index_select_out_of_range", lambda T, x, i: x.index_select(0, i), (2, 3), idx(5)),
    _err("take_out_of_range", lambda T, x, i: x.take(i), (2, 3), idx(6)),
    _err("take_int32", lambda T, x, i: x.take(i.int()), (2, 3), idx(0)),
    _err("masked_fill_long_mask", lambda T, x, m: x.masked_fill(m, 0.0), (2, 3), idx(1, 0, 1)),
    _err("masked_fill_float_mask", lambda T, x, m: x.masked_fill(m, 0.0), (2, 3),
         V(np.array([1.0, 0.0, 1.0]))),
    _err("masked_fill_mask_shape", lambda T, x, m: x.masked_fill(m, 0.0), (2, 3),
         V(np.array([True, False]))),
    _err("masked_fill_value_1d", lambda T, x, m, v: x.masked_fill(m, v), (2, 3),
         V(np.array([True, False, True])), (3,)),
    _err("masked_select_long", lambda T, x, m: x.masked_select(m), (2, 3), idx(1, 0, 1)),
]
test_errors = make_error_test(ERRORS)


def test_scatter_src_grad_outside_index_block():
    """src larger than index: only its leading index-shaped block is read (zero grad elsewhere).
    PyTorch 2.13 returns a wrongly shaped gradient here, so this row is checked by hand."""
    x = ember.zeros(3, 2, dtype=ember.float64)
    src = ember.arange(6.0, dtype=ember.float64).reshape(2, 3).requires_grad_()
    y = x.scatter(0, ember.tensor([[2, 0]]), src)
    np.testing.assert_array_equal(y.detach().numpy(), [[0, 1], [0, 0], [0, 0]])
    y.backward(ember.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=ember.float64))
    np.testing.assert_array_equal(src.grad.numpy(), [[5, 2, 0], [0, 0, 0]])
