"""rail-berkeley/rlkit trainers as users copy them: sac/sac.py (SACTrainer.compute_loss /
train_from_torch with automatic entropy tuning), td3/td3.py, dqn/dqn.py, dqn/double_dqn.py,
and the distributions of rlkit/torch/distributions.py used directly. Networks and helpers
from tests/s21_rllibs_progs.py; fixed random batches stand in for the replay buffer."""

import numpy as np
from s16_yunjey_progs import Out
from s21_rllibs_progs import _batch, _norms, _rlkit, create_stats_ordered_dict


def rlkit_distributions(L):
    torch = L
    R = _rlkit(L)
    L.manual_seed(0)
    with Out() as o:
        mean = torch.randn(4, 3, requires_grad=True)
        std = torch.rand(4, 3) + 0.5
        d = R.TanhNormal(mean, std)
        value, log_p = d.rsample_and_logprob()
        o.print(value.shape, log_p.shape, log_p.requires_grad)
        o.print(['{:.4f}'.format(v) for v in log_p.tolist()])
        lp2 = d.log_prob(value.detach())
        o.print(['{:.3f}'.format(v) for v in lp2.tolist()])
        s, lp3 = d.sample_and_logprob()
        o.print(s.requires_grad, lp3.requires_grad)
        log_p.sum().backward()
        o.print(mean.grad.shape)
        mvn = R.MultivariateDiagonalNormal(torch.zeros(2, 3), torch.ones(2, 3))
        o.print(repr(mvn))
        o.print(mvn.batch_shape, mvn.event_shape)
        o.print(mvn.sample().shape, mvn.rsample((5,)).shape)
        q = R.MultivariateDiagonalNormal(torch.ones(2, 3) * 0.5, torch.ones(2, 3) * 2)
        kl = torch.distributions.kl_divergence(mvn, q)
        o.print(kl)
        ind = R.Independent(torch.distributions.Normal(torch.zeros(2, 3), torch.ones(2, 3)), 1)
        o.print(ind.batch_shape, ind.event_shape, ind.mle_estimate().shape)
        o.print(ind.entropy())
        o.print(isinstance(ind, torch.distributions.Independent))
        x, lp = ind.sample_and_logprob()
        o.vals += [log_p, lp2, kl, mean.grad, x, lp, value]
    return o.done()


