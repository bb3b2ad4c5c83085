"""PyTorch's errors for a bad index, found by walking the index the way PyTorch applies it.

NumPy words these errors its own way (its axis numbers, its shapes) and accepts a few that
PyTorch refuses (a bool mask with a size-0 dim against a size-1 dim), so indexing asks
``index_error`` whenever NumPy fails and whenever a bool mask is part of the index.

PyTorch's order: too many indices; then ints and slices left to right (an int names its
position in the index tuple); then bool masks against the tensor left by the basic items; then
the index tensors' broadcast; a size-0 dim indexed by a non-empty index; the value's shape
(assignment); and last the out-of-range index values, numbered among the index tensors.
"""

from __future__ import annotations

import numpy as np

_ZERO_DIM_INT = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")


def _is_mask(it) -> bool:
    return isinstance(it, np.ndarray) and it.dtype == np.bool_


def _is_int(it) -> bool:
    return isinstance(it, (int, np.integer)) and not isinstance(it, (bool, np.bool_))


def _consumes(it) -> int:
    """How many of the tensor's dims an index item uses up."""
    if it is None or it is Ellipsis or isinstance(it, (bool, np.bool_)):
        return 0
    if _is_mask(it):
        return it.ndim
    return 1


def index_error(shape: tuple, idx, value: np.ndarray | None = None,
                ranges: bool = True) -> Exception | None:
    """The error PyTorch raises for ``x[idx]`` (or ``x[idx] = value``), or None; with
    ``ranges`` False, every error but an index value out of range (checked after the dtypes of
    an indexed write)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    if not shape and not isinstance(idx, tuple):  # PyTorch's own words for x[i] on 0-d x
        if _is_int(idx):
            return IndexError(_ZERO_DIM_INT if idx == 0 else
                              f"index {idx} is out of bounds for dimension 0 with size 0")
        if isinstance(idx, slice):
            return _step_error(idx) or IndexError("slice() cannot be applied to a 0-dim tensor.")
    if idx is True and value is not None:  # PyTorch copies into x.unsqueeze(0)
        return _value_error((1,) + tuple(shape), value, basic=True)
    if sum(_consumes(it) for it in items) > len(shape):
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    walked = _walk_basic(shape, items)
    if isinstance(walked, Exception):
        return walked
    tshape, adv = walked
    return _advanced_error(tshape, adv, value, ranges)


def _step_error(it: slice) -> Exception | None:
    if it.step is not None and it.step <= 0:
        return ValueError("step must be greater than zero" if it.step else
                          "slice step cannot be zero")
    return None


def _walk_basic(shape: tuple, items: tuple):
    """Apply ints, slices, None and Ellipsis; collect (dim, array) for the advanced items."""
    spare = len(shape) - sum(_consumes(it) for it in items)
    tshape, adv, p = [], [], 0
    for pos, it in enumerate(items):
        if it is Ellipsis:
            tshape += shape[p:p + spare]
            p += spare
        elif it is None:
            tshape.append(1)
        elif isinstance(it, (bool, np.bool_)) or (_is_mask(it) and it.ndim == 0):
            adv.append((len(tshape), np.zeros(1 if it else 0, np.int64)))  # a new dim, as None
            tshape.append(1)
        elif _is_int(it):
            n = shape[p]
            if not -n <= it < n:
                return IndexError(f"index {it} is out of bounds for dimension {pos} with size {n}")
            p += 1
        elif isinstance(it, slice):
            if _step_error(it):
                return _step_error(it)
            tshape.append(len(range(*it.indices(shape[p]))))
            p += 1
        else:  # an index array or a mask
            arr = np.asarray(it)
            adv.append((len(tshape), arr))
            k = max(arr.ndim, 1) if arr.dtype == np.bool_ else 1
            tshape += shape[p:p + k]
            p += k
    return tshape + list(shape[p:]), adv


def has_mask(np_idx) -> bool:
    """A bool mask with dims: NumPy accepts some that PyTorch refuses, so check it first."""
    items = np_idx if isinstance(np_idx, tuple) else (np_idx,)
    return any(_is_mask(it) and it.ndim for it in items)


def plain_mask(shape: tuple, np_idx) -> bool:
    """Whether the index is one bool mask (ndim >= 1) matching the tensor's leading dims
    (x[done], x[r > 0]): PyTorch and NumPy agree on it and none of its positions is out of
    range, so ``index_error``'s walk (~20 us, mostly np.nonzero and the range check) is
    skipped."""
    return (type(np_idx) is np.ndarray and np_idx.dtype == np.bool_ and np_idx.ndim > 0
            and np_idx.shape == shape[:np_idx.ndim])


def bad_step(np_idx) -> bool:
    items = np_idx if isinstance(np_idx, tuple) else (np_idx,)
    return any(isinstance(it, slice) and _step_error(it) is not None for it in items)


def zeroed(np_idx):
    """The index with every index array replaced by zeros (same shapes)."""
    if isinstance(np_idx, tuple):
        return tuple(zeroed(it) for it in np_idx)
    if isinstance(np_idx, np.ndarray) and np_idx.dtype != np.bool_:
        return np.zeros_like(np_idx)
    return np_idx


def torch_permutation(shape: tuple, items) -> tuple | None:
    """Axes that turn NumPy's result of ``x[items]`` into PyTorch's, or None if they agree.

    PyTorch applies ints before the index tensors, NumPy counts them among the advanced
    indices: ``x[0, :, [0, 1]]`` has its index tensors next to each other for PyTorch (result
    [3, 2] for x [2, 3, 4]) but not for NumPy, which moves the index dims to the front ([2, 3]).
    """
    if not isinstance(items, tuple) or not any(_is_int(it) or it is Ellipsis for it in items):
        return None  # no int and no Ellipsis: the two libraries place index dims alike
    if sum(_consumes(it) for it in items) > len(shape):
        return None  # indexing itself will fail, with PyTorch's words
    walked = _walk_basic(shape, items)
    if isinstance(walked, Exception) or not walked[1]:
        return None
    tshape, adv = walked
    dims, arrays = [], []
    for d, arr in adv:
        k = arr.ndim if arr.dtype == np.bool_ and arr.ndim else 1
        dims += range(d, d + k)
        arrays += list(np.nonzero(arr)) if arr.dtype == np.bool_ and arr.ndim else [arr]
    pos = [i for i, it in enumerate(items) if not (it is None or it is Ellipsis
                                                     or isinstance(it, slice))]
    if dims != list(range(dims[0], dims[0] + len(dims))) or pos == list(
            range(pos[0], pos[0] + len(pos))):
        return None  # PyTorch's index dims are apart (both put them first), or NumPy's are not
    try:
        nb = len(np.broadcast_shapes(*[a.shape for a in arrays]))
    except ValueError:
        return None  # indexing itself will fail, with PyTorch's words
    ndim = nb + len(tshape) - len(dims)
    return tuple(range(nb, nb + dims[0])) + tuple(range(nb)) + tuple(range(nb + dims[0], ndim))


def _advanced_error(tshape: list, adv: list, value, ranges: bool = True) -> Exception | None:
    arrays = []  # (dim in tshape, integer index array)
    for d, arr in adv:
        if arr.dtype == np.bool_:
            for j, (m, n) in enumerate(zip(arr.shape, tshape[d:])):
                if m != n:
                    return IndexError(
                        f"The shape of the mask {list(arr.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {tshape} at index {d + j}")
            arrays += [(d + j, nz) for j, nz in enumerate(np.nonzero(arr))]
        else:
            arrays.append((d, arr))
    if not arrays:
        return _value_error(tuple(tshape), value, basic=True)
    try:
        bshape = np.broadcast_shapes(*[a.shape for _, a in arrays])
    except ValueError:
        shapes = ", ".join(str(list(a.shape)) for _, a in arrays)
        return IndexError("shape mismatch: indexing tensors could not be broadcast together "
                          f"with shapes {shapes}")
    for d, a in arrays:
        if tshape[d] == 0 and np.prod(bshape):
            return IndexError("index is out of bounds for dimension with size 0")
    out_shape = _result_shape(tshape, [d for d, _ in arrays], bshape)
    err = _value_error(out_shape, value, basic=False)
    if err is not None or not np.prod(out_shape) or not ranges:
        return err  # an empty result reads no index value, so none is out of range
    return _out_of_range(tshape, arrays, bshape)


def _result_shape(tshape: list, dims: list, bshape: tuple) -> tuple:
    """NumPy's and PyTorch's placement: adjacent index dims are replaced in place, others
    move the broadcast index shape to the front."""
    rest = [n for i, n in enumerate(tshape) if i not in dims]
    if dims == list(range(dims[0], dims[0] + len(dims))):
        return tuple(rest[:dims[0]]) + tuple(bshape) + tuple(rest[dims[0]:])
    return tuple(bshape) + tuple(rest)


def _out_of_range(tshape: list, arrays: list, bshape: tuple) -> Exception | None:
    """The first index value out of range, in the order PyTorch's kernel reads them."""
    full = [np.broadcast_to(a, bshape).reshape(-1) for _, a in arrays]
    sizes = [tshape[d] for d, _ in arrays]
    bad = np.stack([(a < -n) | (a >= n) for a, n in zip(full, sizes)], axis=-1).reshape(-1)
    if not bad.any():
        return None
    element, i = divmod(int(bad.argmax()), len(arrays))
    return IndexError(f"index {full[i][element]} is out of bounds for dimension {i} with size "
                      f"{sizes[i]}")


