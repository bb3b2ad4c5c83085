"""Comparisons and logical ops: they return bool tensors and never carry gradients."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._layout import preserved, relaid
from ._util import check_broadcast, promote, wrap_dim, wrap_int
from .arithmetic import type_name

_ND = np.ndarray


def _bool_result(fn, name, promoted=False):
    def op(input, other):
        if promoted and not _same_footing(input, other):
            # PyTorch compares in the promoted dtype: float32 x == a float64 0-d tensor
            # compares in float32, an int64 tensor == a float in float32.
            input, other = promote(input, other)
        elif type(other) is int:  # PyTorch wraps it to the tensor's integer dtype (_util)
            other = wrap_int(other, input._data.dtype) if input._data.dtype.kind in "iu" \
                else other
        a, b = _raw(input), _raw(other)
        if hasattr(a, "shape") and hasattr(b, "shape"):
            check_broadcast(np.shape(a), np.shape(b))
        out = np.asarray(fn(a, b))
        if type(a) is not _ND or not a.flags.c_contiguous:  # else NumPy's layout is PyTorch's
            out = relaid(out, a, b)
        return Tensor._make(out, False, None)

    op.__name__ = name
    op.__qualname__ = op.__name__  # what TypeErrors name
    # ... and the frame's name, which _call_site reads to word PyTorch's refusal of a list
    op.__code__ = op.__code__.replace(co_name=name, co_qualname=name)
    return op


def _same_footing(a, b) -> bool:
    """True when NumPy already compares a and b as PyTorch does (no promotion needed)."""
    if not isinstance(a, Tensor):
        return False
    if isinstance(b, Tensor):
        return a._data.dtype == b._data.dtype
    t = type(b)
    return t is int or t is bool or (t is float and a._data.dtype.kind == "f")


def _raw(x):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    return x


eq = _bool_result(np.equal, "eq", True)
ne = _bool_result(np.not_equal, "ne", True)
lt = _bool_result(np.less, "lt", True)
le = _bool_result(np.less_equal, "le", True)
gt = _bool_result(np.greater, "gt", True)
ge = _bool_result(np.greater_equal, "ge", True)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(input, other) -> bool:
    """True when both tensors have the same shape and values."""
    try:
        same = input._data.shape == other._data.shape
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input, other=other) from None
    return same and bool(np.all(input._data == other._data))


def _close_args(name: str, input, other, rtol, atol) -> None:
    """PyTorch's checks of allclose/isclose, in its order: a tensor of the same dtype, rtol
    and atol not negative (the number as C++ prints a double, %g), broadcastable."""
    if not isinstance(other, Tensor):  # (x.isclose(b): position 1)
        from ._int_args import not_tensor

        raise not_tensor(other, "other")
    a, b = input._data.dtype, other._data.dtype
    if a != b:
        raise RuntimeError(f"{type_name(a)} did not match {type_name(b)}")
    for tol, val in (("rtol", rtol), ("atol", atol)):
        if val < 0:
            raise RuntimeError(f"{tol} must be greater than or equal to zero, but got {val:g}")
    check_broadcast(input._data.shape, other._data.shape)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    _close_args("allclose", input, other, rtol, atol)
    return bool(np.allclose(input._data, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _close_args("isclose", input, other, rtol, atol)
    return Tensor._make(np.isclose(input._data, _raw(other), rtol=rtol, atol=atol,
                                   equal_nan=equal_nan), False, None)


def _logical(fn, name):
    """A logical op of two tensors (PyTorch's parser takes no number or list for ``other``)."""
    def op(input, other):
        try:
            a, b = input._data, other._data
        except AttributeError:  # a str, list, number: PyTorch's parser error
            from ._int_args import first_not_tensor

            raise first_not_tensor(input=input, other=other) from None
        check_broadcast(a.shape, b.shape)
        out = np.asarray(fn(a, b))
        if type(a) is not _ND or not a.flags.c_contiguous:  # else NumPy's layout is PyTorch's
            out = relaid(out, a, b)
        return Tensor._make(out, False, None)

    op.__name__ = op.__qualname__ = name
    op.__code__ = op.__code__.replace(co_name=name, co_qualname=name)  # errors name it
    return op


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def logical_not(input):
    try:
        return Tensor._make(np.logical_not(input._data), False, None)
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None


def _bitwise(fn, name):
    def op(input, other):
        a, b = promote(input, other)
        if isinstance(a, Tensor) and isinstance(b, Tensor):  # shapes first, as PyTorch
            check_broadcast(a._data.shape, b._data.shape)
        dt = (a if isinstance(a, Tensor) else b)._data.dtype
        if dt.kind == "f":
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{type_name(dt)}\'')
        a, b = _raw(a), _raw(b)
        out = np.asarray(fn(a, b))
        if type(a) is not _ND or not a.flags.c_contiguous:  # else NumPy's layout is PyTorch's
            out = relaid(out, a, b)
        return Tensor._make(out, False, None)

    op.__name__ = name
    op.__qualname__ = op.__name__  # what TypeErrors name
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input):
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if input._data.dtype.kind == "f":
        raise NotImplementedError(
            f"\"bitwise_not_cpu\" not implemented for '{type_name(input._data.dtype)}'")
    return Tensor._make(np.invert(input._data), False, None)


