"""real-stanford/diffusion_policy, continued: model/common/normalizer.py (LinearNormalizer's
_fit / _normalize math in 'limits' and 'gaussian' modes, a dict of fields in an
nn.ParameterDict), model/diffusion/mask_generator.py (LowdimMaskGenerator),
policy/diffusion_unet_lowdim_policy.py (compute_loss with inpainting mask and global-cond
modes, conditional_sample / predict_action), and the Colab notebook's state-based Push-T
training loop (numpy dataset normalised to [-1, 1], DataLoader, AdamW, cosine-with-warmup
LambdaLR as diffusers' get_scheduler builds it, EMA, sampling loop). Push-T data replaced
by a seeded fake dataset; the DDPM scheduler is the hand-written one of s22_diffpolicy_progs
(diffusers is not installed)."""


import numpy as np
from s16_yunjey_progs import Out
from s22_diffpolicy_progs import DDPMScheduler, components


def _fit(torch, data, last_n_dims=1, dtype=None, mode='limits', output_max=1.,
         output_min=-1., range_eps=1e-4, fit_offset=True):
    nn = torch.nn
    dtype = torch.float32 if dtype is None else dtype
    assert mode in ['limits', 'gaussian']
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(data)
    if dtype is not None:
        data = data.type(dtype)
    dim = 1
    if last_n_dims > 0:
        dim = np.prod(data.shape[-last_n_dims:])
    data = data.reshape(-1, dim)
    input_min, _ = data.min(axis=0)
    input_max, _ = data.max(axis=0)
    input_mean = data.mean(axis=0)
    input_std = data.std(axis=0)
    if mode == 'limits':
        if fit_offset:
            input_range = input_max - input_min
            ignore_dim = input_range < range_eps
            input_range[ignore_dim] = output_max - output_min
            scale = (output_max - output_min) / input_range
            offset = output_min - scale * input_min
            offset[ignore_dim] = (output_max + output_min) / 2 - input_min[ignore_dim]
        else:
            output_abs = min(abs(output_min), abs(output_max))
            input_abs = torch.maximum(torch.abs(input_min), torch.abs(input_max))
            ignore_dim = input_abs < range_eps
            input_abs[ignore_dim] = output_abs
            scale = output_abs / input_abs
            offset = torch.zeros_like(input_mean)
    elif mode == 'gaussian':
        ignore_dim = input_std < range_eps
        scale = input_std.clone()
        scale[ignore_dim] = 1
        scale = 1 / scale
        if fit_offset:
            offset = - input_mean * scale
        else:
            offset = torch.zeros_like(input_mean)
    this_params = nn.ParameterDict({
        'scale': scale,
        'offset': offset,
        'input_stats': nn.ParameterDict({
            'min': input_min, 'max': input_max, 'mean': input_mean, 'std': input_std})
    })
    for p in this_params.parameters():
        p.requires_grad_(False)
    return this_params


def _normalize(torch, x, params, forward=True):
    assert 'scale' in params
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    scale = params['scale']
    offset = params['offset']
    x = x.to(device=scale.device, dtype=scale.dtype)
    src_shape = x.shape
    x = x.reshape(-1, scale.shape[0])
    if forward:
        x = x * scale + offset
    else:
        x = (x - offset) / scale
    x = x.reshape(src_shape)
    return x


