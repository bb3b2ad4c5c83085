"""Joining and splitting: cat/stack build one tensor from several (each input's gradient is
its slice of the output's), and split/chunk/unbind/narrow return views of pieces."""

from __future__ import annotations

from itertools import accumulate

import numpy as np

from ..autograd.function import NULL_CTX, Primitive
from ..autograd.grad_mode import STATE
from ..tensor import Tensor
from ._axis_alias import numpy_names
from ._layout import joined, stacked
from .gather_scatter import _tname
from ._util import _index, wrap_dim
from .indexing import Select, Slice, Split, SplitWithSizes, Unbind, basic_index


class Cat(Primitive):
    """y = [x_1, x_2, ...] joined along a dim;  dL/dx_i = the matching slice of dL/dy.

    ``skip`` marks the 1-D empty inputs PyTorch's legacy rule leaves out (their grad is empty).
    """

    @staticmethod
    def forward(ctx, dim, skip, *xs):
        kept = [x for x, s in zip(xs, skip) if not s] if True in skip else xs
        ctx.dim, ctx.skip = dim, skip
        # backward's split points (np.cumsum of a short list: ~2 us)
        ctx.bounds = list(accumulate([x.shape[dim] for x in kept[:-1]]))
        return joined(np.concatenate(kept, axis=dim), kept)

    @staticmethod
    def backward(ctx, g):
        if type(g) is np.ndarray:  # basic slices: np.split costs ~1 us of Python a piece
            lead = (slice(None),) * ctx.dim
            edges = [0, *ctx.bounds, g.shape[ctx.dim]]
            parts = [g[lead + (slice(a, b),)] for a, b in zip(edges, edges[1:])]
        else:
            parts = np.split(g, ctx.bounds, axis=ctx.dim)
        if True not in ctx.skip:
            return (None, None, *parts)
        pieces = iter(parts)
        return (None, None) + tuple(np.zeros((0,)) if s else next(pieces) for s in ctx.skip)


class Stack(Primitive):
    """y = the x_i stacked along a new dim;  dL/dx_i = dL/dy's i-th slice along it."""

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        # np.array joins same-shaped arrays (stack checked shapes, _common_dtype dtypes)
        # along a new first dim in C: 200 scalars take 4 us against np.stack's 40 (its
        # Python loop expands each input).
        out = np.array(xs)
        if out.dtype != xs[0].dtype:  # (not arrays: NumPy's own stack and its error)
            out = np.stack(xs)
        return stacked(out if dim == 0 else np.moveaxis(out, 0, dim), xs, dim)  # PyTorch's layout

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim
        if d == 0 and type(g) is np.ndarray:
            return (None,) + tuple(g)  # views of g's rows (np.split: a Python loop)
        parts = np.split(g, range(1, np.shape(g)[d]), axis=d)
        return (None,) + tuple(np.squeeze(p, axis=d) for p in parts)


def _common_dtype(tensors: list) -> list:
    """Cast to PyTorch's promoted dtype when the inputs' dtypes differ (recorded casts)."""
    if len({t._data.dtype for t in tensors}) == 1:
        return tensors
    from ._util import promote  # (here, not above: an import statement costs ~0.4 us a call)

    rt = tensors[0]
    for t in tensors[1:]:
        rt, _ = promote(rt, t)
    return [t.to(rt._data.dtype) for t in tensors]


def tensor_list(tensors, name: str) -> list:
    """The list argument of cat/stack and kin: a list or tuple only. A lone Tensor is PyTorch's
    TypeError (ember would otherwise iterate over its rows and join those, silently); so is a
    deque of frames or a generator, which code written on ember would then pass to PyTorch."""
    if not isinstance(tensors, (list, tuple)):  # nor a deque or a generator, as in PyTorch
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {_tname(tensors)}")
    tensors = list(tensors)
    for t in tensors:
        if not isinstance(t, Tensor):  # (a None from a replay buffer's terminal state)
            i = next(i for i, u in enumerate(tensors) if not isinstance(u, Tensor))
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{_tname(t)}")
    return tensors


