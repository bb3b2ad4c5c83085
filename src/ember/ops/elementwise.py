"""Elementwise functions. Each class states its derivative; the backward is that formula."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import promote


def _float(x: Tensor) -> Tensor:
    """Integer inputs to transcendental functions compute in the default float dtype."""
    if x._data.dtype.kind != "f":
        from ..dtypes import _Defaults

        return x.to(_Defaults.float_np)
    return x


class Exp(Primitive):
    """y = exp(x);  dy/dx = y."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
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
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / x,)


class Log2(Primitive):
    """y = log2(x);  dy/dx = 1/(x ln 2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / (x * np.log(2.0)),)


class Log10(Primitive):
    """y = log10(x);  dy/dx = 1/(x ln 10)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log10(x)

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
        return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / (1 + x),)


class Expm1(Primitive):
    """y = exp(x) - 1;  dy/dx = y + 1."""

    @staticmethod
    def forward(ctx, x):
        y = np.expm1(x)
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
        return (g * -0.5 * y * y * y,)


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
        y = np.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * (1 + y * y),)


class Tanh(Primitive):
    """y = tanh(x);  dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * (1 - y * y),)


class Sigmoid(Primitive):
    """y = 1/(1 + exp(-x));  dy/dx = y(1 - y).

    Forward as 0.5*(1 + tanh(x/2)): the same function, with no overflow for large |x|.
    """

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x * 0.5)
        y += 1
        y *= 0.5
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * y * (1 - y),)


class Relu(Primitive):
    """y = max(x, 0);  dy/dx = 0 where y <= 0, else 1."""

    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (np.where(y <= 0, 0, g),)  # a nan input passes its gradient, as PyTorch


class Softplus(Primitive):
    """y = ln(1 + exp(beta x))/beta (linear above threshold);  dy/dx = sigmoid(beta x)."""

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
        s = 0.5 * (1 + np.tanh(0.5 * bx))
        return (np.where(bx > ctx.threshold, g, g * s),)


class Clamp(Primitive):
    """y = min(max(x, lo), hi) for number bounds;  dy/dx = 1 where lo <= x <= hi, else 0."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        y = x
        if lo is not None:
            y = np.maximum(y, lo)
        if hi is not None:
            y = np.minimum(y, hi)
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.lo, ctx.hi
        keep = True
        if lo is not None:
            keep = x >= lo
        if hi is not None:
            keep = keep & (x <= hi)
        return (g * keep, None, None)


class ClampTensor(Primitive):
    """y = min(max(x, lo), hi) with tensor bounds (either may be None).

    dy/dx = 1 where lo <= x <= hi;  dy/dlo = 1 where x < lo <= hi;  dy/dhi = 1 where
    max(x, lo) > hi (so hi wins when lo > hi); each 0 elsewhere. Ties go to x, as PyTorch.
    """

    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        m = x if lo is None else np.maximum(x, lo)
        y = m if hi is None else np.minimum(m, hi)
        if ctx.needs_input_grad:  # masks of where each input's value ended up
            ctx.x_in = (True if lo is None else x >= lo) & (True if hi is None else x <= hi)
            ctx.lo_in = None if lo is None else (x < lo) & (True if hi is None else m <= hi)
            ctx.hi_in = None if hi is None else m > hi
        return y

    @staticmethod
    def backward(ctx, g):
        def pick(mask):
            return None if mask is None else np.where(mask, g, 0)

        return pick(ctx.x_in), pick(ctx.lo_in), pick(ctx.hi_in)


class Maximum(Primitive):
    """z = max(a, b);  dz/da = 1 where a > b, 1/2 where a = b, 0 where a < b (dz/db mirrored).

    Where a comparison is false both ways (a nan), both inputs get the gradient, as PyTorch.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _share(g, a, b, a < b, a > b)


class Minimum(Primitive):
    """z = min(a, b);  dz/da = 1 where a < b, 1/2 where a = b, 0 where a > b (dz/db mirrored)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _share(g, a, b, a > b, a < b)


def _share(g, a, b, a_loses, b_loses):
    """The gradient of a two-way max/min: halved on ties, zero for the losing input."""
    half = np.where(a == b, g * 0.5, g)
    return np.where(a_loses, 0, half), np.where(b_loses, 0, half)


