"""Kaixhin/Rainbow as users type it: model.py (factorised NoisyLinear, the data-efficient
convolutional trunk, the distributional dueling head with log_softmax / softmax over atoms),
agent.py (act with the support, learn() with double-Q action selection, the categorical
projection through floor / ceil / masked += / index_add_ on a view, importance weights,
clip_grad_norm_) and memory.py (NumPy segment tree; frames stored as uint8 tensors in a
structured array, n-step returns by a matmul). The Atari environment is replaced by seeded
random 84x84 frames; capacity, batch size and steps shrunk."""

import argparse
import math

import numpy as np
from s16_yunjey_progs import Out

Transition_dtype = np.dtype([('timestep', np.int32), ('state', np.uint8, (84, 84)),
                             ('action', np.int32), ('reward', np.float32),
                             ('nonterminal', np.bool_)])
blank_trans = (0, np.zeros((84, 84), dtype=np.uint8), 0, 0.0, False)


class SegmentTree():
    def __init__(self, size):
        self.index, self.size, self.full = 0, size, False
        self.tree_start = 2 ** (size - 1).bit_length() - 1
        self.sum_tree = np.zeros((self.tree_start + self.size,), dtype=np.float32)
        self.data = np.array([blank_trans] * size, dtype=Transition_dtype)
        self.max = 1

    def _update_nodes(self, indices):
        children_indices = indices * 2 + np.expand_dims([1, 2], axis=1)
        self.sum_tree[indices] = np.sum(self.sum_tree[children_indices], axis=0)

    def _propagate(self, indices):
        parents = (indices - 1) // 2
        unique_parents = np.unique(parents)
        self._update_nodes(unique_parents)
        if parents[0] != 0:
            self._propagate(parents)

    def _propagate_index(self, index):
        parent = (index - 1) // 2
        left, right = 2 * parent + 1, 2 * parent + 2
        self.sum_tree[parent] = self.sum_tree[left] + self.sum_tree[right]
        if parent != 0:
            self._propagate_index(parent)

    def update(self, indices, values):
        self.sum_tree[indices] = values
        self._propagate(indices)
        self.max = max(np.max(values), self.max)

    def _update_index(self, index, value):
        self.sum_tree[index] = value
        self._propagate_index(index)
        self.max = max(value, self.max)

    def append(self, data, value):
        self.data[self.index] = data
        self._update_index(self.index + self.tree_start, value)
        self.index = (self.index + 1) % self.size
        self.full = self.full or self.index == 0
        self.max = max(value, self.max)

    def _retrieve(self, indices, values):
        children_indices = (indices * 2 + np.expand_dims([1, 2], axis=1))
        if children_indices[0, 0] >= self.sum_tree.shape[0]:
            return indices
        elif children_indices[0, 0] >= self.tree_start:
            children_indices = np.minimum(children_indices, self.sum_tree.shape[0] - 1)
        left_children_values = self.sum_tree[children_indices[0]]
        successor_choices = np.greater(values, left_children_values).astype(np.int32)
        successor_indices = children_indices[successor_choices, np.arange(indices.size)]
        successor_values = values - successor_choices * left_children_values
        return self._retrieve(successor_indices, successor_values)

    def find(self, values):
        indices = self._retrieve(np.zeros(values.shape, dtype=np.int32), values)
        data_index = indices - self.tree_start
        return (self.sum_tree[indices], data_index, indices)

    def get(self, data_index):
        return self.data[data_index % self.size]

    def total(self):
        return self.sum_tree[0]


