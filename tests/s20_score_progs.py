"""yang-song/score_sde_pytorch (sde_lib.py, losses.py) as users type them, scaled down: the
NCSN++ / DDPM++ networks replaced by a tiny conv net on 1x8x8 random "images", N = 10
discretisation steps, 2 training steps, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_score.py."""

import abc

import numpy as np
from s16_yunjey_progs import Out


def _sde_lib(L):
    """sde_lib.py: SDE / VPSDE / subVPSDE / VESDE, reverse() with RSDE."""
    torch = L

    class SDE(abc.ABC):
        def __init__(self, N):
            super().__init__()
            self.N = N

        @property
        @abc.abstractmethod
        def T(self):
            pass

        @abc.abstractmethod
        def sde(self, x, t):
            pass

        @abc.abstractmethod
        def marginal_prob(self, x, t):
            pass

        @abc.abstractmethod
        def prior_sampling(self, shape):
            pass

        @abc.abstractmethod
        def prior_logp(self, z):
            pass

        def discretize(self, x, t):
            dt = 1 / self.N
            drift, diffusion = self.sde(x, t)
            f = drift * dt
            G = diffusion * torch.sqrt(torch.tensor(dt, device=t.device))
            return f, G

        def reverse(self, score_fn, probability_flow=False):
            N = self.N
            T = self.T
            sde_fn = self.sde
            discretize_fn = self.discretize

            class RSDE(self.__class__):
                def __init__(self):
                    self.N = N
                    self.probability_flow = probability_flow

                @property
                def T(self):
                    return T

                def sde(self, x, t):
                    drift, diffusion = sde_fn(x, t)
                    score = score_fn(x, t)
                    drift = drift - diffusion[:, None, None, None] ** 2 * score * (
                        0.5 if self.probability_flow else 1.0
                    )
                    diffusion = 0.0 if self.probability_flow else diffusion
                    return drift, diffusion

                def discretize(self, x, t):
                    f, G = discretize_fn(x, t)
                    rev_f = f - G[:, None, None, None] ** 2 * score_fn(x, t) * (
                        0.5 if self.probability_flow else 1.0
                    )
                    rev_G = torch.zeros_like(G) if self.probability_flow else G
                    return rev_f, rev_G

            return RSDE()

    class VPSDE(SDE):
        def __init__(self, beta_min=0.1, beta_max=20, N=1000):
            super().__init__(N)
            self.beta_0 = beta_min
            self.beta_1 = beta_max
            self.N = N
            self.discrete_betas = torch.linspace(beta_min / N, beta_max / N, N)
            self.alphas = 1.0 - self.discrete_betas
            self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
            self.sqrt_alphas_cumprod = torch.sqrt(self.alphas_cumprod)
            self.sqrt_1m_alphas_cumprod = torch.sqrt(1.0 - self.alphas_cumprod)

        @property
        def T(self):
            return 1

        def sde(self, x, t):
            beta_t = self.beta_0 + t * (self.beta_1 - self.beta_0)
            drift = -0.5 * beta_t[:, None, None, None] * x
            diffusion = torch.sqrt(beta_t)
            return drift, diffusion

        def marginal_prob(self, x, t):
            log_mean_coeff = -0.25 * t**2 * (self.beta_1 - self.beta_0) - 0.5 * t * self.beta_0
            mean = torch.exp(log_mean_coeff[:, None, None, None]) * x
            std = torch.sqrt(1.0 - torch.exp(2.0 * log_mean_coeff))
            return mean, std

        def prior_sampling(self, shape):
            return torch.randn(*shape)

        def prior_logp(self, z):
            shape = z.shape
            N = np.prod(shape[1:])
            logps = -N / 2.0 * np.log(2 * np.pi) - torch.sum(z**2, dim=(1, 2, 3)) / 2.0
            return logps

        def discretize(self, x, t):
            timestep = (t * (self.N - 1) / self.T).long()
            beta = self.discrete_betas.to(x.device)[timestep]
            alpha = self.alphas.to(x.device)[timestep]
            sqrt_beta = torch.sqrt(beta)
            f = torch.sqrt(alpha)[:, None, None, None] * x - x
            G = sqrt_beta
            return f, G

    class subVPSDE(SDE):
        def __init__(self, beta_min=0.1, beta_max=20, N=1000):
            super().__init__(N)
            self.beta_0 = beta_min
            self.beta_1 = beta_max
            self.N = N

        @property
        def T(self):
            return 1

        def sde(self, x, t):
            beta_t = self.beta_0 + t * (self.beta_1 - self.beta_0)
            drift = -0.5 * beta_t[:, None, None, None] * x
            discount = 1.0 - torch.exp(-2 * self.beta_0 * t - (self.beta_1 - self.beta_0) * t**2)
            diffusion = torch.sqrt(beta_t * discount)
            return drift, diffusion

        def marginal_prob(self, x, t):
            log_mean_coeff = -0.25 * t**2 * (self.beta_1 - self.beta_0) - 0.5 * t * self.beta_0
            mean = torch.exp(log_mean_coeff)[:, None, None, None] * x
            std = 1 - torch.exp(2.0 * log_mean_coeff)
            return mean, std

        def prior_sampling(self, shape):
            return torch.randn(*shape)

        def prior_logp(self, z):
            shape = z.shape
            N = np.prod(shape[1:])
            return -N / 2.0 * np.log(2 * np.pi) - torch.sum(z**2, dim=(1, 2, 3)) / 2.0

    class VESDE(SDE):
        def __init__(self, sigma_min=0.01, sigma_max=50, N=1000):
            super().__init__(N)
            self.sigma_min = sigma_min
            self.sigma_max = sigma_max
            self.discrete_sigmas = torch.exp(
                torch.linspace(np.log(self.sigma_min), np.log(self.sigma_max), N)
            )
            self.N = N

        @property
        def T(self):
            return 1

        def sde(self, x, t):
            sigma = self.sigma_min * (self.sigma_max / self.sigma_min) ** t
            drift = torch.zeros_like(x)
            diffusion = sigma * torch.sqrt(
                torch.tensor(2 * (np.log(self.sigma_max) - np.log(self.sigma_min)), device=t.device)
            )
            return drift, diffusion

        def marginal_prob(self, x, t):
            std = self.sigma_min * (self.sigma_max / self.sigma_min) ** t
            mean = x
            return mean, std

        def prior_sampling(self, shape):
            return torch.randn(*shape) * self.sigma_max

        def prior_logp(self, z):
            shape = z.shape
            N = np.prod(shape[1:])
            return -N / 2.0 * np.log(2 * np.pi * self.sigma_max**2) - torch.sum(
                z**2, dim=(1, 2, 3)
            ) / (2 * self.sigma_max**2)

        def discretize(self, x, t):
            timestep = (t * (self.N - 1) / self.T).long()
            sigma = self.discrete_sigmas.to(t.device)[timestep]
            adjacent_sigma = torch.where(
                timestep == 0, torch.zeros_like(t), self.discrete_sigmas[timestep - 1].to(t.device)
            )
            f = torch.zeros_like(x)
            G = torch.sqrt(sigma**2 - adjacent_sigma**2)
            return f, G

    return SDE, VPSDE, subVPSDE, VESDE


