"""yang-song/score_sde_pytorch sampling.py (EulerMaruyama / ReverseDiffusion / Ancestral
predictors, Langevin / AnnealedLangevin correctors, get_pc_sampler) and likelihood.py (the
Hutchinson divergence through torch.autograd.grad of sum(fn * eps), bits/dim), with
scipy's solve_ivp replaced by a fixed-step RK4 in NumPy (no SciPy here)."""

import abc
import functools

import numpy as np
from s16_yunjey_progs import Out
from s20_score_progs import _images, _model, _sde_lib, _utils


def _sampling(L, classes, utils):
    torch = L
    _, VPSDE, subVPSDE, VESDE = classes
    get_score_fn = utils[1]

    class Predictor(abc.ABC):
        def __init__(self, sde, score_fn, probability_flow=False):
            super().__init__()
            self.sde = sde
            self.rsde = sde.reverse(score_fn, probability_flow)
            self.score_fn = score_fn

        @abc.abstractmethod
        def update_fn(self, x, t):
            pass

    class Corrector(abc.ABC):
        def __init__(self, sde, score_fn, snr, n_steps):
            super().__init__()
            self.sde = sde
            self.score_fn = score_fn
            self.snr = snr
            self.n_steps = n_steps

        @abc.abstractmethod
        def update_fn(self, x, t):
            pass

    class EulerMaruyamaPredictor(Predictor):
        def update_fn(self, x, t):
            dt = -1.0 / self.rsde.N
            z = torch.randn_like(x)
            drift, diffusion = self.rsde.sde(x, t)
            x_mean = x + drift * dt
            x = x_mean + diffusion[:, None, None, None] * np.sqrt(-dt) * z
            return x, x_mean

    class ReverseDiffusionPredictor(Predictor):
        def update_fn(self, x, t):
            f, G = self.rsde.discretize(x, t)
            z = torch.randn_like(x)
            x_mean = x - f
            x = x_mean + G[:, None, None, None] * z
            return x, x_mean

    class AncestralSamplingPredictor(Predictor):
        def __init__(self, sde, score_fn, probability_flow=False):
            super().__init__(sde, score_fn, probability_flow)
            if not isinstance(sde, VPSDE) and not isinstance(sde, VESDE):
                raise NotImplementedError(f"SDE class {sde.__class__.__name__} not yet supported.")
            assert not probability_flow, "Probability flow not supported by ancestral sampling"

        def vesde_update_fn(self, x, t):
            sde = self.sde
            timestep = (t * (sde.N - 1) / sde.T).long()
            sigma = sde.discrete_sigmas[timestep]
            adjacent_sigma = torch.where(
                timestep == 0, torch.zeros_like(t), sde.discrete_sigmas.to(t.device)[timestep - 1]
            )
            score = self.score_fn(x, t)
            x_mean = x + score * (sigma**2 - adjacent_sigma**2)[:, None, None, None]
            std = torch.sqrt((adjacent_sigma**2 * (sigma**2 - adjacent_sigma**2)) / (sigma**2))
            noise = torch.randn_like(x)
            x = x_mean + std[:, None, None, None] * noise
            return x, x_mean

        def vpsde_update_fn(self, x, t):
            sde = self.sde
            timestep = (t * (sde.N - 1) / sde.T).long()
            beta = sde.discrete_betas.to(t.device)[timestep]
            score = self.score_fn(x, t)
            x_mean = (x + beta[:, None, None, None] * score) / torch.sqrt(1.0 - beta)[
                :, None, None, None
            ]
            noise = torch.randn_like(x)
            x = x_mean + torch.sqrt(beta)[:, None, None, None] * noise
            return x, x_mean

        def update_fn(self, x, t):
            if isinstance(self.sde, VESDE):
                return self.vesde_update_fn(x, t)
            elif isinstance(self.sde, VPSDE):
                return self.vpsde_update_fn(x, t)

    class NonePredictor(Predictor):
        def __init__(self, sde, score_fn, probability_flow=False):
            pass

        def update_fn(self, x, t):
            return x, x

    class LangevinCorrector(Corrector):
        def update_fn(self, x, t):
            sde = self.sde
            score_fn = self.score_fn
            n_steps = self.n_steps
            target_snr = self.snr
            if isinstance(sde, VPSDE) or isinstance(sde, subVPSDE):
                timestep = (t * (sde.N - 1) / sde.T).long()
                alpha = sde.alphas.to(t.device)[timestep]
            else:
                alpha = torch.ones_like(t)
            for i in range(n_steps):
                grad = score_fn(x, t)
                noise = torch.randn_like(x)
                grad_norm = torch.norm(grad.reshape(grad.shape[0], -1), dim=-1).mean()
                noise_norm = torch.norm(noise.reshape(noise.shape[0], -1), dim=-1).mean()
                step_size = (target_snr * noise_norm / grad_norm) ** 2 * 2 * alpha
                x_mean = x + step_size[:, None, None, None] * grad
                x = x_mean + torch.sqrt(step_size * 2)[:, None, None, None] * noise
            return x, x_mean

    class AnnealedLangevinDynamics(Corrector):
        def update_fn(self, x, t):
            sde = self.sde
            score_fn = self.score_fn
            n_steps = self.n_steps
            target_snr = self.snr
            if isinstance(sde, VPSDE) or isinstance(sde, subVPSDE):
                timestep = (t * (sde.N - 1) / sde.T).long()
                alpha = sde.alphas.to(t.device)[timestep]
            else:
                alpha = torch.ones_like(t)
            std = self.sde.marginal_prob(x, t)[1]
            for i in range(n_steps):
                grad = score_fn(x, t)
                noise = torch.randn_like(x)
                step_size = (target_snr * std) ** 2 * 2 * alpha
                x_mean = x + step_size[:, None, None, None] * grad
                x = x_mean + noise * torch.sqrt(step_size * 2)[:, None, None, None]
            return x, x_mean

    class NoneCorrector(Corrector):
        def __init__(self, sde, score_fn, snr, n_steps):
            pass

        def update_fn(self, x, t):
            return x, x

    def shared_predictor_update_fn(x, t, sde, model, predictor, probability_flow, continuous):
        score_fn = get_score_fn(sde, model, train=False, continuous=continuous)
        if predictor is None:
            predictor_obj = NonePredictor(sde, score_fn, probability_flow)
        else:
            predictor_obj = predictor(sde, score_fn, probability_flow)
        return predictor_obj.update_fn(x, t)

    def shared_corrector_update_fn(x, t, sde, model, corrector, continuous, snr, n_steps):
        score_fn = get_score_fn(sde, model, train=False, continuous=continuous)
        if corrector is None:
            corrector_obj = NoneCorrector(sde, score_fn, snr, n_steps)
        else:
            corrector_obj = corrector(sde, score_fn, snr, n_steps)
        return corrector_obj.update_fn(x, t)

    def get_pc_sampler(
        sde,
        shape,
        predictor,
        corrector,
        inverse_scaler,
        snr,
        n_steps=1,
        probability_flow=False,
        continuous=False,
        denoise=True,
        eps=1e-3,
        device='cpu',
    ):
        predictor_update_fn = functools.partial(
            shared_predictor_update_fn,
            sde=sde,
            predictor=predictor,
            probability_flow=probability_flow,
            continuous=continuous,
        )
        corrector_update_fn = functools.partial(
            shared_corrector_update_fn,
            sde=sde,
            corrector=corrector,
            continuous=continuous,
            snr=snr,
            n_steps=n_steps,
        )

        def pc_sampler(model):
            with torch.no_grad():
                x = sde.prior_sampling(shape).to(device)
                timesteps = torch.linspace(sde.T, eps, sde.N, device=device)
                for i in range(sde.N):
                    t = timesteps[i]
                    vec_t = torch.ones(shape[0], device=t.device) * t
                    x, x_mean = corrector_update_fn(x, vec_t, model=model)
                    x, x_mean = predictor_update_fn(x, vec_t, model=model)
                return inverse_scaler(x_mean if denoise else x), sde.N * (n_steps + 1)

        return pc_sampler

    return dict(
        EulerMaruyamaPredictor=EulerMaruyamaPredictor,
        ReverseDiffusionPredictor=ReverseDiffusionPredictor,
        AncestralSamplingPredictor=AncestralSamplingPredictor,
        LangevinCorrector=LangevinCorrector,
        AnnealedLangevinDynamics=AnnealedLangevinDynamics,
        get_pc_sampler=get_pc_sampler,
    )


