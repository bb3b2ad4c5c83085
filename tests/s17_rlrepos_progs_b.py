"""udacity/deep-reinforcement-learning as users type it, part b: dqn/solution (model.py's
QNetwork, dqn_agent.py's Agent / ReplayBuffer / soft_update and the Q-target computation, the
notebook's dqn() loop) and ddpg-pendulum / ddpg-bipedal (model.py with hidden_init,
ddpg_agent.py with OUNoise, the critic / actor updates and soft updates, DDPG.ipynb's loop),
scaled down (small hidden layers and batches) on NumPy fake environments, as
``prog(L) -> (printed, values)`` for tests/test_programs_s17_rlrepos.py."""

import copy
import os
import random
import tempfile
from collections import deque, namedtuple

import numpy as np
from s16_yunjey_progs import Out
from s17_rlrepos_progs import FakeEnv


def _replay_buffer(L, action_dtype):
    torch, device = L, L.device("cpu")

    class ReplayBuffer:
        """Fixed-size buffer to store experience tuples."""

        def __init__(self, action_size, buffer_size, batch_size, seed):
            self.action_size = action_size
            self.memory = deque(maxlen=buffer_size)
            self.batch_size = batch_size
            self.experience = namedtuple("Experience", field_names=["state", "action", "reward", "next_state", "done"])
            self.seed = random.seed(seed)

        def add(self, state, action, reward, next_state, done):
            e = self.experience(state, action, reward, next_state, done)
            self.memory.append(e)

        def sample(self):
            experiences = random.sample(self.memory, k=self.batch_size)
            states = torch.from_numpy(np.vstack([e.state for e in experiences if e is not None])).float().to(device)
            actions = torch.from_numpy(np.vstack([e.action for e in experiences if e is not None]))
            actions = actions.long().to(device) if action_dtype == "long" else actions.float().to(device)
            rewards = torch.from_numpy(np.vstack([e.reward for e in experiences if e is not None])).float().to(device)
            next_states = torch.from_numpy(np.vstack([e.next_state for e in experiences if e is not None])).float().to(device)
            dones = torch.from_numpy(np.vstack([e.done for e in experiences if e is not None]).astype(np.uint8)).float().to(device)
            return (states, actions, rewards, next_states, dones)

        def __len__(self):
            return len(self.memory)

    return ReplayBuffer


def _dqn_agent(L, BATCH_SIZE=16, UPDATE_EVERY=4, fc=(24, 24)):
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    BUFFER_SIZE, GAMMA, TAU, LR = int(1e5), 0.99, 1e-3, 5e-4
    ReplayBuffer = _replay_buffer(L, "long")
    losses = []

    class QNetwork(nn.Module):
        """Actor (Policy) Model."""

        def __init__(self, state_size, action_size, seed, fc1_units=fc[0], fc2_units=fc[1]):
            super(QNetwork, self).__init__()
            self.seed = torch.manual_seed(seed)
            self.fc1 = nn.Linear(state_size, fc1_units)
            self.fc2 = nn.Linear(fc1_units, fc2_units)
            self.fc3 = nn.Linear(fc2_units, action_size)

        def forward(self, state):
            x = F.relu(self.fc1(state))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    class Agent():
        def __init__(self, state_size, action_size, seed):
            self.state_size = state_size
            self.action_size = action_size
            self.seed = random.seed(seed)
            self.qnetwork_local = QNetwork(state_size, action_size, seed).to(device)
            self.qnetwork_target = QNetwork(state_size, action_size, seed).to(device)
            self.optimizer = optim.Adam(self.qnetwork_local.parameters(), lr=LR)
            self.memory = ReplayBuffer(action_size, BUFFER_SIZE, BATCH_SIZE, seed)
            self.t_step = 0

        def step(self, state, action, reward, next_state, done):
            self.memory.add(state, action, reward, next_state, done)
            self.t_step = (self.t_step + 1) % UPDATE_EVERY
            if self.t_step == 0:
                if len(self.memory) > BATCH_SIZE:
                    experiences = self.memory.sample()
                    self.learn(experiences, GAMMA)

        def act(self, state, eps=0.):
            state = torch.from_numpy(state).float().unsqueeze(0).to(device)
            self.qnetwork_local.eval()
            with torch.no_grad():
                action_values = self.qnetwork_local(state)
            self.qnetwork_local.train()
            if random.random() > eps:
                return np.argmax(action_values.cpu().data.numpy())
            else:
                return random.choice(np.arange(self.action_size))

        def learn(self, experiences, gamma):
            states, actions, rewards, next_states, dones = experiences
            # Get max predicted Q values (for next states) from target model
            Q_targets_next = self.qnetwork_target(next_states).detach().max(1)[0].unsqueeze(1)
            # Compute Q targets for current states
            Q_targets = rewards + (gamma * Q_targets_next * (1 - dones))
            # Get expected Q values from local model
            Q_expected = self.qnetwork_local(states).gather(1, actions)
            loss = F.mse_loss(Q_expected, Q_targets)
            losses.append(loss.item())
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.soft_update(self.qnetwork_local, self.qnetwork_target, TAU)

        def soft_update(self, local_model, target_model, tau):
            for target_param, local_param in zip(target_model.parameters(), local_model.parameters()):
                target_param.data.copy_(tau * local_param.data + (1.0 - tau) * target_param.data)

    return Agent, QNetwork, losses


