"""Helpers shared by the op modules: PyTorch's type promotion and dim handling."""

from __future__ import annotations

import math
import numbers
import operator

import numpy as np

from .. import dtypes as D
from ..autograd._torch_errors import broadcast_message, broadcast_mismatch
from .._from_data import as_scalar  # noqa: F401  (NumPy scalars as PyTorch reads them)
from ..tensor import Tensor, _wrap_dim

wrap_dim = _wrap_dim
_index = operator.index


def is_scalar(x) -> bool:
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, Tensor)


def to_tensor(x) -> Tensor:
    """Wrap a non-Tensor operand (list, array) as a constant tensor."""
    if isinstance(x, Tensor):
        return x
    from ..creation import tensor

    return tensor(x)


# operands no op takes (a missing .grad is None): PyTorch's parser refuses them by type (no
# sequence, no dtype: t.mul(torch.float32) is its TypeError)
_NOT_OPERANDS = (str, bytes, dict, set, list, tuple, D.dtype)


def _refuse(value, tensor, first: bool) -> None:
    """Raise PyTorch's TypeError for a None/str operand as the user's call was written;
    where the call cannot be read, to_tensor's error follows."""
    from .._call_site import operand_refusal

    err = operand_refusal(value, tensor, first)
    if err is not None:
        raise err
    if isinstance(value, (list, tuple)):  # the call's source cannot be read (python -c)
        raise TypeError(f"an operand must be a Tensor or a number, not "
                        f"{type(value).__name__} (PyTorch takes no list or tuple here: "
                        f"torch.tensor(...) makes one a Tensor)")


def _refuse_array(value, tensor, first: bool) -> None:
    """PyTorch's parser takes no ndarray operand (torch.add(t, a), t.mul(a), t.add_(a): its
    TypeError); ember's own rules pass arrays on purpose and go on."""
    from .._call_site import array_refusal, user_operand

    name = user_operand(value)
    if name is not None:
        raise array_refusal(value, tensor, first, name)


def promote(a, b, floating: bool = False):
    """Cast operands to PyTorch's common dtype (recorded casts, so gradients flow back).

    Either operand may be a Python scalar. ``floating`` forces a floating result (true division).
    """
    if type(a) is Tensor:  # the common cases first, without the checks below (~0.3 us)
        da = a._data.dtype
        if da.kind == "f" or not floating:
            tb = type(b)
            if tb is Tensor and b._data.dtype is da or (tb is float or tb is int) and \
                    da.kind == "f":
                return a, b
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da, db = a._data.dtype, b._data.dtype
            rt = da if da is db else D.result_type(a._data, b._data)
        elif is_scalar(b):
            b = as_scalar(b)
            rt = D.scalar_result_type(a._data, b)
        else:
            if b is None or isinstance(b, _NOT_OPERANDS):
                _refuse(b, a, False)
            if isinstance(b, np.ndarray):
                _refuse_array(b, a, False)
            b = to_tensor(b)
            return promote(a, b, floating)
    elif isinstance(b, Tensor):
        if not is_scalar(a):
            if a is None or isinstance(a, _NOT_OPERANDS):
                _refuse(a, b, True)
            if isinstance(a, np.ndarray):
                _refuse_array(a, b, True)
            return promote(to_tensor(a), b, floating)
        a = as_scalar(a)
        rt = D.scalar_result_type(b._data, a)
    else:
        raise TypeError("expected at least one Tensor operand")
    if floating and rt.kind != "f":
        rt = D._Defaults.float_np
    if rt.kind in "iu":
        a, b = wrap_int(a, rt), wrap_int(b, rt)
    if isinstance(a, Tensor) and a._data.dtype != rt:
        a = a.to(rt)
    if isinstance(b, Tensor) and b._data.dtype != rt:
        b = b.to(rt)
    return a, b


def wrap_int(v, dt: np.dtype):
    """A Python int as PyTorch converts it to integer dtype ``dt`` for arithmetic and
    comparisons: modulo 2**bits, two's complement (uint8 + 1000 adds 232; NumPy raises)."""
    if type(v) is not int:
        return v
    lo, hi = _INT_BOUNDS.get(dt) or _INT_BOUNDS.setdefault(dt, _bounds(dt))
    if lo <= v <= hi:
        return v
    bits = dt.itemsize * 8
    v &= (1 << bits) - 1
    return v - (1 << bits) if lo and v > hi else v


_INT_BOUNDS: dict = {}  # dtype -> (min, max): np.iinfo costs ~1 us a call


def _bounds(dt: np.dtype) -> tuple:
    info = np.iinfo(dt)
    return int(info.min), int(info.max)


def as_int(v, what: str = "int"):
    """``v`` as an int (ints, NumPy ints, 1-element int tensors), or PyTorch's TypeError for
    a float (``n / 2``): never truncated silently as int() would."""
    try:
        return _index(v)
    except TypeError:
        from ._int_args import not_int

        raise not_int(v, what) from None


