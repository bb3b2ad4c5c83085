"""More binary elementwise functions: atan2, hypot, logaddexp(2), xlogy, copysign, fmax, fmin.

Operands broadcast and promote as in PyTorch (``promote``); each class states its derivatives
and ``backward`` is that formula. Gradients may come back in the broadcast shape: the engine
sums them down.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._layout import elementwise
from ._util import check_broadcast, promote, zero_grad
from .elementwise import _not_for
from .selection import _two_tensors

__all__ = ["atan2", "hypot", "logaddexp", "logaddexp2", "xlogy", "copysign", "fmax", "fmin"]


@elementwise
class Atan2(Primitive):
    """z = atan2(a, b), the angle of the point (b, a);
    dz/da = b/(a^2 + b^2),  dz/db = -a/(a^2 + b^2)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        r = g / (a * a + b * b)
        return r * b, -r * a


@elementwise
class Hypot(Primitive):
    """z = sqrt(a^2 + b^2);  dz/da = a/z,  dz/db = b/z."""

    @staticmethod
    def forward(ctx, a, b):
        z = np.hypot(a, b)
        ctx.save_for_backward(a, b, z)
        return z

    @staticmethod
    def backward(ctx, g):
        a, b, z = ctx.saved_tensors
        return g * a / z, g * b / z


@elementwise
class Logaddexp(Primitive):
    """z = ln(e^a + e^b);  dz/da = 1/(1 + e^(b - a)),  dz/db = 1/(1 + e^(a - b))."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g / (1 + np.exp(b - a)), g / (1 + np.exp(a - b))


@elementwise
class Logaddexp2(Primitive):
    """z = log2(2^a + 2^b);  dz/da = 1/(1 + 2^(b - a)),  dz/db = 1/(1 + 2^(a - b))."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.logaddexp2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g / (1 + 2.0 ** (b - a)), g / (1 + 2.0 ** (a - b))


def _xlogy_values(a, b):
    """a ln(b), 0 where a = 0 (even where ln(b) is infinite), nan where b is nan."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):  # under create_graph: recorded
        return xlogy(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(a == 0, 0, a * np.log(b))
    return np.where(np.isnan(b), math.nan, out)


@elementwise
class Xlogy(Primitive):
    """z = a ln(b), 0 where a = 0, nan where b is nan;
    dz/da = ln(b) (as xlogy(g, b), and 0 where a = 0 and b <= 0),  dz/db = a/b."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        dt = (a if isinstance(a, np.ndarray) else b).dtype
        return np.asarray(_xlogy_values(a, b), dt)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = np.where((a == 0) & (b <= 0), 0, _xlogy_values(g, b)) if need_a else None
        return ga, (g * a / b if need_b else None)


class XlogyScalarSelf(Xlogy):
    node_name = "XlogyBackward1"  # xlogy(number, tensor)


class XlogyScalarOther(Xlogy):
    node_name = "XlogyBackward2"  # xlogy(tensor, number)


@elementwise
class Copysign(Primitive):
    """z = |a| with the sign of b;  dz/da = z/a (0 where a = 0),  dz/db = 0."""

    @staticmethod
    def forward(ctx, a, b):
        z = np.copysign(a, b)
        ctx.save_for_backward(a, z)
        return z

    @staticmethod
    def backward(ctx, g):
        a, z = ctx.saved_tensors
        ga = np.where(a == 0, 0, g * (z / a))
        return ga, (zero_grad(g) if ctx.needs_input_grad[1] else None)


class CopysignScalar(Copysign):
    node_name = "CopysignBackward1"  # copysign(tensor, number)


@elementwise
class Fmax(Primitive):
    """z = max(a, b) ignoring a nan (nan only where both are);
    dz/da = 1 where a >= b or b is nan, else 0;  dz/db = 1 - dz/da (ties go to a)."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad:
            ctx.to_a = (a >= b) | np.isnan(b)
        return np.fmax(a, b)

    @staticmethod
    def backward(ctx, g):
        return np.where(ctx.to_a, g, 0), np.where(ctx.to_a, 0, g)


@elementwise
class Fmin(Primitive):
    """z = min(a, b) ignoring a nan (nan only where both are);
    dz/da = 1 where a <= b or b is nan, else 0;  dz/db = 1 - dz/da (ties go to a)."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad:
            ctx.to_a = (a <= b) | np.isnan(b)
        return np.fmin(a, b)

    @staticmethod
    def backward(ctx, g):
        return np.where(ctx.to_a, g, 0), np.where(ctx.to_a, 0, g)


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of (other, input) in (-pi, pi]; integers compute in the default float."""
    _two_tensors("atan2", input, other)
    return Atan2.apply(*promote(input, other, floating=True))


def _float_pair(name: str, input, other, kernel: str):
    """Both operands as tensors of one floating dtype; PyTorch has no integer kernel."""
    _two_tensors(name, input, other)
    a, b = promote(input, other)
    check_broadcast(a._data.shape, b._data.shape)  # PyTorch: shapes before the kernel
    if a._data.dtype.kind != "f":
        _not_for(kernel, a)
    return a, b


def hypot(input: Tensor, other: Tensor) -> Tensor:
    return Hypot.apply(*_float_pair("hypot", input, other, "hypot_cpu"))


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    return Logaddexp.apply(*_float_pair("logaddexp", input, other, "logaddexp_cpu"))


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    return Logaddexp2.apply(*_float_pair("logaddexp2", input, other, "logaddexp2_cpu"))


def xlogy(input, other) -> Tensor:
    """input * ln(other), 0 where input is 0; either operand may be a number."""
    a, b = promote(input, other, floating=True)
    if not isinstance(a, Tensor):
        return XlogyScalarSelf.apply(float(a), b)
    if not isinstance(b, Tensor):
        return XlogyScalarOther.apply(a, float(b))
    return Xlogy.apply(a, b)


def copysign(input: Tensor, other) -> Tensor:
    """|input| with the sign of other (a tensor or a number); integers become floats."""
    if not isinstance(input, Tensor):
        got = ", ".join(type(v).__name__ for v in (input, other))
        raise TypeError(f"copysign() received an invalid combination of arguments - got "
                        f"({got}), but expected one of:\n * (Tensor input, Tensor other, *, "
                        "Tensor out = None)\n * (Tensor input, Number other, *, Tensor out = "
                        "None)")
    a, b = promote(input, other, floating=True)
    if not isinstance(b, Tensor):
        return CopysignScalar.apply(a, float(b))
    return Copysign.apply(a, b)


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum that ignores nan (unlike maximum, which propagates it)."""
    _two_tensors("fmax", input, other)
    return Fmax.apply(*promote(input, other))


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum that ignores nan (unlike minimum, which propagates it)."""
    _two_tensors("fmin", input, other)
    return Fmin.apply(*promote(input, other))
