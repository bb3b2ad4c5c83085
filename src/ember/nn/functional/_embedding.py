"""embedding: rows of a weight table picked by integer indices (``F.embedding``)."""

from __future__ import annotations

import numpy as np

from ...autograd._inference import refuse_saved_index
from ...autograd.function import Primitive
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor

_INDEX_NAMES = {np.dtype(np.float32): "Float", np.dtype(np.float64): "Double",
                np.dtype(np.float16): "Half", np.dtype(np.int16): "Short",
                np.dtype(np.int8): "Char", np.dtype(np.uint8): "Byte", np.dtype(np.bool_): "Bool"}


class Embedding(Primitive):
    """y[..., :] = W[i[...], :];  dL/dW[r] = sum of g[...] over the positions where i == r
    (a scatter-add of gradient rows), 0 for the padding row; each row's sum is divided by the
    number of times r occurs when ``scale_grad_by_freq``. Indices get no gradient."""

    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq):
        ctx.idx, ctx.rows = idx, weight.shape[0]
        ctx.padding_idx, ctx.scale = padding_idx, scale_grad_by_freq
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        args = (ctx.idx, ctx.rows, ctx.padding_idx, ctx.scale)
        if isinstance(g, Tensor):  # create_graph: record the scatter, itself differentiable
            return EmbeddingDenseBackward.apply(g, *args), None, None, None
        return _scatter_rows(g, *args), None, None, None


def _row_scale(idx, rows, dtype):
    """1 / (occurrences of each position's index): scale_grad_by_freq's factor."""
    counts = np.bincount(idx, minlength=rows)
    return (1.0 / counts[idx]).astype(dtype)[:, None]


def _scatter_rows(g, idx, rows, padding_idx, scale):
    idx = idx.reshape(-1)
    grows = g.reshape(idx.size, -1)
    if scale:
        grows = grows * _row_scale(idx, rows, g.dtype)
    gw = np.zeros((rows, grows.shape[1]), dtype=g.dtype)
    np.add.at(gw, idx, grows)
    if padding_idx is not None:
        gw[padding_idx] = 0
    return gw


class EmbeddingDenseBackward(Primitive):
    """G = scatter_add(g rows at i) (the embedding's weight gradient, linear in g);
    dL/dg[...] = gG[i[...]] (times the row scale), 0 where i is the padding row."""

    @staticmethod
    def forward(ctx, g, idx, rows, padding_idx, scale):
        ctx.args = (idx, rows, padding_idx, scale)
        return _scatter_rows(g, idx, rows, padding_idx, scale)

    @staticmethod
    def backward(ctx, gg):
        idx, rows, padding_idx, scale = ctx.args
        if isinstance(gg, Tensor):
            gg = gg._data  # third order: not recorded
        out = gg[idx]
        if padding_idx is not None:
            out[idx == padding_idx] = 0
        if scale:
            out = out * _row_scale(idx.reshape(-1), rows, gg.dtype).reshape(idx.shape + (1,))
        return out, None, None, None, None


def _check_indices(idx: np.ndarray, rows: int, renorm_cols: int | None = None) -> np.ndarray:
    """PyTorch's checks (with max_norm, embedding_renorm_'s, which run first)."""
    renorm = renorm_cols is not None
    if idx.dtype not in (np.int64, np.int32):
        name = _INDEX_NAMES.get(idx.dtype, str(idx.dtype))
        name = "CPUBoolType" if idx.dtype == np.bool_ else f"torch.{name}Tensor"
        arg, fn = ("#2", "embedding_renorm_") if renorm else ("#1", "embedding")
        raise RuntimeError(f"Expected tensor for argument {arg} 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {name} instead (while "
                           f"checking arguments for {fn})")
    if renorm and idx.size and (idx.min() < -rows or idx.max() >= rows):
        # the first out of range in sorted order
        bad = idx.min() if idx.min() < -rows else idx[idx >= rows].min()
        raise IndexError(f"select(): index {bad} out of range for tensor of size [{rows}, "
                         f"{renorm_cols}] at dimension 0")
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"index out of range in self\nHint: the table has {rows} rows, so "
                         f"indices must lie in [0, {rows - 1}] (got {bad}); make "
                         "num_embeddings larger than the largest index (the vocabulary size).")
    return idx.astype(np.intp, copy=False)


def _renorm_rows(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale (in place, untracked) each referenced row whose norm exceeds max_norm."""
    with no_grad():
        w = weight._ensure_array()
        rows = np.unique(idx)
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        big = norms > max_norm
        if big.any():
            scale = max_norm / (norms[big] + 1e-7)
            w[rows[big]] *= scale[:, None].astype(w.dtype)
            weight._bump()


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, dim) at the integer ``input`` positions.

    ``padding_idx``'s row receives no gradient. ``max_norm`` rescales, in place, the rows
    looked up whose ``norm_type``-norm exceeds it. ``sparse`` gradients are not supported:
    the gradient is always dense (the same values).
    """
    try:
        weight._data, input._data
    except AttributeError:  # torch.embedding(weight, indices)'s refusal of a non-Tensor
        arg, pos, name = (weight, 1, "weight") if not isinstance(weight, Tensor) else (
            input, 2, "indices")
        from ..._typename import arg_type_name

        raise TypeError(f"embedding(): argument '{name}' (position {pos}) must be Tensor, "
                        f"not {arg_type_name(arg)}") from None
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= rows
    idx = _check_indices(np.asarray(input._data), rows,
                         None if max_norm is None else weight.shape[1])
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    if weight._rg and input._vc is not None:  # (inference indices: PyTorch's error)
        refuse_saved_index(input)
    return Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq)
