"""ShangtongZhang/DeepRL actor-critic agents (deep_rl/agent/A2C_agent.py, PPO_agent.py with
GAE and the clipped ratio, OptionCritic_agent.py) as users run them, with the vectorised gym
task and the rollout Storage replaced by small stand-ins (NumPy-seeded observations, rewards
and terminals); the network and loss code as the repo writes it. See s19_deeprl_progs.py."""

from collections import namedtuple

import numpy as np
from s16_yunjey_progs import Out
from s19_deeprl_progs import deeprl


class Task:
    """Vectorised task stand-in: num_workers states, step() -> next states, rewards,
    terminals (float arrays) drawn from np.random (seeded by random_seed)."""

    def __init__(self, num_workers, state_dim):
        self.num_workers, self.state_dim = num_workers, state_dim

    def reset(self):
        return np.random.randn(self.num_workers, self.state_dim)

    def step(self, actions):
        a = np.asarray(actions, dtype=np.float64).reshape(self.num_workers, -1)
        next_states = np.random.randn(self.num_workers, self.state_dim) + 0.1 * a.sum(-1, keepdims=True)
        rewards = np.random.rand(self.num_workers).round(2)
        terminals = (np.random.rand(self.num_workers) < 0.2).astype(np.float64)
        return next_states, rewards, terminals, [{}] * self.num_workers


class Storage:
    """deep_rl.component.replay.Storage: lists per key, feed / placeholder / extract."""

    def __init__(self, memory_size, keys=None):
        if keys is None:
            keys = []
        keys = keys + ['state', 'action', 'reward', 'mask', 'v', 'q', 'pi', 'log_pi', 'entropy',
                       'advantage', 'ret', 'q_a', 'log_pi_a', 'mean', 'next_state']
        self.keys = keys
        self.memory_size = memory_size
        for key in self.keys:
            setattr(self, key, [])

    def feed(self, data):
        for k, v in data.items():
            if k not in self.keys:
                raise RuntimeError('Undefined key')
            getattr(self, k).append(v)

    def placeholder(self):
        for k in self.keys:
            v = getattr(self, k)
            if len(v) == 0:
                setattr(self, k, [None] * self.memory_size)

    def extract(self, keys, torch):
        data = [getattr(self, k)[:self.memory_size] for k in keys]
        data = map(lambda x: torch.cat(x, dim=0), data)
        Entry = namedtuple('Entry', keys)
        return Entry(*list(data))


