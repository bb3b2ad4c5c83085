"""tinkoff-ai/CORL algorithms/offline/cql.py as users type it, scaled down (hidden width 16
instead of 256, a few steps): extend_and_repeat, init_module_weights (orthogonal and
xavier_uniform with gain), ReparameterizedTanhGaussian (TransformedDistribution of a Normal
with TanhTransform(cache_size=1), rsample and log_prob), TanhGaussianPolicy with Scalar
parameters, FullyConnectedQFunction over repeated actions, and ContinuousCQL.train (SAC
alpha tuning, BC warm-up steps, logsumexp over sampled actions with importance sampling,
the alpha-prime Lagrange penalty, retain_graph backward, soft target updates). The D4RL
dataset is replaced by a NumPy-seeded buffer. ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_marl.py."""

from copy import deepcopy
from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out

H = 16


def _cql(L):
    torch, nn, F = L, L.nn, L.nn.functional
    Normal = L.distributions.Normal
    TransformedDistribution = L.distributions.TransformedDistribution
    TanhTransform = L.distributions.transforms.TanhTransform

    def soft_update(target, source, tau):
        for target_param, source_param in zip(target.parameters(), source.parameters()):
            target_param.data.copy_((1 - tau) * target_param.data + tau * source_param.data)

    def extend_and_repeat(tensor, dim, repeat):
        return tensor.unsqueeze(dim).repeat_interleave(repeat, dim=dim)

    def init_module_weights(module, orthogonal_init=False):
        if orthogonal_init:
            for submodule in module[:-1]:
                if isinstance(submodule, nn.Linear):
                    nn.init.orthogonal_(submodule.weight, gain=np.sqrt(2))
                    nn.init.constant_(submodule.bias, 0.0)
        if orthogonal_init:
            nn.init.orthogonal_(module[-1].weight, gain=1e-2)
        else:
            nn.init.xavier_uniform_(module[-1].weight, gain=1e-2)
        nn.init.constant_(module[-1].bias, 0.0)

    class ReparameterizedTanhGaussian(nn.Module):
        def __init__(self, log_std_min=-20.0, log_std_max=2.0, no_tanh=False):
            super().__init__()
            self.log_std_min, self.log_std_max, self.no_tanh = log_std_min, log_std_max, no_tanh

        def log_prob(self, mean, log_std, sample):
            log_std = torch.clamp(log_std, self.log_std_min, self.log_std_max)
            std = torch.exp(log_std)
            if self.no_tanh:
                action_distribution = Normal(mean, std)
            else:
                action_distribution = TransformedDistribution(
                    Normal(mean, std), TanhTransform(cache_size=1))
            return torch.sum(action_distribution.log_prob(sample), dim=-1)

        def forward(self, mean, log_std, deterministic=False):
            log_std = torch.clamp(log_std, self.log_std_min, self.log_std_max)
            std = torch.exp(log_std)
            if self.no_tanh:
                action_distribution = Normal(mean, std)
            else:
                action_distribution = TransformedDistribution(
                    Normal(mean, std), TanhTransform(cache_size=1))
            if deterministic:
                action_sample = torch.tanh(mean)
            else:
                action_sample = action_distribution.rsample()
            log_prob = torch.sum(action_distribution.log_prob(action_sample), dim=-1)
            return action_sample, log_prob

    class Scalar(nn.Module):
        def __init__(self, init_value):
            super().__init__()
            self.constant = nn.Parameter(torch.tensor(init_value, dtype=torch.float32))

        def forward(self):
            return self.constant

    class TanhGaussianPolicy(nn.Module):
        def __init__(self, state_dim, action_dim, max_action, log_std_multiplier=1.0,
                     log_std_offset=-1.0, orthogonal_init=False, no_tanh=False):
            super().__init__()
            self.observation_dim, self.action_dim = state_dim, action_dim
            self.max_action, self.orthogonal_init, self.no_tanh = max_action, orthogonal_init, no_tanh
            self.base_network = nn.Sequential(
                nn.Linear(state_dim, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(),
                nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 2 * action_dim))
            init_module_weights(self.base_network)
            self.log_std_multiplier = Scalar(log_std_multiplier)
            self.log_std_offset = Scalar(log_std_offset)
            self.tanh_gaussian = ReparameterizedTanhGaussian(no_tanh=no_tanh)

        def log_prob(self, observations, actions):
            if actions.ndim == 3:
                observations = extend_and_repeat(observations, 1, actions.shape[1])
            base_network_output = self.base_network(observations)
            mean, log_std = torch.split(base_network_output, self.action_dim, dim=-1)
            log_std = self.log_std_multiplier() * log_std + self.log_std_offset()
            _, log_probs = self.tanh_gaussian(mean, log_std, False)
            return log_probs

        def forward(self, observations, deterministic=False, repeat=None):
            if repeat is not None:
                observations = extend_and_repeat(observations, 1, repeat)
            base_network_output = self.base_network(observations)
            mean, log_std = torch.split(base_network_output, self.action_dim, dim=-1)
            log_std = self.log_std_multiplier() * log_std + self.log_std_offset()
            actions, log_probs = self.tanh_gaussian(mean, log_std, deterministic)
            return self.max_action * actions, log_probs

        @torch.no_grad()
        def act(self, state, device="cpu"):
            state = torch.tensor(state.reshape(1, -1), device=device, dtype=torch.float32)
            with torch.no_grad():
                actions, _ = self(state, not self.training)
            return actions.cpu().data.numpy().flatten()

    class FullyConnectedQFunction(nn.Module):
        def __init__(self, observation_dim, action_dim, orthogonal_init=False,
                     n_hidden_layers=3):
            super().__init__()
            layers = [nn.Linear(observation_dim + action_dim, H), nn.ReLU()]
            for _ in range(n_hidden_layers - 1):
                layers.append(nn.Linear(H, H))
                layers.append(nn.ReLU())
            layers.append(nn.Linear(H, 1))
            self.network = nn.Sequential(*layers)
            init_module_weights(self.network, orthogonal_init)

        def forward(self, observations, actions):
            multiple_actions = False
            batch_size = observations.shape[0]
            if actions.ndim == 3 and observations.ndim == 2:
                multiple_actions = True
                observations = extend_and_repeat(observations, 1, actions.shape[1]).reshape(
                    -1, observations.shape[-1])
                actions = actions.reshape(-1, actions.shape[-1])
            input_tensor = torch.cat([observations, actions], dim=-1)
            q_values = torch.squeeze(self.network(input_tensor), dim=-1)
            if multiple_actions:
                q_values = q_values.reshape(batch_size, -1)
            return q_values

    return SimpleNamespace(TanhGaussianPolicy=TanhGaussianPolicy, Scalar=Scalar,
                           FullyConnectedQFunction=FullyConnectedQFunction,
                           soft_update=soft_update)