def rlkit_sac(L):
    torch, nn, optim = L, L.nn, L.optim
    R = _rlkit(L)
    ptu = R.ptu
    L.manual_seed(1)
    rng = np.random.default_rng(1)
    obs_dim, action_dim, M = 5, 2, 16
    qf1 = R.ConcatMlp(input_size=obs_dim + action_dim, output_size=1, hidden_sizes=[M, M])
    qf2 = R.ConcatMlp(input_size=obs_dim + action_dim, output_size=1, hidden_sizes=[M, M])
    target_qf1 = R.ConcatMlp(input_size=obs_dim + action_dim, output_size=1, hidden_sizes=[M, M])
    target_qf2 = R.ConcatMlp(input_size=obs_dim + action_dim, output_size=1, hidden_sizes=[M, M])
    policy = R.TanhGaussianPolicy(obs_dim=obs_dim, action_dim=action_dim, hidden_sizes=[M, M])

    class SACTrainer:
        def __init__(self, policy, qf1, qf2, target_qf1, target_qf2, discount=0.99,
                     reward_scale=1.0, policy_lr=1e-3, qf_lr=1e-3, optimizer_class=optim.Adam,
                     soft_target_tau=1e-2, target_update_period=1,
                     use_automatic_entropy_tuning=True, target_entropy=None):
            self.policy, self.qf1, self.qf2 = policy, qf1, qf2
            self.target_qf1, self.target_qf2 = target_qf1, target_qf2
            self.soft_target_tau = soft_target_tau
            self.target_update_period = target_update_period
            self.use_automatic_entropy_tuning = use_automatic_entropy_tuning
            if self.use_automatic_entropy_tuning:
                if target_entropy is None:
                    self.target_entropy = -np.prod((action_dim,)).item()
                else:
                    self.target_entropy = target_entropy
                self.log_alpha = ptu.zeros(1, requires_grad=True)
                self.alpha_optimizer = optimizer_class([self.log_alpha], lr=policy_lr)
            self.qf_criterion = nn.MSELoss()
            self.policy_optimizer = optimizer_class(self.policy.parameters(), lr=policy_lr)
            self.qf1_optimizer = optimizer_class(self.qf1.parameters(), lr=qf_lr)
            self.qf2_optimizer = optimizer_class(self.qf2.parameters(), lr=qf_lr)
            self.discount, self.reward_scale = discount, reward_scale
            self._n_train_steps_total = 0

        def train_from_torch(self, batch):
            losses, stats = self.compute_loss(batch)
            if self.use_automatic_entropy_tuning:
                self.alpha_optimizer.zero_grad()
                losses['alpha_loss'].backward()
                self.alpha_optimizer.step()
            self.policy_optimizer.zero_grad()
            losses['policy_loss'].backward()
            self.policy_optimizer.step()
            self.qf1_optimizer.zero_grad()
            losses['qf1_loss'].backward()
            self.qf1_optimizer.step()
            self.qf2_optimizer.zero_grad()
            losses['qf2_loss'].backward()
            self.qf2_optimizer.step()
            self._n_train_steps_total += 1
            if self._n_train_steps_total % self.target_update_period == 0:
                ptu.soft_update_from_to(self.qf1, self.target_qf1, self.soft_target_tau)
                ptu.soft_update_from_to(self.qf2, self.target_qf2, self.soft_target_tau)
            return stats

        def compute_loss(self, batch):
            rewards = batch['rewards']
            terminals = batch['terminals']
            obs = batch['observations']
            actions = batch['actions']
            next_obs = batch['next_observations']
            dist = self.policy(obs)
            new_obs_actions, log_pi = dist.rsample_and_logprob()
            log_pi = log_pi.unsqueeze(-1)
            if self.use_automatic_entropy_tuning:
                alpha_loss = -(self.log_alpha * (log_pi + self.target_entropy).detach()).mean()
                alpha = self.log_alpha.exp()
            else:
                alpha_loss = 0
                alpha = 1
            q_new_actions = torch.min(self.qf1(obs, new_obs_actions),
                                      self.qf2(obs, new_obs_actions))
            policy_loss = (alpha * log_pi - q_new_actions).mean()
            q1_pred = self.qf1(obs, actions)
            q2_pred = self.qf2(obs, actions)
            next_dist = self.policy(next_obs)
            new_next_actions, new_log_pi = next_dist.rsample_and_logprob()
            new_log_pi = new_log_pi.unsqueeze(-1)
            target_q_values = torch.min(
                self.target_qf1(next_obs, new_next_actions),
                self.target_qf2(next_obs, new_next_actions),
            ) - alpha * new_log_pi
            q_target = (self.reward_scale * rewards
                        + (1. - terminals) * self.discount * target_q_values)
            qf1_loss = self.qf_criterion(q1_pred, q_target.detach())
            qf2_loss = self.qf_criterion(q2_pred, q_target.detach())
            stats = {}
            stats['QF1 Loss'] = np.mean(ptu.get_numpy(qf1_loss))
            stats['QF2 Loss'] = np.mean(ptu.get_numpy(qf2_loss))
            stats['Policy Loss'] = np.mean(ptu.get_numpy(policy_loss))
            stats.update(create_stats_ordered_dict('Q1 Predictions', ptu.get_numpy(q1_pred)))
            stats.update(create_stats_ordered_dict('Log Pis', ptu.get_numpy(log_pi)))
            policy_statistics = {'mean': ptu.get_numpy(dist.mean),
                                 'std': ptu.get_numpy(dist.stddev)}
            stats.update(create_stats_ordered_dict('policy std', policy_statistics['std']))
            stats['Alpha'] = alpha.item()
            stats['Alpha Loss'] = alpha_loss.item()
            return dict(policy_loss=policy_loss, qf1_loss=qf1_loss, qf2_loss=qf2_loss,
                        alpha_loss=alpha_loss), stats

    ptu.copy_model_params_from_to(qf1, target_qf1)
    ptu.copy_model_params_from_to(qf2, target_qf2)
    trainer = SACTrainer(policy, qf1, qf2, target_qf1, target_qf2)
    with Out() as o:
        for step in range(4):
            batch = _batch(L, rng, 32, obs_dim, action_dim)
            stats = trainer.train_from_torch(batch)
            o.print(' '.join('{}: {:.4f}'.format(k, float(v)) for k, v in stats.items()))
            o.print(type(stats['QF1 Loss']).__name__, type(stats['Alpha']).__name__)
        _norms(o, qf1, target_qf1, policy)
        with torch.no_grad():
            a, _ = policy(batch['observations'][:3]).sample_and_logprob()
        o.print(a.shape, a.dtype)
        o.vals += [trainer.log_alpha, a] + [p for p in target_qf2.parameters()]
    return o.done()


