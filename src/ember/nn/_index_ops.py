"""Fused cross-entropy and NLL primitives (class indices or class probabilities).

They work on rows: the class axis (1, or 0 when unbatched) is moved last and the rest
flattened, so x is (M, C) and a class-index target t is (M,). r is the incoming gradient
per row (g itself for 'none' and 'sum', g / n for 'mean'). Backward rules use only
operators and NumPy functions that ember dispatches for Tensors, so ``create_graph=True``
differentiates through them (see docs/CORE.md).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..ops._shown_graph import NllOfLogSoftmaxNode
from ..ops._util import exp32 as _exp32, log32 as _log32
from ..ops.softmax import _vsum
from ..tensor import Tensor
from ._loss_ops import _coef, _reduce
from ._ops import variant  # noqa: F401  (re-exported for the functional wrappers)


def to_rows(a):
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C); (N, C) unchanged."""
    nd = a.ndim  # an array, or a Tensor for create_graph
    if nd == 2:
        return a
    if nd == 1:
        return np.reshape(a, (1, -1))
    a = np.transpose(a, (0,) + tuple(range(2, nd)) + (1,))
    return np.reshape(a, (-1, np.shape(a)[-1]))


def from_rows(g2, shape: tuple):
    """Inverse of ``to_rows`` for a gradient of an input of ``shape``."""
    nd = len(shape)
    if nd == 2:
        return g2
    if nd == 1:
        return np.reshape(g2, shape)
    g = np.reshape(g2, (shape[0],) + tuple(shape[2:]) + (shape[1],))
    return np.transpose(g, (0, nd - 1) + tuple(range(1, nd - 1)))


def row_max(x2: np.ndarray) -> np.ndarray:
    """max over the last axis of (M, C) as (M, 1). NumPy reduces a short last axis row by
    row (slow for small C), so narrow inputs take an elementwise maximum over columns."""
    C = x2.shape[1]
    if 0 < C <= 8:
        m = x2[:, 0]
        for j in range(1, C):
            m = np.maximum(m, x2[:, j])
        return m[:, None]
    return x2.max(axis=1, keepdims=True)


def row_sum(a: np.ndarray) -> np.ndarray:
    """sum over the last axis of (M, C) as (M,): up to 4 columns added left to right (NumPy's
    order below 8 entries), more by a matrix-vector product, which BLAS does much faster
    than NumPy's row-by-row reduction."""
    C = a.shape[1]
    if 1 < C <= 4:
        s = a[:, 0] + a[:, 1]
        for j in range(2, C):
            s += a[:, j]
        return s
    if a.shape[0] >= 16 and a.dtype.kind == "f":
        return np.dot(a, np.ones(C, a.dtype))  # np.dot: as @, less dispatch
    return a.sum(axis=1)


_STARTS: dict = {}


def row_starts(M: int, C: int) -> np.ndarray:
    """[0, C, 2C, ...]: where each of M rows starts in the flattened (M, C) array (cached,
    read-only; np.arange costs ~0.4 us per call)."""
    key = (M, C)
    starts = _STARTS.get(key)
    if starts is None:
        if len(_STARTS) > 64:
            _STARTS.clear()
        starts = _STARTS[key] = np.arange(0, M * C, C)
        starts.flags.writeable = False
    return starts


class IndexSpec:
    """Targets and weights of a class-index loss, prepared once by the functional wrapper.

    t: (M,) class per row (ignored rows set to 0); flat: (M,) index of (i, t_i) in the
    flattened (M, C) rows; valid: (M,) 0/1 mask or None (no row ignored); w_row: (M,)
    per-row weight w_{t_i} v_i or None (all 1); wc: (C,) class weights or None; denom: the
    'mean' divisor sum_i w_i; out_shape: the 'none' shape.
    """

    __slots__ = ("t", "flat", "valid", "w_row", "wc", "reduction", "eps", "denom",
                 "out_shape")

    def onehot(self, shape, dtype) -> np.ndarray:
        oh = np.zeros(shape, dtype=dtype)
        oh.reshape(-1)[self.flat] = 1
        return oh


def _rowwise(r, v):
    """r (a scalar or (M,)) times a per-row factor v (None = 1), as an (M, 1) column."""
    if v is not None:
        r = r * v
    return np.expand_dims(r, 1) if np.ndim(r) == 1 else r


def _row_grad(r, spec: IndexSpec):
    """(M,) or scalar incoming gradient per row."""
    if spec.reduction == "none":
        return np.reshape(r, (-1,))
    if spec.reduction == "mean":
        # Every row ignored (or weighted 0): the loss is nan, its gradient zero (PyTorch).
        return r / spec.denom if spec.denom != 0 else r * 0.0
    return r


