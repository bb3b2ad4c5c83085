"""Shape ops: they move data around without changing values, so each gradient is the
inverse movement (reshape back, transpose back, slice back, sum the copies)."""

from __future__ import annotations

import math
import operator

import numpy as np

from ..autograd.function import Primitive
from .._from_data import SHARED_STRIDED, shared_strided
from ..tensor import Tensor
from .view_inplace import remember_view
from ._util import wrap_dim


def _view_of(out: Tensor, base: Tensor) -> Tensor:
    """Mark ``out`` as a view of ``base``: in-place changes to either bump a shared version.

    NumPy points a view's ``.base`` at the array that owns the memory, so a view of ``base``
    has base's array or base's owner there (tested first: ~0.15 us less than the bounds test).
    Otherwise NumPy's O(1) bounds test decides: a fresh copy never overlaps its source."""
    b = base._data
    if not isinstance(b, np.ndarray):
        return out
    owner = out._data.base
    if owner is not None and (owner is b or owner is b.base) or \
            np.may_share_memory(out._data, b):
        out._vc = base._shared_vc()
        root = out._base = base if base._base is None else base._base
        if out._rg:  # a recorded in-place write to root or another view re-points its graph
            remember_view(root, out)
    return out


class Reshape(Primitive):
    """y = x with a new shape;  dL/dx = dL/dy reshaped back."""

    node_name = "ViewBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x, shape):
        # Methods, not np.shape/np.reshape: 0.7 us less per call (x: an array or NumPy scalar).
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        if type(g) is np.ndarray:
            return (g.reshape(ctx.in_shape), None)
        return (np.reshape(g, ctx.in_shape), None)


# The same rule under the names PyTorch gives these views' grad_fn.
class Squeeze(Reshape):
    node_name = "SqueezeBackward0"


class SqueezeDim(Reshape):
    node_name = "SqueezeBackward1"


class SqueezeDims(Reshape):
    node_name = "SqueezeBackward2"


class Unsqueeze(Primitive):
    """y = x with a size-1 dim inserted at ``d``, of stride ``size[d] * stride[d]`` (1 at the
    end) as PyTorch's (NumPy's reshape may give another);  dL/dx = dL/dy reshaped back."""

    node_name = "UnsqueezeBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x, shape, d):
        ctx.in_shape = x.shape
        y = x.reshape(shape)
        if not x.flags.c_contiguous and x.size:  # (x may be a NumPy scalar: flags too)
            st = x.strides[:d] + ((x.shape[d] * x.strides[d]) if d < x.ndim else x.itemsize,)
            st += x.strides[d:]
            if y.strides != st:
                y = np.lib.stride_tricks.as_strided(x, shape, st, writeable=x.flags.writeable)
        return y

    @staticmethod
    def backward(ctx, g):
        return (np.reshape(g, ctx.in_shape), None, None)


_index = operator.index


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    try:
        return tuple(map(_index, shape))
    except TypeError:  # a float size (n / 2): PyTorch's first line for the calling op
        import sys

        raise _size_error(sys._getframe(1)) from None


_ARG_NAMES = {"reshape": "shape", "repeat": "repeats", "permute": "dims", "flip": "dims"}


def _indexable(n) -> bool:
    try:  # (a tensor of floats has __index__, and it raises)
        _index(n)
        return True
    except TypeError:
        return False


def _size_error(frame) -> TypeError:
    """_int_args.size_error for the op whose frame is ``frame`` (its name and the sizes as
    given are read from it, to keep the success path bare)."""
    from ._int_args import size_error

    op = frame.f_code.co_name
    # the op's *args tuple (flip's keyword dims=None comes before it among the locals)
    given = next((v for k, v in frame.f_locals.items() if k != "input" and
                  isinstance(v, tuple)), ())
    sizes = given[0] if len(given) == 1 and isinstance(given[0], (tuple, list)) else given
    i, bad = next(((i, n) for i, n in enumerate(sizes) if not _indexable(n)), (0, None))
    return size_error(op, given, i, bad, _ARG_NAMES.get(op, "size"))