class Sort(Primitive):
    """y = x taken along ``dim`` in the order ``perm`` (its first k);  the gradient of y goes
    back to the positions it was taken from: dL/dx = unsort(concat(g, zeros))."""

    @staticmethod
    def forward(ctx, x, dim, perm, k):
        ctx.zero_d = zero_d = np.ndim(x) == 0
        if zero_d:  # one entry: itself
            return np.array(x, copy=True)
        n = np.shape(x)[dim]
        ctx.dim, ctx.pad = dim, n - k
        ctx.inverse = np.argsort(perm, axis=dim)  # undoes the permutation
        y = np.take_along_axis(x, np.take(perm, np.arange(k), axis=dim), axis=dim)
        return preserved(y, x) if k == n else y  # sort: laid out as x, as PyTorch's

    @staticmethod
    def backward(ctx, g):
        if ctx.zero_d:
            return (g, None, None, None)
        if ctx.pad:
            shape = list(np.shape(g))
            shape[ctx.dim] = ctx.pad
            g = np.concatenate([g, np.zeros(shape, dtype=_dtype(g))], axis=ctx.dim)
        return (np.take_along_axis(g, ctx.inverse, axis=ctx.dim), None, None, None)


class Topk(Sort):
    pass


def _dtype(a):
    return a._data.dtype if isinstance(a, Tensor) else a.dtype


