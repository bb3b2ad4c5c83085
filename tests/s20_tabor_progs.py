"""philtabor/Youtube-Code-Repository, ReinforcementLearning (PyTorch versions) as users type
them: DeepQLearning/simple_dqn_torch_2020.py, dueling_ddqn_torch.py, dueling_dqn_torch.py
(Double/Dueling DQN with replay memory), PolicyGradient/reinforce (REINFORCE agent),
actor_critic/torch_actor_critic_discrete.py, actor_critic_continuous.py and
actor_critic_replay_torch.py. Gym environments replaced by a seeded NumPy stand-in (float32
observations, fixed rewards and dones), layer sizes and episode counts shrunk, devices 'cpu'.
Each program is ``prog(torch) -> (printed lines, values)``; see tests/test_programs_s20_tabor.py."""

import numpy as np
from s16_yunjey_progs import Out


class Env:
    """LunarLander-like stand-in: 8 float32 observations, n actions, 6-step episodes."""

    def __init__(self, seed, n_obs=8, n_act=4, length=6, continuous=False):
        self.rng = np.random.RandomState(seed)
        self.n_obs, self.n_act, self.length, self.cont = n_obs, n_act, length, continuous
        self.t = 0

    def reset(self):
        self.t = 0
        return self.rng.standard_normal(self.n_obs).astype(np.float32)

    def step(self, action):
        self.t += 1
        a = float(np.sum(action)) if self.cont else float(action)
        reward = float(np.round(self.rng.standard_normal() + 0.1 * a, 3))
        return (self.rng.standard_normal(self.n_obs).astype(np.float32), reward,
                self.t >= self.length, {})


def simple_dqn_2020(L):
    """simple_dqn_torch_2020.py + main_torch_dqn_lunar_lander_2020.py."""
    T, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    L.manual_seed(0)
    np.random.seed(0)

    class DeepQNetwork(nn.Module):
        def __init__(self, lr, input_dims, fc1_dims, fc2_dims, n_actions):
            super(DeepQNetwork, self).__init__()
            self.input_dims = input_dims
            self.fc1 = nn.Linear(*self.input_dims, fc1_dims)
            self.fc2 = nn.Linear(fc1_dims, fc2_dims)
            self.fc3 = nn.Linear(fc2_dims, n_actions)
            self.optimizer = optim.Adam(self.parameters(), lr=lr)
            self.loss = nn.MSELoss()
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, state):
            x = F.relu(self.fc1(state))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    class Agent:
        def __init__(self, gamma, epsilon, lr, input_dims, batch_size, n_actions,
                     max_mem_size=100000, eps_end=0.05, eps_dec=5e-4):
            self.gamma, self.epsilon, self.eps_min, self.eps_dec = gamma, epsilon, eps_end, eps_dec
            self.action_space = [i for i in range(n_actions)]
            self.mem_size, self.batch_size, self.mem_cntr = max_mem_size, batch_size, 0
            self.Q_eval = DeepQNetwork(lr, n_actions=n_actions, input_dims=input_dims,
                                       fc1_dims=32, fc2_dims=32)
            self.state_memory = np.zeros((self.mem_size, *input_dims), dtype=np.float32)
            self.new_state_memory = np.zeros((self.mem_size, *input_dims), dtype=np.float32)
            self.action_memory = np.zeros(self.mem_size, dtype=np.int32)
            self.reward_memory = np.zeros(self.mem_size, dtype=np.float32)
            self.terminal_memory = np.zeros(self.mem_size, dtype=np.bool_)

        def store_transition(self, state, action, reward, state_, terminal):
            index = self.mem_cntr % self.mem_size
            self.state_memory[index] = state
            self.new_state_memory[index] = state_
            self.reward_memory[index] = reward
            self.action_memory[index] = action
            self.terminal_memory[index] = terminal
            self.mem_cntr += 1

        def choose_action(self, observation):
            if np.random.random() > self.epsilon:
                state = T.tensor([observation]).float().to(self.Q_eval.device)
                actions = self.Q_eval.forward(state)
                action = T.argmax(actions).item()
            else:
                action = np.random.choice(self.action_space)
            return action

        def learn(self):
            if self.mem_cntr < self.batch_size:
                return None
            self.Q_eval.optimizer.zero_grad()
            max_mem = min(self.mem_cntr, self.mem_size)
            batch = np.random.choice(max_mem, self.batch_size, replace=False)
            batch_index = np.arange(self.batch_size, dtype=np.int32)
            state_batch = T.tensor(self.state_memory[batch]).to(self.Q_eval.device)
            new_state_batch = T.tensor(self.new_state_memory[batch]).to(self.Q_eval.device)
            action_batch = self.action_memory[batch]
            reward_batch = T.tensor(self.reward_memory[batch]).to(self.Q_eval.device)
            terminal_batch = T.tensor(self.terminal_memory[batch]).to(self.Q_eval.device)
            q_eval = self.Q_eval.forward(state_batch)[batch_index, action_batch]
            q_next = self.Q_eval.forward(new_state_batch)
            q_next[terminal_batch] = 0.0
            q_target = reward_batch + self.gamma * T.max(q_next, dim=1)[0]
            loss = self.Q_eval.loss(q_target, q_eval).to(self.Q_eval.device)
            loss.backward()
            self.Q_eval.optimizer.step()
            self.epsilon = self.epsilon - self.eps_dec \
                if self.epsilon > self.eps_min else self.eps_min
            return loss

    with Out() as o:
        env = Env(1)
        agent = Agent(gamma=0.99, epsilon=0.5, batch_size=8, n_actions=4, eps_end=0.01,
                      input_dims=[8], lr=0.001, max_mem_size=50)
        for i in range(4):
            score, done, observation = 0, False, env.reset()
            while not done:
                action = agent.choose_action(observation)
                observation_, reward, done, info = env.step(action)
                score += reward
                agent.store_transition(observation, action, reward, observation_, done)
                loss = agent.learn()
                observation = observation_
            o.print('episode ', i, 'score %.2f' % score, 'epsilon %.3f' % agent.epsilon,
                    'loss %.4f' % (loss.item() if loss is not None else 0.0))
        o.print(agent.Q_eval)
        o.print(type(agent.Q_eval.device).__name__, agent.Q_eval.device)
        o.vals += [p.detach() for p in agent.Q_eval.parameters()]
    return o.done()


