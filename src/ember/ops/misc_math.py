"""Less common top-level math: argwhere, isin, unique_consecutive, unravel_index, aminmax,
mode, msort, histogram, cov/corrcoef, vander, dist, gradient, i0, matrix_exp and the legacy
cholesky/qr/svd spellings (trapezoid and its kin: _trapezoid.py, re-exported here).

Differentiable ones are composites of recorded ember ops (their gradients follow), except
i0 and matrix_exp, which are primitives stating their derivatives. Loaded on first use
(``ember.__getattr__``).
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as D
from .. import ops
from .._warn import warn
from ..tensor import Tensor
from ._axis_alias import dim_alias
from ._linalg_common import return_type
from ._util import wrap_dim

_aminmax_t = return_type("aminmax", ("min", "max"))
_mode_t = return_type("mode", ("values", "indices"))
_hist_t = return_type("histogram", ("hist", "bin_edges"))


def _const(a) -> Tensor:
    return Tensor._make(np.asarray(a), False, None)


def argwhere(input: Tensor) -> Tensor:
    """Indices of the non-zero elements, one row each: ``nonzero(input)``."""
    return ops.nonzero(input)


def isin(elements, test_elements, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` occurs in ``test_elements`` (either may be a
    number)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__}), but "
                        "expected one of:")
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements
    b = b._data if isinstance(b, Tensor) else np.asarray(b)
    if a.dtype == np.bool_ or b.dtype == np.bool_:
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    return _const(np.isin(a, b, invert=invert))


def _consecutive_flat(arr: np.ndarray):
    flat = arr.reshape(-1)
    if flat.size == 0:
        return flat, np.zeros(arr.shape, np.int64), np.zeros(0, np.int64)
    starts = np.concatenate(([True], flat[1:] != flat[:-1]))
    group = np.cumsum(starts) - 1
    counts = np.diff(np.append(np.flatnonzero(starts), flat.size))
    return flat[starts], group.reshape(arr.shape), counts


def unique_consecutive(input: Tensor, return_inverse: bool = False,
                       return_counts: bool = False, dim: int | None = None):
    """Collapse runs of equal values (or equal slices along ``dim``) to one."""
    try:
        arr = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if dim is None:
        vals, inverse, counts = _consecutive_flat(arr)
    else:
        d = wrap_dim(dim, arr.ndim)
        moved = np.moveaxis(arr, d, 0)
        n = moved.shape[0]
        rows = moved.reshape(n, -1)
        starts = np.ones(n, bool)
        starts[1:] = np.any(rows[1:] != rows[:-1], axis=1)
        inverse = np.cumsum(starts) - 1
        counts = np.diff(np.append(np.flatnonzero(starts), n))
        vals = np.moveaxis(moved[starts], 0, d)
    out = [_const(np.ascontiguousarray(vals))]
    if return_inverse:
        out.append(_const(inverse.astype(np.int64)))
    if return_counts:
        out.append(_const(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unravel_index(indices, shape) -> tuple:
    """Flat indices to one coordinate tensor per dimension of ``shape``."""
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError("expected 'indices' to be integer dtype, but got "
                        f"{Tensor._make(idx, False, None).dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got "
                         f"({', '.join(map(str, shape))})")
    total = math.prod(shape)
    # PyTorch does not check the range: indices wrap around the total size
    flat = np.mod(idx.astype(np.int64), total) if total else idx.astype(np.int64)
    coords = np.unravel_index(flat, shape) if total else [flat * 0 for _ in shape]
    return tuple(_const(np.asarray(c, np.int64)) for c in coords)


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """(amin, amax) in one call."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if dim is None and input._data.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if dim is not None and input._data.ndim and \
            input._data.shape[wrap_dim(dim, input._data.ndim)] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {wrap_dim(dim, input._data.ndim)} "
                         "to have non-zero size.")
    from .extrema import _extreme  # amin and amax, each recorded as PyTorch's AminmaxBackward0

    d = () if dim is None else dim
    return _aminmax_t(_extreme(input, d, keepdim, True, "aminmax"),
                      _extreme(input, d, keepdim, False, "aminmax"))


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest of ties) and the last index where
    it occurs (PyTorch's CPU choice); the values carry the gradient."""
    try:
        arr = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    d = wrap_dim(dim, max(arr.ndim, 1))
    if arr.ndim and arr.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    moved = np.moveaxis(arr.reshape(arr.shape or (1,)), d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    last = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):  # a Python loop over rows: mode is not a hot op
        vals, counts = np.unique(row, return_counts=True)
        hit = row == vals[np.argmax(counts)]
        last[r] = row.size - 1 - np.argmax(hit[::-1])
    idx = last.reshape(moved.shape[:-1])
    if not arr.ndim:
        return _mode_t(_ModeDim.apply(input, 0, keepdim, None), _const(np.zeros((), np.int64)))
    idx_k = np.expand_dims(idx, d)
    values = _ModeDim.apply(input, d, bool(keepdim), idx_k)  # (one ModeBackward0 node)
    return _mode_t(values, _const(idx_k if keepdim else idx))


def _mode_dim():
    from .extrema import MaxDim  # x at the chosen index along dim: max(dim)'s rule

    return type("ModeDim", (MaxDim,), {"node_name": "ModeBackward0"})


_ModeDim = _mode_dim()


def msort(input: Tensor) -> Tensor:
    return ops.sort(input, 0).values


def histogram(input: Tensor, bins=100, *, range=None, weight=None,  # noqa: A002
              density: bool = False):
    """Counts (or weights, or a density) per bin, and the bin edges (float inputs only)."""
    try:
        arr = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    from .histogramdd import check_bins_weight, check_weight_shape, count_edges

    if isinstance(bins, Tensor):  # PyTorch checks the dtypes before the int refusal here
        check_bins_weight(input, (bins,), weight)
    if arr.dtype.kind != "f":
        from .arithmetic import type_name

        where = "histogram_cpu" if isinstance(bins, Tensor) else "histogramdd"
        raise NotImplementedError(f"\"{where}\" not implemented for '{type_name(arr.dtype)}'")
    check_bins_weight(input, (), weight)
    from .search_stats import bin_positions

    flat = arr.reshape(-1)
    if weight is not None:  # one weight per element, in any shape
        check_weight_shape((flat.size, 1), (weight._data.size,))
    if isinstance(bins, Tensor):
        if bins._data.ndim != 1:
            raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but "
                               f"got {bins._data.ndim} dimensions in the bins tensor for "
                               "dimension 0")
        out_edges, how = np.asarray(bins._data, arr.dtype), "search"
    else:  # (an empty range widened by 0.5 each way; histc widens by 1)
        out_edges, how = count_edges(flat, bins, range, 0), "local"
    pos, keep = bin_positions(flat, out_edges, how)
    w = None if weight is None else weight._data.reshape(-1)[keep]
    hist = np.bincount(pos, weights=w, minlength=out_edges.size - 1).astype(arr.dtype)
    if density:
        hist = hist / (hist.sum() * np.diff(out_edges))
    hist, out_edges = hist.astype(arr.dtype), out_edges.astype(arr.dtype)
    if input.requires_grad or (weight is not None and weight.requires_grad):
        # PyTorch records histogram in the graph with no derivative: both outputs require
        # grad (grad_fn NotImplemented) and backward through them raises.
        from .copies import NotImplementedNode

        return _hist_t(NotImplementedNode.apply(input, weight, hist, "histogram"),
                       NotImplementedNode.apply(input, weight, out_edges, "histogram"))
    return _hist_t(_const(hist), _const(out_edges))


