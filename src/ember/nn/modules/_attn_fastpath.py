"""Where PyTorch runs self-attention on its fused inference kernels (the "fast path" of
nn.MultiheadAttention and nn.TransformerEncoderLayer: inference, batch_first, an even number
of heads, nothing recording gradients) and the one place their result differs from the
composite path: a query row whose merged mask hides every key. The composite path's safe
softmax gives that row zero weights; the fused kernels take a plain softmax over scores that
are all -inf, so the row comes out NaN, and in a stack of layers the NaN rows then spoil every
row that reads them as keys (a zero weight times a NaN value). ember computes the composite
result and marks those rows NaN where PyTorch would have taken the fast path."""

from __future__ import annotations

import numpy as np

from ...autograd import grad_mode
from ...tensor import Tensor


def _needs_grad(tensors) -> bool:
    return grad_mode.is_grad_enabled() and any(
        t is not None and t.requires_grad for t in tensors)


def _is_float(mask) -> bool:
    return mask is not None and np.issubdtype(mask._data.dtype, np.floating)


def _hidden_rows(attn_mask, key_padding_mask, n: int, heads: int, length: int):
    """(N, L) bool: query rows for which PyTorch's merged mask (attn_mask expanded to
    (N, H, L, S) plus key_padding_mask as (N, 1, 1, S), both already additive floats) is -inf
    at every key in some head; None when no row is."""
    if attn_mask is None and key_padding_mask is None:
        return None
    merged = np.zeros((1, 1, 1, 1))
    if attn_mask is not None:
        a = attn_mask._data
        merged = a.reshape(n, -1, length, a.shape[-1]) if a.ndim == 3 else a[None, None]
    if key_padding_mask is not None:
        k = key_padding_mask._data
        merged = merged + k.reshape(n, 1, 1, k.shape[-1])
    hidden = np.isneginf(merged).all(axis=-1).any(axis=1)
    if not hidden.any():
        return None
    return np.broadcast_to(hidden, (n, length))


def _fill_rows(out: Tensor, rows) -> Tensor:
    """out (N, L, E) with the rows marked in rows (N, L) set to NaN."""
    if rows is None:
        return out
    return out.masked_fill(Tensor._make(np.ascontiguousarray(rows)[:, :, None], False, None),
                           float("nan"))


def mha_nan_rows(mha, query, key, value, key_padding_mask, attn_mask, need_weights,
                 float_masks: bool):
    """The (N, L) rows PyTorch's torch._native_multi_head_attention gives as NaN for this
    call of ``mha`` (masks already canonical; ``float_masks``: whether the caller passed a
    floating-point mask, which keeps PyTorch off the fast path); None when it would not take
    the fast path or no row is hidden. With need_weights the fused kernel softmaxes safely."""
    if (float_masks or need_weights or query.dim() != 3 or query is not key
            or key is not value or mha.training or mha.num_heads % 2
            or not mha.batch_first or mha.bias_k is not None or mha.bias_v is not None
            or mha.add_zero_attn or not mha._qkv_same_embed_dim
            or mha.in_proj_bias is None):
        return None
    if query.dtype != mha.in_proj_weight.dtype or query.dtype != mha.in_proj_bias.dtype:
        return None
    if _needs_grad((query, mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight,
                    mha.out_proj.bias)):
        return None
    n, length = query.shape[0], query.shape[1]
    return _hidden_rows(attn_mask, key_padding_mask, n, mha.num_heads, length)


def encoder_layer_nan_rows(layer, src, src_mask, src_key_padding_mask):
    """The (N, S) rows PyTorch's torch._transformer_encoder_layer_fwd gives as NaN for this
    TransformerEncoderLayer call (masks already canonical); None off its fast path."""
    attn = layer.self_attn
    if (src.dim() != 3 or layer.training or not attn.batch_first
            or attn.in_proj_bias is None or not attn._qkv_same_embed_dim
            or not layer.activation_relu_or_gelu or layer.norm1.eps != layer.norm2.eps
            or attn.num_heads % 2):
        return None
    if any(m._forward_hooks or m._forward_pre_hooks for m in layer.modules()):
        return None
    if _needs_grad((src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight,
                    attn.out_proj.bias, layer.norm1.weight, layer.norm1.bias,
                    layer.norm2.weight, layer.norm2.bias, layer.linear1.weight,
                    layer.linear1.bias, layer.linear2.weight, layer.linear2.bias)):
        return None
    n, length = src.shape[0], src.shape[1]
    return _hidden_rows(src_mask, src_key_padding_mask, n, attn.num_heads, length)
