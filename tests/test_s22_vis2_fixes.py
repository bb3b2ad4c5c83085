"""Fixes from the session-22 vis2 sweep (MAE, StyleGAN2), each checked against torch 2.13
live."""

import numpy as np
import pytest
from torch_compare import same


def _x(L):
    return L.from_numpy(np.arange(24, dtype=np.float32))


@pytest.mark.parametrize("case", [
    lambda L: _x(L).reshape(shape=(2, 3, 4)),            # MAE's patchify / unpatchify
    lambda L: _x(L).reshape(shape=[4, -1]),
    lambda L: _x(L).reshape(shape=L.Size([6, 4])),
    lambda L: _x(L).reshape(shape=()),
    lambda L: L.reshape(_x(L), shape=(3, 8)),
    lambda L: L.reshape(input=_x(L), shape=(8, 3)),
    lambda L: _x(L).view(size=(2, 12)),
    lambda L: _x(L).view(size=[-1, 6]),
    lambda L: _x(L).view(dtype=L.int32),
    lambda L: _x(L).reshape((2, 12), shape=(2, 12)),     # errors: PyTorch's parser
    lambda L: _x(L).reshape(2, shape=(12,)),
    lambda L: _x(L).reshape(size=(2, 12)),
    lambda L: _x(L).reshape((2, 12), foo=1),
    lambda L: _x(L).reshape(shape=24),
    lambda L: _x(L).reshape(shape=(2, 12.0)),
    lambda L: _x(L).reshape(shape=(2.0, 12)),
    lambda L: _x(L).reshape(shape=(5, 5)),
    lambda L: _x(L).view(shape=(2, 12)),
    lambda L: _x(L).view(size=24),
    lambda L: _x(L).view(size=(2, 12.0)),
    lambda L: _x(L).view(size=(2.0, 12)),
    lambda L: _x(L).view((2, 12), size=(2, 12)),
    lambda L: _x(L).view(2, dtype=L.int32),
    lambda L: _x(L)[::2].view(size=(3, 4)),
])
def test_reshape_view_keyword_sizes(case):
    """x.reshape(shape=...) (MAE's patchify) and x.view(size=...) take their sizes by
    keyword; ember's *shape signature refused the keyword."""
    def run(L):
        y = case(L)
        return str(y.dtype), tuple(y.shape), y.tolist()
    same(run)


def test_reshape_keyword_grad():
    """The keyword form builds the same graph as the positional one."""
    def run(L):
        x = L.from_numpy(np.arange(12, dtype=np.float32)).requires_grad_()
        y = x.reshape(shape=(3, 4)).t().reshape(shape=(2, 6)) * L.arange(6.0)
        y.sum().backward()
        return type(y.grad_fn).__name__, x.grad.tolist()
    same(run)


def _operand(L, shape, dtype, layout, grad):
    """A zero tensor of ``shape``: contiguous (0), the transpose of a contiguous one (1), or
    with its first two dimensions swapped (2)."""
    if layout == 1:
        t = L.zeros(shape[:-2] + (shape[-1], shape[-2]), dtype=dtype).requires_grad_(grad)
        return t.transpose(-1, -2)
    if layout == 2:
        t = L.zeros((shape[1], shape[0]) + shape[2:], dtype=dtype).requires_grad_(grad)
        return t.transpose(0, 1)
    return L.zeros(shape, dtype=dtype).requires_grad_(grad)


_SHAPES = [((5, 2, 3), (3, 4)), ((7, 5, 2, 3), (3, 4)), ((1, 2, 3), (3, 4)), ((3,), (5, 3, 4)),
           ((2, 3), (5, 3, 4)), ((5, 2, 3), (3,)), ((5, 2, 3), (5, 3, 4)), ((0, 2, 3), (3, 4)),
           ((3,), (1, 3, 4)), ((2, 3), (1, 3, 4))]
_MIXED = [(sa, sb, la, lb) for sa, sb in _SHAPES
          for la, lb in [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (0, 2)]
          if not (la == 2 and len(sa) < 3) and not (lb == 2 and len(sb) < 3)]


@pytest.mark.parametrize("sa,sb,la,lb", _MIXED)
@pytest.mark.parametrize("ga,gb", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("double_first", [True, False])
def test_matmul_mixed_dtype_error_follows_folding(sa, sb, la, lb, ga, gb, double_first):
    """non_leaking.py's get_padding multiplies a float64 G[:, :2, :] (a non-contiguous batch)
    by a float32 matrix: PyTorch's matmul folds a batch into mm / mv rows only when the
    smaller operand requires grad or the larger views as rows without a copy (should_fold),
    else broadcasts to bmm, and the dtype error names the kernel it reached ("expected m1
    and m2 to have the same dtype" against "expected scalar type Double but found Float")."""
    def run(L):
        da, db = (L.float64, L.float32) if double_first else (L.float32, L.float64)
        return (_operand(L, sa, da, la, ga) @ _operand(L, sb, db, lb, gb)).shape
    same(run)
