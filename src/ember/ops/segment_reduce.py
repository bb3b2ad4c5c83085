"""``torch.segment_reduce``: reduce consecutive runs (segments) of ``data`` along ``axis``,
the run lengths given by ``lengths`` (or ``offsets``), as PyG-style pooling by a CSR pointer
does. ``lengths`` has shape (*lead, S) where data is (*lead, N, *rest) with lead its first
``axis`` dims; the result is (*lead, S, *rest). Loaded on first use.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from .elementwise import _not_for

# PyTorch's reduction enum takes the old names max/min as well as amax/amin
_NAMES = {"sum": "sum", "mean": "mean", "prod": "prod", "max": "max", "amax": "max",
          "min": "min", "amin": "min"}
_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "max": np.maximum,
          "min": np.minimum}


def _segments(lengths: np.ndarray, n: int):
    """(lead index, segment index) of each of the n entries along the axis, per lead row,
    flattened to (B * n,), and which entries belong to a segment (unsafe lengths may not
    cover the axis)."""
    b, s = lengths.shape
    seg = np.full((b, n), -1, np.int64)
    for r in range(b):
        ids = np.repeat(np.arange(s), lengths[r])[:n]
        seg[r, :ids.size] = ids
    lead = np.repeat(np.arange(b), n)
    seg = seg.reshape(-1)
    inside = seg >= 0
    return lead[inside], seg[inside], inside


class SegmentReduce(Primitive):
    """y[b, s] = reduce(initial, x[b, j] for j in segment s) (mean: divided by the length).

    sum: dx = g[seg].  mean: dx = g[seg] / length.  max/min: g[seg] to the entries equal to
    y (NaN counts as equal to NaN), shared evenly among them where g > 0, as PyTorch's.  prod: dx = g y / x where x != 0, else g
    times the product of initial and the segment's other entries (PyTorch's exclusive product).
    """

    node_name = "SegmentReduceBackward0"

    @staticmethod
    def forward(ctx, x, reduce, lengths, axis, initial):
        shape = x.shape
        b, n = lengths.shape[0], shape[axis]
        rest = shape[axis + 1:]
        flat = x.reshape((b * n, -1))
        lead, seg, inside = _segments(lengths, n)
        s = lengths.shape[1]
        if initial is None:
            init = {"sum": 0, "mean": 0, "prod": 1, "max": -np.inf, "min": np.inf}[reduce]
        else:
            init = initial
        out = np.full((b, s, flat.shape[1]), init, dtype=x.dtype)
        vals = flat[inside]
        if reduce in ("max", "min"):  # NaN wins, as PyTorch's isnan-first comparison
            nan = np.isnan(vals)
            _UFUNC[reduce].at(out, (lead, seg), np.where(nan, 0, vals))
            out[_any_at(out.shape, lead, seg, nan)] = np.nan
        else:
            _UFUNC[reduce].at(out, (lead, seg), vals)
        count = lengths.astype(x.dtype)[..., None]
        if reduce == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                if initial is None:  # an empty segment's mean is NaN (0 / 0)
                    out = out / count
                else:  # PyTorch's: initial alone for an empty one
                    out = np.where(count > 0, out / np.where(count > 0, count, 1), out)
        out = out.astype(x.dtype, copy=False)
        ctx.args = (shape, axis, reduce, lengths, lead, seg, inside, vals, count, out, initial)
        lead_shape = shape[:axis]
        return out.reshape(lead_shape + (s,) + rest)

    @staticmethod
    def backward(ctx, g):
        shape, axis, reduce, lengths, lead, seg, inside, vals, count, out, initial = ctx.args
        b, s = lengths.shape
        g = g.reshape((b, s, -1))
        gs = g[lead, seg]
        if reduce == "mean":
            gs = gs / count[lead, seg]
        elif reduce in ("max", "min"):
            y = out[lead, seg]
            hit = (vals == y) | (np.isnan(vals) & np.isnan(y))
            ties = np.zeros(out.shape, vals.dtype)
            np.add.at(ties, (lead, seg), hit.astype(vals.dtype))
            # PyTorch's kernel divides by the tie count only where g > 0 (a negative g
            # reaches every tied entry whole)
            with np.errstate(invalid="ignore", divide="ignore"):
                gs = np.where(hit, np.where(gs > 0, gs / ties[lead, seg], gs), 0)
        elif reduce == "prod":
            gs = _prod_grad(gs, vals, out, lead, seg, 1 if initial is None else initial)
        dx = np.zeros((b * shape[axis], g.shape[2]), g.dtype)
        dx[inside] = gs
        return dx.reshape(shape).astype(g.dtype, copy=False), None, None, None, None


def _any_at(shape, lead, seg, flags):
    """Which output places receive at least one flagged entry."""
    hit = np.zeros(shape, bool)
    np.logical_or.at(hit, (lead, seg), flags)
    return hit


def _prod_grad(gs, vals, out, lead, seg, initial):
    """PyTorch's rule: g * y / x for a nonzero x; for x zero or NaN, g times the exclusive
    product (initial times the other entries of its segment)."""
    y = out[lead, seg]
    special = (vals == 0) | np.isnan(vals)
    with np.errstate(invalid="ignore", divide="ignore"):
        grad = np.where(special, 0, (gs * y) / np.where(special, 1, vals))
    for k, c in zip(*np.nonzero(special)):
        same = (lead == lead[k]) & (seg == seg[k])
        same[k] = False
        grad[k, c] = gs[k, c] * (vals.dtype.type(initial) * np.prod(vals[same, c]))
    return grad


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0,
                   unsafe=False, initial=None):
    if not isinstance(reduce, str) or reduce not in _NAMES:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    given = lengths if lengths is not None else offsets
    if given._data.dtype not in (np.int32, np.int64):
        kind = "lengths" if lengths is not None else "offsets"
        _not_for(f"_segment_reduce_{kind}_cpu_kernel1", given)
    if data._data.dtype.kind != "f":
        _not_for("_segment_reduce_cpu", data)
    lens = given._data.astype(np.int64)
    if lengths is None:
        lens = np.diff(lens, axis=-1)
    if axis < 0:
        axis += data._data.ndim
    if axis != lens.ndim - 1:
        raise RuntimeError("segment_reduce(): Expected axis to be the last dimension of "
                           f"lengths but got {axis}.")
    n = data._data.shape[axis]
    if not unsafe:
        if (lens.sum(axis=-1) != n).any():
            raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to "
                               "sum to data.size(lengths.dim()-1) when !unsafe.")
        if (lens < 0).any():
            raise RuntimeError("lengths contains negative value!")
    if not isinstance(data, Tensor):
        raise TypeError(f"segment_reduce(): argument 'data' must be Tensor, not "
                        f"{type(data).__name__}")
    lens2 = lens.reshape((-1, lens.shape[-1]))
    return SegmentReduce.apply(data, _NAMES[reduce], lens2, axis, initial)


__all__ = ["segment_reduce"]
