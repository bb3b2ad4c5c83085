"""More shape ops: roll, rot90 (primitives: each gradient is the inverse movement), and
composites of existing differentiable ops (tile, repeat_interleave, meshgrid,
broadcast_tensors, take_along_dim, atleast_*d, dstack, column_stack, moveaxis)."""

from __future__ import annotations


import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._axis_alias import dim_alias
from ._layout import is_channels_last as channels_last, reduced
from ._util import _index, as_int, check_broadcast, wrap_dim
from .gather_scatter import _tname, gather
from .indexing import index_select
from .join_split import cat, hstack
from .shape import expand, movedim, repeat
from .shape_copy import CloneContiguous

__all__ = ["roll", "rot90", "tile", "repeat_interleave", "meshgrid", "broadcast_tensors",
           "broadcast_shapes", "moveaxis", "take_along_dim", "atleast_1d", "atleast_2d",
           "atleast_3d", "dstack", "column_stack"]

moveaxis = movedim


class Roll(Primitive):
    """y = x shifted cyclically by ``shifts`` along ``axes``;  dL/dx = dL/dy shifted back."""

    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        if axes is None:  # PyTorch's dims=None: roll the flattened tensor
            return np.roll(x, shifts[0])
        out = np.roll(x, shifts, axes)  # PyTorch's: row-major, or channels-last as x
        return out if channels_last(x) and channels_last(out) else reduced(out, x)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts)
        if isinstance(g, Tensor):
            return (Roll.apply(g, back, ctx.axes), None, None)
        return (Roll.forward(ctx, g, back, ctx.axes), None, None)


def _ints(v) -> tuple:
    if isinstance(v, Tensor):
        v = v.tolist()
    try:
        return (_index(v),) if isinstance(v, (int, np.integer)) else tuple(map(_index, v))
    except TypeError:  # roll(n / 2): PyTorch's TypeError, never truncated
        from ._int_args import not_int

        raise not_int(v if not isinstance(v, (tuple, list)) else next(
            s for s in v if not hasattr(s, "__index__")), "tuple of ints") from None


def roll(input, shifts, dims=None):
    shifts = _ints(shifts)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return Roll.apply(input, shifts, None)
    axes = _ints(dims)
    if len(shifts) != len(axes):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(axes)}")
    if input._data.ndim == 0:  # PyTorch's roll does not wrap dims of a 0-d tensor
        raise IndexError(f"Dimension specified as {axes[0]} but tensor has no dimensions")
    axes = tuple(wrap_dim(a, input._data.ndim) for a in axes)
    return Roll.apply(input, shifts, axes)


class Rot90(Primitive):
    """y = x rotated k quarter turns in the plane ``axes``;  dL/dx = dL/dy rotated back."""

    @staticmethod
    def forward(ctx, x, k, axes):
        ctx.k, ctx.axes = k, axes
        return np.ascontiguousarray(np.rot90(x, k, axes))

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return (Rot90.apply(g, -ctx.k, ctx.axes), None, None)
        return (np.rot90(g, -ctx.k, ctx.axes), None, None)


def rot90(input, k=1, dims=(0, 1)):
    dims = list(dims)
    try:
        n = input._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    axes = (wrap_dim(dims[0], n), wrap_dim(dims[1], n))  # range first, then sameness
    if axes[0] == axes[1]:
        raise RuntimeError("expected rotation dims to be different, but got dim0 = "
                           f"{dims[0]} and dim1 = {dims[1]}")
    return Rot90.apply(input, int(k) % 4, axes)


def tile(input, dims):
    """repeat() with ``dims`` padded with leading ones to input's number of dims."""
    if isinstance(dims, (int, np.integer)):
        raise TypeError("tile(): argument 'dims' (position 2) must be tuple of ints, not int")
    dims = _ints(dims)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


def tile_method(self, *dims):
    """Tensor.tile: the dims as one sequence or as separate ints (x.tile(2, 3))."""
    if not dims:
        raise TypeError('tile() missing 1 required positional arguments: "dims"')
    return tile(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims)