def _same_layout(arrays: list):
    """The first array when every one has its shape and dtype and is not 0-d or empty (a
    batch of transitions, the usual call), else None."""
    first = arrays[0]
    if type(first) is not np.ndarray or not first.ndim or not first.size:
        return None
    shape, dtype = first.shape, first.dtype
    for a in arrays:
        if a.shape != shape or a.dtype is not dtype:
            return None
    return first


def _records(tensors: list) -> bool:
    """Whether an op on ``tensors`` is recorded (grad mode on and one of them requires grad)."""
    if STATE.enabled:
        for t in tensors:
            if t._rg:
                return True
    return False


def cat(tensors, dim=0, *, out=None, _name="cat", axis=None):
    if axis is not None:  # NumPy's name, which PyTorch takes
        dim = numpy_names(_name, dim, False, axis, None, 0)[0]
    tensors = tensor_list(tensors, _name)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    arrays = [t._data for t in tensors]
    first = _same_layout(arrays)
    if first is not None:
        # Inputs alike (a replay buffer's batch): PyTorch's checks below all pass, and with
        # nothing to record no node is built. Saves ~70 us of per-input Python at 128 inputs.
        d = wrap_dim(dim, first.ndim)
        if not _records(tensors):
            return Tensor._make(joined(np.concatenate(arrays, axis=d), arrays), False, None)
        return Cat.apply(d, (False,) * len(tensors), *tensors)
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    tensors = _common_dtype(tensors)
    # PyTorch's legacy rule: 1-D empty tensors are left out whatever the others' shapes.
    skip = tuple(t._data.ndim == 1 and t._data.size == 0 for t in tensors)
    if all(skip):  # only legacy empties: an empty result, whatever dim is
        return Cat.apply(0, (False,) + skip[1:], *tensors)
    kept = [t for t, s in zip(tensors, skip) if not s]
    ref = kept[0]
    d = wrap_dim(dim, ref._data.ndim)
    for i, t in enumerate(kept):
        if t._data.ndim != ref._data.ndim:
            raise RuntimeError(
                "Tensors must have same number of dimensions: got "
                f"{ref._data.ndim} and {t._data.ndim}")
        for k, (m, n) in enumerate(zip(ref._data.shape, t._data.shape)):
            if k != d and m != n:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {m} but "
                    f"got size {n} for tensor number {i} in the list.")
    return Cat.apply(d, skip, *tensors)


def concat(tensors, dim=0, *, out=None, axis=None):
    return cat(tensors, dim, _name="concat", axis=axis)


def concatenate(tensors, dim=0, *, out=None, axis=None):
    return cat(tensors, dim, _name="concatenate", axis=axis)


def stack(tensors, dim=0, *, out=None, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch takes
        dim = numpy_names("stack", dim, False, axis, None, 0)[0]
    tensors = tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    arrays = [t._data for t in tensors]
    shape, dtype = arrays[0].shape, arrays[0].dtype
    d = wrap_dim(dim, len(shape) + 1)
    alike = True  # one pass over the inputs (a rollout's 128 observations: ~10 us less)
    for a in arrays:
        if a.shape != shape:
            i = next(i for i, b in enumerate(arrays) if b.shape != shape)
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(arrays[i].shape)} at entry {i}")
        if a.dtype is not dtype:
            alike = False
    if not alike:
        tensors = _common_dtype(tensors)
        arrays = [t._data for t in tensors]
    if not _records(tensors):  # nothing to record: Stack's forward without building a node
        return Tensor._make(Stack.forward(NULL_CTX, d, *arrays), False, None)
    return Stack.apply(d, *tensors)


def hstack(tensors):
    tensors = tensor_list(tensors, "hstack")
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors, *, _name="vstack"):
    tensors = tensor_list(tensors, _name)
    return cat([t if t._data.ndim > 1 else t.unsqueeze(0) for t in tensors], 0)


