"""Fused primitives for Categorical's hot path: one node each instead of five to seven.

Each computes what PyTorch's composite computes (same values to float rounding, same nan and
-inf behaviour) and states the derivative of that composite. All work on the last dim.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..ops.softmax import _max, _sum


def _rowsum(x):
    """x.sum(-1, keepdims=True), by columns for a short last dim (ops.softmax._sum)."""
    return _sum(x, np.ndim(x) - 1)


class NormLogits(Primitive):
    """y = x - logsumexp(x) with PyTorch's logsumexp: the row max m is replaced by 0 where it
    is +-inf, so a row of -inf gives nan and a +inf entry gives nan there, -inf elsewhere.

    dL/dx = g - exp(y) * sum(g)   (exp(y) = exp(x - logsumexp(x)), logsumexp's own rule).
    """

    node_name = "SubBackward0"  # what PyTorch's Categorical.logits shows

    @staticmethod
    def forward(ctx, x):
        if x.size == 0:
            y = np.array(x, copy=True)
        else:
            m = _max(x, x.ndim - 1)
            if not np.isfinite(m).all():
                m = np.where(np.isinf(m), m.dtype.type(0), m)
            lse = np.log(_rowsum(np.exp(x - m)))
            lse += m
            y = x - lse
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g - np.exp(y) * _rowsum(g),)


class PickLast(Primitive):
    """y[...] = x[..., idx[...]] (idx has x's shape without the last dim, 0 <= idx < K);
    PyTorch's gather(-1, idx.unsqueeze(-1)).squeeze(-1).

    dL/dx[..., k] = g[...] where k == idx[...], else 0.
    """

    node_name = "SqueezeBackward1"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.save_for_backward(idx)
        ctx.k = K = x.shape[-1]
        flat = idx.reshape(-1) + np.arange(0, idx.size * K, K)
        return x.reshape(-1)[flat].reshape(idx.shape)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        K = ctx.k
        if type(g) is np.ndarray:  # first order: a scatter into zeros
            out = np.zeros(idx.shape + (K,), g.dtype)
            out.reshape(-1)[idx.reshape(-1) + np.arange(0, idx.size * K, K)] = g.reshape(-1)
            return out, None
        hit = np.expand_dims(idx, -1) == np.arange(K)  # create_graph: differentiable form
        return np.where(hit, np.expand_dims(g, -1), 0.0), None


_LOWEST = {}  # dtype -> finfo(dtype).min (np.finfo costs a microsecond per call)


def _lowest(dtype):
    v = _LOWEST.get(dtype)
    if v is None:
        v = _LOWEST[dtype] = np.finfo(dtype).min
    return v


class CatEntropy(Primitive):
    """H = -sum(softmax(l) * clamp(l, min=finfo.min)) over the last dim, for normalised l
    (logsumexp(l) = 0, so softmax(l) is exp(l) to rounding, which the values use).

    With p = softmax(l), c = clamp(l): dH/dl = -p * (1[l >= finfo.min] + c + H), and p = 0
    wherever l = -inf, so the indicator is 1 wherever it matters: dL/dl = -g p (1 + c + H).
    First order uses -p (1 + c + H), kept from forward (a constant, like a mask); create_graph
    recomputes it from l as differentiable ops, with p = exp(l) / sum(exp(l)) (softmax, also
    off the normalised set) and c = 0 where l = -inf: p and dp/dl are 0 there, so any finite c
    gives the same derivatives, and finfo.min would overflow to inf and then nan (which
    PyTorch's composite gives in its second derivatives).
    """

    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, lg):
        p = np.exp(lg)
        c = np.maximum(lg, _lowest(lg.dtype))
        h = _rowsum(p * c)[..., 0]
        np.negative(h, out=h)
        ctx.save_for_backward(lg, h)
        if ctx.needs_input_grad:  # dH/dl = -p (1 + c + H), built in place in c
            np.subtract(-1, c, out=c)
            c -= h[..., None]
            c *= p
            ctx.dh = c
        return h

    @staticmethod
    def backward(ctx, g):
        lg, h = ctx.saved_tensors
        if type(lg) is np.ndarray:
            return (g[..., None] * ctx.dh,)
        e = np.exp(lg)  # create_graph: the same formula as differentiable Tensor ops
        p, c = e / _rowsum(e), np.where(lg == -np.inf, 0.0, lg)
        return (np.expand_dims(-g, -1) * p * (1.0 + c + np.expand_dims(h, -1)),)
