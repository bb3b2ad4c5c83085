"""Fused loss primitives: one graph node per loss, forward and backward in closed form.

Notation: r is the incoming gradient per loss element (g itself for 'none' and 'sum', g / n
for 'mean'). Class-index and class-probability losses are in ``_index_ops.py``.
Backward rules use only operators and NumPy functions that ember dispatches for Tensors,
so ``create_graph=True`` differentiates through them (see docs/CORE.md).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from .._aten_sum import full_sum as _full_sum
from ..ops._shown_graph import L1Node
from ..ops._util import exp32 as _exp32, log1p32 as _log1p32
from ._ops import _sigmoid


# PyTorch's BCE backward floor on x (1 - x), a float 1e-12 even in float64.
_BCE_EPS = float(np.float32(1e-12))


def _numel(a) -> int:
    return a.numel() if isinstance(a, Tensor) else np.size(a)


def _reduce(loss, reduction: str, denom, aten_order: bool = False):
    """'none', 'sum' or 'mean' of the per-element losses. ``aten_order``: a float total in
    PyTorch's CPU summation order (_aten_sum.py; ~3 us more), so that a loss of exact
    per-element values (mse or l1 of a hand-written linear model) prints PyTorch's last
    digit; cross-entropy's per-row values differ in their last bits anyway (log_softmax)."""
    if reduction == "none":
        return loss
    if type(loss) is np.ndarray and loss.dtype == np.float16 and denom:
        # PyTorch reduces half in float32 and rounds once (the sum, or the mean's quotient)
        total = loss.sum(dtype=np.float32)
        return (total if reduction == "sum" else total / np.float32(denom)).astype(np.float16)
    total = _full_sum(loss) if aten_order else loss.sum()
    if reduction == "sum":
        return total
    if denom == 0:  # an empty batch (or every row ignored): nan, as in PyTorch
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / denom
    return total / denom


def _coef(g, reduction: str, denom):
    if reduction == "mean":
        if denom == 0:
            with np.errstate(invalid="ignore", divide="ignore"):
                return g / denom
        return g / denom
    return g


# ---- elementwise losses of d = x - y ---------------------------------------------------
class _Pointwise(Primitive):
    """L = reduce(f(d)), d = x - y;  dL/dx = r * f'(d),  dL/dy = -dL/dx."""

    @classmethod
    def forward(cls, ctx, x, y, reduction, param):
        ctx.save_for_backward(x, y)
        ctx.reduction, ctx.param = reduction, param
        loss = cls.value(x - y, param)
        return _reduce(loss, reduction, _numel(loss), aten_order=True)

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        d = x - y
        gd = cls.deriv(d, ctx.param) * _coef(g, ctx.reduction, _numel(d))
        need_x, need_y = ctx.needs_input_grad[:2]
        return (gd if need_x else None), (-gd if need_y else None), None, None


class MseLoss(_Pointwise):
    """L = mean((x - y)^2) (reduction='sum': no 1/n);  dL/dx = 2 (x - y) / n,  dL/dy = -dL/dx
    (f(d) = d^2, f'(d) = 2 d in _Pointwise's terms).

    The gradient in PyTorch's order, (norm * (x - y)) * g, norm = 2 / n rounded to the
    input's dtype (2 for 'sum' / 'none'); its vectorised and scalar loops agree. dL/dy is
    the same rule on y - x (so x = y gives +0 to both)."""

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        if not _exact_ok(x, y):
            return super().backward(ctx, g)  # (Tensors: a create_graph backward)
        norm = _norm(x, y, ctx.reduction, 2.0)
        need_x, need_y = ctx.needs_input_grad[:2]
        gx = _times_g(np.subtract(x, y), norm, g) if need_x else None
        gy = _times_g(np.subtract(y, x), norm, g) if need_y else None
        return gx, gy, None, None

    @staticmethod
    def value(d, p):
        return d * d

    @staticmethod
    def deriv(d, p):
        return d * 2.0


