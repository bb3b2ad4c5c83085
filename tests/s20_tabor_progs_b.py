"""philtabor/Youtube-Code-Repository, ReinforcementLearning/PolicyGradient as users type them:
reinforce (PolicyGradientAgent in torch, torch_lunar_lander.py's loop),
actor_critic/torch_actor_critic_discrete.py (Agent with two networks and NewAgent sharing
layers), actor_critic_continuous.py (Normal policy, sample_shape=T.Size([1])) and
actor_critic_replay_torch.py (log-probs stored in a NumPy replay buffer). F.softmax without
dim, T.Tensor(observation) and the broadcast in mse_loss are kept as the users wrote them.
See tests/s20_tabor_progs.py for the environment stand-in."""

import numpy as np
from s16_yunjey_progs import Out
from s20_tabor_progs import Env


def reinforce(L):
    """PolicyGradientNetwork / PolicyGradientAgent (2020 torch version)."""
    T, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    L.manual_seed(3)

    class PolicyGradientNetwork(nn.Module):
        def __init__(self, lr, input_dims, n_actions):
            super(PolicyGradientNetwork, self).__init__()
            self.fc1 = nn.Linear(*input_dims, 32)
            self.fc2 = nn.Linear(32, 32)
            self.fc3 = nn.Linear(32, n_actions)
            self.optimizer = optim.Adam(self.parameters(), lr=lr)
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, state):
            x = F.relu(self.fc1(state))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    class PolicyGradientAgent:
        def __init__(self, lr, input_dims, gamma=0.99, n_actions=4):
            self.gamma, self.lr = gamma, lr
            self.reward_memory, self.action_memory = [], []
            self.policy = PolicyGradientNetwork(self.lr, input_dims, n_actions)

        def choose_action(self, observation):
            state = T.Tensor([observation]).to(self.policy.device)
            probabilities = F.softmax(self.policy.forward(state))
            action_probs = T.distributions.Categorical(probabilities)
            action = action_probs.sample()
            log_probs = action_probs.log_prob(action)
            self.action_memory.append(log_probs)
            return action.item()

        def store_rewards(self, reward):
            self.reward_memory.append(reward)

        def learn(self):
            self.policy.optimizer.zero_grad()
            G = np.zeros_like(self.reward_memory, dtype=np.float64)
            for t in range(len(self.reward_memory)):
                G_sum, discount = 0, 1
                for k in range(t, len(self.reward_memory)):
                    G_sum += self.reward_memory[k] * discount
                    discount *= self.gamma
                G[t] = G_sum
            G = T.tensor(G, dtype=T.float).to(self.policy.device)
            loss = 0
            for g, logprob in zip(G, self.action_memory):
                loss += -g * logprob
            loss.backward()
            self.policy.optimizer.step()
            self.action_memory, self.reward_memory = [], []
            return loss

    with Out() as o:
        env = Env(5)
        agent = PolicyGradientAgent(lr=0.001, input_dims=[8], gamma=0.99, n_actions=4)
        for i in range(4):
            done, observation, score = False, env.reset(), 0
            while not done:
                action = agent.choose_action(observation)
                observation_, reward, done, info = env.step(action)
                score += reward
                agent.store_rewards(reward)
                observation = observation_
            loss = agent.learn()
            o.print('episode ', i, 'score %.2f' % score, loss.shape, loss.dtype,
                    'loss %.4f' % loss.item())
        o.vals += [p.detach() for p in agent.policy.parameters()]
    return o.done()


