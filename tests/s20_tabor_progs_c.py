"""philtabor/Youtube-Code-Repository, ReinforcementLearning/PolicyGradient continuous-control
agents as users type them: DDPG/lunar-lander/pytorch/ddpg_torch.py (OU noise, LayerNorm,
uniform_ init on .data, the target built from a list of 0-d products), TD3/td3_torch.py
(clipped target noise, two critics, delayed actor) and SAC/networks.py + sac_torch.py
(reparameterised Normal, tanh squashing, value network with soft target updates). Gym's
continuous LunarLander / InvertedPendulum replaced by the stand-in of tests/s20_tabor_progs.py
with an action_space giving float32 high / low arrays; sizes shrunk."""

import os

import numpy as np
from s16_yunjey_progs import Out
from s20_tabor_progs import Env


class Box:
    def __init__(self, n):
        self.high = np.ones(n, dtype=np.float32)
        self.low = -np.ones(n, dtype=np.float32)
        self.shape = (n,)


class ContEnv(Env):
    def __init__(self, seed, n_obs=8, n_act=2, length=5):
        super().__init__(seed, n_obs, n_act, length, continuous=True)
        self.action_space = Box(n_act)


class ReplayBuffer:
    """ddpg_torch.py / td3_torch.py's buffer (float64 NumPy arrays)."""

    def __init__(self, max_size, input_shape, n_actions, ddpg=False):
        self.mem_size, self.mem_cntr, self.ddpg = max_size, 0, ddpg
        self.state_memory = np.zeros((self.mem_size, *input_shape))
        self.new_state_memory = np.zeros((self.mem_size, *input_shape))
        self.action_memory = np.zeros((self.mem_size, n_actions))
        self.reward_memory = np.zeros(self.mem_size)
        self.terminal_memory = np.zeros(self.mem_size, dtype=np.float32 if ddpg else np.bool_)

    def store_transition(self, state, action, reward, state_, done):
        index = self.mem_cntr % self.mem_size
        self.state_memory[index] = state
        self.new_state_memory[index] = state_
        self.action_memory[index] = action
        self.reward_memory[index] = reward
        self.terminal_memory[index] = 1 - done if self.ddpg else done
        self.mem_cntr += 1

    def sample_buffer(self, batch_size):
        max_mem = min(self.mem_cntr, self.mem_size)
        batch = np.random.choice(max_mem, batch_size)
        return (self.state_memory[batch], self.action_memory[batch], self.reward_memory[batch],
                self.new_state_memory[batch], self.terminal_memory[batch])


class OUActionNoise(object):
    def __init__(self, mu, sigma=0.15, theta=.2, dt=1e-2, x0=None):
        self.theta, self.mu, self.sigma, self.dt, self.x0 = theta, mu, sigma, dt, x0
        self.reset()

    def __call__(self):
        x = self.x_prev + self.theta * (self.mu - self.x_prev) * self.dt + \
            self.sigma * np.sqrt(self.dt) * np.random.normal(size=self.mu.shape)
        self.x_prev = x
        return x

    def reset(self):
        self.x_prev = self.x0 if self.x0 is not None else np.zeros_like(self.mu)


