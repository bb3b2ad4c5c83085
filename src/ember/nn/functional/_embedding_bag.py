"""embedding_bag: the sum, mean or max of the embedding rows of each bag of indices.

First order only, as PyTorch: a ``create_graph=True`` backward through it gives gradients
that raise when differentiated again.
"""

from __future__ import annotations

import numpy as np

from ..._warn import warn
from ...autograd.function import Primitive
from ...ops._shown_graph import no_derivative
from ...tensor import Tensor
from ._embedding import _INDEX_NAMES, _renorm_rows


class EmbeddingBag(Primitive):
    """out[j] = reduce over the bag's kept entries p of rows[p], rows[p] = W[i_p] (* a_p,
    per-sample weights, sum mode), entries equal to padding_idx dropped; an empty bag gives
    zeros. With g = dL/dout:
        sum:  dL/dW[r] = sum over p with i_p = r of a_p g[bag(p)],  dL/da_p = g[bag(p)] . W[i_p]
        mean: dL/dW[r] = sum over p with i_p = r of g[bag(p)] / count(bag(p))
        max:  dL/dW[r, d] = sum of g[j, d] over the bags j whose maximum in column d is row r
    The sum and mean rules scale each g[bag(p)] by one factor s_p = a_p / count(bag(p)),
    formed in double precision and rounded to g's dtype (PyTorch's axpy per entry). With
    scale_grad_by_freq, s_p is also divided by freq(r), the frequency PyTorch's CPU kernel
    takes for r: with u_0 < u_1 < ... the distinct indices and i_(0) <= i_(1) <= ... all the
    indices sorted, row u_k is divided by the count of i_(k) (not of u_k itself: a mix-up in
    that kernel that ember reproduces; see _kernel_freq).
    """

    @staticmethod
    def forward(ctx, weight, psw, idx, bag, nbags, mode, scale):
        # idx, bag: the kept entries (padding dropped); psw: their per-sample weights.
        rows = weight[idx]
        if psw is not None:
            rows = rows * psw[:, None]
        counts = np.bincount(bag, minlength=nbags)
        out = np.zeros((nbags, weight.shape[1]), dtype=rows.dtype)
        if mode == "max":
            out[:] = -np.inf
            np.maximum.at(out, bag, rows)
            out[counts == 0] = 0
            # The first entry of each bag reaching its maximum, per column.
            pos = np.where(rows == out[bag], np.arange(idx.size)[:, None], idx.size)
            first = np.full(out.shape, idx.size)
            np.minimum.at(first, bag, pos)
            ctx.first = first
        else:
            np.add.at(out, bag, rows)
            if mode == "mean":
                out /= np.maximum(counts, 1)[:, None].astype(out.dtype)
        ctx.save_for_backward(weight, psw)
        ctx.geom = (idx, bag, counts, mode, scale)
        return out.astype(weight.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        weight, psw = ctx.saved_tensors
        if isinstance(g, Tensor):  # create_graph: the same numbers, under a node that refuses
            got = _grads_at(ctx, g._data, weight._data, None if psw is None else psw._data)
            return tuple(_NotTwice.apply(g, a) if isinstance(a, np.ndarray) else a
                         for a in got)
        return _grads_at(ctx, g, weight, psw)


# A gradient embedding_bag computed with create_graph=True: it records the dependence on
# the incoming gradient, and differentiating it again raises PyTorch's error.
_NotTwice = no_derivative("EmbeddingBagBackwardBackward0", "_embedding_bag_backward")


def _grads_at(ctx, g, weight, psw):
    """EmbeddingBag's rule on arrays."""
    idx, bag, counts, mode, scale = ctx.geom
    need_w, need_p = ctx.needs_input_grad[:2]
    gw = gp = None
    if need_w:
        gw = np.zeros(weight.shape, dtype=g.dtype)
        if mode == "max":
            full = np.nonzero(counts)[0]
            sel = ctx.first[full]
            cols = np.broadcast_to(np.arange(weight.shape[1]), sel.shape)
            np.add.at(gw, (idx[sel], cols), g[full])
        else:
            part = g[bag]
            if mode == "mean" or psw is not None or scale is not None:
                s = np.ones(idx.size) if psw is None else psw.astype(np.float64)
                if scale is not None:
                    s /= scale[idx]
                if mode == "mean":
                    s /= counts[bag]
                part = part * s.astype(g.dtype)[:, None]
            np.add.at(gw, idx, part)
    if need_p:
        gp = np.einsum("pd,pd->p", g[bag], weight[idx])
    return gw, gp, None, None, None, None, None


def _kernel_freq(flat: np.ndarray, rows: int) -> np.ndarray:
    """scale_grad_by_freq's divisor for each row, as PyTorch's CPU embedding_bag backward
    takes it: it walks the sorted indices by groups of equal values and, for the k-th group
    (row u_k), reads the count of sorted[k] where it means the count of u_k. So the rows get
    their own frequency only while the first indices are distinct, e.g. [3, 1, 2, 2] divides
    row 3 by 2 (the count of sorted[2] = 2). ``flat``: every index of the input, padding
    entries included (the kernel counts them)."""
    ordered = np.sort(flat.astype(np.int64, copy=False))
    counts = np.bincount(ordered, minlength=rows)
    uniq = np.unique(ordered)
    freq = np.ones(rows)
    freq[uniq] = counts[ordered[:uniq.size]]
    return freq


class _PickKept(Primitive):
    """y = a[keep] (the per-sample weights of the entries kept);  dL/da = g at keep, else 0."""

    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, keep):
        ctx.keep, ctx.n = keep, a.shape[0]
        return a[keep]

    @staticmethod
    def backward(ctx, g):
        out = (g.new_zeros if isinstance(g, Tensor) else np.zeros)((ctx.n,), dtype=g.dtype)
        out[ctx.keep] = g
        return out, None


