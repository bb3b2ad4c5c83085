"""Order statistics, counting and searching: quantile, nanquantile, kthvalue, bincount, histc,
searchsorted and bucketize (_searchsorted.py), cdist.

quantile and kthvalue pick their entries with NumPy's sort and then read them with a recorded
gather, so the gradient goes to the entries read (as PyTorch's, which sorts and gathers too);
cdist is in distance.py. bincount, histc, searchsorted and bucketize have no gradient.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from ._axis_alias import dim_alias
from ._util import wrap_dim
from .arithmetic import type_name
from .extrema import MaxDim, _check_nonempty, values_indices
from .gather_scatter import Gather
from .shape import Reshape, _reshaped
from ._searchsorted import bucketize, searchsorted  # noqa: F401  (this module's until s21)

__all__ = ["quantile", "nanquantile", "kthvalue", "bincount", "histc", "searchsorted",
           "bucketize", "cdist"]

_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _const(arr) -> Tensor:
    return Tensor._make(arr, False, None)


def _check_quantile(input, q, interpolation, name="quantile"):
    """PyTorch's checks, in its order; q as a NumPy array of input's dtype (0-d or 1-d)."""
    x = input._data
    if not isinstance(q, (Tensor, int, float, np.integer, np.floating)):  # a list of q's
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"(Tensor, {type(q).__name__}), but expected one of:")
    if not isinstance(q, Tensor):
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
    if x.size == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor) and q._data.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if x.dtype.char not in "fd":
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q._data.dtype != x.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        qa = q._data
        if qa.size and not (qa.min() >= 0 and qa.max() <= 1):
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
    else:
        qa = np.asarray(q, x.dtype)
    if interpolation not in _MODES:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    return qa


def _ranks(sorted_, qa, ignore_nan):
    """The (fractional) position of each quantile in each sorted row, shaped q.shape + rows
    + (1,): q (count - 1) over the non-nan count for nanquantile (0 when none), else over the
    row; a row holding a nan gets the last position (so the quantile is nan)."""
    nan = np.isnan(sorted_)
    q = qa.reshape(qa.shape + (1,) * sorted_.ndim)
    if ignore_nan:
        ranks = q * (np.sum(~nan, axis=-1, keepdims=True) - 1).astype(qa.dtype)
        return np.maximum(ranks, 0)
    last = sorted_.shape[-1] - 1
    ranks = q * qa.dtype.type(last)
    return np.where(np.any(nan, axis=-1, keepdims=True), qa.dtype.type(last), ranks)


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    qa = _check_quantile(input, q, interpolation, "nanquantile" if ignore_nan else "quantile")
    if dim is None:
        xs = input.reshape(-1)
    else:
        d = wrap_dim(int(dim), input._data.ndim)
        xs = input.reshape(1) if input._data.ndim == 0 else input.movedim(d, -1)
    arr = xs._data
    order = np.argsort(arr, axis=-1, kind="stable")
    ranks = _ranks(np.take_along_axis(arr, order, -1), qa, ignore_nan)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)  # half to even, as PyTorch's round
    src = xs
    if qa.ndim:  # one row of results per q
        src = xs.unsqueeze(0).expand(qa.shape[0], *arr.shape)
        order = np.broadcast_to(order, src._data.shape)
    below = np.floor(ranks)
    last = src._data.ndim - 1
    out = Gather.apply(src, last, np.take_along_axis(order, below.astype(np.int64), -1))
    if interpolation in ("linear", "midpoint"):
        above = np.ceil(ranks).astype(np.int64)
        above = Gather.apply(src, last, np.take_along_axis(order, above, -1))
        w = np.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        out = _lerp(out, above, w)
    shape = out._data.shape[:-1]
    if keepdim:
        lead = tuple(qa.shape)
        if dim is None:
            shape = lead + (1,) * input._data.ndim
        elif input._data.ndim:
            at = len(lead) + d
            shape = shape[:at] + (1,) + shape[at:]
    return _reshaped(out, shape, QuantileSqueeze)


class QuantileSqueeze(Reshape):
    """The last step of quantile: one reshape, shown as the squeeze PyTorch ends it with."""

    node_name = "SqueezeBackward4"


def _lerp(a, b, w):
    """a + w (b - a) for w < 0.5, else b - (b - a)(1 - w) (PyTorch's lerp, exact at w = 1)."""
    wt = _const(w)
    low = a + wt * (b - a)
    high = b - (b - a) * (1 - wt)
    from .selection import where

    return where(_const(w < 0.5), low, high)


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles of input (flattened, or along dim); a 1-d q adds a leading dim."""
    return _quantile(input, q, dim, keepdim, interpolation, False)


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """quantile ignoring nan entries (nan only where a row is all nan)."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


class KthvalueDim(MaxDim):
    """y = the k-th smallest x along dim;  dy/dx = 1 at its index, 0 elsewhere."""

    node_name = "KthvalueBackward0"


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the k-th smallest entries along dim (nan counts as largest)."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    if type(k) is not int:
        from ._util import as_int

        k = as_int(k)
    if x.ndim == 0:
        if k != 1:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
        return values_indices(KthvalueDim.apply(input, 0, keepdim, None),
                              _const(np.array(0)), "kthvalue")
    _check_nonempty(x, (d,), "kthvalue")
    if x.size and not 1 <= k <= x.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.size:
        from ._select_order import kth_indices  # PyTorch's quickselect's pick among ties

        rows = np.moveaxis(x, d, -1)
        idx = np.expand_dims(kth_indices(rows.reshape(-1, x.shape[d]), k)
                             .reshape(rows.shape[:-1]), d)
    else:
        idx = np.zeros(x.shape[:d] + (1,) + x.shape[d + 1:], np.int64)
    values = KthvalueDim.apply(input, d, bool(keepdim), idx)
    indices = idx if keepdim else np.squeeze(idx, axis=d)
    return values_indices(values, _const(indices.astype(np.int64)), "kthvalue")


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Counts of each value 0..max (at least minlength of them); with weights, their sums."""
    try:
        x = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if x.dtype.kind not in "iu":  # (bool has no kernel either)
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{type_name(x.dtype)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights._data.ndim != 1 or weights._data.shape != x.shape):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if weights is None:
        return _const(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    dt = np.float32 if w.dtype == np.float32 else np.float64
    return _const(np.bincount(x, weights=w.astype(np.float64), minlength=minlength).astype(dt))


def _linspace(lo, hi, steps, dt):
    """PyTorch's linspace: start + i step in the first half, end - (n - 1 - i) step after."""
    lo, hi = dt.type(lo), dt.type(hi)
    step = (hi - lo) / dt.type(steps - 1)
    i = np.arange(steps)
    first = lo + step * i.astype(dt)
    second = hi - step * (steps - 1 - i).astype(dt)
    return np.where(i < steps // 2, first, second)


def bin_positions(x: np.ndarray, edges: np.ndarray, how: str) -> tuple:
    """(bin of each kept entry, the kept mask): entries outside [edges[0], edges[-1]] are
    dropped, as PyTorch's histogram kernel does; the last edge falls in the last bin.
    ``how``: "linear" (histc: (x - lo) * nbins / (hi - lo) in x's precision, truncated),
    "local" (histogram with a bin count: that, then corrected against its neighbouring
    edges) or "search" (histogram with given edges: a binary search)."""
    keep = (x >= edges[0]) & (x <= edges[-1])
    v = x[keep]
    n = edges.size
    if how == "search":
        pos = np.searchsorted(edges, v, side="right") - 1
    else:
        dt = x.dtype.type
        pos = ((v - edges[0]) * dt(n - 1) / (edges[-1] - edges[0])).astype(np.int64)
        if how == "local":  # upper_bound over edges[pos - 1 : pos + 2]
            lo = np.maximum(pos - 1, 0)
            count = np.zeros_like(pos)
            for k in range(3):
                j = lo + k
                count += (j < np.minimum(pos + 2, n)) & (edges[np.minimum(j, n - 1)] <= v)
            pos = lo + count - 1
    return np.minimum(pos, n - 2), keep


def _fmt(v: float) -> str:
    return "-nan" if math.isnan(v) else "%g" % v


def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:  # noqa: A002
    """Counts in `bins` equal-width bins over [min, max] (the data's range when min == max);
    entries outside are ignored and max falls in the last bin."""
    try:
        x = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if x.dtype == np.bool_:  # PyTorch fails making the bins first
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"histogram_cpu" not implemented for '
                                  f"'{type_name(x.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_fmt(lo)}, {_fmt(hi)}] is not finite")
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    edges = _linspace(lo, hi, bins + 1, x.dtype)
    pos, _ = bin_positions(x.ravel(), edges, "linear")
    return _const(np.bincount(pos, minlength=bins).astype(x.dtype))


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode="use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """||x1_i - x2_j||_p for every row i of x1 and j of x2 (batch dims broadcast)."""
    try:
        x1._data, x2._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(x1=x1, x2=x2) from None
    if compute_mode not in ("use_mm_for_euclid_dist_if_necessary",
                            "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")

    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t._data.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError("X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{type_name(t._data.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1._data.dtype != x2._data.dtype:
        raise RuntimeError(f"expected scalar type {type_name(x1._data.dtype)} but found "
                           f"{type_name(x2._data.dtype)}")
    from ._shown_graph import as_node
    from ._util import check_broadcast
    from .distance import Cdist, EuclideanDist

    check_broadcast(x1.shape[:-2], x2.shape[:-2])

    # PyTorch's matmul form for a 2-norm over more than 25 rows (or when asked), as a view
    mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or compute_mode != (
        "donot_use_mm_for_euclid_dist") and max(x1.shape[-2], x2.shape[-2]) > 25)
    if mm and x1._data.size and x2._data.size:
        return as_node(EuclideanDist.apply(x1, x2), "ViewBackward0")
    return Cdist.apply(x1, x2, float(p))