def ddpg(L):
    T, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    L.manual_seed(7)
    np.random.seed(7)

    class CriticNetwork(nn.Module):
        def __init__(self, beta, input_dims, fc1_dims, fc2_dims, n_actions, name,
                     chkpt_dir='tmp/ddpg'):
            super(CriticNetwork, self).__init__()
            self.checkpoint_file = os.path.join(chkpt_dir, name + '_ddpg')
            self.fc1 = nn.Linear(*input_dims, fc1_dims)
            f1 = 1. / np.sqrt(self.fc1.weight.data.size()[0])
            T.nn.init.uniform_(self.fc1.weight.data, -f1, f1)
            T.nn.init.uniform_(self.fc1.bias.data, -f1, f1)
            self.bn1 = nn.LayerNorm(fc1_dims)
            self.fc2 = nn.Linear(fc1_dims, fc2_dims)
            f2 = 1. / np.sqrt(self.fc2.weight.data.size()[0])
            T.nn.init.uniform_(self.fc2.weight.data, -f2, f2)
            T.nn.init.uniform_(self.fc2.bias.data, -f2, f2)
            self.bn2 = nn.LayerNorm(fc2_dims)
            self.action_value = nn.Linear(n_actions, fc2_dims)
            f3 = 0.003
            self.q = nn.Linear(fc2_dims, 1)
            T.nn.init.uniform_(self.q.weight.data, -f3, f3)
            T.nn.init.uniform_(self.q.bias.data, -f3, f3)
            self.optimizer = optim.Adam(self.parameters(), lr=beta)
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, state, action):
            state_value = self.bn1(self.fc1(state))
            state_value = F.relu(state_value)
            state_value = self.bn2(self.fc2(state_value))
            action_value = F.relu(self.action_value(action))
            state_action_value = F.relu(T.add(state_value, action_value))
            return self.q(state_action_value)

    class ActorNetwork(nn.Module):
        def __init__(self, alpha, input_dims, fc1_dims, fc2_dims, n_actions, name,
                     chkpt_dir='tmp/ddpg'):
            super(ActorNetwork, self).__init__()
            self.fc1 = nn.Linear(*input_dims, fc1_dims)
            f1 = 1. / np.sqrt(self.fc1.weight.data.size()[0])
            T.nn.init.uniform_(self.fc1.weight.data, -f1, f1)
            T.nn.init.uniform_(self.fc1.bias.data, -f1, f1)
            self.bn1 = nn.LayerNorm(fc1_dims)
            self.fc2 = nn.Linear(fc1_dims, fc2_dims)
            f2 = 1. / np.sqrt(self.fc2.weight.data.size()[0])
            T.nn.init.uniform_(self.fc2.weight.data, -f2, f2)
            T.nn.init.uniform_(self.fc2.bias.data, -f2, f2)
            self.bn2 = nn.LayerNorm(fc2_dims)
            f3 = 0.003
            self.mu = nn.Linear(fc2_dims, n_actions)
            T.nn.init.uniform_(self.mu.weight.data, -f3, f3)
            T.nn.init.uniform_(self.mu.bias.data, -f3, f3)
            self.optimizer = optim.Adam(self.parameters(), lr=alpha)
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, state):
            x = F.relu(self.bn1(self.fc1(state)))
            x = F.relu(self.bn2(self.fc2(x)))
            return T.tanh(self.mu(x))

    class Agent(object):
        def __init__(self, alpha, beta, input_dims, tau, env, gamma=0.99, n_actions=2,
                     max_size=1000000, layer1_size=400, layer2_size=300, batch_size=64):
            self.gamma, self.tau, self.batch_size = gamma, tau, batch_size
            self.memory = ReplayBuffer(max_size, input_dims, n_actions, ddpg=True)
            self.actor = ActorNetwork(alpha, input_dims, layer1_size, layer2_size,
                                      n_actions=n_actions, name='Actor')
            self.critic = CriticNetwork(beta, input_dims, layer1_size, layer2_size,
                                        n_actions=n_actions, name='Critic')
            self.target_actor = ActorNetwork(alpha, input_dims, layer1_size, layer2_size,
                                             n_actions=n_actions, name='TargetActor')
            self.target_critic = CriticNetwork(beta, input_dims, layer1_size, layer2_size,
                                               n_actions=n_actions, name='TargetCritic')
            self.noise = OUActionNoise(mu=np.zeros(n_actions))
            self.update_network_parameters(tau=1)

        def choose_action(self, observation):
            self.actor.eval()
            observation = T.tensor(observation, dtype=T.float).to(self.actor.device)
            mu = self.actor.forward(observation).to(self.actor.device)
            mu_prime = mu + T.tensor(self.noise(), dtype=T.float).to(self.actor.device)
            self.actor.train()
            return mu_prime.cpu().detach().numpy()

        def remember(self, state, action, reward, new_state, done):
            self.memory.store_transition(state, action, reward, new_state, done)

        def learn(self):
            if self.memory.mem_cntr < self.batch_size:
                return None
            state, action, reward, new_state, done = self.memory.sample_buffer(self.batch_size)
            reward = T.tensor(reward, dtype=T.float).to(self.critic.device)
            done = T.tensor(done).to(self.critic.device)
            new_state = T.tensor(new_state, dtype=T.float).to(self.critic.device)
            action = T.tensor(action, dtype=T.float).to(self.critic.device)
            state = T.tensor(state, dtype=T.float).to(self.critic.device)
            self.target_actor.eval()
            self.target_critic.eval()
            self.critic.eval()
            target_actions = self.target_actor.forward(new_state)
            critic_value_ = self.target_critic.forward(new_state, target_actions)
            critic_value = self.critic.forward(state, action)
            target = []
            for j in range(self.batch_size):
                target.append(reward[j] + self.gamma * critic_value_[j] * done[j])
            target = T.tensor(target).to(self.critic.device)
            target = target.view(self.batch_size, 1)
            self.critic.train()
            self.critic.optimizer.zero_grad()
            critic_loss = F.mse_loss(target, critic_value)
            critic_loss.backward()
            self.critic.optimizer.step()
            self.critic.eval()
            self.actor.optimizer.zero_grad()
            mu = self.actor.forward(state)
            self.actor.train()
            actor_loss = -self.critic.forward(state, mu)
            actor_loss = T.mean(actor_loss)
            actor_loss.backward()
            self.actor.optimizer.step()
            self.update_network_parameters()
            return critic_loss, actor_loss, target

        def update_network_parameters(self, tau=None):
            if tau is None:
                tau = self.tau
            critic_state_dict = dict(self.critic.named_parameters())
            actor_state_dict = dict(self.actor.named_parameters())
            target_critic_dict = dict(self.target_critic.named_parameters())
            target_actor_dict = dict(self.target_actor.named_parameters())
            for name in critic_state_dict:
                critic_state_dict[name] = tau * critic_state_dict[name].clone() + \
                    (1 - tau) * target_critic_dict[name].clone()
            self.target_critic.load_state_dict(critic_state_dict)
            for name in actor_state_dict:
                actor_state_dict[name] = tau * actor_state_dict[name].clone() + \
                    (1 - tau) * target_actor_dict[name].clone()
            self.target_actor.load_state_dict(actor_state_dict)

    with Out() as o:
        env = ContEnv(10)
        agent = Agent(alpha=0.000025, beta=0.00025, input_dims=[8], tau=0.001, env=env,
                      batch_size=4, layer1_size=16, layer2_size=12, n_actions=2)
        o.print(agent.critic)
        for i in range(3):
            obs, done, score = env.reset(), False, 0
            while not done:
                act = agent.choose_action(obs)
                new_state, reward, done, info = env.step(act)
                agent.remember(obs, act, reward, new_state, int(done))
                out = agent.learn()
                score += reward
                obs = new_state
            o.print('episode ', i, 'score %.2f' % score, act.dtype, act.shape,
                    'critic %.4f actor %.4f' % (out[0].item(), out[1].item()),
                    out[2].dtype, out[2].requires_grad)
        o.vals += [p.detach() for p in agent.actor.parameters()]
        o.vals += [p.detach() for p in agent.target_critic.parameters()]
    return o.done()
