"""PyTorch's memory layout for the results of ops whose NumPy counterpart lays them out
otherwise. A result's strides show in ``stride()``/``is_contiguous()`` and decide in which
order a sampler fills a tensor made "like" it (``dropout``, ``rand_like``), so they matter.

* ``contig``: the plain row-major layout that reductions, ``softmax``, ``cumsum``, ``cat``
  and the like allocate, whatever their input's layout (NumPy keeps the input's). Size-1
  dims get row-major strides too (PyTorch reports ``(1, 1)`` for a ``(3, 1)`` result).
* ``iter_layout``: TensorIterator's layout for an elementwise op. It sorts the dims by the
  inputs' strides, the first input whose strides differ for two dims deciding their order,
  where NumPy lets any input that prefers row-major order win (so ``x.mT + y`` is row-major
  in NumPy and ``x.mT``'s layout in PyTorch). The callers test the cheap common case first.
"""

from __future__ import annotations

import numpy as np

_ND = np.ndarray


def contig(a):
    """``a`` with row-major strides (``a`` itself when it has them already)."""
    if type(a) is not _ND:
        return a
    if a.flags.c_contiguous:
        if 1 not in a.shape or a.ndim < 2 or _exact_c(a):
            return a
        return a.reshape(-1).reshape(a.shape)  # a view with freshly computed C strides
    return np.ascontiguousarray(a)


def _exact_c(a) -> bool:
    """Row-major strides on every dim, size-1 dims included."""
    step = a.itemsize
    for n, s in zip(reversed(a.shape), reversed(a.strides)):
        if s != step:
            return False
        step *= n
    return True


def _op_strides(x, shape: tuple) -> tuple:
    """x's strides (bytes) broadcast to ``shape`` as TensorIterator sees them: 0 for a
    missing leading dim or a size-1 dim stretched; a size-1 dim that stays keeps its own."""
    lead = len(shape) - x.ndim
    out = [0] * lead
    for n, m, s in zip(x.shape, shape[lead:], x.strides):
        out.append(0 if (n == 1 and m != 1) else s)
    return tuple(out)


def iter_perm(shape: tuple, strides: list) -> list:
    """TensorIterator's reorder_dimensions: the dims fastest first (insertion sort starting
    from reversed order; per pair, the first operand with two nonzero, different strides
    decides; equal strides put the longer dim outside)."""
    n = len(shape)
    perm = list(range(n - 1, -1, -1))

    def should_swap(d0: int, d1: int) -> int:
        for st in strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 < s1:
                return -1
            if s0 > s1:
                return 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    for i in range(1, n):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def _dense_same(arrays: list) -> bool:
    """TensorIterator's fast set-up: every input non-overlapping and dense with the same
    strides; the result then takes those strides exactly."""
    first = arrays[0]
    if any(s <= 0 for s in first.strides) or not _dense(first):
        return False
    return all(x.strides == first.strides for x in arrays[1:])


def _dense(a) -> bool:
    order = sorted(range(a.ndim), key=lambda d: a.strides[d])
    step = a.itemsize
    for d in order:
        if a.shape[d] != 1 and a.strides[d] != step:
            return False
        step *= a.shape[d]
    return True


