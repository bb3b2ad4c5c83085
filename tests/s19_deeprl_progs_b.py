"""ShangtongZhang/DeepRL agents (deep_rl/agent/DQN_agent.py incl. double Q and the dueling
head, CategoricalDQN_agent.py's projection, QuantileRegressionDQN_agent.py's quantile Huber
loss) as users run them, with the gym task and the replay buffer replaced by fixed random
transitions; the network and loss code as the repo writes it. See s19_deeprl_progs.py."""

from collections import namedtuple

import numpy as np
from s16_yunjey_progs import Out
from s19_deeprl_progs import deeprl

Transition = namedtuple('Transition', ['state', 'action', 'reward', 'next_state', 'mask'])


class Replay:
    """Replay stand-in: a fixed set of CartPole-like transitions, sampled with np.random."""

    def __init__(self, n=32, state_dim=4, action_dim=3, batch_size=8, seed=1):
        rng = np.random.RandomState(seed)
        self.data = Transition(rng.randn(n, state_dim), rng.randint(0, action_dim, n),
                               rng.rand(n).round(1), rng.randn(n, state_dim),
                               (rng.rand(n) > 0.2).astype(np.int32))
        self.batch_size = batch_size

    def sample(self):
        idx = np.random.randint(0, len(self.data.action), size=self.batch_size)
        return Transition(*[x[idx] for x in self.data])


def _dqn(L, double_q, dueling, old_indexing):
    d = deeprl(L)
    torch, nn = L, L.nn
    discount, n_step, gradient_clip, target_freq = 0.99, 1, 5, 3
    with Out() as o:
        d.random_seed(0)
        head = d.DuelingNet if dueling else d.VanillaNet
        network_fn = lambda: head(3, d.FCBody(4, hidden_units=(16, 16)))
        network = network_fn()
        target_network = network_fn()
        target_network.load_state_dict(network.state_dict())
        optimizer = torch.optim.RMSprop(network.parameters(), 0.001)
        replay = Replay()
        batch_indices = d.range_tensor(replay.batch_size)
        state = np.random.randn(1, 4)
        for step in range(1, 7):
            q_values = network(state)['q']
            q_values = d.to_np(q_values).flatten()
            action = d.epsilon_greedy(0.3, q_values)
            transitions = replay.sample()
            states, next_states = transitions.state, transitions.next_state
            with torch.no_grad():
                q_next = target_network(next_states)['q'].detach()
                if double_q:
                    best_actions = torch.argmax(network(next_states)['q'], dim=-1)
                    if old_indexing:
                        q_next = q_next[batch_indices, best_actions]
                    else:
                        q_next = q_next.gather(1, best_actions.unsqueeze(-1)).squeeze(1)
                else:
                    q_next = q_next.max(1)[0]
            masks = d.tensor(transitions.mask)
            rewards = d.tensor(transitions.reward)
            q_target = rewards + discount ** n_step * q_next * masks
            actions = d.tensor(transitions.action).long()
            q = network(states)['q']
            if old_indexing:
                q = q[batch_indices, actions]
            else:
                q = q.gather(1, actions.unsqueeze(-1)).squeeze(-1)
            loss = q_target - q
            loss = loss.pow(2).mul(0.5).mean()
            optimizer.zero_grad()
            loss.backward()
            norm = nn.utils.clip_grad_norm_(network.parameters(), gradient_clip)
            optimizer.step()
            o.print('step %d action %d loss %.4f grad norm %.4f' % (step, action, loss.item(), norm))
            if step % target_freq == 0:
                target_network.load_state_dict(network.state_dict())
            state = np.random.randn(1, 4)
        o.print(network.eval() if dueling else network)
        o.vals += [q_next, q_target, q, loss] + [p.detach() for p in network.parameters()]
    return o.done()


def dqn(L):
    return _dqn(L, False, False, False)


def double_dqn(L):
    return _dqn(L, True, False, False)


def dueling_double_dqn_old_indexing(L):
    return _dqn(L, True, True, True)


