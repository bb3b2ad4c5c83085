"""udacity/deep-reinforcement-learning as users type it, part c: reinforce/REINFORCE.ipynb
(Policy with Categorical, the discounted return times the saved log-probs), cross-entropy/
CEM.ipynb (an Agent whose weights are set from a flat NumPy vector with copy_ / view_as) and
pong-reinforce / pong-PPO's pong_utils (preprocess_batch, the conv Policy, collect_trajectories,
surrogate and clipped_surrogate), on NumPy fake environments, as ``prog(L) -> (printed,
values)`` for tests/test_programs_s17_rlrepos.py."""

import math
import random
from collections import deque

import numpy as np
from s16_yunjey_progs import Out
from s17_rlrepos_progs import FakeEnv


def reinforce(L):
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    Categorical = L.distributions.Categorical
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    with Out() as o:
        env = FakeEnv(4, n_actions=2, seed=0, dtype=np.float64)
        env.seed(0)
        o.print('observation space:', (4,))
        o.print('action space:', 2)

        class Policy(nn.Module):
            def __init__(self, s_size=4, h_size=16, a_size=2):
                super(Policy, self).__init__()
                self.fc1 = nn.Linear(s_size, h_size)
                self.fc2 = nn.Linear(h_size, a_size)

            def forward(self, x):
                x = F.relu(self.fc1(x))
                x = self.fc2(x)
                return F.softmax(x, dim=1)

            def act(self, state):
                state = torch.from_numpy(state).float().unsqueeze(0).to(device)
                probs = self.forward(state).cpu()
                m = Categorical(probs)
                action = m.sample()
                return action.item(), m.log_prob(action)

        torch.manual_seed(0)
        policy = Policy().to(device)
        optimizer = optim.Adam(policy.parameters(), lr=1e-2)

        def reinforce(n_episodes=12, max_t=50, gamma=1.0, print_every=4):
            scores_deque = deque(maxlen=100)
            scores = []
            for i_episode in range(1, n_episodes + 1):
                saved_log_probs = []
                rewards = []
                state = env.reset()
                for t in range(max_t):
                    action, log_prob = policy.act(state)
                    saved_log_probs.append(log_prob)
                    state, reward, done, _ = env.step(action)
                    rewards.append(reward)
                    if done:
                        break
                scores_deque.append(sum(rewards))
                scores.append(sum(rewards))

                discounts = [gamma ** i for i in range(len(rewards) + 1)]
                R = sum([a * b for a, b in zip(discounts, rewards)])

                policy_loss = []
                for log_prob in saved_log_probs:
                    policy_loss.append(-log_prob * R)
                policy_loss = torch.cat(policy_loss).sum()

                optimizer.zero_grad()
                policy_loss.backward()
                optimizer.step()
                o.print('loss {:.4f}'.format(policy_loss.item()))

                if i_episode % print_every == 0:
                    o.print('Episode {}\tAverage Score: {:.2f}'.format(i_episode, np.mean(scores_deque)))
                if np.mean(scores_deque) >= 195.0:
                    o.print('Environment solved in {:d} episodes!\tAverage Score: {:.2f}'.format(i_episode - 100, np.mean(scores_deque)))
                    break
            return scores

        scores = reinforce()
        o.print(scores)
        o.vals += list(policy.parameters())
    return o.done()


