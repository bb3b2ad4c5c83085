"""thu-ml/tianshou policy/modelfree dqn.py, pg.py, a2c.py and ppo.py learn() as users copy
them, with the networks of tests/s21_rllibs_progs_c.py on fixed random rollouts."""

import numpy as np
from s16_yunjey_progs import Out
from s21_rllibs_progs_c import _rollout, _tianshou


def tianshou_dqn(L):
    torch = L
    T = _tianshou(L)
    L.manual_seed(4)
    rng = np.random.default_rng(4)
    state_shape, action_shape = (4,), 3
    Q_param = V_param = {"hidden_sizes": [8]}
    net = T['Net'](state_shape, action_shape, hidden_sizes=[16, 16], device="cpu",
                   dueling_param=(Q_param, V_param))
    optim = torch.optim.Adam(net.parameters(), lr=1e-3)
    import copy
    model_old = copy.deepcopy(net)
    model_old.eval()
    gamma, freq = 0.9, 2
    with Out() as o:
        o.print(net)
        for it in range(4):
            if it % freq == 0:
                model_old.load_state_dict(net.state_dict())
            batch = _rollout(rng, 16, 4, n_act=3)
            with torch.no_grad():
                target_q = model_old(batch.obs_next)[0]
                act = net(batch.obs_next)[0].argmax(dim=1)
                target_q = target_q[np.arange(len(act)), act]
            returns = batch.rew + gamma * T['to_numpy'](target_q) * (1 - batch.done)
            batch.returns = T['to_torch_as'](returns, target_q)
            batch.weight = T["to_torch_as"](rng.random(16), target_q)
            optim.zero_grad()
            weight = batch.pop("weight", 1.0)
            q = net(batch.obs)[0]
            q = q[np.arange(len(q)), batch.act]
            returns = T['to_torch_as'](batch.returns.flatten(), q)
            td_error = returns - q
            loss = (td_error.pow(2) * weight).mean()
            batch.weight = td_error
            loss.backward()
            optim.step()
            o.print('loss {:.4f}'.format(loss.item()), loss.dtype, td_error.dtype,
                    batch.returns.dtype)
            logits = net(batch.obs[:5])[0]
            o.print(logits.max(dim=1)[1].tolist())
        o.vals += [loss, td_error, q] + list(net.parameters())
    return o.done()


def tianshou_pg(L):
    torch = L
    T = _tianshou(L)
    L.manual_seed(5)
    rng = np.random.default_rng(5)
    net = T['Net']((4,), hidden_sizes=[16, 16], device="cpu")
    actor = T['DiscreteActor'](net, 2, device="cpu")
    optim = torch.optim.Adam(actor.parameters(), lr=1e-3)
    dist_fn = torch.distributions.Categorical
    with Out() as o:
        for epoch in range(2):
            batch = _rollout(rng, 20, 4, n_act=2)
            returns, _ = T['compute_episodic_return'](batch, gamma=0.95, gae_lambda=1.0)
            batch.returns = (returns - returns.mean()) / (returns.std() + 1e-8)
            losses = []
            for minibatch in batch.split(8, merge_last=True, rng=rng):
                optim.zero_grad()
                logits, _ = actor(minibatch.obs)
                dist = dist_fn(logits)
                act = dist.sample()
                act = T['to_torch_as'](minibatch.act, act)
                ret = T['to_torch'](minibatch.returns, torch.float, act.device)
                log_prob = dist.log_prob(act).reshape(len(ret), -1).transpose(0, 1)
                loss = -(log_prob * ret).mean()
                loss.backward()
                optim.step()
                losses.append(loss.item())
            o.print(['{:.4f}'.format(x) for x in losses], act.dtype, log_prob.shape)
            o.print('entropy {:.4f}'.format(dist.entropy().mean().item()))
        o.vals += [log_prob, dist.probs, dist.logits] + list(actor.parameters())
    return o.done()


