"""Maxim Lapan, "Deep Reinforcement Learning Hands-On" (2nd edition), PacktPublishing/
Deep-Reinforcement-Learning-Hands-On-Second-Edition, as users type them, scaled down: the
Gym environments and ptan replaced by small hand-written stand-ins (NumPy-seeded random
observations, a few fixed transitions), the models and losses as the book writes them, as
``prog(L) -> (printed, values)`` for tests/test_programs_s19_lapan.py. This file:
Chapter04 (cross-entropy method) and Chapter06 (DQN on Pong frames)."""

import collections
from collections import namedtuple

import numpy as np
from s16_yunjey_progs import Out


class _CartPole:
    """CartPole stand-in: 4-float observations, 2 actions, episodes of 3..9 steps, reward 1
    a step, driven by its own NumPy generator (the book's env.reset() / env.step())."""

    def __init__(self, seed, obs_size=4, n_actions=2):
        self.rng = np.random.RandomState(seed)
        self.obs_size, self.n_actions = obs_size, n_actions

    def reset(self):
        self.left = int(self.rng.randint(3, 10))
        return self.rng.uniform(-0.05, 0.05, self.obs_size).astype(np.float32), {}

    def step(self, action):
        self.left -= 1
        obs = self.rng.uniform(-1, 1, self.obs_size).astype(np.float32) + 0.1 * action
        return obs.astype(np.float32), 1.0, self.left <= 0, False, {}


def cartpole_cross_entropy(L):
    """Chapter04/01_cartpole.py: Net, iterate_batches with nn.Softmax(dim=0) and
    np.random.choice, filter_batch with np.percentile, torch.FloatTensor(list of arrays)."""
    nn, optim = L.nn, L.optim
    HIDDEN_SIZE, BATCH_SIZE, PERCENTILE = 16, 6, 70
    with Out() as o:
        L.manual_seed(0); np.random.seed(0)

        class Net(nn.Module):
            def __init__(self, obs_size, hidden_size, n_actions):
                super(Net, self).__init__()
                self.net = nn.Sequential(
                    nn.Linear(obs_size, hidden_size),
                    nn.ReLU(),
                    nn.Linear(hidden_size, n_actions)
                )

            def forward(self, x):
                return self.net(x)

        Episode = namedtuple('Episode', field_names=['reward', 'steps'])
        EpisodeStep = namedtuple('EpisodeStep', field_names=['observation', 'action'])

        def iterate_batches(env, net, batch_size):
            batch = []
            episode_reward = 0.0
            episode_steps = []
            obs = env.reset()
            obs = obs[0]
            sm = nn.Softmax(dim=0)
            while True:
                obs_v = L.FloatTensor(obs)
                out = net(obs_v)
                act_probs_v = sm(out)
                act_probs = act_probs_v.data.numpy()
                action = np.random.choice(len(act_probs), p=act_probs)
                next_obs, reward, is_done, truncated, info = env.step(action)
                episode_reward += reward
                step = EpisodeStep(observation=obs, action=action)
                episode_steps.append(step)
                if is_done:
                    e = Episode(reward=episode_reward, steps=episode_steps)
                    batch.append(e)
                    episode_reward = 0.0
                    episode_steps = []
                    next_obs = env.reset()
                    next_obs = next_obs[0]
                    if len(batch) == batch_size:
                        yield batch
                        batch = []
                obs = next_obs

        def filter_batch(batch, percentile):
            rewards = list(map(lambda s: s.reward, batch))
            reward_bound = np.percentile(rewards, percentile)
            reward_mean = float(np.mean(rewards))
            train_obs = []
            train_act = []
            for reward, steps in batch:
                if reward < reward_bound:
                    continue
                train_obs.extend(map(lambda step: step.observation, steps))
                train_act.extend(map(lambda step: step.action, steps))
            train_obs_v = L.FloatTensor(train_obs)
            train_act_v = L.LongTensor(train_act)
            return train_obs_v, train_act_v, reward_bound, reward_mean

        env = _CartPole(1)
        net = Net(4, HIDDEN_SIZE, 2)
        o.print(net)
        objective = nn.CrossEntropyLoss()
        optimizer = optim.Adam(params=net.parameters(), lr=0.01)
        for iter_no, batch in enumerate(iterate_batches(env, net, BATCH_SIZE)):
            obs_v, acts_v, reward_b, reward_m = filter_batch(batch, PERCENTILE)
            optimizer.zero_grad()
            action_scores_v = net(obs_v)
            loss_v = objective(action_scores_v, acts_v)
            loss_v.backward()
            optimizer.step()
            o.print(f"{iter_no}: loss={loss_v.item():.4f}, reward_mean={reward_m}, "
                    f"rw_bound={reward_b}")
            o.print(obs_v.dtype, acts_v.dtype, tuple(obs_v.shape))
            o.vals += [loss_v, action_scores_v]
            if iter_no == 2:
                break
        o.tryit(lambda: L.FloatTensor([[1.0, 2.0], [3.0]]))
        o.tryit(lambda: L.LongTensor([0.5, 1.5]))
        o.tryit(lambda: objective(action_scores_v, acts_v.float()))
        o.vals += [p for p in net.parameters()]
    return o.done()


