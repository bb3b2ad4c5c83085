"""Elementwise functions. Each class states its derivative; the backward is that formula."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from . import _util
from ._layout import preserved
from ._util import exp32 as _exp32, expm1_32 as _expm1_32, log1p32 as _log1p32
from ._util import log32 as _log32, relu_array, select, tanh_array


def _float(x: Tensor) -> Tensor:
    """Integer inputs to transcendental functions compute in the default float dtype."""
    try:
        kind = x._data.dtype.kind
    except AttributeError:  # a str, list, number: PyTorch's parser error, off the hot path
        from ._int_args import not_tensor

        raise not_tensor(x) from None
    if kind != "f":
        from ..dtypes import _Defaults

        return x.to(_Defaults.float_np)
    return x


class Exp(Primitive):
    """y = exp(x);  dy/dx = y."""

    @staticmethod
    def forward(ctx, x):
        y = _exp32(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * y,)


class Log(Primitive):
    """y = ln(x);  dy/dx = 1/x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _log32(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / x,)


class Log2(Primitive):
    """y = log2(x);  dy/dx = 1/(x ln 2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _util.log2_32(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / (x * np.log(2.0)),)


class Log10(Primitive):
    """y = log10(x);  dy/dx = 1/(x ln 10)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _util.log10_32(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / (x * np.log(10.0)),)


class Log1p(Primitive):
    """y = ln(1 + x);  dy/dx = 1/(1 + x)."""

    node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _log1p32(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / (1 + x),)


class Expm1(Primitive):
    """y = exp(x) - 1;  dy/dx = y + 1."""

    @staticmethod
    def forward(ctx, x):
        y = _expm1_32(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * (y + 1),)


class Sqrt(Primitive):
    """y = sqrt(x);  dy/dx = 1/(2y)."""

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g / (2 * y),)


class Rsqrt(Primitive):
    """y = 1/sqrt(x);  dy/dx = -y^3/2."""

    @staticmethod
    def forward(ctx, x):
        y = 1 / np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * -0.5 * (y * y * y),)  # PyTorch: -0.5 * grad * result.pow(3)


class Sin(Primitive):
    """y = sin(x);  dy/dx = cos(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * np.cos(x),)


class Cos(Primitive):
    """y = cos(x);  dy/dx = -sin(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (-g * np.sin(x),)


class Tan(Primitive):
    """y = tan(x);  dy/dx = 1 + y^2."""

    @staticmethod
    def forward(ctx, x):
        y = _util.tan32(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * (1 + y * y),)


_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)


def _one_minus_square(y: np.ndarray) -> np.ndarray:
    """float32 1 - y*y rounded once, as the fused multiply-add in PyTorch's compiled
    tanh_backward (y*y is exact in float64). The hand-written (1 - h**2) * dh then differs
    from autograd's in the last bit as in PyTorch (backprop ninja's 'exact: False').
    ~2x the unfused ops' time; float64 would need Dekker's product (10x) and stays unfused."""
    t = np.square(y, dtype=_F64)  # (one call: astype then multiply cost ~0.4 us more)
    np.subtract(1.0, t, out=t)
    return t.astype(_F32)


class Tanh(Primitive):
    """y = tanh(x);  dy/dx = 1 - y^2 (fused: 1 - y*y rounded once, see _one_minus_square)."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        y = tanh_array(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if type(y) is np.ndarray and type(g) is np.ndarray and y.dtype == g.dtype:
            if y.dtype == _F32:  # the policy net's case, inline (a call less)
                t = _one_minus_square(y)
                return (np.multiply(g, t, out=t),)
            return (_tanh_grad(g, y),)
        if isinstance(y, np.generic) and isinstance(g, (np.generic, np.ndarray)) \
                and y.dtype == g.dtype:
            # a 0-d tensor holds a NumPy scalar: PyTorch's kernel fuses 1 - y*y there too
            return (_tanh_grad(np.reshape(g, 1), np.reshape(y, 1))[0],)
        return (g * (1 - y * y),)


def _tanh_grad(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """g * (1 - y*y) as PyTorch's tanh_backward kernel rounds it (a fresh array)."""
    if y.dtype == _F32:
        t = _one_minus_square(y)
        return np.multiply(g, t, out=t)
    if y.dtype == _F16:  # PyTorch's half kernel computes in float32, rounds once
        return (g.astype(_F32) * _one_minus_square(y)).astype(_F16)
    t = y * y  # the same ops, in place
    np.subtract(1, t, out=t)
    return np.multiply(g, t, out=t)


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) as PyTorch computes it: in the input's precision (float16 in
    float32, rounded once), so exp(-x) = inf gives exactly 0. The tanh form,
    (1 + tanh(x/2)) / 2, loses the relative accuracy of small results (sigmoid(-50) came out
    0 and sigmoid(-5) 100 float32 ulps off)."""
    if x.dtype == np.float16:
        return sigmoid_array(x.astype(np.float32)).astype(np.float16)
    if x.dtype == np.float64:
        with np.errstate(over="ignore"):  # float64's exp warns on overflow (float32's does not)
            e = np.exp(-x)
    else:
        e = _exp32(-x)
    if type(e) is not np.ndarray:  # a 0-d input gives a NumPy scalar
        return x.dtype.type(1) / (1 + e)
    e += 1
    return np.divide(1, e, out=e)


class Sigmoid(Primitive):
    """y = 1/(1 + exp(-x));  dy/dx = y(1 - y), as g (1 - y) y in PyTorch's order."""

    @staticmethod
    def forward(ctx, x):
        y = sigmoid_array(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * (1 - y) * y,)