class ReplayBuffer:
    def __init__(self, max_size, input_shape, term_dtype=np.uint8):
        self.mem_size = max_size
        self.mem_cntr = 0
        self.state_memory = np.zeros((self.mem_size, *input_shape), dtype=np.float32)
        self.new_state_memory = np.zeros((self.mem_size, *input_shape), dtype=np.float32)
        self.action_memory = np.zeros(self.mem_size, dtype=np.int64)
        self.reward_memory = np.zeros(self.mem_size, dtype=np.float32)
        self.terminal_memory = np.zeros(self.mem_size, dtype=term_dtype)

    def store_transition(self, state, action, reward, state_, done):
        index = self.mem_cntr % self.mem_size
        self.state_memory[index] = state
        self.new_state_memory[index] = state_
        self.action_memory[index] = action
        self.reward_memory[index] = reward
        self.terminal_memory[index] = done
        self.mem_cntr += 1

    def sample_buffer(self, batch_size):
        max_mem = min(self.mem_cntr, self.mem_size)
        batch = np.random.choice(max_mem, batch_size, replace=False)
        return (self.state_memory[batch], self.action_memory[batch], self.reward_memory[batch],
                self.new_state_memory[batch], self.terminal_memory[batch])


def dueling_ddqn(L, term_dtype=np.uint8):
    """dueling_ddqn_torch.py + main_torch_dueling_ddqn_lunar_lander.py: uint8 dones as a mask
    (PyTorch's deprecation warning), q_eval / q_next networks, load_state_dict to replace."""
    T, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    L.manual_seed(1)
    np.random.seed(1)

    class DuelingDeepQNetwork(nn.Module):
        def __init__(self, lr, n_actions, name, input_dims, chkpt_dir):
            super(DuelingDeepQNetwork, self).__init__()
            self.fc1 = nn.Linear(*input_dims, 32)
            self.V = nn.Linear(32, 1)
            self.A = nn.Linear(32, n_actions)
            self.optimizer = optim.Adam(self.parameters(), lr=lr)
            self.loss = nn.MSELoss()
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, state):
            flat1 = F.relu(self.fc1(state))
            return self.V(flat1), self.A(flat1)

    class Agent:
        def __init__(self, gamma, epsilon, lr, n_actions, input_dims, mem_size, batch_size,
                     eps_min=0.01, eps_dec=5e-7, replace=1000, chkpt_dir='tmp/dueling_ddqn'):
            self.gamma, self.epsilon, self.lr, self.n_actions = gamma, epsilon, lr, n_actions
            self.batch_size, self.eps_min, self.eps_dec = batch_size, eps_min, eps_dec
            self.replace_target_cnt = replace
            self.action_space = [i for i in range(self.n_actions)]
            self.learn_step_counter = 0
            self.memory = ReplayBuffer(mem_size, input_dims, term_dtype)
            self.q_eval = DuelingDeepQNetwork(self.lr, self.n_actions, input_dims=input_dims,
                                              name='q_eval', chkpt_dir=chkpt_dir)
            self.q_next = DuelingDeepQNetwork(self.lr, self.n_actions, input_dims=input_dims,
                                              name='q_next', chkpt_dir=chkpt_dir)

        def choose_action(self, observation):
            if np.random.random() > self.epsilon:
                state = T.tensor([observation], dtype=T.float).to(self.q_eval.device)
                _, advantage = self.q_eval.forward(state)
                action = T.argmax(advantage).item()
            else:
                action = np.random.choice(self.action_space)
            return action

        def store_transition(self, state, action, reward, state_, done):
            self.memory.store_transition(state, action, reward, state_, done)

        def replace_target_network(self):
            if self.learn_step_counter % self.replace_target_cnt == 0:
                self.q_next.load_state_dict(self.q_eval.state_dict())

        def learn(self):
            if self.memory.mem_cntr < self.batch_size:
                return None
            self.q_eval.optimizer.zero_grad()
            self.replace_target_network()
            state, action, reward, new_state, done = self.memory.sample_buffer(self.batch_size)
            states = T.tensor(state).to(self.q_eval.device)
            rewards = T.tensor(reward).to(self.q_eval.device)
            dones = T.tensor(done).to(self.q_eval.device)
            actions = T.tensor(action).to(self.q_eval.device)
            states_ = T.tensor(new_state).to(self.q_eval.device)
            indices = np.arange(self.batch_size)
            V_s, A_s = self.q_eval.forward(states)
            V_s_, A_s_ = self.q_next.forward(states_)
            V_s_eval, A_s_eval = self.q_eval.forward(states_)
            q_pred = T.add(V_s, (A_s - A_s.mean(dim=1, keepdim=True)))[indices, actions]
            q_next = T.add(V_s_, (A_s_ - A_s_.mean(dim=1, keepdim=True)))
            q_eval = T.add(V_s_eval, (A_s_eval - A_s_eval.mean(dim=1, keepdim=True)))
            max_actions = T.argmax(q_eval, dim=1)
            try:                        # torch 2.13 refuses the uint8 mask of the 2019 code
                q_next[dones] = 0.0
            except RuntimeError as e:
                o.print(type(e).__name__, str(e).splitlines()[0])
                q_next[dones.bool()] = 0.0
            q_target = rewards + self.gamma * q_next[indices, max_actions]
            loss = self.q_eval.loss(q_target, q_pred).to(self.q_eval.device)
            loss.backward()
            self.q_eval.optimizer.step()
            self.learn_step_counter += 1
            self.epsilon = self.epsilon - self.eps_dec \
                if self.epsilon > self.eps_min else self.eps_min
            return loss

    with Out() as o:
        env = Env(2)
        agent = Agent(gamma=0.99, epsilon=0.3, lr=5e-4, input_dims=[8], n_actions=4,
                      mem_size=40, eps_min=0.01, batch_size=6, eps_dec=1e-3, replace=5)
        for i in range(3):
            done, observation, score = False, env.reset(), 0
            while not done:
                action = agent.choose_action(observation)
                observation_, reward, done, info = env.step(action)
                score += reward
                agent.store_transition(observation, action, reward, observation_, int(done))
                loss = agent.learn()
                observation = observation_
            o.print('episode', i, 'score %.1f' % score, 'epsilon %.3f' % agent.epsilon,
                    'loss %.4f' % loss.item())
        o.vals += [p.detach() for p in agent.q_eval.parameters()]
        o.vals += [v for v in agent.q_next.state_dict().values()]
    return o.done()


def dueling_ddqn_bool(L):
    """The same agent with a bool terminal memory (the 2020 ReplayBuffer)."""
    return dueling_ddqn(L, np.bool_)
