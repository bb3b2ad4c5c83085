"""openai/CLIP's clip/model.py as users copy it, written against a library ``L`` (torch or
ember): Bottleneck (anti-aliased avgpool downsample), AttentionPool2d (F.multi_head_attention_
forward with separate q / k / v projection weights), ModifiedResNet, the float32 LayerNorm
subclass, QuickGELU, ResidualAttentionBlock, Transformer, VisionTransformer, CLIP (encode_image,
encode_text, build_attention_mask, initialize_parameters) and convert_weights; and
mlfoundations/open_clip's src/open_clip/loss.py ClipLoss and SigLipLoss."""

from collections import OrderedDict
from typing import Tuple, Union

import numpy as np


def clip_modules(L):
    torch, nn, F = L, L.nn, L.nn.functional

    class Bottleneck(nn.Module):
        expansion = 4

        def __init__(self, inplanes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu1 = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.relu2 = nn.ReLU(inplace=True)
            self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
            self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(planes * self.expansion)
            self.relu3 = nn.ReLU(inplace=True)
            self.downsample = None
            self.stride = stride
            if stride > 1 or inplanes != planes * Bottleneck.expansion:
                self.downsample = nn.Sequential(OrderedDict([
                    ("-1", nn.AvgPool2d(stride)),
                    ("0", nn.Conv2d(inplanes, planes * self.expansion, 1, stride=1, bias=False)),
                    ("1", nn.BatchNorm2d(planes * self.expansion))
                ]))

        def forward(self, x: torch.Tensor):
            identity = x
            out = self.relu1(self.bn1(self.conv1(x)))
            out = self.relu2(self.bn2(self.conv2(out)))
            out = self.avgpool(out)
            out = self.bn3(self.conv3(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            out = self.relu3(out)
            return out

    class AttentionPool2d(nn.Module):
        def __init__(self, spacial_dim: int, embed_dim: int, num_heads: int, output_dim: int = None):
            super().__init__()
            self.positional_embedding = nn.Parameter(torch.randn(spacial_dim ** 2 + 1, embed_dim) / embed_dim ** 0.5)
            self.k_proj = nn.Linear(embed_dim, embed_dim)
            self.q_proj = nn.Linear(embed_dim, embed_dim)
            self.v_proj = nn.Linear(embed_dim, embed_dim)
            self.c_proj = nn.Linear(embed_dim, output_dim or embed_dim)
            self.num_heads = num_heads

        def forward(self, x):
            x = x.reshape(x.shape[0], x.shape[1], x.shape[2] * x.shape[3]).permute(2, 0, 1)  # NCHW -> (HW)NC
            x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)  # (HW+1)NC
            x = x + self.positional_embedding[:, None, :].to(x.dtype)  # (HW+1)NC
            x, _ = F.multi_head_attention_forward(
                query=x, key=x, value=x,
                embed_dim_to_check=x.shape[-1],
                num_heads=self.num_heads,
                q_proj_weight=self.q_proj.weight,
                k_proj_weight=self.k_proj.weight,
                v_proj_weight=self.v_proj.weight,
                in_proj_weight=None,
                in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
                bias_k=None,
                bias_v=None,
                add_zero_attn=False,
                dropout_p=0,
                out_proj_weight=self.c_proj.weight,
                out_proj_bias=self.c_proj.bias,
                use_separate_proj_weight=True,
                training=self.training,
                need_weights=False
            )
            return x[0]

    class ModifiedResNet(nn.Module):
        def __init__(self, layers, output_dim, heads, input_resolution=224, width=64):
            super().__init__()
            self.output_dim = output_dim
            self.input_resolution = input_resolution
            self.conv1 = nn.Conv2d(3, width // 2, kernel_size=3, stride=2, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(width // 2)
            self.conv2 = nn.Conv2d(width // 2, width // 2, kernel_size=3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(width // 2)
            self.conv3 = nn.Conv2d(width // 2, width, kernel_size=3, padding=1, bias=False)
            self.bn3 = nn.BatchNorm2d(width)
            self.avgpool = nn.AvgPool2d(2)
            self.relu = nn.ReLU(inplace=True)
            self._inplanes = width
            self.layer1 = self._make_layer(width, layers[0])
            self.layer2 = self._make_layer(width * 2, layers[1], stride=2)
            self.layer3 = self._make_layer(width * 4, layers[2], stride=2)
            self.layer4 = self._make_layer(width * 8, layers[3], stride=2)
            embed_dim = width * 32
            self.attnpool = AttentionPool2d(input_resolution // 32, embed_dim, heads, output_dim)

        def _make_layer(self, planes, blocks, stride=1):
            layers = [Bottleneck(self._inplanes, planes, stride)]
            self._inplanes = planes * Bottleneck.expansion
            for _ in range(1, blocks):
                layers.append(Bottleneck(self._inplanes, planes))
            return nn.Sequential(*layers)

        def forward(self, x):
            def stem(x):
                for conv, bn in [(self.conv1, self.bn1), (self.conv2, self.bn2), (self.conv3, self.bn3)]:
                    x = self.relu(bn(conv(x)))
                x = self.avgpool(x)
                return x

            x = x.type(self.conv1.weight.dtype)
            x = stem(x)
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.layer3(x)
            x = self.layer4(x)
            x = self.attnpool(x)
            return x

    class LayerNorm(nn.LayerNorm):
        """Subclass torch's LayerNorm to handle fp16."""

        def forward(self, x: torch.Tensor):
            orig_type = x.dtype
            ret = super().forward(x.type(torch.float32))
            return ret.type(orig_type)

    class QuickGELU(nn.Module):
        def forward(self, x: torch.Tensor):
            return x * torch.sigmoid(1.702 * x)

    class ResidualAttentionBlock(nn.Module):
        def __init__(self, d_model: int, n_head: int, attn_mask: torch.Tensor = None):
            super().__init__()
            self.attn = nn.MultiheadAttention(d_model, n_head)
            self.ln_1 = LayerNorm(d_model)
            self.mlp = nn.Sequential(OrderedDict([
                ("c_fc", nn.Linear(d_model, d_model * 4)),
                ("gelu", QuickGELU()),
                ("c_proj", nn.Linear(d_model * 4, d_model))
            ]))
            self.ln_2 = LayerNorm(d_model)
            self.attn_mask = attn_mask

        def attention(self, x: torch.Tensor):
            self.attn_mask = self.attn_mask.to(dtype=x.dtype, device=x.device) if self.attn_mask is not None else None
            return self.attn(x, x, x, need_weights=False, attn_mask=self.attn_mask)[0]

        def forward(self, x: torch.Tensor):
            x = x + self.attention(self.ln_1(x))
            x = x + self.mlp(self.ln_2(x))
            return x

    class Transformer(nn.Module):
        def __init__(self, width: int, layers: int, heads: int, attn_mask: torch.Tensor = None):
            super().__init__()
            self.width = width
            self.layers = layers
            self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, attn_mask) for _ in range(layers)])

        def forward(self, x: torch.Tensor):
            return self.resblocks(x)

    class VisionTransformer(nn.Module):
        def __init__(self, input_resolution: int, patch_size: int, width: int, layers: int, heads: int, output_dim: int):
            super().__init__()
            self.input_resolution = input_resolution
            self.output_dim = output_dim
            self.conv1 = nn.Conv2d(in_channels=3, out_channels=width, kernel_size=patch_size, stride=patch_size, bias=False)
            scale = width ** -0.5
            self.class_embedding = nn.Parameter(scale * torch.randn(width))
            self.positional_embedding = nn.Parameter(scale * torch.randn((input_resolution // patch_size) ** 2 + 1, width))
            self.ln_pre = LayerNorm(width)
            self.transformer = Transformer(width, layers, heads)
            self.ln_post = LayerNorm(width)
            self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

        def forward(self, x: torch.Tensor):
            x = self.conv1(x)  # shape = [*, width, grid, grid]
            x = x.reshape(x.shape[0], x.shape[1], -1)  # shape = [*, width, grid ** 2]
            x = x.permute(0, 2, 1)  # shape = [*, grid ** 2, width]
            x = torch.cat([self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype, device=x.device), x], dim=1)
            x = x + self.positional_embedding.to(x.dtype)
            x = self.ln_pre(x)
            x = x.permute(1, 0, 2)  # NLD -> LND
            x = self.transformer(x)
            x = x.permute(1, 0, 2)  # LND -> NLD
            x = self.ln_post(x[:, 0, :])
            if self.proj is not None:
                x = x @ self.proj
            return x

    class CLIP(nn.Module):
        def __init__(self, embed_dim: int, image_resolution: int,
                     vision_layers: Union[Tuple[int, int, int, int], int], vision_width: int,
                     vision_patch_size: int, context_length: int, vocab_size: int,
                     transformer_width: int, transformer_heads: int, transformer_layers: int):
            super().__init__()
            self.context_length = context_length
            if isinstance(vision_layers, (tuple, list)):
                vision_heads = vision_width * 32 // 64
                self.visual = ModifiedResNet(layers=vision_layers, output_dim=embed_dim, heads=vision_heads,
                                             input_resolution=image_resolution, width=vision_width)
            else:
                vision_heads = vision_width // 64
                self.visual = VisionTransformer(input_resolution=image_resolution, patch_size=vision_patch_size,
                                                width=vision_width, layers=vision_layers, heads=vision_heads,
                                                output_dim=embed_dim)
            self.transformer = Transformer(width=transformer_width, layers=transformer_layers,
                                           heads=transformer_heads, attn_mask=self.build_attention_mask())
            self.vocab_size = vocab_size
            self.token_embedding = nn.Embedding(vocab_size, transformer_width)
            self.positional_embedding = nn.Parameter(torch.empty(self.context_length, transformer_width))
            self.ln_final = LayerNorm(transformer_width)
            self.text_projection = nn.Parameter(torch.empty(transformer_width, embed_dim))
            self.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))
            self.initialize_parameters()

        def initialize_parameters(self):
            nn.init.normal_(self.token_embedding.weight, std=0.02)
            nn.init.normal_(self.positional_embedding, std=0.01)
            if isinstance(self.visual, ModifiedResNet):
                if self.visual.attnpool is not None:
                    std = self.visual.attnpool.c_proj.in_features ** -0.5
                    nn.init.normal_(self.visual.attnpool.q_proj.weight, std=std)
                    nn.init.normal_(self.visual.attnpool.k_proj.weight, std=std)
                    nn.init.normal_(self.visual.attnpool.v_proj.weight, std=std)
                    nn.init.normal_(self.visual.attnpool.c_proj.weight, std=std)
                for resnet_block in [self.visual.layer1, self.visual.layer2, self.visual.layer3, self.visual.layer4]:
                    for name, param in resnet_block.named_parameters():
                        if name.endswith("bn3.weight"):
                            nn.init.zeros_(param)
            proj_std = (self.transformer.width ** -0.5) * ((2 * self.transformer.layers) ** -0.5)
            attn_std = self.transformer.width ** -0.5
            fc_std = (2 * self.transformer.width) ** -0.5
            for block in self.transformer.resblocks:
                nn.init.normal_(block.attn.in_proj_weight, std=attn_std)
                nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
                nn.init.normal_(block.mlp.c_fc.weight, std=fc_std)
                nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)
            if self.text_projection is not None:
                nn.init.normal_(self.text_projection, std=self.transformer.width ** -0.5)

        def build_attention_mask(self):
            mask = torch.empty(self.context_length, self.context_length)
            mask.fill_(float("-inf"))
            mask.triu_(1)  # zero out the lower diagonal
            return mask

        @property
        def dtype(self):
            return self.visual.conv1.weight.dtype

        def encode_image(self, image):
            return self.visual(image.type(self.dtype))

        def encode_text(self, text):
            x = self.token_embedding(text).type(self.dtype)  # [batch_size, n_ctx, d_model]
            x = x + self.positional_embedding.type(self.dtype)
            x = x.permute(1, 0, 2)  # NLD -> LND
            x = self.transformer(x)
            x = x.permute(1, 0, 2)  # LND -> NLD
            x = self.ln_final(x).type(self.dtype)
            x = x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection
            return x

        def forward(self, image, text):
            image_features = self.encode_image(image)
            text_features = self.encode_text(text)
            image_features = image_features / image_features.norm(dim=-1, keepdim=True)
            text_features = text_features / text_features.norm(dim=-1, keepdim=True)
            logit_scale = self.logit_scale.exp()
            logits_per_image = logit_scale * image_features @ text_features.t()
            logits_per_text = logits_per_image.t()
            return logits_per_image, logits_per_text

    def convert_weights(model: nn.Module):
        """Convert applicable model parameters to fp16"""

        def _convert_weights_to_fp16(l):
            if isinstance(l, (nn.Conv1d, nn.Conv2d, nn.Linear)):
                l.weight.data = l.weight.data.half()
                if l.bias is not None:
                    l.bias.data = l.bias.data.half()
            if isinstance(l, nn.MultiheadAttention):
                for attr in [*[f"{s}_proj_weight" for s in ["in", "q", "k", "v"]], "in_proj_bias", "bias_k", "bias_v"]:
                    tensor = getattr(l, attr)
                    if tensor is not None:
                        tensor.data = tensor.data.half()
            for name in ["text_projection", "proj"]:
                if hasattr(l, name):
                    attr = getattr(l, name)
                    if attr is not None:
                        attr.data = attr.data.half()

        model.apply(_convert_weights_to_fp16)

    # open_clip/loss.py (world_size 1: no gather)
    class ClipLoss(nn.Module):
        def __init__(self, local_loss=False, gather_with_grad=False, cache_labels=False, rank=0,
                     world_size=1, use_horovod=False):
            super().__init__()
            self.local_loss = local_loss
            self.gather_with_grad = gather_with_grad
            self.cache_labels = cache_labels
            self.rank = rank
            self.world_size = world_size
            self.use_horovod = use_horovod
            self.prev_num_logits = 0
            self.labels = {}

        def get_ground_truth(self, device, num_logits) -> torch.Tensor:
            if self.prev_num_logits != num_logits or device not in self.labels:
                labels = torch.arange(num_logits, device=device, dtype=torch.long)
                if self.world_size > 1 and self.local_loss:
                    labels = labels + num_logits * self.rank
                if self.cache_labels:
                    self.labels[device] = labels
                    self.prev_num_logits = num_logits
            else:
                labels = self.labels[device]
            return labels

        def get_logits(self, image_features, text_features, logit_scale):
            logits_per_image = logit_scale * image_features @ text_features.T
            logits_per_text = logit_scale * text_features @ image_features.T
            return logits_per_image, logits_per_text

        def forward(self, image_features, text_features, logit_scale, output_dict=False):
            device = image_features.device
            logits_per_image, logits_per_text = self.get_logits(image_features, text_features, logit_scale)
            labels = self.get_ground_truth(device, logits_per_image.shape[0])
            total_loss = (
                F.cross_entropy(logits_per_image, labels) +
                F.cross_entropy(logits_per_text, labels)
            ) / 2
            return {"contrastive_loss": total_loss} if output_dict else total_loss

    class SigLipLoss(nn.Module):
        def __init__(self, cache_labels=False, rank=0, world_size=1, bidir=True, use_horovod=False):
            super().__init__()
            self.cache_labels = cache_labels
            self.rank = rank
            self.world_size = world_size
            self.use_horovod = use_horovod
            self.bidir = bidir
            self.prev_num_logits = 0
            self.labels = {}

        def get_ground_truth(self, device, dtype, num_logits, negative_only=False) -> torch.Tensor:
            labels = -torch.ones((num_logits, num_logits), device=device, dtype=dtype)
            if not negative_only:
                labels = 2 * torch.eye(num_logits, device=device, dtype=dtype) + labels
            return labels

        def get_logits(self, image_features, text_features, logit_scale, logit_bias=None):
            logits = logit_scale * image_features @ text_features.T
            if logit_bias is not None:
                logits += logit_bias
            return logits

        def _loss(self, image_features, text_features, logit_scale, logit_bias=None, negative_only=False):
            logits = self.get_logits(image_features, text_features, logit_scale, logit_bias)
            labels = self.get_ground_truth(
                image_features.device, image_features.dtype, image_features.shape[0],
                negative_only=negative_only)
            loss = -F.logsigmoid(labels * logits).sum() / image_features.shape[0]
            return loss

        def forward(self, image_features, text_features, logit_scale, logit_bias, output_dict=False):
            loss = self._loss(image_features, text_features, logit_scale, logit_bias)
            return {"contrastive_loss": loss} if output_dict else loss

    return dict(Bottleneck=Bottleneck, AttentionPool2d=AttentionPool2d,
                ModifiedResNet=ModifiedResNet, LayerNorm=LayerNorm, QuickGELU=QuickGELU,
                ResidualAttentionBlock=ResidualAttentionBlock, Transformer=Transformer,
                VisionTransformer=VisionTransformer, CLIP=CLIP, convert_weights=convert_weights,
                ClipLoss=ClipLoss, SigLipLoss=SigLipLoss)
