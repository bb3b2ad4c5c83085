"""torch.linalg's factorizations with several outputs: eigh, svd, qr.

A primitive has one output, so each packs its results into one array (``pack``: flattened
side by side along the last axis); the public functions slice them back out, and a gradient
reaching any of them arrives at the rule as one packed gradient (zeros for unused results).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from . import _linalg_common as C
from ._linalg_common import mT


def _zero(x) -> bool:
    """Whether a gradient piece is all zeros (its result was not used)."""
    data = x if type(x) is np.ndarray else x._data
    return not data.any()


class Eigh(Primitive):
    """A = V diag(w) V^T (w ascending);  with E_ij = w_j - w_i (1 on the diagonal) and
    K = (V^T gV - (V^T gV)^T) / 2:  dL/dA = V (K / E + diag(gw)) V^T."""

    node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        ctx.n = a.shape[-1]
        out = C.pack(v, w[..., None, :])
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        n = ctx.n
        batch = tuple(np.shape(out)[:-1])
        v, w = C.unpack(out, batch, ((n, n), (n,)))
        gv, gw = C.unpack(g, batch, ((n, n), (n,)))
        inner = C.diag_embed(gw, n)
        if not _zero(gv):
            vtg = np.matmul(mT(v), gv)
            e = np.expand_dims(w, -2) - np.expand_dims(w, -1) + np.eye(n, dtype=C.np_dtype(out))
            inner = inner + (vtg - mT(vtg)) * 0.5 / e
        return np.matmul(v, np.matmul(inner, mT(v))), None


class Svd(Primitive):
    """A = U diag(S) Vh, k = min(m, n) (full_matrices: the extra columns of U and rows of Vh
    get no gradient, as in PyTorch).  With E_ij = S_j^2 - S_i^2 (1 on the diagonal),
    J = U^T gU - (U^T gU)^T,  K = Vh gVh^T - (Vh gVh^T)^T:
    dL/dA = U [(J S + S K) / E + diag(gS)] Vh
            + (I - U U^T) gU S^-1 Vh  (m > n)  +  U S^-1 gVh (I - Vh^T Vh)  (m < n)."""

    node_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, a, full):
        u, s, vh = np.linalg.svd(a, full_matrices=full)
        ctx.shapes = (u.shape[-2:], s.shape[-1:], vh.shape[-2:])
        out = C.pack(u, s[..., None, :], vh)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        batch = tuple(np.shape(out)[:-1])
        u, s, vh = C.unpack(out, batch, ctx.shapes)
        gu, gs, gvh = C.unpack(g, batch, ctx.shapes)
        k = ctx.shapes[1][0]
        m, n = ctx.shapes[0][0], ctx.shapes[2][1]
        u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
        has_u, has_v = not _zero(gu), not _zero(gvh)
        if not has_u and not has_v:
            return np.matmul(u * np.expand_dims(gs, -2), vh), None
        s_row, s_col = np.expand_dims(s, -2), np.expand_dims(s, -1)
        s2 = s * s
        e = np.expand_dims(s2, -2) - np.expand_dims(s2, -1) + np.eye(k, dtype=C.np_dtype(out))
        inner = C.diag_embed(gs, k)
        if has_u:
            j = np.matmul(mT(u), gu)
            inner = inner + (j - mT(j)) * s_row / e
        if has_v:
            kk = np.matmul(vh, mT(gvh))
            inner = inner + s_col * (kk - mT(kk)) / e
        if m > n and has_u:
            gus = gu / s_row
            ga = np.matmul(u, inner) + gus - np.matmul(u, np.matmul(mT(u), gus))
            return np.matmul(ga, vh), None
        if m < n and has_v:
            sgv = gvh / s_col
            ga = np.matmul(inner, vh) + sgv - np.matmul(np.matmul(sgv, mT(vh)), vh)
            return np.matmul(u, ga), None
        return np.matmul(u, np.matmul(inner, vh)), None


QR_R_ONLY = ("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
             "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
             "through linalg.qr.")
QR_COMPLETE = ("The QR decomposition is not differentiable when mode='complete' and "
               "nrows > ncols.")


def _qr_square_grad(q, r, gq, gr):
    """m >= n: with M = gR R^T - Q^T gQ and N its upper triangle mirrored (symmetric),
    dL/dA = (gQ + Q N) R^-T."""
    from .linalg_solve import _tri_solve

    mm = np.matmul(gr, mT(r)) - np.matmul(mT(q), gq)
    nn = C.triu(mm) + mT(C.triu(mm, 1))
    b = gq + np.matmul(q, nn)
    return _tri_solve(mT(r), b, False, False)  # B R^-T: X R^T = B, R^T lower


class Qr(Primitive):
    """A = Q R.  m >= n:  dL/dA = (gQ + Q N) R^-T (see _qr_square_grad).
    m < n, A = [X | Y], R = [R1 | R2]:  dL/dY = Q gR2,  dL/dX = the square rule with
    gQ + Y gR2^T and gR1."""

    node_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, a, mode):
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        if mode == "r":
            q = np.zeros(a.shape[:-2] + (0, 0), a.dtype)
        ctx.shapes, ctx.mode = (q.shape[-2:], r.shape[-2:]), mode
        out = C.pack(q, r)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        (m, k), (_, n) = ctx.shapes[0], ctx.shapes[1]
        if ctx.mode == "r":
            raise RuntimeError(QR_R_ONLY)
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(QR_COMPLETE)
        batch = tuple(np.shape(out)[:-1])
        q, r = C.unpack(out, batch, ctx.shapes)
        gq, gr = C.unpack(g, batch, ctx.shapes)
        if m >= n:
            return _qr_square_grad(q, r, gq, gr), None
        y, r1, r2 = a[..., :, m:], r[..., :, :m], r[..., :, m:]
        gr1, gr2 = gr[..., :, :m], gr[..., :, m:]
        gx = _qr_square_grad(q, r1, gq + np.matmul(y, mT(gr2)), gr1)
        gy = np.matmul(q, gr2)
        return np.concatenate([gx, gy], axis=-1), None
