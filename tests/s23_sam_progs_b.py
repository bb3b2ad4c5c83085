"""facebookresearch/segment-anything's transformer.py (TwoWayTransformer, TwoWayAttentionBlock,
Attention with downsample_rate), mask_decoder.py (MaskDecoder, MLP) and sam.py (Sam with
forward, postprocess_masks and preprocess), written against a library ``L``; and
build_sam.py's _build_sam at tiny sizes."""

import math
from typing import Any, List

from s23_sam_progs import sam_modules


def sam_model_modules(L):
    torch, nn, F = L, L.nn, L.nn.functional
    Tensor = L.Tensor
    M = sam_modules(L)
    MLPBlock, LayerNorm2d = M["MLPBlock"], M["LayerNorm2d"]

    # transformer.py
    class TwoWayTransformer(nn.Module):
        def __init__(self, depth, embedding_dim, num_heads, mlp_dim, activation=nn.ReLU,
                     attention_downsample_rate=2) -> None:
            super().__init__()
            self.depth = depth
            self.embedding_dim = embedding_dim
            self.num_heads = num_heads
            self.mlp_dim = mlp_dim
            self.layers = nn.ModuleList()
            for i in range(depth):
                self.layers.append(
                    TwoWayAttentionBlock(embedding_dim=embedding_dim, num_heads=num_heads,
                                         mlp_dim=mlp_dim, activation=activation,
                                         attention_downsample_rate=attention_downsample_rate,
                                         skip_first_layer_pe=(i == 0)))
            self.final_attn_token_to_image = Attention(
                embedding_dim, num_heads, downsample_rate=attention_downsample_rate)
            self.norm_final_attn = nn.LayerNorm(embedding_dim)

        def forward(self, image_embedding, image_pe, point_embedding):
            bs, c, h, w = image_embedding.shape
            image_embedding = image_embedding.flatten(2).permute(0, 2, 1)
            image_pe = image_pe.flatten(2).permute(0, 2, 1)
            queries = point_embedding
            keys = image_embedding
            for layer in self.layers:
                queries, keys = layer(queries=queries, keys=keys, query_pe=point_embedding,
                                      key_pe=image_pe)
            q = queries + point_embedding
            k = keys + image_pe
            attn_out = self.final_attn_token_to_image(q=q, k=k, v=keys)
            queries = queries + attn_out
            queries = self.norm_final_attn(queries)
            return queries, keys

    class TwoWayAttentionBlock(nn.Module):
        def __init__(self, embedding_dim, num_heads, mlp_dim=2048, activation=nn.ReLU,
                     attention_downsample_rate=2, skip_first_layer_pe=False) -> None:
            super().__init__()
            self.self_attn = Attention(embedding_dim, num_heads)
            self.norm1 = nn.LayerNorm(embedding_dim)
            self.cross_attn_token_to_image = Attention(
                embedding_dim, num_heads, downsample_rate=attention_downsample_rate)
            self.norm2 = nn.LayerNorm(embedding_dim)
            self.mlp = MLPBlock(embedding_dim, mlp_dim, activation)
            self.norm3 = nn.LayerNorm(embedding_dim)
            self.norm4 = nn.LayerNorm(embedding_dim)
            self.cross_attn_image_to_token = Attention(
                embedding_dim, num_heads, downsample_rate=attention_downsample_rate)
            self.skip_first_layer_pe = skip_first_layer_pe

        def forward(self, queries, keys, query_pe, key_pe):
            if self.skip_first_layer_pe:
                queries = self.self_attn(q=queries, k=queries, v=queries)
            else:
                q = queries + query_pe
                attn_out = self.self_attn(q=q, k=q, v=queries)
                queries = queries + attn_out
            queries = self.norm1(queries)
            q = queries + query_pe
            k = keys + key_pe
            attn_out = self.cross_attn_token_to_image(q=q, k=k, v=keys)
            queries = queries + attn_out
            queries = self.norm2(queries)
            mlp_out = self.mlp(queries)
            queries = queries + mlp_out
            queries = self.norm3(queries)
            q = queries + query_pe
            k = keys + key_pe
            attn_out = self.cross_attn_image_to_token(q=k, k=q, v=queries)
            keys = keys + attn_out
            keys = self.norm4(keys)
            return queries, keys

    class Attention(nn.Module):
        def __init__(self, embedding_dim, num_heads, downsample_rate=1) -> None:
            super().__init__()
            self.embedding_dim = embedding_dim
            self.internal_dim = embedding_dim // downsample_rate
            self.num_heads = num_heads
            assert self.internal_dim % num_heads == 0, "num_heads must divide embedding_dim."
            self.q_proj = nn.Linear(embedding_dim, self.internal_dim)
            self.k_proj = nn.Linear(embedding_dim, self.internal_dim)
            self.v_proj = nn.Linear(embedding_dim, self.internal_dim)
            self.out_proj = nn.Linear(self.internal_dim, embedding_dim)

        def _separate_heads(self, x: Tensor, num_heads: int) -> Tensor:
            b, n, c = x.shape
            x = x.reshape(b, n, num_heads, c // num_heads)
            return x.transpose(1, 2)

        def _recombine_heads(self, x: Tensor) -> Tensor:
            b, n_heads, n_tokens, c_per_head = x.shape
            x = x.transpose(1, 2)
            return x.reshape(b, n_tokens, n_heads * c_per_head)

        def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
            q = self.q_proj(q)
            k = self.k_proj(k)
            v = self.v_proj(v)
            q = self._separate_heads(q, self.num_heads)
            k = self._separate_heads(k, self.num_heads)
            v = self._separate_heads(v, self.num_heads)
            _, _, _, c_per_head = q.shape
            attn = q @ k.permute(0, 1, 3, 2)
            attn = attn / math.sqrt(c_per_head)
            attn = torch.softmax(attn, dim=-1)
            out = attn @ v
            out = self._recombine_heads(out)
            out = self.out_proj(out)
            return out

    # mask_decoder.py
    class MaskDecoder(nn.Module):
        def __init__(self, *, transformer_dim, transformer, num_multimask_outputs=3,
                     activation=nn.GELU, iou_head_depth=3, iou_head_hidden_dim=256) -> None:
            super().__init__()
            self.transformer_dim = transformer_dim
            self.transformer = transformer
            self.num_multimask_outputs = num_multimask_outputs
            self.iou_token = nn.Embedding(1, transformer_dim)
            self.num_mask_tokens = num_multimask_outputs + 1
            self.mask_tokens = nn.Embedding(self.num_mask_tokens, transformer_dim)
            self.output_upscaling = nn.Sequential(
                nn.ConvTranspose2d(transformer_dim, transformer_dim // 4, kernel_size=2, stride=2),
                LayerNorm2d(transformer_dim // 4),
                activation(),
                nn.ConvTranspose2d(transformer_dim // 4, transformer_dim // 8, kernel_size=2, stride=2),
                activation(),
            )
            self.output_hypernetworks_mlps = nn.ModuleList(
                [MLP(transformer_dim, transformer_dim, transformer_dim // 8, 3)
                 for i in range(self.num_mask_tokens)])
            self.iou_prediction_head = MLP(transformer_dim, iou_head_hidden_dim,
                                           self.num_mask_tokens, iou_head_depth)

        def forward(self, image_embeddings, image_pe, sparse_prompt_embeddings,
                    dense_prompt_embeddings, multimask_output):
            masks, iou_pred = self.predict_masks(
                image_embeddings=image_embeddings, image_pe=image_pe,
                sparse_prompt_embeddings=sparse_prompt_embeddings,
                dense_prompt_embeddings=dense_prompt_embeddings)
            if multimask_output:
                mask_slice = slice(1, None)
            else:
                mask_slice = slice(0, 1)
            masks = masks[:, mask_slice, :, :]
            iou_pred = iou_pred[:, mask_slice]
            return masks, iou_pred

        def predict_masks(self, image_embeddings, image_pe, sparse_prompt_embeddings,
                          dense_prompt_embeddings):
            output_tokens = torch.cat([self.iou_token.weight, self.mask_tokens.weight], dim=0)
            output_tokens = output_tokens.unsqueeze(0).expand(sparse_prompt_embeddings.size(0), -1, -1)
            tokens = torch.cat((output_tokens, sparse_prompt_embeddings), dim=1)
            src = torch.repeat_interleave(image_embeddings, tokens.shape[0], dim=0)
            src = src + dense_prompt_embeddings
            pos_src = torch.repeat_interleave(image_pe, tokens.shape[0], dim=0)
            b, c, h, w = src.shape
            hs, src = self.transformer(src, pos_src, tokens)
            iou_token_out = hs[:, 0, :]
            mask_tokens_out = hs[:, 1: (1 + self.num_mask_tokens), :]
            src = src.transpose(1, 2).view(b, c, h, w)
            upscaled_embedding = self.output_upscaling(src)
            hyper_in_list: List[torch.Tensor] = []
            for i in range(self.num_mask_tokens):
                hyper_in_list.append(self.output_hypernetworks_mlps[i](mask_tokens_out[:, i, :]))
            hyper_in = torch.stack(hyper_in_list, dim=1)
            b, c, h, w = upscaled_embedding.shape
            masks = (hyper_in @ upscaled_embedding.view(b, c, h * w)).view(b, -1, h, w)
            iou_pred = self.iou_prediction_head(iou_token_out)
            return masks, iou_pred

    class MLP(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim, num_layers,
                     sigmoid_output=False) -> None:
            super().__init__()
            self.num_layers = num_layers
            h = [hidden_dim] * (num_layers - 1)
            self.layers = nn.ModuleList(
                nn.Linear(n, k) for n, k in zip([input_dim] + h, h + [output_dim]))
            self.sigmoid_output = sigmoid_output

        def forward(self, x):
            for i, layer in enumerate(self.layers):
                x = F.relu(layer(x)) if i < self.num_layers - 1 else layer(x)
            if self.sigmoid_output:
                x = F.sigmoid(x)
            return x

    # sam.py
    class Sam(nn.Module):
        mask_threshold: float = 0.0
        image_format: str = "RGB"

        def __init__(self, image_encoder, prompt_encoder, mask_decoder,
                     pixel_mean=[123.675, 116.28, 103.53],
                     pixel_std=[58.395, 57.12, 57.375]) -> None:
            super().__init__()
            self.image_encoder = image_encoder
            self.prompt_encoder = prompt_encoder
            self.mask_decoder = mask_decoder
            self.register_buffer("pixel_mean", torch.Tensor(pixel_mean).view(-1, 1, 1), False)
            self.register_buffer("pixel_std", torch.Tensor(pixel_std).view(-1, 1, 1), False)

        @property
        def device(self) -> Any:
            return self.pixel_mean.device

        @torch.no_grad()
        def forward(self, batched_input, multimask_output):
            input_images = torch.stack([self.preprocess(x["image"]) for x in batched_input], dim=0)
            image_embeddings = self.image_encoder(input_images)
            outputs = []
            for image_record, curr_embedding in zip(batched_input, image_embeddings):
                if "point_coords" in image_record:
                    points = (image_record["point_coords"], image_record["point_labels"])
                else:
                    points = None
                sparse_embeddings, dense_embeddings = self.prompt_encoder(
                    points=points, boxes=image_record.get("boxes", None),
                    masks=image_record.get("mask_inputs", None))
                low_res_masks, iou_predictions = self.mask_decoder(
                    image_embeddings=curr_embedding.unsqueeze(0),
                    image_pe=self.prompt_encoder.get_dense_pe(),
                    sparse_prompt_embeddings=sparse_embeddings,
                    dense_prompt_embeddings=dense_embeddings,
                    multimask_output=multimask_output)
                masks = self.postprocess_masks(low_res_masks,
                                               input_size=image_record["image"].shape[-2:],
                                               original_size=image_record["original_size"])
                masks = masks > self.mask_threshold
                outputs.append({"masks": masks, "iou_predictions": iou_predictions,
                                "low_res_logits": low_res_masks})
            return outputs

        def postprocess_masks(self, masks, input_size, original_size):
            masks = F.interpolate(masks, (self.image_encoder.img_size, self.image_encoder.img_size),
                                  mode="bilinear", align_corners=False)
            masks = masks[..., : input_size[0], : input_size[1]]
            masks = F.interpolate(masks, original_size, mode="bilinear", align_corners=False)
            return masks

        def preprocess(self, x):
            x = (x - self.pixel_mean) / self.pixel_std
            h, w = x.shape[-2:]
            padh = self.image_encoder.img_size - h
            padw = self.image_encoder.img_size - w
            x = F.pad(x, (0, padw, 0, padh))
            return x

    # build_sam.py's _build_sam, at tiny sizes
    def build_sam(encoder_embed_dim=32, encoder_depth=2, encoder_num_heads=2,
                  encoder_global_attn_indexes=(1,), window_size=2, image_size=64):
        prompt_embed_dim = 32
        vit_patch_size = 16
        image_embedding_size = image_size // vit_patch_size
        sam = Sam(
            image_encoder=M["ImageEncoderViT"](
                depth=encoder_depth, embed_dim=encoder_embed_dim, img_size=image_size,
                mlp_ratio=4, norm_layer=L.nn.LayerNorm, num_heads=encoder_num_heads,
                patch_size=vit_patch_size, qkv_bias=True, use_rel_pos=True,
                global_attn_indexes=encoder_global_attn_indexes, window_size=window_size,
                out_chans=prompt_embed_dim),
            prompt_encoder=M["PromptEncoder"](
                embed_dim=prompt_embed_dim,
                image_embedding_size=(image_embedding_size, image_embedding_size),
                input_image_size=(image_size, image_size), mask_in_chans=16),
            mask_decoder=MaskDecoder(
                num_multimask_outputs=3,
                transformer=TwoWayTransformer(depth=2, embedding_dim=prompt_embed_dim,
                                              mlp_dim=64, num_heads=2),
                transformer_dim=prompt_embed_dim, iou_head_depth=3, iou_head_hidden_dim=32),
            pixel_mean=[123.675, 116.28, 103.53],
            pixel_std=[58.395, 57.12, 57.375],
        )
        sam.eval()
        return sam

    M.update(TwoWayTransformer=TwoWayTransformer, TwoWayAttentionBlock=TwoWayAttentionBlock,
             TAttention=Attention, MaskDecoder=MaskDecoder, MLP=MLP, Sam=Sam, build_sam=build_sam)
    return M
