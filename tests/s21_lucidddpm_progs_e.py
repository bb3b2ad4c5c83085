"""lucidrains/denoising-diffusion-pytorch, denoising_diffusion_pytorch/
continuous_time_gaussian_diffusion.py as users type it: log-SNR schedules (beta_linear_log_snr
with torch.special.expm1, alpha_cosine_log_snr, the learned monotonic schedule with
frac_gradient), ContinuousTimeGaussianDiffusion (q_sample with right_pad_dims_to, p_losses with
p2 weighting, p_mean_variance, p_sample_loop) on the Unet with learned sinusoidal time features.
einops written as the torch calls it stands for. See test_programs_s21_lucidddpm.py."""

import math

from s16_yunjey_progs import Out
import s21_lucidddpm_progs as A
from s21_lucidddpm_progs import default, normalize_to_neg_one_to_one, unnormalize_to_zero_to_one


def right_pad_dims_to(x, t):
    padding_dims = x.ndim - t.ndim
    if padding_dims <= 0:
        return t
    return t.view(*t.shape, *((1,) * padding_dims))


def build_ct(torch):
    nn, F = torch.nn, torch.nn.functional
    sqrt = torch.sqrt                           # from torch import sqrt
    expm1 = torch.special.expm1                 # from torch.special import expm1

    class Residual(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x):
            return x + self.fn(x)

    class MonotonicLinear(nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()
            self.net = nn.Linear(*args, **kwargs)

        def forward(self, x):
            return F.linear(x, self.net.weight.abs(), self.net.bias.abs())

    class AddLastDim(nn.Module):               # Rearrange('... -> ... 1')
        def forward(self, x):
            return x.unsqueeze(-1)

    class DropLastDim(nn.Module):              # Rearrange('... 1 -> ...')
        def forward(self, x):
            return x.squeeze(-1)

    def log(t, eps=1e-20):
        return torch.log(t.clamp(min=eps))

    def beta_linear_log_snr(t):
        return -log(expm1(1e-4 + 10 * (t ** 2)))

    def alpha_cosine_log_snr(t, s=0.008):
        return -log((torch.cos((t + s) / (1 + s) * math.pi * 0.5) ** -2) - 1, eps=1e-5)

    class learned_noise_schedule(nn.Module):
        def __init__(self, *, log_snr_max, log_snr_min, hidden_dim=1024, frac_gradient=1.):
            super().__init__()
            self.slope = log_snr_min - log_snr_max
            self.intercept = log_snr_max
            self.net = nn.Sequential(
                AddLastDim(),
                MonotonicLinear(1, 1),
                Residual(nn.Sequential(MonotonicLinear(1, hidden_dim), nn.Sigmoid(),
                                       MonotonicLinear(hidden_dim, 1))),
                DropLastDim(),
            )
            self.frac_gradient = frac_gradient

        def forward(self, x):
            frac_gradient = self.frac_gradient
            out_zero = self.net(torch.zeros_like(x))
            out_one = self.net(torch.ones_like(x))
            x = self.net(x)
            normed = self.slope * ((x - out_zero) / (out_one - out_zero)) + self.intercept
            return normed * frac_gradient + normed.detach() * (1 - frac_gradient)

    class ContinuousTimeGaussianDiffusion(nn.Module):
        def __init__(self, model, *, image_size, channels=3, loss_type='l1', noise_schedule='linear',
                     num_sample_steps=500, clip_sample_denoised=True,
                     learned_schedule_net_hidden_dim=1024, learned_noise_schedule_frac_gradient=1.,
                     p2_loss_weight_gamma=0., p2_loss_weight_k=1):
            super().__init__()
            assert model.random_or_learned_sinusoidal_cond
            assert not model.self_condition, 'not supported yet'
            self.model = model
            self.channels = channels
            self.image_size = image_size
            self.loss_type = loss_type
            if noise_schedule == 'linear':
                self.log_snr = beta_linear_log_snr
            elif noise_schedule == 'cosine':
                self.log_snr = alpha_cosine_log_snr
            elif noise_schedule == 'learned':
                log_snr_max, log_snr_min = [beta_linear_log_snr(torch.tensor([time])).item()
                                            for time in (0., 1.)]
                self.log_snr = learned_noise_schedule(
                    log_snr_max=log_snr_max, log_snr_min=log_snr_min,
                    hidden_dim=learned_schedule_net_hidden_dim,
                    frac_gradient=learned_noise_schedule_frac_gradient)
            else:
                raise ValueError(f'unknown noise schedule {noise_schedule}')
            self.num_sample_steps = num_sample_steps
            self.clip_sample_denoised = clip_sample_denoised
            assert p2_loss_weight_gamma <= 2, 'in paper, they noticed any gamma greater than 2 is harmful'
            self.p2_loss_weight_gamma = p2_loss_weight_gamma
            self.p2_loss_weight_k = p2_loss_weight_k

        @property
        def device(self):
            return next(self.model.parameters()).device

        @property
        def loss_fn(self):
            if self.loss_type == 'l1':
                return F.l1_loss
            elif self.loss_type == 'l2':
                return F.mse_loss
            else:
                raise ValueError(f'invalid loss type {self.loss_type}')

        def p_mean_variance(self, x, time, time_next):
            log_snr = self.log_snr(time)
            log_snr_next = self.log_snr(time_next)
            c = -expm1(log_snr - log_snr_next)
            squared_alpha, squared_alpha_next = log_snr.sigmoid(), log_snr_next.sigmoid()
            squared_sigma, squared_sigma_next = (-log_snr).sigmoid(), (-log_snr_next).sigmoid()
            alpha, sigma, alpha_next = map(sqrt, (squared_alpha, squared_sigma, squared_alpha_next))
            batch_log_snr = log_snr.repeat(x.shape[0])            # repeat(' -> b')
            pred_noise = self.model(x, batch_log_snr)
            if self.clip_sample_denoised:
                x_start = (x - sigma * pred_noise) / alpha
                x_start.clamp_(-1., 1.)
                model_mean = alpha_next * (x * (1 - c) / alpha + c * x_start)
            else:
                model_mean = alpha_next / alpha * (x - c * sigma * pred_noise)
            posterior_variance = squared_sigma_next * c
            return model_mean, posterior_variance

        @torch.no_grad()
        def p_sample(self, x, time, time_next):
            model_mean, model_variance = self.p_mean_variance(x=x, time=time, time_next=time_next)
            if time_next == 0:
                return model_mean
            noise = torch.randn_like(x)
            return model_mean + sqrt(model_variance) * noise

        @torch.no_grad()
        def p_sample_loop(self, shape):
            img = torch.randn(shape, device=self.device)
            steps = torch.linspace(1., 0., self.num_sample_steps + 1, device=self.device)
            for i in range(self.num_sample_steps):
                img = self.p_sample(img, steps[i], steps[i + 1])
            img.clamp_(-1., 1.)
            return unnormalize_to_zero_to_one(img)

        @torch.no_grad()
        def sample(self, batch_size=16):
            return self.p_sample_loop((batch_size, self.channels, self.image_size, self.image_size))

        def q_sample(self, x_start, times, noise=None):
            noise = default(noise, lambda: torch.randn_like(x_start))
            log_snr = self.log_snr(times)
            log_snr_padded = right_pad_dims_to(x_start, log_snr)
            alpha, sigma = sqrt(log_snr_padded.sigmoid()), sqrt((-log_snr_padded).sigmoid())
            return x_start * alpha + noise * sigma, log_snr

        def random_times(self, batch_size):
            return torch.zeros((batch_size,), device=self.device).float().uniform_(0, 1)

        def p_losses(self, x_start, times, noise=None):
            noise = default(noise, lambda: torch.randn_like(x_start))
            x, log_snr = self.q_sample(x_start=x_start, times=times, noise=noise)
            model_out = self.model(x, log_snr)
            losses = self.loss_fn(model_out, noise, reduction='none')
            losses = losses.mean(dim=tuple(range(1, losses.ndim)))   # 'b ... -> b', mean
            if self.p2_loss_weight_gamma >= 0:
                loss_weight = (self.p2_loss_weight_k + log_snr.exp()) ** -self.p2_loss_weight_gamma
                losses = losses * loss_weight
            return losses.mean()

        def forward(self, img, *args, **kwargs):
            b, c, h, w, device, img_size, = *img.shape, img.device, self.image_size
            assert h == img_size and w == img_size, f'height and width of image must be {img_size}'
            times = self.random_times(b)
            img = normalize_to_neg_one_to_one(img)
            return self.p_losses(img, times, *args, **kwargs)

    return ContinuousTimeGaussianDiffusion, beta_linear_log_snr, alpha_cosine_log_snr


def continuous_time(torch):
    """the README's ContinuousTimeGaussianDiffusion: three schedules, train steps, sample."""
    M = A.build(torch)
    CT, lin, cos = build_ct(torch)
    with Out() as o:
        t = torch.linspace(0., 1., 6, requires_grad=True)
        a, c = lin(t), cos(t)
        (a.sum() + c.sum()).backward()
        o.vals += [a.detach(), c.detach(), t.grad]
        for schedule, loss_type in (('linear', 'l1'), ('cosine', 'l2'), ('learned', 'l2')):
            torch.manual_seed(0)
            model = M.Unet(dim=8, dim_mults=(1, 2), channels=1, resnet_block_groups=4,
                           learned_sinusoidal_cond=True, learned_sinusoidal_dim=8)
            diffusion = CT(model, image_size=8, channels=1, loss_type=loss_type,
                           noise_schedule=schedule, num_sample_steps=4,
                           learned_schedule_net_hidden_dim=16,
                           learned_noise_schedule_frac_gradient=0.5, p2_loss_weight_gamma=0.5)
            opt = torch.optim.Adam(diffusion.parameters(), lr=1e-4)
            for step in range(2):
                loss = diffusion(torch.rand(3, 1, 8, 8))
                loss.backward()
                opt.step()
                opt.zero_grad()
                o.print(schedule, f'{loss.item():.4f}')
            s = diffusion.sample(batch_size=2)
            o.print(s.shape, f'{s.mean().item():.4f}', s.requires_grad)
            if schedule == 'linear':
                # x_start = (x - sigma * eps) / alpha with alpha = 0.0067 at t = 1: the network's
                # last-bit (BLAS) differences come out 150 times larger; printed to 4 places only
                s = s.mean()
            o.vals += [loss.detach(), s]
            if schedule == 'learned':
                # the last bias only shifts the output, which the schedule normalises away:
                # its gradient is rounding noise (Adam makes lr-sized steps of it), left out
                o.vals += [p.detach() for n, p in diffusion.log_snr.named_parameters()
                           if n != 'net.2.fn.2.net.bias']
        o.tryit(lambda: CT(model, image_size=8, noise_schedule='quadratic'))
        o.tryit(lambda: CT(model, image_size=8, p2_loss_weight_gamma=3))
    return o.done()