def frozenlake_one_hot(L):
    """Chapter04/02_frozenlake_naive.py and 03_frozenlake_tweaked.py: a one-hot observation
    wrapper (np.copy of a zeros box), discounted rewards (GAMMA ** len(steps)), elite
    episodes kept across iterations, the same Net and filter_batch shape."""
    nn, optim = L.nn, L.optim
    GAMMA, PERCENTILE = 0.9, 30
    with Out() as o:
        L.manual_seed(1); np.random.seed(1)
        n_states, n_actions = 16, 4
        obs_zero = np.zeros((n_states,), dtype=np.float32)

        def one_hot(s):
            res = np.copy(obs_zero)
            res[s] = 1.0
            return res

        Episode = namedtuple('Episode', field_names=['reward', 'steps'])
        EpisodeStep = namedtuple('EpisodeStep', field_names=['observation', 'action'])
        net = nn.Sequential(nn.Linear(n_states, 32), nn.ReLU(), nn.Linear(32, n_actions))
        objective = nn.CrossEntropyLoss()
        optimizer = optim.Adam(params=net.parameters(), lr=0.001)
        sm = nn.Softmax(dim=1)
        rng = np.random.RandomState(3)
        full_batch = []
        for iter_no in range(3):
            batch = []
            for _ in range(8):
                s, steps, reward = 0, [], 0.0
                for t in range(int(rng.randint(2, 6))):
                    obs = one_hot(s)
                    act_probs = sm(net(L.FloatTensor([obs]))).data.numpy()[0]
                    action = np.random.choice(len(act_probs), p=act_probs)
                    steps.append(EpisodeStep(observation=obs, action=action))
                    s = (s + action + 1) % n_states
                reward = float(s == 15 or rng.rand() < 0.4)
                batch.append(Episode(reward=reward, steps=steps))
            full_batch += batch
            disc_rewards = list(map(lambda s: s.reward * (GAMMA ** len(s.steps)), full_batch))
            reward_bound = np.percentile(disc_rewards, PERCENTILE)
            train_obs, train_act, elite_batch = [], [], []
            for example, discounted_reward in zip(full_batch, disc_rewards):
                if discounted_reward > reward_bound:
                    train_obs.extend(map(lambda step: step.observation, example.steps))
                    train_act.extend(map(lambda step: step.action, example.steps))
                    elite_batch.append(example)
            full_batch = elite_batch
            if not train_obs:
                continue
            obs_v = L.FloatTensor(train_obs)
            acts_v = L.LongTensor(train_act)
            optimizer.zero_grad()
            action_scores_v = net(obs_v)
            loss_v = objective(action_scores_v, acts_v)
            loss_v.backward()
            optimizer.step()
            o.print("%d: loss=%.3f, rw_bound=%.3f, batch=%d" % (
                iter_no, loss_v.item(), reward_bound, len(full_batch)))
            o.vals += [loss_v, obs_v]
    return o.done()


