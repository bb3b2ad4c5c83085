"""higgsfield's RL-Adventure-2 (session 18), the parts tests/s16_rladv_progs_d/e.py leave
out: 3.ppo's test_env and its expert-trajectory recording (``dist.sample().cpu().numpy()[0]``,
``np.hstack([state, action])``, np.save / np.load), then 8.gail's whole loop: rewards from
the discriminator instead of the env, GAE, PPO updates every few iterations, and the
discriminator's BCE step against expert state-actions. Gym's Pendulum is a hand-written
NumPy step function (same dynamics), the SubprocVecEnv a loop over a few of them."""

import io
from itertools import count

import numpy as np
from s16_rladv_progs import Rec


class Pendulum:
    """Pendulum-v0's dynamics in NumPy: obs (cos, sin, thdot), a 1-d torque, 10 steps."""

    def __init__(self, seed, horizon=10):
        self.rng = np.random.RandomState(seed)
        self.horizon = horizon

    def reset(self):
        self.th, self.thdot = self.rng.uniform([-np.pi, -1.0], [np.pi, 1.0])
        self.t = 0
        return self._obs()

    def _obs(self):
        return np.array([np.cos(self.th), np.sin(self.th), self.thdot])

    def step(self, u):
        u = np.clip(u, -2.0, 2.0)[0]
        th_n = ((self.th + np.pi) % (2 * np.pi)) - np.pi
        cost = th_n ** 2 + .1 * self.thdot ** 2 + .001 * (u ** 2)
        self.thdot = np.clip(self.thdot + (-3 * 10. / 2 * np.sin(self.th + np.pi) + 3. * u) * .05, -8, 8)
        self.th = self.th + self.thdot * .05
        self.t += 1
        return self._obs(), -cost, self.t >= self.horizon, {}


class Envs:
    def __init__(self, n, seed):
        self.envs = [Pendulum(seed + i) for i in range(n)]

    def reset(self):
        return np.stack([e.reset() for e in self.envs])

    def step(self, actions):
        obs, rews, dones = [], [], []
        for e, a in zip(self.envs, actions):
            o, r, d, _ = e.step(a)
            if d:
                o = e.reset()
            obs.append(o); rews.append(r); dones.append(d)
        return np.stack(obs), np.array(rews), np.array(dones), {}


def _nets(L):
    nn, F = L.nn, L.nn.functional
    Normal = L.distributions.Normal

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0., std=0.1)
            nn.init.constant_(m.bias, 0.1)

    class ActorCritic(nn.Module):
        def __init__(self, num_inputs, num_outputs, hidden_size, std=0.0):
            super(ActorCritic, self).__init__()
            self.critic = nn.Sequential(nn.Linear(num_inputs, hidden_size), nn.ReLU(),
                                        nn.Linear(hidden_size, 1))
            self.actor = nn.Sequential(nn.Linear(num_inputs, hidden_size), nn.ReLU(),
                                       nn.Linear(hidden_size, num_outputs))
            self.log_std = nn.Parameter(L.ones(1, num_outputs) * std)
            self.apply(init_weights)

        def forward(self, x):
            value = self.critic(x)
            mu = self.actor(x)
            std = self.log_std.exp().expand_as(mu)
            dist = Normal(mu, std)
            return dist, value

    class Discriminator(nn.Module):
        def __init__(self, num_inputs, hidden_size):
            super(Discriminator, self).__init__()
            self.linear1 = nn.Linear(num_inputs, hidden_size)
            self.linear2 = nn.Linear(hidden_size, hidden_size)
            self.linear3 = nn.Linear(hidden_size, 1)
            self.linear3.weight.data.mul_(0.1)
            self.linear3.bias.data.mul_(0.0)

        def forward(self, x):
            x = F.tanh(self.linear1(x))
            x = F.tanh(self.linear2(x))
            prob = F.sigmoid(self.linear3(x))
            return prob

    return ActorCritic, Discriminator