def dqn_solution(L):
    torch = L
    with Out() as o:
        env = FakeEnv(8, n_actions=4, seed=0, max_len=(10, 30))
        env.seed(0)
        o.print('State shape: ', (env.obs_dim,))
        o.print('Number of actions: ', env.n_actions)
        Agent, QNetwork, losses = _dqn_agent(L)
        agent = Agent(state_size=8, action_size=4, seed=0)
        o.print(agent.qnetwork_local)

        def dqn(n_episodes=12, max_t=40, eps_start=1.0, eps_end=0.01, eps_decay=0.8):
            scores = []
            scores_window = deque(maxlen=5)
            eps = eps_start
            for i_episode in range(1, n_episodes + 1):
                state = env.reset()
                score = 0
                for t in range(max_t):
                    action = agent.act(state, eps)
                    next_state, reward, done, _ = env.step(action)
                    agent.step(state, action, reward, next_state, done)
                    state = next_state
                    score += reward
                    if done:
                        break
                scores_window.append(score)
                scores.append(score)
                eps = max(eps_end, eps_decay * eps)
                o.print('\rEpisode {}\tAverage Score: {:.2f}'.format(i_episode, np.mean(scores_window)), end="")
                if i_episode % 4 == 0:
                    o.print('\rEpisode {}\tAverage Score: {:.2f}'.format(i_episode, np.mean(scores_window)))
                if np.mean(scores_window) >= 200.0:
                    o.print('\nEnvironment solved in {:d} episodes!\tAverage Score: {:.2f}'.format(i_episode - 100, np.mean(scores_window)))
                    break
            return scores

        scores = dqn()
        o.print(["{:.4f}".format(s) for s in scores])
        o.print(["{:.4f}".format(v) for v in losses])
        path = os.path.join(tempfile.mkdtemp(), 'checkpoint.pth')
        torch.save(agent.qnetwork_local.state_dict(), path)
        agent.qnetwork_local.load_state_dict(torch.load(path))
        # watch a smart agent
        state = env.reset()
        for j in range(10):
            action = agent.act(state)
            o.print(type(action).__name__, action)
            state, reward, done, _ = env.step(action)
            if done:
                break
        o.vals += list(agent.qnetwork_local.state_dict().values())
        o.vals += list(agent.qnetwork_target.state_dict().values())
    return o.done()


