"""cdist and pdist as PyTorch computes them: their own nodes (CdistBackward0, PdistBackward0),
the p-norm summed over columns in order, PyTorch's subgradients (0 at a zero distance, every
tied coordinate of an inf-norm gets the full gradient), a first-order gradient that refuses to
be differentiated again, and cdist's matmul form for 2-norms over more than 25 rows
(``|a|^2 + |b|^2 - 2 a.b``, clamped at 0, under ViewBackward0 -> EuclideanDistBackward0).
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._shown_graph import no_derivative


def _reduce(d: np.ndarray, p: float) -> np.ndarray:
    """The p-norm over the last axis of |differences| d, summed column by column in order
    (PyTorch's kernel: agg = red(agg, map(|diff|)) per column, then finish(agg)); its
    compiled loops may fuse or vectorize, so the last bit can differ from PyTorch's."""
    if d.shape[-1] == 0:
        return np.zeros(d.shape[:-1], d.dtype)
    if p == math.inf:
        return d.max(-1)
    cols = np.moveaxis(d, -1, 0)
    acc = np.zeros(d.shape[:-1], d.dtype)
    for c in cols:
        acc += (c != 0).astype(d.dtype) if p == 0 else c if p == 1 else c * c if p == 2 \
            else c ** d.dtype.type(p)
    if p == 2:
        return np.sqrt(acc)
    if p in (0, 1):
        return acc
    return (acc.astype(np.float64) ** (1.0 / p)).astype(d.dtype)  # std::pow(agg, 1.0 / p)


def _term(diff: np.ndarray, g: np.ndarray, dist: np.ndarray, p: float) -> np.ndarray:
    """dL/d(diff) of one pair, PyTorch's rules: 2: g diff / dist; 1: g sign(diff);
    inf: g sign(diff) where |diff| = dist; p < 2: sign(diff) |diff|^(p-1) g / dist^(p-1)
    (0 where diff = 0 and p < 1); else diff |diff|^(p-2) g / dist^(p-1); 0 where dist = 0
    (and everywhere for p = 0)."""
    t = diff.dtype.type
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 1:
            return g * np.sign(diff)
        if p == math.inf:
            return g * np.sign(diff) * (np.abs(diff) == dist)
        if p == 2:
            out = g * diff / dist
        elif p < 2:
            out = np.sign(diff) * np.abs(diff) ** t(p - 1) * g / dist ** t(p - 1)
            if p < 1:
                out = np.where(diff == 0, 0, out)
        else:
            out = diff * np.abs(diff) ** t(p - 2) * g / dist ** t(p - 1)
    return np.where(dist == 0, 0, out).astype(diff.dtype, copy=False)


def _rows_grad(a: np.ndarray, b: np.ndarray, g: np.ndarray, dist: np.ndarray, p: float):
    """For each row i of a: the sum over rows j of b, in order, of _term(a_i - b_j, g_ij,
    dist_ij) (PyTorch's _cdist_backward adds them one j at a time; cumsum keeps that order)."""
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + a.shape[-2:]
    if p == 0 or b.shape[-2] == 0:
        return np.zeros(shape, a.dtype)
    terms = _term(a[..., :, None, :] - b[..., None, :, :], g[..., None], dist[..., None], p)
    return np.cumsum(terms, axis=-2)[..., -1, :]


# A create_graph gradient's value, recorded as depending on the incoming gradient, the inputs
# and the result (PyTorch's edges); differentiating it raises PyTorch's error.
_CdistTwice = no_derivative("CdistBackwardBackward0", "_cdist_backward")
_PdistTwice = no_derivative("PdistBackwardBackward0", "_pdist_backward")


def _no_half(op: str, x: np.ndarray, work: int) -> None:
    # PyTorch's CPU distance kernels have no half version (empty results never reach them)
    if work and x.dtype == np.float16:
        raise NotImplementedError(f'"{op}" not implemented for \'Half\'')


def _arr(t):
    return t._data if isinstance(t, Tensor) else t


class Cdist(Primitive):
    """d_ij = ||x1_i - x2_j||_p;  dL/dx1_i = sum_j term(x1_i - x2_j, g_ij, d_ij),
    dL/dx2_j = sum_i term(x2_j - x1_i, g_ij, d_ij) (term: see _term)."""

    node_name = "CdistBackward0"

    @staticmethod
    def forward(ctx, x1, x2, p):
        _no_half("cdist", x1, x1.shape[-2] * x2.shape[-2] * x1.shape[-1]
                 * math.prod(np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])))
        d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
        out = _reduce(d, p)
        ctx.save_for_backward(x1, x2, out)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, g):
        x1, x2, out = ctx.saved_tensors
        ga, a, b, dist = (_arr(t) for t in (g, x1, x2, out))
        need1, need2 = ctx.needs_input_grad[:2]
        g1 = _rows_grad(a, b, ga, dist, ctx.p) if need1 else None
        g2 = _rows_grad(b, a, np.swapaxes(ga, -1, -2), np.swapaxes(dist, -1, -2),
                        ctx.p) if need2 else None
        if isinstance(g, Tensor):  # create_graph: the same numbers, refusing a second order
            from ._shown_graph import as_node

            # PyTorch's x2 rule reads result.mT().contiguous(), a CloneBackward0
            return (None if g1 is None else _CdistTwice.apply(g, x1, x2, out, g1),
                    None if g2 is None else _CdistTwice.apply(g, x2, x1,
                                                              as_node(out, "CloneBackward0"), g2),
                    None)
        return g1, g2, None


