"""philtabor/Youtube-Code-Repository, ReinforcementLearning/PolicyGradient: TD3/td3_torch.py,
SAC/networks.py + sac_torch.py as users type them, with their main.py loops shrunk. See
tests/s20_tabor_progs_c.py for the continuous environment stand-in."""

import numpy as np
from s16_yunjey_progs import Out
from s20_tabor_progs_c import ContEnv, ReplayBuffer


def _nets(L, kind):
    T, nn, F, optim = L, L.nn, L.nn.functional, L.optim

    class CriticNetwork(nn.Module):
        def __init__(self, beta, input_dims, fc1_dims, fc2_dims, n_actions, name):
            super(CriticNetwork, self).__init__()
            self.input_dims, self.name = input_dims, name
            self.fc1 = nn.Linear(self.input_dims[0] + n_actions, fc1_dims)
            self.fc2 = nn.Linear(fc1_dims, fc2_dims)
            self.q1 = nn.Linear(fc2_dims, 1)
            self.optimizer = optim.Adam(self.parameters(), lr=beta)
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, state, action):
            q1_action_value = F.relu(self.fc1(T.cat([state, action], dim=1)))
            q1_action_value = F.relu(self.fc2(q1_action_value))
            return self.q1(q1_action_value)

    class ValueNetwork(nn.Module):
        def __init__(self, beta, input_dims, fc1_dims=256, fc2_dims=256, name='value'):
            super(ValueNetwork, self).__init__()
            self.fc1 = nn.Linear(*input_dims, fc1_dims)
            self.fc2 = nn.Linear(fc1_dims, fc2_dims)
            self.v = nn.Linear(fc2_dims, 1)
            self.optimizer = optim.Adam(self.parameters(), lr=beta)
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, state):
            return self.v(F.relu(self.fc2(F.relu(self.fc1(state)))))

    class ActorNetwork(nn.Module):
        def __init__(self, alpha, input_dims, fc1_dims, fc2_dims, n_actions, name,
                     max_action=None):
            super(ActorNetwork, self).__init__()
            self.max_action, self.reparam_noise = max_action, 1e-6
            self.fc1 = nn.Linear(*input_dims, fc1_dims)
            self.fc2 = nn.Linear(fc1_dims, fc2_dims)
            self.mu = nn.Linear(fc2_dims, n_actions)
            if kind == 'sac':
                self.sigma = nn.Linear(fc2_dims, n_actions)
            self.optimizer = optim.Adam(self.parameters(), lr=alpha)
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, state):
            prob = F.relu(self.fc2(F.relu(self.fc1(state))))
            if kind == 'td3':
                return T.tanh(self.mu(prob))
            mu = self.mu(prob)
            sigma = self.sigma(prob)
            sigma = T.clamp(sigma, min=self.reparam_noise, max=1)
            return mu, sigma

        def sample_normal(self, state, reparameterize=True):
            mu, sigma = self.forward(state)
            probabilities = T.distributions.normal.Normal(mu, sigma)
            if reparameterize:
                actions = probabilities.rsample()
            else:
                actions = probabilities.sample()
            action = T.tanh(actions) * T.tensor(self.max_action).to(self.device)
            log_probs = probabilities.log_prob(actions)
            log_probs -= T.log(1 - action.pow(2) + self.reparam_noise)
            log_probs = log_probs.sum(1, keepdim=True)
            return action, log_probs
    return CriticNetwork, ValueNetwork, ActorNetwork