def _batch(L, rng, n, state_dim, action_dim):
    obs = rng.randn(n, state_dim).astype(np.float32)
    act = np.clip(rng.randn(n, action_dim), -0.99, 0.99).astype(np.float32)
    rew = rng.randn(n, 1).astype(np.float32)
    nxt = rng.randn(n, state_dim).astype(np.float32)
    done = (rng.rand(n, 1) < 0.2).astype(np.float32)
    return [L.tensor(x, dtype=L.float32) for x in (obs, act, rew, nxt, done)]


def tanh_gaussian_policy(L):
    """The CQL actor on its own: orthogonal init of the Q-network, repeated observations
    for 3 sampled actions, deterministic act(), log_prob of dataset actions with rsample
    gradients into the Scalar log-std multiplier."""
    torch = L
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)
        C = _cql(L)
        actor = C.TanhGaussianPolicy(5, 2, 1.0, orthogonal_init=True)
        q = C.FullyConnectedQFunction(5, 2, orthogonal_init=True)
        o.print(actor)
        obs = torch.randn(4, 5)
        a, logp = actor(obs)
        ar, logpr = actor(obs, repeat=3)
        o.print(a.shape, logp.shape, ar.shape, logpr.shape)
        qv = q(obs, ar)
        o.print(qv.shape)
        lp = actor.log_prob(obs, torch.rand(4, 3, 2) * 1.8 - 0.9)
        (logp.sum() + qv.sum() + lp.sum()).backward()
        actor.eval()
        act = actor.act(np.ones(5, dtype=np.float32))
        o.print(type(act).__name__, act.dtype, act.shape)
        o.vals += [a, logp, ar, logpr, qv, lp, act, actor.log_std_multiplier.constant.grad,
                   actor.log_std_offset.constant.grad]
        o.vals += [p for p in q.parameters()] + [p.grad for p in actor.parameters()]
    return o.done()


