"""lucidrains/denoising-diffusion-pytorch (denoising_diffusion_pytorch.py): the beta schedules
(linear, cosine, sigmoid), extract, GaussianDiffusion (q_sample, predict_start_from_noise /
noise_from_start / v, q_posterior, model_predictions, p_mean_variance, p_sample_loop,
ddim_sample, p_losses with p2 and min-SNR weighting, offset noise, normalize / unnormalize)
and the Trainer's loop (Adam, clip_grad_norm_, EMA) on random 8x8 "images", as users run them.
Each program is ``prog(torch) -> (printed lines, values)``; see test_programs_s21_lucidddpm.py."""

import math
from collections import namedtuple
from functools import partial
from random import random

from s16_yunjey_progs import Out
from s21_lucidddpm_progs import (build, default, identity, num_to_groups,
                                 normalize_to_neg_one_to_one, unnormalize_to_zero_to_one)

ModelPrediction = namedtuple('ModelPrediction', ['pred_noise', 'pred_x_start'])


def schedules(torch):
    def extract(a, t, x_shape):
        b, *_ = t.shape
        out = a.gather(-1, t)
        return out.reshape(b, *((1,) * (len(x_shape) - 1)))

    def linear_beta_schedule(timesteps):
        scale = 1000 / timesteps
        beta_start = scale * 0.0001
        beta_end = scale * 0.02
        return torch.linspace(beta_start, beta_end, timesteps, dtype=torch.float64)

    def cosine_beta_schedule(timesteps, s=0.008):
        steps = timesteps + 1
        t = torch.linspace(0, timesteps, steps, dtype=torch.float64) / timesteps
        alphas_cumprod = torch.cos((t + s) / (1 + s) * math.pi * 0.5) ** 2
        alphas_cumprod = alphas_cumprod / alphas_cumprod[0]
        betas = 1 - (alphas_cumprod[1:] / alphas_cumprod[:-1])
        return torch.clip(betas, 0, 0.999)

    def sigmoid_beta_schedule(timesteps, start=-3, end=3, tau=1, clamp_min=1e-5):
        steps = timesteps + 1
        t = torch.linspace(0, timesteps, steps, dtype=torch.float64) / timesteps
        v_start = torch.tensor(start / tau).sigmoid()
        v_end = torch.tensor(end / tau).sigmoid()
        alphas_cumprod = (-((t * (end - start) + start) / tau).sigmoid() + v_end) / (v_end - v_start)
        alphas_cumprod = alphas_cumprod / alphas_cumprod[0]
        betas = 1 - (alphas_cumprod[1:] / alphas_cumprod[:-1])
        return torch.clip(betas, 0, 0.999)

    return extract, dict(linear=linear_beta_schedule, cosine=cosine_beta_schedule,
                         sigmoid=sigmoid_beta_schedule)


