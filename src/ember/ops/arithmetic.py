"""Arithmetic: + - * / // % ** and their relatives. Each rule is its derivative, in NumPy.

Operands may be Tensors or Python scalars on either side; ``promote`` applies PyTorch's dtype
rules first. Gradients may come back in the broadcast shape: the engine sums them down.
"""

from __future__ import annotations

import numpy as np

from .._fma import fma_into
from ..autograd.function import Primitive
from ..tensor import Tensor
from . import _half
from ._half import F16 as _F16
from ._layout import iter_layout as _layout
from ._shown_graph import ReciprocalMulNode
from ._util import promote

_ND = np.ndarray

_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
               "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
               "bool": "Bool"}


def type_name(np_dtype) -> str:
    """PyTorch's ScalarType name for a dtype, as its error messages print it (Long, Float)."""
    return _TYPE_NAMES[np.dtype(np_dtype).name]


def _is_bool(x) -> bool:
    return isinstance(x, bool) or (isinstance(x, Tensor) and x._data.dtype == np.bool_)


class Add(Primitive):
    """z = a + b;  dz/da = dz/db = 1.

    alpha != 1 is AddAlpha: this common case passes no keyword and sets no ctx attribute,
    ~0.3 us less per call."""

    shown_args = (0, 1)  # x * 2: PyTorch's node lists the number as a tensor

    @staticmethod
    def forward(ctx, a, b):
        out = a + b
        if type(a) is _ND and not a.flags.c_contiguous:  # PyTorch's layout
            out = _layout(out, a, b)
        return out

    @staticmethod
    def backward(ctx, g):
        return g, g


class AddAlpha(Primitive):
    """z = a + alpha*b;  dz/da = 1,  dz/db = alpha."""

    shown_args = (0, 1)  # x * 2: PyTorch's node lists the number as a tensor

    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if alpha == 1:
            out = a + b
            if type(a) is _ND and not a.flags.c_contiguous:  # PyTorch's layout
                out = _layout(out, a, b)
            return out
        dt = np.result_type(a, b)
        if dt.char in "fd":  # (promote gave a and b the result's dtype)
            return _fused_add(a, b, alpha, dt)
        out = a + alpha * b
        if out.dtype is _F16:  # float16: alpha * b not rounded on its own (_half.py)
            return _half.add_scaled(a, b, alpha)
        # bool + bool stays bool whatever alpha is (alpha * b would make it an int)
        return out.astype(np.bool_) if np.result_type(a, b) == np.bool_ else out

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else _half.times(g, ctx.alpha))


def _fused_add(a, b, alpha, dt):
    """a + alpha*b rounded once in float32/float64 (``_fma.py``): PyTorch's CPU add kernel is
    a fused multiply-add (alpha and number operands first cast to the result dtype), and
    rounding alpha*b on its own moves ~1 result in 30 by an ulp (SGD-style updates drift)."""
    a, b = np.asarray(a, dt), np.asarray(b, dt)
    out = fma_into(np.empty(np.broadcast_shapes(a.shape, b.shape), dt), dt.type(alpha), b, a)
    if b.size == 1 and a.ndim and out.shape == a.shape:  # PyTorch takes other as a number
        _plain_tails(out, a, dt.type(alpha) * b)
    return out


