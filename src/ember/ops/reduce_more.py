"""More reductions and scans: nansum, nanmean, median, nanmedian, cummax, cummin,
logcumsumexp, diff.

Each class states its derivative; ``backward`` is that formula. median/nanmedian along a dim
and cummax/cummin return PyTorch's (values, indices) named tuples, as max(dim) does.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._axis_alias import dim_alias
from ._layout import reduced
from ._util import keep_reduced, wrap_dim
from .arithmetic import type_name
from .cumulative import _NO_DIM, scan_dim
from .elementwise import _not_for
from .extrema import MaxDim, _check_nonempty, values_indices
from .reduction import _axes, sum as _sum
from .shape import Clone

_Copy = type("Copy", (Clone,), {"node_name": "CopyBackwards"})
_Copy._node_cls.name = lambda self: "torch::autograd::CopyBackwards"  # a C++ node, as copy_'s

__all__ = ["nansum", "nanmean", "median", "nanmedian", "cummax", "cummin", "logcumsumexp",
           "diff"]


class Nansum(Primitive):
    """y = sum of the non-nan x over axes;  dy/dx = 0 where x is nan, else 1 (the gradient
    times a 0/1 mask, so an inf or nan gradient stays nan at nan entries, as PyTorch)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.ok = (~np.isnan(x)).astype(x.dtype)  # a product, as PyTorch: inf * 0 is nan
        acc = np.float32 if x.dtype == np.float16 else None  # PyTorch adds halves in float32
        return reduced(np.asarray(np.nansum(x, axis=axes, keepdims=keepdim, dtype=acc), x.dtype),
                       x)

    @staticmethod
    def backward(ctx, g):
        return keep_reduced(g, ctx.axes, ctx.keepdim) * ctx.ok, None, None


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """sum treating nan as 0; integers and bools add up as sum does (int64)."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if keepdim is not False and keepdim is not True:  # nansum(x, 0, 1): PyTorch wants a bool
        from ._int_args import bad_keepdim

        raise bad_keepdim(keepdim, dim, input._data.ndim)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        return _sum(input, dim, keepdim)
    return Nansum.apply(input, _axes(input._data, dim), bool(keepdim))


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean of the non-nan entries (nan where there are none): nansum / count."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if dtype is not None:
        input = input.to(dtype)
        if input._data.dtype.kind != "f":
            raise RuntimeError("nanmean(): could not infer output dtype. Optional dtype must "
                               "be either a floating point or complex dtype. Got: "
                               f"{type_name(input._data.dtype)}")
    if input._data.dtype.kind != "f":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {type_name(input._data.dtype)}")
    count = Tensor._make(~np.isnan(input._data), False, None)
    return nansum(input, dim, keepdim) / _sum(count, dim, keepdim)


def _lower_median(flat: np.ndarray, skip_nan: bool):
    """The lower median of a 1-d array: nan if it holds a nan (unless skipped) or nothing."""
    if flat.dtype.kind == "f":
        bad = np.isnan(flat)
        if bad.any():
            if not skip_nan:
                return math.nan
            flat = flat[~bad]
    if flat.size == 0:
        return math.nan
    k = (flat.size - 1) // 2
    return np.partition(flat, k)[k]


class Median(Primitive):
    """y = the lower median of all x;  dy/dx = 1/k at the k entries equal to y (nan entries
    when y is nan), else 0, as PyTorch."""

    @staticmethod
    def forward(ctx, x, skip_nan):
        y = np.asarray(_lower_median(x.ravel(), skip_nan), x.dtype)
        if ctx.needs_input_grad:
            mask = np.isnan(x) if np.isnan(y) else x == y
            ctx.share = mask / np.count_nonzero(mask)
        return y

    @staticmethod
    def backward(ctx, g):
        return g * ctx.share, None


class Nanmedian(Median):
    pass


class MedianDim(MaxDim):
    """y = x at the index of the lower median along dim;  dy/dx = 1 there, 0 elsewhere."""

    node_name = "MedianBackward1"


class NanmedianDim(MaxDim):
    node_name = "NanmedianBackward1"


def _median_index(x: np.ndarray, d: int, skip_nan: bool) -> np.ndarray:
    """Index of the lower median along d (kept as a size-1 axis). A row with a nan gives its
    first nan for median; nanmedian counts only the others (its first nan if all are nan).
    Among equal values the one a stable sort puts in the middle (PyTorch's choice among ties
    follows its selection algorithm and may differ)."""
    order = np.argsort(x, axis=d, kind="stable")  # nan last, in order
    n = x.shape[d]
    m = n - np.sum(np.isnan(x), axis=d, keepdims=True) if x.dtype.kind == "f" else \
        np.full((1,) * x.ndim, n)
    if skip_nan:
        k = np.where(m > 0, (m - 1) // 2, 0)
    else:
        k = np.where(m < n, m, (n - 1) // 2)
    return np.take_along_axis(order, np.broadcast_to(k, order.shape[:d] + (1,)
                                                      + order.shape[d + 1:]), axis=d)


def _median(input, dim, keepdim, skip_nan):
    name = "nanmedian" if skip_nan else "median"
    try:
        x = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if dim is not None:
        wrap_dim(dim, x.ndim)  # PyTorch checks the dim before the dtype
    if x.dtype == np.bool_:
        _not_for("median_out" if dim is not None else "median_cpu", input)
    if dim is None:
        if keepdim:  # PyTorch has no (input, keepdim) overload
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
        return (Nanmedian if skip_nan else Median).apply(input, skip_nan)
    cls = NanmedianDim if skip_nan else MedianDim
    d = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return values_indices(cls.apply(input, 0, keepdim, None),
                              Tensor._make(np.array(0), False, None), name)
    _check_nonempty(x, (d,), "median")  # (PyTorch says median() for nanmedian too)
    idx = _median_index(x, d, skip_nan) if x.size else np.zeros(
        x.shape[:d] + (1,) + x.shape[d + 1:], np.int64)
    values = cls.apply(input, d, bool(keepdim), idx)
    indices = idx if keepdim else np.squeeze(idx, axis=d)
    return values_indices(values, Tensor._make(indices.astype(np.int64), False, None), name)


def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median: of all entries (a tensor), or along dim (values, indices)."""
    return _median(input, dim, keepdim, False)


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """median ignoring nan entries (nan only where all are nan)."""
    return _median(input, dim, keepdim, True)


