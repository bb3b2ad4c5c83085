"""AntixK/PyTorch-VAE, the multi-sample and two-level models as users type them: iwae.py and
miwae.py (``repeat``/``permute`` to [B x S x D] and [B x M x S x D], importance weights from a
detached softmax; iwae's ``torch.log(2.0 * math.pi)`` on a float kept as written, then as
users patch it), mssim_vae.py (the MSSIM module: Gaussian window, grouped conv2d, avg_pool2d,
``mcs ** weights``, ``torch.prod``; its ``torch.exp`` of a Python float and ``.cuda(device)``
kept as written, then patched), fvae.py (FactorVAE: a discriminator trained with a second
optimizer on ``permute_latent``'s randperm-shuffled codes and cross_entropy), hvae.py (two
latent levels) and lvae.py (ladder encoder blocks; its forward prints shapes and returns None).
Shrunk as in tests/s21_vae_progs.py."""

import math

from s16_yunjey_progs import Out
from s21_vae_progs import images, make_base, run_experiment


def iwae(L):
    L.manual_seed(31)
    F = L.nn.functional
    _, VanillaVAE = make_base(L)

    class IWAE(VanillaVAE):
        def __init__(self, in_channels, latent_dim, hidden_dims=None, num_samples: int = 5,
                     patched=False, **kwargs):
            super(IWAE, self).__init__(in_channels, latent_dim, hidden_dims)
            self.num_samples, self.patched = num_samples, patched

        def decode(self, z):
            B, _, _ = z.size()
            if self.patched:
                z = z.contiguous()
            z = z.view(-1, self.latent_dim)
            result = self.decoder_input(z)
            result = result.view(-1, self.last_dim, 2, 2)
            result = self.decoder(result)
            result = self.final_layer(result)
            result = result.view([B, -1, result.size(1), result.size(2), result.size(3)])
            return result

        def forward(self, input, **kwargs):
            mu, log_var = self.encode(input)
            mu = mu.repeat(self.num_samples, 1, 1).permute(1, 0, 2)
            log_var = log_var.repeat(self.num_samples, 1, 1).permute(1, 0, 2)
            z = self.reparameterize(mu, log_var)
            eps = (z - mu) / log_var
            return [self.decode(z), input, mu, log_var, z, eps]

        def loss_function(self, *args, **kwargs):
            recons, input, mu, log_var, z, eps = args[:6]
            input = input.repeat(self.num_samples, 1, 1, 1, 1).permute(1, 0, 2, 3, 4)
            _, _, c, h, w = input.shape
            kld_weight = kwargs['M_N']
            log_p_x_z = -((recons - input) ** 2).flatten(2).mean(-1)
            if self.patched == 2:
                two_pi = L.tensor(2.0 * math.pi)
                log_p_z = (- 0.5 * ((z - 0.0) ** 2 / 1.0) - 0.5 * L.log(two_pi * 1.0)).mean(-1)
                log_q_z_x = (- 0.5 * ((z - mu) ** 2 / log_var.exp())
                             - 0.5 * (L.log(two_pi) + log_var)).mean(-1)
            else:
                log_p_z = (- 0.5 * ((z - 0.0) ** 2 / 1.0)
                           - 0.5 * L.log(2.0 * math.pi * 1.0)).mean(-1)
                log_q_z_x = (- 0.5 * ((z - mu) ** 2 / log_var.exp())
                             - 0.5 * (L.log(2.0 * math.pi) + log_var)).mean(-1)
            kld_loss_est = kld_weight * (log_q_z_x - log_p_z) * (c * h * w)
            elbo = (log_p_x_z - kld_loss_est)
            weight = F.softmax(elbo.detach(), dim=-1)
            loss = - L.mean(L.sum(weight * elbo, dim=-1), dim=0)
            return {'loss': loss, 'Reconstruction_Loss': log_p_x_z.mean(),
                    'KLD': -kld_loss_est.mean()}

        def sample(self, num_samples, current_device, **kwargs):
            z = L.randn(num_samples, 1, self.latent_dim)
            z = z.to(current_device)
            return self.decode(z).squeeze()

        def generate(self, x, **kwargs):
            return self.forward(x)[0][:, 0, :]

    with Out() as o:
        for patched in [False, 1]:
            model = IWAE(3, 4, num_samples=3, patched=patched)
            model._in_ch = 3
            o.tryit(lambda: run_experiment(L, model, o, steps=1))
        mu = L.randn(4, 3).repeat(3, 1, 1).permute(1, 0, 2)
        z = L.randn_like(mu) * mu + mu
        o.print(mu.is_contiguous(), z.is_contiguous(), z.stride(), (mu * 2).stride(),
                (mu + L.randn(4, 3, 3)).stride(), (L.randn(4, 3, 3) + mu).stride())
        model = IWAE(3, 4, num_samples=3, patched=2)
        model._in_ch = 3
        run_experiment(L, model, o, steps=2)
        o.print(model.sample(2, 'cpu').shape, model.generate(images(L)[0]).shape)
    return o.lines, o.vals