def tianshou_ppo(L):
    torch, nn = L, L.nn
    T = _tianshou(L)
    L.manual_seed(6)
    rng = np.random.default_rng(6)
    net = T['Net']((5,), hidden_sizes=[16, 16], device="cpu")
    actor = T['DiscreteActor'](net, 3, device="cpu")
    critic = T['DiscreteCritic'](T['Net']((5,), hidden_sizes=[16, 16], device="cpu"),
                                 device="cpu")
    actor_critic = T['ActorCritic'](actor, critic)
    for m in actor_critic.modules():
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.orthogonal_(m.weight)
            torch.nn.init.zeros_(m.bias)
    optim = torch.optim.Adam(actor_critic.parameters(), lr=1e-3)
    dist_fn = torch.distributions.Categorical
    eps_clip, dual_clip, weight_vf, weight_ent, max_grad_norm = 0.2, 3.0, 0.5, 0.01, 0.5
    with Out() as o:
        batch = _rollout(rng, 24, 5, n_act=3)
        # A2C._compute_returns
        v_s, v_s_ = [], []
        with torch.no_grad():
            for minibatch in batch.split(10, shuffle=False, merge_last=True):
                v_s.append(critic(minibatch.obs))
                v_s_.append(critic(minibatch.obs_next))
        batch.v_s = torch.cat(v_s, dim=0).flatten()
        v_s = batch.v_s.cpu().numpy()
        v_s_ = torch.cat(v_s_, dim=0).flatten().cpu().numpy()
        unnormalized_returns, advantages = T['compute_episodic_return'](
            batch, T['to_torch'](v_s_), T['to_torch'](v_s), gamma=0.99, gae_lambda=0.95)
        o.print(unnormalized_returns.dtype, advantages.dtype)
        batch.returns = T['to_torch_as'](unnormalized_returns, batch.v_s)
        batch.adv = T['to_torch_as'](advantages, batch.v_s)
        o.print(batch.returns.dtype, batch.adv.shape)
        # PPO.process_fn
        batch.act = T['to_torch_as'](batch.act, batch.v_s)
        with torch.no_grad():
            batch.logp_old = dist_fn(actor(batch.obs)[0]).log_prob(batch.act)
        o.print(batch.act.dtype, batch.logp_old.dtype)
        for step in range(2):
            losses, clip_losses, vf_losses, ent_losses = [], [], [], []
            for minibatch in batch.split(8, merge_last=True, rng=rng):
                dist = dist_fn(actor(minibatch.obs)[0])
                mean, std = minibatch.adv.mean(), minibatch.adv.std()
                minibatch.adv = (minibatch.adv - mean) / (std + 1e-8)
                ratio = (dist.log_prob(minibatch.act) - minibatch.logp_old).exp().float()
                ratio = ratio.reshape(ratio.size(0), -1).transpose(0, 1)
                surr1 = ratio * minibatch.adv
                surr2 = ratio.clamp(1.0 - eps_clip, 1.0 + eps_clip) * minibatch.adv
                clip1 = torch.min(surr1, surr2)
                clip2 = torch.max(clip1, dual_clip * minibatch.adv)
                clip_loss = -torch.where(minibatch.adv < 0, clip2, clip1).mean()
                value = critic(minibatch.obs).flatten()
                v_clip = minibatch.v_s + (value - minibatch.v_s).clamp(-eps_clip, eps_clip)
                vf1 = (minibatch.returns - value).pow(2)
                vf2 = (minibatch.returns - v_clip).pow(2)
                vf_loss = torch.max(vf1, vf2).mean()
                ent_loss = dist.entropy().mean()
                loss = clip_loss + weight_vf * vf_loss - weight_ent * ent_loss
                optim.zero_grad()
                loss.backward()
                gn = nn.utils.clip_grad_norm_(actor_critic.parameters(), max_norm=max_grad_norm)
                optim.step()
                clip_losses.append(clip_loss.item())
                vf_losses.append(vf_loss.item())
                ent_losses.append(ent_loss.item())
                losses.append(loss.item())
            o.print('loss {:.4f} clip {:.4f} vf {:.4f} ent {:.4f} gn {:.4f}'.format(
                np.mean(losses), np.mean(clip_losses), np.mean(vf_losses),
                np.mean(ent_losses), gn.item()))
        o.print(ratio.shape, surr1.shape, value.shape)
        o.vals += [batch.returns, batch.adv, batch.logp_old, ratio, value]
        o.vals += list(actor_critic.parameters())
    return o.done()