class Pdist(Primitive):
    """d_k = ||x_i - x_j||_p over pairs k = (i < j) in row-major order;
    dL/dx_r = sum over k != r, in order, of term(x_r - x_k, g_rk, d_rk) (PyTorch subtracts
    the pair's term from row j and adds it to row i; term is odd in the difference)."""

    node_name = "PdistBackward0"

    @staticmethod
    def forward(ctx, x, p):
        _no_half("pdist", x, (x.shape[0] > 1) * x.shape[1])
        i, j = np.triu_indices(x.shape[0], 1)
        out = _reduce(np.abs(x[i] - x[j]), p)
        ctx.save_for_backward(x, out)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        a, ga, dist = _arr(x), _arr(g), _arr(out)
        n = a.shape[0]
        i, j = np.triu_indices(n, 1)
        full_g = np.zeros((n, n), a.dtype)
        full_d = np.zeros((n, n), a.dtype)
        full_g[i, j] = full_g[j, i] = ga
        full_d[i, j] = full_d[j, i] = dist
        gx = _rows_grad(a, a, full_g, full_d, ctx.p)
        if isinstance(g, Tensor):
            return _PdistTwice.apply(g, x, out, None, gx), None
        return gx, None


class EuclideanDist(Primitive):
    """d = sqrt(max(0, [-2 x1, |x1|^2, 1] @ [x2, 1, |x2|^2]^T)) (PyTorch's matmul form);
    with r = g / d (0 where d = 0):  dL/dx1 = x1 * sum_j r - r @ x2,
    dL/dx2 = x2 * sum_i r - r^T @ x1 (written on arrays or Tensors, so it differentiates)."""

    @staticmethod
    def forward(ctx, x1, x2):
        n1 = (x1 ** 2).sum(-1, keepdims=True)
        n2 = (x2 ** 2).sum(-1, keepdims=True)
        a = np.concatenate([x1 * x1.dtype.type(-2), n1, np.ones_like(n1)], -1)
        b = np.concatenate([x2, np.ones_like(n2), n2], -1)
        out = np.sqrt(np.maximum(a @ np.swapaxes(b, -1, -2), 0))
        ctx.save_for_backward(x1, x2, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x1, x2, out = ctx.saved_tensors
        if isinstance(g, Tensor):
            r = (g / out).masked_fill(out == 0, 0)
            return (x1 * r.sum(-1, keepdim=True) - r @ x2,
                    x2 * r.sum(-2).unsqueeze(-1) - r.mT @ x1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(out == 0, 0, g / out).astype(g.dtype, copy=False)
        return (x1 * r.sum(-1, keepdims=True) - r @ x2,
                x2 * r.sum(-2)[..., None] - np.swapaxes(r, -1, -2) @ x1)
