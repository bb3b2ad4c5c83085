"""torch.histogramdd: counts of the points (rows of the last dim) in a grid of bins, each
dimension binned as torch.histogram bins a 1-D input (same edges, same edge rules)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._linalg_common import return_type

_histdd_t = return_type("histogramdd", ("hist", "bin_edges"))


def _const(a) -> Tensor:
    return Tensor._make(np.ascontiguousarray(a), False, None)


def histogramdd(input: Tensor, bins=None, *, range=None, weight=None,  # noqa: A002
                density: bool = False):
    """(hist, bin_edges): bins an int (every dim), ints per dim, or 1-D edge tensors per dim;
    range the flat (lo0, hi0, lo1, hi1, ...) for int bins (default: the data's min/max)."""
    from .arithmetic import type_name
    from .search_stats import bin_positions

    if not isinstance(bins, (int, np.integer, list, tuple)):  # none, or one tensor
        got = "" if bins is None else f", {type(bins).__name__}"
        raise TypeError("histogramdd() received an invalid combination of arguments - got "
                        f"(Tensor{got}), but expected one of:")
    arr = input._data
    if isinstance(bins, (list, tuple)) and any(isinstance(b, Tensor) for b in bins):
        check_bins_weight(input, bins, weight)  # before the int refusal, as PyTorch
    if arr.dtype.kind != "f":
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{type_name(arr.dtype)}'")
    check_bins_weight(input, (), weight)
    if weight is not None:
        check_weight_shape(arr.shape, weight.shape)
    if arr.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    dims = arr.shape[-1]
    pts = arr.reshape(-1, dims)
    bins = [bins] * dims if isinstance(bins, (int, np.integer)) else list(bins)
    if len(bins) != dims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    lims = None if range is None else [float(v) for v in range]
    if lims is not None and len(lims) != 2 * dims:
        raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range should "
                           f"have {2 * dims} elements, but got {len(lims)}")
    keep = np.ones(pts.shape[0], bool)
    edges, cols = [], []
    for d, b in enumerate(bins):
        col = pts[:, d]
        if isinstance(b, Tensor):
            e, how = np.asarray(b._data, arr.dtype), "search"
        else:
            own = None if lims is None else lims[2 * d:2 * d + 2]
            e, how = count_edges(col, b, own, d), "local"
        pos, kept = bin_positions(col, e, how)
        full = np.zeros(col.shape, np.int64)
        full[kept] = pos
        keep &= kept
        edges.append(e)
        cols.append(full)
    shape = tuple(e.size - 1 for e in edges)
    flat = np.ravel_multi_index([c[keep] for c in cols], shape)
    w = None if weight is None else weight._data.reshape(-1)[keep]
    hist = np.bincount(flat, weights=w, minlength=int(np.prod(shape))).reshape(shape)
    if density:
        volume = np.ones(shape)
        for d, e in enumerate(edges):
            volume = volume * np.diff(e).reshape([-1 if k == d else 1 for k in np.arange(dims)])
        hist = hist / (hist.sum() * volume)
    hist, edges = hist.astype(arr.dtype), [e.astype(arr.dtype) for e in edges]
    if input.requires_grad or (weight is not None and weight.requires_grad):
        # recorded with no derivative, as PyTorch does (backward through it raises)
        from .copies import NotImplementedNode

        op = "_histogramdd_from_bin_tensors" if any(isinstance(b, Tensor) for b in bins) \
            else "_histogramdd_from_bin_cts"
        return _histdd_t(NotImplementedNode.apply(input, weight, hist, op),
                         tuple(NotImplementedNode.apply(input, weight, e, op) for e in edges))
    return _histdd_t(_const(hist), tuple(_const(e) for e in edges))


def check_bins_weight(input: Tensor, bins, weight) -> None:
    """PyTorch's dtype checks, in its order: each bins tensor, then weight, must have the
    input's dtype (a float32 weight for a float64 input is refused, not converted)."""
    from ._matmul_checks import _C_NAMES

    dt = input._data.dtype
    for d, b in enumerate(bins):
        if isinstance(b, Tensor) and b._data.dtype != dt:
            raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have "
                               f"the same dtype, but got input with dtype {_C_NAMES[dt.name]} "
                               f"and bins for dimension {d} with dtype "
                               f"{_C_NAMES[b._data.dtype.name]}")
    if weight is not None and weight._data.dtype != dt:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and "
                           f"weight tensor should have the same dtype, but got "
                           f"input({_C_NAMES[dt.name]}), and "
                           f"weight({_C_NAMES[weight._data.dtype.name]})")


def check_weight_shape(points_shape, weight_shape) -> None:
    """weight holds one number per point: the input's shape without its innermost dim."""
    if tuple(weight_shape) != tuple(points_shape[:-1]):
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the "
                           "same shape as the input tensor excluding its innermost dimension, "
                           f"but got input with shape {list(points_shape)} and weight with "
                           f"shape {list(weight_shape)}")


def count_edges(col: np.ndarray, bins, lims, d: int) -> np.ndarray:
    """The edges of ``bins`` equal bins over dimension d's values ``col`` (histogram's and
    histogramdd's int bins), with PyTorch's checks: bins > 0; the range ``lims`` (lo, hi), else
    the data's min and max, finite and ordered; an empty range widened by 0.5 each way."""
    from .misc_math import _edges

    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension "
                           f"{d}")
    if lims is not None:
        lo, hi = (float(v) for v in lims)
    else:
        lo, hi = (float(col.min()), float(col.max())) if col.size else (0.0, 1.0)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension {d}'s range [{lo:g}, {hi:g}] is not "
                           "finite")
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                           f"{lo:g} max {hi:g} for dimension {d}")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return _edges(lo, hi, int(bins) + 1, col.dtype)
