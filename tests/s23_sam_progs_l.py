"""MobileSAM's tiny_vit_sam.py continued (TinyViTBlock, BasicLayer, LayerNorm2d, TinyViT; see
s23_sam_progs_k) and the programs: build at tiny sizes, train two steps with per-parameter
lr_scale groups as TinyViT's layer-lr-decay recipe sets them (SGD, nesterov), eval with the cached attention
biases, repr, and Conv2d_BN.fuse() checked against the unfused module."""

import numpy as np

from s23_sam_progs_k import tinyvit_modules


def tinyvit_model_modules(torch):
    nn, F = torch.nn, torch.nn.functional
    K = tinyvit_modules(torch)
    Conv2d_BN, DropPath, Attention, Mlp = K["Conv2d_BN"], K["DropPath"], K["Attention"], K["Mlp"]
    trunc_normal_ = K["trunc_normal_"]

    class TinyViTBlock(nn.Module):
        def __init__(self, dim, input_resolution, num_heads, window_size=7, mlp_ratio=4.,
                     drop=0., drop_path=0., local_conv_size=3, activation=nn.GELU):
            super().__init__()
            self.dim = dim
            self.input_resolution = input_resolution
            self.num_heads = num_heads
            assert window_size > 0, 'window_size must be greater than 0'
            self.window_size = window_size
            self.mlp_ratio = mlp_ratio
            self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
            assert dim % num_heads == 0, 'dim must be divisible by num_heads'
            head_dim = dim // num_heads
            window_resolution = (window_size, window_size)
            self.attn = Attention(dim, head_dim, num_heads, attn_ratio=1, resolution=window_resolution)
            mlp_hidden_dim = int(dim * mlp_ratio)
            mlp_activation = activation
            self.mlp = Mlp(in_features=dim, hidden_features=mlp_hidden_dim,
                           act_layer=mlp_activation, drop=drop)
            pad = local_conv_size // 2
            self.local_conv = Conv2d_BN(dim, dim, ks=local_conv_size, stride=1, pad=pad, groups=dim)

        def forward(self, x):
            H, W = self.input_resolution
            B, L, C = x.shape
            assert L == H * W, "input feature has wrong size"
            res_x = x
            if H == self.window_size and W == self.window_size:
                x = self.attn(x)
            else:
                x = x.view(B, H, W, C)
                pad_b = (self.window_size - H % self.window_size) % self.window_size
                pad_r = (self.window_size - W % self.window_size) % self.window_size
                padding = pad_b > 0 or pad_r > 0
                if padding:
                    x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
                pH, pW = H + pad_b, W + pad_r
                nH = pH // self.window_size
                nW = pW // self.window_size
                x = x.view(B, nH, self.window_size, nW, self.window_size, C).transpose(2, 3).reshape(
                    B * nH * nW, self.window_size * self.window_size, C)
                x = self.attn(x)
                x = x.view(B, nH, nW, self.window_size, self.window_size, C).transpose(2, 3).reshape(
                    B, pH, pW, C)
                if padding:
                    x = x[:, :H, :W].contiguous()
                x = x.view(B, L, C)
            x = res_x + self.drop_path(x)
            x = x.transpose(1, 2).reshape(B, C, H, W)
            x = self.local_conv(x)
            x = x.view(B, C, L).transpose(1, 2)
            x = x + self.drop_path(self.mlp(x))
            return x

        def extra_repr(self) -> str:
            return f"dim={self.dim}, input_resolution={self.input_resolution}, num_heads={self.num_heads}, " \
                   f"window_size={self.window_size}, mlp_ratio={self.mlp_ratio}"

    class BasicLayer(nn.Module):
        def __init__(self, dim, input_resolution, depth, num_heads, window_size, mlp_ratio=4.,
                     drop=0., drop_path=0., downsample=None, use_checkpoint=False,
                     local_conv_size=3, activation=nn.GELU, out_dim=None):
            super().__init__()
            self.dim = dim
            self.input_resolution = input_resolution
            self.depth = depth
            self.use_checkpoint = use_checkpoint
            self.blocks = nn.ModuleList([
                TinyViTBlock(dim=dim, input_resolution=input_resolution, num_heads=num_heads,
                             window_size=window_size, mlp_ratio=mlp_ratio, drop=drop,
                             drop_path=drop_path[i] if isinstance(drop_path, list) else drop_path,
                             local_conv_size=local_conv_size, activation=activation)
                for i in range(depth)])
            if downsample is not None:
                self.downsample = downsample(input_resolution, dim=dim, out_dim=out_dim,
                                             activation=activation)
            else:
                self.downsample = None

        def forward(self, x):
            for blk in self.blocks:
                x = blk(x)
            if self.downsample is not None:
                x = self.downsample(x)
            return x

        def extra_repr(self) -> str:
            return f"dim={self.dim}, input_resolution={self.input_resolution}, depth={self.depth}"

    class LayerNorm2d(nn.Module):
        def __init__(self, num_channels, eps=1e-6):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(num_channels))
            self.bias = nn.Parameter(torch.zeros(num_channels))
            self.eps = eps

        def forward(self, x):
            u = x.mean(1, keepdim=True)
            s = (x - u).pow(2).mean(1, keepdim=True)
            x = (x - u) / torch.sqrt(s + self.eps)
            x = self.weight[:, None, None] * x + self.bias[:, None, None]
            return x

    class TinyViT(nn.Module):
        def __init__(self, img_size=224, in_chans=3, num_classes=1000,
                     embed_dims=[96, 192, 384, 768], depths=[2, 2, 6, 2],
                     num_heads=[3, 6, 12, 24], window_sizes=[7, 7, 14, 7], mlp_ratio=4.,
                     drop_rate=0., drop_path_rate=0.1, use_checkpoint=False,
                     mbconv_expand_ratio=4.0, local_conv_size=3, layer_lr_decay=1.0):
            super().__init__()
            self.img_size = img_size
            self.num_classes = num_classes
            self.depths = depths
            self.num_layers = len(depths)
            self.mlp_ratio = mlp_ratio
            activation = nn.GELU
            self.patch_embed = K["PatchEmbed"](in_chans=in_chans, embed_dim=embed_dims[0],
                                               resolution=img_size, activation=activation)
            patches_resolution = self.patch_embed.patches_resolution
            self.patches_resolution = patches_resolution
            dpr = [x.item() for x in torch.linspace(0, drop_path_rate, sum(depths))]
            self.layers = nn.ModuleList()
            for i_layer in range(self.num_layers):
                kwargs = dict(dim=embed_dims[i_layer],
                              input_resolution=(patches_resolution[0] // (2 ** (i_layer - 1 if i_layer == 3 else i_layer)),
                                                patches_resolution[1] // (2 ** (i_layer - 1 if i_layer == 3 else i_layer))),
                              depth=depths[i_layer],
                              drop_path=dpr[sum(depths[:i_layer]):sum(depths[:i_layer + 1])],
                              downsample=K["PatchMerging"] if (i_layer < self.num_layers - 1) else None,
                              use_checkpoint=use_checkpoint,
                              out_dim=embed_dims[min(i_layer + 1, len(embed_dims) - 1)],
                              activation=activation)
                if i_layer == 0:
                    layer = K["ConvLayer"](conv_expand_ratio=mbconv_expand_ratio, **kwargs)
                else:
                    layer = BasicLayer(num_heads=num_heads[i_layer], window_size=window_sizes[i_layer],
                                       mlp_ratio=self.mlp_ratio, drop=drop_rate,
                                       local_conv_size=local_conv_size, **kwargs)
                self.layers.append(layer)
            self.norm_head = nn.LayerNorm(embed_dims[-1])
            self.head = nn.Linear(embed_dims[-1], num_classes) if num_classes > 0 else torch.nn.Identity()
            self.apply(self._init_weights)
            self.set_layer_lr_decay(layer_lr_decay)
            self.neck = nn.Sequential(
                nn.Conv2d(embed_dims[-1], 256, kernel_size=1, bias=False),
                LayerNorm2d(256),
                nn.Conv2d(256, 256, kernel_size=3, padding=1, bias=False),
                LayerNorm2d(256),
            )

        def set_layer_lr_decay(self, layer_lr_decay):
            decay_rate = layer_lr_decay
            depth = sum(self.depths)
            lr_scales = [decay_rate ** (depth - i - 1) for i in range(depth)]

            def _set_lr_scale(m, scale):
                for p in m.parameters():
                    p.lr_scale = scale

            self.patch_embed.apply(lambda x: _set_lr_scale(x, lr_scales[0]))
            i = 0
            for layer in self.layers:
                for block in layer.blocks:
                    block.apply(lambda x: _set_lr_scale(x, lr_scales[i]))
                    i += 1
                if layer.downsample is not None:
                    layer.downsample.apply(lambda x: _set_lr_scale(x, lr_scales[i - 1]))
            assert i == depth
            for m in [self.norm_head, self.head]:
                m.apply(lambda x: _set_lr_scale(x, lr_scales[-1]))
            for k, p in self.named_parameters():
                p.param_name = k

            def _check_lr_scale(m):
                for p in m.parameters():
                    assert hasattr(p, 'lr_scale'), p.param_name

            self.apply(_check_lr_scale)

        def _init_weights(self, m):
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.LayerNorm):
                nn.init.constant_(m.bias, 0)
                nn.init.constant_(m.weight, 1.0)

        def no_weight_decay_keywords(self):
            return {'attention_biases'}

        def forward_features(self, x):
            x = self.patch_embed(x)
            x = self.layers[0](x)
            start_i = 1
            for i in range(start_i, len(self.layers)):
                layer = self.layers[i]
                x = layer(x)
            B, _, C = x.size()
            x = x.view(B, 4, 4, C)  # view(B, 64, 64, C) at MobileSAM's 1024-pixel input
            x = x.permute(0, 3, 1, 2)
            x = self.neck(x)
            return x

        def forward(self, x):
            x = self.forward_features(x)
            return x

    return TinyViT