def ppo_expert_gail(L):
    nn = L.nn
    Variable = L.autograd.Variable
    rec = Rec()
    use_cuda = L.cuda.is_available()
    device = L.device("cuda" if use_cuda else "cpu")
    ActorCritic, Discriminator = _nets(L)
    num_envs, num_steps, mini_batch_size = 2, 5, 5

    L.manual_seed(41)
    np.random.seed(41)
    env = Pendulum(41)
    model = ActorCritic(3, 1, 16).to(device)

    def test_env(vis=False):
        state = env.reset()
        done = False
        total_reward = 0
        while not done:
            state = L.FloatTensor(state).unsqueeze(0).to(device)
            dist, _ = model(state)
            next_state, reward, done, _ = env.step(dist.sample().cpu().numpy()[0])
            state = next_state
            total_reward += reward
        return total_reward

    rec(lambda: round(float(test_env()), 4))
    test_reward = np.mean([test_env() for _ in range(2)])
    rec(lambda: type(test_reward).__name__)
    rec.vals.append(np.float32(test_reward))

    # 3.ppo: "Saving trajectories for GAIL"
    max_expert_num = 24
    num_steps_seen = 0
    expert_traj = []
    for i_episode in count():
        state = env.reset()
        done = False
        total_reward = 0
        while not done:
            state = L.FloatTensor(state).unsqueeze(0).to(device)
            dist, _ = model(state)
            action = dist.sample().cpu().numpy()[0]
            next_state, reward, done, _ = env.step(action)
            state = next_state
            total_reward += reward
            expert_traj.append(np.hstack([state, action]))
            num_steps_seen += 1
        rec(lambda: ("episode:", i_episode, "reward:", round(float(total_reward), 4)), keep=False)
        if num_steps_seen >= max_expert_num:
            break
    expert_traj = np.stack(expert_traj)
    rec(lambda: (expert_traj.shape, expert_traj.dtype), keep=False)
    rec.vals.append(expert_traj)
    f = io.BytesIO()
    np.save(f, expert_traj)
    f.seek(0)
    expert_traj = np.load(f)

    # 8.gail
    envs = Envs(num_envs, 50)
    model = ActorCritic(3, 1, 16).to(device)
    discriminator = Discriminator(4, 16).to(device)
    discrim_criterion = nn.BCELoss()
    optimizer = L.optim.Adam(model.parameters(), lr=3e-3)
    optimizer_discrim = L.optim.Adam(discriminator.parameters(), lr=3e-3)

    def expert_reward(state, action):
        state = state.cpu().numpy()
        state_action = L.FloatTensor(np.concatenate([state, action], 1)).to(device)
        return -np.log(discriminator(state_action).cpu().data.numpy())

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
                rec.vals.append(loss.detach())

    state = envs.reset()
    for i_update in range(3):
        log_probs, values, states, actions, rewards, masks = [], [], [], [], [], []
        entropy = 0
        for _ in range(num_steps):
            state = L.FloatTensor(state).to(device)
            dist, value = model(state)
            action = dist.sample()
            next_state, reward, done, _ = envs.step(action.cpu().numpy())
            reward = expert_reward(state, action.cpu().numpy())
            log_prob = dist.log_prob(action)
            entropy += dist.entropy().mean()
            log_probs.append(log_prob)
            values.append(value)
            rewards.append(L.FloatTensor(reward).to(device))
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
        rec(lambda: (tuple(returns.shape), str(masks[0].dtype), str(rewards[0].dtype),
                     entropy.requires_grad), keep=False)
        rec.vals += [returns, advantage, entropy.detach()]
        if i_update % 2 == 0:
            ppo_update(2, mini_batch_size, states, actions, log_probs, returns, advantage)
        expert_state_action = expert_traj[np.random.randint(0, expert_traj.shape[0], 2 * num_steps * num_envs), :]
        expert_state_action = L.FloatTensor(expert_state_action).to(device)
        state_action = L.cat([states, actions], 1)
        fake = discriminator(state_action)
        real = discriminator(expert_state_action)
        optimizer_discrim.zero_grad()
        discrim_loss = discrim_criterion(fake, Variable(L.ones((states.shape[0], 1))).to(device)) + \
            discrim_criterion(real, Variable(L.zeros((expert_state_action.size(0), 1)).to(device)))
        discrim_loss.backward()
        optimizer_discrim.step()
        rec(lambda: round(discrim_loss.item(), 4), keep=False)
        rec.vals += [discrim_loss.detach(), fake.detach(), real.detach()]
    rec.vals += [p.detach().clone() for p in model.parameters()]
    rec.vals += [p.detach().clone() for p in discriminator.parameters()]
    rec(lambda: L.FloatTensor(1 - np.array([True, False])))
    rec(lambda: L.FloatTensor(np.array([1, 0])))
    rec(lambda: L.FloatTensor(np.array([[0.5]], dtype=np.float32)).to(device))
    rec(lambda: Variable(L.ones((2, 1))).to(device))
    rec(lambda: model(L.FloatTensor(np.zeros(3)).unsqueeze(0))[0].sample().cpu().numpy()[0].shape)
    rec(lambda: np.hstack([np.zeros(3), L.ones(1).numpy()]).dtype)
    rec(lambda: np.hstack([np.zeros(3, dtype=np.float32), L.ones(1)]))
    return rec.done()


