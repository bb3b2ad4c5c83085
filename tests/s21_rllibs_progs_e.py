"""thu-ml/tianshou continuous control as users copy it: utils/net/continuous.py (Actor,
Critic, ActorProb with a free sigma parameter or a conditioned sigma), policy/modelfree
sac.py (tanh-squashed Independent(Normal) with the log-prob correction and auto alpha),
td3.py (clipped target noise, delayed actor, soft sync) and ppo.py with a Gaussian policy,
on fixed random rollouts, with the MLP / Net of tests/s21_rllibs_progs_c.py."""

import copy

import numpy as np
from s16_yunjey_progs import Out
from s21_rllibs_progs_c import _rollout, _tianshou

SIGMA_MIN, SIGMA_MAX = -20, 2


def _continuous(L, T):
    torch, nn = L, L.nn
    MLP = T['MLP']

    class Actor(nn.Module):
        def __init__(self, preprocess_net, action_shape, hidden_sizes=(), max_action=1.0,
                     device="cpu", preprocess_net_output_dim=None):
            super().__init__()
            self.device = device
            self.preprocess = preprocess_net
            self.output_dim = int(np.prod(action_shape))
            input_dim = getattr(preprocess_net, "output_dim", preprocess_net_output_dim)
            self.last = MLP(input_dim, self.output_dim, hidden_sizes, device=self.device)
            self._max = max_action

        def forward(self, s, state=None, info={}):
            logits, h = self.preprocess(s, state)
            logits = self._max * torch.tanh(self.last(logits))
            return logits, h

    class Critic(nn.Module):
        def __init__(self, preprocess_net, hidden_sizes=(), device="cpu",
                     preprocess_net_output_dim=None):
            super().__init__()
            self.device = device
            self.preprocess = preprocess_net
            self.output_dim = 1
            input_dim = getattr(preprocess_net, "output_dim", preprocess_net_output_dim)
            self.last = MLP(input_dim, 1, hidden_sizes, device=self.device)

        def forward(self, s, a=None, info={}):
            s = torch.as_tensor(s, device=self.device, dtype=torch.float32).flatten(1)
            if a is not None:
                a = torch.as_tensor(a, device=self.device, dtype=torch.float32).flatten(1)
                s = torch.cat([s, a], dim=1)
            logits, h = self.preprocess(s)
            return self.last(logits)

    class ActorProb(nn.Module):
        def __init__(self, preprocess_net, action_shape, hidden_sizes=(), max_action=1.0,
                     device="cpu", unbounded=False, conditioned_sigma=False,
                     preprocess_net_output_dim=None):
            super().__init__()
            self.preprocess = preprocess_net
            self.device = device
            self.output_dim = int(np.prod(action_shape))
            input_dim = getattr(preprocess_net, "output_dim", preprocess_net_output_dim)
            self.mu = MLP(input_dim, self.output_dim, hidden_sizes, device=self.device)
            self._c_sigma = conditioned_sigma
            if conditioned_sigma:
                self.sigma = MLP(input_dim, self.output_dim, hidden_sizes, device=self.device)
            else:
                self.sigma_param = nn.Parameter(torch.zeros(self.output_dim, 1))
            self._max = max_action
            self._unbounded = unbounded

        def forward(self, s, state=None, info={}):
            logits, h = self.preprocess(s, state)
            mu = self.mu(logits)
            if not self._unbounded:
                mu = self._max * torch.tanh(mu)
            if self._c_sigma:
                sigma = torch.clamp(self.sigma(logits), min=SIGMA_MIN, max=SIGMA_MAX).exp()
            else:
                shape = [1] * len(mu.shape)
                shape[1] = -1
                sigma = (self.sigma_param.view(shape) + torch.zeros_like(mu)).exp()
            return (mu, sigma), state

    return Actor, Critic, ActorProb