class CrossEntropy(Primitive):
    """L = mean_i -log p_{i,t_i},  p_i = softmax(x_i) (log_softmax + nll_loss in one node);
    dL/dx_ic = (p_ic - [c = t_i]) / N  (N rows; no weight, ignore_index or label_smoothing).

    In general, with p = softmax(x_i):
    L_i = (1 - eps) w_i (-log p_{i,t_i}) + eps/C v_i sum_c wc_c (-log p_ic)
    (wc: class weights, 1 if none; w_i = wc_{t_i} v_i; v_i = 0 on ignored rows);
    'mean' divides the sum by sum_i w_i.
    dL/dx_ic = r_i [p_ic ((1 - eps) w_i + eps/C v_i W) - (1 - eps) w_i [c = t_i]
                    - eps/C v_i wc_c],  W = sum_c wc_c."""

    node_name = "NllLossBackward0"
    _node_base = NllOfLogSoftmaxNode  # shown as log_softmax, then nll_loss, as PyTorch

    @staticmethod
    def forward(ctx, x, spec):
        x2 = to_rows(x)
        sh = x2 - row_max(x2)
        if not sh.flags.c_contiguous:
            # A transposed (N, C) input (``out.squeeze().t()``) gives F-ordered rows, and
            # backward writes the targets' entries through ``reshape(-1)``, a copy for them
            sh = np.ascontiguousarray(sh)
        e = _exp32(sh)
        # log_softmax over a last dim (1-D or 2-D input) adds in ATen's vectorised order;
        # up to 4 classes row_sum's left-to-right sum is that order, and faster
        s = _vsum(e, 1)[:, 0] if e.shape[1] > 4 and x.ndim <= 2 else row_sum(e)
        lse = _log32(s)
        loss = lse - sh.reshape(-1)[spec.flat]
        if spec.w_row is not None:
            loss = loss * spec.w_row
        eps = spec.eps
        if eps:
            C = x2.shape[1]
            wc = spec.wc
            smooth = lse * (C if wc is None else wc.sum()) - (
                row_sum(sh) if wc is None else sh @ wc)
            if spec.valid is not None:
                smooth = smooth * spec.valid
            loss = loss * (1.0 - eps) + smooth * (eps / C)
        ctx.save_for_backward(x)
        ctx.spec, ctx.e, ctx.s = spec, e, s
        out = _reduce(loss, spec.reduction, spec.denom)
        return np.reshape(out, spec.out_shape) if spec.reduction == "none" else out

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        spec = ctx.spec
        r = _row_grad(g, spec)
        eps = spec.eps
        graph = isinstance(x, Tensor)
        if not (graph or eps) and spec.w_row is None and spec.reduction != "none":
            # The common case, in place: r (softmax - onehot); gx is a fresh C-ordered array
            # and each row has one target, so the flat subtraction hits each entry once.
            gx = ctx.e / ctx.s[:, None]
            gx.reshape(-1)[spec.flat] -= 1
            gx *= r
            return from_rows(gx, x.shape), None
        if graph:
            from ..ops.softmax import softmax

            p = softmax(to_rows(x), 1)
        else:
            p = ctx.e / ctx.s[:, None]
        M, C = p.shape
        dt = ctx.e.dtype
        w_i = spec.w_row if spec.w_row is not None else spec.valid
        if eps:
            W = C if spec.wc is None else float(spec.wc.sum())
            v = spec.valid if spec.valid is not None else np.ones(M, dt)
            a = (np.ones(M, dt) if w_i is None else w_i) * (1.0 - eps) + v * (eps * W / C)
            gx = p * _rowwise(r, a)
        elif graph:
            gx = p * _rowwise(r, w_i)
        else:
            gx = p
            # (+ 0.0: PyTorch sums a row's nll gradient from +0, so a -0 row shows +0)
            gx *= _rowwise(r, w_i) + 0.0
        hot = _rowwise(r * (1.0 - eps), w_i)
        if graph:
            gx = gx - spec.onehot((M, C), dt) * hot
        elif eps:
            gx.reshape(-1)[spec.flat] -= hot if np.ndim(hot) == 0 else hot[:, 0]
        else:
            # PyTorch runs log_softmax's backward on nll's gradient (-h at the target): the
            # target entry is -(h - p h), so a row whose gradient is +0 (a masked sequence
            # position) shows -0 there; ignored rows stay +0 everywhere.
            flat = gx.reshape(-1)
            flat[spec.flat] = -((hot if np.ndim(hot) == 0 else hot[:, 0]) - flat[spec.flat])
            if spec.valid is not None:
                gx[spec.valid == 0] = 0.0
        if eps:
            wc = np.ones(C, dt) if spec.wc is None else spec.wc
            gx = gx - _rowwise(r, spec.valid) * (wc * (eps / C))
        return from_rows(gx, tuple(np.shape(x))), None