def _order(x: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable sort order along dim; descending keeps equal entries in index order and puts
    nan first (ascending: last), as PyTorch."""
    if not descending:
        return np.argsort(x, axis=dim, kind="stable")
    rev = np.argsort(np.flip(x, axis=dim), axis=dim, kind="stable")
    return x.shape[dim] - 1 - np.flip(rev, axis=dim)


def _sorted(input, dim, descending, k, cls, name, topk_sorted=None, unstable=False):
    from .extrema import values_indices

    x = input._data
    if x.ndim == 0:
        wrap_dim(dim, 0)
        return values_indices(cls.apply(input, 0, None, 1),
                              Tensor._make(np.array(0), False, None), name)
    d = wrap_dim(dim, x.ndim)
    perm = _order(x, d, descending).astype(np.int64)
    if topk_sorted is not None and k and x.shape[d] > 1:
        perm = _topk_perm(x, d, perm, k, descending, topk_sorted)
    elif unstable and x.shape[d] > 16:
        perm = _unstable_perm(x, d, perm, descending)
    idx = np.take(perm, np.arange(k), axis=d)
    idx = Tensor._make(preserved(idx, x) if k == x.shape[d] else idx, False, None)
    return values_indices(cls.apply(input, d, perm, k), idx, name)


class SortStable(Sort):
    """sort called with ``stable`` given: PyTorch's other overload, its node SortBackward1."""

    node_name = "SortBackward1"


def sort(input, *args, **kwargs):
    """values and indices sorted along dim; stable= (keyword only, with dim and descending
    then keywords too) or out=(values, indices) go through PyTorch's argument rules."""
    if not kwargs and len(args) <= 2:
        return _sort(input, *args)
    from ._sort_args import parse

    dim, descending, stable, out = parse("sort", input, args, kwargs)
    res = _sort(input, dim, descending, stable)
    return res if out is None else _into(res, out)


def _into(res, out):
    from .._out import write_out
    from ..return_types import make

    # PyTorch's out= overload returns torch.return_types.sort_out
    return make("sort_out", ("values", "indices"))(write_out("sort", res.values, out[0]),
                                                   write_out("sort", res.indices, out[1]))


def _sort(input, dim=-1, descending=False, stable=None):
    try:
        x = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    k = x.shape[wrap_dim(dim, x.ndim)] if x.ndim else 1
    return _sorted(input, dim, descending, k, Sort if stable is None else SortStable, "sort",
                   unstable=not stable)


# Tied values PyTorch's unstable sort orders by replaying std::sort in Python, per row with
# ties (~1 us a comparison); past this many entries in such rows the stable order is kept.
UNSTABLE_REPLAY_MAX = 8192


def _unstable_perm(x, d, perm, descending):
    """perm with PyTorch's order among tied values (sort(stable=False) of more than 16
    entries is std::sort, which does not keep them in index order; up to 16 it is an
    insertion sort, which does)."""
    n = x.shape[d]
    last = d == x.ndim - 1
    xm, pm = (x, perm) if last else (np.moveaxis(x, d, -1), np.moveaxis(perm, d, -1))
    head = np.take_along_axis(xm, pm, -1)
    a, b = head[..., 1:], head[..., :-1]
    same = a == b
    if head.dtype.kind == "f":
        same |= (a != a) & (b != b)
    rows = np.flatnonzero(same.reshape(-1, n - 1).any(-1))
    if not len(rows) or len(rows) * n > UNSTABLE_REPLAY_MAX:
        return perm
    from ._topk_order import torch_sort_rows

    flat = pm.reshape(-1, n).copy()
    flat[rows] = torch_sort_rows(xm.reshape(-1, n)[rows], descending)
    flat = flat.reshape(pm.shape)
    return flat if last else np.moveaxis(flat, -1, d)


def argsort(input, *args, **kwargs):
    if not kwargs and len(args) <= 2:
        return _argsort(input, *args)
    from ._sort_args import parse

    dim, descending, stable, out = parse("argsort", input, args, kwargs)
    res = _sort(input, dim, descending, bool(stable)).indices
    return res if out is None else out.copy_(res)


def _argsort(input, dim=-1, descending=False):
    return _sort(input, dim, descending, False).indices


# The parser errors for a float dim (_int_args) read the op's name from the outermost frame
# given the dim by name: these inner functions' frames, named as the ops they serve.
_sort.__code__ = _sort.__code__.replace(co_name="sort")
_argsort.__code__ = _argsort.__code__.replace(co_name="argsort")


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    x = input._data
    n = x.shape[wrap_dim(dim, x.ndim)] if x.ndim else 1
    if type(k) is not int:  # k = n / 2: PyTorch's TypeError, not a cast error
        from ._util import as_int

        k = as_int(k)
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    return _sorted(input, dim, largest, k, Topk, "topk", bool(sorted))


_ROWS = np.arange(64)


def _topk_perm(x, d, perm, k, largest, sorted_):
    """perm with PyTorch's topk picks first in the rows where they can differ from the stable
    order: ties among the first k + 1 sorted values, or (sorted=False and no partial sort)
    every row, whose order is then std::nth_element's (see _topk_order)."""
    n = x.shape[d]
    last = d == x.ndim - 1
    xm, pm = (x, perm) if last else (np.moveaxis(x, d, -1), np.moveaxis(perm, d, -1))
    if sorted_ or k * 64 <= n or k == 1:
        top = pm[..., :k + 1]
        if xm.ndim == 1:
            head = xm[top]
        elif xm.ndim == 2:
            head = xm[_ROWS[:len(xm), None] if len(xm) <= len(_ROWS) else
                      np.arange(len(xm))[:, None], top]
        else:
            head = np.take_along_axis(xm, top, -1)
        a, b = head[..., 1:], head[..., :-1]
        same = a == b
        if head.dtype.kind == "f":  # nan == nan for the comparator: both are "largest"
            same |= (a != a) & (b != b)
        if not same.any():
            return perm
        rows = same.any(-1).reshape(-1)
    else:
        rows = np.ones(pm.size // n, bool)
    from ._topk_order import torch_topk_rows

    flat = pm.reshape(-1, n).copy()
    which = np.flatnonzero(rows)
    for r, pick in zip(which, torch_topk_rows(xm.reshape(-1, n)[which], k, largest, sorted_)):
        rest = np.ones(n, bool)
        rest[pick] = False
        flat[r] = np.concatenate([pick, np.flatnonzero(rest)])
    flat = flat.reshape(pm.shape)
    return flat if last else np.moveaxis(flat, -1, d)