def _classes(L):
    torch, nn, F = L, L.nn, L.nn.functional

    class NoisyLinear(nn.Module):
        def __init__(self, in_features, out_features, std_init=0.5):
            super(NoisyLinear, self).__init__()
            self.in_features, self.out_features, self.std_init = in_features, out_features, std_init
            self.weight_mu = nn.Parameter(torch.empty(out_features, in_features))
            self.weight_sigma = nn.Parameter(torch.empty(out_features, in_features))
            self.register_buffer('weight_epsilon', torch.empty(out_features, in_features))
            self.bias_mu = nn.Parameter(torch.empty(out_features))
            self.bias_sigma = nn.Parameter(torch.empty(out_features))
            self.register_buffer('bias_epsilon', torch.empty(out_features))
            self.reset_parameters()
            self.reset_noise()

        def reset_parameters(self):
            mu_range = 1 / math.sqrt(self.in_features)
            self.weight_mu.data.uniform_(-mu_range, mu_range)
            self.weight_sigma.data.fill_(self.std_init / math.sqrt(self.in_features))
            self.bias_mu.data.uniform_(-mu_range, mu_range)
            self.bias_sigma.data.fill_(self.std_init / math.sqrt(self.out_features))

        def _scale_noise(self, size):
            x = torch.randn(size)
            return x.sign().mul_(x.abs().sqrt_())

        def reset_noise(self):
            epsilon_in = self._scale_noise(self.in_features)
            epsilon_out = self._scale_noise(self.out_features)
            self.weight_epsilon.copy_(epsilon_out.ger(epsilon_in))
            self.bias_epsilon.copy_(epsilon_out)

        def forward(self, input):
            if self.training:
                return F.linear(input, self.weight_mu + self.weight_sigma * self.weight_epsilon,
                                self.bias_mu + self.bias_sigma * self.bias_epsilon)
            else:
                return F.linear(input, self.weight_mu, self.bias_mu)

    class DQN(nn.Module):
        def __init__(self, args, action_space):
            super(DQN, self).__init__()
            self.atoms, self.action_space = args.atoms, action_space
            self.convs = nn.Sequential(
                nn.Conv2d(args.history_length, 32, 5, stride=5, padding=0), nn.ReLU(),
                nn.Conv2d(32, 64, 5, stride=5, padding=0), nn.ReLU())
            self.conv_output_size = 576
            self.fc_h_v = NoisyLinear(self.conv_output_size, args.hidden_size, std_init=args.noisy_std)
            self.fc_h_a = NoisyLinear(self.conv_output_size, args.hidden_size, std_init=args.noisy_std)
            self.fc_z_v = NoisyLinear(args.hidden_size, self.atoms, std_init=args.noisy_std)
            self.fc_z_a = NoisyLinear(args.hidden_size, action_space * self.atoms,
                                      std_init=args.noisy_std)

        def forward(self, x, log=False):
            x = self.convs(x)
            x = x.view(-1, self.conv_output_size)
            v = self.fc_z_v(F.relu(self.fc_h_v(x)))
            a = self.fc_z_a(F.relu(self.fc_h_a(x)))
            v, a = v.view(-1, 1, self.atoms), a.view(-1, self.action_space, self.atoms)
            q = v + a - a.mean(1, keepdim=True)
            if log:
                q = F.log_softmax(q, dim=2)
            else:
                q = F.softmax(q, dim=2)
            return q

        def reset_noise(self):
            for name, module in self.named_children():
                if 'fc' in name:
                    module.reset_noise()
    return NoisyLinear, DQN