def continuous_cql(L):
    """ContinuousCQL.train for 4 steps (2 BC steps, then Q-driven), with automatic entropy
    tuning and the Lagrange alpha-prime update (retain_graph=True)."""
    torch, F = L, L.nn.functional
    with Out() as o:
        torch.manual_seed(1)
        rng = np.random.RandomState(1)
        C = _cql(L)
        state_dim, action_dim = 5, 2
        critic_1 = C.FullyConnectedQFunction(state_dim, action_dim, False, 3)
        critic_2 = C.FullyConnectedQFunction(state_dim, action_dim, False)
        critic_1_optimizer = torch.optim.Adam(list(critic_1.parameters()), 3e-4)
        critic_2_optimizer = torch.optim.Adam(list(critic_2.parameters()), 3e-4)
        actor = C.TanhGaussianPolicy(state_dim, action_dim, 1.0, log_std_multiplier=1.0)
        actor_optimizer = torch.optim.Adam(actor.parameters(), 1e-4)
        target_critic_1, target_critic_2 = deepcopy(critic_1), deepcopy(critic_2)
        log_alpha = C.Scalar(0.0)
        alpha_optimizer = torch.optim.Adam(log_alpha.parameters(), lr=1e-4)
        log_alpha_prime = C.Scalar(1.0)
        alpha_prime_optimizer = torch.optim.Adam(log_alpha_prime.parameters(), lr=3e-4)
        target_entropy = -np.prod((action_dim,)).item()
        discount, cql_n_actions, cql_temp, cql_alpha = 0.99, 4, 1.0, 10.0
        cql_target_action_gap, bc_steps = 10.0, 2
        cql_clip_diff_min, cql_clip_diff_max = -np.inf, np.inf
        for total_it in range(1, 5):
            observations, actions, rewards, next_observations, dones = _batch(
                L, rng, 6, state_dim, action_dim)
            new_actions, log_pi = actor(observations)
            alpha_loss = -(log_alpha() * (log_pi + target_entropy).detach()).mean()
            alpha = log_alpha().exp() * 1.0
            if total_it <= bc_steps:
                log_probs = actor.log_prob(observations, actions)
                policy_loss = (alpha * log_pi - log_probs).mean()
            else:
                q_new_actions = torch.min(critic_1(observations, new_actions),
                                          critic_2(observations, new_actions))
                policy_loss = (alpha * log_pi - q_new_actions).mean()

            q1_predicted = critic_1(observations, actions)
            q2_predicted = critic_2(observations, actions)
            new_next_actions, next_log_pi = actor(next_observations, repeat=cql_n_actions)
            target_q_values, max_target_indices = torch.max(
                torch.min(target_critic_1(next_observations, new_next_actions),
                          target_critic_2(next_observations, new_next_actions)), dim=-1)
            next_log_pi = torch.gather(next_log_pi, -1,
                                       max_target_indices.unsqueeze(-1)).squeeze(-1)
            target_q_values = target_q_values.unsqueeze(-1)
            td_target = rewards + (1.0 - dones) * discount * target_q_values.detach()
            td_target = td_target.squeeze(-1)
            qf1_loss = F.mse_loss(q1_predicted, td_target.detach())
            qf2_loss = F.mse_loss(q2_predicted, td_target.detach())

            batch_size, action_dim = actions.shape[0], actions.shape[-1]
            cql_random_actions = actions.new_empty(
                (batch_size, cql_n_actions, action_dim), requires_grad=False).uniform_(-1, 1)
            cql_current_actions, cql_current_log_pis = actor(observations, repeat=cql_n_actions)
            cql_next_actions, cql_next_log_pis = actor(next_observations, repeat=cql_n_actions)
            cql_current_actions, cql_current_log_pis = (cql_current_actions.detach(),
                                                        cql_current_log_pis.detach())
            cql_next_actions, cql_next_log_pis = (cql_next_actions.detach(),
                                                  cql_next_log_pis.detach())
            cql_q1_rand = critic_1(observations, cql_random_actions)
            cql_q2_rand = critic_2(observations, cql_random_actions)
            cql_q1_current_actions = critic_1(observations, cql_current_actions)
            cql_q2_current_actions = critic_2(observations, cql_current_actions)
            cql_q1_next_actions = critic_1(observations, cql_next_actions)
            cql_q2_next_actions = critic_2(observations, cql_next_actions)
            cql_cat_q1 = torch.cat([cql_q1_rand, torch.unsqueeze(q1_predicted, 1),
                                    cql_q1_next_actions, cql_q1_current_actions], dim=1)
            cql_std_q1 = torch.std(cql_cat_q1, dim=1)
            random_density = np.log(0.5 ** action_dim)
            cql_cat_q1 = torch.cat([cql_q1_rand - random_density,
                                    cql_q1_next_actions - cql_next_log_pis.detach(),
                                    cql_q1_current_actions - cql_current_log_pis.detach()],
                                   dim=1)
            cql_cat_q2 = torch.cat([cql_q2_rand - random_density,
                                    cql_q2_next_actions - cql_next_log_pis.detach(),
                                    cql_q2_current_actions - cql_current_log_pis.detach()],
                                   dim=1)
            cql_qf1_ood = torch.logsumexp(cql_cat_q1 / cql_temp, dim=1) * cql_temp
            cql_qf2_ood = torch.logsumexp(cql_cat_q2 / cql_temp, dim=1) * cql_temp
            cql_qf1_diff = torch.clamp(cql_qf1_ood - q1_predicted, cql_clip_diff_min,
                                       cql_clip_diff_max).mean()
            cql_qf2_diff = torch.clamp(cql_qf2_ood - q2_predicted, cql_clip_diff_min,
                                       cql_clip_diff_max).mean()
            alpha_prime = torch.clamp(torch.exp(log_alpha_prime()), min=0.0, max=1000000.0)
            cql_min_qf1_loss = alpha_prime * cql_alpha * (cql_qf1_diff - cql_target_action_gap)
            cql_min_qf2_loss = alpha_prime * cql_alpha * (cql_qf2_diff - cql_target_action_gap)
            alpha_prime_optimizer.zero_grad()
            alpha_prime_loss = (-cql_min_qf1_loss - cql_min_qf2_loss) * 0.5
            alpha_prime_loss.backward(retain_graph=True)
            alpha_prime_optimizer.step()
            qf_loss = qf1_loss + qf2_loss + cql_min_qf1_loss + cql_min_qf2_loss

            alpha_optimizer.zero_grad()
            alpha_loss.backward()
            alpha_optimizer.step()
            actor_optimizer.zero_grad()
            policy_loss.backward()
            actor_optimizer.step()
            critic_1_optimizer.zero_grad()
            critic_2_optimizer.zero_grad()
            qf_loss.backward(retain_graph=True)
            critic_1_optimizer.step()
            critic_2_optimizer.step()
            C.soft_update(target_critic_1, critic_1, 5e-3)
            C.soft_update(target_critic_2, critic_2, 5e-3)
            log_dict = dict(policy_loss=policy_loss.item(), qf1_loss=qf1_loss.item(),
                            alpha=alpha.item(), cql_std_q1=cql_std_q1.mean().item(),
                            alpha_prime=alpha_prime.item(), qf_loss=qf_loss.item(),
                            cql_qf1_diff=cql_qf1_diff.mean().item())
            o.print({k: round(v, 4) for k, v in log_dict.items()})
            o.vals += [qf_loss, policy_loss, alpha_prime_loss, next_log_pi, cql_std_q1]
        o.vals += list(critic_1.parameters()) + list(target_critic_2.parameters())
        o.vals += list(actor.parameters()) + [log_alpha.constant, log_alpha_prime.constant]
        o.tryit(lambda: actor.log_prob(observations, actions[:, :1]))
    return o.done()
