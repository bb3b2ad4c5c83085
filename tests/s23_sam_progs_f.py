"""facebookresearch/sam2 pieces as users copy them, at tiny sizes: modeling/backbones/hieradet.py
(Hiera with MultiScaleBlock, MultiScaleAttention on F.scaled_dot_product_attention, q-pooling
with MaxPool2d, the windowed positional embedding through bicubic F.interpolate + tile),
backbones/utils.py (PatchEmbed, window_partition / window_unpartition with reshape),
sam2_utils.py (DropPath, MLP), position_encoding.py (PositionEmbeddingSine with its cache,
encode_points / encode_boxes, init_t_xy) and sam/transformer.py's RoPEAttention.
compute_axial_cis / apply_rotary_enc use complex tensors (torch.polar, view_as_complex), which
ember does not have: they are written here with the same numbers kept real (cos / sin tables
and the rotation (a, b) -> (a cos - b sin, a sin + b cos) on the interleaved pairs)."""

from functools import partial


def sam2_modules(L):
    torch, nn, F = L, L.nn, L.nn.functional

    class DropPath(nn.Module):
        def __init__(self, drop_prob=0.0, scale_by_keep=True):
            super(DropPath, self).__init__()
            self.drop_prob = drop_prob
            self.scale_by_keep = scale_by_keep

        def forward(self, x):
            if self.drop_prob == 0.0 or not self.training:
                return x
            keep_prob = 1 - self.drop_prob
            shape = (x.shape[0],) + (1,) * (x.ndim - 1)
            random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
            if keep_prob > 0.0 and self.scale_by_keep:
                random_tensor.div_(keep_prob)
            return x * random_tensor

    class MLP(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim, num_layers, activation=nn.ReLU,
                     sigmoid_output=False):
            super().__init__()
            self.num_layers = num_layers
            h = [hidden_dim] * (num_layers - 1)
            self.layers = nn.ModuleList(
                nn.Linear(n, k) for n, k in zip([input_dim] + h, h + [output_dim]))
            self.sigmoid_output = sigmoid_output
            self.act = activation()

        def forward(self, x):
            for i, layer in enumerate(self.layers):
                x = self.act(layer(x)) if i < self.num_layers - 1 else layer(x)
            if self.sigmoid_output:
                x = F.sigmoid(x)
            return x

    def window_partition(x, window_size):
        B, H, W, C = x.shape
        pad_h = (window_size - H % window_size) % window_size
        pad_w = (window_size - W % window_size) % window_size
        if pad_h > 0 or pad_w > 0:
            x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        Hp, Wp = H + pad_h, W + pad_w
        x = x.view(B, Hp // window_size, window_size, Wp // window_size, window_size, C)
        windows = x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size, window_size, C)
        return windows, (Hp, Wp)

    def window_unpartition(windows, window_size, pad_hw, hw):
        Hp, Wp = pad_hw
        H, W = hw
        B = windows.shape[0] // (Hp * Wp // window_size // window_size)
        x = windows.reshape(B, Hp // window_size, Wp // window_size, window_size, window_size, -1)
        x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, Hp, Wp, -1)
        if Hp > H or Wp > W:
            x = x[:, :H, :W, :]
        return x

    class PatchEmbed(nn.Module):
        def __init__(self, kernel_size=(7, 7), stride=(4, 4), padding=(3, 3), in_chans=3,
                     embed_dim=768):
            super().__init__()
            self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=kernel_size, stride=stride,
                                  padding=padding)

        def forward(self, x):
            x = self.proj(x)
            x = x.permute(0, 2, 3, 1)
            return x

    def do_pool(x, pool, norm=None):
        if pool is None:
            return x
        x = x.permute(0, 3, 1, 2)
        x = pool(x)
        x = x.permute(0, 2, 3, 1)
        if norm:
            x = norm(x)
        return x

    class MultiScaleAttention(nn.Module):
        def __init__(self, dim, dim_out, num_heads, q_pool=None):
            super().__init__()
            self.dim = dim
            self.dim_out = dim_out
            self.num_heads = num_heads
            head_dim = dim_out // num_heads
            self.scale = head_dim**-0.5
            self.q_pool = q_pool
            self.qkv = nn.Linear(dim, dim_out * 3)
            self.proj = nn.Linear(dim_out, dim_out)

        def forward(self, x):
            B, H, W, _ = x.shape
            qkv = self.qkv(x).reshape(B, H * W, 3, self.num_heads, -1)
            q, k, v = torch.unbind(qkv, 2)
            if self.q_pool:
                q = do_pool(q.reshape(B, H, W, -1), self.q_pool)
                H, W = q.shape[1:3]
                q = q.reshape(B, H * W, self.num_heads, -1)
            x = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2),
                                               v.transpose(1, 2))
            x = x.transpose(1, 2)
            x = x.reshape(B, H, W, -1)
            x = self.proj(x)
            return x

    class MultiScaleBlock(nn.Module):
        def __init__(self, dim, dim_out, num_heads, mlp_ratio=4.0, drop_path=0.0,
                     norm_layer="LayerNorm", q_stride=None, act_layer=nn.GELU, window_size=0):
            super().__init__()
            if isinstance(norm_layer, str):
                norm_layer = partial(getattr(nn, norm_layer), eps=1e-6)
            self.dim = dim
            self.dim_out = dim_out
            self.norm1 = norm_layer(dim)
            self.window_size = window_size
            self.pool, self.q_stride = None, q_stride
            if self.q_stride:
                self.pool = nn.MaxPool2d(kernel_size=q_stride, stride=q_stride, ceil_mode=False)
            self.attn = MultiScaleAttention(dim, dim_out, num_heads=num_heads, q_pool=self.pool)
            self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
            self.norm2 = norm_layer(dim_out)
            self.mlp = MLP(dim_out, int(dim_out * mlp_ratio), dim_out, num_layers=2,
                           activation=act_layer)
            if dim != dim_out:
                self.proj = nn.Linear(dim, dim_out)

        def forward(self, x):
            shortcut = x
            x = self.norm1(x)
            if self.dim != self.dim_out:
                shortcut = do_pool(self.proj(x), self.pool)
            window_size = self.window_size
            if window_size > 0:
                H, W = x.shape[1], x.shape[2]
                x, pad_hw = window_partition(x, window_size)
            x = self.attn(x)
            if self.q_stride:
                window_size = self.window_size // self.q_stride[0]
                H, W = shortcut.shape[1:3]
                pad_h = (window_size - H % window_size) % window_size
                pad_w = (window_size - W % window_size) % window_size
                pad_hw = (H + pad_h, W + pad_w)
            if self.window_size > 0:
                x = window_unpartition(x, window_size, pad_hw, (H, W))
            x = shortcut + self.drop_path(x)
            x = x + self.drop_path(self.mlp(self.norm2(x)))
            return x

    class Hiera(nn.Module):
        def __init__(self, embed_dim=96, num_heads=1, drop_path_rate=0.0, q_pool=3,
                     q_stride=(2, 2), stages=(2, 3, 16, 3), dim_mul=2.0, head_mul=2.0,
                     window_pos_embed_bkg_spatial_size=(14, 14), window_spec=(8, 4, 14, 7),
                     global_att_blocks=(12, 16, 20), return_interm_layers=True):
            super().__init__()
            assert len(stages) == len(window_spec)
            self.window_spec = window_spec
            depth = sum(stages)
            self.q_stride = q_stride
            self.stage_ends = [sum(stages[:i]) - 1 for i in range(1, len(stages) + 1)]
            assert 0 <= q_pool <= len(self.stage_ends[:-1])
            self.q_pool_blocks = [x + 1 for x in self.stage_ends[:-1]][:q_pool]
            self.return_interm_layers = return_interm_layers
            self.patch_embed = PatchEmbed(embed_dim=embed_dim)
            self.global_att_blocks = global_att_blocks
            self.window_pos_embed_bkg_spatial_size = window_pos_embed_bkg_spatial_size
            self.pos_embed = nn.Parameter(
                torch.zeros(1, embed_dim, *self.window_pos_embed_bkg_spatial_size))
            self.pos_embed_window = nn.Parameter(
                torch.zeros(1, embed_dim, self.window_spec[0], self.window_spec[0]))
            dpr = [x.item() for x in torch.linspace(0, drop_path_rate, depth)]
            cur_stage = 1
            self.blocks = nn.ModuleList()
            for i in range(depth):
                dim_out = embed_dim
                window_size = self.window_spec[cur_stage - 1]
                if self.global_att_blocks is not None:
                    window_size = 0 if i in self.global_att_blocks else window_size
                if i - 1 in self.stage_ends:
                    dim_out = int(embed_dim * dim_mul)
                    num_heads = int(num_heads * head_mul)
                    cur_stage += 1
                block = MultiScaleBlock(dim=embed_dim, dim_out=dim_out, num_heads=num_heads,
                                        drop_path=dpr[i],
                                        q_stride=self.q_stride if i in self.q_pool_blocks else None,
                                        window_size=window_size)
                embed_dim = dim_out
                self.blocks.append(block)
            self.channel_list = ([self.blocks[i].dim_out for i in self.stage_ends[::-1]]
                                 if return_interm_layers else [self.blocks[-1].dim_out])

        def _get_pos_embed(self, hw):
            h, w = hw
            window_embed = self.pos_embed_window
            pos_embed = F.interpolate(self.pos_embed, size=(h, w), mode="bicubic")
            pos_embed = pos_embed + window_embed.tile(
                [x // y for x, y in zip(pos_embed.shape, window_embed.shape)])
            pos_embed = pos_embed.permute(0, 2, 3, 1)
            return pos_embed

        def forward(self, x):
            x = self.patch_embed(x)
            x = x + self._get_pos_embed(x.shape[1:3])
            outputs = []
            for i, blk in enumerate(self.blocks):
                x = blk(x)
                if (i == self.stage_ends[-1]) or (i in self.stage_ends and self.return_interm_layers):
                    feats = x.permute(0, 3, 1, 2)
                    outputs.append(feats)
            return outputs

    return dict(DropPath=DropPath, MLP=MLP, window_partition=window_partition,
                window_unpartition=window_unpartition, PatchEmbed=PatchEmbed, Hiera=Hiera,
                MultiScaleBlock=MultiScaleBlock)