def td3(L):
    T, F = L, L.nn.functional
    L.manual_seed(8)
    np.random.seed(8)
    CriticNetwork, _, ActorNetwork = _nets(L, 'td3')

    class Agent:
        def __init__(self, alpha, beta, input_dims, tau, env, gamma=0.99,
                     update_actor_interval=2, warmup=1000, n_actions=2, max_size=1000000,
                     layer1_size=400, layer2_size=300, batch_size=100, noise=0.1):
            self.gamma, self.tau = gamma, tau
            self.max_action, self.min_action = env.action_space.high, env.action_space.low
            self.memory = ReplayBuffer(max_size, input_dims, n_actions)
            self.batch_size, self.learn_step_cntr, self.time_step = batch_size, 0, 0
            self.warmup, self.n_actions = warmup, n_actions
            self.update_actor_iter = update_actor_interval
            self.actor = ActorNetwork(alpha, input_dims, layer1_size, layer2_size,
                                      n_actions=n_actions, name='actor')
            self.critic_1 = CriticNetwork(beta, input_dims, layer1_size, layer2_size,
                                          n_actions=n_actions, name='critic_1')
            self.critic_2 = CriticNetwork(beta, input_dims, layer1_size, layer2_size,
                                          n_actions=n_actions, name='critic_2')
            self.target_actor = ActorNetwork(alpha, input_dims, layer1_size, layer2_size,
                                             n_actions=n_actions, name='target_actor')
            self.target_critic_1 = CriticNetwork(beta, input_dims, layer1_size, layer2_size,
                                                 n_actions=n_actions, name='target_critic_1')
            self.target_critic_2 = CriticNetwork(beta, input_dims, layer1_size, layer2_size,
                                                 n_actions=n_actions, name='target_critic_2')
            self.noise = noise
            self.update_network_parameters(tau=1)

        def choose_action(self, observation):
            if self.time_step < self.warmup:
                mu = T.tensor(np.random.normal(scale=self.noise, size=(self.n_actions,))
                              ).to(self.actor.device)
            else:
                state = T.tensor(observation, dtype=T.float).to(self.actor.device)
                mu = self.actor.forward(state).to(self.actor.device)
            mu_prime = mu + T.tensor(np.random.normal(scale=self.noise),
                                     dtype=T.float).to(self.actor.device)
            mu_prime = T.clamp(mu_prime, self.min_action[0], self.max_action[0])
            self.time_step += 1
            return mu_prime.cpu().detach().numpy()

        def remember(self, state, action, reward, new_state, done):
            self.memory.store_transition(state, action, reward, new_state, done)

        def learn(self):
            if self.memory.mem_cntr < self.batch_size:
                return None
            state, action, reward, new_state, done = self.memory.sample_buffer(self.batch_size)
            reward = T.tensor(reward, dtype=T.float).to(self.critic_1.device)
            done = T.tensor(done).to(self.critic_1.device)
            state_ = T.tensor(new_state, dtype=T.float).to(self.critic_1.device)
            state = T.tensor(state, dtype=T.float).to(self.critic_1.device)
            action = T.tensor(action, dtype=T.float).to(self.critic_1.device)
            target_actions = self.target_actor.forward(state_)
            target_actions = target_actions + \
                T.clamp(T.tensor(np.random.normal(scale=0.2)), -0.5, 0.5)
            target_actions = T.clamp(target_actions, self.min_action[0], self.max_action[0])
            q1_ = self.target_critic_1.forward(state_, target_actions)
            q2_ = self.target_critic_2.forward(state_, target_actions)
            q1 = self.critic_1.forward(state, action)
            q2 = self.critic_2.forward(state, action)
            q1_[done] = 0.0
            q2_[done] = 0.0
            q1_ = q1_.view(-1)
            q2_ = q2_.view(-1)
            critic_value_ = T.min(q1_, q2_)
            target = reward + self.gamma * critic_value_
            target = target.view(self.batch_size, 1)
            self.critic_1.optimizer.zero_grad()
            self.critic_2.optimizer.zero_grad()
            q1_loss = F.mse_loss(target, q1)
            q2_loss = F.mse_loss(target, q2)
            critic_loss = q1_loss + q2_loss
            critic_loss.backward()
            self.critic_1.optimizer.step()
            self.critic_2.optimizer.step()
            self.learn_step_cntr += 1
            if self.learn_step_cntr % self.update_actor_iter != 0:
                return critic_loss, target_actions.dtype
            self.actor.optimizer.zero_grad()
            actor_q1_loss = self.critic_1.forward(state, self.actor.forward(state))
            actor_loss = -T.mean(actor_q1_loss)
            actor_loss.backward()
            self.actor.optimizer.step()
            self.update_network_parameters()
            return critic_loss, target_actions.dtype

        def update_network_parameters(self, tau=None):
            if tau is None:
                tau = self.tau
            pairs = [(self.critic_1, self.target_critic_1), (self.critic_2, self.target_critic_2),
                     (self.actor, self.target_actor)]
            for net, tgt in pairs:
                src, dst = dict(net.named_parameters()), dict(tgt.named_parameters())
                for name in src:
                    src[name] = tau * src[name].clone() + (1 - tau) * dst[name].clone()
                tgt.load_state_dict(src)

    with Out() as o:
        env = ContEnv(11)
        agent = Agent(alpha=0.001, beta=0.001, input_dims=[8], tau=0.005, env=env,
                      batch_size=4, layer1_size=16, layer2_size=12, n_actions=2, warmup=7)
        for i in range(3):
            observation, done, score = env.reset(), False, 0
            while not done:
                action = agent.choose_action(observation)
                observation_, reward, done, info = env.step(action)
                agent.remember(observation, action, reward, observation_, done)
                out = agent.learn()
                score += reward
                observation = observation_
            o.print('episode ', i, 'score %.2f' % score, action.dtype, action.shape,
                    'critic %.4f' % out[0].item(), out[1])
        o.vals += [p.detach() for p in agent.actor.parameters()]
        o.vals += [p.detach() for p in agent.target_critic_2.parameters()]
    return o.done()


