"""real-stanford/diffusion_policy, continued: diffusion_policy/model/diffusion/ema_model.py
(EMAModel: decay warm-up, BatchNorm and frozen parameters copied, the rest averaged) and the
hand-written DDPMScheduler of s22_diffpolicy_progs in a short sampling loop. Each program is
``prog(torch) -> (printed lines, values)``; see tests/test_programs_s22_diffpolicy.py."""

import copy

from s16_yunjey_progs import Out
from s22_diffpolicy_progs import DDPMScheduler


def ema_class(torch):
    """diffusion_policy/model/diffusion/ema_model.py."""
    from importlib import import_module
    _BatchNorm = import_module(torch.__name__ + '.nn.modules.batchnorm')._BatchNorm

    class EMAModel:
        def __init__(self, model, update_after_step=0, inv_gamma=1.0, power=2 / 3,
                     min_value=0.0, max_value=0.9999):
            self.averaged_model = model
            self.averaged_model.eval()
            self.averaged_model.requires_grad_(False)
            self.update_after_step = update_after_step
            self.inv_gamma = inv_gamma
            self.power = power
            self.min_value = min_value
            self.max_value = max_value
            self.decay = 0.0
            self.optimization_step = 0

        def get_decay(self, optimization_step):
            step = max(0, optimization_step - self.update_after_step - 1)
            value = 1 - (1 + step / self.inv_gamma) ** -self.power
            if step <= 0:
                return 0.0
            return max(self.min_value, min(value, self.max_value))

        @torch.no_grad()
        def step(self, new_model):
            self.decay = self.get_decay(self.optimization_step)
            for module, ema_module in zip(new_model.modules(), self.averaged_model.modules()):
                for param, ema_param in zip(module.parameters(recurse=False),
                                            ema_module.parameters(recurse=False)):
                    if isinstance(param, dict):
                        raise RuntimeError('Dict parameter not supported')
                    if isinstance(module, _BatchNorm):
                        ema_param.copy_(param.to(dtype=ema_param.dtype).data)
                    elif not param.requires_grad:
                        ema_param.copy_(param.to(dtype=ema_param.dtype).data)
                    else:
                        ema_param.mul_(self.decay)
                        ema_param.add_(param.data.to(dtype=ema_param.dtype),
                                       alpha=1 - self.decay)
            self.optimization_step += 1

    return EMAModel


def scheduler_ema(torch):
    """The hand-written DDPMScheduler's tensors and a sampling loop through its step, and
    EMAModel's decay schedule and averaged weights over a few SGD steps."""
    torch.manual_seed(1)
    out = Out()
    with out:
        s = DDPMScheduler(torch, num_train_timesteps=20)
        out.print(s.betas.dtype, s.alphas_cumprod.shape, f"{s.alphas_cumprod[-1].item():.6f}")
        out.vals += [s.betas, s.alphas_cumprod]
        x0 = torch.rand(4, 8, 2) * 2 - 1
        noise = torch.randn(x0.shape)
        ts = torch.randint(0, s.config.num_train_timesteps, (4,)).long()
        xt = s.add_noise(x0, noise, ts)
        out.print(ts, xt.shape, xt.dtype)
        out.vals.append(xt)
        s.set_timesteps(5)
        out.print(s.timesteps, s.timesteps.dtype)
        traj = torch.randn(4, 8, 2)
        g = torch.Generator().manual_seed(3)
        for t in s.timesteps:
            traj = s.step(0.3 * traj, t, traj, generator=g).prev_sample
        out.print(traj.shape, f"{traj.abs().max().item():.4f}")
        out.vals.append(traj)
        net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                  torch.nn.Linear(4, 1))
        EMAModel = ema_class(torch)
        ema = EMAModel(copy.deepcopy(net), power=0.75)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for i in range(4):
            loss = net(torch.randn(5, 3)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            ema.step(net)
            out.print(i, f"{loss.item():.4f}", round(ema.decay, 6))
        out.print(ema.averaged_model.training, ema.averaged_model[0].weight.requires_grad)
        out.vals += [p for p in ema.averaged_model.parameters()]
        out.vals += list(ema.averaged_model.buffers())
    return out.lines, out.vals
