"""huggingface/notebooks examples/annotated_diffusion.ipynb (The Annotated Diffusion Model)
as users type it, scaled down: 1x8x8 random "Fashion-MNIST" images, timesteps 10, Unet
dim 8, 2 training steps, no einops (its rearranges written with reshape / permute, as the
brief's readers do when einops is missing), no PIL / torchvision / datasets, as
``prog(L) -> (printed, values)`` for tests/test_programs_s20_diffusion.py."""

import math
from functools import partial
from inspect import isfunction



def exists(x):
    return x is not None


def default(val, d):
    if exists(val):
        return val
    return d() if isfunction(d) else d


def _net(L):
    """The notebook's network cells: Residual, Up/Downsample, SinusoidalPositionEmbeddings,
    Block / ResnetBlock / ConvNextBlock, Attention / LinearAttention, PreNorm, Unet."""
    torch, nn = L, L.nn
    einsum = L.einsum
    ns = {}

    class Residual(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x, *args, **kwargs):
            return self.fn(x, *args, **kwargs) + x

    def Upsample(dim):
        return nn.ConvTranspose2d(dim, dim, 4, 2, 1)

    def Downsample(dim):
        return nn.Conv2d(dim, dim, 4, 2, 1)

    class SinusoidalPositionEmbeddings(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.dim = dim

        def forward(self, time):
            device = time.device
            half_dim = self.dim // 2
            embeddings = math.log(10000) / (half_dim - 1)
            embeddings = torch.exp(torch.arange(half_dim, device=device) * -embeddings)
            embeddings = time[:, None] * embeddings[None, :]
            embeddings = torch.cat((embeddings.sin(), embeddings.cos()), dim=-1)
            return embeddings

    class Block(nn.Module):
        def __init__(self, dim, dim_out, groups=8):
            super().__init__()
            self.proj = nn.Conv2d(dim, dim_out, 3, padding=1)
            self.norm = nn.GroupNorm(groups, dim_out)
            self.act = nn.SiLU()

        def forward(self, x, scale_shift=None):
            x = self.proj(x)
            x = self.norm(x)
            if exists(scale_shift):
                scale, shift = scale_shift
                x = x * (scale + 1) + shift
            x = self.act(x)
            return x

    class ResnetBlock(nn.Module):
        """https://arxiv.org/abs/1512.03385"""

        def __init__(self, dim, dim_out, *, time_emb_dim=None, groups=8):
            super().__init__()
            self.mlp = (
                nn.Sequential(nn.SiLU(), nn.Linear(time_emb_dim, dim_out))
                if exists(time_emb_dim)
                else None
            )
            self.block1 = Block(dim, dim_out, groups=groups)
            self.block2 = Block(dim_out, dim_out, groups=groups)
            self.res_conv = nn.Conv2d(dim, dim_out, 1) if dim != dim_out else nn.Identity()

        def forward(self, x, time_emb=None):
            h = self.block1(x)
            if exists(self.mlp) and exists(time_emb):
                time_emb = self.mlp(time_emb)
                h = time_emb[:, :, None, None] + h  # rearrange(time_emb, "b c -> b c 1 1")
            h = self.block2(h)
            return h + self.res_conv(x)

    class ConvNextBlock(nn.Module):
        """https://arxiv.org/abs/2201.03545"""

        def __init__(self, dim, dim_out, *, time_emb_dim=None, mult=2, norm=True):
            super().__init__()
            self.mlp = (
                nn.Sequential(nn.GELU(), nn.Linear(time_emb_dim, dim))
                if exists(time_emb_dim)
                else None
            )
            self.ds_conv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
            self.net = nn.Sequential(
                nn.GroupNorm(1, dim) if norm else nn.Identity(),
                nn.Conv2d(dim, dim_out * mult, 3, padding=1),
                nn.GELU(),
                nn.GroupNorm(1, dim_out * mult),
                nn.Conv2d(dim_out * mult, dim_out, 3, padding=1),
            )
            self.res_conv = nn.Conv2d(dim, dim_out, 1) if dim != dim_out else nn.Identity()

        def forward(self, x, time_emb=None):
            h = self.ds_conv(x)
            if exists(self.mlp) and exists(time_emb):
                assert exists(time_emb), "time embedding must be passed in"
                condition = self.mlp(time_emb)
                h = h + condition.reshape(*condition.shape, 1, 1)  # "b c -> b c 1 1"
            h = self.net(h)
            return h + self.res_conv(x)

    def to_heads(t, heads):
        """rearrange(t, "b (h c) x y -> b h c (x y)", h=heads)"""
        b, hc, x, y = t.shape
        return t.reshape(b, heads, hc // heads, x * y)

    class Attention(nn.Module):
        def __init__(self, dim, heads=4, dim_head=32):
            super().__init__()
            self.scale = dim_head**-0.5
            self.heads = heads
            hidden_dim = dim_head * heads
            self.to_qkv = nn.Conv2d(dim, hidden_dim * 3, 1, bias=False)
            self.to_out = nn.Conv2d(hidden_dim, dim, 1)

        def forward(self, x):
            b, c, h, w = x.shape
            qkv = self.to_qkv(x).chunk(3, dim=1)
            q, k, v = map(lambda t: to_heads(t, self.heads), qkv)
            q = q * self.scale

            sim = einsum("b h d i, b h d j -> b h i j", q, k)
            sim = sim - sim.amax(dim=-1, keepdim=True).detach()
            attn = sim.softmax(dim=-1)

            out = einsum("b h i j, b h d j -> b h i d", attn, v)
            # rearrange(out, "b h (x y) d -> b (h d) x y", x=h, y=w)
            out = out.permute(0, 1, 3, 2).reshape(b, -1, h, w)
            return self.to_out(out)

    class LinearAttention(nn.Module):
        def __init__(self, dim, heads=4, dim_head=32):
            super().__init__()
            self.scale = dim_head**-0.5
            self.heads = heads
            hidden_dim = dim_head * heads
            self.to_qkv = nn.Conv2d(dim, hidden_dim * 3, 1, bias=False)
            self.to_out = nn.Sequential(nn.Conv2d(hidden_dim, dim, 1), nn.GroupNorm(1, dim))

        def forward(self, x):
            b, c, h, w = x.shape
            qkv = self.to_qkv(x).chunk(3, dim=1)
            q, k, v = map(lambda t: to_heads(t, self.heads), qkv)

            q = q.softmax(dim=-2)
            k = k.softmax(dim=-1)

            q = q * self.scale
            context = torch.einsum("b h d n, b h e n -> b h d e", k, v)

            out = torch.einsum("b h d e, b h d n -> b h e n", context, q)
            # rearrange(out, "b h c (x y) -> b (h c) x y", h=self.heads, x=h, y=w)
            out = out.reshape(b, -1, h, w)
            return self.to_out(out)

    class PreNorm(nn.Module):
        def __init__(self, dim, fn):
            super().__init__()
            self.fn = fn
            self.norm = nn.GroupNorm(1, dim)

        def forward(self, x):
            x = self.norm(x)
            return self.fn(x)

    class Unet(nn.Module):
        def __init__(self, dim, init_dim=None, out_dim=None, dim_mults=(1, 2, 4, 8), channels=3,
                     with_time_emb=True, resnet_block_groups=8, use_convnext=True,
                     convnext_mult=2):
            super().__init__()
            self.channels = channels
            init_dim = default(init_dim, dim // 3 * 2)
            self.init_conv = nn.Conv2d(channels, init_dim, 7, padding=3)

            dims = [init_dim, *map(lambda m: dim * m, dim_mults)]
            in_out = list(zip(dims[:-1], dims[1:]))

            if use_convnext:
                block_klass = partial(ConvNextBlock, mult=convnext_mult)
            else:
                block_klass = partial(ResnetBlock, groups=resnet_block_groups)

            if with_time_emb:
                time_dim = dim * 4
                self.time_mlp = nn.Sequential(
                    SinusoidalPositionEmbeddings(dim),
                    nn.Linear(dim, time_dim),
                    nn.GELU(),
                    nn.Linear(time_dim, time_dim),
                )
            else:
                time_dim = None
                self.time_mlp = None

            self.downs = nn.ModuleList([])
            self.ups = nn.ModuleList([])
            num_resolutions = len(in_out)

            for ind, (dim_in, dim_out) in enumerate(in_out):
                is_last = ind >= (num_resolutions - 1)
                self.downs.append(nn.ModuleList([
                    block_klass(dim_in, dim_out, time_emb_dim=time_dim),
                    block_klass(dim_out, dim_out, time_emb_dim=time_dim),
                    Residual(PreNorm(dim_out, LinearAttention(dim_out))),
                    Downsample(dim_out) if not is_last else nn.Identity(),
                ]))

            mid_dim = dims[-1]
            self.mid_block1 = block_klass(mid_dim, mid_dim, time_emb_dim=time_dim)
            self.mid_attn = Residual(PreNorm(mid_dim, Attention(mid_dim)))
            self.mid_block2 = block_klass(mid_dim, mid_dim, time_emb_dim=time_dim)

            for ind, (dim_in, dim_out) in enumerate(reversed(in_out[1:])):
                is_last = ind >= (num_resolutions - 1)
                self.ups.append(nn.ModuleList([
                    block_klass(dim_out * 2, dim_in, time_emb_dim=time_dim),
                    block_klass(dim_in, dim_in, time_emb_dim=time_dim),
                    Residual(PreNorm(dim_in, LinearAttention(dim_in))),
                    Upsample(dim_in) if not is_last else nn.Identity(),
                ]))

            out_dim = default(out_dim, channels)
            self.final_conv = nn.Sequential(block_klass(dim, dim), nn.Conv2d(dim, out_dim, 1))

        def forward(self, x, time):
            x = self.init_conv(x)
            t = self.time_mlp(time) if exists(self.time_mlp) else None
            h = []
            for block1, block2, attn, downsample in self.downs:
                x = block1(x, t)
                x = block2(x, t)
                x = attn(x)
                h.append(x)
                x = downsample(x)
            x = self.mid_block1(x, t)
            x = self.mid_attn(x)
            x = self.mid_block2(x, t)
            for block1, block2, attn, upsample in self.ups:
                x = torch.cat((x, h.pop()), dim=1)
                x = block1(x, t)
                x = block2(x, t)
                x = attn(x)
                x = upsample(x)
            return self.final_conv(x)

    ns.update(locals())
    return ns


def _schedules(L):
    torch = L

    def cosine_beta_schedule(timesteps, s=0.008):
        """cosine schedule as proposed in https://arxiv.org/abs/2102.09672"""
        steps = timesteps + 1
        x = torch.linspace(0, timesteps, steps)
        alphas_cumprod = torch.cos(((x / timesteps) + s) / (1 + s) * torch.pi * 0.5) ** 2
        alphas_cumprod = alphas_cumprod / alphas_cumprod[0]
        betas = 1 - (alphas_cumprod[1:] / alphas_cumprod[:-1])
        return torch.clip(betas, 0.0001, 0.9999)

    def linear_beta_schedule(timesteps):
        beta_start = 0.0001
        beta_end = 0.02
        return torch.linspace(beta_start, beta_end, timesteps)

    def quadratic_beta_schedule(timesteps):
        beta_start = 0.0001
        beta_end = 0.02
        return torch.linspace(beta_start**0.5, beta_end**0.5, timesteps) ** 2

    def sigmoid_beta_schedule(timesteps):
        beta_start = 0.0001
        beta_end = 0.02
        betas = torch.linspace(-6, 6, timesteps)
        return torch.sigmoid(betas) * (beta_end - beta_start) + beta_start

    return cosine_beta_schedule, linear_beta_schedule, quadratic_beta_schedule, \
        sigmoid_beta_schedule


class _Diffusion:
    """The notebook's module-level variables and the functions that read them."""

    def __init__(self, L, timesteps, schedule="linear"):
        torch, F = L, L.nn.functional
        self.L, self.timesteps = L, timesteps
        cos, lin, quad, sig = _schedules(L)
        betas = {"linear": lin, "cosine": cos, "quadratic": quad, "sigmoid": sig}[schedule](
            timesteps=timesteps)
        alphas = 1. - betas
        alphas_cumprod = torch.cumprod(alphas, axis=0)
        alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
        sqrt_recip_alphas = torch.sqrt(1.0 / alphas)
        sqrt_alphas_cumprod = torch.sqrt(alphas_cumprod)
        sqrt_one_minus_alphas_cumprod = torch.sqrt(1. - alphas_cumprod)
        posterior_variance = betas * (1. - alphas_cumprod_prev) / (1. - alphas_cumprod)
        self.__dict__.update({k: v for k, v in locals().items() if k not in ("self", "L")})

    def extract(self, a, t, x_shape):
        batch_size = t.shape[0]
        out = a.gather(-1, t.cpu())
        return out.reshape(batch_size, *((1,) * (len(x_shape) - 1))).to(t.device)

    def q_sample(self, x_start, t, noise=None):
        if noise is None:
            noise = self.L.randn_like(x_start)
        sqrt_alphas_cumprod_t = self.extract(self.sqrt_alphas_cumprod, t, x_start.shape)
        sqrt_one_minus_alphas_cumprod_t = self.extract(
            self.sqrt_one_minus_alphas_cumprod, t, x_start.shape)
        return sqrt_alphas_cumprod_t * x_start + sqrt_one_minus_alphas_cumprod_t * noise

    def p_losses(self, denoise_model, x_start, t, noise=None, loss_type="l1"):
        F = self.L.nn.functional
        if noise is None:
            noise = self.L.randn_like(x_start)
        x_noisy = self.q_sample(x_start=x_start, t=t, noise=noise)
        predicted_noise = denoise_model(x_noisy, t)
        if loss_type == 'l1':
            loss = F.l1_loss(noise, predicted_noise)
        elif loss_type == 'l2':
            loss = F.mse_loss(noise, predicted_noise)
        elif loss_type == "huber":
            loss = F.smooth_l1_loss(noise, predicted_noise)
        else:
            raise NotImplementedError()
        return loss

    def p_sample(self, model, x, t, t_index):
        with self.L.no_grad():
            betas_t = self.extract(self.betas, t, x.shape)
            sqrt_one_minus_alphas_cumprod_t = self.extract(
                self.sqrt_one_minus_alphas_cumprod, t, x.shape)
            sqrt_recip_alphas_t = self.extract(self.sqrt_recip_alphas, t, x.shape)
            model_mean = sqrt_recip_alphas_t * (
                x - betas_t * model(x, t) / sqrt_one_minus_alphas_cumprod_t)
            if t_index == 0:
                return model_mean
            else:
                posterior_variance_t = self.extract(self.posterior_variance, t, x.shape)
                noise = self.L.randn_like(x)
                return model_mean + self.L.sqrt(posterior_variance_t) * noise

    def p_sample_loop(self, model, shape):
        torch = self.L
        device = next(model.parameters()).device
        b = shape[0]
        img = torch.randn(shape, device=device)
        imgs = []
        for i in reversed(range(0, self.timesteps)):
            img = self.p_sample(model, img, torch.full((b,), i, device=device, dtype=torch.long), i)
            imgs.append(img.cpu().numpy())
        return imgs

    def sample(self, model, image_size, batch_size=16, channels=3):
        return self.p_sample_loop(model, shape=(batch_size, channels, image_size, image_size))