def sac(L):
    T, F = L, L.nn.functional
    L.manual_seed(9)
    np.random.seed(9)
    CriticNetwork, ValueNetwork, ActorNetwork = _nets(L, 'sac')

    class Agent:
        def __init__(self, alpha=0.0003, beta=0.0003, input_dims=[8], env=None, gamma=0.99,
                     n_actions=2, max_size=1000000, tau=0.005, batch_size=256,
                     reward_scale=2, h=256):
            self.gamma, self.tau, self.batch_size, self.n_actions = gamma, tau, batch_size, n_actions
            self.memory = ReplayBuffer(max_size, input_dims, n_actions)
            self.actor = ActorNetwork(alpha, input_dims, h, h, n_actions=n_actions,
                                      name='actor', max_action=env.action_space.high)
            self.critic_1 = CriticNetwork(beta, input_dims, h, h, n_actions, 'critic_1')
            self.critic_2 = CriticNetwork(beta, input_dims, h, h, n_actions, 'critic_2')
            self.value = ValueNetwork(beta, input_dims, h, h, name='value')
            self.target_value = ValueNetwork(beta, input_dims, h, h, name='target_value')
            self.scale = reward_scale
            self.update_network_parameters(tau=1)

        def choose_action(self, observation):
            state = T.Tensor([observation]).to(self.actor.device)
            actions, _ = self.actor.sample_normal(state, reparameterize=False)
            return actions.cpu().detach().numpy()[0]

        def remember(self, state, action, reward, new_state, done):
            self.memory.store_transition(state, action, reward, new_state, done)

        def update_network_parameters(self, tau=None):
            if tau is None:
                tau = self.tau
            target_value_state_dict = dict(self.target_value.named_parameters())
            value_state_dict = dict(self.value.named_parameters())
            for name in value_state_dict:
                value_state_dict[name] = tau * value_state_dict[name].clone() + \
                    (1 - tau) * target_value_state_dict[name].clone()
            self.target_value.load_state_dict(value_state_dict)

        def learn(self):
            if self.memory.mem_cntr < self.batch_size:
                return None
            state, action, reward, new_state, done = self.memory.sample_buffer(self.batch_size)
            reward = T.tensor(reward, dtype=T.float).to(self.actor.device)
            done = T.tensor(done).to(self.actor.device)
            state_ = T.tensor(new_state, dtype=T.float).to(self.actor.device)
            state = T.tensor(state, dtype=T.float).to(self.actor.device)
            action = T.tensor(action, dtype=T.float).to(self.actor.device)
            value = self.value(state).view(-1)
            value_ = self.target_value(state_).view(-1)
            value_[done] = 0.0
            actions, log_probs = self.actor.sample_normal(state, reparameterize=False)
            log_probs = log_probs.view(-1)
            q1_new_policy = self.critic_1.forward(state, actions)
            q2_new_policy = self.critic_2.forward(state, actions)
            critic_value = T.min(q1_new_policy, q2_new_policy).view(-1)
            self.value.optimizer.zero_grad()
            value_target = critic_value - log_probs
            value_loss = 0.5 * F.mse_loss(value, value_target)
            value_loss.backward(retain_graph=True)
            self.value.optimizer.step()
            actions, log_probs = self.actor.sample_normal(state, reparameterize=True)
            log_probs = log_probs.view(-1)
            q1_new_policy = self.critic_1.forward(state, actions)
            q2_new_policy = self.critic_2.forward(state, actions)
            critic_value = T.min(q1_new_policy, q2_new_policy).view(-1)
            actor_loss = T.mean(log_probs - critic_value)
            self.actor.optimizer.zero_grad()
            actor_loss.backward(retain_graph=True)
            self.actor.optimizer.step()
            self.critic_1.optimizer.zero_grad()
            self.critic_2.optimizer.zero_grad()
            q_hat = self.scale * reward + self.gamma * value_
            q1_old_policy = self.critic_1.forward(state, action).view(-1)
            q2_old_policy = self.critic_2.forward(state, action).view(-1)
            critic_1_loss = 0.5 * F.mse_loss(q1_old_policy, q_hat)
            critic_2_loss = 0.5 * F.mse_loss(q2_old_policy, q_hat)
            critic_loss = critic_1_loss + critic_2_loss
            critic_loss.backward()
            self.critic_1.optimizer.step()
            self.critic_2.optimizer.step()
            self.update_network_parameters()
            return value_loss, actor_loss, critic_loss

    with Out() as o:
        env = ContEnv(12)
        agent = Agent(input_dims=[8], env=env, n_actions=env.action_space.shape[0],
                      batch_size=4, h=16)
        for i in range(3):
            observation, done, score = env.reset(), False, 0
            while not done:
                action = agent.choose_action(observation)
                observation_, reward, done, info = env.step(action)
                score += reward
                agent.remember(observation, action, reward, observation_, done)
                out = agent.learn()
                observation = observation_
            o.print('episode ', i, 'score %.2f' % score, action.dtype,
                    'losses ' + ' '.join('%.4f' % x.item() for x in out))
        o.vals += [p.detach() for p in agent.actor.parameters()]
        o.vals += [p.detach() for p in agent.target_value.parameters()]
    return o.done()