def cem(L):
    torch, nn, F = L, L.nn, L.nn.functional
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    with Out() as o:
        env = FakeEnv(2, act_dim=1, seed=101, max_len=(10, 20))
        env.seed(101)
        np.random.seed(101)
        o.print('observation space:', (2,))
        o.print('action space:', (1,))
        o.print('  - low:', np.array([-1.], dtype=np.float32))
        o.print('  - high:', np.array([1.], dtype=np.float32))

        class Agent(nn.Module):
            def __init__(self, env, h_size=16):
                super(Agent, self).__init__()
                self.env = env
                # state, hidden layer, action sizes
                self.s_size = env.obs_dim
                self.h_size = h_size
                self.a_size = env.act_dim
                # define layers
                self.fc1 = nn.Linear(self.s_size, self.h_size)
                self.fc2 = nn.Linear(self.h_size, self.a_size)

            def set_weights(self, weights):
                s_size = self.s_size
                h_size = self.h_size
                a_size = self.a_size
                # separate the weights for each layer
                fc1_end = (s_size * h_size) + h_size
                fc1_W = torch.from_numpy(weights[:s_size * h_size].reshape(s_size, h_size))
                fc1_b = torch.from_numpy(weights[s_size * h_size:fc1_end])
                fc2_W = torch.from_numpy(weights[fc1_end:fc1_end + (h_size * a_size)].reshape(h_size, a_size))
                fc2_b = torch.from_numpy(weights[fc1_end + (h_size * a_size):])
                # set the weights for each layer
                self.fc1.weight.data.copy_(fc1_W.view_as(self.fc1.weight.data))
                self.fc1.bias.data.copy_(fc1_b.view_as(self.fc1.bias.data))
                self.fc2.weight.data.copy_(fc2_W.view_as(self.fc2.weight.data))
                self.fc2.bias.data.copy_(fc2_b.view_as(self.fc2.bias.data))

            def get_weights_dim(self):
                return (self.s_size + 1) * self.h_size + (self.h_size + 1) * self.a_size

            def forward(self, x):
                x = F.relu(self.fc1(x))
                x = F.tanh(self.fc2(x))
                return x.cpu().data

            def evaluate(self, weights, gamma=1.0, max_t=5000):
                self.set_weights(weights)
                episode_return = 0.0
                state = self.env.reset()
                for t in range(max_t):
                    state = torch.from_numpy(state).float().to(device)
                    action = self.forward(state)
                    state, reward, done, _ = self.env.step(action)
                    episode_return += reward * math.pow(gamma, t)
                    if done:
                        break
                return episode_return

        torch.manual_seed(0)
        agent = Agent(env).to(device)
        o.print(agent)

        def cem(n_iterations=6, max_t=1000, gamma=1.0, print_every=2, pop_size=8, elite_frac=0.25, sigma=0.5):
            n_elite = int(pop_size * elite_frac)
            scores_deque = deque(maxlen=100)
            scores = []
            best_weight = sigma * np.random.randn(agent.get_weights_dim())
            for i_iteration in range(1, n_iterations + 1):
                weights_pop = [best_weight + (sigma * np.random.randn(agent.get_weights_dim())) for i in range(pop_size)]
                rewards = np.array([agent.evaluate(weights, gamma, max_t) for weights in weights_pop])
                elite_idxs = rewards.argsort()[-n_elite:]
                elite_weights = [weights_pop[i] for i in elite_idxs]
                best_weight = np.array(elite_weights).mean(axis=0)
                reward = agent.evaluate(best_weight, gamma=1.0)
                scores_deque.append(reward)
                scores.append(reward)
                if i_iteration % print_every == 0:
                    o.print('Episode {}\tAverage Score: {:.2f}'.format(i_iteration, np.mean(scores_deque)))
                if np.mean(scores_deque) >= 90.0:
                    o.print('\nEnvironment solved in {:d} iterations!\tAverage Score: {:.2f}'.format(i_iteration - 100, np.mean(scores_deque)))
                    break
            return scores

        scores = cem()
        o.print(["{:.4f}".format(s) for s in scores])
        o.print(agent.fc1.weight.dtype, agent.fc2.bias)
        o.vals += list(agent.state_dict().values())
        state = env.reset()
        for t in range(3):
            state = torch.from_numpy(state).float().to(device)
            with torch.no_grad():
                action = agent(state)
            o.print(action, type(action).__name__, action.requires_grad)
            state, reward, done, _ = env.step(action)
    return o.done()


class FakeParallelPong:
    """parallelEnv's interface (ps, reset, step(actions) -> frames, rewards, dones, infos) over
    n seeded fake Atari frames (210x160x3 uint8)."""

    def __init__(self, n, seed):
        self.ps = list(range(n))
        self.rng = np.random.default_rng(seed)
        self.t = 0

    def reset(self):
        self.t = 0
        return self._frames()

    def _frames(self):
        return self.rng.integers(0, 256, (len(self.ps), 210, 160, 3), dtype=np.uint8)

    def step(self, actions):
        self.t += 1
        actions = np.asarray(actions)
        rewards = np.where(actions == 4, 0.1, -0.1) * self.rng.choice([-1.0, 0.0, 1.0], len(self.ps))
        dones = np.array([self.t >= 40] * len(self.ps))
        return self._frames(), rewards, dones, [{}] * len(self.ps)