def _agent_and_memory(L, DQN):
    torch, optim = L, L.optim
    clip_grad_norm_ = L.nn.utils.clip_grad_norm_

    class Agent():
        def __init__(self, args, env):
            self.action_space = env.action_space()
            self.atoms, self.Vmin, self.Vmax = args.atoms, args.V_min, args.V_max
            self.support = torch.linspace(args.V_min, args.V_max, self.atoms).to(device=args.device)
            self.delta_z = (args.V_max - args.V_min) / (self.atoms - 1)
            self.batch_size, self.n, self.discount = args.batch_size, args.multi_step, args.discount
            self.norm_clip = args.norm_clip
            self.online_net = DQN(args, self.action_space).to(device=args.device)
            self.online_net.train()
            self.target_net = DQN(args, self.action_space).to(device=args.device)
            self.update_target_net()
            self.target_net.train()
            for param in self.target_net.parameters():
                param.requires_grad = False
            self.optimiser = optim.Adam(self.online_net.parameters(), lr=args.learning_rate,
                                        eps=args.adam_eps)

        def reset_noise(self):
            self.online_net.reset_noise()

        def act(self, state):
            with torch.no_grad():
                return (self.online_net(state.unsqueeze(0)) * self.support).sum(2).argmax(1).item()

        def act_e_greedy(self, state, epsilon=0.001):
            return np.random.randint(0, self.action_space) if np.random.random() < epsilon \
                else self.act(state)

        def learn(self, mem):
            idxs, states, actions, returns, next_states, nonterminals, weights = \
                mem.sample(self.batch_size)
            log_ps = self.online_net(states, log=True)
            log_ps_a = log_ps[range(self.batch_size), actions]
            with torch.no_grad():
                pns = self.online_net(next_states)
                dns = self.support.expand_as(pns) * pns
                argmax_indices_ns = dns.sum(2).argmax(1)
                self.target_net.reset_noise()
                pns = self.target_net(next_states)
                pns_a = pns[range(self.batch_size), argmax_indices_ns]
                Tz = returns.unsqueeze(1) + nonterminals * (self.discount ** self.n) * \
                    self.support.unsqueeze(0)
                Tz = Tz.clamp(min=self.Vmin, max=self.Vmax)
                b = (Tz - self.Vmin) / self.delta_z
                l, u = b.floor().to(torch.int64), b.ceil().to(torch.int64)
                l[(u > 0) * (l == u)] -= 1
                u[(l < (self.atoms - 1)) * (l == u)] += 1
                m = states.new_zeros(self.batch_size, self.atoms)
                offset = torch.linspace(0, ((self.batch_size - 1) * self.atoms), self.batch_size
                                        ).unsqueeze(1).expand(self.batch_size, self.atoms).to(actions)
                m.view(-1).index_add_(0, (l + offset).view(-1), (pns_a * (u.float() - b)).view(-1))
                m.view(-1).index_add_(0, (u + offset).view(-1), (pns_a * (b - l.float())).view(-1))
            loss = -torch.sum(m * log_ps_a, 1)
            self.online_net.zero_grad()
            (weights * loss).mean().backward()
            norm = clip_grad_norm_(self.online_net.parameters(), self.norm_clip)
            self.optimiser.step()
            mem.update_priorities(idxs, loss.detach().cpu().numpy())
            return loss, m, norm

        def update_target_net(self):
            self.target_net.load_state_dict(self.online_net.state_dict())

        def evaluate_q(self, state):
            with torch.no_grad():
                return (self.online_net(state.unsqueeze(0)) * self.support).sum(2).max(1)[0].item()

    class ReplayMemory():
        def __init__(self, args, capacity):
            self.device, self.capacity = args.device, capacity
            self.history, self.discount, self.n = args.history_length, args.discount, args.multi_step
            self.priority_weight = args.priority_weight
            self.priority_exponent = args.priority_exponent
            self.t = 0
            self.n_step_scaling = torch.tensor([self.discount ** i for i in range(self.n)],
                                               dtype=torch.float32, device=self.device)
            self.transitions = SegmentTree(capacity)

        def append(self, state, action, reward, terminal):
            state = state[-1].mul(255).to(dtype=torch.uint8, device=torch.device('cpu'))
            self.transitions.append((self.t, state, action, reward, not terminal),
                                    self.transitions.max)
            self.t = 0 if terminal else self.t + 1

        def _get_transitions(self, idxs):
            transition_idxs = np.arange(-self.history + 1, self.n + 1) + np.expand_dims(idxs, axis=1)
            transitions = self.transitions.get(transition_idxs)
            transitions_firsts = transitions['timestep'] == 0
            blank_mask = np.zeros_like(transitions_firsts, dtype=np.bool_)
            for t in range(self.history - 2, -1, -1):
                blank_mask[:, t] = np.logical_or(blank_mask[:, t + 1], transitions_firsts[:, t + 1])
            for t in range(self.history, self.history + self.n):
                blank_mask[:, t] = np.logical_or(blank_mask[:, t - 1], transitions_firsts[:, t])
            transitions[blank_mask] = blank_trans
            return transitions

        def _get_samples_from_segments(self, batch_size, p_total):
            segment_length = p_total / batch_size
            segment_starts = np.arange(batch_size) * segment_length
            valid = False
            while not valid:
                samples = np.random.uniform(0.0, segment_length, [batch_size]) + segment_starts
                probs, idxs, tree_idxs = self.transitions.find(samples)
                if np.all((self.transitions.index - idxs) % self.capacity > self.n) and \
                        np.all((idxs - self.transitions.index) % self.capacity >= self.history) \
                        and np.all(probs != 0):
                    valid = True
            transitions = self._get_transitions(idxs)
            all_states = transitions['state']
            states = torch.tensor(all_states[:, :self.history], device=self.device,
                                  dtype=torch.float32).div_(255)
            next_states = torch.tensor(all_states[:, self.n:self.n + self.history],
                                       device=self.device, dtype=torch.float32).div_(255)
            actions = torch.tensor(np.copy(transitions['action'][:, self.history - 1]),
                                   dtype=torch.int64, device=self.device)
            rewards = torch.tensor(np.copy(transitions['reward'][:, self.history - 1:-1]),
                                   dtype=torch.float32, device=self.device)
            R = torch.matmul(rewards, self.n_step_scaling)
            nonterminals = torch.tensor(
                np.expand_dims(transitions['nonterminal'][:, self.history + self.n - 1], axis=1),
                dtype=torch.float32, device=self.device)
            return probs, idxs, tree_idxs, states, actions, R, next_states, nonterminals

        def sample(self, batch_size):
            p_total = self.transitions.total()
            probs, idxs, tree_idxs, states, actions, returns, next_states, nonterminals = \
                self._get_samples_from_segments(batch_size, p_total)
            probs = probs / p_total
            capacity = self.capacity if self.transitions.full else self.transitions.index
            weights = (capacity * probs) ** -self.priority_weight
            weights = torch.tensor(weights / weights.max(), dtype=torch.float32, device=self.device)
            return tree_idxs, states, actions, returns, next_states, nonterminals, weights

        def update_priorities(self, idxs, priorities):
            priorities = np.power(priorities, self.priority_exponent)
            self.transitions.update(idxs, priorities)
    return Agent, ReplayMemory


