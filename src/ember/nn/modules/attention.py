"""nn.MultiheadAttention: PyTorch's parameters and state_dict names; its forward is
``F.multi_head_attention_forward`` (projections, per-head scaled dot products, softmax, output
projection, as a composite of ember ops), as in PyTorch."""

from __future__ import annotations

from ...tensor import Tensor
from .. import init
from ..functional._mha import _canonical_mask, multi_head_attention_forward
from ..parameter import Parameter
from ._attn_fastpath import _fill_rows, _is_float, mha_nan_rows
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
        if add_bias_kv:
            self.bias_k = Parameter(_empty((1, 1, E), dtype, device))
            self.bias_v = Parameter(_empty((1, 1, E), dtype, device))
        else:
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
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None,
                need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False):
        """(attn_output, attn_weights or None); inputs (L, N, E) or (N, L, E) with
        batch_first, or unbatched (L, E). Bool masks mark the positions NOT attended to."""
        batched = query.dim() == 3
        dtype = query._data.dtype
        float_masks = _is_float(attn_mask) or _is_float(key_padding_mask)
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask,
                                           "attn_mask", dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", dtype)
        nan_rows = mha_nan_rows(self, query, key, value, key_padding_mask, attn_mask,
                                need_weights, float_masks)
        if self.batch_first and batched:  # one transpose per distinct tensor, as PyTorch:
            # the functional form packs the projections of inputs that are the same object
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = (t.transpose(1, 0) for t in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and batched:
            out = out.transpose(1, 0)
            out = _fill_rows(out, nan_rows)
        return out, weights
