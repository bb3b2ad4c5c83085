"""Modern architectures written from scratch as learners copy them, scaled down to tiny
inputs and one or two training steps, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_archs.py. This file: timm's drop_path / DropPath and trunc_normal_
(timm/models/layers/drop.py, weight_init.py), ConvNeXt (facebookresearch/ConvNeXt
models/convnext.py) and a ViT with patch embedding by a strided Conv2d."""

import math
import warnings

from s16_yunjey_progs import Out


def _timm(L):
    """timm's drop_path, DropPath and trunc_normal_ as they are copied into user code."""
    nn = L.nn

    def drop_path(x, drop_prob: float = 0., training: bool = False, scale_by_keep: bool = True):
        if drop_prob == 0. or not training:
            return x
        keep_prob = 1 - drop_prob
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)  # work with diff dim tensors, not just 2D ConvNets
        random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
        if keep_prob > 0.0 and scale_by_keep:
            random_tensor.div_(keep_prob)
        return x * random_tensor

    def drop_path_old(x, drop_prob: float = 0., training: bool = False):
        if drop_prob == 0. or not training:
            return x
        keep_prob = 1 - drop_prob
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        random_tensor = keep_prob + L.rand(shape, dtype=x.dtype, device=x.device)
        random_tensor.floor_()  # binarize
        output = x.div(keep_prob) * random_tensor
        return output

    class DropPath(nn.Module):
        def __init__(self, drop_prob=None, scale_by_keep=True):
            super(DropPath, self).__init__()
            self.drop_prob = drop_prob
            self.scale_by_keep = scale_by_keep

        def forward(self, x):
            return drop_path(x, self.drop_prob, self.training, self.scale_by_keep)

        def extra_repr(self):
            return f'drop_prob={round(self.drop_prob,3):0.3f}'

    def _no_grad_trunc_normal_(tensor, mean, std, a, b):
        def norm_cdf(x):
            return (1. + math.erf(x / math.sqrt(2.))) / 2.

        if (mean < a - 2 * std) or (mean > b + 2 * std):
            warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                          "The distribution of values may be incorrect.",
                          stacklevel=2)
        with L.no_grad():
            l = norm_cdf((a - mean) / std)
            u = norm_cdf((b - mean) / std)
            tensor.uniform_(2 * l - 1, 2 * u - 1)
            tensor.erfinv_()
            tensor.mul_(std * math.sqrt(2.))
            tensor.add_(mean)
            tensor.clamp_(min=a, max=b)
            return tensor

    def trunc_normal_(tensor, mean=0., std=1., a=-2., b=2.):
        return _no_grad_trunc_normal_(tensor, mean, std, a, b)

    return drop_path, drop_path_old, DropPath, trunc_normal_


def timm_layers(L):
    nn = L.nn
    drop_path, drop_path_old, DropPath, trunc_normal_ = _timm(L)
    with Out() as o:
        L.manual_seed(0)
        x = L.randn(8, 3, 4, 4, requires_grad=True)
        dp = DropPath(0.25)
        o.print(dp)
        y = dp(x)
        o.vals.append(y)
        y.sum().backward()
        o.vals.append(x.grad)
        o.print(y.shape, y.requires_grad, type(y.grad_fn).__name__)
        dp.eval()
        o.print(L.equal(dp(x), x))
        o.vals.append(drop_path_old(x, 0.5, True))
        o.vals.append(drop_path(x.detach(), 0.3, True, scale_by_keep=False))
        w = L.empty(16, 8)
        trunc_normal_(w, std=.02)
        o.vals.append(w)
        o.print(w.abs().max().item() <= 0.04, w.dtype)
        w2 = L.empty(5, 5)
        trunc_normal_(w2, mean=3., std=1., a=-2., b=2.)
        o.vals.append(w2)
        w3 = L.empty(6, 4)
        nn.init.trunc_normal_(w3, std=.02)
        o.vals.append(w3)
        w4 = L.empty(6, 4)
        nn.init.trunc_normal_(w4, mean=3., std=1., a=-2., b=2.)
        o.vals.append(w4)
        o.vals.append(L.linspace(0, 0.1, 7))
        o.print([round(v.item(), 6) for v in L.linspace(0, 0.1, 7)])
    return o.done()


