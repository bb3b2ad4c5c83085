"""ravel, hsplit/vsplit/dsplit, row_stack, diagflat, diagonal_scatter, block_diag,
cartesian_prod, combinations, tril_indices/triu_indices (ops/shape_extra.py) against
PyTorch 2.13: values, dtype, grad_fn names, gradients vs torch and finite differences, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from optable import FIXED, ErrorCase, OpCase, V, make_error_test, make_tests

CASES = [
    OpCase("ravel", lambda T, x: x.ravel(), [(2, 3)], gradgrad=True),
    OpCase("ravel_transposed", lambda T, x: T.ravel(x.t()), [(2, 3)]),
    OpCase("ravel_0d", lambda T, x: T.ravel(x), [()]),
    OpCase("hsplit", lambda T, x: T.hsplit(x, 2), [(3, 4)], gradgrad=True),
    OpCase("hsplit_indices", lambda T, x: x.hsplit([1, 3]), [(3, 4)]),
    OpCase("hsplit_vector", lambda T, x: T.hsplit(x, 3), [(6,)]),
    OpCase("vsplit", lambda T, x: T.vsplit(x, 3), [(3, 4)]),
    OpCase("vsplit_indices", lambda T, x: x.vsplit([2]), [(3, 4)]),
    OpCase("dsplit", lambda T, x: T.dsplit(x, 2), [(1, 3, 4)]),
    OpCase("row_stack", lambda T, a, b: T.row_stack([a, b]), [(3,), (2, 3)]),
    OpCase("diagflat", lambda T, x: T.diagflat(x), [(2, 2)], gradgrad=True),
    OpCase("diagflat_offset", lambda T, x: x.diagflat(-1), [(3,)]),
    OpCase("diagflat_0d", lambda T, x: T.diagflat(x), [()]),
    OpCase("diagonal_scatter", lambda T, x, s: T.diagonal_scatter(x, s), [(3, 4), (3,)],
           gradgrad=True),
    OpCase("diagonal_scatter_dims", lambda T, x, s: x.diagonal_scatter(s, 1, 2, 0),
           [(3, 2, 4), (2, 2)]),
    OpCase("diagonal_scatter_nan", lambda T, x, s: T.diagonal_scatter(x, s, -1),
           [V([[np.nan, 1.0], [np.inf, 2.0]]), (1,)], fd=False),  # nan/inf stay off the grads
    OpCase("block_diag", lambda T, a, b, c: T.block_diag(a, b, c), [(2, 3), (2,), ()],
           gradgrad=True),
    OpCase("block_diag_empty_rows", lambda T, a, b: T.block_diag(a, b), [(0, 2), (1, 1)]),
    OpCase("block_diag_promote", lambda T, a, b: T.block_diag(a, b),
           [V([1, 2]), V([[0.5], [1.5]], "float32")], dtypes=[FIXED]),
    OpCase("block_diag_none", lambda T: T.block_diag(), []),
    OpCase("cartesian_prod", lambda T, a, b: T.cartesian_prod(a, b), [(3,), (2,)],
           gradgrad=True),
    OpCase("cartesian_prod_three", lambda T, a, b, c: T.cartesian_prod(a, b, c),
           [(2,), (1,), (3,)]),
    OpCase("cartesian_prod_one", lambda T, a: T.cartesian_prod(a), [(3,)]),
    OpCase("combinations", lambda T, x: T.combinations(x), [(4,)], gradgrad=True),
    OpCase("combinations_r3", lambda T, x: T.combinations(x, 3), [(4,)]),
    OpCase("combinations_replacement", lambda T, x: T.combinations(x, with_replacement=True),
           [(3,)]),
    OpCase("combinations_too_many", lambda T, x: T.combinations(x, r=5), [(3,)]),
    OpCase("combinations_r0", lambda T, x: T.combinations(x, 0), [(3,)]),
    OpCase("combinations_int", lambda T, x: T.combinations(x), [V([4, 5, 6])], dtypes=[FIXED]),
    OpCase("tril_indices", lambda T: T.tril_indices(3, 4), []),
    OpCase("tril_indices_offset", lambda T: T.tril_indices(4, 3, -1, dtype=T.int32), []),
    OpCase("triu_indices", lambda T: T.triu_indices(3, 4, 1), []),
    OpCase("triu_indices_far", lambda T: T.triu_indices(3, 3, -5), []),
    OpCase("triu_indices_empty", lambda T: T.triu_indices(0, 3), []),
]

test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(
    CASES, grad_fn_names=True)


def _err(name, fn, *inputs, **kw):
    return ErrorCase(name, fn, list(inputs), kw)


ERRORS = [
    _err("hsplit_divisible", lambda T, x: T.hsplit(x, 3), (3, 4)),
    _err("hsplit_0d", lambda T, x: T.hsplit(x, 1), ()),
    _err("hsplit_zero", lambda T, x: T.hsplit(x, 0), (3, 4)),
    _err("vsplit_1d", lambda T, x: T.vsplit(x, 3), (3,)),
    _err("vsplit_divisible", lambda T, x: x.vsplit(2), (3, 4)),
    _err("dsplit_2d", lambda T, x: T.dsplit(x, 2), (3, 4)),
    _err("dsplit_divisible", lambda T, x: T.dsplit(x, 3), (1, 3, 4)),
    _err("diagonal_scatter_size", lambda T, x, s: T.diagonal_scatter(x, s), (3, 4), (4,)),
    _err("diagonal_scatter_dims", lambda T, x, s: T.diagonal_scatter(x, s, 0, 1, 1), (3, 4),
         (3,)),
    _err("block_diag_3d", lambda T, a, b: T.block_diag(a, b), (2, 2), (1, 2, 2)),
    _err("cartesian_prod_2d", lambda T, a, b: T.cartesian_prod(a, b), (3, 4), (3,)),
    _err("cartesian_prod_none", lambda T: T.cartesian_prod()),
    _err("combinations_2d", lambda T, x: T.combinations(x), (3, 4)),
    _err("combinations_negative", lambda T, x: T.combinations(x, -1), (3,)),
    _err("tril_indices_row", lambda T: T.tril_indices(-1, 3)),
    _err("triu_indices_col", lambda T: T.triu_indices(3, -2)),
    _err("tril_indices_float", lambda T: T.tril_indices(3, 3, dtype=T.float32)),
]

test_errors = make_error_test(ERRORS)


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_split_pieces_are_views(lib):
    """hsplit/vsplit/dsplit pieces share memory with the input, as in PyTorch."""
    x = lib.zeros(2, 4)
    lib.hsplit(x, 2)[1].fill_(1.0)
    lib.vsplit(x, 2)[0].add_(2.0)
    assert x.tolist() == [[2.0, 2.0, 3.0, 3.0], [0.0, 0.0, 1.0, 1.0]]