class Env:
    """env.py's Atari wrapper stand-in: a deque of history frames as a float tensor."""

    def __init__(self, L, args, seed):
        self.L, self.rng, self.h = L, np.random.RandomState(seed), args.history_length
        self.t = 0

    def action_space(self):
        return 3

    def _frame(self):
        return self.L.tensor(self.rng.randint(0, 256, (84, 84)).astype(np.uint8),
                             dtype=self.L.float32).div_(255)

    def reset(self):
        self.t = 0
        self.buf = [self._frame() for _ in range(self.h)]
        return self.L.stack(self.buf, 0)

    def step(self, action):
        self.t += 1
        self.buf = self.buf[1:] + [self._frame()]
        return self.L.stack(self.buf, 0), float(self.rng.randint(-1, 2)), self.t >= 9


def rainbow(L):
    torch = L
    L.manual_seed(11)
    np.random.seed(11)
    NoisyLinear, DQN = _classes(L)
    Agent, ReplayMemory = _agent_and_memory(L, DQN)
    args = argparse.Namespace(atoms=11, V_min=-10, V_max=10, history_length=4, hidden_size=16,
                              noisy_std=0.1, batch_size=4, multi_step=3, discount=0.99,
                              norm_clip=10, learning_rate=0.0001, adam_eps=1.5e-4,
                              device=torch.device('cpu'), priority_weight=0.4,
                              priority_exponent=0.5, learn_start=40, replay_frequency=4,
                              target_update=8, T_max=56)
    with Out() as o:
        env = Env(L, args, 0)
        dqn = Agent(args, env)
        mem = ReplayMemory(args, 80)
        priority_weight_increase = (1 - args.priority_weight) / (args.T_max - args.learn_start)
        o.print(dqn.online_net.fc_z_a, dqn.support.dtype, tuple(dqn.support.shape))
        dqn.train = lambda: dqn.online_net.train()
        done = True
        for T in range(1, args.T_max + 1):
            if done:
                state, done = env.reset(), False
            if T % args.replay_frequency == 0:
                dqn.reset_noise()
            action = dqn.act(state)
            next_state, reward, done = env.step(action)
            reward = max(min(reward, 1), -1)
            mem.append(state, action, reward, done)
            if T >= args.learn_start:
                mem.priority_weight = min(mem.priority_weight + priority_weight_increase, 1)
                if T % args.replay_frequency == 0:
                    loss, m, norm = dqn.learn(mem)
                    o.print(T, action, 'loss', ' '.join('%.4f' % x for x in loss.tolist()),
                            'norm %.4f' % norm.item(), m.dtype, 'msum %.4f' % m.sum().item())
                    o.vals += [loss.detach(), m]
                if T % args.target_update == 0:
                    dqn.update_target_net()
            state = next_state
        dqn.online_net.eval()
        o.print('Q %.4f' % dqn.evaluate_q(state), mem.transitions.data['state'].dtype,
                int(mem.transitions.data['state'][3].sum()))
        o.vals += [p.detach() for p in dqn.online_net.parameters()]
        o.vals += [b for b in dqn.online_net.buffers()]
    return o.done()