def dims(dim, ndim: int, in_order: bool = False) -> tuple | None:
    """Normalise ``dim`` (None, int, or a sequence) to a tuple of non-negative axes.

    A repeated dim is reported after all range checks (sum, mean, amax...), or, ``in_order``,
    as soon as it is met (std, var, flip check one dim at a time in PyTorch)."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return (wrap_dim(int(dim), ndim),)
    try:
        if in_order:
            seen = []
            for d in dim:
                seen.append(wrap_dim(_index(d), ndim))
                if seen[-1] in seen[:-1]:
                    raise RuntimeError(f"dim {seen[-1]} appears multiple times in the list "
                                       "of dims")
        out = tuple(wrap_dim(_index(d), ndim) for d in dim)
    except TypeError:  # dim = n / 2, or a float in the tuple: PyTorch's TypeError
        from ._int_args import not_int

        bad = dim if not isinstance(dim, (tuple, list)) else next(
            (d for d in dim if not _is_index(d)), dim)
        raise not_int(bad) from None
    for i, w in enumerate(out):
        if w in out[:i]:  # PyTorch names the first dim that repeats an earlier one
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
    return out


def _is_index(d) -> bool:
    """Whether ``d`` serves as an int (a Tensor of several entries has __index__, yet fails)."""
    try:
        _index(d)
    except TypeError:
        return False
    return True


def check_broadcast(a_shape, b_shape) -> None:
    """Raise PyTorch's message when two shapes cannot broadcast."""
    bad = broadcast_mismatch(a_shape, b_shape)
    if bad is not None:
        raise RuntimeError(broadcast_message(*bad))


def zero_grad(g):
    """A zero gradient shaped like g (PyTorch's zeros_like(grad), not grad * 0): 0 even where
    g is inf or nan, never -0, and in a create_graph backward it holds no graph."""
    if isinstance(g, Tensor):
        return Tensor._make(np.zeros(g.shape, g._data.dtype), False, None)
    return np.zeros(np.shape(g), np.asarray(g).dtype)


def keep_reduced(g, axes, keepdim):
    """Re-insert the reduced axes of a gradient as size 1, so it broadcasts over them."""
    if keepdim or axes is None:
        return g
    for a in sorted(axes):
        g = np.expand_dims(g, a)
    return g


_F16 = np.dtype(np.float16)
_ZEROS: dict = {}
_ZEROS_MAX = 1 << 18  # entries: zero arrays above this size are not kept (1 MiB float32)


def relu_array(x: np.ndarray, out=None) -> np.ndarray:
    """max(x, 0) of an array against a cached zero array of its shape, not the scalar 0.

    NumPy 2.4 runs np.maximum(x, 0) through a slow loop for the scalar operand; against an
    array of zeros it takes its vectorised loop, 3-5x faster: 5.7 against 1.5 us at 128x128
    float32, 40 against 12 us at 256x512. The zeros go first: np.maximum returns its second
    operand when both compare equal, so -0.0 stays -0.0 as in PyTorch's relu; nan propagates.
    """
    key = (x.shape, x.dtype)
    z = _ZEROS.get(key)
    if z is None:
        if type(x) is not np.ndarray or x.size > _ZEROS_MAX:
            return np.maximum(x, 0, out=out) if x.dtype is _F16 else np.maximum(0, x, out=out)
        if len(_ZEROS) >= 32:
            _ZEROS.clear()
        z = _ZEROS[key] = np.zeros(x.shape, x.dtype)
        z.flags.writeable = False
    if out is None and not x.flags.c_contiguous:  # x's layout (row-major if expanded), as PyTorch
        from ._layout import empty_like

        out = empty_like(x)
    # float16's loop returns the first operand on a tie, the others the second.
    return np.maximum(x, z, out=out) if x.dtype is _F16 else np.maximum(z, x, out=out)


_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def _rounded_once(ufunc):
    """``ufunc`` with float32 computed in float64 and rounded once to float32.

    NumPy's float32 SIMD exp and log err by up to ~2.5 and ~3.8 ulp: on 200k values, 39% of
    exp's and 8% of log's results differ from PyTorch's in the last bit (its Sleef kernels
    are within 1 ulp and nearly always correctly rounded); through float64, 1% and 0.01%.
    Costs ~0.6 us more a call at 128 values and 3x NumPy's float32 time at 16k values.
    Other dtypes (and Tensors, for create_graph) go to the ufunc as they are.
    """
    def fn(x):
        # (an array's dtype read directly, the usual case: getattr costs more)
        if (x.dtype if type(x) is np.ndarray else getattr(x, "dtype", None)) is _F32:
            return ufunc(x, dtype=_F64).astype(_F32)  # also a NumPy float32 scalar
        return ufunc(x)

    fn.__name__ = fn.__qualname__ = ufunc.__name__ + "32"
    return fn


exp32, log32, log1p32, expm1_32 = (_rounded_once(u) for u in (np.exp, np.log, np.log1p,
                                                              np.expm1))