def _bags(input: Tensor, offsets: Tensor | None, include_last_offset: bool):
    """Flat indices and each one's bag number, and the number of bags."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {_type_str(offsets)}")
        b, n = input.shape
        return input._data.reshape(-1), np.repeat(np.arange(b), n), b
    if input.dim() != 1:
        raise ValueError("input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    # PyTorch promotes indices and offsets to one dtype, then checks that it is Long or Int
    kinds = [d for d in (input._data.dtype, offsets._data.dtype) if d.kind in "fc"]
    flat = input._data.astype(np.result_type(*kinds) if kinds else
                              np.result_type(input._data, offsets._data), copy=False)
    _check_dtype(flat.dtype)
    off = np.asarray(offsets._data, dtype=np.int64)
    n = input.shape[0]
    if off.size and off[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the "
                           f"mini-batch has to start from position 0. However, got {off[0]}")
    if off.size and off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got "
                           f"offsets[-1] of {off[-1]}")
    nbags = off.size - 1 if include_last_offset else off.size
    # Entry p belongs to the last bag starting at or before p (entries past a last offset
    # below len(input) stay in the last bag: PyTorch's kernels disagree there)
    bag = np.searchsorted(off[:nbags], np.arange(n), side="right") - 1
    return flat, bag, nbags


def _type_str(t) -> str:
    return "<class 'torch.Tensor'>" if isinstance(t, Tensor) else str(type(t))


def _check_dtype(dtype: np.dtype) -> None:
    if dtype not in (np.int64, np.int32):
        name = _INDEX_NAMES.get(dtype, str(dtype))
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got torch."
                           f"{name}Tensor instead (while checking arguments for embedding_bag)")


def _check(idx: np.ndarray, rows: int) -> np.ndarray:
    _check_dtype(idx.dtype)
    bad = np.nonzero((idx < 0) | (idx >= rows))[0]
    if bad.size:
        raise RuntimeError(f"Index {bad[0]} of input takes value {idx[bad[0]]} which is not in "
                           f"the valid range [0, {rows})")
    return idx.astype(np.intp, copy=False)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """The sum/mean/max of the embedding rows in each bag: the rows of a 2-D ``input``, or
    ``input[offsets[j]:offsets[j+1]]`` of a 1-D one. Entries equal to ``padding_idx`` are left
    out (of the mean's count too). Gradients are dense even with ``sparse=True``."""
    if isinstance(weight, Tensor) and isinstance(input, Tensor) and \
            weight._data.dtype == np.int64 and input._data.dtype.kind == "f":
        warn("Argument order of nn.functional.embedding_bag was changed. Usage "
             "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
             "`embedding_bag(input, weight, ...)`.")
        input, weight = weight, input  # the old order, as PyTorch still accepts it
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    if per_sample_weights is not None and per_sample_weights.shape != input.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape!r})"
                         " is not None, then it must have the same shape as the input "
                         f"({input.shape!r})")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{rows} "
                               f"through {rows - 1}, but got {padding_idx}")
        padding_idx %= rows
    if scale_grad_by_freq and mode == "max":
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    flat, bag, nbags = _bags(input, offsets, include_last_offset)
    idx = _check(flat, rows)
    freq = _kernel_freq(idx, rows) if scale_grad_by_freq and idx.size else None
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    if padding_idx is not None:
        keep = idx != padding_idx
        idx, bag = idx[keep], bag[keep]
        if psw is not None:
            psw = _PickKept.apply(psw, keep)
    return EmbeddingBag.apply(weight, psw, idx, bag, nbags, mode, freq)
