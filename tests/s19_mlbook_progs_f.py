"""rasbt/machine-learning-book ch19/cartpole/main.py (the DQNAgent: replay memory, epsilon-
greedy choose_action, _learn's per-transition targets written into target_all[a] under
no_grad, torch.tensor of a list of NumPy rows, MSELoss + Adam) on a seeded NumPy CartPole
with gym's old (obs, reward, done, info) step, as users type it, for
tests/test_programs_s19_mlbook.py."""

import math
import random
from collections import deque, namedtuple

import numpy as np
from s16_yunjey_progs import Out

Transition = namedtuple('Transition', ('state', 'action', 'reward', 'next_state', 'done'))


class _Space:
    def __init__(self, shape=None, n=None):
        self.shape, self.n = shape, n


class CartPole:
    """gym's CartPole-v1 dynamics (Euler), reset from a seeded NumPy generator."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)
        self.observation_space = _Space(shape=(4,))
        self.action_space = _Space(n=2)

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, 4)
        self.steps = 0
        return np.array(self.state)

    def step(self, action):
        x, x_dot, th, th_dot = self.state
        force = 10.0 if action == 1 else -10.0
        ct, st = math.cos(th), math.sin(th)
        temp = (force + 0.05 * th_dot ** 2 * st) / 1.1
        thacc = (9.8 * st - ct * temp) / (0.5 * (4.0 / 3.0 - 0.1 * ct ** 2 / 1.1))
        xacc = temp - 0.05 * thacc * ct / 1.1
        x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * xacc
        th, th_dot = th + 0.02 * th_dot, th_dot + 0.02 * thacc
        self.state = np.array([x, x_dot, th, th_dot])
        self.steps += 1
        done = bool(abs(x) > 2.4 or abs(th) > 12 * 2 * math.pi / 360 or self.steps >= 500)
        return np.array(self.state), 1.0, done, {}


def ch19_dqn(L):
    nn = L.nn
    with Out() as o:
        np.random.seed(1)
        L.manual_seed(1)
        random.seed(1)

        class DQNAgent:
            def __init__(self, env, discount_factor=0.95, epsilon_greedy=1.0, epsilon_min=0.01,
                         epsilon_decay=0.995, learning_rate=1e-3, max_memory_size=2000):
                self.env = env
                self.state_size = env.observation_space.shape[0]
                self.action_size = env.action_space.n
                self.memory = deque(maxlen=max_memory_size)
                self.gamma = discount_factor
                self.epsilon = epsilon_greedy
                self.epsilon_min = epsilon_min
                self.epsilon_decay = epsilon_decay
                self.lr = learning_rate
                self._build_nn_model()

            def _build_nn_model(self):
                self.model = nn.Sequential(nn.Linear(self.state_size, 32), nn.ReLU(),
                                           nn.Linear(32, 16), nn.ReLU(),
                                           nn.Linear(16, 8), nn.ReLU(),
                                           nn.Linear(8, self.action_size))
                self.loss_fn = nn.MSELoss()
                self.optimizer = L.optim.Adam(self.model.parameters(), self.lr)

            def remember(self, transition):
                self.memory.append(transition)

            def choose_action(self, state):
                if np.random.rand() <= self.epsilon:
                    return np.random.choice(self.action_size)
                with L.no_grad():
                    q_values = self.model(L.tensor(state, dtype=L.float32))[0]
                return L.argmax(q_values).item()

            def _learn(self, batch_samples):
                batch_states, batch_targets = [], []
                for transition in batch_samples:
                    s, a, r, next_s, done = transition
                    with L.no_grad():
                        if done:
                            target = r
                        else:
                            pred = self.model(L.tensor(next_s, dtype=L.float32))[0]
                            target = r + self.gamma * pred.max()
                        target_all = self.model(L.tensor(s, dtype=L.float32))[0]
                        target_all[a] = target
                    batch_states.append(s.flatten())
                    batch_targets.append(target_all)
                    self._adjust_epsilon()
                self.optimizer.zero_grad()
                pred = self.model(L.tensor(batch_states, dtype=L.float32))
                loss = self.loss_fn(pred, L.stack(batch_targets))
                loss.backward()
                self.optimizer.step()
                return loss.item()

            def _adjust_epsilon(self):
                if self.epsilon > self.epsilon_min:
                    self.epsilon *= self.epsilon_decay

            def replay(self, batch_size):
                samples = random.sample(self.memory, batch_size)
                return self._learn(samples)

        EPISODES = 3
        batch_size = 8
        init_replay_memory_size = 40
        env = CartPole(19)
        agent = DQNAgent(env)
        o.print(agent.model)
        state = env.reset()
        state = np.reshape(state, [1, agent.state_size])
        for i in range(init_replay_memory_size):
            action = agent.choose_action(state)
            next_state, reward, done, _ = env.step(action)
            next_state = np.reshape(next_state, [1, agent.state_size])
            agent.remember(Transition(state, action, reward, next_state, done))
            if done:
                state = env.reset()
                state = np.reshape(state, [1, agent.state_size])
            else:
                state = next_state
        total_rewards, losses = [], []
        for e in range(EPISODES):
            state = env.reset()
            state = np.reshape(state, [1, agent.state_size])
            for i in range(60):
                action = agent.choose_action(state)
                next_state, reward, done, _ = env.step(action)
                next_state = np.reshape(next_state, [1, agent.state_size])
                agent.remember(Transition(state, action, reward, next_state, done))
                state = next_state
                if done:
                    total_rewards.append(i)
                    o.print(f'Episode: {e}/{EPISODES}, Total reward: {i}')
                    break
                loss = agent.replay(batch_size)
                losses.append(loss)
        o.print([round(v, 4) for v in losses[:5]], len(losses), round(agent.epsilon, 6))
        o.vals += [np.array(losses, dtype=np.float32), agent.model[0].weight]
    return o.done()