def strip_leading_ones(shape: tuple) -> tuple:
    """PyTorch drops a value's leading size-1 dims before broadcasting it into x[idx]."""
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return tuple(shape[k:])


def _value_error(target: tuple, value, basic: bool) -> Exception | None:
    if value is None:
        return None
    v = strip_leading_ones(np.shape(value))
    try:
        if np.broadcast_shapes(target, v) == target:
            return None
    except ValueError:
        pass
    if not basic:
        return RuntimeError(f"shape mismatch: value tensor of shape {list(v)} cannot be "
                            f"broadcast to indexing result of shape {list(target)}")
    return _expand_error(target, v, np.asarray(value).dtype)


_LEGACY = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
           "float16": "torch.HalfTensor", "int64": "torch.LongTensor", "int32": "torch.IntTensor",
           "int16": "torch.ShortTensor", "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
           "bool": "CPUBoolType"}


def _expand_error(target: tuple, v: tuple, dtype) -> Exception:
    """The words of ``value.expand(target)`` failing (a basic index assigns by copy_)."""
    if len(v) > len(target):
        return RuntimeError(
            f"expand({_LEGACY[dtype.name]}{{{list(v)}}}, size={list(target)}): the number of "
            f"sizes provided ({len(target)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(v)})")
    lead = len(target) - len(v)
    for i in reversed(range(len(v))):
        if v[i] not in (1, target[lead + i]):
            return RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                f"size ({v[i]}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(v)}")
    return RuntimeError(f"shape mismatch: value tensor of shape {list(v)} cannot be broadcast "
                        f"to indexing result of shape {list(target)}")


