"""F.multi_head_attention_forward: PyTorch's functional multi-head attention, as a composite of
ember ops (the projections, per-head scaled dot products, softmax and output projection that
nn.MultiheadAttention computes), with bias_k/bias_v, add_zero_attn and static keys/values.

With ``need_weights`` the weights are softmax(q k^T / sqrt(d) + mask) and are returned; without,
PyTorch goes through ``scaled_dot_product_attention``, whose one difference is that a row with
every key masked gives zero weights instead of nan: ember computes the same products with that
rule (float32 / float64), or calls its scaled_dot_product_attention (float16, whose CPU kernel
works in float32 and rounds once). As PyTorch, inputs that are the same tensor share one packed
in-projection product.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import ops
from ...tensor import Tensor
from ._misc import dropout as _dropout
from ._misc import pad as _pad


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the input is batched; PyTorch's assertions for inconsistent dimensions."""
    qd = query.dim()
    if qd not in (2, 3):
        raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                             f"{qd}-D query tensor")
    kind = "batched (3-D)" if qd == 3 else "unbatched (2-D)"
    if key.dim() != qd or value.dim() != qd:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {qd}-D but "
                             f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != qd - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{qd - 1}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D "
                                 f"or 3-D but found {attn_mask.dim()}-D tensor instead")
        want = (num_heads, query.shape[0], key.shape[0])
        if qd == 2 and attn_mask.dim() == 3 and tuple(attn_mask.shape) != want:
            raise AssertionError(f"Expected `attn_mask` shape to be {want} but got "
                                 f"{attn_mask.shape}")
    return qd == 3


def _additive(mask: Tensor, dtype) -> Tensor:
    if mask._data.dtype == np.bool_:
        return Tensor._make(np.where(mask._data, -np.inf, 0.0).astype(dtype), False, None)
    return mask


def _canonical_mask(mask, name: str, other, other_name: str, dtype):
    """A bool mask as an additive float mask (-inf where True); float masks as they are."""
    if mask is None:
        return None
    kind = mask._data.dtype
    if kind != np.bool_ and kind.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if other is not None and other._data.dtype != kind:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same "
                      "type for both instead.", stacklevel=3)
    return _additive(mask, dtype) if kind == np.bool_ else mask


def _head_dim(embed_dim: int, embed_dim_to_check: int, num_heads: int) -> int:
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    return head_dim


def _separate_shapes(E: int, key: Tensor, value: Tensor, ws: tuple, bs: tuple) -> None:
    names = ("query", "key", "value")
    want = ((E, E), (E, key.shape[-1]), (E, value.shape[-1]))
    for name, w, shape in zip(names, ws, want):
        if tuple(w.shape) != shape:
            raise AssertionError(f"expecting {name} weights shape of {shape}, but got "
                                 f"{w.shape}")
    for name, b in zip(names, bs):
        if b is not None and tuple(b.shape) != (E,):
            raise AssertionError(f"expecting {name} bias shape of {(E,)}, but got {b.shape}")


def _projections(query, key, value, in_proj_weight, in_proj_bias, separate: bool, ws: tuple):
    """q, k, v: the inputs through their (E, E_in) projections."""
    E = query.shape[-1]
    if separate:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
        for name, w in zip("qkv", ws):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     "is None")
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape "
                                 f"{value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        ws = (in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:])
    bs = (None,) * 3 if in_proj_bias is None else \
        (in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:])
    if separate:
        _separate_shapes(E, key, value, ws, bs)
    elif key is value:  # PyTorch's packed projections: one product for q, k, v (self-
        # attention) or for k, v (one source): BLAS sums a wider product in its own order
        if query is key:
            qkv = _project(query, in_proj_weight, in_proj_bias)
            return qkv[..., :E], qkv[..., E:2 * E], qkv[..., 2 * E:]
        b_kv = None if in_proj_bias is None else in_proj_bias[E:]
        kv = _project(key, in_proj_weight[E:], b_kv)
        return _project(query, ws[0], bs[0]), kv[..., :E], kv[..., E:]
    return tuple(_project(x, w, b) for x, w, b in zip((query, key, value), ws, bs))


def _project(x: Tensor, w: Tensor, b) -> Tensor:
    """x @ w^T + b. A float16 (S, N, E) input is folded to (S N, E) first, as PyTorch's linear
    does: one product accumulated in float32 and rounded to half once (a batched product sums
    in another order: its float32 last bits, rounded to half, move ~1% of the entries)."""
    if x._data.dtype == np.float16 and x.dim() == 3:
        y = ops.linear(x.reshape(-1, x.shape[-1]), w, b)
        return y.reshape(x.shape[0], x.shape[1], y.shape[-1])
    return ops.linear(x, w, b)


