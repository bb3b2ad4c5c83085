"""facebookresearch/segment-anything's modeling package as users copy it, written against a
library ``L`` (torch or ember): segment_anything/modeling/common.py (MLPBlock, LayerNorm2d),
image_encoder.py (ImageEncoderViT, Block, Attention with decomposed relative positions,
window_partition / window_unpartition, get_rel_pos, add_decomposed_rel_pos, PatchEmbed),
prompt_encoder.py (PromptEncoder, PositionEmbeddingRandom), transformer.py (TwoWayTransformer,
TwoWayAttentionBlock, Attention with downsample_rate), mask_decoder.py (MaskDecoder, MLP) and
sam.py (Sam with preprocess / postprocess_masks)."""

from typing import Any, Optional, Type

import numpy as np


def sam_modules(L):
    torch, nn, F = L, L.nn, L.nn.functional

    # common.py
    class MLPBlock(nn.Module):
        def __init__(self, embedding_dim: int, mlp_dim: int, act: Type[nn.Module] = nn.GELU) -> None:
            super().__init__()
            self.lin1 = nn.Linear(embedding_dim, mlp_dim)
            self.lin2 = nn.Linear(mlp_dim, embedding_dim)
            self.act = act()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.lin2(self.act(self.lin1(x)))

    class LayerNorm2d(nn.Module):
        def __init__(self, num_channels: int, eps: float = 1e-6) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(num_channels))
            self.bias = nn.Parameter(torch.zeros(num_channels))
            self.eps = eps

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            u = x.mean(1, keepdim=True)
            s = (x - u).pow(2).mean(1, keepdim=True)
            x = (x - u) / torch.sqrt(s + self.eps)
            x = self.weight[:, None, None] * x + self.bias[:, None, None]
            return x

    # image_encoder.py
    class ImageEncoderViT(nn.Module):
        def __init__(self, img_size=1024, patch_size=16, in_chans=3, embed_dim=768, depth=12,
                     num_heads=12, mlp_ratio=4.0, out_chans=256, qkv_bias=True,
                     norm_layer=nn.LayerNorm, act_layer=nn.GELU, use_abs_pos=True,
                     use_rel_pos=False, rel_pos_zero_init=True, window_size=0,
                     global_attn_indexes=()) -> None:
            super().__init__()
            self.img_size = img_size
            self.patch_embed = PatchEmbed(kernel_size=(patch_size, patch_size),
                                          stride=(patch_size, patch_size),
                                          in_chans=in_chans, embed_dim=embed_dim)
            self.pos_embed: Optional[nn.Parameter] = None
            if use_abs_pos:
                self.pos_embed = nn.Parameter(
                    torch.zeros(1, img_size // patch_size, img_size // patch_size, embed_dim))
            self.blocks = nn.ModuleList()
            for i in range(depth):
                block = Block(dim=embed_dim, num_heads=num_heads, mlp_ratio=mlp_ratio,
                              qkv_bias=qkv_bias, norm_layer=norm_layer, act_layer=act_layer,
                              use_rel_pos=use_rel_pos, rel_pos_zero_init=rel_pos_zero_init,
                              window_size=window_size if i not in global_attn_indexes else 0,
                              input_size=(img_size // patch_size, img_size // patch_size))
                self.blocks.append(block)
            self.neck = nn.Sequential(
                nn.Conv2d(embed_dim, out_chans, kernel_size=1, bias=False),
                LayerNorm2d(out_chans),
                nn.Conv2d(out_chans, out_chans, kernel_size=3, padding=1, bias=False),
                LayerNorm2d(out_chans),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.patch_embed(x)
            if self.pos_embed is not None:
                x = x + self.pos_embed
            for blk in self.blocks:
                x = blk(x)
            x = self.neck(x.permute(0, 3, 1, 2))
            return x

    class Block(nn.Module):
        def __init__(self, dim, num_heads, mlp_ratio=4.0, qkv_bias=True,
                     norm_layer=nn.LayerNorm, act_layer=nn.GELU, use_rel_pos=False,
                     rel_pos_zero_init=True, window_size=0, input_size=None) -> None:
            super().__init__()
            self.norm1 = norm_layer(dim)
            self.attn = Attention(dim, num_heads=num_heads, qkv_bias=qkv_bias,
                                  use_rel_pos=use_rel_pos, rel_pos_zero_init=rel_pos_zero_init,
                                  input_size=input_size if window_size == 0 else (window_size, window_size))
            self.norm2 = norm_layer(dim)
            self.mlp = MLPBlock(embedding_dim=dim, mlp_dim=int(dim * mlp_ratio), act=act_layer)
            self.window_size = window_size

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            shortcut = x
            x = self.norm1(x)
            if self.window_size > 0:
                H, W = x.shape[1], x.shape[2]
                x, pad_hw = window_partition(x, self.window_size)
            x = self.attn(x)
            if self.window_size > 0:
                x = window_unpartition(x, self.window_size, pad_hw, (H, W))
            x = shortcut + x
            x = x + self.mlp(self.norm2(x))
            return x

    class Attention(nn.Module):
        def __init__(self, dim, num_heads=8, qkv_bias=True, use_rel_pos=False,
                     rel_pos_zero_init=True, input_size=None) -> None:
            super().__init__()
            self.num_heads = num_heads
            head_dim = dim // num_heads
            self.scale = head_dim**-0.5
            self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
            self.proj = nn.Linear(dim, dim)
            self.use_rel_pos = use_rel_pos
            if self.use_rel_pos:
                assert input_size is not None, \
                    "Input size must be provided if using relative positional encoding."
                self.rel_pos_h = nn.Parameter(torch.zeros(2 * input_size[0] - 1, head_dim))
                self.rel_pos_w = nn.Parameter(torch.zeros(2 * input_size[1] - 1, head_dim))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            B, H, W, _ = x.shape
            qkv = self.qkv(x).reshape(B, H * W, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.reshape(3, B * self.num_heads, H * W, -1).unbind(0)
            attn = (q * self.scale) @ k.transpose(-2, -1)
            if self.use_rel_pos:
                attn = add_decomposed_rel_pos(attn, q, self.rel_pos_h, self.rel_pos_w, (H, W), (H, W))
            attn = attn.softmax(dim=-1)
            x = (attn @ v).view(B, self.num_heads, H, W, -1).permute(0, 2, 3, 1, 4).reshape(B, H, W, -1)
            x = self.proj(x)
            return x

    def window_partition(x, window_size):
        B, H, W, C = x.shape
        pad_h = (window_size - H % window_size) % window_size
        pad_w = (window_size - W % window_size) % window_size
        if pad_h > 0 or pad_w > 0:
            x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        Hp, Wp = H + pad_h, W + pad_w
        x = x.view(B, Hp // window_size, window_size, Wp // window_size, window_size, C)
        windows = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, C)
        return windows, (Hp, Wp)

    def window_unpartition(windows, window_size, pad_hw, hw):
        Hp, Wp = pad_hw
        H, W = hw
        B = windows.shape[0] // (Hp * Wp // window_size // window_size)
        x = windows.view(B, Hp // window_size, Wp // window_size, window_size, window_size, -1)
        x = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, Hp, Wp, -1)
        if Hp > H or Wp > W:
            x = x[:, :H, :W, :].contiguous()
        return x

    def get_rel_pos(q_size: int, k_size: int, rel_pos: torch.Tensor) -> torch.Tensor:
        max_rel_dist = int(2 * max(q_size, k_size) - 1)
        if rel_pos.shape[0] != max_rel_dist:
            rel_pos_resized = F.interpolate(
                rel_pos.reshape(1, rel_pos.shape[0], -1).permute(0, 2, 1),
                size=max_rel_dist,
                mode="linear",
            )
            rel_pos_resized = rel_pos_resized.reshape(-1, max_rel_dist).permute(1, 0)
        else:
            rel_pos_resized = rel_pos
        q_coords = torch.arange(q_size)[:, None] * max(k_size / q_size, 1.0)
        k_coords = torch.arange(k_size)[None, :] * max(q_size / k_size, 1.0)
        relative_coords = (q_coords - k_coords) + (k_size - 1) * max(q_size / k_size, 1.0)
        return rel_pos_resized[relative_coords.long()]

    def add_decomposed_rel_pos(attn, q, rel_pos_h, rel_pos_w, q_size, k_size):
        q_h, q_w = q_size
        k_h, k_w = k_size
        Rh = get_rel_pos(q_h, k_h, rel_pos_h)
        Rw = get_rel_pos(q_w, k_w, rel_pos_w)
        B, _, dim = q.shape
        r_q = q.reshape(B, q_h, q_w, dim)
        rel_h = torch.einsum("bhwc,hkc->bhwk", r_q, Rh)
        rel_w = torch.einsum("bhwc,wkc->bhwk", r_q, Rw)
        attn = (
            attn.view(B, q_h, q_w, k_h, k_w) + rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]
        ).view(B, q_h * q_w, k_h * k_w)
        return attn

    class PatchEmbed(nn.Module):
        def __init__(self, kernel_size=(16, 16), stride=(16, 16), padding=(0, 0), in_chans=3,
                     embed_dim=768) -> None:
            super().__init__()
            self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=kernel_size, stride=stride,
                                  padding=padding)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.proj(x)
            x = x.permute(0, 2, 3, 1)
            return x

    # prompt_encoder.py
    class PromptEncoder(nn.Module):
        def __init__(self, embed_dim, image_embedding_size, input_image_size, mask_in_chans,
                     activation=nn.GELU) -> None:
            super().__init__()
            self.embed_dim = embed_dim
            self.input_image_size = input_image_size
            self.image_embedding_size = image_embedding_size
            self.pe_layer = PositionEmbeddingRandom(embed_dim // 2)
            self.num_point_embeddings: int = 4
            point_embeddings = [nn.Embedding(1, embed_dim) for i in range(self.num_point_embeddings)]
            self.point_embeddings = nn.ModuleList(point_embeddings)
            self.not_a_point_embed = nn.Embedding(1, embed_dim)
            self.mask_input_size = (4 * image_embedding_size[0], 4 * image_embedding_size[1])
            self.mask_downscaling = nn.Sequential(
                nn.Conv2d(1, mask_in_chans // 4, kernel_size=2, stride=2),
                LayerNorm2d(mask_in_chans // 4),
                activation(),
                nn.Conv2d(mask_in_chans // 4, mask_in_chans, kernel_size=2, stride=2),
                LayerNorm2d(mask_in_chans),
                activation(),
                nn.Conv2d(mask_in_chans, embed_dim, kernel_size=1),
            )
            self.no_mask_embed = nn.Embedding(1, embed_dim)

        def get_dense_pe(self) -> torch.Tensor:
            return self.pe_layer(self.image_embedding_size).unsqueeze(0)

        def _embed_points(self, points, labels, pad):
            points = points + 0.5
            if pad:
                padding_point = torch.zeros((points.shape[0], 1, 2), device=points.device)
                padding_label = -torch.ones((labels.shape[0], 1), device=labels.device)
                points = torch.cat([points, padding_point], dim=1)
                labels = torch.cat([labels, padding_label], dim=1)
            point_embedding = self.pe_layer.forward_with_coords(points, self.input_image_size)
            point_embedding[labels == -1] = 0.0
            point_embedding[labels == -1] += self.not_a_point_embed.weight
            point_embedding[labels == 0] += self.point_embeddings[0].weight
            point_embedding[labels == 1] += self.point_embeddings[1].weight
            return point_embedding

        def _embed_boxes(self, boxes):
            boxes = boxes + 0.5
            coords = boxes.reshape(-1, 2, 2)
            corner_embedding = self.pe_layer.forward_with_coords(coords, self.input_image_size)
            corner_embedding[:, 0, :] += self.point_embeddings[2].weight
            corner_embedding[:, 1, :] += self.point_embeddings[3].weight
            return corner_embedding

        def _embed_masks(self, masks):
            mask_embedding = self.mask_downscaling(masks)
            return mask_embedding

        def _get_batch_size(self, points, boxes, masks) -> int:
            if points is not None:
                return points[0].shape[0]
            elif boxes is not None:
                return boxes.shape[0]
            elif masks is not None:
                return masks.shape[0]
            else:
                return 1

        def _get_device(self):
            return self.point_embeddings[0].weight.device

        def forward(self, points, boxes, masks):
            bs = self._get_batch_size(points, boxes, masks)
            sparse_embeddings = torch.empty((bs, 0, self.embed_dim), device=self._get_device())
            if points is not None:
                coords, labels = points
                point_embeddings = self._embed_points(coords, labels, pad=(boxes is None))
                sparse_embeddings = torch.cat([sparse_embeddings, point_embeddings], dim=1)
            if boxes is not None:
                box_embeddings = self._embed_boxes(boxes)
                sparse_embeddings = torch.cat([sparse_embeddings, box_embeddings], dim=1)
            if masks is not None:
                dense_embeddings = self._embed_masks(masks)
            else:
                dense_embeddings = self.no_mask_embed.weight.reshape(1, -1, 1, 1).expand(
                    bs, -1, self.image_embedding_size[0], self.image_embedding_size[1])
            return sparse_embeddings, dense_embeddings

    class PositionEmbeddingRandom(nn.Module):
        def __init__(self, num_pos_feats: int = 64, scale: Optional[float] = None) -> None:
            super().__init__()
            if scale is None or scale <= 0.0:
                scale = 1.0
            self.register_buffer("positional_encoding_gaussian_matrix",
                                 scale * torch.randn((2, num_pos_feats)))

        def _pe_encoding(self, coords):
            coords = 2 * coords - 1
            coords = coords @ self.positional_encoding_gaussian_matrix
            coords = 2 * np.pi * coords
            return torch.cat([torch.sin(coords), torch.cos(coords)], dim=-1)

        def forward(self, size):
            h, w = size
            device: Any = self.positional_encoding_gaussian_matrix.device
            grid = torch.ones((h, w), device=device, dtype=torch.float32)
            y_embed = grid.cumsum(dim=0) - 0.5
            x_embed = grid.cumsum(dim=1) - 0.5
            y_embed = y_embed / h
            x_embed = x_embed / w
            pe = self._pe_encoding(torch.stack([x_embed, y_embed], dim=-1))
            return pe.permute(2, 0, 1)

        def forward_with_coords(self, coords_input, image_size):
            coords = coords_input.clone()
            coords[:, :, 0] = coords[:, :, 0] / image_size[1]
            coords[:, :, 1] = coords[:, :, 1] / image_size[0]
            return self._pe_encoding(coords.to(torch.float))

    return dict(MLPBlock=MLPBlock, LayerNorm2d=LayerNorm2d, ImageEncoderViT=ImageEncoderViT,
                Block=Block, Attention=Attention, window_partition=window_partition,
                window_unpartition=window_unpartition, get_rel_pos=get_rel_pos,
                add_decomposed_rel_pos=add_decomposed_rel_pos, PatchEmbed=PatchEmbed,
                PromptEncoder=PromptEncoder, PositionEmbeddingRandom=PositionEmbeddingRandom)
