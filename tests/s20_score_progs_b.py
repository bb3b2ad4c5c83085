"""yang-song/score_sde_pytorch losses.py (get_sde_loss_fn with reduce_mean / likelihood
weighting, get_smld_loss_fn, get_ddpm_loss_fn, get_step_fn, optimization_manager) and
models/ema.py, run.lib's checkpointing to an in-memory buffer, on the tiny stand-in net."""

import io

import numpy as np
from s16_yunjey_progs import Out
from s20_score_progs import _images, _model, _sde_lib, _utils


def _ema(L):
    torch = L

    class ExponentialMovingAverage:
        def __init__(self, parameters, decay, use_num_updates=True):
            if decay < 0.0 or decay > 1.0:
                raise ValueError('Decay must be between 0 and 1')
            self.decay = decay
            self.num_updates = 0 if use_num_updates else None
            self.shadow_params = [p.clone().detach() for p in parameters if p.requires_grad]
            self.collected_params = []

        def update(self, parameters):
            decay = self.decay
            if self.num_updates is not None:
                self.num_updates += 1
                decay = min(decay, (1 + self.num_updates) / (10 + self.num_updates))
            one_minus_decay = 1.0 - decay
            with torch.no_grad():
                parameters = [p for p in parameters if p.requires_grad]
                for s_param, param in zip(self.shadow_params, parameters):
                    s_param.sub_(one_minus_decay * (s_param - param))

        def copy_to(self, parameters):
            parameters = [p for p in parameters if p.requires_grad]
            for s_param, param in zip(self.shadow_params, parameters):
                if param.requires_grad:
                    param.data.copy_(s_param.data)

        def store(self, parameters):
            self.collected_params = [param.clone() for param in parameters]

        def restore(self, parameters):
            for c_param, param in zip(self.collected_params, parameters):
                param.data.copy_(c_param.data)

        def state_dict(self):
            return dict(
                decay=self.decay, num_updates=self.num_updates, shadow_params=self.shadow_params
            )

        def load_state_dict(self, state_dict):
            self.decay = state_dict['decay']
            self.num_updates = state_dict['num_updates']
            self.shadow_params = state_dict['shadow_params']

    return ExponentialMovingAverage