def logging_idioms(L):
    """How the notebooks' loops log and act: losses.append(loss.item()) / loss.data, the
    plot titles' '%s' % np.mean(rewards[-10:]), an action tensor indexing NumPy, Python's
    round / max / sum over 0-d tensors, np.float32 of a tensor, legacy integer tensors'
    arithmetic (``1 - done``)."""
    F = L.nn.functional
    rec = Rec()
    L.manual_seed(0)
    w = L.randn(3, requires_grad=True)
    loss, l2 = (w * 2).sum(), (w * 3).sum()
    a = L.tensor(2)
    for f in (lambda: np.array([1, 2, 3])[a], lambda: np.array([1, 2, 3])[L.tensor([2])],
              lambda: [10, 20, 30][a], lambda: np.array([loss, l2]),
              lambda: np.array([loss.detach(), l2.detach()]),
              lambda: np.mean([loss.detach(), l2.detach()]),
              lambda: np.mean([L.tensor(1.0), L.tensor(2.0)]), lambda: np.mean([loss, l2]),
              lambda: '%.4f' % loss, lambda: '{:.4f}'.format(loss), lambda: f"{loss:.2e}",
              lambda: f"{L.ones(2)}", lambda: '{:.4f}'.format(L.ones(2)),
              lambda: '%s' % L.tensor(1.5), lambda: '%d' % L.tensor(3), lambda: '%d' % L.tensor(3.7),
              lambda: 'frame %s. reward: %s' % (5, np.mean([L.tensor(1.0), L.tensor(3.0)])),
              lambda: L.tensor([1.0, 2.0]).max(0)[1].data[0], lambda: np.float32(L.tensor(1.5)),
              lambda: np.float32(L.ones(2)), lambda: np.int64(L.tensor([3])),
              lambda: round(L.tensor(1.256), 2), lambda: round(L.tensor(1.256)),
              lambda: L.FloatTensor([np.float64(1.5)]), lambda: L.FloatTensor([loss.detach()]),
              lambda: L.FloatTensor([loss]), lambda: L.tensor([loss, l2]), lambda: L.stack([loss, l2]),
              lambda: sum([loss, l2]), lambda: max(L.tensor(1.0), L.tensor(2.0)),
              lambda: np.random.RandomState(0).choice(
                  3, p=F.softmax(L.tensor([1.0, 2.0, 3.0]), dim=0).detach().numpy()),
              lambda: np.clip(L.tensor([1.0, 3.0]).numpy(), 0, 2),
              lambda: L.tensor([1.0]) + np.float64(2.0), lambda: np.float64(2.0) + L.tensor([1.0]),
              lambda: np.float32(2.0) - L.tensor([1.0]),
              lambda: L.ones(2, dtype=L.int64) * 0.5, lambda: L.LongTensor([1, 2]) / 2,
              lambda: L.LongTensor([1, 2]) // 2, lambda: L.ByteTensor([1, 2]) - 3,
              lambda: 1 - L.ByteTensor([1, 0]), lambda: 1 - L.BoolTensor([True, False]),
              lambda: ~L.BoolTensor([True, False]), lambda: L.tensor([True, False]).float()):
        rec(f)
    return rec.done()