def normalizer(torch):
    """LinearNormalizer math on a constant channel, last_n_dims 2 / 0, fit_offset False,
    round trips, a ParameterDict of fields through state_dict / load_state_dict."""
    torch.manual_seed(0)
    out = Out()
    with out:
        data = torch.zeros((20, 4, 3, 2)).uniform_()
        data[..., 0, 0] = 0
        p = _fit(torch, data, mode='limits', last_n_dims=2)
        datan = _normalize(torch, data, p)
        out.print(datan.shape, f"{datan.max().item():.4f}", f"{datan.min().item():.4f}")
        back = _normalize(torch, datan, p, forward=False)
        out.print(torch.allclose(data, back, atol=1e-6), p['scale'].requires_grad)
        out.print(p)
        out.vals += [datan, back, p['scale'], p['offset'], p['input_stats']['std']]
        p2 = _fit(torch, data, mode='limits', last_n_dims=1, fit_offset=False)
        out.vals += [_normalize(torch, data, p2), p2['scale']]
        p3 = _fit(torch, data.numpy(), mode='gaussian', last_n_dims=0)
        d3 = _normalize(torch, data, p3)
        # the repository's test() checks: np.allclose on 0-d tensors
        out.print(p3['scale'].shape, np.allclose(d3.mean(), 0., atol=1e-3),
                  np.allclose(d3.std(), 1., atol=1e-3), np.allclose(datan.max(), 1.))
        out.vals.append(d3)
        fields = {'obs': torch.zeros((10, 8, 5)).uniform_() * 512,
                  'action': torch.zeros((10, 8, 2)).uniform_() * 512}
        params_dict = torch.nn.ParameterDict()
        for key, value in fields.items():
            params_dict[key] = _fit(torch, value)
        sd = params_dict.state_dict()
        out.print(list(sd.keys()))
        fresh = torch.nn.ParameterDict({k: _fit(torch, torch.ones(3, v.shape[-1]))
                                        for k, v in fields.items()})
        fresh.load_state_dict(sd)
        for key in fields:
            n = _normalize(torch, fields[key], fresh[key])
            out.print(key, torch.allclose(fields[key],
                                          _normalize(torch, n, fresh[key], forward=False),
                                          atol=1e-4))
            out.vals.append(n)
    return out.lines, out.vals


class LowdimMaskGenerator:
    def __init__(self, torch, action_dim, obs_dim, max_n_obs_steps=2, fix_obs_steps=True,
                 action_visible=False):
        self.torch = torch
        self.action_dim = action_dim
        self.obs_dim = obs_dim
        self.max_n_obs_steps = max_n_obs_steps
        self.fix_obs_steps = fix_obs_steps
        self.action_visible = action_visible

    def __call__(self, shape, seed=None):
        torch = self.torch
        with torch.no_grad():
            device = torch.device('cpu')
            B, T, D = shape
            assert D == (self.action_dim + self.obs_dim)
            rng = torch.Generator(device=device)
            if seed is not None:
                rng = rng.manual_seed(seed)
            dim_mask = torch.zeros(size=shape, dtype=torch.bool, device=device)
            is_action_dim = dim_mask.clone()
            is_action_dim[..., :self.action_dim] = True
            is_obs_dim = ~is_action_dim
            if self.fix_obs_steps:
                obs_steps = torch.full((B,), fill_value=self.max_n_obs_steps, device=device)
            else:
                obs_steps = torch.randint(low=1, high=self.max_n_obs_steps + 1, size=(B,),
                                          generator=rng, device=device)
            steps = torch.arange(0, T, device=device).reshape(1, T).expand(B, T)
            obs_mask = (steps.T < obs_steps).T.reshape(B, T, 1).expand(B, T, D)
            obs_mask = obs_mask & is_obs_dim
            if self.action_visible:
                action_steps = torch.maximum(
                    obs_steps - 1,
                    torch.tensor(0, dtype=obs_steps.dtype, device=obs_steps.device))
                action_mask = (steps.T < action_steps).T.reshape(B, T, 1).expand(B, T, D)
                action_mask = action_mask & is_action_dim
            mask = obs_mask
            if self.action_visible:
                mask = mask | action_mask
            return mask


