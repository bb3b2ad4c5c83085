"""mlfoundations/open_clip's src/open_clip/transformer.py pieces as users copy them, written
against a library ``L``: LayerNormFp32, LayerNorm (cast back), LayerScale (in place or not),
PatchDropout (randn + topk of the kept patches), Attention (packed in_proj, scaled-cosine
heads, bool masks made additive, F.scaled_dot_product_attention), AttentionalPooler
(nn.MultiheadAttention with kdim / vdim), ResidualAttentionBlock with cross attention and
LayerScale, Transformer (ModuleList, NLD <-> LND), CustomResidualAttentionBlock; and loss.py's
CoCaLoss and DistillClipLoss. Programs at tiny sizes (width 32, 2 heads, 5-9 tokens)."""

import math
from collections import OrderedDict
from typing import Callable, Optional

import numpy as np

from s23_clip_progs import clip_modules
from s23_clip_progs_b import _t, _tokens


def open_clip_modules(L):
    torch, nn, F = L, L.nn, L.nn.functional
    base = clip_modules(L)

    class LayerNormFp32(nn.LayerNorm):
        def forward(self, x: torch.Tensor):
            orig_type = x.dtype
            x = F.layer_norm(x.to(torch.float32), self.normalized_shape, self.weight, self.bias, self.eps)
            return x.to(orig_type)

    class LayerNorm(nn.LayerNorm):
        def forward(self, x: torch.Tensor):
            orig_type = x.dtype
            x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
            return x.to(orig_type)

    class LayerScale(nn.Module):
        def __init__(self, dim, init_values=1e-5, inplace=False):
            super().__init__()
            self.inplace = inplace
            self.gamma = nn.Parameter(init_values * torch.ones(dim))

        def forward(self, x):
            return x.mul_(self.gamma) if self.inplace else x * self.gamma

    class PatchDropout(nn.Module):
        def __init__(self, prob, exclude_first_token=True):
            super().__init__()
            assert 0 <= prob < 1.
            self.prob = prob
            self.exclude_first_token = exclude_first_token

        def forward(self, x):
            if not self.training or self.prob == 0.:
                return x
            if self.exclude_first_token:
                cls_tokens, x = x[:, :1], x[:, 1:]
            else:
                cls_tokens = x[:, :1]
            batch = x.size()[0]
            num_tokens = x.size()[1]
            batch_indices = torch.arange(batch)
            batch_indices = batch_indices[..., None]
            keep_prob = 1 - self.prob
            num_patches_keep = max(1, int(num_tokens * keep_prob))
            rand = torch.randn(batch, num_tokens)
            patch_indices_keep = rand.topk(num_patches_keep, dim=-1).indices
            x = x[batch_indices, patch_indices_keep]
            if self.exclude_first_token:
                x = torch.cat((cls_tokens, x), dim=1)
            return x

    class Attention(nn.Module):
        def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = True,
                     scaled_cosine: bool = False, scale_heads: bool = False,
                     logit_scale_max: float = math.log(1. / 0.01), batch_first: bool = True,
                     attn_drop: float = 0., proj_drop: float = 0.):
            super().__init__()
            self.scaled_cosine = scaled_cosine
            self.scale_heads = scale_heads
            assert dim % num_heads == 0, 'dim should be divisible by num_heads'
            self.num_heads = num_heads
            self.head_dim = dim // num_heads
            self.scale = self.head_dim ** -0.5
            self.logit_scale_max = logit_scale_max
            self.batch_first = batch_first
            self.use_fsdpa = hasattr(nn.functional, 'scaled_dot_product_attention')
            self.in_proj_weight = nn.Parameter(torch.randn((dim * 3, dim)) * self.scale)
            if qkv_bias:
                self.in_proj_bias = nn.Parameter(torch.zeros(dim * 3))
            else:
                self.in_proj_bias = None
            if self.scaled_cosine:
                self.logit_scale = nn.Parameter(torch.log(10 * torch.ones((num_heads, 1, 1))))
            else:
                self.logit_scale = None
            self.attn_drop = nn.Dropout(attn_drop)
            if self.scale_heads:
                self.head_scale = nn.Parameter(torch.ones((num_heads, 1, 1)))
            else:
                self.head_scale = None
            self.out_proj = nn.Linear(dim, dim)
            self.out_drop = nn.Dropout(proj_drop)

        def forward(self, x, attn_mask: Optional[torch.Tensor] = None):
            if self.batch_first:
                x = x.transpose(0, 1)
            L_, N, C = x.shape
            q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
            q = q.reshape(L_, N * self.num_heads, -1).transpose(0, 1)
            k = k.reshape(L_, N * self.num_heads, -1).transpose(0, 1)
            v = v.reshape(L_, N * self.num_heads, -1).transpose(0, 1)
            if attn_mask is not None and attn_mask.dtype == torch.bool:
                new_attn_mask = torch.zeros_like(attn_mask, dtype=q.dtype)
                new_attn_mask.masked_fill_(attn_mask, float("-inf"))
                attn_mask = new_attn_mask
            if self.logit_scale is not None:
                attn = torch.bmm(F.normalize(q, dim=-1), F.normalize(k, dim=-1).transpose(-1, -2))
                logit_scale = torch.clamp(self.logit_scale, max=self.logit_scale_max).exp()
                attn = attn.view(N, self.num_heads, L_, L_) * logit_scale
                attn = attn.view(-1, L_, L_)
                if attn_mask is not None:
                    attn = attn + attn_mask
                attn = attn.softmax(dim=-1)
                attn = self.attn_drop(attn)
                x = torch.bmm(attn, v)
            else:
                if self.use_fsdpa:
                    x = F.scaled_dot_product_attention(
                        q, k, v, attn_mask=attn_mask,
                        dropout_p=self.attn_drop.p if self.training else 0.)
                else:
                    q = q * self.scale
                    attn = torch.bmm(q, k.transpose(-1, -2))
                    if attn_mask is not None:
                        attn += attn_mask
                    attn = attn.softmax(dim=-1)
                    attn = self.attn_drop(attn)
                    x = torch.bmm(attn, v)
            if self.head_scale is not None:
                x = x.view(N, self.num_heads, L_, C) * self.head_scale
                x = x.view(-1, L_, C)
            x = x.transpose(0, 1).reshape(L_, N, C)
            if self.batch_first:
                x = x.transpose(0, 1)
            x = self.out_proj(x)
            x = self.out_drop(x)
            return x

    class AttentionalPooler(nn.Module):
        def __init__(self, d_model: int, context_dim: int, n_head: int = 8, n_queries: int = 256,
                     norm_layer: Callable = LayerNorm):
            super().__init__()
            self.query = nn.Parameter(torch.randn(n_queries, d_model))
            self.attn = nn.MultiheadAttention(d_model, n_head, kdim=context_dim, vdim=context_dim)
            self.ln_q = norm_layer(d_model)
            self.ln_k = norm_layer(context_dim)

        def forward(self, x: torch.Tensor):
            x = self.ln_k(x).permute(1, 0, 2)  # NLD -> LND
            N = x.shape[1]
            q = self.ln_q(self.query)
            out = self.attn(q.unsqueeze(1).expand(-1, N, -1), x, x, need_weights=False)[0]
            return out.permute(1, 0, 2)  # LND -> NLD

    class ResidualAttentionBlock(nn.Module):
        def __init__(self, d_model: int, n_head: int, mlp_ratio: float = 4.0,
                     ls_init_value: float = None, act_layer: Callable = nn.GELU,
                     norm_layer: Callable = LayerNorm, is_cross_attention: bool = False):
            super().__init__()
            self.ln_1 = norm_layer(d_model)
            self.attn = nn.MultiheadAttention(d_model, n_head)
            self.ls_1 = LayerScale(d_model, ls_init_value) if ls_init_value is not None else nn.Identity()
            if is_cross_attention:
                self.ln_1_kv = norm_layer(d_model)
            self.ln_2 = norm_layer(d_model)
            mlp_width = int(d_model * mlp_ratio)
            self.mlp = nn.Sequential(OrderedDict([
                ("c_fc", nn.Linear(d_model, mlp_width)),
                ("gelu", act_layer()),
                ("c_proj", nn.Linear(mlp_width, d_model))
            ]))
            self.ls_2 = LayerScale(d_model, ls_init_value) if ls_init_value is not None else nn.Identity()

        def attention(self, q_x, k_x=None, v_x=None, attn_mask=None):
            k_x = k_x if k_x is not None else q_x
            v_x = v_x if v_x is not None else q_x
            attn_mask = attn_mask.to(q_x.dtype) if attn_mask is not None else None
            return self.attn(q_x, k_x, v_x, need_weights=False, attn_mask=attn_mask)[0]

        def forward(self, q_x, k_x=None, v_x=None, attn_mask=None):
            k_x = self.ln_1_kv(k_x) if hasattr(self, "ln_1_kv") and k_x is not None else None
            v_x = self.ln_1_kv(v_x) if hasattr(self, "ln_1_kv") and v_x is not None else None
            x = q_x + self.ls_1(self.attention(q_x=self.ln_1(q_x), k_x=k_x, v_x=v_x, attn_mask=attn_mask))
            x = x + self.ls_2(self.mlp(self.ln_2(x)))
            return x

    class Transformer(nn.Module):
        def __init__(self, width: int, layers: int, heads: int, mlp_ratio: float = 4.0,
                     ls_init_value: float = None, act_layer: Callable = nn.GELU,
                     norm_layer: Callable = LayerNorm):
            super().__init__()
            self.width = width
            self.layers = layers
            self.grad_checkpointing = False
            self.resblocks = nn.ModuleList([
                ResidualAttentionBlock(width, heads, mlp_ratio, ls_init_value=ls_init_value,
                                       act_layer=act_layer, norm_layer=norm_layer)
                for _ in range(layers)])

        def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None):
            x = x.transpose(0, 1).contiguous()    # NLD -> LND
            for r in self.resblocks:
                x = r(x, attn_mask=attn_mask)
            x = x.transpose(0, 1)    # LND -> NLD
            return x

    def text_global_pool(x, text: Optional[torch.Tensor] = None, pool_type: str = 'argmax'):
        if pool_type == 'first':
            pooled, tokens = x[:, 0], x[:, 1:]
        elif pool_type == 'last':
            pooled, tokens = x[:, -1], x[:, :-1]
        elif pool_type == 'argmax':
            assert text is not None
            pooled, tokens = x[torch.arange(x.shape[0]), text.argmax(dim=-1)], x
        else:
            pooled = tokens = x
        return pooled, tokens

    class CoCaLoss(base["ClipLoss"]):
        def __init__(self, caption_loss_weight, clip_loss_weight, pad_id=0, **kw):
            super().__init__(**kw)
            self.clip_loss_weight = clip_loss_weight
            self.caption_loss_weight = caption_loss_weight
            self.caption_loss = nn.CrossEntropyLoss(ignore_index=pad_id)

        def forward(self, image_features, text_features, logits, labels, logit_scale, output_dict=False):
            clip_loss = super().forward(image_features, text_features, logit_scale)
            clip_loss = self.clip_loss_weight * clip_loss
            caption_loss = self.caption_loss(logits.permute(0, 2, 1), labels)
            caption_loss = caption_loss * self.caption_loss_weight
            if output_dict:
                return {"contrastive_loss": clip_loss, "caption_loss": caption_loss}
            return clip_loss, caption_loss

    class DistillClipLoss(base["ClipLoss"]):
        def dist_loss(self, teacher_logits, student_logits):
            return -(teacher_logits.softmax(dim=1) * student_logits.log_softmax(dim=1)).sum(dim=1).mean(dim=0)

        def forward(self, image_features, text_features, logit_scale, dist_image_features,
                    dist_text_features, dist_logit_scale, output_dict=False):
            logits_per_image, logits_per_text = self.get_logits(image_features, text_features, logit_scale)
            dist_logits_per_image, dist_logits_per_text = self.get_logits(dist_image_features, dist_text_features, dist_logit_scale)
            labels = self.get_ground_truth(image_features.device, logits_per_image.shape[0])
            contrastive_loss = (F.cross_entropy(logits_per_image, labels) +
                                F.cross_entropy(logits_per_text, labels)) / 2
            distill_loss = (self.dist_loss(dist_logits_per_image, logits_per_image) +
                            self.dist_loss(dist_logits_per_text, logits_per_text)) / 2
            if output_dict:
                return {"contrastive_loss": contrastive_loss, "distill_loss": distill_loss}
            return contrastive_loss, distill_loss

    return dict(LayerNormFp32=LayerNormFp32, LayerNorm=LayerNorm, LayerScale=LayerScale,
                PatchDropout=PatchDropout, Attention=Attention, AttentionalPooler=AttentionalPooler,
                ResidualAttentionBlock=ResidualAttentionBlock, Transformer=Transformer,
                text_global_pool=text_global_pool, CoCaLoss=CoCaLoss, DistillClipLoss=DistillClipLoss)