def _ddpg(L, bipedal, BATCH_SIZE=16, units=(32, 24)):
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    BUFFER_SIZE, GAMMA, TAU, LR_ACTOR, LR_CRITIC = int(1e5), 0.99, 1e-3, 1e-4, 1e-3
    WEIGHT_DECAY = 0.0001 if bipedal else 0
    ReplayBuffer = _replay_buffer(L, "float")
    losses = []

    def hidden_init(layer):
        fan_in = layer.weight.data.size()[0]
        lim = 1. / np.sqrt(fan_in)
        return (-lim, lim)

    if not bipedal:
        class Actor(nn.Module):
            def __init__(self, state_size, action_size, seed, fc1_units=units[0], fc2_units=units[1]):
                super(Actor, self).__init__()
                self.seed = torch.manual_seed(seed)
                self.fc1 = nn.Linear(state_size, fc1_units)
                self.fc2 = nn.Linear(fc1_units, fc2_units)
                self.fc3 = nn.Linear(fc2_units, action_size)
                self.reset_parameters()

            def reset_parameters(self):
                self.fc1.weight.data.uniform_(*hidden_init(self.fc1))
                self.fc2.weight.data.uniform_(*hidden_init(self.fc2))
                self.fc3.weight.data.uniform_(-3e-3, 3e-3)

            def forward(self, state):
                x = F.relu(self.fc1(state))
                x = F.relu(self.fc2(x))
                return F.tanh(self.fc3(x))

        class Critic(nn.Module):
            def __init__(self, state_size, action_size, seed, fcs1_units=units[0], fc2_units=units[1]):
                super(Critic, self).__init__()
                self.seed = torch.manual_seed(seed)
                self.fcs1 = nn.Linear(state_size, fcs1_units)
                self.fc2 = nn.Linear(fcs1_units + action_size, fc2_units)
                self.fc3 = nn.Linear(fc2_units, 1)
                self.reset_parameters()

            def reset_parameters(self):
                self.fcs1.weight.data.uniform_(*hidden_init(self.fcs1))
                self.fc2.weight.data.uniform_(*hidden_init(self.fc2))
                self.fc3.weight.data.uniform_(-3e-3, 3e-3)

            def forward(self, state, action):
                xs = F.relu(self.fcs1(state))
                x = torch.cat((xs, action), dim=1)
                x = F.relu(self.fc2(x))
                return self.fc3(x)
    else:
        class Actor(nn.Module):
            def __init__(self, state_size, action_size, seed, fc_units=units[0]):
                super(Actor, self).__init__()
                self.seed = torch.manual_seed(seed)
                self.fc1 = nn.Linear(state_size, fc_units)
                self.fc2 = nn.Linear(fc_units, action_size)
                self.reset_parameters()

            def reset_parameters(self):
                self.fc1.weight.data.uniform_(*hidden_init(self.fc1))
                self.fc2.weight.data.uniform_(-3e-3, 3e-3)

            def forward(self, state):
                x = F.relu(self.fc1(state))
                return F.tanh(self.fc2(x))

        class Critic(nn.Module):
            def __init__(self, state_size, action_size, seed, fcs1_units=units[0], fc2_units=units[0], fc3_units=units[1]):
                super(Critic, self).__init__()
                self.seed = torch.manual_seed(seed)
                self.fcs1 = nn.Linear(state_size, fcs1_units)
                self.fc2 = nn.Linear(fcs1_units + action_size, fc2_units)
                self.fc3 = nn.Linear(fc2_units, fc3_units)
                self.fc4 = nn.Linear(fc3_units, 1)
                self.reset_parameters()

            def reset_parameters(self):
                self.fcs1.weight.data.uniform_(*hidden_init(self.fcs1))
                self.fc2.weight.data.uniform_(*hidden_init(self.fc2))
                self.fc3.weight.data.uniform_(*hidden_init(self.fc3))
                self.fc4.weight.data.uniform_(-3e-3, 3e-3)

            def forward(self, state, action):
                xs = F.leaky_relu(self.fcs1(state))
                x = torch.cat((xs, action), dim=1)
                x = F.leaky_relu(self.fc2(x))
                x = F.leaky_relu(self.fc3(x))
                return self.fc4(x)

    class OUNoise:
        def __init__(self, size, seed, mu=0., theta=0.15, sigma=0.2):
            self.mu = mu * np.ones(size)
            self.theta = theta
            self.sigma = sigma
            self.seed = random.seed(seed)
            self.reset()

        def reset(self):
            self.state = copy.copy(self.mu)

        def sample(self):
            x = self.state
            dx = self.theta * (self.mu - x) + self.sigma * np.array([random.random() for i in range(len(x))])
            self.state = x + dx
            return self.state

    class Agent():
        def __init__(self, state_size, action_size, random_seed):
            self.state_size = state_size
            self.action_size = action_size
            self.seed = random.seed(random_seed)
            self.actor_local = Actor(state_size, action_size, random_seed).to(device)
            self.actor_target = Actor(state_size, action_size, random_seed).to(device)
            self.actor_optimizer = optim.Adam(self.actor_local.parameters(), lr=LR_ACTOR)
            self.critic_local = Critic(state_size, action_size, random_seed).to(device)
            self.critic_target = Critic(state_size, action_size, random_seed).to(device)
            self.critic_optimizer = optim.Adam(self.critic_local.parameters(), lr=LR_CRITIC, weight_decay=WEIGHT_DECAY)
            self.noise = OUNoise(action_size, random_seed)
            self.memory = ReplayBuffer(action_size, BUFFER_SIZE, BATCH_SIZE, random_seed)

        def step(self, state, action, reward, next_state, done):
            self.memory.add(state, action, reward, next_state, done)
            if len(self.memory) > BATCH_SIZE:
                experiences = self.memory.sample()
                self.learn(experiences, GAMMA)

        def act(self, state, add_noise=True):
            state = torch.from_numpy(state).float().to(device)
            self.actor_local.eval()
            with torch.no_grad():
                action = self.actor_local(state).cpu().data.numpy()
            self.actor_local.train()
            if add_noise:
                action += self.noise.sample()
            return np.clip(action, -1, 1) if bipedal else np.clip(action, -2, 2)

        def reset(self):
            self.noise.reset()

        def learn(self, experiences, gamma):
            states, actions, rewards, next_states, dones = experiences
            # ---------------------------- update critic ---------------------------- #
            actions_next = self.actor_target(next_states)
            Q_targets_next = self.critic_target(next_states, actions_next)
            Q_targets = rewards + (gamma * Q_targets_next * (1 - dones))
            Q_expected = self.critic_local(states, actions)
            critic_loss = F.mse_loss(Q_expected, Q_targets)
            self.critic_optimizer.zero_grad()
            critic_loss.backward()
            self.critic_optimizer.step()
            # ---------------------------- update actor ---------------------------- #
            actions_pred = self.actor_local(states)
            actor_loss = -self.critic_local(states, actions_pred).mean()
            self.actor_optimizer.zero_grad()
            actor_loss.backward()
            self.actor_optimizer.step()
            losses.append((critic_loss.item(), actor_loss.item()))
            # ----------------------- update target networks ----------------------- #
            self.soft_update(self.critic_local, self.critic_target, TAU)
            self.soft_update(self.actor_local, self.actor_target, TAU)

        def soft_update(self, local_model, target_model, tau):
            for target_param, local_param in zip(target_model.parameters(), local_model.parameters()):
                target_param.data.copy_(tau * local_param.data + (1.0 - tau) * target_param.data)

    return Agent, losses