def lowdim_policy(torch):
    """DiffusionUnetLowdimPolicy: compute_loss in inpainting mode (action and obs in one
    trajectory, LowdimMaskGenerator) and global-cond mode, a few Adam steps, then
    predict_action through conditional_sample."""
    F = torch.nn.functional
    m = components(torch)
    torch.manual_seed(0)
    out = Out()
    H, Do, Da, To, Na = 8, 3, 2, 2, 4
    with out:
        mg = LowdimMaskGenerator(torch, Da, 5, max_n_obs_steps=3, fix_obs_steps=False,
                                 action_visible=True)
        mask = mg((2, 6, 7), seed=0)
        out.print(mask.dtype, mask.sum().item(), mask[:, :, 0].int())
        out.vals.append(mask)
        for global_mode in (False, True):
            sched = DDPMScheduler(torch, num_train_timesteps=10)
            model = m['ConditionalUnet1D'](
                input_dim=Da if global_mode else Da + Do,
                global_cond_dim=Do * To if global_mode else None,
                diffusion_step_embed_dim=8, down_dims=(16, 32), cond_predict_scale=True)
            mask_generator = LowdimMaskGenerator(torch, Da, 0 if global_mode else Do,
                                                 max_n_obs_steps=To)
            batch = {'obs': torch.randn(4, H, Do) * 3 + 1, 'action': torch.rand(4, H, Da) * 10}
            params = {k: _fit(torch, v) for k, v in batch.items()}
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            for step in range(3):
                nbatch = {k: _normalize(torch, v, params[k]) for k, v in batch.items()}
                obs, action = nbatch['obs'], nbatch['action']
                global_cond = None
                trajectory = action
                if global_mode:
                    global_cond = obs[:, :To, :].reshape(obs.shape[0], -1)
                else:
                    trajectory = torch.cat([action, obs], dim=-1)
                condition_mask = mask_generator(trajectory.shape)
                noise = torch.randn(trajectory.shape, device=trajectory.device)
                bsz = trajectory.shape[0]
                timesteps = torch.randint(0, sched.config.num_train_timesteps, (bsz,),
                                          device=trajectory.device).long()
                noisy_trajectory = sched.add_noise(trajectory, noise, timesteps)
                loss_mask = ~condition_mask
                noisy_trajectory[condition_mask] = trajectory[condition_mask]
                pred = model(noisy_trajectory, timesteps, local_cond=None,
                             global_cond=global_cond)
                target = noise
                loss = F.mse_loss(pred, target, reduction='none')
                loss = loss * loss_mask.type(loss.dtype)
                loss = loss.reshape(loss.shape[0], -1).mean(dim=1)
                loss = loss.mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                out.print(global_mode, step, f"{loss.item():.4f}", condition_mask.sum().item())
            # predict_action
            with torch.no_grad():
                nobs = _normalize(torch, batch['obs'][:2], params['obs'])
                B = nobs.shape[0]
                if global_mode:
                    global_cond = nobs[:, :To].reshape(nobs.shape[0], -1)
                    cond_data = torch.zeros(size=(B, H, Da), dtype=torch.float32)
                    cond_mask = torch.zeros_like(cond_data, dtype=torch.bool)
                else:
                    global_cond = None
                    cond_data = torch.zeros(size=(B, H, Da + Do), dtype=torch.float32)
                    cond_mask = torch.zeros_like(cond_data, dtype=torch.bool)
                    cond_data[:, :To, Da:] = nobs[:, :To]
                    cond_mask[:, :To, Da:] = True
                trajectory = torch.randn(size=cond_data.shape, dtype=cond_data.dtype,
                                         device=cond_data.device, generator=None)
                sched.set_timesteps(5)
                for t in sched.timesteps:
                    trajectory[cond_mask] = cond_data[cond_mask]
                    model_output = model(trajectory, t, local_cond=None,
                                         global_cond=global_cond)
                    trajectory = sched.step(model_output, t, trajectory).prev_sample
                trajectory[cond_mask] = cond_data[cond_mask]
                action_pred = _normalize(torch, trajectory[..., :Da], params['action'],
                                         forward=False)
                action = action_pred[:, To:To + Na]
            out.print(action.shape, action_pred.dtype, np.round(action.numpy(), 3)[0, 0])
            out.vals += [trajectory, action_pred]
    return out.lines, out.vals