def _infer_shape(shape: tuple, n: int) -> tuple:
    """``shape`` with its -1 filled in, or PyTorch's error when it cannot hold n elements."""
    for i, s in enumerate(shape):  # PyTorch's checks, in its order
        if s == -1 and -1 in shape[:i]:
            raise RuntimeError("only one dimension can be inferred")
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{list(shape)}")
    known = math.prod([s for s in shape if s != -1])  # (np.prod: +3 us on every view/reshape)
    if -1 in shape and known == 0 and n == 0:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} "
                           "because the unspecified dimension size -1 can be any value and is "
                           "ambiguous")
    if (-1 in shape and (known == 0 or n % known)) or (-1 not in shape and known != n):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
    return tuple(n // known if s == -1 else s for s in shape)


def _reshaped(input, shape: tuple, cls=Reshape):
    return _view_of(cls.apply(input, shape), input)


def _needs(name: str, arg: str, given: tuple) -> None:
    if not given:  # x.reshape() (torch.reshape(x, ()) passes an empty shape, and is fine)
        raise TypeError(f'{name}() missing 1 required positional arguments: "{arg}"')


def reshape(input, *shape, **kw):
    if kw:  # reshape(shape=...)
        from ._shape_kw import keyword_sizes

        shape = keyword_sizes("reshape", "shape", shape, kw)
    _needs("reshape", "shape", shape)
    return _reshape_or_copy(input, _infer_shape(_shape_arg(shape), input._data.size))


class ReshapeAlias(Reshape):
    node_name = "ReshapeAliasBackward0"


def _reshape_or_copy(input, shape: tuple):
    """reshape's rule, with PyTorch's grad_fn names: a contiguous input is viewed
    (ViewBackward0); another is viewed with new strides where some fit (ReshapeAliasBackward0),
    else copied in C order and given the shape (CloneBackward0 then UnsafeViewBackward0, and
    the result is no view). Without a graph, NumPy's reshape does the same (copying as needed)."""
    d = input._data
    if d.flags.c_contiguous or not input.requires_grad:
        return _reshaped(input, shape)
    try:
        d.reshape(shape, copy=False)
    except ValueError:
        from .linalg_more import UnsafeView
        from .shape_copy import CloneContiguous

        return UnsafeView.apply(CloneContiguous.apply(input), shape)
    return _reshaped(input, shape, ReshapeAlias)


def view(input, *shape, **kw):
    if kw:  # view(size=...)
        from ._shape_kw import keyword_sizes

        shape = keyword_sizes("view", "size", shape, kw)
    if not shape:
        raise TypeError("view() received an invalid combination of arguments - got (), but "
                        "expected one of:\n * (torch.dtype dtype)\n * (tuple of ints size)")
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer, float, str)):
        return _view_dtype(input, shape[0])  # (a float or str: the size parser's error)
    d = input._data
    shape = _infer_shape(_shape_arg(shape), d.size)
    if not d.flags.c_contiguous:
        _check_viewable(input, shape)
    return _reshaped(input, shape)


def _view_dtype(input, dtype) -> Tensor:
    """x.view(dtype): the same memory read as another dtype (bits reinterpreted, not values
    converted), PyTorch's rules for a different element size; outside autograd, as PyTorch."""
    from .. import dtypes as D
    from .arithmetic import type_name

    a, new = input._data, D.to_np(dtype)
    old = a.dtype
    if new.itemsize != old.itemsize:
        how = f"to view {type_name(old)} as {type_name(new)} (different element sizes)"
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {how}")
        if a.shape[-1] != 1 and a.strides[-1] != old.itemsize:
            raise RuntimeError(f"self.stride(-1) must be 1 {how}, but got "
                               f"{a.strides[-1] // old.itemsize}")
        ratio = new.itemsize // old.itemsize
        if ratio > 1:
            if a.shape[-1] % ratio:
                raise RuntimeError(f"self.size(-1) must be divisible by {ratio} {how}, but "
                                   f"got {a.shape[-1]}")
            offset = input.storage_offset()
            if offset % ratio:
                raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} {how}, "
                                   f"but got {offset}")
    return _view_of(Tensor._make(a.view(new), False, None), input)


def _strides_are_torchs(a) -> bool:
    """Whether the array's layout is the one PyTorch gives the tensor: C order, a NumPy array
    shared through from_numpy, or a dense permuted layout (each stride, smallest first, the
    product of the sizes below it), which ember's elementwise ops give as PyTorch's do."""
    if a.flags.c_contiguous or (SHARED_STRIDED.data and shared_strided(a)):
        return True
    want = a.itemsize
    for stride, size in sorted((st, n) for st, n in zip(a.strides, a.shape) if n > 1):
        if stride != want:
            return False
        want *= size
    return True


