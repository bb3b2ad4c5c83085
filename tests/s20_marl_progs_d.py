"""tinkoff-ai/CORL algorithms/offline/iql.py as users type it, scaled down (hidden width 16,
a few steps): ReplayBuffer with preallocated torch.zeros storage filled from a D4RL-style
dict of arrays (``[..., None]``), compute_mean_std / normalize_states, asymmetric_l2_loss
(the expectile loss), MLP with Squeeze and Dropout, GaussianPolicy (Normal with a clamped
state-independent log_std) and DeterministicPolicy, TwinQ, ValueFunction, and
ImplicitQLearning.train (advantage-weighted actor with exp(beta * adv).clamp(max=...),
CosineAnnealingLR, soft target updates of a requires_grad_(False) deepcopy). The D4RL
dataset is a NumPy-seeded stand-in. ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_marl.py."""

import copy

import numpy as np
from s16_yunjey_progs import Out

EXP_ADV_MAX = 100.0
LOG_STD_MIN = -20.0
LOG_STD_MAX = 2.0


def _iql(L, o, deterministic, dropout, seed):
    torch, nn, F = L, L.nn, L.nn.functional
    Normal = L.distributions.Normal
    CosineAnnealingLR = L.optim.lr_scheduler.CosineAnnealingLR

    def soft_update(target, source, tau):
        for target_param, source_param in zip(target.parameters(), source.parameters()):
            target_param.data.copy_((1 - tau) * target_param.data + tau * source_param.data)

    def compute_mean_std(states, eps):
        mean = states.mean(0)
        std = states.std(0) + eps
        return mean, std

    def normalize_states(states, mean, std):
        return (states - mean) / std

    class ReplayBuffer:
        def __init__(self, state_dim, action_dim, buffer_size, device="cpu"):
            self._buffer_size = buffer_size
            self._pointer = 0
            self._size = 0
            self._states = torch.zeros((buffer_size, state_dim), dtype=torch.float32,
                                       device=device)
            self._actions = torch.zeros((buffer_size, action_dim), dtype=torch.float32,
                                        device=device)
            self._rewards = torch.zeros((buffer_size, 1), dtype=torch.float32, device=device)
            self._next_states = torch.zeros((buffer_size, state_dim), dtype=torch.float32,
                                            device=device)
            self._dones = torch.zeros((buffer_size, 1), dtype=torch.float32, device=device)
            self._device = device

        def _to_tensor(self, data):
            return torch.tensor(data, dtype=torch.float32, device=self._device)

        def load_d4rl_dataset(self, data):
            if self._size != 0:
                raise ValueError("Trying to load data into non-empty replay buffer")
            n_transitions = data["observations"].shape[0]
            if n_transitions > self._buffer_size:
                raise ValueError(
                    "Replay buffer is smaller than the dataset you are trying to load!")
            self._states[:n_transitions] = self._to_tensor(data["observations"])
            self._actions[:n_transitions] = self._to_tensor(data["actions"])
            self._rewards[:n_transitions] = self._to_tensor(data["rewards"][..., None])
            self._next_states[:n_transitions] = self._to_tensor(data["next_observations"])
            self._dones[:n_transitions] = self._to_tensor(data["terminals"][..., None])
            self._size += n_transitions
            self._pointer = min(self._size, n_transitions)
            o.print(f"Dataset size: {n_transitions}")

        def sample(self, batch_size):
            indices = np.random.randint(0, min(self._size, self._pointer), size=batch_size)
            return [self._states[indices], self._actions[indices], self._rewards[indices],
                    self._next_states[indices], self._dones[indices]]

    def asymmetric_l2_loss(u, tau):
        return torch.mean(torch.abs(tau - (u < 0).float()) * u**2)

    class Squeeze(nn.Module):
        def __init__(self, dim=-1):
            super().__init__()
            self.dim = dim

        def forward(self, x):
            return x.squeeze(dim=self.dim)

    class MLP(nn.Module):
        def __init__(self, dims, activation_fn=nn.ReLU, output_activation_fn=None,
                     squeeze_output=False, dropout=None):
            super().__init__()
            n_dims = len(dims)
            if n_dims < 2:
                raise ValueError("MLP requires at least two dims (input and output)")
            layers = []
            for i in range(n_dims - 2):
                layers.append(nn.Linear(dims[i], dims[i + 1]))
                layers.append(activation_fn())
                if dropout is not None:
                    layers.append(nn.Dropout(dropout))
            layers.append(nn.Linear(dims[-2], dims[-1]))
            if output_activation_fn is not None:
                layers.append(output_activation_fn())
            if squeeze_output:
                if dims[-1] != 1:
                    raise ValueError("Last dim must be 1 when squeezing")
                layers.append(Squeeze(-1))
            self.net = nn.Sequential(*layers)

        def forward(self, x):
            return self.net(x)

    class GaussianPolicy(nn.Module):
        def __init__(self, state_dim, act_dim, max_action, hidden_dim=16, n_hidden=2,
                     dropout=None):
            super().__init__()
            self.net = MLP([state_dim, *([hidden_dim] * n_hidden), act_dim],
                           output_activation_fn=nn.Tanh)
            self.log_std = nn.Parameter(torch.zeros(act_dim, dtype=torch.float32))
            self.max_action = max_action

        def forward(self, obs):
            mean = self.net(obs)
            std = torch.exp(self.log_std.clamp(LOG_STD_MIN, LOG_STD_MAX))
            return Normal(mean, std)

        @torch.no_grad()
        def act(self, state, device="cpu"):
            state = torch.tensor(state.reshape(1, -1), device=device, dtype=torch.float32)
            dist = self(state)
            action = dist.mean if not self.training else dist.sample()
            action = torch.clamp(self.max_action * action, -self.max_action, self.max_action)
            return action.cpu().data.numpy().flatten()

    class DeterministicPolicy(nn.Module):
        def __init__(self, state_dim, act_dim, max_action, hidden_dim=16, n_hidden=2,
                     dropout=None):
            super().__init__()
            self.net = MLP([state_dim, *([hidden_dim] * n_hidden), act_dim],
                           output_activation_fn=nn.Tanh, dropout=dropout)
            self.max_action = max_action

        def forward(self, obs):
            return self.net(obs)

        @torch.no_grad()
        def act(self, state, device="cpu"):
            state = torch.tensor(state.reshape(1, -1), device=device, dtype=torch.float32)
            return (torch.clamp(self(state) * self.max_action, -self.max_action,
                                self.max_action).cpu().data.numpy().flatten())

    class TwinQ(nn.Module):
        def __init__(self, state_dim, action_dim, hidden_dim=16, n_hidden=2):
            super().__init__()
            dims = [state_dim + action_dim, *([hidden_dim] * n_hidden), 1]
            self.q1 = MLP(dims, squeeze_output=True)
            self.q2 = MLP(dims, squeeze_output=True)

        def both(self, state, action):
            sa = torch.cat([state, action], 1)
            return self.q1(sa), self.q2(sa)

        def forward(self, state, action):
            return torch.min(*self.both(state, action))

    class ValueFunction(nn.Module):
        def __init__(self, state_dim, hidden_dim=16, n_hidden=2):
            super().__init__()
            dims = [state_dim, *([hidden_dim] * n_hidden), 1]
            self.v = MLP(dims, squeeze_output=True)

        def forward(self, state):
            return self.v(state)

    # train(config)
    np.random.seed(seed); torch.manual_seed(seed)
    rng = np.random.RandomState(seed + 100)
    state_dim, action_dim, n = 5, 2, 40
    dataset = {"observations": rng.randn(n, state_dim) * 3 + 1,
               "actions": np.clip(rng.randn(n, action_dim), -1, 1).astype(np.float32),
               "rewards": rng.randn(n).astype(np.float32),
               "next_observations": rng.randn(n, state_dim) * 3 + 1,
               "terminals": rng.rand(n) < 0.1}
    state_mean, state_std = compute_mean_std(dataset["observations"], eps=1e-3)
    dataset["observations"] = normalize_states(dataset["observations"], state_mean, state_std)
    dataset["next_observations"] = normalize_states(dataset["next_observations"], state_mean,
                                                    state_std)
    replay_buffer = ReplayBuffer(state_dim, action_dim, 64)
    replay_buffer.load_d4rl_dataset(dataset)
    max_action = 1.0
    q_network = TwinQ(state_dim, action_dim)
    v_network = ValueFunction(state_dim)
    actor = (DeterministicPolicy(state_dim, action_dim, max_action, dropout=dropout)
             if deterministic else
             GaussianPolicy(state_dim, action_dim, max_action, dropout=dropout))
    o.print(actor)
    v_optimizer = torch.optim.Adam(v_network.parameters(), lr=3e-4)
    q_optimizer = torch.optim.Adam(q_network.parameters(), lr=3e-4)
    actor_optimizer = torch.optim.Adam(actor.parameters(), lr=3e-4)
    qf = q_network
    q_target = copy.deepcopy(qf).requires_grad_(False).to("cpu")
    actor_lr_schedule = CosineAnnealingLR(actor_optimizer, 5)
    iql_tau, beta, discount, tau = 0.7, 3.0, 0.99, 0.005
    for t in range(5):
        observations, actions, rewards, next_observations, dones = replay_buffer.sample(8)
        log_dict = {}
        with torch.no_grad():
            next_v = v_network(next_observations)
        # _update_v
        with torch.no_grad():
            target_q = q_target(observations, actions)
        v = v_network(observations)
        adv = target_q - v
        v_loss = asymmetric_l2_loss(adv, iql_tau)
        log_dict["value_loss"] = v_loss.item()
        v_optimizer.zero_grad(); v_loss.backward(); v_optimizer.step()
        rewards = rewards.squeeze(dim=-1)
        dones = dones.squeeze(dim=-1)
        # _update_q
        targets = rewards + (1.0 - dones.float()) * discount * next_v.detach()
        qs = qf.both(observations, actions)
        q_loss = sum(F.mse_loss(q, targets) for q in qs) / len(qs)
        log_dict["q_loss"] = q_loss.item()
        q_optimizer.zero_grad(); q_loss.backward(); q_optimizer.step()
        soft_update(q_target, qf, tau)
        # _update_policy
        exp_adv = torch.exp(beta * adv.detach()).clamp(max=EXP_ADV_MAX)
        policy_out = actor(observations)
        if isinstance(policy_out, torch.distributions.Distribution):
            bc_losses = -policy_out.log_prob(actions).sum(-1, keepdim=False)
        elif torch.is_tensor(policy_out):
            if policy_out.shape != actions.shape:
                raise RuntimeError("Actions shape missmatch")
            bc_losses = torch.sum((policy_out - actions) ** 2, dim=1)
        policy_loss = torch.mean(exp_adv * bc_losses)
        log_dict["actor_loss"] = policy_loss.item()
        actor_optimizer.zero_grad(); policy_loss.backward(); actor_optimizer.step()
        actor_lr_schedule.step()
        o.print(t, {k: round(v, 4) for k, v in log_dict.items()},
                round(actor_lr_schedule.get_last_lr()[0], 8))
        o.vals += [v_loss, q_loss, policy_loss, exp_adv, adv]
    actor.eval()
    act = actor.act(dataset["observations"][0])
    o.print(act.dtype, act.shape)
    o.vals += [act] + list(q_target.parameters()) + list(actor.parameters())
    o.print([p.requires_grad for p in q_target.parameters()][:2], replay_buffer._dones.sum())
    o.tryit(lambda: replay_buffer.load_d4rl_dataset(dataset))
    o.tryit(lambda: MLP([3]))
    o.tryit(lambda: asymmetric_l2_loss(L.tensor([1, -2]), 0.7))
    return actor


def iql_gaussian(L):
    """IQL with the GaussianPolicy actor (Normal log_prob summed over actions)."""
    with Out() as o:
        _iql(L, o, deterministic=False, dropout=None, seed=0)
    return o.done()


def iql_deterministic(L):
    """IQL with the DeterministicPolicy actor and Dropout(0.1) inside its MLP."""
    with Out() as o:
        _iql(L, o, deterministic=True, dropout=0.1, seed=1)
    return o.done()