def diffusion_class(torch, print=print):
    nn, F = torch.nn, torch.nn.functional
    extract, fns = schedules(torch)

    class GaussianDiffusion(nn.Module):
        def __init__(self, model, *, image_size, timesteps=1000, sampling_timesteps=None,
                     objective='pred_v', beta_schedule='sigmoid', schedule_fn_kwargs=dict(),
                     ddim_sampling_eta=0., auto_normalize=True, offset_noise_strength=0.,
                     min_snr_loss_weight=False, min_snr_gamma=5):
            super().__init__()
            assert not (type(self) == GaussianDiffusion and model.channels != model.out_dim)
            assert not model.random_or_learned_sinusoidal_cond
            self.model = model
            self.channels = self.model.channels
            self.self_condition = self.model.self_condition
            if isinstance(image_size, int):
                image_size = (image_size, image_size)
            self.image_size = image_size
            self.objective = objective
            assert objective in {'pred_noise', 'pred_x0', 'pred_v'}
            if beta_schedule not in fns:
                raise ValueError(f'unknown beta schedule {beta_schedule}')
            betas = fns[beta_schedule](timesteps, **schedule_fn_kwargs)
            alphas = 1. - betas
            alphas_cumprod = torch.cumprod(alphas, dim=0)
            alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.)
            timesteps, = betas.shape
            self.num_timesteps = int(timesteps)
            self.sampling_timesteps = default(sampling_timesteps, timesteps)
            assert self.sampling_timesteps <= timesteps
            self.is_ddim_sampling = self.sampling_timesteps < timesteps
            self.ddim_sampling_eta = ddim_sampling_eta
            register_buffer = lambda name, val: self.register_buffer(name, val.to(torch.float32))
            register_buffer('betas', betas)
            register_buffer('alphas_cumprod', alphas_cumprod)
            register_buffer('alphas_cumprod_prev', alphas_cumprod_prev)
            register_buffer('sqrt_alphas_cumprod', torch.sqrt(alphas_cumprod))
            register_buffer('sqrt_one_minus_alphas_cumprod', torch.sqrt(1. - alphas_cumprod))
            register_buffer('log_one_minus_alphas_cumprod', torch.log(1. - alphas_cumprod))
            register_buffer('sqrt_recip_alphas_cumprod', torch.sqrt(1. / alphas_cumprod))
            register_buffer('sqrt_recipm1_alphas_cumprod', torch.sqrt(1. / alphas_cumprod - 1))
            posterior_variance = betas * (1. - alphas_cumprod_prev) / (1. - alphas_cumprod)
            register_buffer('posterior_variance', posterior_variance)
            register_buffer('posterior_log_variance_clipped',
                            torch.log(posterior_variance.clamp(min=1e-20)))
            register_buffer('posterior_mean_coef1',
                            betas * torch.sqrt(alphas_cumprod_prev) / (1. - alphas_cumprod))
            register_buffer('posterior_mean_coef2',
                            (1. - alphas_cumprod_prev) * torch.sqrt(alphas) / (1. - alphas_cumprod))
            self.offset_noise_strength = offset_noise_strength
            snr = alphas_cumprod / (1 - alphas_cumprod)
            maybe_clipped_snr = snr.clone()
            if min_snr_loss_weight:
                maybe_clipped_snr.clamp_(max=min_snr_gamma)
            if objective == 'pred_noise':
                register_buffer('loss_weight', maybe_clipped_snr / snr)
            elif objective == 'pred_x0':
                register_buffer('loss_weight', maybe_clipped_snr)
            elif objective == 'pred_v':
                register_buffer('loss_weight', maybe_clipped_snr / (snr + 1))
            self.normalize = normalize_to_neg_one_to_one if auto_normalize else identity
            self.unnormalize = unnormalize_to_zero_to_one if auto_normalize else identity

        @property
        def device(self):
            return self.betas.device

        def predict_start_from_noise(self, x_t, t, noise):
            return (extract(self.sqrt_recip_alphas_cumprod, t, x_t.shape) * x_t -
                    extract(self.sqrt_recipm1_alphas_cumprod, t, x_t.shape) * noise)

        def predict_noise_from_start(self, x_t, t, x0):
            return ((extract(self.sqrt_recip_alphas_cumprod, t, x_t.shape) * x_t - x0) /
                    extract(self.sqrt_recipm1_alphas_cumprod, t, x_t.shape))

        def predict_v(self, x_start, t, noise):
            return (extract(self.sqrt_alphas_cumprod, t, x_start.shape) * noise -
                    extract(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * x_start)

        def predict_start_from_v(self, x_t, t, v):
            return (extract(self.sqrt_alphas_cumprod, t, x_t.shape) * x_t -
                    extract(self.sqrt_one_minus_alphas_cumprod, t, x_t.shape) * v)

        def q_posterior(self, x_start, x_t, t):
            posterior_mean = (extract(self.posterior_mean_coef1, t, x_t.shape) * x_start +
                              extract(self.posterior_mean_coef2, t, x_t.shape) * x_t)
            posterior_variance = extract(self.posterior_variance, t, x_t.shape)
            posterior_log_variance_clipped = extract(self.posterior_log_variance_clipped, t, x_t.shape)
            return posterior_mean, posterior_variance, posterior_log_variance_clipped

        def model_predictions(self, x, t, x_self_cond=None, clip_x_start=False,
                              rederive_pred_noise=False):
            model_output = self.model(x, t, x_self_cond)
            maybe_clip = partial(torch.clamp, min=-1., max=1.) if clip_x_start else identity
            if self.objective == 'pred_noise':
                pred_noise = model_output
                x_start = self.predict_start_from_noise(x, t, pred_noise)
                x_start = maybe_clip(x_start)
                if clip_x_start and rederive_pred_noise:
                    pred_noise = self.predict_noise_from_start(x, t, x_start)
            elif self.objective == 'pred_x0':
                x_start = model_output
                x_start = maybe_clip(x_start)
                pred_noise = self.predict_noise_from_start(x, t, x_start)
            elif self.objective == 'pred_v':
                v = model_output
                x_start = self.predict_start_from_v(x, t, v)
                x_start = maybe_clip(x_start)
                pred_noise = self.predict_noise_from_start(x, t, x_start)
            return ModelPrediction(pred_noise, x_start)

        def p_mean_variance(self, x, t, x_self_cond=None, clip_denoised=True):
            preds = self.model_predictions(x, t, x_self_cond)
            x_start = preds.pred_x_start
            if clip_denoised:
                x_start.clamp_(-1., 1.)
            model_mean, posterior_variance, posterior_log_variance = self.q_posterior(
                x_start=x_start, x_t=x, t=t)
            return model_mean, posterior_variance, posterior_log_variance, x_start

        @torch.inference_mode()
        def p_sample(self, x, t: int, x_self_cond=None):
            b, *_, device = *x.shape, self.device
            batched_times = torch.full((b,), t, device=device, dtype=torch.long)
            model_mean, _, model_log_variance, x_start = self.p_mean_variance(
                x=x, t=batched_times, x_self_cond=x_self_cond, clip_denoised=True)
            noise = torch.randn_like(x) if t > 0 else 0.
            pred_img = model_mean + (0.5 * model_log_variance).exp() * noise
            return pred_img, x_start

        @torch.inference_mode()
        def p_sample_loop(self, shape, return_all_timesteps=False):
            batch, device = shape[0], self.device
            img = torch.randn(shape, device=device)
            imgs = [img]
            x_start = None
            for t in reversed(range(0, self.num_timesteps)):
                self_cond = x_start if self.self_condition else None
                img, x_start = self.p_sample(img, t, self_cond)
                imgs.append(img)
            ret = img if not return_all_timesteps else torch.stack(imgs, dim=1)
            ret = self.unnormalize(ret)
            return ret

        @torch.inference_mode()
        def ddim_sample(self, shape, return_all_timesteps=False):
            batch, device, total_timesteps, sampling_timesteps, eta, objective = (
                shape[0], self.device, self.num_timesteps, self.sampling_timesteps,
                self.ddim_sampling_eta, self.objective)
            times = torch.linspace(-1, total_timesteps - 1, steps=sampling_timesteps + 1)
            times = list(reversed(times.int().tolist()))
            time_pairs = list(zip(times[:-1], times[1:]))
            img = torch.randn(shape, device=device)
            imgs = [img]
            x_start = None
            for time, time_next in time_pairs:
                time_cond = torch.full((batch,), time, device=device, dtype=torch.long)
                self_cond = x_start if self.self_condition else None
                pred_noise, x_start, *_ = self.model_predictions(
                    img, time_cond, self_cond, clip_x_start=True, rederive_pred_noise=True)
                if time_next < 0:
                    img = x_start
                    imgs.append(img)
                    continue
                alpha = self.alphas_cumprod[time]
                alpha_next = self.alphas_cumprod[time_next]
                sigma = eta * ((1 - alpha / alpha_next) * (1 - alpha_next) / (1 - alpha)).sqrt()
                c = (1 - alpha_next - sigma ** 2).sqrt()
                noise = torch.randn_like(img)
                img = x_start * alpha_next.sqrt() + c * pred_noise + sigma * noise
                imgs.append(img)
            ret = img if not return_all_timesteps else torch.stack(imgs, dim=1)
            ret = self.unnormalize(ret)
            return ret

        @torch.inference_mode()
        def sample(self, batch_size=16, return_all_timesteps=False):
            (h, w), channels = self.image_size, self.channels
            sample_fn = self.p_sample_loop if not self.is_ddim_sampling else self.ddim_sample
            return sample_fn((batch_size, channels, h, w), return_all_timesteps=return_all_timesteps)

        @torch.inference_mode()
        def interpolate(self, x1, x2, t=None, lam=0.5):
            b, *_, device = *x1.shape, x1.device
            t = default(t, self.num_timesteps - 1)
            assert x1.shape == x2.shape
            t_batched = torch.full((b,), t, device=device)
            xt1, xt2 = map(lambda x: self.q_sample(x, t=t_batched), (x1, x2))
            img = (1 - lam) * xt1 + lam * xt2
            x_start = None
            for i in reversed(range(0, t)):
                self_cond = x_start if self.self_condition else None
                img, x_start = self.p_sample(img, i, self_cond)
            return img

        def q_sample(self, x_start, t, noise=None):
            noise = default(noise, lambda: torch.randn_like(x_start))
            return (extract(self.sqrt_alphas_cumprod, t, x_start.shape) * x_start +
                    extract(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise)

        def p_losses(self, x_start, t, noise=None, offset_noise_strength=None):
            b, c, h, w = x_start.shape
            noise = default(noise, lambda: torch.randn_like(x_start))
            offset_noise_strength = default(offset_noise_strength, self.offset_noise_strength)
            if offset_noise_strength > 0.:
                offset_noise = torch.randn(x_start.shape[:2], device=self.device)
                noise += offset_noise_strength * offset_noise[:, :, None, None]
            x = self.q_sample(x_start=x_start, t=t, noise=noise)
            x_self_cond = None
            if self.self_condition and random() < 0.5:
                with torch.no_grad():
                    x_self_cond = self.model_predictions(x, t).pred_x_start
                    x_self_cond.detach_()
            model_out = self.model(x, t, x_self_cond)
            if self.objective == 'pred_noise':
                target = noise
            elif self.objective == 'pred_x0':
                target = x_start
            elif self.objective == 'pred_v':
                v = self.predict_v(x_start, t, noise)
                target = v
            else:
                raise ValueError(f'unknown objective {self.objective}')
            loss = F.mse_loss(model_out, target, reduction='none')
            loss = loss.reshape(b, -1).mean(dim=1)        # reduce(loss, 'b ... -> b', 'mean')
            loss = loss * extract(self.loss_weight, t, loss.shape)
            return loss.mean()

        def forward(self, img, *args, **kwargs):
            b, c, h, w, device, (ih, iw) = *img.shape, img.device, self.image_size
            assert h == ih and w == iw, f'height and width of image must be {ih}, {iw}'
            t = torch.randint(0, self.num_timesteps, (b,), device=device).long()
            img = self.normalize(img)
            return self.p_losses(img, t, *args, **kwargs)

    return GaussianDiffusion, extract


def _images(torch, n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=g)


def _train(torch, o, diffusion, steps=3, lr=1e-4, batch=4):
    """Trainer.train: Adam (betas 0.9, 0.99), clip_grad_norm_ 1.0, EMA of the weights."""
    opt = torch.optim.Adam(diffusion.parameters(), lr=lr, betas=(0.9, 0.99))
    ema = {k: v.detach().clone() for k, v in diffusion.state_dict().items()}
    for step in range(steps):
        data = _images(torch, batch, step)
        loss = diffusion(data)
        total_loss = loss.item()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(diffusion.parameters(), 1.0)
        o.print(f'loss: {total_loss:.4f} norm {norm.item():.3f}')
        opt.step()
        opt.zero_grad()
        with torch.no_grad():
            for k, v in diffusion.state_dict().items():
                if v.dtype.is_floating_point:
                    ema[k].lerp_(v, 1 - 0.995)
    o.vals.append(loss.detach())
    o.vals += [v for v in ema.values()]


def schedules_prog(torch):
    """the three beta schedules and the buffers GaussianDiffusion registers from them."""
    with Out() as o:
        extract, fns = schedules(torch)
        for name, fn in fns.items():
            betas = fn(10)
            o.print(name, betas.dtype, tuple(betas.shape), f'{betas.max().item():.6f}')
            o.vals.append(betas)
        o.vals.append(fns['sigmoid'](10, start=-2, end=4, tau=0.5))
        o.vals.append(fns['cosine'](10, s=0.02))
        a = fns['linear'](10)
        t = torch.tensor([0, 3, 9])
        e = extract(a.float(), t, (3, 1, 8, 8))
        o.print(e.shape, e.dtype)
        o.vals.append(e)
        o.print(num_to_groups(25, 4))
        o.tryit(lambda: extract(a, torch.tensor([0.5]), (1, 1, 8, 8)))
        o.tryit(lambda: extract(a, torch.tensor([12]), (1, 1, 8, 8)))
    return o.done()


def unet_forward(torch):
    """Unet(dim=8, dim_mults=(1, 2)) forward on a batch of noisy images and times."""
    M = build(torch)
    with Out() as o:
        torch.manual_seed(0)
        model = M.Unet(dim=8, dim_mults=(1, 2), channels=1)
        n = sum(p.numel() for p in model.parameters())
        o.print('params', n)
        x = torch.randn(2, 1, 8, 8)
        t = torch.tensor([1, 7])
        out = model(x, t)
        o.print(out.shape, out.dtype)
        out.pow(2).mean().backward()
        o.vals += [out.detach(), model.init_conv.weight.grad, model.mid_attn.fn.fn.to_qkv.weight.grad]
        o.tryit(lambda: model(torch.randn(1, 1, 7, 8), torch.tensor([1])))
        sc = M.Unet(dim=8, dim_mults=(1, 2), channels=1, self_condition=True, learned_variance=True)
        y = sc(x, t)
        o.print(y.shape, sc.out_dim)
        o.vals.append(y.detach())
        emb = M.RandomOrLearnedSinusoidalPosEmb(16, is_random=True)
        f = emb(torch.tensor([0.5, 2.0]))
        o.print(f.shape, emb.weights.requires_grad)
        o.vals.append(f)
        ds = M.PixelUnshuffleDownsample(4, 8)
        d = ds(torch.randn(2, 4, 8, 8))
        o.print(d.shape)
        rms = M.PreNorm(8, M.Attention(8, heads=2, dim_head=4), norm=M.RMSNorm)
        r = rms(torch.randn(2, 8, 4, 4))
        o.vals += [d.detach(), r.detach()]
    return o.done()


def train_and_sample(torch):
    """pred_v with the sigmoid schedule and min-SNR weighting: train, p_sample_loop, ddim."""
    M = build(torch)
    GaussianDiffusion, _ = diffusion_class(torch)
    with Out() as o:
        torch.manual_seed(0)
        # 4 groups: with one channel a group the conv biases before GroupNorm get only
        # rounding noise as gradient, which Adam turns into lr-sized steps
        model = M.Unet(dim=8, dim_mults=(1, 2), channels=1, resnet_block_groups=4)
        diffusion = GaussianDiffusion(model, image_size=8, timesteps=10,
                                      min_snr_loss_weight=True)
        o.print('loss_weight', [round(w, 4) for w in diffusion.loss_weight.tolist()])
        _train(torch, o, diffusion)
        imgs = diffusion.sample(batch_size=2)
        o.print(imgs.shape, f'{imgs.mean().item():.4f} {imgs.std().item():.4f}',
                imgs.requires_grad, imgs.is_inference())
        all_imgs = diffusion.p_sample_loop((1, 1, 8, 8), return_all_timesteps=True)
        o.print(all_imgs.shape)
        diffusion.sampling_timesteps, diffusion.is_ddim_sampling = 4, True
        dimgs = diffusion.sample(batch_size=2, return_all_timesteps=True)
        o.print(dimgs.shape, f'{dimgs.min().item():.4f} {dimgs.max().item():.4f}')
        o.vals += [imgs, all_imgs, dimgs]
    return o.done()