def index_node_name(ndim: int, reduction: str, eps: float) -> str:
    """PyTorch's grad_fn name for cross_entropy / nll_loss with class indices."""
    if eps:
        return "AddBackward0"
    if ndim <= 2:
        return "NllLossBackward0"
    if reduction == "none" and ndim != 4:
        return "ViewBackward0"
    return "NllLoss2DBackward0"


class NllLoss(Primitive):
    """L_i = -w_i x_{i,t_i} (x holds log-probabilities), reduced as in CrossEntropy;
    dL/dx_ic = -r_i w_i [c = t_i]."""

    @staticmethod
    def forward(ctx, x, spec):
        x2 = to_rows(x)
        loss = -x2.reshape(-1)[spec.flat]
        if spec.w_row is not None:
            loss = loss * spec.w_row
        ctx.spec, ctx.shape, ctx.dtype = spec, np.shape(x), x2.dtype
        ctx.rows_shape = x2.shape
        out = _reduce(loss, spec.reduction, spec.denom)
        return np.reshape(out, spec.out_shape) if spec.reduction == "none" else out

    @staticmethod
    def backward(ctx, g):
        spec = ctx.spec
        w_i = spec.w_row if spec.w_row is not None else spec.valid
        hot = -_rowwise(_row_grad(g, spec), w_i)
        if isinstance(g, Tensor):
            gx = spec.onehot(ctx.rows_shape, ctx.dtype) * hot
        else:
            gx = np.zeros(ctx.rows_shape, ctx.dtype)
            gx.reshape(-1)[spec.flat] = hot if np.ndim(hot) == 0 else hot[:, 0]
            if spec.valid is not None:  # PyTorch skips ignored rows: +0, not -(r * 0)
                gx[spec.valid == 0] = 0.0
        return from_rows(gx, ctx.shape), None


class CrossEntropyProb(Primitive):
    """Cross entropy with class probabilities y, p = softmax(x_i), y' = (1 - eps) y + eps/C:
    L_i = -sum_c wc_c y'_ic log p_ic;  'mean' divides by the number of rows M.
    dL/dx_ic = r_i (p_ic S_i - wc_c y'_ic),  S_i = sum_c wc_c y'_ic;
    dL/dy_ic = -(1 - eps) r_i wc_c log p_ic;  dL/dwc_c = -sum_i r_i y'_ic log p_ic."""

    node_name = "DivBackward1"

    @staticmethod
    def forward(ctx, x, y, wc, reduction, eps):
        x2, y2 = to_rows(x), to_rows(y)
        sh = x2 - row_max(x2)
        logp = sh - _log32(row_sum(_exp32(sh)))[:, None]
        C = x2.shape[1]
        yp = y2 if not eps else y2 * (1.0 - eps) + eps / C
        wy = yp if wc is None else yp * wc
        loss = -row_sum(wy * logp)
        ctx.save_for_backward(x, y, wc)
        ctx.logp, ctx.reduction, ctx.eps = logp, reduction, eps
        out = _reduce(loss, reduction, x2.shape[0])
        if reduction == "none":
            return np.reshape(out, np.shape(x)[:1] + np.shape(x)[2:] if np.ndim(x) > 1 else ())
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, wc = ctx.saved_tensors
        eps = ctx.eps
        if isinstance(x, Tensor):
            from ..ops.softmax import log_softmax

            logp = log_softmax(to_rows(x), 1)
        else:
            logp = ctx.logp
        y2 = to_rows(y)
        M, C = np.shape(logp)
        r = np.reshape(g, (-1,)) if ctx.reduction == "none" else _coef(g, ctx.reduction, M)
        rcol = np.expand_dims(r, 1) if np.ndim(r) == 1 else r
        yp = y2 if not eps else y2 * (1.0 - eps) + eps / C
        wy = yp if wc is None else yp * wc
        need_x, need_y, need_w = ctx.needs_input_grad[:3]
        gx = gy = gw = None
        if need_x:
            gx = from_rows((_exp32(logp) * wy.sum(axis=1, keepdims=True) - wy) * rcol,
                           tuple(np.shape(x)))
        if need_y:
            wl = logp if wc is None else logp * wc
            gy = from_rows(wl * rcol * -(1.0 - eps), tuple(np.shape(y)))
        if need_w:
            gw = -(yp * logp * rcol).sum(axis=0)
        return gx, gy, gw, None, None


class CrossEntropyProbSum(CrossEntropyProb):
    node_name = "NegBackward0"