def _edges(lo: float, hi: float, n: int, dt) -> np.ndarray:
    """The bin edges as PyTorch's histogram makes them: torch.linspace's kernel."""
    from ..creation import linspace

    return linspace(lo, hi, n, dtype=D.from_numpy_dtype(np.dtype(dt)))._data


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """Covariance of the rows (variables) over the columns (observations)."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if isinstance(correction, Tensor) and correction.dtype.is_floating_point or \
            isinstance(correction, bool) or \
            not isinstance(correction, (int, np.integer, Tensor)):  # an int argument
        raise TypeError("cov(): argument 'correction' must be int, not "
                        f"{type(correction).__name__}")
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                         f"input with {input.dim()} dimensions")
    if input._data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    if not x.is_floating_point():
        x = x.to(D.get_default_dtype())
    w = None
    if fweights is not None:
        w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    n = x.shape[1]
    if w is None:
        mean = x.mean(1, keepdim=True)
        norm = n - correction
    else:
        w = w.to(x.dtype)
        wsum = w.sum()
        mean = (x * w).sum(1, keepdim=True) / wsum
        if correction == 0:
            norm = wsum
        elif aweights is None:
            norm = wsum - correction
        else:
            norm = wsum - correction * (w * aweights.to(x.dtype)).sum() / wsum
    if float(norm._data if isinstance(norm, Tensor) else norm) <= 0:
        warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
             "number of observations.")
    xc = x - mean
    xw = xc if w is None else xc * w
    c = ops.matmul(xw, xc.transpose(0, 1)) / ops.clamp_min(_as_tensor(norm, x), 0)
    return c.squeeze()  # PyTorch squeezes every result: one variable gives a 0-d tensor


def _as_tensor(v, like: Tensor) -> Tensor:
    return v if isinstance(v, Tensor) else _const(np.asarray(v, like._data.dtype))


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients: cov / sqrt(var_i var_j), clipped to [-1, 1]."""
    c = cov(input)
    if c.dim() == 0:
        return c / c
    d = ops.diagonal(c)
    std = ops.sqrt(d)
    c = c / std.reshape(-1, 1) / std.reshape(1, -1)
    return ops.clamp(c, -1, 1)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """Columns x^0 .. x^(N-1) (reversed unless increasing); built by repeated products so
    that the gradient at x = 0 stays finite."""
    try:
        x._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(x=x) from None
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if x._data.dtype.kind in "biu":
        x = x.to(D.int64)
    cols = []
    for k in range(n):
        cols.append(x * 0 + 1 if k == 0 else cols[-1] * x)
    if not cols:
        return _const(np.zeros((x.shape[0], 0), x._data.dtype))
    out = ops.stack(cols if increasing else cols[::-1], 1)
    return out


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input - other (broadcast, flattened): one DistBackward0 node."""
    from ._util import promote
    from .arithmetic import type_name
    from .norms import Dist

    if not isinstance(other, Tensor):  # (x.dist(b): position 1)
        from ._int_args import not_tensor

        raise not_tensor(other, "other")
    a, b = promote(input, other)
    try:
        empty = 0 in np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        empty = None
    if empty is None or "b" in (input._data.dtype.kind, other._data.dtype.kind):
        return input - other  # (raises PyTorch's error: bool subtraction, then sizes)
    if a._data.dtype.kind != "f":
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {type_name(a._data.dtype)} instead.")
    if p == 0 or empty:  # (p=0 has no gradient: PyTorch's backward fails there)
        return ops.norm(a - b, p)
    return Dist.apply(a, b, float(p))


from ._trapezoid import cumulative_trapezoid, trapezoid, trapz  # noqa: E402,F401
