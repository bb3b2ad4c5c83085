"""real-stanford/diffusion_policy as users type it: diffusion_policy/model/diffusion/
conditional_unet1d.py (ConditionalUnet1D, ConditionalResidualBlock1D with FiLM),
conv1d_components.py (Conv1dBlock with GroupNorm and Mish, Downsample1d, Upsample1d),
positional_embedding.py (SinusoidalPosEmb); EMAModel is in s22_diffpolicy_progs_d. einops is
not installed here, so its rearranges are written as the Colab notebook writes them (moveaxis,
nn.Unflatten). diffusers is not installed either: its DDPMScheduler (squaredcos_cap_v2 betas,
epsilon prediction, clip_sample, fixed_small variance) is written out by hand with the
formulas of diffusers' scheduling_ddpm.py (add_noise, set_timesteps, step). Sizes shrunk
(action dim 2, horizon 8, down_dims (16, 32)). Each program is ``prog(torch) -> (printed
lines, values)``; see tests/test_programs_s22_diffpolicy.py."""

import math

import numpy as np
from s16_yunjey_progs import Out


def components(torch):
    """The U-Net's modules: SinusoidalPosEmb, Conv1dBlock, Downsample1d / Upsample1d,
    ConditionalResidualBlock1D (with and without cond_predict_scale) and ConditionalUnet1D."""
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

    class Conv1dBlock(nn.Module):
        '''
            Conv1d --> GroupNorm --> Mish
        '''

        def __init__(self, inp_channels, out_channels, kernel_size, n_groups=8):
            super().__init__()
            self.block = nn.Sequential(
                nn.Conv1d(inp_channels, out_channels, kernel_size, padding=kernel_size // 2),
                nn.GroupNorm(n_groups, out_channels),
                nn.Mish(),
            )

        def forward(self, x):
            return self.block(x)

    class ConditionalResidualBlock1D(nn.Module):
        def __init__(self, in_channels, out_channels, cond_dim, kernel_size=3, n_groups=8,
                     cond_predict_scale=False):
            super().__init__()
            self.blocks = nn.ModuleList([
                Conv1dBlock(in_channels, out_channels, kernel_size, n_groups=n_groups),
                Conv1dBlock(out_channels, out_channels, kernel_size, n_groups=n_groups),
            ])
            cond_channels = out_channels
            if cond_predict_scale:
                cond_channels = out_channels * 2
            self.cond_predict_scale = cond_predict_scale
            self.out_channels = out_channels
            self.cond_encoder = nn.Sequential(
                nn.Mish(),
                nn.Linear(cond_dim, cond_channels),
                nn.Unflatten(-1, (-1, 1))
            )
            self.residual_conv = nn.Conv1d(in_channels, out_channels, 1) \
                if in_channels != out_channels else nn.Identity()

        def forward(self, x, cond):
            out = self.blocks[0](x)
            embed = self.cond_encoder(cond)
            if self.cond_predict_scale:
                embed = embed.reshape(embed.shape[0], 2, self.out_channels, 1)
                scale = embed[:, 0, ...]
                bias = embed[:, 1, ...]
                out = scale * out + bias
            else:
                out = out + embed
            out = self.blocks[1](out)
            out = out + self.residual_conv(x)
            return out

    class ConditionalUnet1D(nn.Module):
        def __init__(self, input_dim, local_cond_dim=None, global_cond_dim=None,
                     diffusion_step_embed_dim=256, down_dims=[256, 512, 1024], kernel_size=3,
                     n_groups=8, cond_predict_scale=False):
            super().__init__()
            all_dims = [input_dim] + list(down_dims)
            start_dim = down_dims[0]
            dsed = diffusion_step_embed_dim
            diffusion_step_encoder = nn.Sequential(
                SinusoidalPosEmb(dsed),
                nn.Linear(dsed, dsed * 4),
                nn.Mish(),
                nn.Linear(dsed * 4, dsed),
            )
            cond_dim = dsed
            if global_cond_dim is not None:
                cond_dim += global_cond_dim
            in_out = list(zip(all_dims[:-1], all_dims[1:]))
            local_cond_encoder = None
            if local_cond_dim is not None:
                _, dim_out = in_out[0]
                dim_in = local_cond_dim
                local_cond_encoder = nn.ModuleList([
                    ConditionalResidualBlock1D(dim_in, dim_out, cond_dim=cond_dim,
                                               kernel_size=kernel_size, n_groups=n_groups,
                                               cond_predict_scale=cond_predict_scale),
                    ConditionalResidualBlock1D(dim_in, dim_out, cond_dim=cond_dim,
                                               kernel_size=kernel_size, n_groups=n_groups,
                                               cond_predict_scale=cond_predict_scale)])
            mid_dim = all_dims[-1]
            self.mid_modules = nn.ModuleList([
                ConditionalResidualBlock1D(mid_dim, mid_dim, cond_dim=cond_dim,
                                           kernel_size=kernel_size, n_groups=n_groups,
                                           cond_predict_scale=cond_predict_scale),
                ConditionalResidualBlock1D(mid_dim, mid_dim, cond_dim=cond_dim,
                                           kernel_size=kernel_size, n_groups=n_groups,
                                           cond_predict_scale=cond_predict_scale),
            ])
            down_modules = nn.ModuleList([])
            for ind, (dim_in, dim_out) in enumerate(in_out):
                is_last = ind >= (len(in_out) - 1)
                down_modules.append(nn.ModuleList([
                    ConditionalResidualBlock1D(dim_in, dim_out, cond_dim=cond_dim,
                                               kernel_size=kernel_size, n_groups=n_groups,
                                               cond_predict_scale=cond_predict_scale),
                    ConditionalResidualBlock1D(dim_out, dim_out, cond_dim=cond_dim,
                                               kernel_size=kernel_size, n_groups=n_groups,
                                               cond_predict_scale=cond_predict_scale),
                    Downsample1d(dim_out) if not is_last else nn.Identity()]))
            up_modules = nn.ModuleList([])
            for ind, (dim_in, dim_out) in enumerate(reversed(in_out[1:])):
                is_last = ind >= (len(in_out) - 1)
                up_modules.append(nn.ModuleList([
                    ConditionalResidualBlock1D(dim_out * 2, dim_in, cond_dim=cond_dim,
                                               kernel_size=kernel_size, n_groups=n_groups,
                                               cond_predict_scale=cond_predict_scale),
                    ConditionalResidualBlock1D(dim_in, dim_in, cond_dim=cond_dim,
                                               kernel_size=kernel_size, n_groups=n_groups,
                                               cond_predict_scale=cond_predict_scale),
                    Upsample1d(dim_in) if not is_last else nn.Identity()]))
            final_conv = nn.Sequential(
                Conv1dBlock(start_dim, start_dim, kernel_size=kernel_size),
                nn.Conv1d(start_dim, input_dim, 1),
            )
            self.diffusion_step_encoder = diffusion_step_encoder
            self.local_cond_encoder = local_cond_encoder
            self.up_modules = up_modules
            self.down_modules = down_modules
            self.final_conv = final_conv

        def forward(self, sample, timestep, local_cond=None, global_cond=None, **kwargs):
            sample = sample.moveaxis(-1, -2)
            timesteps = timestep
            if not torch.is_tensor(timesteps):
                timesteps = torch.tensor([timesteps], dtype=torch.long, device=sample.device)
            elif torch.is_tensor(timesteps) and len(timesteps.shape) == 0:
                timesteps = timesteps[None].to(sample.device)
            timesteps = timesteps.expand(sample.shape[0])
            global_feature = self.diffusion_step_encoder(timesteps)
            if global_cond is not None:
                global_feature = torch.cat([global_feature, global_cond], axis=-1)
            h_local = list()
            if local_cond is not None:
                local_cond = local_cond.moveaxis(-1, -2)
                resnet, resnet2 = self.local_cond_encoder
                x = resnet(local_cond, global_feature)
                h_local.append(x)
                x = resnet2(local_cond, global_feature)
                h_local.append(x)
            x = sample
            h = []
            for idx, (resnet, resnet2, downsample) in enumerate(self.down_modules):
                x = resnet(x, global_feature)
                if idx == 0 and len(h_local) > 0:
                    x = x + h_local[0]
                x = resnet2(x, global_feature)
                h.append(x)
                x = downsample(x)
            for mid_module in self.mid_modules:
                x = mid_module(x, global_feature)
            for idx, (resnet, resnet2, upsample) in enumerate(self.up_modules):
                x = torch.cat((x, h.pop()), dim=1)
                x = resnet(x, global_feature)
                if idx == (len(self.up_modules) - 1) and len(h_local) > 0:
                    x = x + h_local[1]
                x = resnet2(x, global_feature)
                x = upsample(x)
            x = self.final_conv(x)
            x = x.moveaxis(-1, -2)
            return x

    return dict(SinusoidalPosEmb=SinusoidalPosEmb, Conv1dBlock=Conv1dBlock,
                Downsample1d=Downsample1d, Upsample1d=Upsample1d,
                ConditionalResidualBlock1D=ConditionalResidualBlock1D,
                ConditionalUnet1D=ConditionalUnet1D)


class DDPMScheduler:
    """diffusers' DDPMScheduler, by hand (diffusers is not installed): the calls
    diffusion_policy makes (config.num_train_timesteps, add_noise, set_timesteps, step)."""

    class _Config:
        pass

    class _Out:
        def __init__(self, prev_sample, pred_original_sample):
            self.prev_sample = prev_sample
            self.pred_original_sample = pred_original_sample

    def __init__(self, torch, num_train_timesteps=100, beta_schedule='squaredcos_cap_v2',
                 clip_sample=True, prediction_type='epsilon', variance_type='fixed_small',
                 clip_sample_range=1.0):
        self.torch = torch
        self.config = self._Config()
        self.config.num_train_timesteps = num_train_timesteps
        self.config.prediction_type = prediction_type
        self.config.clip_sample = clip_sample
        self.config.clip_sample_range = clip_sample_range
        self.config.variance_type = variance_type
        assert beta_schedule == 'squaredcos_cap_v2'

        def alpha_bar_fn(t):
            return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2

        betas = []
        for i in range(num_train_timesteps):
            t1 = i / num_train_timesteps
            t2 = (i + 1) / num_train_timesteps
            betas.append(min(1 - alpha_bar_fn(t2) / alpha_bar_fn(t1), 0.999))
        self.betas = torch.tensor(betas, dtype=torch.float32)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.one = torch.tensor(1.0)
        self.num_inference_steps = None
        self.timesteps = torch.from_numpy(np.arange(0, num_train_timesteps)[::-1].copy())

    def set_timesteps(self, num_inference_steps, device=None):
        self.num_inference_steps = num_inference_steps
        step_ratio = self.config.num_train_timesteps // self.num_inference_steps
        timesteps = (np.arange(0, num_inference_steps) * step_ratio).round()[::-1].copy() \
            .astype(np.int64)
        self.timesteps = self.torch.from_numpy(timesteps).to(device)

    def previous_timestep(self, timestep):
        num_inference_steps = self.num_inference_steps or self.config.num_train_timesteps
        return timestep - self.config.num_train_timesteps // num_inference_steps

    def _get_variance(self, t):
        prev_t = self.previous_timestep(t)
        alpha_prod_t = self.alphas_cumprod[t]
        alpha_prod_t_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.one
        current_beta_t = 1 - alpha_prod_t / alpha_prod_t_prev
        variance = (1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * current_beta_t
        variance = self.torch.clamp(variance, min=1e-20)
        return variance

    def step(self, model_output, timestep, sample, generator=None):
        torch = self.torch
        t = timestep
        prev_t = self.previous_timestep(t)
        alpha_prod_t = self.alphas_cumprod[t]
        alpha_prod_t_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.one
        beta_prod_t = 1 - alpha_prod_t
        beta_prod_t_prev = 1 - alpha_prod_t_prev
        current_alpha_t = alpha_prod_t / alpha_prod_t_prev
        current_beta_t = 1 - current_alpha_t
        pred_original_sample = (sample - beta_prod_t ** (0.5) * model_output) / \
            alpha_prod_t ** (0.5)
        if self.config.clip_sample:
            pred_original_sample = pred_original_sample.clamp(
                -self.config.clip_sample_range, self.config.clip_sample_range)
        pred_original_sample_coeff = (alpha_prod_t_prev ** (0.5) * current_beta_t) / beta_prod_t
        current_sample_coeff = current_alpha_t ** (0.5) * beta_prod_t_prev / beta_prod_t
        pred_prev_sample = pred_original_sample_coeff * pred_original_sample + \
            current_sample_coeff * sample
        variance = 0
        if t > 0:
            variance_noise = torch.randn(model_output.shape, generator=generator,
                                         device=model_output.device, dtype=model_output.dtype)
            variance = (self._get_variance(t) ** 0.5) * variance_noise
        pred_prev_sample = pred_prev_sample + variance
        return self._Out(pred_prev_sample, pred_original_sample)

    def add_noise(self, original_samples, noise, timesteps):
        alphas_cumprod = self.alphas_cumprod.to(device=original_samples.device,
                                                dtype=original_samples.dtype)
        timesteps = timesteps.to(original_samples.device)
        sqrt_alpha_prod = alphas_cumprod[timesteps] ** 0.5
        sqrt_alpha_prod = sqrt_alpha_prod.flatten()
        while len(sqrt_alpha_prod.shape) < len(original_samples.shape):
            sqrt_alpha_prod = sqrt_alpha_prod.unsqueeze(-1)
        sqrt_one_minus_alpha_prod = (1 - alphas_cumprod[timesteps]) ** 0.5
        sqrt_one_minus_alpha_prod = sqrt_one_minus_alpha_prod.flatten()
        while len(sqrt_one_minus_alpha_prod.shape) < len(original_samples.shape):
            sqrt_one_minus_alpha_prod = sqrt_one_minus_alpha_prod.unsqueeze(-1)
        noisy_samples = sqrt_alpha_prod * original_samples + sqrt_one_minus_alpha_prod * noise
        return noisy_samples


def unet_forward(torch):
    """ConditionalUnet1D forward on int / 0-d / batch timesteps, global and local cond,
    cond_predict_scale; block shapes; parameter count as the module logs it."""
    m = components(torch)
    torch.manual_seed(0)
    out = Out()
    with out:
        emb = m['SinusoidalPosEmb'](16)(torch.tensor([0, 3, 99]))
        out.print(emb.shape, emb.dtype)
        out.vals.append(emb)
        blk = m['Conv1dBlock'](2, 16, 5)
        x = torch.randn(3, 2, 8)
        out.print(blk(x).shape, m['Downsample1d'](16)(blk(x)).shape,
                  m['Upsample1d'](16)(blk(x)).shape)
        res = m['ConditionalResidualBlock1D'](2, 16, cond_dim=10, cond_predict_scale=True)
        y = res(x, torch.randn(3, 10))
        out.print(y.shape, res.residual_conv)
        out.vals.append(y)
        net = m['ConditionalUnet1D'](input_dim=2, global_cond_dim=6,
                                     diffusion_step_embed_dim=8, down_dims=(16, 32))
        out.print("number of parameters: %e" % sum(p.numel() for p in net.parameters()))
        sample = torch.randn(3, 8, 2)
        gc = torch.randn(3, 6)
        for t in (5, torch.tensor(7), torch.tensor([1, 50, 99])):
            o = net(sample, t, global_cond=gc)
            out.print(tuple(o.shape), o.dtype)
            out.vals.append(o)
        net2 = m['ConditionalUnet1D'](input_dim=2, local_cond_dim=3, global_cond_dim=6,
                                      diffusion_step_embed_dim=8, down_dims=(16, 32),
                                      kernel_size=5, cond_predict_scale=True)
        # the repository's local_cond path adds h_local[1] after the last up block's
        # upsample is skipped: with two levels its length differs (an error on both)
        lc = torch.randn(3, 8, 3)
        out.tryit(lambda: net2(sample, torch.tensor([3, 4, 5]), local_cond=lc, global_cond=gc))
        o = net2(sample, torch.tensor([3, 4, 5]), global_cond=gc)
        o.pow(2).mean().backward()
        g = net2.down_modules[0][0].blocks[0].block[0].weight.grad
        out.print(o.shape, g.shape, f"{o.abs().sum().item():.4f}")
        out.vals += [o, g, net2.mid_modules[1].cond_encoder[1].weight.grad]
    return out.lines, out.vals