def _plain_tails(out, a, scaled) -> None:
    """A one-element ``other``, which PyTorch's kernel reads as a number: it fuses its
    vectorised blocks (16 float32 or 8 float64 entries: two 32-byte vectors, on AVX-512
    machines too) but not all of the compiled loop that finishes the last t = len % block
    entries of each contiguous run of ``a`` in memory: after the first, whole SSE groups
    (4 float32 or 2 float64; ((t - 1) // group) * group entries) take a + (alpha*other
    rounded on its own). A strided inner dim runs fused throughout."""
    order = sorted(range(a.ndim), key=lambda d: a.strides[d], reverse=True)  # memory order
    run, step, k = 1, a.itemsize, a.ndim
    while k and (a.shape[order[k - 1]] == 1 or a.strides[order[k - 1]] == step):
        run, step, k = run * a.shape[order[k - 1]], step * a.shape[order[k - 1]], k - 1
    tail, group = run % (64 // a.itemsize), 16 // a.itemsize
    lo, hi = run - tail + 1, run - tail + 1 + (tail - 1) // group * group
    if hi <= lo or (k == a.ndim and a.size > 1):
        return
    if k == 0 and a.flags.c_contiguous:  # one run: a slice of the flat array
        flat = out.reshape(-1)
        flat[lo:hi] = a.reshape(-1)[lo:hi] + scaled
        return
    mask = np.zeros((a.size // run, run), bool)
    mask[:, lo:hi] = True
    mask = mask.reshape([a.shape[d] for d in order]).transpose(np.argsort(order))
    out[mask] = a[mask] + scaled


def add(input, other, *, alpha=1):
    if not isinstance(input, Tensor):
        input, other = lift_numbers(input, other)
    if type(alpha) is not int or alpha != 1:
        alpha = alpha_number(alpha, "add")
        a, b = promote(input, other)
        _check_alpha(a, b, alpha)
        return AddAlpha.apply(a, b, alpha=alpha)
    a, b = promote(input, other)
    return Add.apply(a, b)


def alpha_number(alpha, name: str):
    """``alpha`` as PyTorch's parser reads a Number: Python numbers as they are, NumPy
    scalars and 0-d tensors as their Python value, anything else (a str, None, a list: NumPy
    would have read '0.1' as 0.1 and None as nan) refused with its TypeError."""
    t = type(alpha)
    if t is float or t is int or t is bool:
        return alpha
    if isinstance(alpha, np.generic) and alpha.dtype.kind in "biuf":
        return int(alpha) if alpha.dtype.kind == "b" else alpha.item()  # (np.True_ is 1)
    if isinstance(alpha, Tensor) and alpha._data.ndim == 0 and not alpha._rg:
        return alpha.item()  # (one that requires grad is no Number to PyTorch's parser)
    if t is complex:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a "
                           "complex number.")
    from .._call_site import call_site
    from .._typename import arg_type_name

    if call_site(name + "_") is not None:  # written as the in-place method
        name += "_"
    raise TypeError(f"{name}(): argument 'alpha' must be Number, not {arg_type_name(alpha)}")


def _check_alpha(a, b, alpha) -> None:
    """PyTorch's rules for ``alpha`` against the result dtype of add/sub."""
    dt = (a if isinstance(a, Tensor) else b)._data.dtype
    kind = dt.kind
    if dt is _F16:
        _half.check_number(alpha)
    if isinstance(alpha, bool) and kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and kind in "biu":
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number.")


class Sub(Primitive):
    """z = a - alpha*b;  dz/da = 1,  dz/db = -alpha."""

    shown_args = (0, 1)  # x * 2: PyTorch's node lists the number as a tensor

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if alpha == 1:
            out = a - b
            if type(a) is _ND and not a.flags.c_contiguous:  # PyTorch's layout
                out = _layout(out, a, b)
            return out
        dt = np.result_type(a, b)
        if dt.char in "fd":
            return _fused_add(a, b, -alpha, dt)
        out = a - alpha * b
        return _half.add_scaled(a, b, -alpha) if out.dtype is _F16 else out  # see AddAlpha

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else _half.times(g, -ctx.alpha))


class Rsub(Sub):
    node_name = "RsubBackward1"  # PyTorch's name for number - tensor
    shown_args = None  # (rsub.Scalar: PyTorch's node lists only the tensor)


class RsubTensor(Sub):
    node_name = "RsubBackward0"  # torch.rsub(tensor, tensor)


def sub(input, other, *, alpha=1):
    if not isinstance(input, Tensor):
        input, other = lift_numbers(input, other)
    cls = Sub if isinstance(input, Tensor) else Rsub
    return _sub(input, other, alpha, cls)


def _sub(input, other, alpha, cls):
    a_bool, b_bool = _is_bool(input), _is_bool(other)
    if a_bool and b_bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead."
        )
    if a_bool or b_bool:  # a Python bool counts as a bool tensor here (x - True)
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    if type(alpha) is not int or alpha != 1:
        alpha = alpha_number(alpha, "sub")
    a, b = promote(input, other)
    if type(alpha) is not int or alpha != 1:
        _check_alpha(a, b, alpha)
    return cls.apply(a, b, alpha=alpha)


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return _sub(other, input, alpha, RsubTensor if isinstance(other, Tensor) else Rsub)


