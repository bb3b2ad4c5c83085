"""Modern architectures (see tests/s20_archs_progs.py), this file: a Swin Transformer block
(microsoft/Swin-Transformer models/swin_transformer.py: window partition, shifted windows
with torch.roll, relative position bias from meshgrid / register_buffer, the attention mask
by masked_fill), ConvMixer (locuslab/convmixer convmixer.py) and torchvision's
stochastic_depth as copied into user code."""

from s16_yunjey_progs import Out


def _swin(L):
    nn = L.nn
    _, _, DropPath, trunc_normal_ = __import__("s20_archs_progs")._timm(L)

    def to_2tuple(x):
        return x if isinstance(x, tuple) else (x, x)

    class Mlp(nn.Module):
        def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=nn.GELU, drop=0.):
            super().__init__()
            out_features = out_features or in_features
            hidden_features = hidden_features or in_features
            self.fc1 = nn.Linear(in_features, hidden_features)
            self.act = act_layer()
            self.fc2 = nn.Linear(hidden_features, out_features)
            self.drop = nn.Dropout(drop)

        def forward(self, x):
            x = self.fc1(x)
            x = self.act(x)
            x = self.drop(x)
            x = self.fc2(x)
            x = self.drop(x)
            return x

    def window_partition(x, window_size):
        B, H, W, C = x.shape
        x = x.view(B, H // window_size, window_size, W // window_size, window_size, C)
        windows = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, C)
        return windows

    def window_reverse(windows, window_size, H, W):
        B = int(windows.shape[0] / (H * W / window_size / window_size))
        x = windows.view(B, H // window_size, W // window_size, window_size, window_size, -1)
        x = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)
        return x

    class WindowAttention(nn.Module):
        def __init__(self, dim, window_size, num_heads, qkv_bias=True, qk_scale=None, attn_drop=0., proj_drop=0.):
            super().__init__()
            self.dim = dim
            self.window_size = window_size  # Wh, Ww
            self.num_heads = num_heads
            head_dim = dim // num_heads
            self.scale = qk_scale or head_dim ** -0.5
            self.relative_position_bias_table = nn.Parameter(
                L.zeros((2 * window_size[0] - 1) * (2 * window_size[1] - 1), num_heads))
            coords_h = L.arange(self.window_size[0])
            coords_w = L.arange(self.window_size[1])
            coords = L.stack(L.meshgrid([coords_h, coords_w], indexing='ij'))  # 2, Wh, Ww
            coords_flatten = L.flatten(coords, 1)  # 2, Wh*Ww
            relative_coords = coords_flatten[:, :, None] - coords_flatten[:, None, :]
            relative_coords = relative_coords.permute(1, 2, 0).contiguous()
            relative_coords[:, :, 0] += self.window_size[0] - 1
            relative_coords[:, :, 1] += self.window_size[1] - 1
            relative_coords[:, :, 0] *= 2 * self.window_size[1] - 1
            relative_position_index = relative_coords.sum(-1)  # Wh*Ww, Wh*Ww
            self.register_buffer("relative_position_index", relative_position_index)
            self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
            self.attn_drop = nn.Dropout(attn_drop)
            self.proj = nn.Linear(dim, dim)
            self.proj_drop = nn.Dropout(proj_drop)
            trunc_normal_(self.relative_position_bias_table, std=.02)
            self.softmax = nn.Softmax(dim=-1)

        def forward(self, x, mask=None):
            B_, N, C = x.shape
            qkv = self.qkv(x).reshape(B_, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            q = q * self.scale
            attn = (q @ k.transpose(-2, -1))
            relative_position_bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(
                self.window_size[0] * self.window_size[1], self.window_size[0] * self.window_size[1], -1)
            relative_position_bias = relative_position_bias.permute(2, 0, 1).contiguous()
            attn = attn + relative_position_bias.unsqueeze(0)
            if mask is not None:
                nW = mask.shape[0]
                attn = attn.view(B_ // nW, nW, self.num_heads, N, N) + mask.unsqueeze(1).unsqueeze(0)
                attn = attn.view(-1, self.num_heads, N, N)
                attn = self.softmax(attn)
            else:
                attn = self.softmax(attn)
            attn = self.attn_drop(attn)
            x = (attn @ v).transpose(1, 2).reshape(B_, N, C)
            x = self.proj(x)
            x = self.proj_drop(x)
            return x

        def extra_repr(self) -> str:
            return f'dim={self.dim}, window_size={self.window_size}, num_heads={self.num_heads}'

    class SwinTransformerBlock(nn.Module):
        def __init__(self, dim, input_resolution, num_heads, window_size=7, shift_size=0,
                     mlp_ratio=4., qkv_bias=True, drop_path=0., norm_layer=nn.LayerNorm):
            super().__init__()
            self.dim = dim
            self.input_resolution = input_resolution
            self.num_heads = num_heads
            self.window_size = window_size
            self.shift_size = shift_size
            self.mlp_ratio = mlp_ratio
            self.norm1 = norm_layer(dim)
            self.attn = WindowAttention(dim, window_size=to_2tuple(self.window_size), num_heads=num_heads,
                                        qkv_bias=qkv_bias)
            self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
            self.norm2 = norm_layer(dim)
            self.mlp = Mlp(in_features=dim, hidden_features=int(dim * mlp_ratio))
            if self.shift_size > 0:
                H, W = self.input_resolution
                img_mask = L.zeros((1, H, W, 1))  # 1 H W 1
                h_slices = (slice(0, -self.window_size),
                            slice(-self.window_size, -self.shift_size),
                            slice(-self.shift_size, None))
                w_slices = (slice(0, -self.window_size),
                            slice(-self.window_size, -self.shift_size),
                            slice(-self.shift_size, None))
                cnt = 0
                for h in h_slices:
                    for w in w_slices:
                        img_mask[:, h, w, :] = cnt
                        cnt += 1
                mask_windows = window_partition(img_mask, self.window_size)
                mask_windows = mask_windows.view(-1, self.window_size * self.window_size)
                attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
                attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))
            else:
                attn_mask = None
            self.register_buffer("attn_mask", attn_mask)

        def forward(self, x):
            H, W = self.input_resolution
            B, L_, C = x.shape
            assert L_ == H * W, "input feature has wrong size"
            shortcut = x
            x = self.norm1(x)
            x = x.view(B, H, W, C)
            if self.shift_size > 0:
                shifted_x = L.roll(x, shifts=(-self.shift_size, -self.shift_size), dims=(1, 2))
            else:
                shifted_x = x
            x_windows = window_partition(shifted_x, self.window_size)
            x_windows = x_windows.view(-1, self.window_size * self.window_size, C)
            attn_windows = self.attn(x_windows, mask=self.attn_mask)
            attn_windows = attn_windows.view(-1, self.window_size, self.window_size, C)
            shifted_x = window_reverse(attn_windows, self.window_size, H, W)
            if self.shift_size > 0:
                x = L.roll(shifted_x, shifts=(self.shift_size, self.shift_size), dims=(1, 2))
            else:
                x = shifted_x
            x = x.view(B, H * W, C)
            x = shortcut + self.drop_path(x)
            x = x + self.drop_path(self.mlp(self.norm2(x)))
            return x

    class PatchMerging(nn.Module):
        def __init__(self, input_resolution, dim, norm_layer=nn.LayerNorm):
            super().__init__()
            self.input_resolution = input_resolution
            self.dim = dim
            self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
            self.norm = norm_layer(4 * dim)

        def forward(self, x):
            H, W = self.input_resolution
            B, L_, C = x.shape
            x = x.view(B, H, W, C)
            x0 = x[:, 0::2, 0::2, :]  # B H/2 W/2 C
            x1 = x[:, 1::2, 0::2, :]
            x2 = x[:, 0::2, 1::2, :]
            x3 = x[:, 1::2, 1::2, :]
            x = L.cat([x0, x1, x2, x3], -1)  # B H/2 W/2 4*C
            x = x.view(B, -1, 4 * C)
            x = self.norm(x)
            x = self.reduction(x)
            return x

    class TinySwin(nn.Module):
        def __init__(self, num_classes=10, dim=16, res=8, window=4):
            super().__init__()
            self.patch_embed = nn.Conv2d(3, dim, kernel_size=2, stride=2)
            self.blocks = nn.ModuleList([
                SwinTransformerBlock(dim, (res, res), 2, window_size=window, shift_size=0),
                SwinTransformerBlock(dim, (res, res), 2, window_size=window, shift_size=window // 2,
                                     drop_path=0.1)])
            self.merge = PatchMerging((res, res), dim)
            self.norm = nn.LayerNorm(2 * dim)
            self.avgpool = nn.AdaptiveAvgPool1d(1)
            self.head = nn.Linear(2 * dim, num_classes)

        def forward(self, x):
            x = self.patch_embed(x).flatten(2).transpose(1, 2)
            for blk in self.blocks:
                x = blk(x)
            x = self.norm(self.merge(x))  # B L C
            x = self.avgpool(x.transpose(1, 2))  # B C 1
            x = L.flatten(x, 1)
            return self.head(x)

    return TinySwin()