def _shaped_mask(mask, tgt_len: int, src_len: int, batch_heads: int):
    """attn_mask checked against (L, S) or (N H, L, S), as (1 or N H, L, S)."""
    if mask is None:
        return None
    if mask.dim() == 2:
        if tuple(mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {mask.shape}, but should be "
                               f"{(tgt_len, src_len)}.")
        return mask.unsqueeze(0)
    if mask.dim() == 3:
        if tuple(mask.shape) != (batch_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {mask.shape}, but should be "
                               f"{(batch_heads, tgt_len, src_len)}.")
        return mask
    raise RuntimeError(f"attn_mask's dimension {mask.dim()} is not supported")


def _padded(mask):
    return None if mask is None else _pad(mask, (0, 1))


def _with_bias_kv(k, v, bias_k, bias_v, static_k, static_v, masks: tuple, bsz: int):
    """k and v with the learned bias row appended to the sequence (masks grow a column)."""
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = ops.cat([k, bias_k.repeat(1, bsz, 1)])
        v = ops.cat([v, bias_v.repeat(1, bsz, 1)])
        return k, v, tuple(_padded(m) for m in masks)
    if bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    if bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    return k, v, masks


def _heads(x: Tensor, static, name: str, batch_heads: int, head_dim: int) -> Tensor:
    """(S, N, E) -> (N H, S, head_dim), or the given static_k / static_v, checked."""
    if static is None:
        return x.reshape(x.shape[0], batch_heads, head_dim).transpose(0, 1)
    for i, want in ((0, batch_heads), (2, head_dim)):
        if static.shape[i] != want:
            raise AssertionError(f"expecting static_{name}.size({i}) of {want}, but got "
                                 f"{static.shape[i]}")
    return static


def _zero_attn(k: Tensor, v: Tensor, masks: tuple):
    """One all-zero key and value appended to every head's sequence."""
    zeros_k = Tensor._make(np.zeros((k.shape[0], 1, k.shape[2]), k._data.dtype), False, None)
    zeros_v = Tensor._make(np.zeros((v.shape[0], 1, v.shape[2]), v._data.dtype), False, None)
    return (ops.cat([k, zeros_k], 1), ops.cat([v, zeros_v], 1),
            tuple(_padded(m) for m in masks))


def _merge_padding(attn_mask, key_padding_mask, bsz: int, num_heads: int, src_len: int):
    if key_padding_mask is None:
        return attn_mask
    for i, want in enumerate((bsz, src_len)):
        if key_padding_mask.shape[i] != want:
            raise AssertionError(f"Expected key_padded_mask.shape[{i}] to be {want}, but got "
                                 f"{key_padding_mask.shape[i]}")
    pad = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
    pad = pad.reshape(bsz * num_heads, 1, src_len)
    return pad if attn_mask is None else attn_mask + pad


def _weights(q, k, attn_mask, dropout_p: float, safe: bool):
    """softmax(q k^T / sqrt(d) + mask), dropped out. ``safe``: a row whose every key is
    masked gets zero weights (scaled_dot_product_attention's rule), not softmax's nan."""
    scores = ops.bmm(q * math.sqrt(1.0 / float(q.shape[-1])), k.transpose(-2, -1))
    if attn_mask is not None:
        scores = scores + attn_mask
    dead = np.all(np.isneginf(scores._data), -1, keepdims=True) if safe and \
        attn_mask is not None else None
    if dead is not None and dead.any():
        dead_t = Tensor._make(dead, False, None)
        weights = ops.masked_fill(ops.softmax(ops.masked_fill(scores, dead_t, 0.0), -1),
                                  dead_t, 0.0)
    else:
        weights = ops.softmax(scores, -1)
    return _dropout(weights, dropout_p) if dropout_p > 0.0 else weights


def _attend(q, k, v, attn_mask, dropout_p: float, shape: tuple, out_proj: tuple,
            need_weights: bool, average: bool):
    """(output (L, N, E), weights (N, [H,] L, S) or None). Without ``need_weights`` this is
    PyTorch's scaled_dot_product_attention path (the same products, but masked-out rows give
    zeros); ember keeps the (N H, L, d) batches instead of viewing them as (N, H, L, d)."""
    tgt_len, bsz, num_heads, embed_dim = shape
    weights = _weights(q, k, attn_mask, dropout_p, not need_weights)
    out = ops.bmm(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = ops.linear(out, *out_proj)
    out = out.reshape(tgt_len, bsz, out.shape[1])
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, weights.shape[-1])
    return out, (weights.mean(1) if average else weights)