def _convnext(L, drop_path_rate):
    nn, F = L.nn, L.nn.functional
    _, _, DropPath, trunc_normal_ = _timm(L)

    class LayerNorm(nn.Module):
        def __init__(self, normalized_shape, eps=1e-6, data_format="channels_last"):
            super().__init__()
            self.weight = nn.Parameter(L.ones(normalized_shape))
            self.bias = nn.Parameter(L.zeros(normalized_shape))
            self.eps = eps
            self.data_format = data_format
            if self.data_format not in ["channels_last", "channels_first"]:
                raise NotImplementedError
            self.normalized_shape = (normalized_shape, )

        def forward(self, x):
            if self.data_format == "channels_last":
                return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
            elif self.data_format == "channels_first":
                u = x.mean(1, keepdim=True)
                s = (x - u).pow(2).mean(1, keepdim=True)
                x = (x - u) / L.sqrt(s + self.eps)
                x = self.weight[:, None, None] * x + self.bias[:, None, None]
                return x

    class Block(nn.Module):
        def __init__(self, dim, drop_path=0., layer_scale_init_value=1e-6):
            super().__init__()
            self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)  # depthwise conv
            self.norm = LayerNorm(dim, eps=1e-6)
            self.pwconv1 = nn.Linear(dim, 4 * dim)
            self.act = nn.GELU()
            self.pwconv2 = nn.Linear(4 * dim, dim)
            self.gamma = nn.Parameter(layer_scale_init_value * L.ones((dim)),
                                      requires_grad=True) if layer_scale_init_value > 0 else None
            self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

        def forward(self, x):
            input = x
            x = self.dwconv(x)
            x = x.permute(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
            x = self.norm(x)
            x = self.pwconv1(x)
            x = self.act(x)
            x = self.pwconv2(x)
            if self.gamma is not None:
                x = self.gamma * x
            x = x.permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
            x = input + self.drop_path(x)
            return x

    class ConvNeXt(nn.Module):
        def __init__(self, in_chans=3, num_classes=1000,
                     depths=[3, 3, 9, 3], dims=[96, 192, 384, 768], drop_path_rate=0.,
                     layer_scale_init_value=1e-6, head_init_scale=1.):
            super().__init__()
            self.downsample_layers = nn.ModuleList()
            stem = nn.Sequential(
                nn.Conv2d(in_chans, dims[0], kernel_size=4, stride=4),
                LayerNorm(dims[0], eps=1e-6, data_format="channels_first")
            )
            self.downsample_layers.append(stem)
            for i in range(3):
                downsample_layer = nn.Sequential(
                    LayerNorm(dims[i], eps=1e-6, data_format="channels_first"),
                    nn.Conv2d(dims[i], dims[i+1], kernel_size=2, stride=2),
                )
                self.downsample_layers.append(downsample_layer)
            self.stages = nn.ModuleList()
            dp_rates = [x.item() for x in L.linspace(0, drop_path_rate, sum(depths))]
            cur = 0
            for i in range(4):
                stage = nn.Sequential(
                    *[Block(dim=dims[i], drop_path=dp_rates[cur + j],
                            layer_scale_init_value=layer_scale_init_value) for j in range(depths[i])]
                )
                self.stages.append(stage)
                cur += depths[i]
            self.norm = nn.LayerNorm(dims[-1], eps=1e-6)  # final norm layer
            self.head = nn.Linear(dims[-1], num_classes)
            self.apply(self._init_weights)
            self.head.weight.data.mul_(head_init_scale)
            self.head.bias.data.mul_(head_init_scale)

        def _init_weights(self, m):
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                trunc_normal_(m.weight, std=.02)
                nn.init.constant_(m.bias, 0)

        def forward_features(self, x):
            for i in range(4):
                x = self.downsample_layers[i](x)
                x = self.stages[i](x)
            return self.norm(x.mean([-2, -1]))  # global average pooling

        def forward(self, x):
            x = self.forward_features(x)
            x = self.head(x)
            return x

    return ConvNeXt(num_classes=10, depths=[1, 1, 2, 1], dims=[8, 16, 24, 32],
                    drop_path_rate=drop_path_rate, layer_scale_init_value=0.1)


def convnext(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        model = _convnext(L, 0.2)
        o.print(model.stages[2])
        o.print(model.downsample_layers[0])
        o.print(sum(p.numel() for p in model.parameters() if p.requires_grad))
        optimizer = L.optim.AdamW(model.parameters(), lr=4e-3, weight_decay=0.05)
        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        x = L.randn(4, 3, 32, 32)
        y = L.randint(0, 10, (4,))
        model.train()
        for step in range(2):
            out = model(x)
            loss = criterion(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print('step {} loss {:.4f}'.format(step, loss.item()))
            o.vals.append(loss)
        o.vals += [model.stages[0][0].gamma.grad, model.downsample_layers[0][1].weight.grad,
                   model.head.weight]
        model.eval()
        with L.no_grad():
            out = model(x)
        o.vals.append(out)
        o.print(out.argmax(1).shape, out.softmax(-1).sum(-1).shape)
        o.print(list(model.state_dict().keys())[:8])
    return o.done()


def _vit(L):
    nn = L.nn
    _, _, _, trunc_normal_ = _timm(L)

    class PatchEmbed(nn.Module):
        def __init__(self, img_size=16, patch_size=4, in_chans=3, embed_dim=32):
            super().__init__()
            self.num_patches = (img_size // patch_size) * (img_size // patch_size)
            self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

        def forward(self, x):
            x = self.proj(x).flatten(2).transpose(1, 2)  # B, N, C
            return x

    class ViT(nn.Module):
        def __init__(self, img_size=16, patch_size=4, num_classes=10, dim=32, depth=2, heads=4,
                     mlp_dim=64, dropout=0.1):
            super().__init__()
            self.patch_embed = PatchEmbed(img_size, patch_size, 3, dim)
            num_patches = self.patch_embed.num_patches
            self.cls_token = nn.Parameter(L.zeros(1, 1, dim))
            self.pos_embed = nn.Parameter(L.zeros(1, num_patches + 1, dim))
            self.pos_drop = nn.Dropout(p=dropout)
            encoder_layer = nn.TransformerEncoderLayer(d_model=dim, nhead=heads,
                                                       dim_feedforward=mlp_dim, dropout=dropout,
                                                       activation='gelu', batch_first=True,
                                                       norm_first=True)
            self.encoder = nn.TransformerEncoder(encoder_layer, num_layers=depth)
            self.norm = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, num_classes)
            trunc_normal_(self.pos_embed, std=.02)
            trunc_normal_(self.cls_token, std=.02)
            self.apply(self._init_weights)

        def _init_weights(self, m):
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.LayerNorm):
                nn.init.constant_(m.bias, 0)
                nn.init.constant_(m.weight, 1.0)

        def forward(self, x):
            B = x.shape[0]
            x = self.patch_embed(x)
            cls_tokens = self.cls_token.expand(B, -1, -1)
            x = L.cat((cls_tokens, x), dim=1)
            x = x + self.pos_embed
            x = self.pos_drop(x)
            x = self.encoder(x)
            x = self.norm(x)
            return self.head(x[:, 0])

    return ViT()


def vit(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        model = _vit(L)
        o.print(model.patch_embed)
        o.print(model.encoder.layers[0])
        o.print(sum(p.numel() for p in model.parameters()))
        optimizer = L.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-4)
        scheduler = L.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
        criterion = nn.CrossEntropyLoss()
        x = L.randn(4, 3, 16, 16)
        y = L.randint(0, 10, (4,))
        model.train()
        for step in range(2):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            o.print(f'step {step} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.6f}')
            o.vals.append(loss)
        o.vals += [model.cls_token.grad, model.pos_embed.grad, model.patch_embed.proj.weight.grad]
        model.eval()
        with L.no_grad():
            logits = model(x)
            o.vals.append(logits)
            _, predicted = logits.max(1)
            o.print(predicted.dtype, (predicted == y).sum().item() <= 4)
    return o.done()