def _setup(L, seed):
    classes = _sde_lib(L)
    utils = _utils(L, classes)
    L.manual_seed(seed)
    model = _model(L)()
    vesigmas = L.tensor(np.exp(np.linspace(np.log(10.0), np.log(0.01), 10))).float()
    vemodel = _model(L)(scale_by_sigma=True, sigmas=vesigmas)
    return classes, utils, model, vemodel


def pc_samplers(L):
    """Each predictor with each corrector (None included) on the VP, sub-VP and VE SDEs."""
    torch = L
    o = Out()
    with o:
        classes, utils, model, vemodel = _setup(L, 0)
        _, VPSDE, subVPSDE, VESDE = classes
        S = _sampling(L, classes, utils)
        inverse_scaler = lambda x: (x + 1.0) / 2.0
        runs = [
            (VPSDE(N=5), 'EulerMaruyamaPredictor', 'LangevinCorrector', True),
            (VPSDE(N=5), 'ReverseDiffusionPredictor', None, False),
            (VPSDE(N=5), 'AncestralSamplingPredictor', 'AnnealedLangevinDynamics', False),
            (subVPSDE(N=5), 'ReverseDiffusionPredictor', None, True),
            (VESDE(sigma_max=10.0, N=5), 'ReverseDiffusionPredictor', 'LangevinCorrector', True),
            (VESDE(sigma_max=10.0, N=5), 'AncestralSamplingPredictor', None, False),
            (VESDE(sigma_max=10.0, N=5), None, 'LangevinCorrector', True),
        ]
        for k, (sde, p, c, cont) in enumerate(runs):
            torch.manual_seed(k)
            net = vemodel if isinstance(sde, VESDE) else model
            scaler = (lambda x: x) if isinstance(sde, VESDE) else inverse_scaler
            sampler = S['get_pc_sampler'](
                sde,
                (2, 1, 8, 8),
                p and S[p],
                c and S[c],
                scaler,
                snr=0.16,
                n_steps=1,
                continuous=cont,
            )
            x, n = sampler(net)
            o.print(
                type(sde).__name__,
                p,
                c,
                tuple(x.shape),
                n,
                x.requires_grad,
                "%.4f" % x.mean().item(),
            )
            o.vals.append(x)
        try:
            S['AncestralSamplingPredictor'](subVPSDE(N=5), lambda x, t: x)
        except NotImplementedError as e:
            o.print("NotImplementedError:", e)
        try:
            S['AncestralSamplingPredictor'](VPSDE(N=5), lambda x, t: x, probability_flow=True)
        except AssertionError as e:
            o.print("AssertionError:", e)
    return o.done()