def dqn_pong(L):
    """Chapter06/lib/dqn_model.py DQN (conv out size by a zeros probe) and
    02_dqn_pong.py: ExperienceBuffer (np.random.choice without replacement),
    Agent.play_step under @torch.no_grad(), calc_loss with gather / max(1)[0] / a
    BoolTensor mask / detach, target sync (np.array(x, copy=False) written np.asarray(x),
    as NumPy 2 needs) via load_state_dict, on random uint8 frames."""
    nn, optim = L.nn, L.optim
    GAMMA, BATCH_SIZE, SYNC_TARGET_FRAMES = 0.99, 4, 3
    with Out() as o:
        L.manual_seed(2); np.random.seed(2)

        class DQN(nn.Module):
            def __init__(self, input_shape, n_actions):
                super(DQN, self).__init__()
                self.conv = nn.Sequential(
                    nn.Conv2d(input_shape[0], 32, kernel_size=8, stride=4),
                    nn.ReLU(),
                    nn.Conv2d(32, 64, kernel_size=4, stride=2),
                    nn.ReLU(),
                    nn.Conv2d(64, 64, kernel_size=3, stride=1),
                    nn.ReLU()
                )
                conv_out_size = self._get_conv_out(input_shape)
                self.fc = nn.Sequential(
                    nn.Linear(conv_out_size, 512),
                    nn.ReLU(),
                    nn.Linear(512, n_actions)
                )

            def _get_conv_out(self, shape):
                o = self.conv(L.zeros(1, *shape))
                return int(np.prod(o.size()))

            def forward(self, x):
                conv_out = self.conv(x).view(x.size()[0], -1)
                return self.fc(conv_out)

        Experience = collections.namedtuple(
            'Experience', field_names=['state', 'action', 'reward', 'done', 'new_state'])

        class ExperienceBuffer:
            def __init__(self, capacity):
                self.buffer = collections.deque(maxlen=capacity)

            def __len__(self):
                return len(self.buffer)

            def append(self, experience):
                self.buffer.append(experience)

            def sample(self, batch_size):
                indices = np.random.choice(len(self.buffer), batch_size, replace=False)
                states, actions, rewards, dones, next_states = \
                    zip(*[self.buffer[idx] for idx in indices])
                return np.array(states), np.array(actions), \
                    np.array(rewards, dtype=np.float32), \
                    np.array(dones, dtype=np.uint8), \
                    np.array(next_states)

        frames = np.random.RandomState(5).rand(12, 4, 84, 84).astype(np.float32)
        net = DQN((4, 84, 84), 6)
        tgt_net = DQN((4, 84, 84), 6)
        o.print(net)
        buffer = ExperienceBuffer(10)
        state = frames[0]

        @L.no_grad()
        def play_step(state, epsilon, i):
            if np.random.random() < epsilon:
                action = int(np.random.randint(6))
            else:
                state_a = np.asarray([state])
                state_v = L.tensor(state_a)
                q_vals_v = net(state_v)
                _, act_v = L.max(q_vals_v, dim=1)
                action = int(act_v.item())
            new_state = frames[i + 1]
            is_done = i % 4 == 3
            buffer.append(Experience(state, action, float(i % 3) - 1.0, is_done, new_state))
            return action, new_state

        def calc_loss(batch, net, tgt_net):
            states, actions, rewards, dones, next_states = batch
            states_v = L.tensor(np.asarray(states))
            next_states_v = L.tensor(np.asarray(next_states))
            actions_v = L.tensor(actions)
            rewards_v = L.tensor(rewards)
            done_mask = L.BoolTensor(dones)
            state_action_values = net(states_v).gather(
                1, actions_v.unsqueeze(-1)).squeeze(-1)
            with L.no_grad():
                next_state_values = tgt_net(next_states_v).max(1)[0]
                next_state_values[done_mask] = 0.0
                next_state_values = next_state_values.detach()
            expected_state_action_values = next_state_values * GAMMA + rewards_v
            return nn.MSELoss()(state_action_values, expected_state_action_values)

        optimizer = optim.Adam(net.parameters(), lr=1e-4)
        for frame_idx in range(8):
            action, state = play_step(state, 0.5, frame_idx)
            o.print("frame %d action %d" % (frame_idx, action))
            if len(buffer) < 5:
                continue
            if frame_idx % SYNC_TARGET_FRAMES == 0:
                tgt_net.load_state_dict(net.state_dict())
            optimizer.zero_grad()
            batch = buffer.sample(BATCH_SIZE)
            loss_t = calc_loss(batch, net, tgt_net)
            loss_t.backward()
            optimizer.step()
            o.print("loss %.4f" % loss_t.item(), loss_t.dtype, batch[3].dtype)
            o.vals += [loss_t]
        o.print(tgt_net.load_state_dict(net.state_dict()))
        o.vals += [net.fc[2].weight, net.conv[0].bias.grad]
    return o.done()
