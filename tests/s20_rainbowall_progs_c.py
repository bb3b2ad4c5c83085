"""rainbow-is-all-you-need 05_noisy_net.py (NoisyLinear, factorized gaussian noise,
reset_noise each update), 06_categorical_dqn.py (C51: support from torch.linspace, the
projection with .long() offsets and index_add_ on view(-1)), 07_n_step_learning.py (1-step
and 3-step losses from the same indices). See tests/s20_rainbowall_progs.py."""

import math

import numpy as np
from s16_yunjey_progs import Out
from s20_rainbowall_progs import CartPole, ReplayBuffer, seed_all
from s20_rainbowall_progs_b import BATCH, MEMORY, NUM_FRAMES, PLOT_EVERY, TARGET_UPDATE, \
    _finish, dqn_classes

# Adam turns the last bits of gradient entries near its eps (1e-8) into visible steps
# (lr / eps = 1e5 times): C51's output layer has many (atoms clamped at 1e-3, near-empty
# ones), and grads that agree to 1e-11 (OpenBLAS here, MKL in PyTorch) give weights 1.3e-6
# apart after the first update. The C51 programs compare losses and Q values, not weights.


def noisy_linear(torch):
    nn, F = torch.nn, torch.nn.functional

    class NoisyLinear(nn.Module):
        def __init__(self, in_features: int, out_features: int, std_init: float = 0.5):
            super(NoisyLinear, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.std_init = std_init
            self.weight_mu = nn.Parameter(torch.Tensor(out_features, in_features))
            self.weight_sigma = nn.Parameter(torch.Tensor(out_features, in_features))
            self.register_buffer("weight_epsilon", torch.Tensor(out_features, in_features))
            self.bias_mu = nn.Parameter(torch.Tensor(out_features))
            self.bias_sigma = nn.Parameter(torch.Tensor(out_features))
            self.register_buffer("bias_epsilon", torch.Tensor(out_features))
            self.reset_parameters()
            self.reset_noise()

        def reset_parameters(self):
            mu_range = 1 / math.sqrt(self.in_features)
            self.weight_mu.data.uniform_(-mu_range, mu_range)
            self.weight_sigma.data.fill_(self.std_init / math.sqrt(self.in_features))
            self.bias_mu.data.uniform_(-mu_range, mu_range)
            self.bias_sigma.data.fill_(self.std_init / math.sqrt(self.out_features))

        def reset_noise(self):
            epsilon_in = self.scale_noise(self.in_features)
            epsilon_out = self.scale_noise(self.out_features)
            self.weight_epsilon.copy_(epsilon_out.ger(epsilon_in))
            self.bias_epsilon.copy_(epsilon_out)

        def forward(self, x):
            return F.linear(x, self.weight_mu + self.weight_sigma * self.weight_epsilon,
                            self.bias_mu + self.bias_sigma * self.bias_epsilon)

        @staticmethod
        def scale_noise(size: int):
            x = torch.randn(size)
            return x.sign().mul(x.abs().sqrt())

    return NoisyLinear


def noisy_net(torch):
    """05_noisy_net.py."""
    nn, F = torch.nn, torch.nn.functional
    NoisyLinear = noisy_linear(torch)

    class Network(nn.Module):
        def __init__(self, in_dim: int, out_dim: int):
            super(Network, self).__init__()
            self.feature = nn.Linear(in_dim, 128)
            self.noisy_layer1 = NoisyLinear(128, 128)
            self.noisy_layer2 = NoisyLinear(128, out_dim)

        def forward(self, x):
            feature = F.relu(self.feature(x))
            hidden = F.relu(self.noisy_layer1(feature))
            out = self.noisy_layer2(hidden)
            return out

        def reset_noise(self):
            self.noisy_layer1.reset_noise()
            self.noisy_layer2.reset_noise()

    with Out() as out:
        seed = seed_all(torch)
        Base = dqn_classes(torch, out)

        class DQNAgent(Base):
            def __init__(self, env, memory_size, batch_size, target_update, seed, gamma=0.99):
                super().__init__(env, memory_size, batch_size, target_update, 0.0, seed,
                                 gamma=gamma)
                obs_dim, action_dim = env.observation_space.shape[0], env.action_space.n
                self.dqn = Network(obs_dim, action_dim).to(self.device)
                self.dqn_target = Network(obs_dim, action_dim).to(self.device)
                self.dqn_target.load_state_dict(self.dqn.state_dict())
                self.dqn_target.eval()
                self.optimizer = torch.optim.Adam(self.dqn.parameters())

            def select_action(self, state):
                selected_action = self.dqn(torch.FloatTensor(state).to(self.device)).argmax()
                selected_action = selected_action.detach().cpu().numpy()
                if not self.is_test:
                    self.transition = [state, selected_action]
                return selected_action

            def update_model(self):
                samples = self.memory.sample_batch()
                loss = self._compute_dqn_loss(samples)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                self.dqn.reset_noise()
                self.dqn_target.reset_noise()
                return loss.item()

        agent = DQNAgent(CartPole(), MEMORY, BATCH, TARGET_UPDATE, seed)
        out.print(agent.dqn)
        out.print(sorted(agent.dqn.state_dict().keys()))
        losses, scores = agent.train(NUM_FRAMES, PLOT_EVERY)
        out.vals += [agent.dqn.noisy_layer1.weight_epsilon, agent.dqn_target.noisy_layer2.bias_epsilon]
    return _finish(out, agent, losses, scores)


def c51_network(torch):
    nn, F = torch.nn, torch.nn.functional

    class Network(nn.Module):
        def __init__(self, in_dim, out_dim, atom_size, support):
            super(Network, self).__init__()
            self.support = support
            self.out_dim = out_dim
            self.atom_size = atom_size
            self.layers = nn.Sequential(
                nn.Linear(in_dim, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                nn.Linear(128, out_dim * atom_size))

        def forward(self, x):
            dist = self.dist(x)
            q = torch.sum(dist * self.support, dim=2)
            return q

        def dist(self, x):
            q_atoms = self.layers(x).view(-1, self.out_dim, self.atom_size)
            dist = F.softmax(q_atoms, dim=-1)
            dist = dist.clamp(min=1e-3)
            return dist

    return Network


def categorical_dqn(torch):
    """06_categorical_dqn.py."""
    Network = c51_network(torch)
    with Out() as out:
        seed = seed_all(torch)
        Base = dqn_classes(torch, out)

        class DQNAgent(Base):
            def __init__(self, env, memory_size, batch_size, target_update, epsilon_decay,
                         seed, max_epsilon=1.0, min_epsilon=0.1, gamma=0.99, v_min=0.0,
                         v_max=200.0, atom_size=51):
                super().__init__(env, memory_size, batch_size, target_update, epsilon_decay,
                                 seed, max_epsilon, min_epsilon, gamma)
                obs_dim, action_dim = env.observation_space.shape[0], env.action_space.n
                self.v_min = v_min
                self.v_max = v_max
                self.atom_size = atom_size
                self.support = torch.linspace(
                    self.v_min, self.v_max, self.atom_size).to(self.device)
                self.dqn = Network(obs_dim, action_dim, atom_size, self.support).to(self.device)
                self.dqn_target = Network(
                    obs_dim, action_dim, atom_size, self.support).to(self.device)
                self.dqn_target.load_state_dict(self.dqn.state_dict())
                self.dqn_target.eval()
                self.optimizer = torch.optim.Adam(self.dqn.parameters())

            def _compute_dqn_loss(self, samples):
                device = self.device
                state = torch.FloatTensor(samples["obs"]).to(device)
                next_state = torch.FloatTensor(samples["next_obs"]).to(device)
                action = torch.LongTensor(samples["acts"]).to(device)
                reward = torch.FloatTensor(samples["rews"].reshape(-1, 1)).to(device)
                done = torch.FloatTensor(samples["done"].reshape(-1, 1)).to(device)
                delta_z = float(self.v_max - self.v_min) / (self.atom_size - 1)
                with torch.no_grad():
                    next_action = self.dqn_target(next_state).argmax(1)
                    next_dist = self.dqn_target.dist(next_state)
                    next_dist = next_dist[range(self.batch_size), next_action]
                    t_z = reward + (1 - done) * self.gamma * self.support
                    t_z = t_z.clamp(min=self.v_min, max=self.v_max)
                    b = (t_z - self.v_min) / delta_z
                    l = b.floor().long()  # noqa: E741
                    u = b.ceil().long()
                    offset = (
                        torch.linspace(0, (self.batch_size - 1) * self.atom_size,
                                       self.batch_size).long()
                        .unsqueeze(1).expand(self.batch_size, self.atom_size).to(self.device))
                    proj_dist = torch.zeros(next_dist.size(), device=self.device)
                    proj_dist.view(-1).index_add_(
                        0, (l + offset).view(-1), (next_dist * (u.float() - b)).view(-1))
                    proj_dist.view(-1).index_add_(
                        0, (u + offset).view(-1), (next_dist * (b - l.float())).view(-1))
                dist = self.dqn.dist(state)
                log_p = torch.log(dist[range(self.batch_size), action])
                loss = -(proj_dist * log_p).sum(1).mean()
                return loss

        agent = DQNAgent(CartPole(), MEMORY, BATCH, TARGET_UPDATE, 1 / 50, seed)
        out.print(agent.support[:5], agent.support.dtype)
        losses, scores = agent.train(NUM_FRAMES, PLOT_EVERY)
        q = agent.dqn(torch.FloatTensor(np.zeros((2, 4), np.float32)))
        out.print(q.shape, q.dtype)
        out.vals += [q]
    return _finish(out, agent, losses, scores, params=False)


def n_step_learning(torch):
    """07_n_step_learning.py."""
    F = torch.nn.functional
    with Out() as out:
        seed = seed_all(torch)
        Base = dqn_classes(torch, out)

        class DQNAgent(Base):
            def __init__(self, env, memory_size, batch_size, target_update, epsilon_decay,
                         seed, max_epsilon=1.0, min_epsilon=0.1, gamma=0.99, n_step=3):
                super().__init__(env, memory_size, batch_size, target_update, epsilon_decay,
                                 seed, max_epsilon, min_epsilon, gamma)
                obs_dim = env.observation_space.shape[0]
                self.memory = ReplayBuffer(obs_dim, memory_size, batch_size, n_step=1)
                self.use_n_step = True if n_step > 1 else False
                if self.use_n_step:
                    self.n_step = n_step
                    self.memory_n = ReplayBuffer(obs_dim, memory_size, batch_size,
                                                 n_step=n_step, gamma=gamma)

            def step(self, action):
                next_state, reward, terminated, truncated, _ = self.env.step(action)
                done = terminated or truncated
                if not self.is_test:
                    self.transition += [reward, next_state, done]
                    if self.use_n_step:
                        one_step_transition = self.memory_n.store(*self.transition)
                    else:
                        one_step_transition = self.transition
                    if one_step_transition:
                        self.memory.store(*one_step_transition)
                return next_state, reward, done

            def update_model(self):
                samples = self.memory.sample_batch()
                indices = samples["indices"]
                loss = self._compute_dqn_loss(samples, self.gamma)
                if self.use_n_step:
                    samples = self.memory_n.sample_batch_from_idxs(indices)
                    gamma = self.gamma ** self.n_step
                    n_loss = self._compute_dqn_loss(samples, gamma)
                    loss += n_loss
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                return loss.item()

            def _compute_dqn_loss(self, samples, gamma):
                device = self.device
                state = torch.FloatTensor(samples["obs"]).to(device)
                next_state = torch.FloatTensor(samples["next_obs"]).to(device)
                action = torch.LongTensor(samples["acts"].reshape(-1, 1)).to(device)
                reward = torch.FloatTensor(samples["rews"].reshape(-1, 1)).to(device)
                done = torch.FloatTensor(samples["done"].reshape(-1, 1)).to(device)
                curr_q_value = self.dqn(state).gather(1, action)
                next_q_value = self.dqn_target(
                    next_state).max(dim=1, keepdim=True)[0].detach()
                mask = 1 - done
                target = (reward + gamma * next_q_value * mask).to(self.device)
                loss = F.smooth_l1_loss(curr_q_value, target)
                return loss

        agent = DQNAgent(CartPole(), MEMORY, BATCH, TARGET_UPDATE, 1 / 50, seed)
        losses, scores = agent.train(NUM_FRAMES, PLOT_EVERY)
        out.print(len(agent.memory), len(agent.memory_n), agent.memory_n.rews_buf[:4])
    return _finish(out, agent, losses, scores)
