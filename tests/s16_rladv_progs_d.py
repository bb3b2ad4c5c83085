"""higgsfield's RL-Adventure-2, part 1: A2C and GAE + PPO, the SubprocVecEnv replaced by a
few Gymnasium CartPole-v1 / Pendulum-v1 envs stepped in a loop, as ``prog(L) -> (printed,
values)`` for tests/test_programs_s16_rladv.py."""

import numpy as np
from s16_rladv_progs import Rec


class Envs:
    """The notebooks' SubprocVecEnv, in process: step(actions) -> stacked (obs, reward, done,
    info), resetting an env that finished."""

    def __init__(self, name, n, seed):
        import gymnasium as gym
        self.envs = [gym.make(name) for _ in range(n)]
        self.seed = seed

    def reset(self):
        return np.stack([e.reset(seed=self.seed + i)[0] for i, e in enumerate(self.envs)])

    def step(self, actions):
        obs, rews, dones = [], [], []
        for e, a in zip(self.envs, actions):
            o, r, term, trunc, _ = e.step(a)
            if term or trunc:
                o = e.reset()[0]
            obs.append(o); rews.append(r); dones.append(term or trunc)
        return np.stack(obs), np.array(rews), np.array(dones), {}

    def close(self):
        for e in self.envs:
            e.close()


def init_weights(L):
    nn = L.nn

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0., std=0.1)
            nn.init.constant_(m.bias, 0.1)
    return init


def a2c(L):
    """1.actor-critic: Categorical from a Softmax actor, n-step returns, the (broadcasting)
    actor loss, entropy bonus, Adam; on 3 CartPole-v1 envs."""
    nn = L.nn
    from_dist = L.distributions.Categorical
    rec = Rec()
    use_cuda = L.cuda.is_available()
    device = L.device("cuda" if use_cuda else "cpu")
    rec(lambda: device)

    class ActorCritic(nn.Module):
        def __init__(self, num_inputs, num_outputs, hidden_size, std=0.0):
            super(ActorCritic, self).__init__()
            self.critic = nn.Sequential(nn.Linear(num_inputs, hidden_size), nn.ReLU(),
                                        nn.Linear(hidden_size, 1))
            self.actor = nn.Sequential(nn.Linear(num_inputs, hidden_size), nn.ReLU(),
                                       nn.Linear(hidden_size, num_outputs), nn.Softmax(dim=1))

        def forward(self, x):
            value = self.critic(x)
            probs = self.actor(x)
            dist = from_dist(probs)
            return dist, value

    def compute_returns(next_value, rewards, masks, gamma=0.99):
        R = next_value
        returns = []
        for step in reversed(range(len(rewards))):
            R = rewards[step] + gamma * R * masks[step]
            returns.insert(0, R)
        return returns

    L.manual_seed(0)
    envs = Envs("CartPole-v1", 3, 0)
    model = ActorCritic(4, 2, 16).to(device)
    rec(lambda: model)
    optimizer = L.optim.Adam(model.parameters())
    state = envs.reset()
    for frame in range(3):
        log_probs, values, rewards, masks = [], [], [], []
        entropy = 0
        for _ in range(5):
            state = L.FloatTensor(state).to(device)
            dist, value = model(state)
            action = dist.sample()
            next_state, reward, done, _ = envs.step(action.cpu().numpy())
            log_prob = dist.log_prob(action)
            entropy += dist.entropy().mean()
            log_probs.append(log_prob)
            values.append(value)
            rewards.append(L.FloatTensor(reward).unsqueeze(1).to(device))
            masks.append(L.FloatTensor(1 - done).unsqueeze(1).to(device))
            state = next_state
        next_state = L.FloatTensor(next_state).to(device)
        _, next_value = model(next_state)
        returns = compute_returns(next_value, rewards, masks)
        log_probs = L.cat(log_probs)
        returns = L.cat(returns).detach()
        values = L.cat(values)
        advantage = returns - values
        actor_loss = -(log_probs * advantage.detach()).mean()
        critic_loss = advantage.pow(2).mean()
        loss = actor_loss + 0.5 * critic_loss - 0.001 * entropy
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        rec(lambda: (tuple(log_probs.shape), tuple(advantage.shape),
                     tuple((log_probs * advantage.detach()).shape), str(returns.dtype),
                     str(masks[0].dtype), str(rewards[0].dtype)))
        rec.vals += [loss.detach(), actor_loss.detach(), critic_loss.detach(), entropy.detach(),
                     returns]
    envs.close()
    rec.vals += [p.detach().clone() for p in model.parameters()]
    # the forms around it
    d = from_dist(L.tensor([[0.2, 0.8], [0.5, 0.5]]))
    rec(lambda: d)
    rec(lambda: d.log_prob(L.tensor([1, 0])))
    rec(lambda: d.log_prob(L.tensor([[1], [0]])))
    rec(lambda: d.log_prob(L.tensor([1.0, 0.0])))
    rec(lambda: d.log_prob(L.tensor([2, 0])))
    rec(lambda: d.entropy())
    rec(lambda: from_dist(L.tensor([[0.2, 0.9]])).probs)
    rec(lambda: from_dist(L.tensor([[0.2, -0.8]])))
    rec(lambda: from_dist(L.tensor([0.2, 0.8]), validate_args=True).sample((2, 3)).shape)
    rec(lambda: from_dist(logits=L.tensor([0.2, 0.8])).logits)
    rec(lambda: L.FloatTensor(1 - np.array([True, False])))
    rec(lambda: L.FloatTensor(np.array([True, False])))
    rec(lambda: L.FloatTensor(np.array([1.0, 2.0])).dtype)
    rec(lambda: L.cat([L.ones(2, 1), L.ones(2)]))
    rec(lambda: L.cat(L.ones(2)))
    rec(lambda: L.cat([]))
    rec(lambda: 0 + L.ones(1, requires_grad=True).mean())
    return rec.done()