def miwae(L):
    L.manual_seed(32)
    F = L.nn.functional
    _, VanillaVAE = make_base(L)

    class MIWAE(VanillaVAE):
        def __init__(self, in_channels, latent_dim, hidden_dims=None, num_samples: int = 5,
                     num_estimates: int = 5, **kwargs):
            super(MIWAE, self).__init__(in_channels, latent_dim, hidden_dims)
            self.num_samples, self.num_estimates = num_samples, num_estimates

        def decode(self, z):
            B, M, S, D = z.size()
            z = z.contiguous().view(-1, self.latent_dim)
            result = self.decoder_input(z)
            result = result.view(-1, self.last_dim, 2, 2)
            result = self.decoder(result)
            result = self.final_layer(result)
            result = result.view([B, M, S, result.size(-3), result.size(-2), result.size(-1)])
            return result

        def forward(self, input, **kwargs):
            mu, log_var = self.encode(input)
            mu = mu.repeat(self.num_estimates, self.num_samples, 1, 1).permute(2, 0, 1, 3)
            log_var = log_var.repeat(self.num_estimates, self.num_samples, 1, 1).permute(2, 0, 1, 3)
            z = self.reparameterize(mu, log_var)
            eps = (z - mu) / log_var
            return [self.decode(z), input, mu, log_var, z, eps]

        def loss_function(self, *args, **kwargs):
            recons, input, mu, log_var, z, eps = args[:6]
            input = input.repeat(self.num_estimates,
                                 self.num_samples, 1, 1, 1, 1).permute(2, 0, 1, 3, 4, 5)
            kld_weight = kwargs['M_N']
            log_p_x_z = ((recons - input) ** 2).flatten(3).mean(-1)
            kld_loss = -0.5 * L.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=3)
            log_weight = (log_p_x_z + kld_weight * kld_loss)
            weight = F.softmax(log_weight, dim=-1)
            loss = L.mean(L.mean(L.sum(weight * log_weight, dim=-1), dim=-2), dim=0)
            return {'loss': loss, 'Reconstruction_Loss': log_p_x_z.mean(), 'KLD': -kld_loss.mean()}

        def sample(self, num_samples, current_device, **kwargs):
            z = L.randn(num_samples, 1, 1, self.latent_dim)
            return self.decode(z.to(current_device)).squeeze()

        def generate(self, x, **kwargs):
            return self.forward(x)[0][:, 0, 0, :]

    with Out() as o:
        model = MIWAE(3, 4, num_samples=3, num_estimates=2)
        model._in_ch = 3
        run_experiment(L, model, o, steps=2)
        o.print(model.sample(1, 'cpu').shape, model.generate(images(L)[0]).shape)
    return o.lines, o.vals