def _losses(L, classes, utils):
    torch, optim = L, L.optim
    _, VPSDE, subVPSDE, VESDE = classes
    get_model_fn, get_score_fn = utils[0], utils[1]

    def get_optimizer(lr, params, beta1=0.9, eps=1e-8, weight_decay=0):
        return optim.Adam(params, lr=lr, betas=(beta1, 0.999), eps=eps, weight_decay=weight_decay)

    def optimization_manager(lr=2e-4, warmup=5, grad_clip=1.0):
        def optimize_fn(optimizer, params, step, lr=lr, warmup=warmup, grad_clip=grad_clip):
            if warmup > 0:
                for g in optimizer.param_groups:
                    g['lr'] = lr * np.minimum(step / warmup, 1.0)
            if grad_clip >= 0:
                torch.nn.utils.clip_grad_norm_(params, max_norm=grad_clip)
            optimizer.step()

        return optimize_fn

    def get_sde_loss_fn(
        sde, train, reduce_mean=True, continuous=True, likelihood_weighting=True, eps=1e-5
    ):
        reduce_op = (
            torch.mean if reduce_mean else lambda *args, **kwargs: 0.5 * torch.sum(*args, **kwargs)
        )

        def loss_fn(model, batch):
            score_fn = get_score_fn(sde, model, train=train, continuous=continuous)
            t = torch.rand(batch.shape[0], device=batch.device) * (sde.T - eps) + eps
            z = torch.randn_like(batch)
            mean, std = sde.marginal_prob(batch, t)
            perturbed_data = mean + std[:, None, None, None] * z
            score = score_fn(perturbed_data, t)
            if not likelihood_weighting:
                losses = torch.square(score * std[:, None, None, None] + z)
                losses = reduce_op(losses.reshape(losses.shape[0], -1), dim=-1)
            else:
                g2 = sde.sde(torch.zeros_like(batch), t)[1] ** 2
                losses = torch.square(score + z / std[:, None, None, None])
                losses = reduce_op(losses.reshape(losses.shape[0], -1), dim=-1) * g2
            loss = torch.mean(losses)
            return loss

        return loss_fn

    def get_smld_loss_fn(vesde, train, reduce_mean=False):
        assert isinstance(vesde, VESDE), "SMLD training only works for VESDEs."
        smld_sigma_array = torch.flip(vesde.discrete_sigmas, dims=(0,))
        reduce_op = (
            torch.mean if reduce_mean else lambda *args, **kwargs: 0.5 * torch.sum(*args, **kwargs)
        )

        def loss_fn(model, batch):
            model_fn = get_model_fn(model, train=train)
            labels = torch.randint(0, vesde.N, (batch.shape[0],), device=batch.device)
            sigmas = smld_sigma_array.to(batch.device)[labels]
            noise = torch.randn_like(batch) * sigmas[:, None, None, None]
            perturbed_data = noise + batch
            score = model_fn(perturbed_data, labels)
            target = -noise / (sigmas**2)[:, None, None, None]
            losses = torch.square(score - target)
            losses = reduce_op(losses.reshape(losses.shape[0], -1), dim=-1) * sigmas**2
            loss = torch.mean(losses)
            return loss

        return loss_fn

    def get_ddpm_loss_fn(vpsde, train, reduce_mean=True):
        assert isinstance(vpsde, VPSDE), "DDPM training only works for VPSDEs."
        reduce_op = (
            torch.mean if reduce_mean else lambda *args, **kwargs: 0.5 * torch.sum(*args, **kwargs)
        )

        def loss_fn(model, batch):
            model_fn = get_model_fn(model, train=train)
            labels = torch.randint(0, vpsde.N, (batch.shape[0],), device=batch.device)
            sqrt_alphas_cumprod = vpsde.sqrt_alphas_cumprod.to(batch.device)
            sqrt_1m_alphas_cumprod = vpsde.sqrt_1m_alphas_cumprod.to(batch.device)
            noise = torch.randn_like(batch)
            perturbed_data = (
                sqrt_alphas_cumprod[labels, None, None, None] * batch
                + sqrt_1m_alphas_cumprod[labels, None, None, None] * noise
            )
            score = model_fn(perturbed_data, labels)
            losses = torch.square(score - noise)
            losses = reduce_op(losses.reshape(losses.shape[0], -1), dim=-1)
            loss = torch.mean(losses)
            return loss

        return loss_fn

    def get_step_fn(
        sde, train, optimize_fn=None, reduce_mean=False, continuous=True, likelihood_weighting=False
    ):
        if continuous:
            loss_fn = get_sde_loss_fn(
                sde,
                train,
                reduce_mean=reduce_mean,
                continuous=True,
                likelihood_weighting=likelihood_weighting,
            )
        else:
            assert not likelihood_weighting, (
                "Likelihood weighting is not supported for original SMLD/DDPM training."
            )
            if isinstance(sde, VESDE):
                loss_fn = get_smld_loss_fn(sde, train, reduce_mean=reduce_mean)
            elif isinstance(sde, VPSDE):
                loss_fn = get_ddpm_loss_fn(sde, train, reduce_mean=reduce_mean)
            else:
                raise ValueError(
                    f"Discrete training for {sde.__class__.__name__} is not recommended."
                )

        def step_fn(state, batch):
            model = state['model']
            if train:
                optimizer = state['optimizer']
                optimizer.zero_grad()
                loss = loss_fn(model, batch)
                loss.backward()
                optimize_fn(optimizer, model.parameters(), step=state['step'])
                state['step'] += 1
                state['ema'].update(model.parameters())
            else:
                with torch.no_grad():
                    ema = state['ema']
                    ema.store(model.parameters())
                    ema.copy_to(model.parameters())
                    loss = loss_fn(model, batch)
                    ema.restore(model.parameters())
            return loss

        return step_fn

    return get_optimizer, optimization_manager, get_step_fn