def gae_ppo(L):
    """2.gae and 3.ppo (continuous, Pendulum-v1): Normal with a log_std Parameter, GAE,
    ppo_iter minibatches from np.random.randint, clipped surrogate."""
    nn = L.nn
    Normal = L.distributions.Normal
    rec = Rec()
    device = L.device("cpu")

    class ActorCritic(nn.Module):
        def __init__(self, num_inputs, num_outputs, hidden_size, std=0.0):
            super(ActorCritic, self).__init__()
            self.critic = nn.Sequential(nn.Linear(num_inputs, hidden_size), nn.ReLU(),
                                        nn.Linear(hidden_size, 1))
            self.actor = nn.Sequential(nn.Linear(num_inputs, hidden_size), nn.ReLU(),
                                       nn.Linear(hidden_size, num_outputs))
            self.log_std = nn.Parameter(L.ones(1, num_outputs) * std)
            self.apply(init_weights(L))

        def forward(self, x):
            value = self.critic(x)
            mu = self.actor(x)
            std = self.log_std.exp().expand_as(mu)
            dist = Normal(mu, std)
            return dist, value

    def compute_gae(next_value, rewards, masks, values, gamma=0.99, tau=0.95):
        values = values + [next_value]
        gae = 0
        returns = []
        for step in reversed(range(len(rewards))):
            delta = rewards[step] + gamma * values[step + 1] * masks[step] - values[step]
            gae = delta + gamma * tau * masks[step] * gae
            returns.insert(0, gae + values[step])
        return returns

    def ppo_iter(mini_batch_size, states, actions, log_probs, returns, advantage):
        batch_size = states.size(0)
        for _ in range(batch_size // mini_batch_size):
            rand_ids = np.random.randint(0, batch_size, mini_batch_size)
            yield states[rand_ids, :], actions[rand_ids, :], log_probs[rand_ids, :], \
                returns[rand_ids, :], advantage[rand_ids, :]

    def ppo_update(ppo_epochs, mini_batch_size, states, actions, log_probs, returns, advantages,
                   clip_param=0.2):
        for _ in range(ppo_epochs):
            for state, action, old_log_probs, return_, advantage in ppo_iter(
                    mini_batch_size, states, actions, log_probs, returns, advantages):
                dist, value = model(state)
                entropy = dist.entropy().mean()
                new_log_probs = dist.log_prob(action)
                ratio = (new_log_probs - old_log_probs).exp()
                surr1 = ratio * advantage
                surr2 = L.clamp(ratio, 1.0 - clip_param, 1.0 + clip_param) * advantage
                actor_loss = - L.min(surr1, surr2).mean()
                critic_loss = (return_ - value).pow(2).mean()
                loss = 0.5 * critic_loss + actor_loss - 0.001 * entropy
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                rec.vals.append(L.stack([loss, actor_loss, critic_loss, entropy]).detach())

    L.manual_seed(1)
    np.random.seed(1)
    envs = Envs("Pendulum-v1", 2, 10)
    model = ActorCritic(3, 1, 16).to(device)
    rec(lambda: [(n, tuple(p.shape)) for n, p in model.named_parameters()])
    rec.vals += [p.detach().clone() for p in model.parameters()]
    optimizer = L.optim.Adam(model.parameters(), lr=3e-4)
    state = envs.reset()
    for frame in range(2):
        log_probs, values, states, actions, rewards, masks = [], [], [], [], [], []
        entropy = 0
        for _ in range(8):
            state = L.FloatTensor(state).to(device)
            dist, value = model(state)
            action = dist.sample()
            next_state, reward, done, _ = envs.step(action.cpu().numpy())
            log_prob = dist.log_prob(action)
            entropy += dist.entropy().mean()
            log_probs.append(log_prob)
            values.append(value)
            rewards.append(L.FloatTensor(reward).unsqueeze(1).to(device))
            masks.append(L.FloatTensor(1 - done).unsqueeze(1).to(device))
            states.append(state)
            actions.append(action)
            state = next_state
        next_state = L.FloatTensor(next_state).to(device)
        _, next_value = model(next_state)
        returns = compute_gae(next_value, rewards, masks, values)
        returns = L.cat(returns).detach()
        log_probs = L.cat(log_probs).detach()
        values = L.cat(values).detach()
        states = L.cat(states)
        actions = L.cat(actions)
        advantage = returns - values
        rec(lambda: (tuple(returns.shape), tuple(log_probs.shape), tuple(actions.shape),
                     str(actions.dtype), returns.requires_grad, actions.requires_grad))
        rec.vals += [returns, advantage]
        ppo_update(2, 4, states, actions, log_probs, returns, advantage)
    envs.close()
    rec.vals += [p.detach().clone() for p in model.parameters()]
    n = Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, 0.5]))
    rec(lambda: n)
    rec(lambda: n.log_prob(L.tensor([0.5, 0.5])))
    rec(lambda: n.entropy())
    rec(lambda: Normal(L.tensor([0.0]), L.tensor([-1.0])))
    rec(lambda: Normal(L.tensor([0.0]), L.tensor([0.0]), validate_args=False).log_prob(L.tensor([1.0])))
    rec(lambda: Normal(0, 1).sample())
    rec(lambda: Normal(0., 1.).log_prob(0.5))
    rec(lambda: Normal(L.zeros(2, 1), L.ones(2, 1)).log_prob(L.zeros(2)))
    rec(lambda: Normal(L.zeros(2, 1), L.ones(2, 1)).log_prob(L.zeros(3)))
    rec(lambda: L.ones(4, 1)[np.random.randint(0, 4, 2), :])
    rec(lambda: L.ones(4)[np.random.randint(0, 4, 2), :])
    rec(lambda: L.min(L.ones(2, 1), L.zeros(2)))
    rec(lambda: L.clamp(L.tensor([0.5, 1.5]), 0.8, 1.2))
    return rec.done()