def repeat_interleave_method(self, repeats=None, dim=None, *, output_size=None):
    """Tensor.repeat_interleave: unlike torch.repeat_interleave(counts), repeats is required."""
    if repeats is None:
        raise TypeError("repeat_interleave() received an invalid combination of arguments - "
                        "got (), but expected one of:\n * (Tensor repeats, int dim = None, *, "
                        "SymInt output_size = None)\n * (SymInt repeats, int dim = None, *, "
                        "SymInt output_size = None)")
    return repeat_interleave(self, repeats, dim, output_size=output_size)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (dim None: of the flattened input) or each slice along ``dim`` repeated
    ``repeats`` times, an int or one count per slice. ``repeat_interleave(counts)`` alone
    gives the indices 0, 0, 1, ... each repeated its count."""
    if repeats is None:  # torch.repeat_interleave(repeats)
        if not isinstance(input, Tensor):  # PyTorch's parser names the lone argument repeats
            from .._typename import arg_type_name

            raise TypeError("repeat_interleave(): argument 'repeats' (position 1) must be "
                            f"Tensor, not {arg_type_name(input)}")
        if input._data.dtype.kind not in "iu":
            from .arithmetic import type_name

            raise NotImplementedError("\"repeat_interleave_cpu\" not implemented for "
                                      f"'{type_name(input._data.dtype)}'")
        if input._data.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = _counts(input)
        return Tensor._make(np.repeat(np.arange(counts.size), counts), False, None)
    x = input.reshape(-1) if dim is None else input
    if x._data.ndim == 0:  # a 0-d input with a dim: PyTorch's own messages
        d = wrap_dim(dim, 0)
        if isinstance(repeats, Tensor):
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        wrap_dim(d + 1, 0)
    d = 0 if dim is None else wrap_dim(dim, x._data.ndim)
    if isinstance(repeats, Tensor):
        counts = _counts(repeats)
        if counts.size == 1:
            counts = np.full(x._data.shape[d], counts[0])
        elif counts.size != x._data.shape[d]:
            raise RuntimeError("repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.size} and input.size({d}) = "
                               f"{x._data.shape[d]}")
        if output_size is not None and int(counts.sum()) != output_size:
            raise RuntimeError("allocated size does not match required size")
        index = np.repeat(np.arange(counts.size), counts)
        return index_select(x, d, Tensor._make(index, False, None))
    r = repeats if type(repeats) is int else as_int(repeats)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    n = x._data.shape[d] * r
    if output_size is not None and output_size != n:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {n} but got "
                           f"{output_size}")
    shape = x._data.shape
    wide = x.unsqueeze(d + 1).expand(shape[:d + 1] + (r,) + shape[d + 1:])
    # always copied, then viewed: PyTorch's ViewBackward0 over CloneBackward0
    return CloneContiguous.apply(wide).view(shape[:d] + (n,) + shape[d + 1:])


def _counts(repeats: Tensor) -> np.ndarray:
    c = repeats._data
    if c.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if c.dtype.kind not in "iu":
        kind = {"f": "Float", "b": "Bool"}.get(c.dtype.kind, str(c.dtype))
        if c.dtype == np.float64:
            kind = "Double"
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{kind}'")
    if (c < 0).any():
        raise RuntimeError("repeats can not be negative")
    return c.reshape(-1).astype(np.int64)


def _tensor_list(tensors, name: str) -> list:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return list(tensors)


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    tensors = _tensor_list(tensors, "meshgrid")
    if indexing is None:
        from .._config import warn_once  # once per process (or always), as PyTorch

        warn_once("torch.meshgrid: in an upcoming release, it will be required to pass the "
                  "indexing argument.", stacklevel=4)
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {_aten_str(t)}")
    if len({t._data.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:  # the first two axes swap places
        order[0], order[1] = 1, 0
    sizes = [t._data.size for t in tensors]
    shape = tuple(sizes[i] for i in order)
    out = []
    for i, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[order.index(i)] = -1
        out.append(expand(t.reshape(view), shape))
    return tuple(out)


def _aten_str(t: Tensor) -> str:
    """A matrix as PyTorch's C++ side prints it in messages (fixed point, 4 decimals)."""
    a = t._data.reshape(t._data.shape[0], -1)
    if a.dtype.kind == "f":
        text = [[f"{v:.4f}" for v in row] for row in a]
    else:
        text = [[str(v) for v in row] for row in a]
    width = max([len(s.lstrip("-")) for row in text for s in row] + [0]) + 1
    rows = "\n".join(" ".join(s.rjust(width) for s in row) for row in text)
    sizes = ",".join(str(n) for n in t._data.shape)
    return f"{rows}\n[ torch.{t.type().split('.')[-1]}{{{sizes}}} ]"


