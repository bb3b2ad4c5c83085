"""TD-MPC's update (nicklashansen/tdmpc: src/algorithm/tdmpc.py's TDMPC.update, update_pi,
_td_target and helper.py's ema), on the helpers of tests/s20_explore_progs_c.py. For
tests/test_programs_s20_explore.py."""

from copy import deepcopy

import numpy as np
from s16_yunjey_progs import Out
from s20_explore_progs_c import _cfg, _fill_buffer, _helper, _told


def tdmpc_update(L):
    """TDMPC.update twice: the latent rollout's consistency / reward / value / priority
    losses (rho-weighted, the TD target from the target net), clamp(max=1e4), the weighted
    loss with a register_hook scaling its gradient, clip_grad_norm_ (error_if_nonfinite=False),
    update_priorities, update_pi with the Qs frozen, and the ema (lerp_) target update."""
    torch = L
    with Out() as o:
        L.manual_seed(6); np.random.seed(6)
        h = _helper(L)
        cfg = _cfg()
        model = _told(L, h)(cfg)
        model_target = deepcopy(model)
        optim = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        pi_optim = torch.optim.Adam(model._pi.parameters(), lr=cfg.lr)
        model.eval()
        model_target.eval()
        buf = h.ReplayBuffer(cfg)
        _fill_buffer(L, h, cfg, buf, 2, 7)
        agent_std = h.linear_schedule(cfg.std_schedule, 0)

        def update_pi(zs):
            pi_optim.zero_grad(set_to_none=True)
            model.track_q_grad(False)
            pi_loss = 0
            for t, z in enumerate(zs):
                a = model.pi(z, cfg.min_std)
                Q = torch.min(*model.Q(z, a))
                pi_loss += -Q.mean() * (cfg.rho ** t)
            pi_loss.backward()
            torch.nn.utils.clip_grad_norm_(model._pi.parameters(), cfg.grad_clip_norm,
                                           error_if_nonfinite=False)
            pi_optim.step()
            model.track_q_grad(True)
            return pi_loss.item()

        @torch.no_grad()
        def _td_target(next_obs, reward):
            next_z = model.h(next_obs)
            td_target = reward + cfg.discount * \
                torch.min(*model_target.Q(next_z, model.pi(next_z, cfg.min_std)))
            return td_target

        for step in range(1, 3):
            obs, next_obses, action, reward, idxs, weights = buf.sample()
            optim.zero_grad(set_to_none=True)
            agent_std = h.linear_schedule(cfg.std_schedule, step)
            model.train()
            z = model.h(obs)
            zs = [z.detach()]
            consistency_loss, reward_loss, value_loss, priority_loss = 0, 0, 0, 0
            for t in range(cfg.horizon):
                Q1, Q2 = model.Q(z, action[t])
                z, reward_pred = model.next(z, action[t])
                with torch.no_grad():
                    next_obs = next_obses[t]
                    next_z = model_target.h(next_obs)
                    td_target = _td_target(next_obs, reward[t])
                zs.append(z.detach())
                rho = (cfg.rho ** t)
                consistency_loss += rho * torch.mean(h.mse(z, next_z), dim=1, keepdim=True)
                reward_loss += rho * h.mse(reward_pred, reward[t])
                value_loss += rho * (h.mse(Q1, td_target) + h.mse(Q2, td_target))
                priority_loss += rho * (h.l1(Q1, td_target) + h.l1(Q2, td_target))
            total_loss = cfg.consistency_coef * consistency_loss.clamp(max=1e4) + \
                cfg.reward_coef * reward_loss.clamp(max=1e4) + \
                cfg.value_coef * value_loss.clamp(max=1e4)
            weighted_loss = (total_loss * weights).mean()
            weighted_loss.register_hook(lambda grad: grad * (1 / cfg.horizon))
            weighted_loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip_norm,
                                                       error_if_nonfinite=False)
            optim.step()
            buf.update_priorities(idxs, priority_loss.clamp(max=1e4).detach())
            pi_loss = update_pi(zs)
            if step % cfg.update_freq == 0:
                h.ema(model, model_target, cfg.tau)
            model.eval()
            metrics = {'consistency_loss': float(consistency_loss.mean().item()),
                       'reward_loss': float(reward_loss.mean().item()),
                       'value_loss': float(value_loss.mean().item()),
                       'pi_loss': pi_loss,
                       'total_loss': float(total_loss.mean().item()),
                       'weighted_loss': float(weighted_loss.mean().item()),
                       'grad_norm': float(grad_norm)}
            o.print({k: round(v, 4) for k, v in metrics.items()})
            o.print(type(grad_norm).__name__, grad_norm.dtype, total_loss.shape,
                    priority_loss.shape, model._Q1[0].weight.requires_grad, agent_std)
            o.vals += [total_loss, weights, buf._priorities, model._pi[0].weight.grad]
        o.vals += [p for p in model_target.parameters()] + [model._encoder[0].weight]
    return o.done()