class L1LossMean(_Pointwise):
    """f(d) = |d|;  f'(d) = sign(d). Saves d, not x and y: PyTorch's l1_loss is abs(x - y), whose
    abs saves only the difference (so x may then change in place, or be an inference tensor)."""

    node_name = "MeanBackward0"
    _node_base = L1Node  # shown as PyTorch's sub, abs, then mean (ops/_shown_graph.py)

    @classmethod
    def forward(cls, ctx, x, y, reduction, param):
        d = x - y
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        return _reduce(np.abs(d), reduction, _numel(d), aten_order=True)

    @classmethod
    def backward(cls, ctx, g):
        (d,) = ctx.saved_tensors
        gd = np.sign(d) * _coef(g, ctx.reduction, _numel(d))
        need_x, need_y = ctx.needs_input_grad[:2]
        return (gd if need_x else None), (-gd if need_y else None), None, None

    @staticmethod
    def value(d, p):
        return np.abs(d)

    @staticmethod
    def deriv(d, p):
        return np.sign(d)


class L1LossSum(L1LossMean):
    node_name = "SumBackward0"


class L1LossNone(L1LossMean):
    node_name = "AbsBackward0"


class SmoothL1Loss(_Pointwise):
    """f(d) = d^2 / (2 beta) if |d| < beta else |d| - beta / 2;
    f'(d) = d / beta if |d| < beta else sign(d)  (beta = 0: the L1 loss).

    Both in PyTorch's order of operations, each rounding where its kernel's does:
    0.5 * |d| * |d| / beta and |d| - 0.5 * beta; the gradient norm * d * g / beta, or
    +-norm * g at and beyond +-beta (norm: 1 / n for the mean, in the input's dtype)."""

    @staticmethod
    def value(d, beta):
        a = np.abs(d)
        if beta == 0:
            return a
        if beta == 1.0:
            # m (a - m / 2) with m = min(a, 1): (a / 2) a below 1 (a - a / 2 is exact) and
            # a - 0.5 above, each rounded once as PyTorch's; no np.where (128 entries: 2.3
            # -> 1.5 us; 262144: 960 -> 300 us)
            m = np.minimum(a, 1.0)
            return m * (a - 0.5 * m)
        return np.where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta)

    @staticmethod
    def deriv(d, beta):
        if beta == 0:
            return np.sign(d)
        return np.where(np.abs(d) < beta, d / beta, np.sign(d))

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        if ctx.param == 0 or not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
            return super().backward(ctx, g)  # (Tensors: a create_graph backward)
        need_x, need_y = ctx.needs_input_grad[:2]
        n = x.size if x.shape == y.shape else np.broadcast_shapes(x.shape, y.shape)
        n = n if type(n) is int else int(np.prod(n))
        half = x.dtype == np.float16  # computed in float32 and rounded once, as PyTorch does
        if half:
            x, y, g = x.astype(np.float32), y.astype(np.float32), np.float32(g)
        dt = x.dtype if x.dtype == y.dtype else np.result_type(x, y)
        norm = dt.type(1.0 / n) if ctx.reduction == "mean" and n else None
        # As in PyTorch, y's gradient is the same rule on y - x (d = 0 gives +0 to both).
        gx = _smooth_grad(x, y, g, norm, ctx.param) if need_x else None
        gy = _smooth_grad(y, x, g, norm, ctx.param) if need_y else None
        if half:
            gx, gy = (None if a is None else a.astype(np.float16) for a in (gx, gy))
        return gx, gy, None, None