def _pong_utils(L):
    torch, nn, F = L, L.nn, L.nn.functional
    RIGHT, LEFT = 4, 5
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

    def preprocess_batch(images, bkg_color=np.array([144, 72, 17])):
        list_of_images = np.asarray(images)
        if len(list_of_images.shape) < 5:
            list_of_images = np.expand_dims(list_of_images, 1)
        # subtract bkg and crop
        list_of_images_prepro = np.mean(list_of_images[:, :, 34:-16:2, ::2] - bkg_color,
                                        axis=-1) / 255.
        batch_input = np.swapaxes(list_of_images_prepro, 0, 1)
        return torch.from_numpy(batch_input).float().to(device)

    def collect_trajectories(envs, policy, tmax=200, nrand=5):
        n = len(envs.ps)
        state_list = []
        reward_list = []
        prob_list = []
        action_list = []
        envs.reset()
        envs.step([1] * n)
        for _ in range(nrand):
            fr1, re1, _, _ = envs.step(np.random.choice([RIGHT, LEFT], n))
            fr2, re2, _, _ = envs.step([0] * n)
        for t in range(tmax):
            batch_input = preprocess_batch([fr1, fr2])
            probs = policy(batch_input).squeeze().cpu().detach().numpy()
            action = np.where(np.random.rand(n) < probs, RIGHT, LEFT)
            probs = np.where(action == RIGHT, probs, 1.0 - probs)
            fr1, re1, is_done, _ = envs.step(action)
            fr2, re2, is_done, _ = envs.step([0] * n)
            reward = re1 + re2
            state_list.append(batch_input)
            reward_list.append(reward)
            prob_list.append(probs)
            action_list.append(action)
            if is_done.any():
                break
        return prob_list, state_list, action_list, reward_list

    def states_to_prob(policy, states):
        states = torch.stack(states)
        policy_input = states.view(-1, *states.shape[-3:])
        return policy(policy_input).view(states.shape[:-3])

    def clipped_surrogate(policy, old_probs, states, actions, rewards,
                          discount=0.995, epsilon=0.1, beta=0.01):
        discount = discount ** np.arange(len(rewards))
        rewards = np.asarray(rewards) * discount[:, np.newaxis]
        rewards_future = rewards[::-1].cumsum(axis=0)[::-1]
        mean = np.mean(rewards_future, axis=1)
        std = np.std(rewards_future, axis=1) + 1.0e-10
        rewards_normalized = (rewards_future - mean[:, np.newaxis]) / std[:, np.newaxis]
        actions = torch.tensor(actions, dtype=torch.int8, device=device)
        old_probs = torch.tensor(old_probs, dtype=torch.float, device=device)
        rewards = torch.tensor(rewards_normalized, dtype=torch.float, device=device)
        new_probs = states_to_prob(policy, states)
        new_probs = torch.where(actions == RIGHT, new_probs, 1.0 - new_probs)
        ratio = new_probs / old_probs
        clip = torch.clamp(ratio, 1 - epsilon, 1 + epsilon)
        clipped_surrogate = torch.min(ratio * rewards, clip * rewards)
        entropy = -(new_probs * torch.log(old_probs + 1.e-10) +
                    (1.0 - new_probs) * torch.log(1.0 - old_probs + 1.e-10))
        return torch.mean(clipped_surrogate + beta * entropy)

    def surrogate(policy, old_probs, states, actions, rewards, discount=0.995, beta=0.01):
        return clipped_surrogate(policy, old_probs, states, actions, rewards, discount, 1e9, beta)

    class Policy(nn.Module):
        def __init__(self):
            super(Policy, self).__init__()
            self.conv1 = nn.Conv2d(2, 4, kernel_size=6, stride=2, bias=False)
            self.conv2 = nn.Conv2d(4, 16, kernel_size=6, stride=4)
            self.size = 9 * 9 * 16
            self.fc1 = nn.Linear(self.size, 256)
            self.fc2 = nn.Linear(256, 1)
            self.sig = nn.Sigmoid()

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = x.view(-1, self.size)
            x = F.relu(self.fc1(x))
            return self.sig(self.fc2(x))

    return Policy, collect_trajectories, surrogate, clipped_surrogate


def pong_ppo(L):
    """pong-PPO.ipynb's training loop (and pong-REINFORCE's surrogate), scaled down."""
    torch, optim = L, L.optim
    with Out() as o:
        Policy, collect_trajectories, surrogate, clipped_surrogate = _pong_utils(L)
        torch.manual_seed(0)
        np.random.seed(0)
        random.seed(0)
        policy = Policy()
        o.print(policy)
        optimizer = optim.Adam(policy.parameters(), lr=1e-4)
        envs = FakeParallelPong(2, seed=0)
        episode, epsilon, beta, tmax, SGD_epoch = 3, 0.1, .01, 5, 2
        mean_rewards = []
        for e in range(episode):
            old_probs, states, actions, rewards = collect_trajectories(envs, policy, tmax=tmax)
            total_rewards = np.sum(rewards, axis=0)
            for _ in range(SGD_epoch):
                L_ = -clipped_surrogate(policy, old_probs, states, actions, rewards,
                                        epsilon=epsilon, beta=beta)
                optimizer.zero_grad()
                L_.backward()
                optimizer.step()
                del L_
            epsilon *= .999
            beta *= .995
            mean_rewards.append(np.mean(total_rewards))
            o.print("Episode: {0:d}, score: {1:f}".format(e + 1, np.mean(total_rewards)))
            o.print(total_rewards)
        Ls = surrogate(policy, old_probs, states, actions, rewards)
        o.print('surrogate {:.4f}'.format(Ls.item()), Ls.dtype, Ls.grad_fn is not None)
        o.vals += [Ls] + list(policy.parameters())
    # (torch.tensor of a list of ndarrays warns once per process in both: not comparable)
    return [x for x in o.lines if "list of numpy.ndarrays" not in str(x)], o.vals