def _attend_sdpa(q, k, v, attn_mask, dropout_p: float, shape: tuple, out_proj: tuple,
                 is_causal: bool):
    """The need_weights=False path as PyTorch runs it for float16: q, k, v viewed as
    (N, H, L, d), the mask as (1 or N, 1 or H, L, S), through scaled_dot_product_attention
    (whose CPU kernels work on half in float32 and round once, where the composite's bmm,
    softmax and bmm would each round to half), then (L N, E) through the output projection."""
    from ._more import scaled_dot_product_attention

    tgt_len, bsz, num_heads, embed_dim = shape
    q, k, v = (t.reshape(bsz, num_heads, t.shape[1], t.shape[2]) for t in (q, k, v))
    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else \
            attn_mask.reshape(bsz, num_heads, -1, attn_mask.shape[-1])
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = ops.linear(out, *out_proj)
    return out.reshape(tgt_len, bsz, out.shape[1]), None


def _causal(q, k) -> Tensor:
    """The additive mask of is_causal: -inf where key j > query i."""
    rows, cols = q.shape[1], k.shape[1]
    mask = np.where(np.tril(np.ones((rows, cols), bool)), 0.0, -np.inf)
    return Tensor._make(mask.astype(q._data.dtype)[None], False, None)


def _prepare_masks(query, key_padding_mask, attn_mask, is_causal: bool, need_weights: bool):
    """(key_padding_mask, attn_mask, is_causal) as additive float masks, PyTorch's order."""
    dtype = query._data.dtype
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask,
                                       "attn_mask", dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        return None, None, True  # the causal mask is scaled_dot_product_attention's own
    attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", dtype)
    return key_padding_mask, attn_mask, is_causal and key_padding_mask is None


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn: bool, dropout_p: float,
        out_proj_weight: Tensor, out_proj_bias, training: bool = True, key_padding_mask=None,
        need_weights: bool = True, attn_mask=None, use_separate_proj_weight: bool = False,
        q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None,
        static_v=None, average_attn_weights: bool = True, is_causal: bool = False):
    """(attn_output, attn_weights or None) of multi-head attention; query (L, N, E), key and
    value (S, N, E_k / E_v), or unbatched (L, E). Bool masks mark positions NOT attended."""
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = (t.unsqueeze(1) for t in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask, attn_mask, is_causal = _prepare_masks(
        query, key_padding_mask, attn_mask, is_causal, need_weights)
    head_dim = _head_dim(embed_dim, embed_dim_to_check, num_heads)
    q, k, v = _projections(query, key, value, in_proj_weight, in_proj_bias,
                           use_separate_proj_weight, (q_proj_weight, k_proj_weight,
                                                      v_proj_weight))
    bh = bsz * num_heads
    attn_mask = _shaped_mask(attn_mask, tgt_len, key.shape[0], bh)
    k, v, masks = _with_bias_kv(k, v, bias_k, bias_v, static_k, static_v,
                                (attn_mask, key_padding_mask), bsz)
    q = q.reshape(tgt_len, bh, head_dim).transpose(0, 1)
    k, v = _heads(k, static_k, "k", bh, head_dim), _heads(v, static_v, "v", bh, head_dim)
    if add_zero_attn:
        k, v, masks = _zero_attn(k, v, masks)
    attn_mask = _merge_padding(masks[0], masks[1], bsz, num_heads, k.shape[1])
    dropout_p = dropout_p if training else 0.0
    shape, out_proj = (tgt_len, bsz, num_heads, embed_dim), (out_proj_weight, out_proj_bias)
    if not need_weights and q._data.dtype == np.float16:
        out, weights = _attend_sdpa(q, k, v, attn_mask, dropout_p, shape, out_proj,
                                    is_causal and attn_mask is None)
    else:
        if is_causal and attn_mask is None and not need_weights:
            attn_mask = _causal(q, k)
        out, weights = _attend(q, k, v, attn_mask, dropout_p, shape, out_proj, need_weights,
                               average_attn_weights)
    if batched:
        return out, weights
    return out.squeeze(1), (None if weights is None else weights.squeeze(0))
