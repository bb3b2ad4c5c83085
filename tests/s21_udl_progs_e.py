"""ThanhL/udlbook-learn, the Chap18 diffusion side notebooks as typed: conv1d_examples.ipynb
(Downsample1d / Upsample1d on an unbatched (C, L) input, printed with their grad_fn) and
attention_head_examples.ipynb (the U-Net SelfAttention block: nn.MultiheadAttention with
batch_first, LayerNorm([channels]), GELU, swapaxes and view back to an image). Sizes shrunk."""

from s16_yunjey_progs import Out


def conv1d_examples(torch):
    nn = torch.nn
    torch.manual_seed(0)
    with Out() as o:
        class Downsample1d(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.conv = nn.Conv1d(dim, dim, 3, 2, 1)

            def forward(self, x):
                return self.conv(x)

        class Upsample1d(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.conv = nn.ConvTranspose1d(dim, dim, 4, 2, 1)

            def forward(self, x):
                return self.conv(x)
        a = torch.arange(0, 8, dtype=torch.float32).view(1, -1)
        o.print(f"a ({a.shape}):\n{a}")
        downsample_1d = Downsample1d(dim=len(a))
        downsample_out = downsample_1d(a)
        o.print(f"Downsampled output ({downsample_out.shape}):\n{downsample_out}")
        a = torch.arange(0, 4, dtype=torch.float32).view(1, -1)
        o.print(f"a ({a.shape}):\n{a}")
        upsample_1d = Upsample1d(dim=len(a))
        upsample_out = upsample_1d(a)
        o.print(f"Upsampled output ({upsample_out.shape}):\n{upsample_out}")
        # the same layers on batched and multi-channel input
        d3, u3 = Downsample1d(3), Upsample1d(3)
        x = torch.randn(2, 3, 10, requires_grad=True)
        y = u3(d3(x))
        o.print(y.shape, type(y.grad_fn).__name__)
        y.pow(2).mean().backward()
        o.print(d3, u3)
        o.tryit(lambda: Downsample1d(2)(torch.zeros(5)))
        o.tryit(lambda: Downsample1d(2)(torch.zeros(1, 3, 8)))
        o.vals += [downsample_out, upsample_out, y, x.grad, d3.conv.weight.grad,
                   u3.conv.weight.grad, u3.conv.bias.grad]
    return o.done()


def attention_head_examples(torch):
    nn = torch.nn
    torch.manual_seed(1)
    with Out() as o:
        batch_size = 4
        channels = 8
        size = 4
        x_test = torch.randn(batch_size, channels, size, size)
        x = x_test.view(-1, channels, size * size).swapaxes(1, 2)
        o.print(f"x shape: {x.shape}")
        o.print(x_test.view(-1, channels, size * size).shape, x.is_contiguous(), x.stride())

        class SelfAttention(nn.Module):
            def __init__(self, channels, size):
                super(SelfAttention, self).__init__()
                self.channels = channels
                self.size = size
                self.mha = nn.MultiheadAttention(channels, 4, batch_first=True)
                self.ln = nn.LayerNorm([channels])
                self.ff_self = nn.Sequential(
                    nn.LayerNorm([channels]),
                    nn.Linear(channels, channels),
                    nn.GELU(),
                    nn.Linear(channels, channels),
                )

            def forward(self, x):
                x = x.view(-1, self.channels, self.size * self.size).swapaxes(1, 2)
                x_ln = self.ln(x)
                attention_value, _ = self.mha(x_ln, x_ln, x_ln)
                attention_value = attention_value + x
                attention_value = self.ff_self(attention_value) + attention_value
                return attention_value.swapaxes(2, 1).view(-1, self.channels, self.size, self.size)
        sa = SelfAttention(channels, size)
        o.print(sa)
        x_in = x_test.clone().requires_grad_()
        out = sa(x_in)
        o.print(out.shape, out.is_contiguous(), type(out.grad_fn).__name__)
        out.sum().backward()
        attn_out, attn_w = sa.mha(x, x, x)
        o.print(attn_w.shape, f"{attn_w.sum(-1).mean().item():.4f}")
        sa.eval()
        with torch.no_grad():
            out_eval = sa(x_test)
        o.print(out_eval.requires_grad)
        o.tryit(lambda: out.swapaxes(2, 1).view(-1))
        o.vals += [out, x_in.grad, attn_w, out_eval, sa.mha.in_proj_weight.grad,
                   sa.ff_self[0].weight.grad]
    return o.done()


def _unet_classes(torch, W):
    """MLOps_Tute/diffusion_mnist/model.py's blocks, channel widths divided by W."""
    import math
    nn = torch.nn

    class SinusoidalPosEmb(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.dim = dim

        def forward(self, x):
            device = x.device
            half_dim = self.dim // 2
            emb = math.log(10000) / (half_dim - 1)
            emb = torch.exp(torch.arange(half_dim, device=device) * -emb)
            emb = x[:, None] * emb[None, :]
            emb = torch.cat((emb.sin(), emb.cos()), dim=-1)
            return emb

    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels, mid_channels=None, n_groups=1):
            super().__init__()
            if not mid_channels:
                mid_channels = out_channels
            self.block = nn.Sequential(
                nn.Conv2d(in_channels=in_channels, out_channels=mid_channels, kernel_size=3,
                          padding=1, bias=False),
                nn.GroupNorm(num_groups=n_groups, num_channels=mid_channels),
                nn.Mish(),
                nn.Conv2d(in_channels=mid_channels, out_channels=out_channels, kernel_size=3,
                          padding=1, bias=False),
                nn.GroupNorm(num_groups=n_groups, num_channels=out_channels),
                nn.Mish(),
            )

        def forward(self, x):
            return self.block(x)

    class DownMaxPoolConv(nn.Module):
        def __init__(self, in_channels, out_channels, mid_channels=None, n_groups=1,
                     time_emb_dim=256 // W):
            super().__init__()
            self.maxpool_conv = nn.Sequential(
                nn.MaxPool2d(kernel_size=2),
                DoubleConv(in_channels=in_channels, out_channels=out_channels,
                           mid_channels=mid_channels, n_groups=n_groups))
            self.time_emb_layer = nn.Sequential(nn.Mish(), nn.Linear(time_emb_dim, out_channels))

        def forward(self, x, t=None):
            if t is not None:
                x = self.maxpool_conv(x)
                t = self.time_emb_layer(t)[:, :, None, None].repeat(1, 1, x.shape[-2], x.shape[-1])
                return x + t
            else:
                return self.maxpool_conv(x)

    class UpConv(nn.Module):
        def __init__(self, in_channels, out_channels, mid_channels=None, n_groups=1,
                     time_emb_dim=256 // W):
            super().__init__()
            self.up_conv = nn.Sequential(
                nn.ConvTranspose2d(in_channels=in_channels, out_channels=in_channels // 2,
                                   kernel_size=2, stride=2),
                DoubleConv(in_channels=in_channels // 2, out_channels=out_channels,
                           mid_channels=mid_channels, n_groups=n_groups))
            self.up = nn.ConvTranspose2d(in_channels=in_channels, out_channels=in_channels // 2,
                                         kernel_size=4, stride=2, padding=1)
            self.double_conv = DoubleConv(in_channels=in_channels, out_channels=out_channels,
                                          mid_channels=mid_channels, n_groups=n_groups)
            self.time_emb_layer = nn.Sequential(nn.Mish(), nn.Linear(time_emb_dim, out_channels))

        def forward(self, x1, x2=None, t=None):
            if x2 is not None:
                x1 = self.up(x1)
                x = torch.cat([x2, x1], dim=1)
                x = self.double_conv(x)
            else:
                x = self.up_conv(x1)
            if t is not None:
                t = self.time_emb_layer(t)[:, :, None, None].repeat(1, 1, x.shape[-2], x.shape[-1])
                return x + t
            else:
                return x

    class UNetClassic(nn.Module):
        def __init__(self, c_in=1, c_out=1, time_dim=256 // W, device="cuda"):
            super().__init__()
            self.device = device
            self.time_dim = time_dim
            self.diffusion_step_encoder = nn.Sequential(SinusoidalPosEmb(dim=self.time_dim))
            self.inc = DoubleConv(in_channels=c_in, out_channels=64 // W)
            self.down1 = DownMaxPoolConv(in_channels=64 // W, out_channels=128 // W)
            self.down2 = DownMaxPoolConv(in_channels=128 // W, out_channels=256 // W)
            self.up1 = UpConv(in_channels=256 // W, out_channels=128 // W)
            self.up2 = UpConv(in_channels=128 // W, out_channels=64 // W)
            self.outc = nn.Conv2d(in_channels=64 // W, out_channels=c_out, kernel_size=3, padding=1)

        def forward(self, sample, timestep):
            timesteps = timestep
            if not torch.is_tensor(timesteps):
                timesteps = torch.tensor([timesteps], dtype=torch.long, device=sample.device)
            elif torch.is_tensor(timesteps) and len(timesteps.shape) == 0:
                timesteps = timesteps[None].to(sample.device)
            timesteps = timesteps.expand(sample.shape[0])
            t_emb = self.diffusion_step_encoder(timesteps)
            x1 = self.inc(sample)
            x2 = self.down1(x1, t_emb)
            x3 = self.down2(x2, t_emb)
            x = self.up1(x3, x2, t_emb)
            x = self.up2(x, x1, t_emb)
            logits = self.outc(x)
            return logits
    return UNetClassic, UpConv


def unet_diffusion(torch):
    """MLOps_Tute/diffusion_mnist/model.py (UNetClassic, widths / 8, 12x12 images): the
    training_step / sample loops with diffusers' DDPMScheduler replaced by its add_noise and
    step formulas on a squared-cosine beta schedule (the Lightning loop by a plain one)."""
    import math
    import numpy as np
    nn = torch.nn
    UNetClassic, UpConv = _unet_classes(torch, 8)
    T = 20
    ts = np.arange(T + 1) / T
    ab = np.cos((ts + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = torch.tensor(np.minimum(1 - ab[1:] / ab[:-1], 0.999), dtype=torch.float32)
    alphas = 1.0 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)

    def add_noise(x, noise, t):
        s = alphas_cumprod[t] ** 0.5
        s1 = (1 - alphas_cumprod[t]) ** 0.5
        while len(s.shape) < len(x.shape):
            s, s1 = s.unsqueeze(-1), s1.unsqueeze(-1)
        return s * x + s1 * noise

    # the system's own learning_rate (1e-4): with 1e-3, a weight whose first gradient is a
    # cancellation (-3.3e-8 against a mean |grad| of 1e-3) moved by 4e-6, float32 summation
    # order giving that gradient 2% apart and Adam's g / (|g| + eps) passing it on
    torch.manual_seed(0)
    rng = np.random.RandomState(3)
    images_all = torch.from_numpy(rng.rand(8, 1, 12, 12).astype(np.float32)) * 2 - 1
    with Out() as o:
        unet = UNetClassic(device='cpu')
        o.print(sum(p.numel() for p in unet.parameters()), unet.up1)
        optimizer = torch.optim.Adam(unet.parameters(), lr=1e-4)
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(images_all, torch.zeros(8, dtype=torch.long)),
            batch_size=4, shuffle=True)
        for epoch in range(2):
            for batch_idx, (images, _) in enumerate(loader):
                timesteps = torch.randint(0, T, (images.shape[0],), device='cpu').to(device='cpu')
                noise = torch.randn(images.shape, device='cpu')
                noisy_image = add_noise(images, noise, timesteps)
                predicted_noise = unet(noisy_image, timesteps)
                loss = nn.MSELoss()(predicted_noise, noise)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                o.print(f"epoch {epoch} batch {batch_idx} train_loss {loss.item():.4f}")
        unet.eval()
        with torch.no_grad():
            nimage = torch.randn((1, 1, 12, 12)).to('cpu')
            # from t = 14 (alphas_cumprod 0.14): at t = 19 it is 6e-6, and dividing by its
            # root magnified float32's last bits 400 times (in diffusers' step as well)
            for k in torch.arange(T - 6, -1, -5):
                noise_pred = unet(sample=nimage, timestep=k)
                a_t, ab_t = alphas[k], alphas_cumprod[k]
                x0 = ((nimage - (1 - ab_t) ** 0.5 * noise_pred) / ab_t ** 0.5).clamp(-1, 1)
                nimage = a_t ** 0.5 * nimage + (1 - a_t) ** 0.5 * x0
            o.print(nimage.shape, nimage.requires_grad, f"{nimage.abs().max().item():.4f}")
            o.print(unet(nimage, 3).shape, unet(nimage, torch.tensor(3)).shape)
        unet.train()
        image = torch.permute(nimage[0], (1, 2, 0)).detach().cpu().numpy()
        o.print(image.shape, image.dtype)
        up = UpConv(16, 8, time_emb_dim=4)
        o.print(up(torch.ones(2, 16, 3, 3)).shape)
        o.vals += [nimage, *unet.parameters()]
    return o.done()
