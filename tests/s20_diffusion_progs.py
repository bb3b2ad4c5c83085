"""dome272/Diffusion-Models-pytorch (modules.py, ddpm.py, ddpm_conditional.py) as users type
them, scaled down: channel widths /8 (64-128-256 -> 8-16-32, time_dim 32), 8x8 random
"images" instead of the landscape / CIFAR folders, noise_steps 6, 2 training steps, no tqdm /
logging / wandb / save_image, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_diffusion.py."""


import numpy as np
from s16_yunjey_progs import Out


def _modules(L, size=8):
    """modules.py (the version with SelfAttention(channels, size) and UNet(device=...))."""
    torch, nn, F = L, L.nn, L.nn.functional

    class EMA:
        def __init__(self, beta):
            super().__init__()
            self.beta = beta
            self.step = 0

        def update_model_average(self, ma_model, current_model):
            for current_params, ma_params in zip(current_model.parameters(), ma_model.parameters()):
                old_weight, up_weight = ma_params.data, current_params.data
                ma_params.data = self.update_average(old_weight, up_weight)

        def update_average(self, old, new):
            if old is None:
                return new
            return old * self.beta + (1 - self.beta) * new

        def step_ema(self, ema_model, model, step_start_ema=2000):
            if self.step < step_start_ema:
                self.reset_parameters(ema_model, model)
                self.step += 1
                return
            self.update_model_average(ema_model, model)
            self.step += 1

        def reset_parameters(self, ema_model, model):
            ema_model.load_state_dict(model.state_dict())

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

    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels, mid_channels=None, residual=False):
            super().__init__()
            self.residual = residual
            if not mid_channels:
                mid_channels = out_channels
            self.double_conv = nn.Sequential(
                nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
                nn.GroupNorm(1, mid_channels),
                nn.GELU(),
                nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
                nn.GroupNorm(1, out_channels),
            )

        def forward(self, x):
            if self.residual:
                return F.gelu(x + self.double_conv(x))
            else:
                return self.double_conv(x)

    class Down(nn.Module):
        def __init__(self, in_channels, out_channels, emb_dim=32):
            super().__init__()
            self.maxpool_conv = nn.Sequential(
                nn.MaxPool2d(2),
                DoubleConv(in_channels, in_channels, residual=True),
                DoubleConv(in_channels, out_channels),
            )
            self.emb_layer = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, out_channels))

        def forward(self, x, t):
            x = self.maxpool_conv(x)
            emb = self.emb_layer(t)[:, :, None, None].repeat(1, 1, x.shape[-2], x.shape[-1])
            return x + emb

    class Up(nn.Module):
        def __init__(self, in_channels, out_channels, emb_dim=32):
            super().__init__()
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            self.conv = nn.Sequential(
                DoubleConv(in_channels, in_channels, residual=True),
                DoubleConv(in_channels, out_channels, in_channels // 2),
            )
            self.emb_layer = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, out_channels))

        def forward(self, x, skip_x, t):
            x = self.up(x)
            x = torch.cat([skip_x, x], dim=1)
            x = self.conv(x)
            emb = self.emb_layer(t)[:, :, None, None].repeat(1, 1, x.shape[-2], x.shape[-1])
            return x + emb

    class UNet(nn.Module):
        def __init__(self, c_in=3, c_out=3, time_dim=32, device="cpu"):
            super().__init__()
            self.device = device
            self.time_dim = time_dim
            s = size
            self.inc = DoubleConv(c_in, 8)
            self.down1 = Down(8, 16)
            self.sa1 = SelfAttention(16, s // 2)
            self.down2 = Down(16, 32)
            self.sa2 = SelfAttention(32, s // 4)
            self.down3 = Down(32, 32)
            self.sa3 = SelfAttention(32, s // 8)

            self.bot1 = DoubleConv(32, 64)
            self.bot2 = DoubleConv(64, 64)
            self.bot3 = DoubleConv(64, 32)

            self.up1 = Up(64, 16)
            self.sa4 = SelfAttention(16, s // 4)
            self.up2 = Up(32, 8)
            self.sa5 = SelfAttention(8, s // 2)
            self.up3 = Up(16, 8)
            self.sa6 = SelfAttention(8, s)
            self.outc = nn.Conv2d(8, c_out, kernel_size=1)

        def pos_encoding(self, t, channels):
            inv_freq = 1.0 / (
                10000
                ** (torch.arange(0, channels, 2, device=self.device).float() / channels)
            )
            pos_enc_a = torch.sin(t.repeat(1, channels // 2) * inv_freq)
            pos_enc_b = torch.cos(t.repeat(1, channels // 2) * inv_freq)
            pos_enc = torch.cat([pos_enc_a, pos_enc_b], dim=-1)
            return pos_enc

        def forward(self, x, t):
            t = t.unsqueeze(-1).type(torch.float)
            t = self.pos_encoding(t, self.time_dim)
            return self.unet(x, t)

        def unet(self, x, t):
            x1 = self.inc(x)
            x2 = self.down1(x1, t)
            x2 = self.sa1(x2)
            x3 = self.down2(x2, t)
            x3 = self.sa2(x3)
            x4 = self.down3(x3, t)
            x4 = self.sa3(x4)

            x4 = self.bot1(x4)
            x4 = self.bot2(x4)
            x4 = self.bot3(x4)

            x = self.up1(x4, x3, t)
            x = self.sa4(x)
            x = self.up2(x, x2, t)
            x = self.sa5(x)
            x = self.up3(x, x1, t)
            x = self.sa6(x)
            output = self.outc(x)
            return output

    class UNet_conditional(UNet):
        def __init__(self, c_in=3, c_out=3, time_dim=32, num_classes=None, device="cpu"):
            super().__init__(c_in, c_out, time_dim, device)
            if num_classes is not None:
                self.label_emb = nn.Embedding(num_classes, time_dim)

        def forward(self, x, t, y):
            t = t.unsqueeze(-1).type(torch.float)
            t = self.pos_encoding(t, self.time_dim)
            if y is not None:
                t += self.label_emb(y)
            return self.unet(x, t)

    return EMA, SelfAttention, DoubleConv, Down, Up, UNet, UNet_conditional


def _images(L, n, seed, labels=False):
    """get_data(): RandomResizedCrop + ToTensor + Normalize((0.5,)*3, (0.5,)*3) pictures."""
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.integers(0, 256, (n, 3, 8, 8), dtype=np.uint8)).float() / 255
    x = (x - 0.5) / 0.5
    y = L.from_numpy(rng.integers(0, 10, n))
    return L.utils.data.DataLoader(L.utils.data.TensorDataset(x, y), batch_size=2, shuffle=True)


def unet_modules(L):
    """modules.py: the UNet's repr, a forward pass on a batch of time steps and its gradients;
    each block alone (shapes)."""
    torch = L
    EMA, SelfAttention, DoubleConv, Down, Up, UNet, _ = _modules(L)
    with Out() as o:
        torch.manual_seed(0)
        net = UNet(device="cpu")
        o.print(sum([p.numel() for p in net.parameters()]))
        o.print(net.sa1)
        o.print(net.down1)
        o.print(net.up3)
        x = torch.randn(3, 3, 8, 8)
        t = x.new_tensor([500] * x.shape[0]).long()
        o.print(t, t.dtype)
        out = net(x, t)
        o.print(out.shape)
        pe = net.pos_encoding(t.unsqueeze(-1).type(torch.float), 32)
        o.print(pe.shape, pe.dtype)
        out.pow(2).mean().backward()
        # the output itself: 17 blocks of float32 rounding, 2e-6 from float64 in either library
        o.print(f"{out.abs().mean().item():.4f} {out.std().item():.4f}")
        o.vals += [pe, net.inc.double_conv[0].weight.grad, net.sa3.mha.in_proj_weight.grad,
                   net.down1.emb_layer[1].weight.grad]
        dc = DoubleConv(3, 4, residual=False)
        o.print(dc(x).shape)
        o.tryit(lambda: DoubleConv(3, 4, residual=True)(x))
        sa = SelfAttention(4, 8)
        o.print(sa(torch.randn(2, 4, 8, 8)).shape)
        o.tryit(lambda: SelfAttention(6, 8))
    return o.done()


def ddpm(L):
    """ddpm.py: the Diffusion class (linspace / cumprod schedule, noise_images,
    sample_timesteps, the sampling loop) and train()."""
    torch, nn, optim = L, L.nn, L.optim
    _, _, _, _, _, UNet, _ = _modules(L)

    class Diffusion:
        def __init__(self, noise_steps=1000, beta_start=1e-4, beta_end=0.02, img_size=256,
                     device="cuda"):
            self.noise_steps = noise_steps
            self.beta_start = beta_start
            self.beta_end = beta_end
            self.img_size = img_size
            self.device = device

            self.beta = self.prepare_noise_schedule().to(device)
            self.alpha = 1. - self.beta
            self.alpha_hat = torch.cumprod(self.alpha, dim=0)

        def prepare_noise_schedule(self):
            return torch.linspace(self.beta_start, self.beta_end, self.noise_steps)

        def noise_images(self, x, t):
            sqrt_alpha_hat = torch.sqrt(self.alpha_hat[t])[:, None, None, None]
            sqrt_one_minus_alpha_hat = torch.sqrt(1 - self.alpha_hat[t])[:, None, None, None]
            Ɛ = torch.randn_like(x)
            return sqrt_alpha_hat * x + sqrt_one_minus_alpha_hat * Ɛ, Ɛ

        def sample_timesteps(self, n):
            return torch.randint(low=1, high=self.noise_steps, size=(n,))

        def sample(self, model, n):
            model.eval()
            with torch.no_grad():
                x = torch.randn((n, 3, self.img_size, self.img_size)).to(self.device)
                for i in reversed(range(1, self.noise_steps)):
                    t = (torch.ones(n) * i).long().to(self.device)
                    predicted_noise = model(x, t)
                    alpha = self.alpha[t][:, None, None, None]
                    alpha_hat = self.alpha_hat[t][:, None, None, None]
                    beta = self.beta[t][:, None, None, None]
                    if i > 1:
                        noise = torch.randn_like(x)
                    else:
                        noise = torch.zeros_like(x)
                    x = 1 / torch.sqrt(alpha) * (x - ((1 - alpha) / (torch.sqrt(1 - alpha_hat))) * predicted_noise) + torch.sqrt(beta) * noise
            model.train()
            x = (x.clamp(-1, 1) + 1) / 2
            x = (x * 255).type(torch.uint8)
            return x

    with Out() as o:
        torch.manual_seed(0)
        device = "cpu"
        dataloader = _images(L, 4, 0)
        model = UNet(device=device).to(device)
        optimizer = optim.AdamW(model.parameters(), lr=3e-4)
        mse = nn.MSELoss()
        diffusion = Diffusion(noise_steps=6, img_size=8, device=device)
        o.print(diffusion.beta, diffusion.alpha_hat.dtype)
        l = len(dataloader)
        for epoch in range(1):
            for i, (images, _) in enumerate(dataloader):
                images = images.to(device)
                t = diffusion.sample_timesteps(images.shape[0]).to(device)
                x_t, noise = diffusion.noise_images(images, t)
                predicted_noise = model(x_t, t)
                loss = mse(noise, predicted_noise)

                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                o.print(f"MSE={loss.item():.4f}", t.tolist(), epoch * l + i)
                o.vals += [loss.item(), x_t]
            sampled_images = diffusion.sample(model, n=images.shape[0])
            o.print(sampled_images.shape, sampled_images.dtype)
            o.vals += [sampled_images.float(), model.outc.weight]
    return o.done()