def likelihood(L):
    """get_likelihood_fn: bits/dim through the probability-flow ODE, Rademacher and Gaussian
    Hutchinson noise, the divergence via torch.autograd.grad under enable_grad in no_grad."""
    torch = L
    o = Out()
    with o:
        classes, utils, model, vemodel = _setup(L, 5)
        _, VPSDE, subVPSDE, VESDE = classes
        to_flattened_numpy, from_flattened_numpy = utils[2], utils[3]
        get_score_fn = utils[1]

        def get_div_fn(fn):
            def div_fn(x, t, eps):
                with torch.enable_grad():
                    x.requires_grad_(True)
                    fn_eps = torch.sum(fn(x, t) * eps)
                    grad_fn_eps = torch.autograd.grad(fn_eps, x)[0]
                x.requires_grad_(False)
                return torch.sum(grad_fn_eps * eps, dim=tuple(range(1, len(x.shape))))

            return div_fn

        def solve_rk4(fun, t_span, y0, n=4):
            ts = np.linspace(t_span[0], t_span[1], n + 1)
            y, nfev = y0, 0
            for a, b in zip(ts[:-1], ts[1:]):
                h = b - a
                k1 = fun(a, y)
                k2 = fun(a + h / 2, y + h / 2 * k1)
                k3 = fun(a + h / 2, y + h / 2 * k2)
                k4 = fun(b, y + h * k3)
                y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
                nfev += 4
            return y, nfev

        def get_likelihood_fn(sde, inverse_scaler, hutchinson_type='Rademacher', eps=1e-5):
            def drift_fn(model, x, t):
                score_fn = get_score_fn(sde, model, train=False, continuous=True)
                rsde = sde.reverse(score_fn, probability_flow=True)
                return rsde.sde(x, t)[0]

            def div_fn(model, x, t, noise):
                return get_div_fn(lambda xx, tt: drift_fn(model, xx, tt))(x, t, noise)

            def likelihood_fn(model, data):
                with torch.no_grad():
                    shape = data.shape
                    if hutchinson_type == 'Gaussian':
                        epsilon = torch.randn_like(data)
                    elif hutchinson_type == 'Rademacher':
                        epsilon = torch.randint_like(data, low=0, high=2).float() * 2 - 1.0
                    else:
                        raise NotImplementedError(f"Hutchinson type {hutchinson_type} unknown.")

                    def ode_func(t, x):
                        sample = (
                            from_flattened_numpy(x[: -shape[0]], shape)
                            .to(data.device)
                            .type(torch.float32)
                        )
                        vec_t = torch.ones(sample.shape[0], device=sample.device) * t
                        drift = to_flattened_numpy(drift_fn(model, sample, vec_t))
                        logp_grad = to_flattened_numpy(div_fn(model, sample, vec_t, epsilon))
                        return np.concatenate([drift, logp_grad], axis=0)

                    init = np.concatenate([to_flattened_numpy(data), np.zeros((shape[0],))], axis=0)
                    zp, nfe = solve_rk4(ode_func, (eps, sde.T), init)
                    z = (
                        from_flattened_numpy(zp[: -shape[0]], shape)
                        .to(data.device)
                        .type(torch.float32)
                    )
                    delta_logp = (
                        from_flattened_numpy(zp[-shape[0] :], (shape[0],))
                        .to(data.device)
                        .type(torch.float32)
                    )
                    prior_logp = sde.prior_logp(z)
                    bpd = -(prior_logp + delta_logp) / np.log(2)
                    N = np.prod(shape[1:])
                    bpd = bpd / N
                    offset = 7.0 - inverse_scaler(-1.0)
                    bpd = bpd + offset
                    return bpd, z, nfe

            return likelihood_fn

        inverse_scaler = lambda x: (x + 1.0) / 2.0
        data = _images(L, 2, 7) * 2.0 - 1.0
        for sde, net, h in (
            (VPSDE(N=10), model, 'Rademacher'),
            (subVPSDE(N=10), model, 'Gaussian'),
            (VESDE(sigma_max=10.0, N=10), vemodel, 'Rademacher'),
        ):
            torch.manual_seed(1)
            bpd, z, nfe = get_likelihood_fn(sde, inverse_scaler, hutchinson_type=h)(net, data)
            o.print(
                type(sde).__name__,
                h,
                bpd.dtype,
                z.dtype,
                nfe,
                bpd.requires_grad,
                "%.3f" % bpd.mean().item(),
            )
            o.vals += [bpd, z]
        try:
            get_likelihood_fn(VPSDE(N=10), inverse_scaler, hutchinson_type='Sphere')(model, data)
        except NotImplementedError as e:
            o.print("NotImplementedError:", e)
    return o.done()