def rlkit_td3(L):
    torch, optim, nn = L, L.optim, L.nn
    R = _rlkit(L)
    ptu = R.ptu
    L.manual_seed(2)
    rng = np.random.default_rng(2)
    obs_dim, action_dim, M = 4, 2, 16
    qf1 = R.ConcatMlp(input_size=obs_dim + action_dim, output_size=1, hidden_sizes=[M, M])
    qf2 = R.ConcatMlp(input_size=obs_dim + action_dim, output_size=1, hidden_sizes=[M, M])
    target_qf1 = R.ConcatMlp(input_size=obs_dim + action_dim, output_size=1, hidden_sizes=[M, M])
    target_qf2 = R.ConcatMlp(input_size=obs_dim + action_dim, output_size=1, hidden_sizes=[M, M])
    policy = R.TanhMlpPolicy(input_size=obs_dim, output_size=action_dim, hidden_sizes=[M, M])
    target_policy = R.TanhMlpPolicy(input_size=obs_dim, output_size=action_dim,
                                    hidden_sizes=[M, M])
    qf_criterion = nn.MSELoss()
    qf1_optimizer = optim.Adam(qf1.parameters(), lr=1e-3)
    qf2_optimizer = optim.Adam(qf2.parameters(), lr=1e-3)
    policy_optimizer = optim.Adam(policy.parameters(), lr=1e-3)
    target_policy_noise, target_policy_noise_clip, discount, tau = 0.2, 0.5, 0.99, 0.005
    with Out() as o:
        for n_train_steps_total in range(4):
            batch = _batch(L, rng, 24, obs_dim, action_dim)
            rewards, terminals = batch['rewards'], batch['terminals']
            obs, actions, next_obs = (batch['observations'], batch['actions'],
                                      batch['next_observations'])
            next_actions = target_policy(next_obs)
            noise = ptu.randn(next_actions.shape) * target_policy_noise
            noise = torch.clamp(noise, -target_policy_noise_clip, target_policy_noise_clip)
            noisy_next_actions = next_actions + noise
            target_q1_values = target_qf1(next_obs, noisy_next_actions)
            target_q2_values = target_qf2(next_obs, noisy_next_actions)
            target_q_values = torch.min(target_q1_values, target_q2_values)
            q_target = 1.0 * rewards + (1. - terminals) * discount * target_q_values
            q_target = q_target.detach()
            q1_pred = qf1(obs, actions)
            bellman_errors_1 = (q1_pred - q_target) ** 2
            qf1_loss = bellman_errors_1.mean()
            q2_pred = qf2(obs, actions)
            bellman_errors_2 = (q2_pred - q_target) ** 2
            qf2_loss = bellman_errors_2.mean()
            qf1_optimizer.zero_grad()
            qf1_loss.backward()
            qf1_optimizer.step()
            qf2_optimizer.zero_grad()
            qf2_loss.backward()
            qf2_optimizer.step()
            policy_actions = policy_loss = None
            if n_train_steps_total % 2 == 0:
                policy_actions = policy(obs)
                q_output = qf1(obs, policy_actions)
                policy_loss = - q_output.mean()
                policy_optimizer.zero_grad()
                policy_loss.backward()
                policy_optimizer.step()
                ptu.soft_update_from_to(policy, target_policy, tau)
                ptu.soft_update_from_to(qf1, target_qf1, tau)
                ptu.soft_update_from_to(qf2, target_qf2, tau)
            o.print('QF1 {:.4f} QF2 {:.4f} policy {}'.format(
                np.mean(ptu.get_numpy(qf1_loss)), np.mean(ptu.get_numpy(qf2_loss)),
                None if policy_loss is None else '{:.4f}'.format(policy_loss.item())))
            o.print(qf_criterion(q1_pred, q_target).item() == qf1_loss.item())
            stats = create_stats_ordered_dict('Bellman Errors 1', ptu.get_numpy(bellman_errors_1))
            o.print(['{:.4f}'.format(v) for v in stats.values()])
        _norms(o, target_policy, target_qf1)
        o.vals += [noise, q_target] + list(target_policy.parameters())
    return o.done()


def rlkit_dqn(L):
    torch, optim, nn = L, L.optim, L.nn
    R = _rlkit(L)
    ptu = R.ptu
    L.manual_seed(3)
    rng = np.random.default_rng(3)
    obs_dim, action_dim = 6, 3
    with Out() as o:
        for double in (False, True):
            qf = R.Mlp(hidden_sizes=[16, 16], input_size=obs_dim, output_size=action_dim)
            target_qf = R.Mlp(hidden_sizes=[16, 16], input_size=obs_dim,
                              output_size=action_dim)
            qf_optimizer = optim.Adam(qf.parameters(), lr=1e-3)
            qf_criterion = nn.MSELoss() if not double else nn.SmoothL1Loss()
            for step in range(3):
                batch = _batch(L, rng, 20, obs_dim, action_dim, onehot=True)
                rewards = batch['rewards'] * 1.0
                terminals = batch['terminals']
                obs, actions = batch['observations'], batch['actions']
                next_obs = batch['next_observations']
                if not double:
                    target_q_values = target_qf(next_obs).detach().max(1, keepdim=True)[0]
                else:
                    best_action_idxs = qf(next_obs).max(1, keepdim=True)[1]
                    target_q_values = target_qf(next_obs).gather(1, best_action_idxs).detach()
                y_target = rewards + (1. - terminals) * 0.99 * target_q_values
                y_target = y_target.detach()
                y_pred = torch.sum(qf(obs) * actions, dim=1, keepdim=True)
                qf_loss = qf_criterion(y_pred, y_target)
                qf_optimizer.zero_grad()
                qf_loss.backward()
                qf_optimizer.step()
                ptu.soft_update_from_to(qf, target_qf, 1e-3)
                o.print('QF Loss {:.4f}'.format(np.mean(ptu.get_numpy(qf_loss))))
                o.print(['{:.4f}'.format(v) for v in
                         create_stats_ordered_dict('Y Predictions', ptu.get_numpy(y_pred)).values()])
            if double:
                o.print(best_action_idxs.dtype, best_action_idxs.shape)
            _norms(o, target_qf)
            o.vals += [y_target, target_q_values] + list(target_qf.parameters())
    return o.done()