def swin(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        model = _swin(L)
        o.print(model.blocks[1])
        blk = model.blocks[1]
        o.print(blk.attn.relative_position_index[:3], blk.attn.relative_position_index.dtype)
        o.print(blk.attn_mask.shape, blk.attn_mask.unique())
        o.print(list(dict(model.named_buffers()).keys()))
        optimizer = L.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
        x = L.randn(2, 3, 16, 16)
        y = L.tensor([3, 7])
        for step in range(2):
            optimizer.zero_grad()
            loss = nn.CrossEntropyLoss(label_smoothing=0.1)(model(x), y)
            loss.backward()
            optimizer.step()
            o.print(f'{loss.item():.4f}')
            o.vals.append(loss)
        o.vals += [blk.attn.relative_position_bias_table.grad, model.merge.reduction.weight.grad]
        model.eval()
        with L.no_grad():
            o.vals.append(model(x))
        o.vals.append(model.state_dict()['blocks.1.attn_mask'])
    return o.done()


def convmixer(L):
    nn = L.nn

    class Residual(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x):
            return self.fn(x) + x

    def ConvMixer(dim, depth, kernel_size=9, patch_size=7, n_classes=1000):
        return nn.Sequential(
            nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size),
            nn.GELU(),
            nn.BatchNorm2d(dim),
            *[nn.Sequential(
                Residual(nn.Sequential(
                    nn.Conv2d(dim, dim, kernel_size, groups=dim, padding="same"),
                    nn.GELU(),
                    nn.BatchNorm2d(dim)
                )),
                nn.Conv2d(dim, dim, kernel_size=1),
                nn.GELU(),
                nn.BatchNorm2d(dim)
            ) for i in range(depth)],
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(),
            nn.Linear(dim, n_classes)
        )

    with Out() as o:
        L.manual_seed(0)
        model = ConvMixer(16, 2, kernel_size=5, patch_size=2, n_classes=10)
        o.print(model[3])
        opt = L.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)
        scaler = L.amp.GradScaler('cpu', enabled=False)
        X = L.randn(4, 3, 16, 16)
        y = L.randint(0, 10, (4,))
        for step in range(2):
            with L.autocast(device_type='cpu', enabled=False):
                output = model(X)
                loss = nn.CrossEntropyLoss()(output, y)
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
            o.print(f'[ConvMixer] Epoch: {step} | Train Loss: {loss.item():.4f}')
            o.vals.append(loss)
        o.vals += [model[3][0].fn[0].weight.grad, model[2].running_var]
        model.eval()
        with L.no_grad():
            o.vals.append(model(X))
    return o.done()


