"""The gradient bookkeeping of the recurrent layers' steps (used by ``_rnn_ops.py``).

Gradients of xg: a row slice's usual gradient is a zeros array of xg's full shape, so T steps
would cost O(T^2) memory traffic. Here the steps of one layer share a ``RowGrads``: the first
step whose backward runs in a pass allocates xg's gradient, writes its rows and hands the
array to the engine; later steps of the same pass write their rows into that same array and
return None. ``Collect`` (an identity between xg and the steps) runs after every step that
read xg, so its backward ends the pass and clears the buffer. W_hh's gradient works the same
way (``SumGrads``, ended by ``CollectWeight``), summing the steps' terms with few products.
Under ``create_graph`` none of this is used: rules return ordinary recorded gradients.
"""

from __future__ import annotations

import weakref

import numpy as np

from .. import threads as _threads
from ..autograd.function import Primitive
from ..ops.indexing import index_add_into
from ..ops.linalg import _mm, _mT
from ..tensor import Tensor


class RowGrads:
    """xg's gradient for one backward pass, filled block by block by the steps (see above).

    Held weakly: if a pass stops half way (an exception), the engine drops the array and the
    next pass starts a fresh one even though ``Collect`` never ran."""

    __slots__ = ("ref",)

    def __init__(self) -> None:
        self.ref = None

    def put(self, like: np.ndarray, start: int, stop: int, g: np.ndarray):
        buf = None if self.ref is None else self.ref()
        if buf is None:
            buf = np.zeros(like.shape, like.dtype)
            buf[start:stop] = g
            self.ref = weakref.ref(buf)
            return buf  # the engine holds it until Collect's backward receives it
        buf[start:stop] = g  # steps read disjoint rows: assignment is enough
        return None


def _into_columns(shape: tuple, cols: slice, d):
    """zeros(shape) with d at [:, cols]: the gradient of a column block of a packed state."""
    if isinstance(d, Tensor):
        return index_add_into(shape, (slice(None), cols), d)
    out = np.zeros(shape, d.dtype)
    out[:, cols] = d
    return out


def _rows_grad(ctx, xg, start: int, stop: int, d):
    """The gradient of xg for a step that read xg[start:stop] and got d there."""
    if isinstance(d, Tensor):  # create_graph: a recorded (differentiable) scatter
        return index_add_into(tuple(xg.shape), (slice(start, stop),), d)
    if start == 0 and stop == xg.shape[0]:
        return d
    if ctx.acc is not None:
        return ctx.acc.put(xg, start, stop, d)
    return index_add_into(xg.shape, (slice(start, stop),), d)


class Collect(Primitive):
    """y = x;  dy/dx = 1. Sits between xg and the steps; its backward ends xg's pass."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x, acc):
        ctx.acc = acc
        return x

    @staticmethod
    def backward(ctx, g):
        ctx.acc.ref = None
        return g, None


class SumGrads:
    """W's gradient summed over the steps of one backward pass: the first step to run
    returns its own g^T S (and so reaches the engine); later steps only keep (S, g), and
    ``CollectWeight`` adds them all with a few products of the stacked rows."""

    __slots__ = ("ref", "parts")

    def __init__(self) -> None:
        self.ref, self.parts = None, []

    def put(self, h: np.ndarray, g: np.ndarray):
        first = None if self.ref is None else self.ref()
        if first is None:
            d = _mm(_mT(g), h)
            self.ref, self.parts = weakref.ref(d), []
            return d
        self.parts.append((h, g))
        return None

    def finish(self, g):
        parts, self.parts, self.ref = self.parts, [], None
        if not parts or isinstance(g, Tensor):
            return g
        # Stacked in chunks of at most LARGE multiply-adds: products that size stay on
        # one BLAS thread (threads.py); larger ones would be timed against all cores.
        limit = max(1, _threads.LARGE // (parts[0][0].shape[1] * parts[0][1].shape[1]))
        chunk, rows = [], 0
        for h, q in parts:
            if chunk and rows + h.shape[0] > limit:
                g = g + _stacked_product(chunk)
                chunk, rows = [], 0
            chunk.append((h, q))
            rows += h.shape[0]
        return g + _stacked_product(chunk)


def _stacked_product(parts: list) -> np.ndarray:
    """sum of g_i^T S_i as one product of the stacked rows."""
    if len(parts) == 1:
        return _mm(_mT(parts[0][1]), parts[0][0])
    gs = np.concatenate([q for _, q in parts])
    return _mm(_mT(gs), np.concatenate([h for h, _ in parts]))


# Below this many entries W^T is copied C-ordered: small products run ~25% faster on it
# (8x64 @ 64x256: 4.8 against 6.6 us); for large ones BLAS is as fast on the transposed view
# and the copy is not free (1024x256: 0.27 ms, against 0.17 ms for a 32-row product).
COPY_BELOW = 1 << 16
# From this many steps on, W^T is copied C-ordered (when small: transpose_array) and W's
# gradient summed by SumGrads; for fewer, the copy costs about what the products gain.
COPY_STEPS = 4


def transpose_array(w: np.ndarray, copy: bool) -> np.ndarray:
    """W^T: a C-ordered copy when ``copy`` (many steps will read it) and W is small."""
    return np.ascontiguousarray(_mT(w)) if copy and w.size < COPY_BELOW else _mT(w)


class CollectWeight(Primitive):
    """y = W (W_hh or W_hr as every step of a layer reads it);  dL/dW = g plus the steps'
    pending terms (see SumGrads). Its backward runs after all of those steps'."""

    exact_grads = True

    @staticmethod
    def forward(ctx, w, acc):
        ctx.acc = acc
        ctx.save_for_backward(w)  # the engine's in-place check of W, as for any saved input
        return w.view()  # another object: the engine takes a saved value that is the
        # output itself for the output

    @staticmethod
    def backward(ctx, g):
        return ctx.acc.finish(g), None


class RecurrentProduct(Primitive):
    """P = S[:, :k] W^T (the first k columns of the state source S: the recurrent h of a
    packed [h | c] LSTM state);  dL/dS = [g W | 0],  dL/dW = g^T S[:, :k].
    ``w_t`` is W^T as an array (a constant: see transpose_array), for the forward product."""

    exact_grads = True

    @staticmethod
    def forward(ctx, src, w, k, acc, w_t):
        ctx.k, ctx.acc = k, acc
        ctx.save_for_backward(src, w)
        return _mm(src if src.shape[1] == k else src[:, :k], w_t)

    @staticmethod
    def backward(ctx, g):
        src, w = ctx.saved_tensors
        k = ctx.k
        h = src if src.shape[1] == k else src[:, :k]
        need_s, need_w = ctx.needs_input_grad[:2]
        ds = dw = None
        if need_s:
            ds = _mm(g, w)
            if src.shape[1] != k:
                ds = _into_columns(tuple(src.shape), slice(None, k), ds)
        if need_w:
            if ctx.acc is None or isinstance(g, Tensor):
                dw = _mm(_mT(g), h)
            else:
                dw = ctx.acc.put(h, g)
        return ds, dw, None, None, None