def _build(torch, drop_path_rate=0.1):
    TinyViT = tinyvit_model_modules(torch)
    torch.manual_seed(0)
    return TinyViT(img_size=64, in_chans=3, num_classes=10, embed_dims=[8, 16, 24, 320],
                   depths=[1, 1, 2, 1], num_heads=[1, 2, 3, 10], window_sizes=[4, 4, 3, 2],
                   mlp_ratio=2., drop_rate=0., drop_path_rate=drop_path_rate, use_checkpoint=False,
                   mbconv_expand_ratio=2.0, local_conv_size=3, layer_lr_decay=0.8)


def tinyvit_train(torch):
    model = _build(torch)
    out, vals = [], []
    out.append(f"params {sum(p.numel() for p in model.parameters())} "
               f"buffers {len(list(model.buffers()))} state {len(model.state_dict())}")
    out.append(str(sorted({round(p.lr_scale, 6) for p in model.parameters() if hasattr(p, 'lr_scale')})))
    out.append(str([n for n, b in model.named_buffers() if "attention_bias_idxs" in n][:2]))
    out.append(str(model.layers[2].blocks[0].attn.attention_bias_idxs.dtype)
               + " " + str(tuple(model.layers[2].blocks[0].attn.attention_bias_idxs.shape)))
    groups = {}
    skip = model.no_weight_decay_keywords()
    for n, p in model.named_parameters():
        wd = 0.0 if (p.ndim == 1 or any(k in n for k in skip)) else 0.05
        key = (getattr(p, 'lr_scale', 1.0), wd)
        groups.setdefault(key, []).append(p)
    param_groups = [{"params": ps, "lr": 0.05 * s, "weight_decay": wd}
                    for (s, wd), ps in sorted(groups.items(), key=lambda kv: kv[0])]
    # TinyViT's build_optimizer, its 'sgd' choice (nesterov); AdamW's first step moves every
    # weight by about lr whatever the size of its gradient, so the handful of weights whose
    # gradient is float32 noise (fc2 biases that a train-mode BatchNorm cancels) would move
    # by a random +-lr on each library
    optimizer = torch.optim.SGD(param_groups, momentum=0.9, nesterov=True, lr=1e-3)
    out.append(f"groups {len(optimizer.param_groups)}")
    rng = np.random.default_rng(14)
    model.train()
    for step in range(2):
        x = torch.from_numpy(rng.standard_normal((2, 3, 64, 64)).astype(np.float32))
        torch.manual_seed(10 + step)
        y = model(x)
        target = torch.from_numpy(rng.standard_normal((2, 256, 4, 4)).astype(np.float32))
        loss = torch.nn.functional.mse_loss(y, target) \
            + model.layers[2].blocks[0].attn.attention_biases.pow(2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        out.append(f"step {step} {tuple(y.shape)} loss {loss.item():.4f} "
                   f"{hasattr(model.layers[1].blocks[0].attn, 'ab')}")
        vals += [loss.detach(), model.layers[1].blocks[0].attn.attention_biases.grad]
    vals += [model.layers[0].blocks[0].conv1.bn.running_mean,
             model.layers[3].blocks[0].attn.attention_biases.detach()]
    model.eval()
    attn = model.layers[2].blocks[1].attn
    out.append(f"eval ab {tuple(attn.ab.shape)} {attn.ab.requires_grad}")
    with torch.no_grad():
        y = model(torch.from_numpy(rng.standard_normal((1, 3, 64, 64)).astype(np.float32)))
    out.append(f"eval {tuple(y.shape)} abs sum {y.abs().sum().item():.2f}")
    vals.append(attn.ab)
    model.train()
    out.append(f"train again {hasattr(attn, 'ab')}")
    return out, vals


def tinyvit_pieces(torch):
    K = tinyvit_modules(torch)
    out, vals = [], []
    torch.manual_seed(0)
    cbn = K["Conv2d_BN"](4, 6, ks=3, stride=2, pad=1, groups=2)
    rng = np.random.default_rng(15)
    x = torch.from_numpy(rng.standard_normal((2, 4, 7, 7)).astype(np.float32))
    cbn.train()
    cbn(x)
    cbn(x * 2 + 1)
    cbn.eval()
    ref = cbn(x)
    fused = cbn.fuse()
    out.append(repr(fused))
    out.append(f"fused {tuple(fused.weight.shape)} {fused.weight.requires_grad}")
    got = fused(x)
    out.append(f"close {torch.allclose(got, ref, atol=1e-5)}")
    vals += [fused.weight, fused.bias, got.detach(), ref.detach()]
    dp = K["DropPath"](0.25)
    out.append(repr(dp))
    dp.train()
    torch.manual_seed(3)
    vals.append(dp(torch.ones(4, 3)))
    out.append(str(K["to_2tuple"](5)) + " " + str(K["to_2tuple"]((3, 4))))
    out.append(repr(K["Attention"](8, 4, 2, attn_ratio=1, resolution=(2, 2))))
    return out, vals