def _piece(input, d: int, start: int, length: int, cls):
    return basic_index(input, (slice(None),) * d + (slice(start, start + length),), cls)


def narrow(input, dim, start, length):
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    try:
        start, length = _index(start), _index(length)
    except TypeError:  # start = n / 2
        from ._int_args import not_int

        raise not_int(length if hasattr(start, "__index__") else start) from None
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    start += size if start < 0 else 0
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _piece(input, d, start, length, Slice)


def select(input, dim, index):
    """input[..., index, ...] at ``dim``: a view one dim smaller (SelectBackward0)."""
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    if type(index) is not int:
        from ._util import as_int

        index = as_int(index)
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(shape)} at dimension {d}")
    return basic_index(input, (slice(None),) * d + (index,), Select)


def split(tensor, split_size_or_sections, dim=0):
    """torch.split(tensor, split_size_or_sections, dim=0): PyTorch's parameter names (a call
    may pass them by keyword); Tensor.split names its size ``split_size`` (split_method)."""
    input = tensor
    d = wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step, cls = int(split_size_or_sections), Split
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={step}")
        if step == 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        sections = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        try:
            sections, cls = [_index(s) for s in split_size_or_sections], SplitWithSizes
        except TypeError:  # split(n / 2): a float, or a float among the sizes
            raise _split_sizes_error(split_size_or_sections) from None
        if any(s < 0 for s in sections):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sections}")
        if sum(sections) != size:
            from .tensor_extra import _shown_dim

            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {_shown_dim(dim, d)}), but got split_sizes={sections}")
    out, start = [], 0
    for n in sections:
        out.append(_piece(input, d, start, n, cls))
        start += n
    return _multi_view(out, "Split" if cls is Split else "SplitWithSizes")


def split_method(self, split_size, dim=0):
    """Tensor.split(split_size, dim=0): PyTorch's method names its size ``split_size`` (a
    user's ``x.split(split_size=n, dim=-1)``), unlike torch.split's split_size_or_sections."""
    return split(self, split_size, dim)


split_method.__qualname__ = "Tensor.split"  # its TypeErrors name Tensor.split(), as PyTorch's


def _split_sizes_error(sizes) -> TypeError:
    head = "split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of ints"
    if not isinstance(sizes, (tuple, list)):
        return TypeError(f"{head}, not {type(sizes).__name__}")
    i = next((i for i, s in enumerate(sizes) if not hasattr(s, "__index__")), 0)
    return TypeError(f"{head}, but found element of type {type(sizes[i]).__name__} at pos {i}")


def _multi_view(outs, name: str) -> tuple:
    """Mark recorded outputs of a multi-view op: PyTorch forbids writing into them in place
    (see InplaceMixin._check_inplace)."""
    if outs and outs[0].grad_fn is not None:
        for i, o in enumerate(outs):
            o._fn_view = (o.grad_fn, i, name, True)
    return tuple(outs)


def chunk(input, chunks, dim=0):
    if type(chunks) is not int:
        from ._util import as_int

        chunks = as_int(chunks)
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = input._data.shape[wrap_dim(dim, input._data.ndim)]
    step = -(-size // chunks) if size else 1
    return split(input, step, dim)


def tensor_split(input, indices_or_sections, dim=0):
    d = wrap_dim(dim, input._data.ndim)
    if isinstance(indices_or_sections, (int, np.integer)) and indices_or_sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got "
                           f"{indices_or_sections}")
    pieces = np.array_split(np.arange(input._data.shape[d]), indices_or_sections)
    return tuple(_piece(input, d, int(p[0]) if len(p) else 0, len(p), Slice) for p in pieces)


def unbind(input, dim=0):
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, input._data.ndim)
    return _multi_view([basic_index(input, (slice(None),) * d + (i,), Unbind)
                        for i in range(input._data.shape[d])], "Unbind")