def _smooth_grad(x, y, g, norm, beta):
    """dL/dx of SmoothL1 for d = x - y, in the order of PyTorch's vectorised kernel:
    (norm * out) * g with out = sign(d) where |d| >= beta, else d / beta (norm: 1 / n for
    the mean, None for 1). The kernel's scalar loop computes norm * d * g / beta instead,
    dividing in double (the last bit differs); it takes the last n % (two vectors) elements,
    or all of them when an operand is strided: those are redone so (exact up to GRAIN_SIZE
    elements; beyond, PyTorch's threads split the loop). beta = 1 (DQN's Huber loss), where
    both loops agree, is d clamped to [-1, 1] in place on the fresh difference."""
    d = np.subtract(x, y)
    if beta == 1.0:
        np.maximum(d, -1.0, out=d)  # (nan stays nan)
        np.minimum(d, 1.0, out=d)
        out = d
    else:
        out = np.where(np.abs(d) >= beta, np.sign(d), d / beta)
    out = _times_g(out, norm, g)
    if beta == 1.0:
        return out
    nm = 1.0 if norm is None else norm
    tail = _scalar_part(x, y, g) if x.shape == y.shape else out.size % (64 // out.itemsize)
    if tail is None:  # a strided operand: all of it
        return _smooth_scalar(d, g, nm, beta)
    if tail:
        flat = out.reshape(-1)
        gt = g if np.ndim(g) == 0 else np.broadcast_to(g, out.shape).reshape(-1)[-tail:]
        flat[-tail:] = _smooth_scalar(d.reshape(-1)[-tail:], gt, nm, beta)
    return out


def _smooth_scalar(d, g, norm, beta):
    """The scalar loop of PyTorch's SmoothL1 gradient kernel (see _smooth_grad)."""
    inside = (norm * d * g).astype(np.float64) / beta  # (its beta is a double there)
    return np.where(d <= -beta, -norm * g, np.where(d >= beta, norm * g, inside)) \
        .astype(d.dtype)


class HuberLoss(_Pointwise):
    """f(d) = d^2 / 2 if |d| < delta else delta (|d| - delta / 2);
    f'(d) = d if |d| < delta else delta * sign(d).

    The gradient in the order of PyTorch's kernel (norm: 1 / n for the mean, rounded to the
    dtype): its vectorised loop computes (norm * out) * g with out = d, or +-delta (delta in
    the dtype) where |d| >= delta; its scalar loop (the tail, or strided operands) computes
    (norm * g) * delta with delta a double, rounded once. dL/dy: the rule on y - x."""

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        if not _exact_ok(x, y):
            return super().backward(ctx, g)
        norm = _norm(x, y, ctx.reduction, 1.0)
        need_x, need_y = ctx.needs_input_grad[:2]
        gx = _huber_grad(x, y, g, norm, ctx.param) if need_x else None
        gy = _huber_grad(y, x, g, norm, ctx.param) if need_y else None
        return gx, gy, None, None

    @staticmethod
    def value(d, delta):
        a = np.abs(d)
        return np.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)

    @staticmethod
    def deriv(d, delta):
        return np.where(np.abs(d) < delta, d, np.sign(d) * delta)


# ---- binary cross-entropy --------------------------------------------------------------
class BinaryCrossEntropy(Primitive):
    """L = -w (y log x + (1 - y) log(1 - x)), each log clamped at -100;
    dL/dx = w (x - y) / max(x (1 - x), 1e-12),  dL/dy = w (log(1 - x) - log x) (unclamped,
    as PyTorch's)."""

    @staticmethod
    def forward(ctx, x, y, w, reduction):
        ctx.save_for_backward(x, y)
        ctx.w, ctx.reduction = w, reduction
        lx, l1x = _clamped_logs(x)
        loss = (y - 1.0) * l1x - y * lx
        if w is not None:
            loss = loss * w
        return _reduce(loss, reduction, _numel(loss), aten_order=True)  # loss(none).sum()

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        w, coef = ctx.w, _coef(g, ctx.reduction, _numel(x))
        if w is not None:
            coef = coef * w
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = (x - y) / np.maximum(x * (1.0 - x), _BCE_EPS) * coef
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                gy = (np.log1p(-x) - np.log(x)) * coef
        return gx, gy, None, None


def _clamped_logs(x):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), -100.0), np.maximum(np.log1p(-x), -100.0)