def tianshou_sac(L):
    torch = L
    T = _tianshou(L)
    Actor, Critic, ActorProb = _continuous(L, T)
    Independent, Normal = torch.distributions.Independent, torch.distributions.Normal
    L.manual_seed(7)
    rng = np.random.default_rng(7)
    state_shape, action_shape = (3,), (2,)
    net_a = T['Net'](state_shape, hidden_sizes=[16, 16], device="cpu")
    actor = ActorProb(net_a, action_shape, max_action=1.0, device="cpu", unbounded=True,
                      conditioned_sigma=True)
    actor_optim = torch.optim.Adam(actor.parameters(), lr=1e-3)
    net_c1 = T['Net'](state_shape, action_shape, hidden_sizes=[16, 16], concat=True,
                      device="cpu")
    critic1 = Critic(net_c1, device="cpu")
    critic1_optim = torch.optim.Adam(critic1.parameters(), lr=1e-3)
    net_c2 = T['Net'](state_shape, action_shape, hidden_sizes=[16, 16], concat=True,
                      device="cpu")
    critic2 = Critic(net_c2, device="cpu")
    critic2_optim = torch.optim.Adam(critic2.parameters(), lr=1e-3)
    critic1_old, critic2_old = copy.deepcopy(critic1), copy.deepcopy(critic2)
    critic1_old.eval()
    critic2_old.eval()
    target_entropy = -np.prod(action_shape)
    log_alpha = torch.zeros(1, requires_grad=True)
    alpha_optim = torch.optim.Adam([log_alpha], lr=3e-4)
    alpha = log_alpha.detach().exp()
    eps = np.finfo(np.float32).eps.item()
    tau, gamma = 0.005, 0.99

    def forward(obs, deterministic=False):
        logits, hidden = actor(obs)
        assert isinstance(logits, tuple)
        dist = Independent(Normal(*logits), 1)
        act = dist.mode if deterministic else dist.rsample()
        log_prob = dist.log_prob(act).unsqueeze(-1)
        squashed_action = torch.tanh(act)
        log_prob = log_prob - torch.log((1 - squashed_action.pow(2)) + eps).sum(-1, keepdim=True)
        return dict(logits=logits, act=squashed_action, dist=dist, log_prob=log_prob)

    def mse_optimizer(batch, critic, optimizer):
        weight = getattr(batch, "weight", 1.0)
        current_q = critic(batch.obs, batch.act).flatten()
        target_q = batch.returns.flatten()
        td = current_q - target_q
        critic_loss = (td.pow(2) * weight).mean()
        optimizer.zero_grad()
        critic_loss.backward()
        optimizer.step()
        return td, critic_loss

    with Out() as o:
        o.print(type(target_entropy).__name__, type(eps).__name__)
        for it in range(3):
            batch = _rollout(rng, 16, 3, act_dim=2)
            with torch.no_grad():
                obs_next_result = forward(batch.obs_next)
                act_ = obs_next_result['act']
                target_q = torch.min(critic1_old(batch.obs_next, act_),
                                     critic2_old(batch.obs_next, act_)
                                     ) - alpha * obs_next_result['log_prob']
            batch.returns = T['to_torch_as'](batch.rew, target_q).unsqueeze(-1) + gamma * (
                1 - T['to_torch_as'](batch.done, target_q)).unsqueeze(-1) * target_q
            td1, critic1_loss = mse_optimizer(batch, critic1, critic1_optim)
            td2, critic2_loss = mse_optimizer(batch, critic2, critic2_optim)
            batch.weight = (td1 + td2) / 2.0
            obs_result = forward(batch.obs)
            act = obs_result['act']
            current_q1a = critic1(batch.obs, act).flatten()
            current_q2a = critic2(batch.obs, act).flatten()
            actor_loss = (alpha * obs_result['log_prob'].flatten()
                          - torch.min(current_q1a, current_q2a)).mean()
            actor_optim.zero_grad()
            actor_loss.backward()
            actor_optim.step()
            log_prob = obs_result['log_prob'].detach() + target_entropy
            alpha_loss = -(log_alpha * log_prob).mean()
            alpha_optim.zero_grad()
            alpha_loss.backward()
            alpha_optim.step()
            alpha = log_alpha.detach().exp()
            T['soft_update'](critic1_old, critic1, tau)
            T['soft_update'](critic2_old, critic2, tau)
            o.print('actor {:.4f} c1 {:.4f} c2 {:.4f} alpha {:.5f} alpha_loss {:.4f}'.format(
                actor_loss.item(), critic1_loss.item(), critic2_loss.item(), alpha.item(),
                alpha_loss.item()))
            o.print(log_prob.dtype, batch.returns.shape, batch.weight.shape)
        res = forward(batch.obs[:4], deterministic=True)
        o.print(res['act'].shape, res['dist'].batch_shape, res['dist'].event_shape)
        o.print('entropy {:.4f}'.format(res['dist'].entropy().mean().item()))
        o.vals += [res['act'], res['log_prob'], alpha, log_alpha] + list(critic1_old.parameters())
    return o.done()