class Mul(Primitive):
    """z = a * b;  dz/da = b,  dz/db = a."""

    shown_args = (0, 1)  # x * 2: PyTorch's node lists the number as a tensor
    saved_for = ((1,), (0,))  # a only for dz/db, b only for dz/da
    pack_order = (1, 0)  # PyTorch's node saves b first: saved-tensor hooks see that order

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        out = a * b
        if type(a) is _ND and not a.flags.c_contiguous:  # PyTorch's layout
            out = _layout(out, a, b)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


def mul(input, other):
    if not isinstance(input, Tensor):
        input, other = lift_numbers(input, other)
    elif input.is_sparse and isinstance(other, (bool, int, float)):  # (a class attribute)
        return input.mul(other)  # a COO tensor times a number stays COO (_sparse_coo)
    a, b = promote(input, other)
    if not isinstance(b, Tensor) and a._data.dtype is _F16:  # float16 * number: in
        return _half.HalfMul.apply(a, b)  # float32, as PyTorch (opmath; see _half.py)
    return Mul.apply(a, b)


class Div(Primitive):
    """z = a / b;  dz/da = 1/b,  dz/db = -a/b^2, computed as PyTorch rounds it: -g ((a/b)/b)."""

    shown_args = (0, 1)  # x * 2: PyTorch's node lists the number as a tensor
    saved_for = ((1,), (0, 1))  # a only for dz/db

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        out = a / b
        if type(a) is _ND and not a.flags.c_contiguous:  # PyTorch's layout
            out = _layout(out, a, b)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g / b if need_a else None
        gb = -g * (a / b / b) if need_b else None
        return ga, gb


class ScalarDiv(Primitive):
    """z = c / x for a number c, as PyTorch computes it: r = 1/x, then r * c (one unit away
    from the correctly rounded c / x in ~27% of entries; float16 multiplies in float32, see
    _half.py);  dz/dx = -(g * c) * r^2."""

    node_name = "MulBackward0"
    _node_base = ReciprocalMulNode  # shown as PyTorch's reciprocal, then mul

    @staticmethod
    def forward(ctx, c, x):
        ctx.save_for_backward(x)
        ctx.c = c
        return _half.times(1 / x, c)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        r = 1 / x  # from the input, so that create_graph differentiates it too
        return None, -_half.times(g, ctx.c) * (r * r)


def div(input, other, *, rounding_mode=None):
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode)
    if not isinstance(input, Tensor):
        input, other = lift_numbers(input, other)
    elif input.is_sparse and isinstance(other, (bool, int, float)):  # (a class attribute)
        return input.div(other)  # a COO tensor times a number stays COO (_sparse_coo)
    a, b = promote(input, other, floating=True)
    if not isinstance(b, Tensor) and a._data.dtype is _F16:  # float16 / number: in
        return _half.HalfDiv.apply(a, b)  # float32, as PyTorch (opmath; see _half.py)
    return Div.apply(a, b)


def rdiv(input, other):
    """``other / input`` for the reflected operator (``2 / x``)."""
    a, b = promote(other, input, floating=True)
    if isinstance(other, Tensor):
        return Div.apply(a, b)
    return ScalarDiv.apply(a, b)


# Rounding division (floor_divide, remainder, fmod) lives in rounded_div.py, powers in
# power.py, neg/abs/reciprocal in arithmetic_unary.py; re-exported here for ``ops``.
from .rounded_div import (DivRounded, FloorDivide, Fmod, FmodScalar,  # noqa: E402,F401
                          Remainder, RemainderScalar, _no_bool, _rounded_div, floor_divide,
                          fmod, lift_numbers, remainder)
from .power import Pow, PowScalar, RPow, float_power, pow  # noqa: E402,F401
from .arithmetic_unary import Abs, Neg, Reciprocal, abs, neg, reciprocal  # noqa: E402,F401,A004