# ---- gather / scatter / index_select / take ------------------------------------------------
_UNSIGNED = {n: np.dtype(f"u{n}") for n in (1, 2, 4, 8)}


def first_out_of_range(index: np.ndarray, low: int, high: int, dim: int = -1):
    """The first value of ``index`` outside [low, high) in the order PyTorch's kernels read
    them (``dim`` innermost), or None."""
    if low == 0 and index.size and index.dtype.kind == "i":
        # As unsigned, negative values are huge, so the largest says both. Found by argmax:
        # 0.3 us against 0.8 for np.maximum.reduce and 2 us for min and max.
        u = index.view(_UNSIGNED[index.dtype.itemsize])
        if u.item(u.argmax()) < high:
            return None
    bad = (index < low) | (index >= high)
    if not bad.any():
        return None
    if index.ndim:
        index, bad = np.moveaxis(index, dim, -1), np.moveaxis(bad, dim, -1)
    return int(index.reshape(-1)[bad.reshape(-1).argmax()])


def index_select_error(shape: tuple, dim: int, index: np.ndarray) -> Exception | None:
    """PyTorch's CPU index_select checks, by case: a 0-d self, an empty self or dim 1 of a
    matrix or larger (its own words), other dims (index in [0, size))."""
    if not shape:
        if index.size != 1:
            return RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                                f"{index.size} value(s)")
        return IndexError("index out of range in self") if index.reshape(-1)[0] != 0 else None
    n = shape[dim]
    if len(shape) > 1 and index.size and (dim == 1 or not np.prod(shape)):
        if n == 0:
            return RuntimeError("index_select(): self indexing axis dim should be positive")
        bad = first_out_of_range(index.reshape(-1), 0, n)
        return None if bad is None else RuntimeError(
            f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
    if len(shape) > 1 and not np.prod(shape):
        return None
    if first_out_of_range(index.reshape(-1), 0, n) is not None:
        return IndexError("index out of range in self")
    return None