def random_sample(indices, batch_size):
    indices = np.asarray(np.random.permutation(indices))
    batches = indices[:len(indices) // batch_size * batch_size].reshape(-1, batch_size)
    for batch in batches:
        yield batch
    r = len(indices) % batch_size
    if r:
        yield indices[-r:]


def a2c(L):
    """A2C on a discrete task: CategoricalActorCriticNet(FCBody(gate=F.tanh)), RMSprop, GAE."""
    d = deeprl(L)
    torch, nn, F = L, L.nn, L.nn.functional
    num_workers, rollout_length, discount, gae_tau = 3, 5, 0.99, 0.95
    entropy_weight, value_loss_weight, gradient_clip = 0.01, 1.0, 0.5
    with Out() as o:
        d.random_seed(4)
        task = Task(num_workers, 4)
        network = d.CategoricalActorCriticNet(4, 3, d.FCBody(4, (16,), gate=F.tanh))
        optimizer = torch.optim.RMSprop(network.parameters(), 0.001)
        states = task.reset()
        for it in range(3):
            storage = Storage(rollout_length)
            for _ in range(rollout_length):
                prediction = network(states)
                next_states, rewards, terminals, info = task.step(d.to_np(prediction['action']))
                storage.feed(prediction)
                storage.feed({'reward': d.tensor(rewards).unsqueeze(-1),
                              'mask': d.tensor(1 - terminals).unsqueeze(-1)})
                states = next_states
            prediction = network(states)
            storage.feed(prediction)
            storage.placeholder()

            advantages = d.tensor(np.zeros((num_workers, 1)))
            returns = prediction['v'].detach()
            for i in reversed(range(rollout_length)):
                returns = storage.reward[i] + discount * storage.mask[i] * returns
                td_error = storage.reward[i] + discount * storage.mask[i] * storage.v[i + 1] - storage.v[i]
                advantages = advantages * gae_tau * discount * storage.mask[i] + td_error
                storage.advantage[i] = advantages.detach()
                storage.ret[i] = returns.detach()

            entries = storage.extract(['log_pi_a', 'v', 'ret', 'advantage', 'entropy'], torch)
            policy_loss = -(entries.log_pi_a * entries.advantage).mean()
            value_loss = 0.5 * (entries.ret - entries.v).pow(2).mean()
            entropy_loss = entries.entropy.mean()

            optimizer.zero_grad()
            (policy_loss - entropy_weight * entropy_loss +
             value_loss_weight * value_loss).backward()
            norm = nn.utils.clip_grad_norm_(network.parameters(), gradient_clip)
            optimizer.step()
            o.print('it %d policy %.4f value %.4f entropy %.4f norm %.4f' % (
                it, policy_loss.item(), value_loss.item(), entropy_loss.item(), norm.item()))
        o.vals += [entries.advantage, entries.ret, entries.log_pi_a] + \
            [p.detach() for p in network.parameters()]
    return o.done()


def ppo(L):
    """PPO on a continuous task: GaussianActorCriticNet with FCBody actor and critic bodies,
    Adam(eps=1e-5), GAE, advantages normalised with .std(), random_sample minibatches, the
    clipped ratio objective and clip_grad_norm_."""
    d = deeprl(L)
    torch, nn, F = L, L.nn, L.nn.functional
    num_workers, rollout_length, discount, gae_tau = 2, 6, 0.99, 0.95
    ppo_ratio_clip, entropy_weight, gradient_clip = 0.2, 0.01, 0.5
    optimization_epochs, mini_batch_size = 3, 5
    with Out() as o:
        d.random_seed(5)
        task = Task(num_workers, 3)
        network = d.GaussianActorCriticNet(
            3, 2, actor_body=d.FCBody(3, (8, 8), gate=F.tanh),
            critic_body=d.FCBody(3, (8, 8), gate=F.tanh))
        opt = torch.optim.Adam(network.parameters(), 3e-4, eps=1e-5)
        states = task.reset()
        for it in range(2):
            storage = Storage(rollout_length)
            for _ in range(rollout_length):
                prediction = network(states)
                next_states, rewards, terminals, info = task.step(d.to_np(prediction['action']))
                storage.feed(prediction)
                storage.feed({'reward': d.tensor(rewards).unsqueeze(-1),
                              'mask': d.tensor(1 - terminals).unsqueeze(-1),
                              'state': d.tensor(states)})
                states = next_states
            prediction = network(states)
            storage.feed(prediction)
            storage.placeholder()

            advantages = d.tensor(np.zeros((num_workers, 1)))
            returns = prediction['v'].detach()
            for i in reversed(range(rollout_length)):
                returns = storage.reward[i] + discount * storage.mask[i] * returns
                td_error = storage.reward[i] + discount * storage.mask[i] * storage.v[i + 1] - storage.v[i]
                advantages = advantages * gae_tau * discount * storage.mask[i] + td_error
                storage.advantage[i] = advantages.detach()
                storage.ret[i] = returns.detach()

            entries = storage.extract(['state', 'action', 'log_pi_a', 'ret', 'advantage'], torch)
            EntryCLS = entries.__class__
            entries = EntryCLS(*list(map(lambda x: x.detach(), entries)))
            entries.advantage.copy_((entries.advantage - entries.advantage.mean()) / entries.advantage.std())

            for _ in range(optimization_epochs):
                sampler = random_sample(np.arange(entries.state.size(0)), mini_batch_size)
                for batch_indices in sampler:
                    batch_indices = d.tensor(batch_indices).long()
                    entry = EntryCLS(*list(map(lambda x: x[batch_indices], entries)))
                    prediction = network(entry.state, entry.action)
                    ratio = (prediction['log_pi_a'] - entry.log_pi_a).exp()
                    obj = ratio * entry.advantage
                    obj_clipped = ratio.clamp(1.0 - ppo_ratio_clip,
                                              1.0 + ppo_ratio_clip) * entry.advantage
                    policy_loss = -torch.min(obj, obj_clipped).mean() - entropy_weight * prediction['entropy'].mean()
                    value_loss = 0.5 * (entry.ret - prediction['v']).pow(2).mean()
                    opt.zero_grad()
                    (policy_loss + value_loss).backward()
                    nn.utils.clip_grad_norm_(network.parameters(), gradient_clip)
                    opt.step()
            o.print('it %d policy %.4f value %.4f ratio %.4f' % (
                it, policy_loss.item(), value_loss.item(), ratio.mean().item()), len(batch_indices))
        o.vals += [entries.advantage, entries.ret, entries.log_pi_a, ratio] + \
            [p.detach() for p in network.parameters()]
    return o.done()


def option_critic(L):
    """Option-Critic: OptionCriticNet, sample_option (scatter_, an index_put of ones, two
    Categorical(probs=...)), the rollout with Storage's extra keys, the q / pi / beta losses.
    torch.where with the repo's uint8 is_initial_states condition first (an error in
    PyTorch 2.x), then with it as bool."""
    d = deeprl(L)
    torch, nn = L, L.nn
    num_workers, rollout_length, discount, num_options = 3, 4, 0.99, 2
    entropy_weight, termination_regularizer, gradient_clip, target_freq = 0.01, 0.01, 5, 3
    with Out() as o:
        d.random_seed(6)
        task = Task(num_workers, 4)
        network_fn = lambda: d.OptionCriticNet(d.FCBody(4, (16,)), 3, num_options)
        network, target_network = network_fn(), network_fn()
        target_network.load_state_dict(network.state_dict())
        optimizer = torch.optim.RMSprop(network.parameters(), 0.001)
        worker_index = d.tensor(np.arange(num_workers)).long()
        states = task.reset()
        is_initial_states = d.tensor(np.ones((num_workers))).byte()
        prev_options = is_initial_states.clone().long()
        total_steps = 0

        def sample_option(prediction, epsilon, prev_option, is_intial_states):
            with torch.no_grad():
                q_option = prediction['q']
                pi_option = torch.zeros_like(q_option).add(epsilon / q_option.size(1))
                greedy_option = q_option.argmax(dim=-1, keepdim=True)
                prob = 1 - epsilon + epsilon / q_option.size(1)
                prob = torch.zeros_like(pi_option).add(prob)
                pi_option.scatter_(1, greedy_option, prob)

                mask = torch.zeros_like(q_option)
                mask[worker_index, prev_option] = 1
                beta = prediction['beta']
                pi_hat_option = (1 - beta) * mask + beta * pi_option

                dist = torch.distributions.Categorical(probs=pi_option)
                options = dist.sample()
                dist = torch.distributions.Categorical(probs=pi_hat_option)
                options_hat = dist.sample()
                o.tryit(lambda: torch.where(is_intial_states, options, options_hat))
                options = torch.where(is_intial_states.bool(), options, options_hat)
            return options

        storage = Storage(rollout_length, ['beta', 'option', 'beta_advantage', 'prev_option',
                                           'init_state', 'eps'])
        for _ in range(rollout_length):
            prediction = network(states)
            epsilon = d.tensor(np.full((num_workers, 1), 0.1))
            options = sample_option(prediction, epsilon, prev_options, is_initial_states)
            prediction['pi'] = prediction['pi'][worker_index, options]
            prediction['log_pi'] = prediction['log_pi'][worker_index, options]
            dist = torch.distributions.Categorical(probs=prediction['pi'])
            actions = dist.sample()
            entropy = dist.entropy()

            next_states, rewards, terminals, info = task.step(d.to_np(actions))
            storage.feed(prediction)
            storage.feed({'reward': d.tensor(rewards).unsqueeze(-1),
                          'mask': d.tensor(1 - terminals).unsqueeze(-1),
                          'option': options.unsqueeze(-1),
                          'prev_option': prev_options.unsqueeze(-1),
                          'entropy': entropy.unsqueeze(-1),
                          'action': actions.unsqueeze(-1),
                          'init_state': is_initial_states.unsqueeze(-1).float(),
                          'eps': epsilon})
            is_initial_states = d.tensor(terminals).byte()
            prev_options = options
            states = next_states
            total_steps += num_workers
            if total_steps // num_workers % target_freq == 0:
                target_network.load_state_dict(network.state_dict())

        with torch.no_grad():
            prediction = target_network(states)
            storage.placeholder()
            betas = prediction['beta'][worker_index, prev_options]
            ret = (1 - betas) * prediction['q'][worker_index, prev_options] + \
                betas * torch.max(prediction['q'], dim=-1)[0]
            ret = ret.unsqueeze(-1)

        for i in reversed(range(rollout_length)):
            ret = storage.reward[i] + discount * storage.mask[i] * ret
            adv = ret - storage.q[i].gather(1, storage.option[i])
            storage.ret[i] = ret
            storage.advantage[i] = adv
            v = storage.q[i].max(dim=-1, keepdim=True)[0] * (1 - storage.eps[i]) + \
                storage.q[i].mean(-1).unsqueeze(-1) * storage.eps[i]
            q = storage.q[i].gather(1, storage.prev_option[i])
            storage.beta_advantage[i] = q - v + termination_regularizer

        entries = storage.extract(['q', 'beta', 'log_pi', 'ret', 'advantage', 'beta_advantage',
                                   'entropy', 'option', 'action', 'init_state', 'prev_option'], torch)
        q_loss = (entries.q.gather(1, entries.option) - entries.ret.detach()).pow(2).mul(0.5).mean()
        pi_loss = -(entries.log_pi.gather(1, entries.action) * entries.advantage.detach()) - \
            entropy_weight * entries.entropy
        pi_loss = pi_loss.mean()
        beta_loss = (entries.beta.gather(1, entries.prev_option) * entries.beta_advantage.detach() *
                     (1 - entries.init_state)).mean()
        optimizer.zero_grad()
        (pi_loss + q_loss + beta_loss).backward()
        norm = nn.utils.clip_grad_norm_(network.parameters(), gradient_clip)
        optimizer.step()
        o.print('q %.4f pi %.4f beta %.4f norm %.4f' % (q_loss.item(), pi_loss.item(),
                                                      beta_loss.item(), norm.item()))
        o.print(entries.option.dtype, entries.init_state.dtype, is_initial_states.dtype)
        o.vals += [entries.option, entries.action, entries.ret, entries.beta_advantage,
                   entries.init_state] + [p.detach() for p in network.parameters()]
    return o.done()
