"""Primitives of the activations in ``functional/_activation2.py`` (selu, mish, hardswish...).

Each class states its derivative and ``backward`` implements it. Masks that pick a branch
(x > 0, |x| <= lambda) have zero derivative, so backward computes them from the raw values
of x even when a ``create_graph`` backward hands x over as a Tensor; the formulas themselves
use operators and NumPy functions that ember dispatches for Tensors (see docs/CORE.md).
Ties follow PyTorch's CPU kernels. A nan x gets the gradient of PyTorch's vectorised loop,
which covers all but a short tail of each contiguous run (its scalar tail loop sometimes
differs: selu, celu, hardswish and the shrinks give 1 or the scale there, not nan or 0).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..ops._layout import contig
from ..ops._util import exp32, expm1_32, select
from ..tensor import Tensor
from ._ops import DropoutMul, Elu, _sigmoid


def _raw(x):
    """The NumPy values of x (a Tensor during a ``create_graph`` backward)."""
    return x._data if isinstance(x, Tensor) else x


class ScaledElu(Primitive):
    """y = scale * x if x > 0 else c * (exp(k x) - 1), with c = alpha * scale, k = input_scale;
    dy/dx = scale if x > 0 else c * k * exp(k x). selu is (alpha, scale) = (1.6733, 1.0507),
    k = 1; celu is scale = 1, k = 1/alpha. As PyTorch: a nan x gives nan for both, and the
    second derivative is 0 at x == 0 (the first derivative's constant branch there).
    PyTorch's numbers: c is alpha * scale in the input's type, the gradient is
    ((g * k) * c) * exp(k x), and float32 expm1/exp are rounded once from float64. The
    gradient's k is k_grad: PyTorch's celu backward takes 1 / float32(alpha), its forward
    1 / alpha (a float64 celu's gradient is off by float32 rounding there, as in PyTorch)."""

    node_name = "EluBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x, alpha, scale, k, k_grad):
        ctx.save_for_backward(x)
        # PyTorch multiplies the coefficients in float for float32 and half (half computes
        # in float32 and rounds once), in double for float64
        c = alpha * scale if x.dtype == np.float64 else float(np.float32(alpha) * np.float32(scale))
        ctx.c, ctx.scale, ctx.k = c, scale, k_grad
        if x.dtype == np.float16:
            return _scaled_elu(x.astype(np.float32), c, scale, k).astype(np.float16)
        return _scaled_elu(x, c, scale, k)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        c, k, scale = ctx.c, ctx.k, ctx.scale
        xa = _raw(x)
        if isinstance(x, Tensor):  # recorded: x == 0 takes the constant ck (zero 2nd derivative)
            pos = g * scale if scale != 1.0 else g
            gkc = (g * k) * c if k != 1.0 else g * c
            neg = np.where(xa == 0, gkc, gkc * exp32(np.minimum(x, 0) * k))
            return np.where(xa > 0, pos, neg), None, None, None, None
        if xa.dtype == np.float16 and not isinstance(g, Tensor):  # (0-d: NumPy scalars)
            g32 = _scaled_elu_grad(g.astype(np.float32), xa.astype(np.float32), c, scale, k)
            return g32.astype(np.float16), None, None, None, None
        return _scaled_elu_grad(g, xa, c, scale, k), None, None, None, None


def _scaled_elu(x, c, scale, k):
    # min(1, x) keeps expm1 finite on the branch select() drops; it is x itself where
    # x <= 0, so -0.0 stays -0.0 (selu(-0.0) is -0.0 in PyTorch).
    neg = expm1_32(np.minimum(1.0, x) * k) * c
    return select(x > 0, x * scale if scale != 1.0 else x, neg)


def _scaled_elu_grad(g, x, c, scale, k):
    pos = g * scale if scale != 1.0 else g
    gkc = (g * k) * c if k != 1.0 else g * c
    return select(x > 0, pos, gkc * exp32(np.minimum(1.0, x) * k))


def inplace_elu(cls, node_name: str):
    """``cls`` (Elu or ScaledElu) as its in-place form, PyTorch's EluBackward1 / CeluBackward1:
    the input is overwritten, so the node saves the result y and reads the derivative from it,
    dy/dx = scale where y > 0, else k (y + c) (its is_result rule, rounded as its kernel:
    (g k)(y + c), float16 in float32). A later in-place change of y then fails backward, as
    in PyTorch. Under create_graph, y == 0 takes the constant k c (PyTorch's second
    derivative there is 0, as the out-of-place form's)."""
    elu = issubclass(cls, Elu)  # (Elu's arguments: x, alpha; ScaledElu's: x, alpha, scale,
    # k, k_grad)

    def forward(ctx, x, *args):
        y = cls.forward(ctx, x, *args)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if elu:
            return _elu_grad_from_result(g, y, ctx.alpha, 1.0, 1.0), None
        gx = _elu_grad_from_result(g, y, ctx.c, ctx.scale, ctx.k)
        return gx, None, None, None, None

    return type(cls.__name__, (cls,), {"node_name": node_name,
                                       "forward": staticmethod(forward),
                                       "backward": staticmethod(backward)})


def _elu_grad_from_result(g, y, c, scale, k):
    if isinstance(y, Tensor) or isinstance(g, Tensor):  # create_graph: differentiable in y
        ya = _raw(y)
        neg = np.where(ya == 0, g * (k * c), (g * k) * (y + c))
        return np.where(ya > 0, g * scale, neg)
    if y.dtype == np.float16:
        return _elu_grad_from_result(g.astype(np.float32), y.astype(np.float32), c, scale,
                                     k).astype(np.float16)
    t = y.dtype.type  # (the coefficients in y's float type, as the kernel takes them)
    neg = (g * t(k) if k != 1.0 else g) * (y + t(c))  # (a nan y: nan, as PyTorch's
    return select(y > 0, g * t(scale) if scale != 1.0 else g, neg)  # vectorised loop)


class Mish(Primitive):
    """y = x * t, t = tanh(softplus(x)) = tanh(log(1 + exp(x)));
    dy/dx = t + x * sigmoid(x) * (1 - t^2). As PyTorch, x = +-inf gives nan (inf * 0)."""

    node_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.tanh(np.log1p(np.exp(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        t = np.tanh(np.log1p(np.exp(x)))
        return (g * (t + x * _sigmoid(x) * (1.0 - t * t)),)


class Hardsigmoid(Primitive):
    """y = min(max(x + 3, 0), 6) / 6;  dy/dx = 1/6 where -3 < x < 3, else 0 (at the kinks
    and for nan too, as PyTorch)."""

    node_name = "HardsigmoidBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(np.maximum(x + 3, 0), 6) / 6

    @staticmethod
    def backward(ctx, g):
        xa = _raw(ctx.saved_tensors[0])
        return (select((xa > -3) & (xa < 3), g * (1.0 / 6.0)),)


class Hardswish(Primitive):
    """y = x * min(max(x + 3, 0), 6) / 6;
    dy/dx = 0 where x <= -3, x / 3 + 1/2 where -3 < x < 3 (and nan), 1 where x >= 3."""

    node_name = "HardswishBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.minimum(np.maximum(x + 3, 0), 6) / 6

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xa = _raw(x)
        inner = np.where(xa >= 3, g, g * (x / 3 + 0.5))
        return (select(~(xa <= -3), inner),)


class Shrink(Primitive):
    """hardshrink: y = 0 where -l <= x <= l, else x;  dy/dx = 0 there, else 1.
    softshrink: y = x - l where x > l, x + l where x < -l, else +0.0 (PyTorch's scalar tail
    loop gives x * 0, -0.0 for a negative x);  dy/dx the same as hardshrink's.
    A nan x gives y nan, dy/dx 0."""

    node_name = "HardshrinkBackward0"
    exact_grads = True
    mask_link = "HardshrinkBackwardBackward0"  # second order: see autograd/_mask_link.py

    @staticmethod
    def forward(ctx, x, lambd, soft):
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        if soft:  # PyTorch's second-order node (the class's mask_link names hardshrink's)
            ctx.mask_link = "SoftshrinkBackwardBackward0"
        keep = ~((x >= -lambd) & (x <= lambd))  # (nan is kept)
        return select(keep, select(x > lambd, x - lambd, x + lambd) if soft else x)

    @staticmethod
    def backward(ctx, g):
        xa, lambd = _raw(ctx.saved_tensors[0]), ctx.lambd
        return select((xa < -lambd) | (xa > lambd), g), None, None


class Threshold(Primitive):
    """y = value where x <= threshold, else x;  dy/dx = 0 where x <= threshold, else 1."""

    node_name = "ThresholdBackward0"
    exact_grads = True
    mask_link = "ThresholdBackwardBackward0"  # second order: see autograd/_mask_link.py

    @staticmethod
    def forward(ctx, x, threshold, value):
        ctx.save_for_backward(x)
        ctx.threshold = threshold
        return np.where(x <= threshold, np.asarray(value, x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        xa = _raw(ctx.saved_tensors[0])
        return select(~(xa <= ctx.threshold), g), None, None


class Glu(Primitive):
    """y = a * sigmoid(b), (a, b) = x's two halves along dim;
    dy/da = sigmoid(b),  dy/db = a * sigmoid(b) * (1 - sigmoid(b)), joined along dim."""

    node_name = "GluBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.save_for_backward(x)
        ctx.dim = dim
        a, b = np.split(x, [x.shape[dim] // 2], axis=dim)
        return a * _sigmoid(b)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a, b = np.split(x, [np.shape(x)[ctx.dim] // 2], axis=ctx.dim)
        s = _sigmoid(b)
        gs = g * s
        return np.concatenate([gs, gs * a * (1.0 - s)], axis=ctx.dim), None


class Prelu(Primitive):
    """y = x if x > 0 else w * x (w broadcast against x);
    dy/dx = 1 if x > 0 else w,  dy/dw = 0 if x > 0 else x (summed over the broadcast axes
    by the engine). A nan x takes the second branch, as PyTorch (dy/dw nan)."""

    node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return np.where(x > 0, x, w * x)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        pos = _raw(x) > 0
        need_x, need_w = ctx.needs_input_grad
        gx = np.where(pos, g, g * w) if need_x else None
        gw = np.where(pos, 0, g * x) if need_w else None
        return gx, gw


class RreluWithNoise(DropoutMul):
    """y = x * r, r a fixed slope per element (1 where x is kept, else drawn from
    U(lower, upper) in training or (lower + upper) / 2 in eval);  dy/dx = r (dropout's rule:
    a product with a fixed array)."""

    node_name = "RreluWithNoiseBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x, noise):
        ctx.mask = noise
        y = x * noise
        return y if x.flags.c_contiguous else contig(y)  # row-major, as PyTorch's
