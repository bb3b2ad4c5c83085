"""The dtype of an einsum's product, as PyTorch's einsum arrives at it: operands taken left
to right, a step contracting a dim being a bmm (one dtype, PyTorch's errors naming the two in
its kernels' order) and any other a broadcast ``mul`` (which promotes); a label only one
operand has is summed there first (an integer or bool operand becoming int64)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..tensor import Tensor
from ._matmul_checks import _C_NAMES, _kind


def product_dtype(subs: tuple, out: str, operands: list) -> np.dtype:
    """The dtype of PyTorch's product, operands taken left to right: a step that contracts
    a label (in the product so far and in this operand, both sizes > 1, neither in the output
    nor in a later operand) is a bmm, which takes one dtype ('expected scalar type Float but
    found Double') and no bool; any other step is a broadcast ``mul``, which promotes."""
    nd = (0,) if any(subs) else ()
    big = [{c for c, n in zip(sub, t._data.shape) if n > 1 or len(subs) == 1}
           for sub, t in zip(subs, operands)]  # (one operand: its size-1 labels are summed)
    dts = [_own_sum_dtype(t._data.dtype, big[k] - set(out) - set().union(*big[:k], *big[k + 1:]))
           for k, t in enumerate(operands)]
    dt, seen = dts[0], big[0]
    for k in range(1, len(operands)):
        later = set("".join(subs[k + 1:])) | set(out)
        mine = big[k]
        if (seen & mine) - later:
            if dt == np.bool_ and dts[k] == dt:
                raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
            if dts[k] != dt:
                raise _bmm_dtype_error(subs, out, operands, dt, dts[k])
        else:
            dt = D.result_type(np.empty(nd, dt), np.empty(nd, dts[k]))
        seen |= mine
    return dt


def _bmm_dtype_error(subs: tuple, out: str, operands: list, left, right) -> Exception:
    """PyTorch's message for a bmm of two dtypes, naming them in the order its kernels meet
    them. Its einsum swaps the operands when every output dim taken from the right (``ro``:
    size > 1 there only, or 1 in both) precedes every one from the left alone (``lo``).
    The small kernel (contracted size x rows x cols < 400) reads the second operand as the
    first's type; the large one reads the first as a float or double second's type, and
    for any other second dtype checks the pair as addmm does."""
    def name(d, names=None):
        t = Tensor._make(np.empty(0, d), False, None)
        return _kind(t) if names is None else names[d.name]
    if len(subs) != 2:
        return RuntimeError(f"expected scalar type {name(left)} but found {name(right)}")
    size = [dict(zip(sub, t._data.shape)) for sub, t in zip(subs, operands)]
    lo, ro, m = [], [], 1
    for i, c in enumerate(out):
        sl, sr = size[0].get(c, 1), size[1].get(c, 1)
        if sl == 1 or sr == 1:  # else a batch dim (lro)
            (lo if sl > 1 else ro).append(i)
            m *= max(sl, sr)
    for c in set(size[0]) & set(size[1]) - set(out):
        m *= size[0][c] if size[0][c] > 1 and size[1][c] > 1 else 1
    first, second = (right, left) if lo and ro and ro[-1] < lo[0] else (left, right)
    if m < 400:
        if first == np.bool_:
            return NotImplementedError("\"bmm\" not implemented for 'Bool'")
        return RuntimeError(f"expected scalar type {name(first)} but found {name(second)}")
    if second.name in ("float32", "float64"):
        return RuntimeError(f"expected scalar type {name(second)} but found {name(first)}")
    return RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                        f"{name(first, _C_NAMES)} != {name(second, _C_NAMES)}")


def _own_sum_dtype(dt: np.dtype, summed: set) -> np.dtype:
    """An operand's dtype once the labels only it has (size > 1, not in the output) are
    summed out first, as PyTorch does: ``sum`` of an integer or bool tensor is int64."""
    return np.dtype(np.int64) if summed and dt.kind in "biu" else dt