def _train(L, o, sde_name, continuous, reduce_mean, likelihood_weighting, seed):
    torch = L
    classes = _sde_lib(L)
    _, VPSDE, subVPSDE, VESDE = classes
    utils = _utils(L, classes)
    get_optimizer, optimization_manager, get_step_fn = _losses(L, classes, utils)
    ExponentialMovingAverage = _ema(L)
    torch.manual_seed(seed)
    if sde_name == 'vesde':
        sde = VESDE(sigma_min=0.01, sigma_max=10.0, N=10)
        sigmas = torch.tensor(np.exp(np.linspace(np.log(10.0), np.log(0.01), 10))).float()
        score_model = _model(L)(scale_by_sigma=True, sigmas=sigmas)
    elif sde_name == 'vpsde':
        sde = VPSDE(beta_min=0.1, beta_max=20.0, N=10)
        score_model = _model(L)()
    else:
        sde = subVPSDE(beta_min=0.1, beta_max=20.0, N=10)
        score_model = _model(L)()
    ema = ExponentialMovingAverage(score_model.parameters(), decay=0.999)
    optimizer = get_optimizer(2e-4, score_model.parameters())
    state = dict(optimizer=optimizer, model=score_model, ema=ema, step=0)
    optimize_fn = optimization_manager()
    train_step_fn = get_step_fn(
        sde,
        train=True,
        optimize_fn=optimize_fn,
        reduce_mean=reduce_mean,
        continuous=continuous,
        likelihood_weighting=likelihood_weighting,
    )
    eval_step_fn = get_step_fn(
        sde,
        train=False,
        optimize_fn=optimize_fn,
        reduce_mean=reduce_mean,
        continuous=continuous,
        likelihood_weighting=likelihood_weighting,
    )
    scaler = lambda x: x * 2.0 - 1.0 if sde_name != 'vesde' else x
    for step in range(3):
        batch = scaler(_images(L, 4, seed + step))
        loss = train_step_fn(state, batch)
        o.print("step: %d, training_loss: %.4e" % (step, loss.item()))
        o.vals.append(loss.detach())
    eval_loss = eval_step_fn(state, scaler(_images(L, 4, 99)))
    o.print("step: %d, eval_loss: %.4e" % (state['step'], eval_loss.item()))
    o.print(
        eval_loss.requires_grad, state['step'], ema.num_updates, optimizer.param_groups[0]['lr']
    )
    o.vals += [eval_loss] + [p.detach() for p in ema.shadow_params]
    return sde, state


def train_vpsde_continuous(L):
    o = Out()
    with o:
        _train(L, o, 'vpsde', True, False, False, 0)
    return o.done()


def train_subvp_likelihood(L):
    o = Out()
    with o:
        _train(L, o, 'subvpsde', True, True, True, 1)
    return o.done()


def train_vesde_continuous(L):
    o = Out()
    with o:
        _train(L, o, 'vesde', True, False, True, 2)
    return o.done()


def train_smld_ddpm(L):
    """continuous=False: get_smld_loss_fn for the VESDE, get_ddpm_loss_fn for the VPSDE;
    a discrete subVPSDE raises; checkpoint save / restore through a buffer."""
    torch = L
    o = Out()
    with o:
        sde, state = _train(L, o, 'vesde', False, False, False, 3)
        sde2, state2 = _train(L, o, 'vpsde', False, True, False, 4)
        classes = _sde_lib(L)
        get_step_fn = _losses(L, classes, _utils(L, classes))[2]
        try:
            get_step_fn(classes[2](N=10), train=True, continuous=False)
        except ValueError as e:
            o.print("ValueError:", e)
        buf = io.BytesIO()
        saved_state = {
            'optimizer': state['optimizer'].state_dict(),
            'model': state['model'].state_dict(),
            'ema': state['ema'].state_dict(),
            'step': state['step'],
        }
        torch.save(saved_state, buf)
        buf.seek(0)
        o.tryit(lambda: torch.load(buf, map_location='cpu'))  # lr is np.float64: refused
        buf.seek(0)
        loaded_state = torch.load(buf, map_location='cpu', weights_only=False)
        state2['optimizer'].load_state_dict(loaded_state['optimizer'])
        state2['model'].load_state_dict(loaded_state['model'], strict=False)
        state2['ema'].load_state_dict(loaded_state['ema'])
        state2['step'] = loaded_state['step']
        o.print(sorted(loaded_state['model'].keys()))
        o.print(
            loaded_state['optimizer']['param_groups'][0]['lr'], loaded_state['ema']['num_updates']
        )
        o.vals += [p.detach() for p in state2['model'].parameters()] + list(
            state2['model'].buffers()
        )
    return o.done()
