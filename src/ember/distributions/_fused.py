"""Fused primitives for Categorical's hot path: one node each instead of five to seven.

Each computes what PyTorch's composite computes (same values to float rounding, same nan and
-inf behaviour) and states the derivative of that composite. All work on the last dim.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..ops.softmax import _bmax, _bsum, _sum


def _rowsum(x):
    """The sum over the last dim, broadcastable against x (ops.softmax._bsum)."""
    return _bsum(x, np.ndim(x) - 1)


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
            m = _bmax(x, x.ndim - 1)
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
    """H = -sum(p * c) over the last dim, for normalised l, with p = softmax(l) and
    c = clamp(l, min=finfo.min) (a -inf logit contributes 0 * finfo.min = 0).

    p is computed as exp(l) / sum(exp(l)) (no overflow: logsumexp(l) = 0), not as exp(l):
    with large logits l carries the rounding of x - logsumexp(x), which PyTorch's softmax
    renormalises away (float32 logits of -1e4 would move the entropy by 6e-4).

    dL/dl is PyTorch's composite's: with gp = -g c (the gradient reaching p),
    dL/dl = p * (gp - sum(gp * p)) + (-g) * p * 1[l >= finfo.min]; the indicator only
    matters where p = 0, so it is dropped. With sum(p c) = -H this is -g p (1 + c + H), kept
    from forward (a constant, like a mask) for a first-order backward. Like PyTorch's, the
    composite is nan in a row with a -inf logit when |g| > 1 (g * finfo.min overflows, then
    inf * 0), so with a -inf logit present it is evaluated term for term instead.
    """

    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, lg):
        e = np.exp(lg)
        p = e / _rowsum(e)
        ctx.lowest = lowest = _lowest(lg.dtype)
        c = np.maximum(lg, lowest)
        h = _sum(p * c, lg.ndim - 1)[..., 0]  # keepdims: h is then a contiguous array
        np.negative(h, out=h)
        ctx.save_for_backward(lg)
        if ctx.needs_input_grad:  # constants for a first-order backward
            if lg.size and lg.min() == -np.inf:
                ctx.p, ctx.c = p, c
            else:  # -p (1 + c + H), built in place in c
                np.subtract(-1, c, out=c)
                c -= h[..., None]
                c *= p
                ctx.dh = c
        return h

    @staticmethod
    def backward(ctx, g):
        (lg,) = ctx.saved_tensors
        if type(lg) is np.ndarray:
            if "dh" in ctx.__dict__:
                return (g[..., None] * ctx.dh,)
            p, c = ctx.p, ctx.c
        else:  # create_graph: p and c again, as differentiable Tensor ops
            e = np.exp(lg)
            p, c = e / _rowsum(e), np.maximum(lg, ctx.lowest)
        gn = np.expand_dims(-g, -1)
        gp = gn * c
        return (p * (gp - _rowsum(gp * p)) + gn * p,)