def _generic(L, seed):
    T, nn, F, optim = L, L.nn, L.nn.functional, L.optim

    class GenericNetwork(nn.Module):
        def __init__(self, alpha, input_dims, fc1_dims, fc2_dims, n_actions):
            super(GenericNetwork, self).__init__()
            self.input_dims = input_dims
            self.fc1 = nn.Linear(*self.input_dims, fc1_dims)
            self.fc2 = nn.Linear(fc1_dims, fc2_dims)
            self.fc3 = nn.Linear(fc2_dims, n_actions)
            self.optimizer = optim.Adam(self.parameters(), lr=alpha)
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, observation):
            state = T.Tensor(observation).to(self.device)
            x = F.relu(self.fc1(state))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    class ActorCriticNetwork(nn.Module):
        def __init__(self, alpha, input_dims, fc1_dims, fc2_dims, n_actions):
            super(ActorCriticNetwork, self).__init__()
            self.fc1 = nn.Linear(*input_dims, fc1_dims)
            self.fc2 = nn.Linear(fc1_dims, fc2_dims)
            self.pi = nn.Linear(fc2_dims, n_actions)
            self.v = nn.Linear(fc2_dims, 1)
            self.optimizer = optim.Adam(self.parameters(), lr=alpha)
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, observation):
            state = T.Tensor(observation).to(self.device)
            x = F.relu(self.fc1(state))
            x = F.relu(self.fc2(x))
            return (self.pi(x), self.v(x))
    return GenericNetwork, ActorCriticNetwork


def actor_critic_discrete(L):
    """torch_actor_critic_discrete.py: Agent (separate actor and critic) and NewAgent."""
    T, F = L, L.nn.functional
    L.manual_seed(4)
    GenericNetwork, ActorCriticNetwork = _generic(L, 4)

    class Agent:
        def __init__(self, alpha, beta, input_dims, gamma=0.99, layer1_size=256,
                     layer2_size=256, n_actions=2):
            self.gamma = gamma
            self.actor = GenericNetwork(alpha, input_dims, layer1_size, layer2_size, n_actions)
            self.critic = GenericNetwork(beta, input_dims, layer1_size, layer2_size, 1)
            self.log_probs = None

        def choose_action(self, observation):
            probabilities = F.softmax(self.actor.forward(observation))
            action_probs = T.distributions.Categorical(probabilities)
            action = action_probs.sample()
            self.log_probs = action_probs.log_prob(action)
            return action.item()

        def learn(self, state, reward, new_state, done):
            self.actor.optimizer.zero_grad()
            self.critic.optimizer.zero_grad()
            critic_value_ = self.critic.forward(new_state)
            critic_value = self.critic.forward(state)
            reward = T.tensor(reward, dtype=T.float).to(self.actor.device)
            delta = reward + self.gamma * critic_value_ * (1 - int(done)) - critic_value
            actor_loss = -self.log_probs * delta
            critic_loss = delta ** 2
            (actor_loss + critic_loss).backward()
            self.actor.optimizer.step()
            self.critic.optimizer.step()
            return actor_loss, critic_loss

    class NewAgent:
        def __init__(self, alpha, input_dims, gamma=0.99, layer1_size=256, layer2_size=256,
                     n_actions=2):
            self.gamma = gamma
            self.actor_critic = ActorCriticNetwork(alpha, input_dims, layer1_size,
                                                   layer2_size, n_actions=n_actions)
            self.log_probs = None

        def choose_action(self, observation):
            probabilities, _ = self.actor_critic.forward(observation)
            probabilities = F.softmax(probabilities)
            action_probs = T.distributions.Categorical(probabilities)
            action = action_probs.sample()
            self.log_probs = action_probs.log_prob(action)
            return action.item()

        def learn(self, state, reward, new_state, done):
            self.actor_critic.optimizer.zero_grad()
            _, critic_value_ = self.actor_critic.forward(new_state)
            _, critic_value = self.actor_critic.forward(state)
            reward = T.tensor(reward, dtype=T.float).to(self.actor_critic.device)
            delta = reward + self.gamma * critic_value_ * (1 - int(done)) - critic_value
            actor_loss = -self.log_probs * delta
            critic_loss = delta ** 2
            (actor_loss + critic_loss).backward()
            self.actor_critic.optimizer.step()
            return actor_loss, critic_loss

    with Out() as o:
        for k, agent in enumerate([Agent(alpha=1e-4, beta=5e-4, input_dims=[4], gamma=0.99,
                                         n_actions=2, layer1_size=32, layer2_size=32),
                                   NewAgent(alpha=1e-4, input_dims=[8], gamma=0.99,
                                            n_actions=4, layer1_size=32, layer2_size=16)]):
            env = Env(6 + k, n_obs=4 if k == 0 else 8, n_act=2 if k == 0 else 4, length=4)
            for i in range(3):
                done, observation, score = False, env.reset(), 0
                while not done:
                    action = agent.choose_action(observation)
                    observation_, reward, done, info = env.step(action)
                    a_loss, c_loss = agent.learn(observation, reward, observation_, done)
                    observation = observation_
                    score += reward
                o.print('episode', i, 'score %.2f' % score, tuple(a_loss.shape),
                        a_loss.requires_grad, 'critic %.4f' % c_loss.item())
            o.vals += [p.detach() for p in (agent.actor.parameters() if k == 0
                                            else agent.actor_critic.parameters())]
    return o.done()