def _model(L, conditional=True):
    """A tiny stand-in for NCSN++: conv net with a sinusoidal time embedding."""
    torch, nn = L, L.nn
    import math

    def get_timestep_embedding(timesteps, embedding_dim, max_positions=10000):
        assert len(timesteps.shape) == 1
        half_dim = embedding_dim // 2
        emb = math.log(max_positions) / (half_dim - 1)
        emb = torch.exp(torch.arange(half_dim, dtype=torch.float32, device=timesteps.device) * -emb)
        emb = timesteps.float()[:, None] * emb[None, :]
        emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=1)
        if embedding_dim % 2 == 1:
            emb = nn.functional.pad(emb, (0, 1), mode='constant')
        assert emb.shape == (timesteps.shape[0], embedding_dim)
        return emb

    class TinyScore(nn.Module):
        def __init__(self, nf=8, centered=False, scale_by_sigma=False, sigmas=None):
            super().__init__()
            self.nf = nf
            self.centered = centered
            self.scale_by_sigma = scale_by_sigma
            if sigmas is not None:
                self.register_buffer('sigmas', sigmas)
            self.act = nn.SiLU()
            self.temb = nn.ModuleList([nn.Linear(nf, nf * 4), nn.Linear(nf * 4, nf * 4)])
            self.conv_in = nn.Conv2d(1, nf, 3, padding=1)
            self.dense = nn.Linear(nf * 4, nf)
            self.norm = nn.GroupNorm(num_groups=2, num_channels=nf, eps=1e-6)
            self.conv_out = nn.Conv2d(nf, 1, 3, padding=1)

        def forward(self, x, time_cond):
            timesteps = time_cond
            if self.scale_by_sigma:
                used_sigmas = time_cond
                timesteps = torch.log(used_sigmas)
            temb = get_timestep_embedding(timesteps, self.nf)
            temb = self.temb[1](self.act(self.temb[0](temb)))
            if not self.centered:
                x = 2 * x - 1.0
            h = self.conv_in(x)
            h = h + self.dense(self.act(temb))[:, :, None, None]
            h = self.act(self.norm(h))
            h = self.conv_out(h)
            if self.scale_by_sigma:
                used_sigmas = used_sigmas.reshape((x.shape[0], *([1] * len(x.shape[1:]))))
                h = h / used_sigmas
            return h

    return TinyScore


