"""dome272/Diffusion-Models-pytorch, continued: utils.py (set_seed, plot_images' cat of a
batch into one row, Subset slicing, the loaders) with noising_test.py, and the later
modules.py (SelfAttention without a size, one_param(self).device, UNet_conditional's
``t.unsqueeze(-1).asdtype(x.dtype)``), as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_diffusion.py."""

import random

import numpy as np
from s16_yunjey_progs import Out


def utils_noising(L):
    """utils.set_seed / plot_images / get_data (Subset by range, shuffled and unshuffled
    loaders) and noising_test.py: one image noised at 8 time steps of ddpm.Diffusion."""
    torch = L

    def set_seed(s, reproducible=False):
        "Set random seed for `random`, `torch`, and `numpy` (where available)"
        try: torch.manual_seed(s)
        except NameError: pass
        try: torch.cuda.manual_seed_all(s)
        except NameError: pass
        try: np.random.seed(s % (2**32 - 1))
        except NameError: pass
        random.seed(s)
        if reproducible:
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False

    class Diffusion:
        def __init__(self, noise_steps=1000, beta_start=1e-4, beta_end=0.02, img_size=256,
                     device="cuda"):
            self.noise_steps = noise_steps
            self.beta_start = beta_start
            self.beta_end = beta_end
            self.beta = self.prepare_noise_schedule().to(device)
            self.alpha = 1. - self.beta
            self.alpha_hat = torch.cumprod(self.alpha, dim=0)
            self.img_size = img_size
            self.device = device

        def prepare_noise_schedule(self):
            return torch.linspace(self.beta_start, self.beta_end, self.noise_steps)

        def noise_images(self, x, t):
            sqrt_alpha_hat = torch.sqrt(self.alpha_hat[t])[:, None, None, None]
            sqrt_one_minus_alpha_hat = torch.sqrt(1 - self.alpha_hat[t])[:, None, None, None]
            Ɛ = torch.randn_like(x)
            return sqrt_alpha_hat * x + sqrt_one_minus_alpha_hat * Ɛ, Ɛ

    with Out() as o:
        set_seed(42, reproducible=True)
        o.print(torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
        rng = np.random.default_rng(0)
        imgs = torch.from_numpy(rng.integers(0, 256, (12, 3, 8, 8), dtype=np.uint8))
        imgs = (imgs.float() / 255 - 0.5) / 0.5  # ToTensor + Normalize((0.5,)*3, (0.5,)*3)
        labels = torch.from_numpy(rng.integers(0, 10, 12))
        train_dataset = torch.utils.data.TensorDataset(imgs, labels)
        val_dataset = torch.utils.data.TensorDataset(imgs[:4], labels[:4])
        slice_size = 3
        train_dataset = torch.utils.data.Subset(train_dataset, indices=range(0, len(train_dataset), slice_size))
        val_dataset = torch.utils.data.Subset(val_dataset, indices=range(0, len(val_dataset), slice_size))
        o.print(len(train_dataset), len(val_dataset), train_dataset.indices)
        train_dataloader = torch.utils.data.DataLoader(train_dataset, batch_size=2, shuffle=True)
        val_dataloader = torch.utils.data.DataLoader(val_dataset, batch_size=2 * 2, shuffle=False)
        for images, y in train_dataloader:
            o.print(images.shape, y.tolist())
        o.print([b[1].tolist() for b in val_dataloader])

        images = (imgs[:4].clamp(-1, 1) + 1) / 2
        images = (images * 255).type(torch.uint8)
        row = torch.cat([
            torch.cat([i for i in images.cpu()], dim=-1),
        ], dim=-2).permute(1, 2, 0).cpu()
        o.print(row.shape, row.dtype, row.is_contiguous())
        ndarr = row.to('cpu').numpy()
        o.print(ndarr.shape, ndarr.dtype, ndarr.flags['C_CONTIGUOUS'])
        o.vals.append(row)

        diff = Diffusion(device="cpu")
        image = next(iter(val_dataloader))[0][:1]
        t = torch.Tensor([50, 100, 150, 200, 300, 600, 700, 999]).long()
        noised_image, _ = diff.noise_images(image, t)
        o.print(noised_image.shape)
        o.vals += [noised_image.add(1).mul(0.5), diff.alpha_hat[t]]
        o.tryit(lambda: diff.noise_images(imgs[:2], t)[0].shape)
        o.tryit(lambda: diff.noise_images(image, torch.Tensor([50, 1000]).long()))
        o.tryit(lambda: diff.noise_images(image, torch.Tensor([50.5, 100])))
    return o.done()


def modules_later(L):
    """The later modules.py: ``one_param(m)`` for the device, SelfAttention reading the
    size from x, ``t.unsqueeze(-1).asdtype(x.dtype)`` (no such Tensor method: the
    AttributeError the repository's users met), and the fixed ``.type(x.dtype)``."""
    torch, nn, F = L, L.nn, L.nn.functional

    def one_param(m):
        "get model first parameter"
        return next(iter(m.parameters()))

    class SelfAttention(nn.Module):
        def __init__(self, channels):
            super(SelfAttention, self).__init__()
            self.channels = channels
            self.mha = nn.MultiheadAttention(channels, 4, batch_first=True)
            self.ln = nn.LayerNorm([channels])
            self.ff_self = nn.Sequential(
                nn.LayerNorm([channels]),
                nn.Linear(channels, channels),
                nn.GELU(),
                nn.Linear(channels, channels),
            )

        def forward(self, x):
            size = x.shape[-1]
            x = x.view(-1, self.channels, size * size).swapaxes(1, 2)
            x_ln = self.ln(x)
            attention_value, _ = self.mha(x_ln, x_ln, x_ln)
            attention_value = attention_value + x
            attention_value = self.ff_self(attention_value) + attention_value
            return attention_value.swapaxes(2, 1).view(-1, self.channels, size, size)

    class TinyUNet(nn.Module):
        def __init__(self, c_in=3, c_out=3, time_dim=16, num_classes=None, fixed=False):
            super().__init__()
            self.time_dim, self.fixed = time_dim, fixed
            self.inc = nn.Conv2d(c_in, 8, 3, padding=1, bias=False)
            self.norm = nn.GroupNorm(1, 8)
            self.emb_layer = nn.Sequential(nn.SiLU(), nn.Linear(time_dim, 8))
            self.sa = SelfAttention(8)
            self.outc = nn.Conv2d(8, c_out, kernel_size=1)
            if num_classes is not None:
                self.label_emb = nn.Embedding(num_classes, time_dim)

        def pos_encoding(self, t, channels):
            inv_freq = 1.0 / (
                10000
                ** (torch.arange(0, channels, 2, device=one_param(self).device).float() / channels)
            )
            pos_enc_a = torch.sin(t.repeat(1, channels // 2) * inv_freq)
            pos_enc_b = torch.cos(t.repeat(1, channels // 2) * inv_freq)
            pos_enc = torch.cat([pos_enc_a, pos_enc_b], dim=-1)
            return pos_enc

        def forward(self, x, t, y=None):
            if self.fixed:
                t = t.unsqueeze(-1).type(x.dtype)
            else:
                t = t.unsqueeze(-1).asdtype(x.dtype)
            t = self.pos_encoding(t, self.time_dim)
            if y is not None:
                t += self.label_emb(y)
            h = F.gelu(self.norm(self.inc(x)))
            h = h + self.emb_layer(t)[:, :, None, None].repeat(1, 1, x.shape[-2], x.shape[-1])
            return self.outc(self.sa(h))

    with Out() as o:
        torch.manual_seed(0)
        x = torch.randn(2, 3, 4, 4)
        t = torch.randint(1, 1000, (2,))
        y = torch.tensor([3, 7])
        net = TinyUNet(num_classes=10)
        o.print(one_param(net).device, one_param(net).shape)
        o.tryit(lambda: net(x, t, y))
        net.fixed = True
        out = net(x, t, y)
        out2 = net(x.double().float(), t, None)
        o.print(out.shape, out.dtype)
        (out - out2).pow(2).mean().backward()
        o.vals += [out, out2, net.label_emb.weight.grad, net.sa.mha.out_proj.weight.grad]
        o.tryit(lambda: net(x.double(), t, y))
        o.tryit(lambda: SelfAttention(8)(torch.randn(2, 8, 4, 2)).shape)
        o.tryit(lambda: SelfAttention(6))
        with torch.no_grad():
            o.print(net(torch.randn(1, 3, 2, 2), torch.tensor([5])).shape)
    return o.done()