def _check_viewable(input, shape: tuple) -> None:
    """PyTorch's error where no strides give ``shape`` over ``input``'s memory.

    NumPy's no-copy reshape follows PyTorch's rule (merge dims whose strides chain, split
    any dim, size-1 dims and empty arrays always fit). Judged where ember's strides are
    PyTorch's (``_strides_are_torchs``): views of such a root, NumPy arrays shared through
    from_numpy, and computed results laid out densely in a permuted order, as an elementwise
    op on a permuted input lays out its result in both (IWAE's ``(eps * std + mu).view(-1, D)``
    with mu a permuted repeat raises in both). A computed array with gaps (a gradient sliced
    out of a padded buffer) is contiguous in PyTorch, so it still copies."""
    d, base = input._data, input._base
    if d.flags.c_contiguous or not _strides_are_torchs(d if base is None else base._data):
        return
    try:
        d.reshape(shape, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.\n"
            "Hint: view() never copies, so it needs strides that fit. (A result of an "
            "elementwise op on a transposed tensor can be row-major in ember where PyTorch "
            "keeps the transposed layout; .reshape() works in both.)") from None


def flatten(input, start_dim=0, end_dim=-1):
    try:
        shape = input._data.shape
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if not shape:
        wrap_dim(start_dim, 0), wrap_dim(end_dim, 0)
        return _reshaped(input, (1,))
    s, e = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return _reshape_or_copy(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(input, dim, sizes):
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    known = math.prod([s for s in sizes if s != -1])
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:")
    if (-1 in sizes and (known == 0 or shape[d] % known)) or (-1 not in sizes
                                                              and known != shape[d]):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {d} ({shape[d]}) in the input tensor")
    sizes = tuple(shape[d] // known if s == -1 else s for s in sizes)
    return _reshaped(input, shape[:d] + sizes + shape[d + 1:])


def squeeze(input, dim=None, *, axis=None):
    if axis is not None:  # NumPy's name, which PyTorch's parser takes (not both)
        if dim is not None:
            raise TypeError("squeeze() got an unexpected keyword argument 'axis'")
        dim = axis
    try:
        shape = input._data.shape
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    n = len(shape)
    if type(dim) is int and -n <= dim < n:  # the common x.squeeze(1), without the general loop
        d = dim + n if dim < 0 else dim
        return _reshaped(input, shape[:d] + shape[d + 1:] if shape[d] == 1 else shape,
                         SqueezeDim)
    if dim is None:
        return _reshaped(input, tuple(s for s in shape if s != 1), Squeeze)
    ds = []
    try:
        given = [_index(dim)] if isinstance(dim, (int, np.integer)) else list(map(_index, dim))
    except TypeError:  # squeeze(n / 2)
        from ._int_args import not_int

        raise not_int(dim if not isinstance(dim, (tuple, list)) else next(
            d for d in dim if not hasattr(d, "__index__"))) from None
    for d in given:
        w = wrap_dim(d, len(shape))  # one by one: a repeat is found before a later bad dim
        if w in ds:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        ds.append(w)
    cls = SqueezeDim if isinstance(dim, (int, np.integer)) else SqueezeDims
    return _reshaped(input, tuple(s for i, s in enumerate(shape)
                                  if not (i in ds and s == 1)), cls)


def unsqueeze(input, dim):
    shape = input._data.shape
    d = wrap_dim(dim, len(shape) + 1)
    return _view_of(Unsqueeze.apply(input, shape[:d] + (1,) + shape[d:], d), input)


# Reordering dims, joining and splitting live in their own modules; ``ember.ops`` exports
# them from here.
from ._shape_permute import (Permute, T, Transpose, movedim, permute,  # noqa: E402,F401
                             swapaxes, swapdims, t, transpose)
from .join_split import (cat, chunk, concat, concatenate, hstack, narrow, split,  # noqa: E402
                         stack, tensor_split, unbind, vstack)
# Copies (clone, contiguous) and flips live in shape_copy.py; exported from here too.
from .shape_copy import (Clone, CloneContiguous, Contiguous, Flip, clone,  # noqa: E402,F401
                         contiguous, flip, fliplr, flipud)
# expand, broadcast_to and repeat (moved for size; ops.* and shape_more import them here)
from .shape_expand import Expand, Repeat, broadcast_to, expand, expand_as, repeat  # noqa: E402,F401