def stochastic_depth_tv(L):
    def stochastic_depth(input, p: float, mode: str, training: bool = True):
        if p < 0.0 or p > 1.0:
            raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
        if mode not in ["batch", "row"]:
            raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
        if not training or p == 0.0:
            return input
        survival_rate = 1.0 - p
        if mode == "row":
            size = [input.shape[0]] + [1] * (input.ndim - 1)
        else:
            size = [1] * input.ndim
        noise = L.empty(size, dtype=input.dtype, device=input.device)
        noise = noise.bernoulli_(survival_rate)
        if survival_rate > 0.0:
            noise.div_(survival_rate)
        return input * noise

    with Out() as o:
        L.manual_seed(0)
        x = L.randn(6, 4, 3, 3, requires_grad=True)
        for mode in ("row", "batch"):
            y = stochastic_depth(x, 0.4, mode)
            o.vals.append(y)
        y = stochastic_depth(x, 1.0, "row")
        o.print(y.abs().sum().item())
        y.sum().backward()
        o.vals.append(x.grad)
        o.tryit(lambda: stochastic_depth(x, 1.2, "row"))
        xd = x.detach().double()
        o.vals.append(stochastic_depth(xd, 0.5, "row"))
        o.vals.append(L.empty(5).bernoulli_(L.tensor([0., .2, .5, .8, 1.])))
        o.vals.append(L.bernoulli(L.full((2, 3), 0.3)))
        o.vals.append(L.empty(4, dtype=L.float16).bernoulli_(0.5))
    return o.done()