def _ddpg_run(L, bipedal, state_size, action_size, seed):
    torch = L
    with Out() as o:
        env = FakeEnv(state_size, act_dim=action_size, seed=seed,
                      dtype=np.float32 if bipedal else np.float64, max_len=(15, 25))
        env.seed(seed)
        Agent, losses = _ddpg(L, bipedal)
        agent = Agent(state_size=state_size, action_size=action_size, random_seed=seed)
        o.print(agent.actor_local)
        o.print(agent.critic_local)
        folder = tempfile.mkdtemp()

        def ddpg(n_episodes=4, max_t=30, print_every=2):
            scores_deque = deque(maxlen=print_every)
            scores = []
            for i_episode in range(1, n_episodes + 1):
                state = env.reset()
                agent.reset()
                score = 0
                for t in range(max_t):
                    action = agent.act(state)
                    next_state, reward, done, _ = env.step(action)
                    agent.step(state, action, reward, next_state, done)
                    state = next_state
                    score += reward
                    if done:
                        break
                scores_deque.append(score)
                scores.append(score)
                o.print('\rEpisode {}\tAverage Score: {:.2f}\tScore: {:.2f}'.format(i_episode, np.mean(scores_deque), score), end="")
                torch.save(agent.actor_local.state_dict(), os.path.join(folder, 'checkpoint_actor.pth'))
                torch.save(agent.critic_local.state_dict(), os.path.join(folder, 'checkpoint_critic.pth'))
                if i_episode % print_every == 0:
                    o.print('\rEpisode {}\tAverage Score: {:.2f}'.format(i_episode, np.mean(scores_deque)))
            return scores

        scores = ddpg()
        o.print(["{:.4f}".format(s) for s in scores])
        o.print(["({:.4f}, {:.4f})".format(*v) for v in losses])
        agent.actor_local.load_state_dict(torch.load(os.path.join(folder, 'checkpoint_actor.pth')))
        agent.critic_local.load_state_dict(torch.load(os.path.join(folder, 'checkpoint_critic.pth')))
        state = env.reset()
        agent.reset()
        for t in range(5):
            action = agent.act(state, add_noise=False)
            o.print(action.dtype, action.shape, ["{:.4f}".format(a) for a in action])
            state, reward, done, _ = env.step(action)
        o.vals += list(agent.actor_local.state_dict().values())
        o.vals += list(agent.critic_target.state_dict().values())
    return o.done()


def ddpg_pendulum(L):
    return _ddpg_run(L, False, 3, 1, 2)


def ddpg_bipedal(L):
    return _ddpg_run(L, True, 24, 4, 10)
