"""softmax and log_softmax: primitives, because composing them from exp/sum overflows."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ._layout import reduced
from ._util import exp32 as _exp32, log32 as _log32, wrap_dim

# NumPy reduces a short last axis row by row: at (64, 2) x.max(axis=-1) takes 2.9 us and
# x.sum(axis=-1) 1.6 us, against 1.1 us for an elementwise maximum (or sum) of the columns,
# and 0.9-1.3 us for a BLAS product with ones when there are more columns (up to (256, 10)).
_FEW = 4


def _max(x, dim):
    """x.max(axis=dim, keepdims=True) on an array, fast for a short last axis."""
    if type(x) is not np.ndarray or dim != x.ndim - 1 or not 1 < x.shape[dim] <= _FEW:
        return np.max(x, axis=dim, keepdims=True)
    C = x.shape[dim]
    m = np.maximum(x[..., 0:1], x[..., 1:2])
    for j in range(2, C):
        np.maximum(m, x[..., j:j + 1], out=m)
    return m


def _sum(x, dim):
    """x.sum(axis=dim, keepdims=True) on an array or (create_graph) a Tensor. Columns are
    added left to right, the order NumPy uses below 8 entries, so results are unchanged;
    wider float rows go through BLAS (a different summation order, to rounding)."""
    if type(x) is not np.ndarray or dim != x.ndim - 1:
        return x.sum(axis=dim, keepdims=True)
    C = x.shape[dim]
    if 1 < C <= _FEW:
        s = x[..., 0:1] + x[..., 1:2]
        for j in range(2, C):
            s += x[..., j:j + 1]
        return s
    if C > _FEW and x.size >= 16 * C and x.dtype.kind == "f":
        return (x @ np.ones(C, x.dtype))[..., None]
    return x.sum(axis=dim, keepdims=True)


# The mirror of a two-column array as a copy (take), not the view x[..., ::-1]: a ufunc on a
# negative-stride operand pays ~0.35 us more set-up, and its strided loop is slower at any
# size (np.maximum at (64, 2): 0.98 -> 0.64 us; at (4096, 2): 8.5 -> 5.2 us).
_SWAP = np.array([1, 0])


def _bmax(x, dim):
    """The max along dim, broadcastable against x. Two columns give x's full shape, the max
    of x and its mirror: every later op then has equal shapes, and NumPy's broadcasting set-up
    is what dominates at this size (softmax at (8, 2): 4.6 -> 3.0 us). Same values."""
    if type(x) is np.ndarray and dim == x.ndim - 1 and x.shape[dim] == 2:
        return np.maximum(x, x.take(_SWAP, axis=-1))
    return _max(x, dim)


def _bsum(x, dim):
    """The sum along dim, broadcastable against x (full shape for two columns, as _bmax;
    a + b == b + a exactly, so both columns hold _sum's value)."""
    if type(x) is np.ndarray and dim == x.ndim - 1 and x.shape[dim] == 2:
        return x + x.take(_SWAP, axis=-1)
    return _sum(x, dim)


# Rows up to this long are added in PyTorch's order (a classifier's classes, an RL policy's
# actions): the copy that orders them costs ~4x NumPy's sum (128x100: 2.3 -> 9.9 us); a
# language model's vocabulary row (50,257 wide, 1024 rows: a 200 MB copy) keeps NumPy's.
_VSUM_MAX = 1024


def _vsum(x, dim):
    """The sum along dim, broadcastable against x, added in the order of PyTorch's CPU
    softmax/log_softmax kernels over the last dim (ATen's vec::reduce_all on 64-byte vectors,
    16 float32 or 8 float64 lanes): a row shorter than a vector is added left to right; a
    longer one lane by lane over whole vectors, the tail into the first lanes, then the
    lanes by halves for float32 (0+8, 0+4, 0+2, 0+1), one by one for float64. NumPy's
    pairwise sum and a BLAS product with ones round differently: 45% of float32 softmax
    entries over 10 classes had another last bit (10% now: PyTorch's vectorised exp).
    The vector width is that of the AVX512 build the tests compare with."""
    if type(x) is not np.ndarray or dim != x.ndim - 1 or x.dtype.kind != "f":
        return _bsum(x, dim)
    C = x.shape[dim]
    if C <= _FEW or C > _VSUM_MAX or x.size == 0:
        return _bsum(x, dim)
    lanes = 64 // x.dtype.itemsize
    if C < lanes:  # one partial vector: vec_reduce_all adds its entries one by one
        return _in_order(x.reshape(-1, C, 1))[0].reshape(x.shape[:-1] + (1,))
    full = C - C % lanes
    acc = _in_order(x[..., :full].reshape(-1, full // lanes, lanes))  # (lanes, rows)
    if full < C:
        acc[:C - full] += x[..., full:].reshape(-1, C - full).T
    if x.dtype != np.float32:  # no shuffle tree for double: the lanes one by one
        acc = np.add.reduce(acc, axis=0)
    else:
        h = lanes // 2
        while h:
            acc = acc[:h] + acc[h:2 * h]
            h //= 2
    return acc.reshape(x.shape[:-1] + (1,))


def _in_order(a):
    """a (M, k, L) summed over k first to last, as an (L, M) array. NumPy adds the rows of
    a contiguous (k, L, M) array one after another (its pairwise sum is only along the inner
    axis), each a long inner loop, and the lanes' tree above then adds contiguous rows."""
    return np.add.reduce(np.ascontiguousarray(a.transpose(1, 2, 0)), axis=0)


def _in_f32(fn):
    """float16 arrays through ``fn`` in float32, rounded once: PyTorch's CPU softmax kernels
    accumulate float16 in float32 (the forward saves its rounded output, as PyTorch)."""
    def wrapped(ctx, *args):
        if type(args[0]) is not np.ndarray or args[0].dtype != np.float16:
            return fn(ctx, *args)
        out = fn(ctx, *(a.astype(np.float32) if type(a) is np.ndarray else a for a in args))
        if isinstance(out, tuple):  # backward
            return tuple(None if o is None else o.astype(np.float16) for o in out)
        out = out.astype(np.float16)
        ctx.save_for_backward(out)
        return out
    return staticmethod(wrapped)


class LogSoftmax(Primitive):
    """y = x - logsumexp(x);  dL/dx = g - softmax(x) * sum(g)  with softmax(x) = exp(y)."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x, dim):
        if x.size == 0:  # nothing to normalise (NumPy's max refuses empty axes)
            y = np.array(x, copy=True)
        else:
            shifted = x - _bmax(x, dim)
            # A row of all -inf gives nan, as in PyTorch.
            y = reduced(shifted - _log32(_vsum(_exp32(shifted), dim)), x)  # row-major
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g - _exp32(y) * _vsum(g, ctx.dim), None)


class Softmax(Primitive):
    """y = exp(x - max) / sum(exp(x - max));  dL/dx = y * (g - sum(g * y))."""

    exact_grads = True

    @_in_f32
    def forward(ctx, x, dim):
        if x.size == 0:
            y = np.array(x, copy=True)
        else:
            e = _exp32(x - _bmax(x, dim))
            s = _vsum(e, dim)
            # PyTorch's last-dim kernel multiplies by the sum's reciprocal, its other one
            # divides: the last bit of ~10% of the entries depends on which
            y = reduced(e * (1 / s) if dim == x.ndim - 1 else e / s, x)  # row-major
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @_in_f32
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (y * (g - _vsum(g * y, ctx.dim)), None)


_REQUIRED = object()  # torch.softmax(x) without dim is a TypeError; dim=None is allowed


def _prep(input, dim, dtype, name="softmax"):
    x = input if dtype is None else input.to(dtype)
    if dim is None:
        dim = 0 if x._data.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    d = wrap_dim(dim, x._data.ndim)
    if x._data.dtype.kind != "f" and x._data.size:  # PyTorch passes empty tensors through
        from .elementwise import _not_for

        last = d == x._data.ndim - 1 or x._data.ndim == 0
        _not_for(f"{name}_{'lastdim_' if last else ''}kernel_impl", x)
    return x, d


def softmax(input, dim=_REQUIRED, dtype=None, *, _stacklevel=3, axis=_REQUIRED):
    """torch.softmax / Tensor.softmax: ``dim`` is required (only F.softmax picks one)."""
    if dim is _REQUIRED:
        if axis is _REQUIRED:  # NumPy's name for dim, which PyTorch also takes
            raise TypeError('softmax() missing 1 required positional arguments: "dim"')
        dim = axis
    elif axis is not _REQUIRED:  # both names: PyTorch's parser names the alias
        raise TypeError("softmax() got an unexpected keyword argument 'axis'")
    x, d = _prep(input, dim, dtype, "softmax")
    return Softmax.apply(x, d)


def log_softmax(input, dim=_REQUIRED, dtype=None, *, _stacklevel=3, axis=_REQUIRED):
    """torch.log_softmax / Tensor.log_softmax: ``dim`` is required, as for softmax."""
    if dim is _REQUIRED:
        if axis is _REQUIRED:  # NumPy's name for dim, which PyTorch also takes
            raise TypeError('log_softmax() missing 1 required positional arguments: "dim"')
        dim = axis
    elif axis is not _REQUIRED:  # both names: PyTorch's parser names the alias
        raise TypeError("log_softmax() got an unexpected keyword argument 'axis'")
    x, d = _prep(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(x, d)