class BCEWithLogits(Primitive):
    """L = w [(1 - y) x + l softplus(-x)], l = 1 + (pw - 1) y (l = 1 without pos_weight pw),
    softplus(-x) = log1p(exp(-|x|)) + max(-x, 0) (stable for any x);
    dL/dx = w (l sigmoid(x) - pw y)  (w (sigmoid(x) - y) without pw),
    dL/dy = w ((pw - 1) softplus(-x) - x)."""

    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, w, pw, reduction):
        ctx.save_for_backward(x, y)
        ctx.w, ctx.pw, ctx.reduction = w, pw, reduction
        sp = _softplus_neg(x)
        if pw is None:
            loss = (1.0 - y) * x + sp
        else:
            loss = (1.0 - y) * x + ((pw - 1.0) * y + 1.0) * sp
        if w is not None:
            loss = loss * w
        return _reduce(loss, reduction, _numel(loss), aten_order=True)  # loss(none).sum()

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        w, pw = ctx.w, ctx.pw
        coef = _coef(g, ctx.reduction, _numel(x))
        if w is not None:
            coef = coef * w
        gx = gy = None
        if ctx.needs_input_grad[0]:
            s = _sigmoid(x)
            gx = (s - y if pw is None else ((pw - 1.0) * y + 1.0) * s - pw * y) * coef
        if ctx.needs_input_grad[1]:
            gy = (-x if pw is None else (pw - 1.0) * _softplus_neg(x) - x) * coef
        return gx, gy, None, None, None


def _softplus_neg(x):
    """softplus(-x) = log(1 + exp(-x)), without overflow."""
    return _log1p32(_exp32(-np.abs(x))) + np.maximum(-x, 0.0)


# ---- PyTorch's order of operations for the pointwise gradients -------------------------
_EXACT = (np.dtype(np.float32), np.dtype(np.float64))


def _exact_ok(x, y) -> bool:
    """Arrays of one float32/float64 dtype and shape: the bit-exact gradient paths."""
    return (type(x) is np.ndarray and type(y) is np.ndarray and x.dtype is y.dtype
            and x.dtype in _EXACT and x.shape == y.shape)


def _norm(x, y, reduction, scale):
    """PyTorch's norm, scale / n for the mean (a double rounded to the dtype), else scale
    (None for 1: x * 1 == x, no pass)."""
    if reduction == "mean" and x.size:
        return x.dtype.type(scale / x.size)
    return None if scale == 1.0 else x.dtype.type(scale)


def _times_g(out, norm, g):
    """(norm * out) * g in place on a fresh ``out`` (a g of 1 skipped: exact)."""
    if norm is not None:
        out *= norm
    if type(g) is np.ndarray and g.ndim or g != 1:
        out *= g
    return out


def _scalar_part(x, y, g):
    """Where PyTorch's cpu_kernel_vec runs its scalar loop on same-shape operands: None for
    all of it (a strided operand; g broadcast from one value counts as a scalar), else the
    number of trailing elements, n % (two 32-byte vectors)."""
    if not (x.flags.c_contiguous and y.flags.c_contiguous):
        return None
    if type(g) is np.ndarray and g.ndim and not g.flags.c_contiguous and any(g.strides):
        return None
    return x.size % (64 // x.itemsize)


def _huber_grad(x, y, g, norm, delta):
    """dL/dx of the Huber loss for d = x - y in PyTorch's order (see HuberLoss)."""
    d = np.subtract(x, y)
    dl = d.dtype.type(delta)
    # d clamped to [-delta, delta] is the kernel's blend (nan stays nan), then norm, then g
    out = _times_g(np.minimum(np.maximum(d, -dl), dl), norm, g)
    tail = _scalar_part(x, y, g)
    if tail == 0 or float(dl) == delta and np.ndim(g) == 0 and g == 1:
        return out  # (g = 1 and a delta exact in the dtype: both loops give norm * delta)
    flat, dflat = out.reshape(-1), d.reshape(-1)
    sel = slice(None) if tail is None else slice(-tail, None)
    gs = g if np.ndim(g) == 0 else np.broadcast_to(g, out.shape).reshape(-1)[sel]
    ng = gs if norm is None else norm * gs  # (norm * g), in the dtype
    edge = (ng * np.float64(delta)).astype(d.dtype)  # times the double delta, rounded once
    ds = dflat[sel].astype(np.float64)  # (the scalar loop compares with the double delta)
    flat[sel] = np.where(ds >= delta, edge, np.where(ds <= -delta, -edge, flat[sel]))
    return out