def _running_extreme(x: np.ndarray, d: int, use_min: bool):
    """(y, idx): y_i = the extreme of x_0..x_i along d (nan once a nan is met), idx_i the
    latest j <= i where x_j = y_i (PyTorch moves the index on ties and on every nan)."""
    if x.ndim == 0:
        return x.copy(), np.zeros((), np.int64)
    y = (np.minimum if use_min else np.maximum).accumulate(x, axis=d)
    hit = (x == y) | (np.isnan(x) & np.isnan(y)) if x.dtype.kind == "f" else x == y
    shape = [1] * x.ndim
    shape[d] = x.shape[d]
    pos = np.where(hit, np.arange(x.shape[d]).reshape(shape), 0)
    return y, np.maximum.accumulate(pos, axis=d)


class Cummax(Primitive):
    """y_i = max_{j <= i} x_j, idx_i where it came from (computed by _running_extreme);
    dL/dx_j = sum of dL/dy_i over the i with idx_i = j."""

    @staticmethod
    def forward(ctx, x, dim, y, idx):
        ctx.idx, ctx.dim = idx, dim
        return y

    @staticmethod
    def backward(ctx, g):
        return _scatter_sum(g, ctx.idx, ctx.dim), None, None, None


class Cummin(Cummax):
    """y_i = min_{j <= i} x_j;  dL/dx_j = sum of dL/dy_i over the i with idx_i = j."""