class Where(Primitive):
    """z = cond ? a : b;  dz/da = cond,  dz/db = not cond."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        c = ctx.cond
        return None, np.where(c, g, 0), np.where(c, 0, g)


class Cast(Primitive):
    """y = x converted to another dtype;  dy/dx = 1 (the engine casts the gradient back)."""

    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return (g, None)


def _unary(cls, float_only=True):
    def op(input):
        return cls.apply(_float(input) if float_only else input)

    op.__name__ = cls.__name__.lower()
    op.__doc__ = cls.__doc__
    return op


exp, log, log2, log10, log1p, expm1 = (_unary(c) for c in (Exp, Log, Log2, Log10, Log1p, Expm1))
sqrt, rsqrt, sin, cos, tan, tanh = (_unary(c) for c in (Sqrt, Rsqrt, Sin, Cos, Tan, Tanh))
sigmoid = _unary(Sigmoid)
def relu(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply(input)


def softplus(input, beta=1.0, threshold=20.0):
    if input._data.dtype.kind != "f":
        _not_for("softplus_cpu", input)
    return Softplus.apply(input, beta, threshold)


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch's names
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        _clamp_overload(input, min, max)
        x, lo, hi = input, min, max
        if lo is not None:
            x, lo = promote(x, lo)
        if hi is not None:
            x, hi = promote(x, hi)
        if isinstance(lo, Tensor) and lo._data.dtype != x._data.dtype:
            lo = lo.to(x._data.dtype)  # the upper bound widened x after lo was matched to it
        return ClampTensor.apply(x, lo, hi)
    if input._data.dtype.kind in "iub" and any(isinstance(b, float) for b in (min, max)):
        input = _float(input)
    return Clamp.apply(input, min, max)


clip = clamp


def _clamp_overload(input, lo, hi) -> None:
    """PyTorch's clamp takes two tensor bounds or two number bounds, not one of each."""
    if lo is None or hi is None or isinstance(lo, Tensor) == isinstance(hi, Tensor):
        return
    got = ", ".join(type(v).__name__ for v in (input, lo, hi))
    raise TypeError(
        f"clamp() received an invalid combination of arguments - got ({got}), but expected "
        "one of:\n * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = "
        "None)\n * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)")


def _two_tensors(name: str, input, other) -> None:
    """maximum/minimum take no Python scalars in PyTorch (clamp is the scalar form)."""
    for pos, (arg, v) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(v, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{type(v).__name__}")


def maximum(input, other):
    _two_tensors("maximum", input, other)
    a, b = promote(input, other)
    return Maximum.apply(a, b)


def minimum(input, other):
    _two_tensors("minimum", input, other)
    a, b = promote(input, other)
    return Minimum.apply(a, b)


def where(condition, input=None, other=None):
    if input is None and other is None:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        from .arithmetic import type_name

        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {type_name(cond.dtype)}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from ..creation import tensor

        input = tensor(input)
    a, b = promote(input, other)
    return Where.apply(cond, a, b)


class _PiecewiseConstant(Primitive):
    """y = f(x) for a step function f (sign, floor, ...);  dy/dx = 0 almost everywhere."""

    @staticmethod
    def forward(ctx, x, fn):
        return fn(x)

    @staticmethod
    def backward(ctx, g):
        return (g * 0, None)


def _step_op(fn, node_name):
    cls = type(node_name[:-9], (_PiecewiseConstant,), {"node_name": node_name})

    def op(input):
        if input._data.dtype == np.bool_:
            if fn is np.sign:
                return input.clone()  # sign of a bool is itself
            _not_for(f"{fn.__name__}_vml_cpu", input)
        return cls.apply(input, fn)

    op.__name__ = fn.__name__
    return op


def _not_for(kernel: str, input) -> None:
    """PyTorch's error for a dtype an op has no kernel for."""
    from .arithmetic import type_name

    raise NotImplementedError(
        f'"{kernel}" not implemented for \'{type_name(input._data.dtype)}\'')


sign = _step_op(np.sign, "SignBackward0")
floor = _step_op(np.floor, "FloorBackward0")
ceil = _step_op(np.ceil, "CeilBackward0")
trunc = _step_op(np.trunc, "TruncBackward0")
_Round = type("Round", (_PiecewiseConstant,), {"node_name": "RoundBackward0"})


_RoundDecimals = type("RoundDecimals", (_PiecewiseConstant,), {"node_name": "RoundBackward1"})


def round(input, *, decimals=0):  # noqa: A001 - PyTorch's name
    kind = input._data.dtype.kind
    if decimals and kind != "f" or kind == "b":
        _not_for("round_cpu" if decimals else "round_vml_cpu", input)
    if decimals:
        return _RoundDecimals.apply(input, lambda a: np.round(a, decimals))
    return _Round.apply(input, np.round)


def isnan(input):
    return Tensor._make(np.isnan(input._data), False, None)


def isinf(input):
    return Tensor._make(np.isinf(input._data), False, None)


def isfinite(input):
    return Tensor._make(np.isfinite(input._data), False, None)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return Tensor._make(np.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf),
                        False, None)


def square(input):
    """x ** 2 (PyTorch records it as a power)."""
    from .arithmetic import pow

    return pow(input, 2)
