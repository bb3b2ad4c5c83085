"""TD-MPC's planning and update (nicklashansen/tdmpc: src/algorithm/tdmpc.py's TDMPC.plan
with MPPI, TDMPC.update, update_pi, _td_target and helper.py's ema), on the helpers of
tests/s20_explore_progs_c.py. For tests/test_programs_s20_explore.py."""

from copy import deepcopy
from types import SimpleNamespace

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


def _plan(L, h, model, cfg, agent, obs, eval_mode=False, step=None, t0=True):
    """TDMPC.plan, as written (device CPU)."""
    torch = L
    device = torch.device('cpu')

    @torch.no_grad()
    def estimate_value(z, actions, horizon):
        G, discount = 0, 1
        for t in range(horizon):
            z, reward = model.next(z, actions[t])
            G += discount * reward
            discount *= cfg.discount
        G += discount * torch.min(*model.Q(z, model.pi(z, cfg.min_std)))
        return G

    with torch.no_grad():
        if step < cfg.seed_steps and not eval_mode:
            return torch.empty(cfg.action_dim, dtype=torch.float32, device=device).uniform_(-1, 1)
        obs = torch.tensor(obs, dtype=torch.float32, device=device).unsqueeze(0)
        horizon = int(min(cfg.horizon, h.linear_schedule(cfg.horizon_schedule, step)))
        num_pi_trajs = int(cfg.mixture_coef * cfg.num_samples)
        if num_pi_trajs > 0:
            pi_actions = torch.empty(horizon, num_pi_trajs, cfg.action_dim, device=device)
            z = model.h(obs).repeat(num_pi_trajs, 1)
            for t in range(horizon):
                pi_actions[t] = model.pi(z, cfg.min_std)
                z, _ = model.next(z, pi_actions[t])
        z = model.h(obs).repeat(cfg.num_samples + num_pi_trajs, 1)
        mean = torch.zeros(horizon, cfg.action_dim, device=device)
        std = 2 * torch.ones(horizon, cfg.action_dim, device=device)
        if not t0 and hasattr(agent, '_prev_mean'):
            mean[:-1] = agent._prev_mean[1:]
        for i in range(cfg.iterations):
            actions = torch.clamp(mean.unsqueeze(1) + std.unsqueeze(1) *
                                  torch.randn(horizon, cfg.num_samples, cfg.action_dim,
                                              device=std.device), -1, 1)
            if num_pi_trajs > 0:
                actions = torch.cat([actions, pi_actions], dim=1)
            value = estimate_value(z, actions, horizon).nan_to_num_(0)
            elite_idxs = torch.topk(value.squeeze(1), cfg.num_elites, dim=0).indices
            elite_value, elite_actions = value[elite_idxs], actions[:, elite_idxs]
            max_value = elite_value.max(0)[0]
            score = torch.exp(cfg.temperature * (elite_value - max_value))
            score /= score.sum(0)
            _mean = torch.sum(score.unsqueeze(0) * elite_actions, dim=1) / (score.sum(0) + 1e-9)
            _std = torch.sqrt(torch.sum(score.unsqueeze(0) * (
                elite_actions - _mean.unsqueeze(1)) ** 2, dim=1) / (score.sum(0) + 1e-9))
            _std = _std.clamp_(agent.std, 2)
            mean, std = cfg.momentum * mean + (1 - cfg.momentum) * _mean, _std
        score = score.squeeze(1).cpu().numpy()
        actions = elite_actions[:, np.random.choice(np.arange(score.shape[0]), p=score)]
        agent._prev_mean = mean
        mean, std = actions[0], _std[0]
        a = mean
        if not eval_mode:
            a += std * torch.randn(cfg.action_dim, device=std.device)
        return a, elite_idxs, value, score


def tdmpc_plan(L):
    """MPPI planning over a TOLD with trained-looking (non-zero) heads: seed-step uniform
    actions, then elites by topk, scores, momentum mean and clamped std, t0=False reuse of the
    previous mean, and the final noisy action."""
    with Out() as o:
        L.manual_seed(2); np.random.seed(2)
        h = _helper(L)
        cfg = _cfg()
        model = _told(L, h)(cfg)
        with L.no_grad():
            for m in [model._reward, model._Q1, model._Q2]:
                m[-1].weight.normal_(0, 0.5)
                m[-1].bias.fill_(0.1)
        model.eval()
        agent = SimpleNamespace(std=h.linear_schedule(cfg.std_schedule, 0))
        obs = np.random.RandomState(3).uniform(-1, 1, cfg.obs_shape).astype(np.float32)
        a0 = _plan(L, h, model, cfg, agent, obs, step=0)
        o.print(a0.dtype, a0.shape)
        o.vals += [a0]
        for step, t0, ev in [(5, True, False), (26, True, False), (27, False, False),
                             (30, False, True)]:
            agent.std = h.linear_schedule(cfg.std_schedule, step)
            a, elite_idxs, value, score = _plan(L, h, model, cfg, agent, obs, eval_mode=ev,
                                                step=step, t0=t0)
            o.print(step, elite_idxs.tolist(), value.shape, score.dtype, score.shape)
            o.vals += [a, value, score, agent._prev_mean]
        v = L.tensor([[1.0], [float('nan')], [3.0], [float('inf')]])
        o.print(v.nan_to_num_(0).tolist(), L.topk(v.squeeze(1), 2, dim=0))
        o.tryit(lambda: L.topk(v.squeeze(1), 5, dim=0))
    return o.done()

