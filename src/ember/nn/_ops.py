"""nn's own primitives: activations, dropout, constant padding (losses: ``_loss_ops.py``).

Each class states its derivative and ``backward`` implements that formula. Backward rules use
operators and NumPy functions that ember dispatches for Tensors, so ``create_graph=True``
works through them (see docs/CORE.md).
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..ops._layout import channels_last, contig
from ..ops._util import bound_array, exp32 as _exp32, expm1_32 as _expm1_32, log1p32 as _log1p32
from ..ops._util import select
from ..ops.elementwise import sigmoid_array
from ..tensor import Tensor
from ._erf import erf as _erf_np
from ._erf import gelu_f32 as _gelu_f32
from ._erf import gelu_grad_f32 as _gelu_grad_f32

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


_VARIANTS: dict = {}


def variant(cls, node_name: str):
    """``cls`` recording its node as ``node_name`` (PyTorch's grad_fn name differs by case)."""
    key = (cls, node_name)
    if key not in _VARIANTS:
        _VARIANTS[key] = type(cls.__name__, (cls,), {"node_name": node_name})
    return _VARIANTS[key]


def _sigmoid(x):
    """sigmoid(x) = 1 / (1 + exp(-x)) (``sigmoid_array`` on arrays; Tensors for create_graph)."""
    if isinstance(x, np.ndarray):
        return sigmoid_array(x)
    return 1.0 / (1.0 + np.exp(-x))


class Erf(Primitive):
    """y = erf(x);  dy/dx = 2/sqrt(pi) * exp(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf_np(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * (_TWO_OVER_SQRT_PI * np.exp(-(x * x))),)


def _erf(x):
    """erf on an array, or on a Tensor (recorded) when a backward runs with create_graph."""
    return Erf.apply(x) if isinstance(x, Tensor) else _erf_np(x)


class LeakyRelu(Primitive):
    """y = x if x > 0 else slope * x;  dy/dx = 1 if x > 0 else slope."""

    node_name = "LeakyReluBackward0"
    exact_grads = True
    mask_link = "LeakyReluBackwardBackward0"  # second order: see autograd/_mask_link.py

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        y = x * slope
        if 0.0 < slope <= 1.0:
            # Then x * slope >= x exactly where x <= 0 and <= x where x > 0 (equal values keep
            # their sign; nan stays nan): max(x, x * slope) is PyTorch's answer, without
            # np.where's branch per element: 12.5 -> 3.5 us at 128x128 float32.
            return np.maximum(x, y)
        return select(x > 0, x, y)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return select(x > 0, g, g * ctx.slope), None


class Elu(Primitive):
    """y = x if x > 0 else alpha * (exp(x) - 1);  dy/dx = 1 if x > 0 else alpha * exp(x)
    (a nan x takes the first branch of each, as PyTorch: y nan, dy/dx 1). float32 expm1/exp
    are rounded once from float64 (NumPy's float32 ones put ~10% of values an ulp from
    PyTorch's near-exact kernels), and the gradient is (g * alpha) * exp(x), PyTorch's order."""

    node_name = "EluBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        # min(1, x) keeps expm1 from overflowing on the branch that select() discards, and is
        # x itself where x <= 0 whichever operand NumPy returns on a tie (-0.0 must stay -0.0).
        # (A cached bound and select, not a scalar 0 and np.where: 21.7 -> 16.8 us at 128x128
        # float32, 569 -> 118 at 256x512.)
        if x.dtype == np.float16:  # PyTorch: in float32 (alpha too), rounded once
            x = x.astype(np.float32)
            return select(x > 0, x, _expm1_32(np.minimum(x, 1.0)) * alpha).astype(np.float16)
        return select(x > 0, x, _expm1_32(np.minimum(bound_array(x, 1.0), x)) * alpha)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        alpha = ctx.alpha
        if isinstance(x, Tensor):
            # Recorded for a second derivative: at x == 0 PyTorch's first derivative is alpha
            # but its second is 0, so x == 0 gets the constant branch.
            neg = np.where(x < 0, (g * alpha) * _exp32(np.minimum(x, 0)), g * alpha)
            return np.where(x <= 0, neg, g), None
        if x.dtype == np.float16 and not isinstance(g, Tensor):  # in float32, rounded once
            x, g = x.astype(np.float32), g.astype(np.float32)
            return select(x <= 0, (g * alpha) * _exp32(np.minimum(x, 1.0)), g) \
                .astype(np.float16), None
        return select(x <= 0, (g * alpha) * _exp32(np.minimum(bound_array(x, 1.0), x)), g), None


class Gelu(Primitive):
    """y = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2;
    dy/dx = Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi)."""

    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        if x.dtype == np.float32 and x.flags.c_contiguous and x.size > 1:
            return _gelu_f32(x)  # PyTorch's oneDNN kernel, bit for bit
        if x.dtype == np.float16 and x.size > 1:  # PyTorch: the float32 kernel, rounded
            return _gelu_f32(np.ascontiguousarray(x, np.float32)).astype(np.float16)
        return x * ((_erf_np(x * _SQRT_HALF) + 1.0) * 0.5)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if (type(g) is np.ndarray and g.dtype == np.float32 and type(x) is np.ndarray
                and x.dtype == np.float32 and x.flags.c_contiguous and x.size > 1):
            return (_gelu_grad_f32(x, g),)  # PyTorch's oneDNN kernel, bit for bit
        if (type(g) is np.ndarray and type(x) is np.ndarray and x.dtype == np.float16
                and g.dtype == x.dtype and x.size > 1):  # the float32 kernel, rounded once
            x32 = np.ascontiguousarray(x, np.float32)
            g32 = np.ascontiguousarray(np.broadcast_to(g, x.shape), np.float32)
            return (_gelu_grad_f32(x32, g32).astype(np.float16),)
        cdf = (_erf(x * _SQRT_HALF) + 1.0) * 0.5
        pdf = np.exp(x * x * -0.5) * _INV_SQRT_2PI
        return (g * (cdf + x * pdf),)


class GeluTanh(Primitive):
    """y = x/2 * (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3);
    dy/dx = (1 + tanh u)/2 + x/2 * (1 - tanh^2 u) * sqrt(2/pi) (1 + 3 * 0.044715 x^2).
    Rounded as PyTorch's kernel: that order of operations, the constants in the input's
    dtype, and a float32 tanh rounded once from float64 and saturated where PyTorch's is.
    NumPy's own float32 tanh is an ulp off PyTorch's for a fifth of the inputs, which
    1 + tanh(u) turns into up to 4% for x < -3; float64's costs ~2 ms more a 262,144-value
    pass (NumPy does not vectorise it)."""

    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        beta, kappa, _ = _gelu_tanh_consts(x)
        t = _tanh_once(beta * (x + kappa * (x * x * x)))
        return 0.5 * x * (1.0 + t)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        beta, kappa, kappa3 = _gelu_tanh_consts(x)
        x2 = x * x
        t = _tanh_once(beta * (x + kappa * (x2 * x)))
        left_derivative = 0.5 * (1.0 + t)
        right_derivative = 0.5 * x * (1.0 - t * t) * (beta * (1.0 + kappa3 * x2))
        return (g * (left_derivative + right_derivative),)


def _gelu_tanh_consts(x):
    """sqrt(2/pi), 0.044715 and 3 * 0.044715 as PyTorch's kernel holds them: in float32 for a
    float32 input (the last product taken in float32)."""
    if getattr(x, "dtype", None) == np.float32:
        kappa = np.float32(_GELU_C)
        return np.float32(_SQRT_2_OVER_PI), kappa, np.float32(3) * kappa
    return _SQRT_2_OVER_PI, _GELU_C, 3.0 * _GELU_C


def _tanh_once(u):
    """tanh(u); a float32 array's rounded once from float64, and +-1 beyond |u| > 8.664339742
    as the vectorised float tanh in PyTorch's GELU kernel gives (gelu(-5.1) is -0.0 there)."""
    if type(u) is np.ndarray and u.dtype == np.float32:
        t = np.tanh(u, dtype=np.float64).astype(np.float32)
        return np.where(np.abs(u) > np.float32(8.664339742), np.sign(u), t)
    return np.tanh(u)


class Silu(Primitive):
    """y = x * s = x / (1 + exp(-x)), s = sigmoid(x);  dy/dx = s * (1 + x * (1 - s)).
    Rounded as PyTorch's kernel: y = x / (1 + exp(-x)) (not x * s: a quarter of float32
    values came out an ulp away) and the gradient (g * s) * (1 + x * (1 - s)), the last
    factor one fused multiply-add."""

    node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        if x.dtype == np.float16:  # PyTorch computes in float32 (x may be a 0-d scalar)
            xf = x.astype(np.float32)
            return (xf / _one_plus_exp_neg(xf)).astype(np.float16)
        return x / _one_plus_exp_neg(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not isinstance(x, Tensor) and not isinstance(g, Tensor):  # (0-d: NumPy scalars)
            if x.dtype == np.float32:
                return (_silu_grad32(g, x),)
            if x.dtype == np.float16:  # PyTorch computes in float32, rounds once
                return (_silu_grad32(g.astype(np.float32), x.astype(np.float32))
                        .astype(np.float16),)
        s = _sigmoid(x)
        return ((g * s) * (x * (1.0 - s) + 1.0),)


def _silu_grad32(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """float32 (g * s) * (x * (1 - s) + 1): PyTorch's compiled kernel fuses the last factor
    into one multiply-add; the product is exact in float64, so one rounding there gives it."""
    s = sigmoid_array(x)
    t = x.astype(np.float64)
    t *= 1.0 - s
    t += 1.0
    return (g * s) * t.astype(np.float32)


def _one_plus_exp_neg(x):
    """1 + exp(-x) in x's precision (float32's exp rounded once from float64, as sigmoid's);
    exp overflowing to inf is meant (x / inf = -0.0 far left, as in PyTorch)."""
    if x.dtype == np.float64:
        with np.errstate(over="ignore"):
            return np.exp(-x) + 1.0
    return _exp32(-x) + x.dtype.type(1)


class LogSigmoid(Primitive):
    """y = log(sigmoid(x)) = -softplus(-x) = min(x, 0) - log1p(exp(-|x|));
    dy/dx = sigmoid(-x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        y = np.minimum(x, 0) - _log1p32(_exp32(-np.abs(x)))
        return y if x.flags.c_contiguous else contig(y)  # row-major, as PyTorch's

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * _sigmoid(-x),)


class DropoutMul(Primitive):
    """y = x * m, m a fixed mask of 0 and 1/(1-p);  dy/dx = m."""

    node_name = "MulBackward0"
    shown_args = (0, 1)  # PyTorch's x * mask lists the mask (a tensor there)

    @staticmethod
    def forward(ctx, x, mask):
        ctx.mask = mask
        return x * mask

    @staticmethod
    def backward(ctx, g):
        return g * ctx.mask, None


def _crop_slices(shape, pads) -> tuple:
    """Slices removing the negative (cropping) part of ``pads`` = ((lo, hi), ...) per axis.
    PyTorch crops by narrow(): cropping more than an axis holds is its error."""
    out = []
    for n, (lo, hi) in zip(shape, pads):
        start, stop = (-lo if lo < 0 else 0), (n + hi if hi < 0 else n)
        if stop < start:  # F.pad(x, (-5, 0)) on 4 entries
            raise RuntimeError("narrow(): length must be non-negative.")
        out.append(slice(start, stop))
    return tuple(out)


def _pad_np(x: np.ndarray, pads, value) -> np.ndarray:
    """Constant padding with negative amounts cropping, as ``F.pad``."""
    x = x[_crop_slices(x.shape, pads)]
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    if not any(lo or hi for lo, hi in grow):
        return x.copy()
    shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, grow))
    out = np.full(shape, value, dtype=x.dtype)
    out[tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape, grow))] = x
    return out


class ConstantPad(Primitive):
    """y = x padded with a constant (negative pads crop);
    dL/dx = dL/dy with the padding undone, i.e. padded by the negated amounts."""

    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        out = _pad_np(x, pads, value)
        return out if x.flags.c_contiguous else channels_last(out, x)  # PyTorch's layout

    @staticmethod
    def backward(ctx, g):
        undo = tuple((-lo, -hi) for lo, hi in ctx.pads)
        if isinstance(g, Tensor):
            return ConstantPad.apply(g, undo, 0), None, None
        return _pad_np(g, undo, 0), None, None


def _gather_np(x: np.ndarray, index: tuple) -> np.ndarray:
    for axis, idx in enumerate(index):
        if idx is not None:
            x = np.take(x, idx, axis=axis)
    return x


def _scatter_np(g: np.ndarray, index: tuple, shape: tuple) -> np.ndarray:
    """The adjoint of ``_gather_np``: sum g's entries back to the positions they came from."""
    for axis in reversed(range(len(index))):
        idx = index[axis]
        if idx is None:
            continue
        moved = np.moveaxis(g, axis, 0)
        out = np.zeros((shape[axis],) + moved.shape[1:], dtype=g.dtype)
        np.add.at(out, idx, moved)
        g = np.moveaxis(out, 0, axis)
    return np.ascontiguousarray(g)  # PyTorch's padding backward gives a contiguous gradient


class GatherPad(Primitive):
    """y = x indexed along each padded axis (reflect / replicate / circular padding);
    dL/dx = dL/dy summed back to the positions each entry was copied from."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.shape = index, x.shape
        return _gather_np(x, index)

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return ScatterPad.apply(g, ctx.index, ctx.shape), None
        return _scatter_np(g, ctx.index, ctx.shape), None


class ScatterPad(Primitive):
    """y = the adjoint of GatherPad (a sum of copies);  dL/dg = dL/dy gathered again."""

    @staticmethod
    def forward(ctx, g, index, shape):
        ctx.index = index
        return _scatter_np(g, index, shape)

    @staticmethod
    def backward(ctx, gg):
        if isinstance(gg, Tensor):
            return GatherPad.apply(gg, ctx.index), None, None
        return _gather_np(gg, ctx.index), None, None