def categorical_dqn(L):
    """C51: the current projection (|atoms_target - atoms| / delta_atom clamped) with the KL
    loss, and the earlier one (b.floor(), b.ceil(), index_add_ per row, -(p * log q))."""
    d = deeprl(L)
    torch, nn = L, L.nn
    v_min, v_max, n_atoms, discount, gradient_clip = -10.0, 10.0, 11, 0.99, 10
    with Out() as o:
        d.random_seed(1)
        network_fn = lambda: d.CategoricalNet(3, n_atoms, d.FCBody(4, hidden_units=(16,)))
        network, target_network = network_fn(), network_fn()
        target_network.load_state_dict(network.state_dict())
        optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
        replay = Replay()
        batch_indices = d.range_tensor(replay.batch_size)
        atoms = d.tensor(np.linspace(v_min, v_max, n_atoms))
        delta_atom = (v_max - v_min) / float(n_atoms - 1)
        for step in range(4):
            transitions = replay.sample()
            with torch.no_grad():
                prob_next = target_network(transitions.next_state)['prob']
                q_next = (prob_next * atoms).sum(-1)
                a_next = torch.argmax(q_next, dim=-1)
                prob_next = prob_next[batch_indices, a_next, :]
            rewards = d.tensor(transitions.reward).unsqueeze(-1)
            masks = d.tensor(transitions.mask).unsqueeze(-1)
            atoms_target = rewards + discount * masks * atoms.view(1, -1)
            atoms_target.clamp_(v_min, v_max)
            if step % 2 == 0:
                atoms_target = atoms_target.unsqueeze(1)
                target_prob = (1 - (atoms_target - atoms.view(1, -1, 1)).abs() / delta_atom).clamp(0, 1) * \
                    prob_next.unsqueeze(1)
                target_prob = target_prob.sum(-1)
                log_prob = network(transitions.state)['log_prob']
                actions = d.tensor(transitions.action).long()
                log_prob = log_prob[batch_indices, actions, :]
                KL = (target_prob * target_prob.add(1e-5).log() - target_prob * log_prob).sum(-1)
                loss = KL.mean()
            else:
                b = (atoms_target - v_min) / delta_atom
                l = b.floor()
                u = b.ceil()
                d_m_l = (u + (l == u).float() - b) * prob_next
                d_m_u = (b - l) * prob_next
                target_prob = d.tensor(np.zeros(prob_next.size()))
                for i in range(target_prob.size(0)):
                    target_prob[i].index_add_(0, l[i].long(), d_m_l[i])
                    target_prob[i].index_add_(0, u[i].long(), d_m_u[i])
                prob = network(transitions.state)['prob']
                actions = d.tensor(transitions.action).long()
                actions = actions.view(-1, 1, 1).expand(-1, -1, prob.size(2))
                prob = prob.gather(1, actions).squeeze(1)
                loss = -(target_prob * prob.log()).sum(-1).mean()
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(network.parameters(), gradient_clip)
            optimizer.step()
            o.print('step %d loss %.4f' % (step, loss.item()))
        o.print(target_prob.sum(-1))
        o.vals += [atoms_target, target_prob, loss] + [p.detach() for p in network.parameters()]
    return o.done()


def quantile_dqn(L):
    """QR-DQN: the quantile Huber loss with torch_utils.huber (torch.where) and with the
    agent's earlier huber (a detached float mask), cumulative density from np.arange."""
    d = deeprl(L)
    torch = L
    num_quantiles, discount = 5, 0.99
    with Out() as o:
        d.random_seed(2)
        network_fn = lambda: d.QuantileNet(3, num_quantiles, d.FCBody(4, hidden_units=(16,)))
        network, target_network = network_fn(), network_fn()
        target_network.load_state_dict(network.state_dict())
        optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
        replay = Replay(batch_size=6)
        batch_indices = d.range_tensor(replay.batch_size)
        cumulative_density = d.tensor((2 * np.arange(num_quantiles) + 1) / (2.0 * num_quantiles))
        quantile_weight = 1.0 / num_quantiles

        def old_huber(x):
            cond = (x.abs() < 1.0).float().detach()
            return 0.5 * x.pow(2) * cond + (x.abs() - 0.5) * (1 - cond)

        for step in range(4):
            transitions = replay.sample()
            quantiles_next = target_network(transitions.next_state)['quantile'].detach()
            if step % 2 == 0:
                a_next = torch.argmax(quantiles_next.sum(-1), dim=-1)
                quantiles_next = quantiles_next[batch_indices, a_next, :]
            else:
                q_next = (quantiles_next * quantile_weight).sum(-1)
                _, a_next = torch.max(q_next, dim=1)
                a_next = a_next.view(-1, 1, 1).expand(-1, -1, quantiles_next.size(2))
                quantiles_next = quantiles_next.gather(1, a_next).squeeze(1)
            rewards = d.tensor(transitions.reward).unsqueeze(-1)
            masks = d.tensor(transitions.mask).unsqueeze(-1)
            quantiles_next = rewards + discount * masks * quantiles_next
            quantiles = network(transitions.state)['quantile']
            actions = d.tensor(transitions.action).long()
            quantiles = quantiles[batch_indices, actions, :]
            quantiles_next = quantiles_next.t().unsqueeze(-1)
            diff = quantiles_next - quantiles
            h = d.huber(diff) if step % 2 == 0 else old_huber(diff)
            loss = h * (cumulative_density.view(1, -1) - (diff.detach() < 0).float()).abs()
            loss = loss.sum(-1).mean(1) if step % 2 == 0 else loss.mean(0).mean(1)
            optimizer.zero_grad()
            loss.mean().backward() if step % 2 == 0 else loss.sum().backward()
            optimizer.step()
            o.print('step %d loss %.4f' % (step, loss.mean().item()), loss.shape)
        o.vals += [diff, loss] + [p.detach() for p in network.parameters()]
    return o.done()