def _scatter_sum(g, idx: np.ndarray, d: int):
    """out_j = sum of g_i over idx_i = j along axis d."""
    if isinstance(g, Tensor):  # under create_graph: a recorded scatter_add
        from .gather_scatter import scatter_add

        if g.ndim == 0:
            return g * 1
        zeros = Tensor._make(np.zeros(g.shape, g._data.dtype), False, None)
        return scatter_add(zeros, d, Tensor._make(idx.astype(np.int64), False, None), g)
    if np.ndim(g) == 0 or g.size == 0:
        return g
    gm, im = np.moveaxis(g, d, -1), np.moveaxis(idx, d, -1)
    n = gm.shape[-1]
    rows = np.arange(gm.size // n).reshape(gm.shape[:-1] + (1,)) * n
    out = np.bincount((im + rows).ravel(), weights=gm.ravel(), minlength=gm.size)
    return np.moveaxis(out.reshape(gm.shape).astype(g.dtype), -1, d)


def _cum_extreme(input, dim, use_min):
    x = input._data
    if x.ndim == 0 and int(dim) not in (-1, 0):
        raise IndexError(f"{'cummin' if use_min else 'cummax'}(): Expected reduction dim -1 or "
                         f"0 for scalar but got {dim}")
    d = wrap_dim(int(dim), x.ndim)
    y, idx = _running_extreme(x, d, use_min)
    y, idx = reduced(y, x), reduced(idx, x)  # row-major whatever x's layout, as PyTorch's
    values = (Cummin if use_min else Cummax).apply(input, d, y, idx)
    return values_indices(values, Tensor._make(idx.astype(np.int64), False, None),
                          "cummin" if use_min else "cummax")


def cummax(input: Tensor, dim: int = _NO_DIM, *, axis=_NO_DIM):
    """Running maximum along dim and where each came from: (values, indices)."""
    return _cum_extreme(input, scan_dim("cummax", dim, axis), False)


def cummin(input: Tensor, dim: int = _NO_DIM, *, axis=_NO_DIM):
    """Running minimum along dim and where each came from: (values, indices)."""
    return _cum_extreme(input, scan_dim("cummin", dim, axis), True)


def _rev_logcumsumexp(v, d):
    """log sum_{i >= j} exp(v_i): logcumsumexp from the end."""
    if isinstance(v, Tensor):
        from .shape import flip

        return flip(logcumsumexp(flip(v, d), d), d)
    return np.flip(np.logaddexp.accumulate(np.flip(v, d), axis=d), d)


class Logcumsumexp(Primitive):
    """y_i = ln sum_{j <= i} exp(x_j);  dL/dx_j = sum_{i >= j} g_i exp(x_j - y_i), summed in
    log space apart for the positive and the negative g (no overflow for large x)."""

    @staticmethod
    def forward(ctx, x, dim):
        y = reduced(np.logaddexp.accumulate(x, axis=dim), x) if x.ndim else x.copy()
        ctx.save_for_backward(x, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if np.ndim(x) == 0:
            return g * 1, None
        d = ctx.dim
        # The lowest finite number stands for log 0: -inf would give nan under create_graph.
        low = float(np.finfo(_dtype(g)).min)
        log_g = np.log(np.abs(g))
        pos = _rev_logcumsumexp(np.where(g > 0, log_g, low) - y, d)
        neg = _rev_logcumsumexp(np.where(g < 0, log_g, low) - y, d)
        return np.exp(x + pos) - np.exp(x + neg), None


def _dtype(a):
    return a._data.dtype if isinstance(a, Tensor) else a.dtype


def logcumsumexp(input: Tensor, dim: int = _NO_DIM, *, axis=_NO_DIM) -> Tensor:
    # PyTorch checks the dim before the dtype
    d = wrap_dim(int(scan_dim("logcumsumexp", dim, axis)), input._data.ndim)
    if input._data.dtype.kind != "f":
        _not_for("logcumsumexp_out_cpu", input)
    return Logcumsumexp.apply(input, d)


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along dim, after prepend/append are joined on that dim."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    from .join_split import cat, narrow
    from .compare import logical_xor

    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(int(dim), input._data.ndim)
    parts = [input]
    for name, extra in (("prepend", prepend), ("append", append)):
        if extra is None:
            continue
        if not isinstance(extra, Tensor):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not "
                            f"{type(extra).__name__}")
        if extra._data.ndim != input._data.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
    if prepend is not None:
        parts.insert(0, prepend)
    if append is not None:
        parts.append(append)
    x = cat(parts, d) if len(parts) > 1 else input
    if n == 0:
        return _Copy.apply(x)  # a new tensor even when nothing is differenced, as PyTorch
    if x.shape[d] == 0:
        return x  # PyTorch returns the (empty) input itself
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        hi, lo = narrow(x, d, 1, size - 1), narrow(x, d, 0, size - 1)
        x = logical_xor(hi, lo) if x._data.dtype == np.bool_ else hi - lo
    return x