def _utils(L, SDE_classes):
    """models/utils.py: get_model_fn, get_score_fn."""
    torch = L
    _, VPSDE, subVPSDE, VESDE = SDE_classes

    def get_model_fn(model, train=False):
        def model_fn(x, labels):
            if not train:
                model.eval()
                return model(x, labels)
            else:
                model.train()
                return model(x, labels)

        return model_fn

    def get_score_fn(sde, model, train=False, continuous=False):
        model_fn = get_model_fn(model, train=train)

        if isinstance(sde, VPSDE) or isinstance(sde, subVPSDE):

            def score_fn(x, t):
                if continuous or isinstance(sde, subVPSDE):
                    labels = t * 999
                    score = model_fn(x, labels)
                    std = sde.marginal_prob(torch.zeros_like(x), t)[1]
                else:
                    labels = t * (sde.N - 1)
                    score = model_fn(x, labels)
                    std = sde.sqrt_1m_alphas_cumprod.to(labels.device)[labels.long()]
                score = -score / std[:, None, None, None]
                return score
        elif isinstance(sde, VESDE):

            def score_fn(x, t):
                if continuous:
                    labels = sde.marginal_prob(torch.zeros_like(x), t)[1]
                else:
                    labels = sde.T - t
                    labels *= sde.N - 1
                    labels = torch.round(labels).long()
                score = model_fn(x, labels)
                return score
        else:
            raise NotImplementedError(f"SDE class {sde.__class__.__name__} not yet supported.")
        return score_fn

    def to_flattened_numpy(x):
        return x.detach().cpu().numpy().reshape((-1,))

    def from_flattened_numpy(x, shape):
        return torch.from_numpy(x.reshape(shape))

    return get_model_fn, get_score_fn, to_flattened_numpy, from_flattened_numpy


def _images(L, n, seed):
    rng = np.random.default_rng(seed)
    return L.from_numpy(rng.random((n, 1, 8, 8), dtype=np.float32))


def sde_lib(L):
    """marginal_prob, sde, discretize, prior_sampling, prior_logp of the three SDEs and the
    reverse SDE / probability-flow ODE with a fixed score function."""
    o = Out()
    with o:
        L.manual_seed(0)
        SDE, VPSDE, subVPSDE, VESDE = _sde_lib(L)
        x = _images(L, 4, 1)
        t = L.tensor([0.0, 0.25, 0.5, 1.0])
        for sde in (VPSDE(N=10), subVPSDE(N=10), VESDE(N=10)):
            o.print(type(sde).__name__, sde.T, sde.N)
            mean, std = sde.marginal_prob(x, t)
            drift, diffusion = sde.sde(x, t)
            f, G = sde.discretize(x, t)
            z = sde.prior_sampling(x.shape)
            logp = sde.prior_logp(z)
            o.print(
                mean.shape,
                type(std).__name__,
                getattr(std, 'shape', None),
                drift.dtype,
                diffusion.shape,
            )
            o.print(f.shape, G.shape, z.shape, logp.shape, logp.dtype)
            o.vals += [mean, std, drift, diffusion, f, G, z, logp]
            rsde = sde.reverse(lambda x, t: -x, probability_flow=False)
            ode = sde.reverse(lambda x, t: -x, probability_flow=True)
            o.print(type(rsde).__name__, isinstance(rsde, type(sde)), rsde.T, rsde.N)
            d1, g1 = rsde.sde(x, t)
            d2, g2 = ode.sde(x, t)
            rf, rG = rsde.discretize(x, t)
            of, oG = ode.discretize(x, t)
            o.print(type(g2).__name__, g2, oG.dtype, oG.shape)
            o.vals += [d1, g1, d2, rf, rG, of, oG]
        vp = VPSDE(N=10)
        o.print(vp.discrete_betas)
        o.print(vp.sqrt_alphas_cumprod)
        o.vals += [
            vp.discrete_betas,
            vp.alphas_cumprod,
            vp.sqrt_1m_alphas_cumprod,
            VESDE(N=10).discrete_sigmas,
        ]
    return o.done()