def tianshou_td3(L):
    torch = L
    T = _tianshou(L)
    Actor, Critic, _ = _continuous(L, T)
    L.manual_seed(8)
    rng = np.random.default_rng(8)
    net_a = T['Net']((4,), hidden_sizes=[16], device="cpu")
    actor = Actor(net_a, (2,), max_action=2.0, device="cpu")
    actor_optim = torch.optim.Adam(actor.parameters(), lr=1e-3)
    critics = [Critic(T['Net']((4,), (2,), hidden_sizes=[16], concat=True, device="cpu"),
                      device="cpu") for _ in range(2)]
    optims = [torch.optim.Adam(c.parameters(), lr=1e-3) for c in critics]
    actor_old = copy.deepcopy(actor)
    olds = [copy.deepcopy(c) for c in critics]
    policy_noise, noise_clip, update_actor_freq, tau = 0.2, 0.5, 2, 0.005
    with Out() as o:
        for cnt in range(4):
            batch = _rollout(rng, 16, 4, act_dim=2)
            with torch.no_grad():
                act_ = actor_old(batch.obs_next)[0]
                noise = torch.randn(size=act_.shape, device=act_.device) * policy_noise
                if noise_clip > 0.0:
                    noise = noise.clamp(-noise_clip, noise_clip)
                act_ += noise
                target_q = torch.min(olds[0](batch.obs_next, act_), olds[1](batch.obs_next, act_))
            batch.returns = (T['to_torch_as'](batch.rew[:, None], target_q)
                             + 0.99 * target_q * T['to_torch_as'](~batch.done[:, None], target_q))
            tds, closs = [], []
            for critic, optimizer in zip(critics, optims):
                current_q = critic(batch.obs, batch.act).flatten()
                td = current_q - batch.returns.flatten()
                critic_loss = td.pow(2).mean()
                optimizer.zero_grad()
                critic_loss.backward()
                optimizer.step()
                tds.append(td)
                closs.append(critic_loss.item())
            batch.weight = (tds[0] + tds[1]) / 2.0
            if cnt % update_actor_freq == 0:
                actor_loss = -critics[0](batch.obs, actor(batch.obs)[0]).mean()
                actor_optim.zero_grad()
                actor_loss.backward()
                actor_optim.step()
                for tgt, src in [(actor_old, actor)] + list(zip(olds, critics)):
                    T['soft_update'](tgt, src, tau)
            o.print('c1 {:.4f} c2 {:.4f} actor {:.4f}'.format(closs[0], closs[1],
                                                              actor_loss.item()))
        o.vals += [act_, batch.returns, batch.weight] + list(actor_old.parameters())
    return o.done()


def tianshou_ppo_continuous(L):
    torch, nn = L, L.nn
    T = _tianshou(L)
    _, Critic, ActorProb = _continuous(L, T)
    Independent, Normal = torch.distributions.Independent, torch.distributions.Normal
    L.manual_seed(9)
    rng = np.random.default_rng(9)
    net_a = T['Net']((3,), hidden_sizes=[16, 16], activation=nn.Tanh, device="cpu")
    actor = ActorProb(net_a, (2,), unbounded=True, device="cpu")
    critic = Critic(T['Net']((3,), hidden_sizes=[16, 16], activation=nn.Tanh, device="cpu"),
                    device="cpu")
    torch.nn.init.constant_(actor.sigma_param, -0.5)
    for m in list(actor.modules()) + list(critic.modules()):
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.orthogonal_(m.weight, gain=np.sqrt(2))
            torch.nn.init.zeros_(m.bias)
    for m in actor.mu.modules():
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.zeros_(m.bias)
            m.weight.data.copy_(0.01 * m.weight.data)
    ac = T['ActorCritic'](actor, critic)
    optim = torch.optim.Adam(ac.parameters(), lr=3e-4)

    def dist_fn(*logits):
        return Independent(Normal(*logits), 1)

    with Out() as o:
        batch = _rollout(rng, 20, 3, act_dim=2)
        with torch.no_grad():
            batch.v_s = critic(batch.obs).flatten()
            v_s_ = critic(batch.obs_next).flatten()
        ret, adv = T['compute_episodic_return'](batch, v_s_, batch.v_s, 0.99, 0.95)
        batch.returns = T['to_torch_as'](ret, batch.v_s)
        batch.adv = T['to_torch_as'](adv, batch.v_s)
        batch.act = T['to_torch_as'](batch.act, batch.v_s)
        with torch.no_grad():
            batch.logp_old = dist_fn(*actor(batch.obs)[0]).log_prob(batch.act)
        o.print(batch.logp_old.shape, batch.logp_old.dtype)
        for step in range(2):
            for minibatch in batch.split(10, merge_last=True, rng=rng):
                dist = dist_fn(*actor(minibatch.obs)[0])
                adv = (minibatch.adv - minibatch.adv.mean()) / (minibatch.adv.std() + 1e-8)
                ratio = (dist.log_prob(minibatch.act) - minibatch.logp_old).exp().float()
                ratio = ratio.reshape(ratio.size(0), -1).transpose(0, 1)
                surr1 = ratio * adv
                surr2 = ratio.clamp(1.0 - 0.2, 1.0 + 0.2) * adv
                clip_loss = -torch.min(surr1, surr2).mean()
                value = critic(minibatch.obs).flatten()
                vf_loss = (minibatch.returns - value).pow(2).mean()
                ent_loss = dist.entropy().mean()
                loss = clip_loss + 0.25 * vf_loss - 0.0 * ent_loss
                optim.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(ac.parameters(), max_norm=0.5)
                optim.step()
                approx_kl = (minibatch.logp_old - dist.log_prob(minibatch.act)).mean().item()
                # orthogonal_ init goes through QR (LAPACK's last bits) and the clip term
                # is ~0 on the first pass: the losses are compared as values, not printed
                o.print('vf {:.3f} ent {:.3f} kl {:.3f}'.format(
                    vf_loss.item(), ent_loss.item(), approx_kl))
                o.vals += [loss.detach(), clip_loss.detach(), approx_kl]
        o.print(dist.mean.shape, dist.stddev.shape, dist.variance.shape)
        o.vals += [batch.logp_old, ratio, value, dist.stddev, actor.sigma_param]
    return o.done()