# The same for the rarer ones where it brings float32 to PyTorch's (Sleef's) last bit: on
# 200k values log10 50% -> 0.02% differ, log2 11 -> 0.02, tan 25 -> 0.6, asin/acos 36 ->
# 2.5/5.5, atan 27 -> 0.01, sinh 11 -> 0.2, cosh 39 -> 0.1, atanh 0.4 -> 0.03. Not sin/cos
# (13-19% -> 5%, for 20x their time: NumPy's float64 sin/cos are scalar loops) nor
# asinh/acosh (no gain: PyTorch's differ from both).
log2_32, log10_32, tan32, arcsin32, arccos32, arctan32, sinh32, cosh32, arctanh32 = (
    _rounded_once(u) for u in (np.log2, np.log10, np.tan, np.arcsin, np.arccos, np.arctan,
                               np.sinh, np.cosh, np.arctanh))


def tanh_array(x: np.ndarray, out=None) -> np.ndarray:
    """tanh(x), as np.tanh, but a float32 array with some |x| >= 4 computed in float64.

    NumPy's float32 tanh is 1 ulp off for about a third of inputs (PyTorch's for 0.1%), and
    near saturation that ulp is much of 1 - |y|: tanh(9.5) came out 0.99999994, not 1, so a
    tanh-squashed policy's log(1 - y^2 + 1e-6) (SAC) moved by 5%. Rounded from float64, every
    entry is PyTorch's to 0.1%. Whether any entry is that large is read from argmin/argmax
    (~0.2 us each; a min/max reduction costs 0.7 us); the float64 pass costs ~1.5 ns an entry.
    """
    if type(x) is not np.ndarray or x.dtype != _F32 or x.size <= 1:
        # One float32 value (a 0-d parameter, a scalar loss; a 0-d tensor may hold a NumPy
        # scalar): rounded from float64 too, as cheap as NumPy's here and PyTorch's for all
        # but ~1% (NumPy's float32 tanh: a third)
        if type(x) is np.float32 and out is None:
            return np.float32(np.tanh(np.float64(x)))
        if type(x) is np.ndarray and x.size == 1 and x.dtype == _F32:
            y = np.tanh(x, dtype=np.float64).astype(np.float32)
            return y if out is None else np.copyto(out, y) or out
        return np.tanh(x, out=out)
    if -4.0 < x.item(x.argmin()) and x.item(x.argmax()) < 4.0:
        # (a nan fails both tests: the path below keeps it). out positional, and no out=None
        # passed: ~40 ns less per call (a policy step has two).
        return np.tanh(x) if out is None else np.tanh(x, out)
    y = np.tanh(x, dtype=np.float64)
    if out is None:
        return y.astype(np.float32)
    np.copyto(out, y, casting="same_kind")
    return out


_BOUNDS: dict = {}
_FLOAT_BITS = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def bound_array(x: np.ndarray, value):
    """``value`` as a cached read-only array of x's shape and dtype, else ``value`` itself.

    The relu_array idea for any scalar bound (clamp, hardtanh, elu's min(x, 0)): against a
    full array NumPy 2.4 takes its vectorised loop, 4.6x faster for clamp's max-then-min at
    128x128 float32 (11.2 -> 2.4 us). Pass it FIRST to np.maximum/np.minimum, which return the
    second operand on ties, so x keeps its sign as in PyTorch (clamp(-0.0, min=0.0) is -0.0).
    Only C-contiguous float32/float64 arrays (the result keeps x's layout) of 512 to
    _ZEROS_MAX entries (below, the ~0.3 us look-up costs what it saves) and non-nan int/float
    values; a zero's sign is part of the key, as -0.0 == 0.0 (clamp(-1.0, min=-0.0) is -0.0).
    """
    if (type(x) is not np.ndarray or not 512 <= x.size <= _ZEROS_MAX
            or x.dtype not in _FLOAT_BITS or not x.flags.c_contiguous
            or type(value) not in (float, int) or value != value):
        return value
    key = (x.shape, x.dtype, value, value == 0 and math.copysign(1.0, value))
    a = _BOUNDS.get(key)
    if a is None:
        if len(_BOUNDS) >= 32:
            _BOUNDS.clear()
        a = _BOUNDS[key] = np.full(x.shape, value, x.dtype)
        a.flags.writeable = False
    return a


def select(cond, a, b=None):
    """np.where(cond, a, 0 if b is None else b), bit for bit, for same-shape arrays.

    np.where branches on each element, and a random mask mispredicts: 355 us at 256x512
    float32, 9.5 at 128x128. Masking the bits instead (b ^ ((a ^ b) & m), m all ones where
    cond) is branch-free: 23 and 4.3 us. Below 4096 entries np.where is as fast.
    """
    bits = _FLOAT_BITS.get(a.dtype) if type(a) is np.ndarray else None
    if (bits is None or a.size < 4096 or type(cond) is not np.ndarray
            or cond.dtype != np.bool_ or cond.shape != a.shape
            or b is not None and (type(b) is not np.ndarray or b.dtype != a.dtype
                                  or b.shape != a.shape)):
        return np.where(cond, a, 0 if b is None else b)
    m = cond.astype(bits)
    np.negative(m, out=m)  # 1 -> -1: all bits set where cond holds
    if b is None:
        m &= a.view(bits)
    else:
        bb = b.view(bits)
        m &= a.view(bits) ^ bb
        m ^= bb
    return m.view(a.dtype)