def actor_critic_continuous(L):
    """actor_critic_continuous.py (MountainCarContinuous): Normal(mu, exp(sigma)), a sample
    of sample_shape T.Size([1]), tanh, .item() of a (1, 1) tensor."""
    T = L
    L.manual_seed(5)
    GenericNetwork, ActorCriticNetwork = _generic(L, 5)

    class Agent:
        def __init__(self, alpha, beta, input_dims, gamma=0.99, n_actions=2,
                     layer1_size=256, layer2_size=256, n_outputs=1):
            self.gamma, self.log_probs, self.n_outputs = gamma, None, n_outputs
            self.actor = GenericNetwork(alpha, input_dims, layer1_size, layer2_size,
                                        n_actions=n_actions)
            self.critic = GenericNetwork(beta, input_dims, layer1_size, layer2_size,
                                         n_actions=1)

        def choose_action(self, observation):
            mu, sigma = self.actor.forward(observation)
            sigma = T.exp(sigma)
            action_probs = T.distributions.Normal(mu, sigma)
            probs = action_probs.sample(sample_shape=T.Size([self.n_outputs]))
            self.log_probs = action_probs.log_prob(probs).to(self.actor.device)
            action = T.tanh(probs)
            return action.item()

        def learn(self, state, reward, new_state, done):
            self.actor.optimizer.zero_grad()
            self.critic.optimizer.zero_grad()
            critic_value_ = self.critic.forward(new_state)
            critic_value = self.critic.forward(state)
            reward = T.tensor(reward, dtype=T.float).to(self.actor.device)
            delta = ((reward + self.gamma * critic_value_ * (1 - int(done))) - critic_value)
            actor_loss = -self.log_probs * delta
            critic_loss = delta ** 2
            (actor_loss + critic_loss).backward()
            self.actor.optimizer.step()
            self.critic.optimizer.step()
            return actor_loss

    with Out() as o:
        agent = Agent(alpha=5e-6, beta=1e-5, input_dims=[2], gamma=0.99,
                      layer1_size=16, layer2_size=16)
        env = Env(8, n_obs=2, n_act=1, length=5, continuous=True)
        for i in range(3):
            done, observation, score = False, env.reset(), 0
            while not done:
                action = np.array(agent.choose_action(observation)).reshape((1,))
                observation_, reward, done, info = env.step(action)
                a_loss = agent.learn(observation, reward, observation_, done)
                observation = observation_
                score += reward
            o.print('episode', i, 'score %.2f' % score, 'action %.4f' % action[0],
                    tuple(agent.log_probs.shape), tuple(a_loss.shape))
        o.vals += [p.detach() for p in agent.actor.parameters()]
        o.vals += [p.detach() for p in agent.critic.parameters()]
    return o.done()


