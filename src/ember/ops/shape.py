"""Shape ops: they move data around without changing values, so each gradient is the
inverse movement (reshape back, transpose back, slice back, sum the copies)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import dims, wrap_dim


def _view_of(out: Tensor, base: Tensor) -> Tensor:
    """Mark ``out`` as a view of ``base``: in-place changes to either bump a shared version."""
    if np.shares_memory(out._data, base._data) if isinstance(base._data, np.ndarray) else False:
        out._vc = base._shared_vc()
        out._base = base if base._base is None else base._base
    return out


class Reshape(Primitive):
    """y = x with a new shape;  dL/dx = dL/dy reshaped back."""

    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = np.shape(x)
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, g):
        return (np.reshape(g, ctx.in_shape), None)


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(input, *shape):
    shape = _shape_arg(shape)
    n = input._data.size
    known = int(np.prod([s for s in shape if s != -1]))
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if (-1 in shape and (known == 0 or n % known)) or (-1 not in shape and known != n):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
    return _view_of(Reshape.apply(input, shape), input)


def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
        return input.to(shape[0])  # view(dtype)
    return reshape(input, *shape)


def flatten(input, start_dim=0, end_dim=-1):
    shape = input._data.shape
    if not shape:
        return reshape(input, 1)
    s, e = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return reshape(input, shape[:s] + (-1 if 0 not in shape[s:e + 1] else 0,) + shape[e + 1:])


def unflatten(input, dim, sizes):
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    return reshape(input, shape[:d] + tuple(sizes) + shape[d + 1:])


def squeeze(input, dim=None):
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        ds = dims(dim, len(shape)) if shape else ()
        new = tuple(s for i, s in enumerate(shape) if not (i in ds and s == 1))
    return reshape(input, new)


def unsqueeze(input, dim):
    shape = input._data.shape
    d = wrap_dim(dim, len(shape) + 1)
    return reshape(input, shape[:d] + (1,) + shape[d:])


class Permute(Primitive):
    """y = x with axes reordered;  dL/dx = dL/dy with the inverse order."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return (np.transpose(g, np.argsort(ctx.axes)), None)


def permute(input, *dims_):
    axes = dims(_shape_arg(dims_), input._data.ndim)
    if len(axes) != input._data.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = "
            f"{input._data.ndim} is not equal to len(dims) = {len(axes)}"
        )
    return _view_of(Permute.apply(input, axes), input)


def transpose(input, dim0, dim1):
    n = input._data.ndim
    if n == 0:
        return input
    a, b = wrap_dim(dim0, n), wrap_dim(dim1, n)
    axes = list(range(n))
    axes[a], axes[b] = axes[b], axes[a]
    return permute(input, axes)


swapaxes = swapdims = transpose


def t(input):
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input


def movedim(input, source, destination):
    n = input._data.ndim
    order = list(np.moveaxis(np.arange(n), source, destination))
    return permute(input, order)


class Expand(Primitive):
    """y = x broadcast to a larger shape;  dL/dx = dL/dy summed back (the engine does it)."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return (g, None)


def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            "provided ({}) must be greater or equal to the number of dimensions in the tensor "
            "({})".format(len(sizes), len(shape))
        )
    lead = len(sizes) - len(shape)
    full = tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    for i, (want, have) in enumerate(zip(full[lead:], shape)):
        if have != 1 and want != have:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({have}) "
                f"at non-singleton dimension {i + lead}.  Target sizes: {list(sizes)}.  Tensor "
                f"sizes: {list(shape)}"
            )
    return _view_of(Expand.apply(input, full), input)


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    return expand(input, size)


class Repeat(Primitive):
    """y = x tiled;  dL/dx = the sum of dL/dy over the tiles."""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.in_shape = np.shape(x)
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.in_shape
        reps = np.shape(g)
        lead = len(reps) - len(shape)
        full = (1,) * lead + tuple(shape)
        split = []
        for r, s in zip(reps, full):
            split += [r // s, s]
        g = np.reshape(g, split).sum(axis=tuple(range(0, len(split), 2)))
        return (np.reshape(g, shape), None)


def repeat(input, *sizes):
    sizes = _shape_arg(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    return Repeat.apply(input, sizes)


def contiguous(input, memory_format=None):
    return input


class Flip(Primitive):
    """y = x reversed along axes;  dL/dx = dL/dy reversed back."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g):
        return (np.flip(g, ctx.axes), None)


def flip(input, *dims_):
    return Flip.apply(input, dims(_shape_arg(dims_), input._data.ndim))


def fliplr(input):
    return flip(input, 1)


def flipud(input):
    return flip(input, 0)


class Cat(Primitive):
    """y = [x_1, x_2, ...] joined along a dim;  dL/dx_i = the matching slice of dL/dy."""

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.bounds = np.cumsum([np.shape(x)[dim] for x in xs])[:-1]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (None,) + tuple(np.split(g, ctx.bounds, axis=ctx.dim))


def cat(tensors, dim=0, *, out=None):
    from ._util import promote

    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or tensors[:1]
    ref = tensors[0]
    d = wrap_dim(dim, ref._data.ndim)
    for i, t in enumerate(tensors):
        if t._data.ndim != ref._data.ndim:
            raise RuntimeError(
                "Tensors must have same number of dimensions: got "
                f"{ref._data.ndim} and {t._data.ndim}")
        for k, (m, n) in enumerate(zip(ref._data.shape, t._data.shape)):
            if k != d and m != n:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {m} but "
                    f"got size {n} for tensor number {i} in the list.")
    dtypes = {t._data.dtype for t in tensors}
    if len(dtypes) > 1:
        rt = tensors[0]
        for t in tensors[1:]:
            rt, _ = promote(rt, t)
        tensors = [t.to(rt._data.dtype) if t._data.dtype != rt._data.dtype else t
                   for t in tensors]
    return Cat.apply(d, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1)
    return cat([unsqueeze(t, d) for t in tensors], d)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t._data.ndim > 1 else unsqueeze(t, 0) for t in tensors], 0)


def narrow(input, dim, start, length):
    d = wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    start = int(start) + (size if int(start) < 0 else 0)
    if start < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    return input[idx]


def split(input, split_size_or_sections, dim=0):
    d = wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        sections = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sections}")
    out, start = [], 0
    for n in sections:
        out.append(narrow(input, d, start, n))
        start += n
    return tuple(out)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = input._data.shape[wrap_dim(dim, input._data.ndim)]
    step = -(-size // chunks) if size else 1
    return split(input, step, dim)


def tensor_split(input, indices_or_sections, dim=0):
    d = wrap_dim(dim, input._data.ndim)
    pieces = np.array_split(np.arange(input._data.shape[d]), indices_or_sections)
    return tuple(narrow(input, d, int(p[0]) if len(p) else 0, len(p)) for p in pieces)


def unbind(input, dim=0):
    d = wrap_dim(dim, input._data.ndim)
    return tuple(input[(slice(None),) * d + (i,)] for i in range(input._data.shape[d]))


def clone(input, *, memory_format=None):
    from .elementwise import Cast

    return Clone.apply(input)


class Clone(Primitive):
    """y = a copy of x;  dL/dx = dL/dy."""

    @staticmethod
    def forward(ctx, x):
        return np.array(x, copy=True)

    @staticmethod
    def backward(ctx, g):
        return (g,)