def broadcast_shapes(*shapes):
    """The shape that tensors of ``shapes`` broadcast to (ints count as 1-D shapes)."""
    from ..tensor import Size

    given = shapes
    for s in shapes:
        if not isinstance(s, (int, np.integer, tuple, list)):
            raise RuntimeError("Input shapes should be of type ints, a tuple of ints, or a list "
                               f"of ints, got {s}")
    shapes = [(int(s),) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    out = [1] * max([len(s) for s in shapes] + [0])
    for i, shape in enumerate(shapes):
        for j in range(-1, -len(shape) - 1, -1):
            n = shape[j]
            if n < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if n == 1 or n == out[j]:
                continue
            if out[j] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at {j}! "
                                   f"Mismatching argument at index {i} had {given[i]}; but "
                                   f"expected shape should be broadcastable to {out}")
            out[j] = n
    return Size(out)


def broadcast_tensors(*tensors) -> tuple:
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{_tname(t)}")
    shape: tuple = ()
    for t in tensors:
        check_broadcast(shape, t._data.shape)
        shape = np.broadcast_shapes(shape, t._data.shape)
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


def _take_along_dim_fn(pos: int):
    """torch.take_along_dim ('indices' is argument 2) and the method (1: self left out), one
    body each so that the method costs no extra call."""

    def take_along_dim(input, indices, dim=None):
        """input's entries at ``indices`` along ``dim`` (dim None: of the flattened input)."""
        if not isinstance(indices, Tensor):
            raise TypeError(f"take_along_dim(): argument 'indices' (position {pos}) must be "
                            f"Tensor, not {_tname(indices)}")
        dt = indices._data.dtype
        if dt not in (np.int64, np.int32):  # PyTorch 2.13 asks gather first, then for int64
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        if dt != np.int64:
            from .linalg import _kind

            raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                               f"{_kind(indices)}")
        if dim is None:
            return gather(input.reshape(-1), 0, indices.reshape(-1))
        n, m = input._data.ndim, indices._data.ndim
        if n != m:
            raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                               f"number of dimensions, but got {n} dimensions for input, and {m} "
                               "dimensions for indices")
        d = wrap_dim(dim, n)
        a, b = list(input._data.shape), list(indices._data.shape)
        a[d] = b[d] = 1  # every dim but ``dim`` broadcasts
        check_broadcast(tuple(a), tuple(b))
        common = list(np.broadcast_shapes(tuple(a), tuple(b)))
        x_shape = common[:d] + [input._data.shape[d]] + common[d + 1:]
        i_shape = common[:d] + [indices._data.shape[d]] + common[d + 1:]
        x = input if list(input._data.shape) == x_shape else expand(input, x_shape)
        i = indices if list(indices._data.shape) == i_shape else expand(indices, i_shape)
        return gather(x, d, i)

    take_along_dim.__qualname__ = "take_along_dim"
    return take_along_dim


# (axis= for dim=, as PyTorch's parser: _axis_alias.py)
take_along_dim = dim_alias(_take_along_dim_fn(2))
take_along_dim_method = dim_alias(_take_along_dim_fn(1))


def _each(fn, tensors):
    """PyTorch's atleast_*d calling forms: one tensor -> a tensor, several or a list -> tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    return tuple(fn(t) for t in _tensor_list(tensors, ""))


def _at_least(t: Tensor, n: int) -> Tensor:
    shape = t._data.shape
    if len(shape) >= n:
        return t
    if not shape:
        return t.reshape((1,) * n)
    if n == 2 or len(shape) == 1 and n == 3:  # (k) -> (1, k) or (1, k, 1)
        t = t.unsqueeze(0)
    return t if t._data.ndim >= n else t.unsqueeze(-1)


def atleast_1d(*tensors):
    return _each(lambda t: _at_least(t, 1), tensors)


def atleast_2d(*tensors):
    return _each(lambda t: _at_least(t, 2), tensors)


def atleast_3d(*tensors):
    return _each(lambda t: _at_least(t, 3), tensors)


def dstack(tensors, *, out=None):
    from .join_split import tensor_list

    tensors = tensor_list(tensors, "dstack")
    if not tensors:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return cat([_at_least(t, 3) for t in tensors], 2)


def column_stack(tensors, *, out=None):
    from .join_split import tensor_list

    tensors = tensor_list(tensors, "column_stack")
    if not tensors:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    return hstack([t.reshape(-1, 1) if t._data.ndim <= 1 else t for t in tensors])