def actor_critic_replay(L):
    """actor_critic_replay_torch.py with main_torch_actor_critic_replay_lunar_lander.py:
    log-probs (tensors that require grad) stored into a float32 NumPy array, uint8 dones."""
    T, F = L, L.nn.functional
    L.manual_seed(6)
    np.random.seed(6)
    _, ActorCriticNetwork = _generic(L, 6)

    class ReplayBuffer:
        def __init__(self, max_size, input_shape):
            self.mem_size, self.mem_cntr = max_size, 0
            self.state_memory = np.zeros((self.mem_size, *input_shape), dtype=np.float32)
            self.new_state_memory = np.zeros((self.mem_size, *input_shape), dtype=np.float32)
            self.log_probs = np.zeros(self.mem_size, dtype=np.float32)
            self.reward_memory = np.zeros(self.mem_size, dtype=np.float32)
            self.terminal_memory = np.zeros(self.mem_size, dtype=np.bool_)

        def store_transition(self, state, log_prob, reward, state_, done):
            index = self.mem_cntr % self.mem_size
            self.state_memory[index] = state
            self.new_state_memory[index] = state_
            self.log_probs[index] = log_prob
            self.reward_memory[index] = reward
            self.terminal_memory[index] = done
            self.mem_cntr += 1

        def sample_buffer(self, batch_size):
            max_mem = min(self.mem_cntr, self.mem_size)
            batch = np.random.choice(max_mem, batch_size, replace=False)
            return (self.state_memory[batch], self.log_probs[batch], self.reward_memory[batch],
                    self.new_state_memory[batch], self.terminal_memory[batch])

    class Agent:
        def __init__(self, lr, input_dims, n_actions, gamma=0.99, l1_size=256, l2_size=256,
                     batch_size=32, mem_size=1000000):
            self.gamma, self.batch_size = gamma, batch_size
            self.memory = ReplayBuffer(mem_size, input_dims)
            self.actor_critic = ActorCriticNetwork(lr, input_dims, l1_size, l2_size,
                                                   n_actions=n_actions)

        def choose_action(self, observation):
            state = T.tensor([observation]).to(self.actor_critic.device)
            probabilities, _ = self.actor_critic.forward(state)
            probabilities = F.softmax(probabilities)
            action_probs = T.distributions.Categorical(probabilities)
            action = action_probs.sample()
            return action.item(), action_probs.log_prob(action)

        def learn(self):
            if self.memory.mem_cntr < self.batch_size:
                return None
            self.actor_critic.optimizer.zero_grad()
            state, prob, reward, new_state, done = self.memory.sample_buffer(self.batch_size)
            states = T.tensor(state).to(self.actor_critic.device)
            probs = T.tensor(prob).to(self.actor_critic.device)
            rewards = T.tensor(reward).to(self.actor_critic.device)
            dones = T.tensor(done).to(self.actor_critic.device)
            states_ = T.tensor(new_state).to(self.actor_critic.device)
            _, critic_value_ = self.actor_critic.forward(states_)
            _, critic_value = self.actor_critic.forward(states)
            critic_value_[dones] = 0.0
            delta = rewards + self.gamma * critic_value_
            actor_loss = -T.mean(probs * (delta - critic_value))
            critic_loss = F.mse_loss(delta, critic_value)
            (actor_loss + critic_loss).backward()
            self.actor_critic.optimizer.step()
            return delta, critic_loss

    with Out() as o:
        agent = Agent(lr=1e-3, input_dims=[8], n_actions=4, gamma=0.99, l1_size=16,
                      l2_size=16, batch_size=5, mem_size=30)
        env = Env(9)
        for i in range(3):
            done, observation, score = False, env.reset(), 0
            while not done:
                action, prob = agent.choose_action(observation)
                observation_, reward, done, info = env.step(action)
                o.tryit(lambda: agent.memory.store_transition(observation, prob, reward,
                                                              observation_, int(done)))
                agent.memory.store_transition(observation, prob.item(), reward,
                                              observation_, int(done))
                out = agent.learn()
                observation = observation_
                score += reward
            o.print('episode', i, 'score %.2f' % score, tuple(out[0].shape),
                    'critic %.4f' % out[1].item())
        o.vals += [p.detach() for p in agent.actor_critic.parameters()]
    return o.done()