def mssim_vae(L):
    L.manual_seed(33)
    nn, F = L.nn, L.nn.functional
    _, VanillaVAE = make_base(L)

    class MSSIM(nn.Module):
        def __init__(self, in_channels: int = 3, window_size: int = 11, size_average=True,
                     patched=False):
            super(MSSIM, self).__init__()
            self.in_channels, self.window_size = in_channels, window_size
            self.size_average, self.patched = size_average, patched

        def gaussian_window(self, window_size: int, sigma: float):
            if self.patched:
                kernel = L.tensor([math.exp((x - window_size // 2) ** 2 / (2 * sigma ** 2))
                                   for x in range(window_size)])
            else:
                kernel = L.tensor([L.exp((x - window_size // 2) ** 2 / (2 * sigma ** 2))
                                   for x in range(window_size)])
            return kernel / kernel.sum()

        def create_window(self, window_size, in_channels):
            _1D_window = self.gaussian_window(window_size, 1.5).unsqueeze(1)
            _2D_window = _1D_window.mm(_1D_window.t()).float().unsqueeze(0).unsqueeze(0)
            window = _2D_window.expand(in_channels, 1, window_size, window_size).contiguous()
            return window

        def ssim(self, img1, img2, window_size, in_channel, size_average):
            device = img1.device
            window = self.create_window(window_size, in_channel)
            window = window.to(device) if self.patched else window.cuda(device)
            mu1 = F.conv2d(img1, window, padding=window_size // 2, groups=in_channel)
            mu2 = F.conv2d(img2, window, padding=window_size // 2, groups=in_channel)
            mu1_sq = mu1.pow(2)
            mu2_sq = mu2.pow(2)
            mu1_mu2 = mu1 * mu2
            sigma1_sq = F.conv2d(img1 * img1, window, padding=window_size // 2,
                                 groups=in_channel) - mu1_sq
            sigma2_sq = F.conv2d(img2 * img2, window, padding=window_size // 2,
                                 groups=in_channel) - mu2_sq
            sigma12 = F.conv2d(img1 * img2, window, padding=window_size // 2,
                                 groups=in_channel) - mu1_mu2
            img_range = img1.max() - img1.min()
            C1 = (0.01 * img_range) ** 2
            C2 = (0.03 * img_range) ** 2
            v1 = 2.0 * sigma12 + C2
            v2 = sigma1_sq + sigma2_sq + C2
            cs = L.mean(v1 / v2)
            ssim_map = ((2 * mu1_mu2 + C1) * v1) / ((mu1_sq + mu2_sq + C1) * v2)
            if size_average:
                ret = ssim_map.mean()
            else:
                ret = ssim_map.mean(1).mean(1).mean(1)
            return ret, cs

        def forward(self, img1, img2):
            device = img1.device
            weights = L.FloatTensor([0.0448, 0.2856, 0.3001, 0.2363, 0.1333]).to(device)
            levels = weights.size()[0]
            mssim = []
            mcs = []
            for _ in range(levels):
                sim, cs = self.ssim(img1, img2, self.window_size, self.in_channels,
                                    self.size_average)
                mssim.append(sim)
                mcs.append(cs)
                img1 = F.avg_pool2d(img1, (2, 2))
                img2 = F.avg_pool2d(img2, (2, 2))
            mssim = L.stack(mssim)
            mcs = L.stack(mcs)
            pow1 = mcs ** weights
            pow2 = mssim ** weights
            output = L.prod(pow1[:-1] * pow2[-1])
            return output

    class MSSIMVAE(VanillaVAE):
        def __init__(self, in_channels, latent_dim, hidden_dims=None, window_size: int = 11,
                     size_average: bool = True, patched=False, **kwargs):
            super(MSSIMVAE, self).__init__(in_channels, latent_dim, hidden_dims)
            self.mssim_loss = MSSIM(3, window_size, size_average, patched)

        def loss_function(self, *args, **kwargs):
            recons, input, mu, log_var = args[:4]
            kld_weight = kwargs['M_N']
            recons_loss = self.mssim_loss(recons, input)
            kld_loss = L.mean(-0.5 * L.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1), dim=0)
            loss = recons_loss + kld_weight * kld_loss
            return {'loss': loss, 'Reconstruction_Loss': recons_loss, 'KLD': -kld_loss}

    with Out() as o:
        o.tryit(lambda: MSSIM().gaussian_window(5, 1.5))
        m = MSSIM(window_size=5, patched=True)
        o.print(m.gaussian_window(5, 1.5), m.create_window(3, 2).shape)
        o.tryit(lambda: MSSIM(window_size=3).ssim(images(L)[0], images(L)[0], 3, 3, True))
        o.tryit(lambda: L.zeros(2).cuda())
        x, y = images(L, n=2, hw=32)[0], images(L, n=2, hw=32, seed=1)[0]
        o.print(round(m(x, y).item(), 5), round(m(x, x).item(), 5))
        model = MSSIMVAE(3, 4, [8, 16, 32, 64], window_size=3, patched=True)
        model._in_ch, model._hw = 3, 32
        run_experiment(L, model, o, steps=2)
    return o.lines, o.vals