def iter_layout(out, *inputs):
    """``out`` (an elementwise op's result) in the layout PyTorch's TensorIterator gives it
    for ``inputs`` (arrays or scalars, in the op's operand order)."""
    if type(out) is not _ND or out.ndim < 2 or out.size == 0:
        return out
    arrays = [x for x in inputs if type(x) is _ND and x.ndim]
    if not arrays:
        return out
    shape = out.shape
    if all(x.shape == shape for x in arrays):
        if all(x.flags.c_contiguous for x in arrays):
            return contig(out)
        if _dense_same(arrays):
            if out.strides == arrays[0].strides:
                return out
            res = np.lib.stride_tricks.as_strided(
                np.empty(out.size, out.dtype), shape,
                tuple(s // arrays[0].itemsize * out.itemsize for s in arrays[0].strides))
            res[...] = out
            return res
    perm = iter_perm(shape, [_op_strides(x, shape) for x in arrays])
    axes = perm[::-1]  # outermost first
    if axes == sorted(axes):
        return contig(out)
    res = np.empty([shape[d] for d in axes], out.dtype).transpose(np.argsort(axes))
    if res.strides != out.strides:
        res[...] = out
        return res
    return out


def relaid(out, *inputs):
    """``iter_layout(out, *inputs)`` when some array input is not row-major; else ``out`` as
    it is (a type and flag test per input: NumPy lays the result of row-major inputs out as
    PyTorch does)."""
    for x in inputs:
        if type(x) is _ND and not x.flags.c_contiguous:
            return iter_layout(out, *inputs)
    return out


def elementwise(cls):
    """Class decorator of an elementwise Primitive whose array inputs are its TensorIterator
    operands in order: its ``forward``'s result laid out by ``relaid`` (``maximum``,
    ``atan2``, ``where``, ``lerp``: NumPy lets a row-major operand decide the layout)."""
    fwd = cls.forward

    def forward(ctx, *args, **kwargs):
        out = fwd(ctx, *args, **kwargs)
        for x in args:  # the first array operand: NumPy's layout is PyTorch's when row-major
            if type(x) is _ND:
                return out if x.flags.c_contiguous else iter_layout(out, *args)
        return out

    forward.__doc__ = fwd.__doc__
    cls.forward = staticmethod(forward)
    return cls


def reduced(out, x):
    """A reduction's result over ``x`` laid out as PyTorch's: row-major. NumPy's already is
    unless ``x`` is not (one flag test on the common path)."""
    if type(x) is _ND and not x.flags.c_contiguous:
        return contig(out)
    return out


def is_channels_last(a) -> bool:
    return a.ndim == 4 and a.transpose(0, 2, 3, 1).flags.c_contiguous


def joined(out, xs):
    """``cat``/``stack``'s result laid out as PyTorch's: channels-last when every input is
    (4-D), else row-major, whatever the inputs' layouts."""
    if type(out) is not _ND or out.flags.c_contiguous:
        return out
    if is_channels_last(out) and all(is_channels_last(x) for x in xs if type(x) is _ND):
        return out
    return np.ascontiguousarray(out)


# stack of channels-last 4-D inputs along dim d: the 5-D result's dims, outermost first
_STACKED_CL = {0: (0, 1, 3, 4, 2), 1: (0, 3, 4, 1, 2), 2: (0, 2, 3, 4, 1), 3: (0, 2, 3, 4, 1)}


def stacked(out, xs, d: int):
    """``stack``'s result laid out as PyTorch's: row-major, but for inputs all channels-last
    (and not row-major too) the new dim goes into their layout (PyTorch's output format for
    the unsqueezed inputs: dim 0 outermost; 1 just outside the channels; 2 and 3 as
    channels-last-3d; 4, the last, row-major)."""
    axes = _STACKED_CL.get(d)
    first = xs[0]
    if axes is None or type(first) is not _ND or first.ndim != 4 or first.flags.c_contiguous \
            or not all(type(x) is _ND and is_channels_last(x) for x in xs):
        return contig(out)
    res = np.empty([out.shape[i] for i in axes], out.dtype).transpose(np.argsort(axes))
    res[...] = out
    return res


def channels_last(out, *inputs):
    """A 4-D conv's or pool's result laid out channels-last when an input is (and is not
    row-major too), as PyTorch's (its suggested memory format); else ``out`` as it is."""
    if type(out) is not _ND or out.ndim != 4 or not any(
            type(x) is _ND and x.ndim == 4 and not x.flags.c_contiguous and is_channels_last(x)
            for x in inputs):
        return out
    n, c, h, w = out.shape
    res = np.empty((n, h, w, c), out.dtype).transpose(0, 3, 1, 2)
    res[...] = out
    return res


def empty_like(x, dtype=None):
    """PyTorch's ``empty_like(x)`` (preserve format): x's strides when x is dense without
    overlaps, else dense strides in x's dimension order (``_rng_layout.empty_like``)."""
    dtype = x.dtype if dtype is None else np.dtype(dtype)
    if x.size and all(s > 0 for s in x.strides) and _dense(x):
        isz = x.itemsize
        return np.lib.stride_tricks.as_strided(
            np.empty(x.size, dtype), x.shape, tuple(s // isz * dtype.itemsize for s in x.strides))
    from .._rng_layout import empty_like as dense_like

    return dense_like(x, dtype)


def preserved(out, x):
    """``out`` (computed from ``x``, of x's shape) laid out as ``empty_like(x)``: what sort,
    flip, clone and casts give. Row-major ``x``: ``out`` as it is."""
    if type(x) is not _ND or x.flags.c_contiguous or type(out) is not _ND:
        return out
    if x.size and all(s > 0 for s in x.strides) and _dense(x):
        isz = x.itemsize
        if out.strides == tuple(s // isz * out.itemsize for s in x.strides):
            return out
    res = empty_like(x, out.dtype)
    res[...] = out
    return res


def indexed(out, x, idx):
    """``x[idx]`` (advanced indexing; NumPy puts the indexed dims outermost in memory) laid
    out as PyTorch's index kernel: TensorIterator over x restrided (ints and slices applied,
    the indexed dims of stride 0, moved to the front when not adjacent) and the index arrays."""
    if type(out) is not _ND or out.ndim < 2 or out.size == 0:
        return out
    items = idx if type(idx) is tuple else (idx,)
    if x.flags.c_contiguous:
        if out.flags.c_contiguous:
            return out
        # Row-major x and index arrays: every pair of dims the kernel can order is in
        # row-major order already, so its result is row-major (x[:, idx] is not, in NumPy).
        if all(type(it) is not _ND or it.flags.c_contiguous for it in items):
            return np.ascontiguousarray(out)
    if any(it is Ellipsis for it in items):
        # by identity: tuple.index compares with ==, which an index array answers elementwise
        k = next(i for i, it in enumerate(items) if it is Ellipsis)
        used = sum(np.ndim(it) if (type(it) is _ND and it.dtype == np.bool_) else
                   (0 if it is None else 1) for it in items if it is not Ellipsis)
        items = items[:k] + (slice(None),) * (x.ndim - used) + items[k + 1:]
    dims, advanced = [], []  # dims: (size, stride) of the view; advanced: (position, array)
    d = 0
    for it in items:
        if it is None:
            dims.append((1, 0))
        elif isinstance(it, slice):
            start, stop, step = it.indices(x.shape[d])
            dims.append((len(range(start, stop, step)), x.strides[d] * step))
            d += 1
        elif type(it) is _ND and it.ndim and it.dtype == np.bool_:
            for col in np.nonzero(it):
                advanced.append((len(dims), col))
                dims.append((None, 0))
            d += it.ndim
        elif type(it) is _ND and it.ndim:
            advanced.append((len(dims), it))
            dims.append((None, 0))
            d += 1
        else:  # an int (or a 0-d array): a select
            d += 1
    dims += [(x.shape[j], x.strides[j]) for j in range(d, x.ndim)]
    if not advanced:
        return out
    pos = [p for p, _ in advanced]
    if pos != list(range(pos[0], pos[0] + len(pos))):  # not adjacent: to the front
        rest = [i for i in range(len(dims)) if i not in pos]
        dims = [dims[i] for i in pos] + [dims[i] for i in rest]
        pos = list(range(len(pos)))
    try:
        arrays = np.broadcast_arrays(*[a for _, a in advanced])
    except ValueError:
        return out
    bshape = arrays[0].shape
    before, after = dims[:pos[0]], dims[pos[-1] + 1:]
    shape = tuple(n for n, _ in before) + bshape + tuple(n for n, _ in after)
    if shape != out.shape:
        return out
    src = tuple(s for _, s in before) + (0,) * len(bshape) + tuple(s for _, s in after)
    ops = [_op_strides_of(shape, src)]
    for a in arrays:
        st = (0,) * len(before) + tuple(0 if n == 1 else s for n, s in zip(a.shape, a.strides))
        ops.append(_op_strides_of(shape, st + (0,) * len(after)))
    perm = iter_perm(shape, ops)
    axes = perm[::-1]
    res = np.empty([shape[i] for i in axes], out.dtype).transpose(np.argsort(axes))
    if res.strides == out.strides:
        return out
    res[...] = out
    return res


def _op_strides_of(shape: tuple, strides: tuple) -> tuple:
    return tuple(0 if n == 1 else s for n, s in zip(shape, strides))