class Relu(Primitive):
    """y = max(x, 0);  dy/dx = 0 where y <= 0, else 1."""

    node_name = "ReluBackward0"
    exact_grads = True
    mask_link = "ThresholdBackwardBackward0"  # second order: see autograd/_mask_link.py

    @staticmethod
    def forward(ctx, x):
        y = relu_array(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        # y is >= 0 or nan, so y != 0 is PyTorch's mask (a nan input passes its gradient).
        # select is np.where bit for bit (+0.0 where masked, whatever g holds there), without
        # np.where's per-element branch on large arrays.
        if type(g) is np.ndarray and type(y) is np.ndarray:
            return (select(y != 0, g),)
        return (np.where(y <= 0, 0, g),)


class Softplus(Primitive):
    """y = ln(1 + exp(beta x))/beta, or x where beta x > threshold;
    dy/dx = sigmoid(beta x), or 1 where beta x > threshold."""

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        bx = x * beta
        # logaddexp(0, bx) = ln(1 + e^bx) without overflow.
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        bx = x * ctx.beta
        # PyTorch's g z / (z + 1), z = e^(beta x): keeps tiny slopes (the tanh form gave 0
        # below x = -20 in float32); e^(beta x) may overflow where the threshold masks it.
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.exp(bx)
            s = g * z / (z + 1)
        return (np.where(bx > ctx.threshold, g, s),)


class Cast(Primitive):
    """y = x converted to another dtype;  dy/dx = 1 (the engine casts the gradient back)."""

    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype):
        out = x.astype(dtype)
        return out if x.flags.c_contiguous else preserved(out, x)  # laid out as x, as PyTorch

    @staticmethod
    def backward(ctx, g):
        return (g, None)


def _unary(cls, float_only=True):
    def op(input):
        return cls.apply(_float(input) if float_only else input)

    op.__name__ = cls.__name__.lower()
    op.__qualname__ = op.__name__  # what TypeErrors name
    op.__doc__ = cls.__doc__
    # the code named too: the argument-type error (read from the op's frame) names the op
    op.__code__ = op.__code__.replace(co_name=op.__name__, co_qualname=op.__name__)
    return op


exp, log, log2, log10, log1p, expm1 = (_unary(c) for c in (Exp, Log, Log2, Log10, Log1p, Expm1))
sqrt, rsqrt, sin, cos, tan, tanh = (_unary(c) for c in (Sqrt, Rsqrt, Sin, Cos, Tan, Tanh))
sigmoid = _unary(Sigmoid)


def relu(input):
    try:
        dt = input._data.dtype
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import not_tensor

        raise not_tensor(input) from None
    if dt == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply(input)


def softplus(input, beta=1.0, threshold=20.0):
    try:
        kind = input._data.dtype.kind
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import not_tensor

        raise not_tensor(input) from None
    if kind != "f":
        _not_for("softplus_cpu", input)
    return Softplus.apply(input, beta, threshold)


def _not_for(kernel: str, input) -> None:
    """PyTorch's error for a dtype an op has no kernel for."""
    from .arithmetic import type_name

    raise NotImplementedError(
        f'"{kernel}" not implemented for \'{type_name(input._data.dtype)}\'')


# Ops that choose between inputs live in selection.py; re-exported here for ``ops``.
from .selection import (Clamp, ClampTensor, Maximum, Minimum, Where, clamp,  # noqa: E402,F401
                        clip, maximum, minimum, where)
# Step functions (sign, floor, round, ...), predicates and nan_to_num: elementwise_steps.py.
from .elementwise_steps import (NanToNum, _PiecewiseConstant, ceil, floor,  # noqa: E402,F401
                                isfinite, isinf, isnan, nan_to_num, round, sign,
                                sign_nan_zero, square, trunc)
