"""nn.MultiheadAttention: PyTorch's parameters and state_dict names, its forward as a composite
of ember ops (projections, per-head scaled dot products, softmax, output projection)."""

from __future__ import annotations

import math

from ... import ops
from ...tensor import Tensor
from .. import init
from ..functional._misc import dropout as _dropout
from ..functional._mha import _additive, _shape_check
from ..parameter import Parameter
from .linear import Linear, _empty
from .module import Module


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under the name PyTorch gives MultiheadAttention's out_proj."""


class MultiheadAttention(Module):
    """Attention over num_heads heads of embed_dim / num_heads features each.

    Parameters as PyTorch: in_proj_weight (3E, E) and in_proj_bias (3E) when key and value
    have embed_dim features (else q_proj_weight, k_proj_weight, v_proj_weight), and out_proj.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim="
                             f"{embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are "
                                      "not supported by ember")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        assert self.head_dim * num_heads == embed_dim, "embed_dim must be divisible by num_heads"
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(_empty((3 * E, E), dtype, device))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(_empty((E, E), dtype, device))
            self.k_proj_weight = Parameter(_empty((E, self.kdim), dtype, device))
            self.v_proj_weight = Parameter(_empty((E, self.vdim), dtype, device))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_empty((3 * E,), dtype, device))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias=bias, device=device,
                                                        dtype=dtype)
        self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def _weights(self):
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            ws = (w[:E], w[E:2 * E], w[2 * E:])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        bs = (None,) * 3 if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        return ws, bs

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None,
                need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False):
        """(attn_output, attn_weights or None); inputs (L, N, E) or (N, L, E) with
        batch_first, or unbatched (L, E). Bool masks mark the positions NOT attended to."""
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use "
                               "the Transformer module method `generate_square_subsequent_mask`"
                               " to create this mask.")
        batched = _shape_check(query, key, value, key_padding_mask, attn_mask, self.num_heads)
        if self.batch_first and batched:
            query, key, value = (t.transpose(1, 0) for t in (query, key, value))
        if not batched:
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        L, N, E = query.shape
        if E != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but "
                                 f"got {E}")
        S = key.shape[0]
        H, hd = self.num_heads, self.head_dim
        (wq, wk, wv), (bq, bk, bv) = self._weights()
        q = ops.linear(query, wq, bq).reshape(L, N * H, hd).transpose(0, 1)
        k = ops.linear(key, wk, bk).reshape(S, N * H, hd).transpose(0, 1)
        v = ops.linear(value, wv, bv).reshape(S, N * H, hd).transpose(0, 1)
        mask = self._merged_mask(attn_mask, key_padding_mask, N, L, S, query._data.dtype)
        scores = ops.bmm(q * math.sqrt(1.0 / hd), k.transpose(-2, -1))
        if mask is not None:
            scores = scores + mask
        weights = ops.softmax(scores, -1)
        if self.training and self.dropout > 0.0:
            weights = _dropout(weights, self.dropout, True)
        out = ops.bmm(weights, v).transpose(0, 1).reshape(L * N, E)
        out = self.out_proj(out).reshape(L, N, E)
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        if not batched:
            out = out.squeeze(1)
        if not need_weights:
            return out, None
        weights = weights.reshape(N, H, L, S)
        if average_attn_weights:
            weights = weights.mean(1)
        return out, (weights if batched else weights.squeeze(0))

    def _merged_mask(self, attn_mask, key_padding_mask, N, L, S, dtype):
        """attn_mask (L, S) or (N H, L, S) plus key_padding_mask (N, S), as one additive
        float mask broadcastable to (N H, L, S) (True entries of bool masks become -inf)."""
        mask = None
        if attn_mask is not None:
            mask = _additive(attn_mask, dtype)
            want = (L, S) if mask.dim() == 2 else (N * self.num_heads, L, S)
            if tuple(mask.shape) != want:
                raise RuntimeError(f"The shape of the {mask.dim()}D attn_mask is "
                                   f"{mask.shape}, but should be {want}.")
            if mask.dim() == 2:
                mask = mask.unsqueeze(0)
        if key_padding_mask is not None:
            for i, want in enumerate((N, S)):
                if key_padding_mask.shape[i] != want:
                    raise AssertionError(f"Expected key_padded_mask.shape[{i}] to be {want}, "
                                         f"but got {key_padding_mask.shape[i]}")
            pad = _additive(key_padding_mask, dtype).reshape(N, 1, 1, S)
            pad = pad.expand(N, self.num_heads, 1, S).reshape(N * self.num_heads, 1, S)
            mask = pad if mask is None else mask + pad
        return mask
