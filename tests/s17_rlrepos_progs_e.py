"""nikhilbarhate99/PPO-PyTorch's earlier files, part e: PPO.py with Memory (discrete,
LunarLander) and PPO_continuous.py (BipedalWalker: torch.diag(action_var) for acting,
diag_embed for evaluating, torch.tensor(rewards) of NumPy float64 rewards so the returns are
float64 beside float32 values), on NumPy fake environments, as ``prog(L) -> (printed, values)``
for tests/test_programs_s17_rlrepos.py."""

import numpy as np
from s16_yunjey_progs import Out
from s17_rlrepos_progs import FakeEnv


class F64Env(FakeEnv):
    """Rewards as NumPy float64 scalars (Box2D environments return them so)."""

    def step(self, action):
        obs, reward, done, info = super().step(action)
        return obs, np.float64(reward), done, info


def ppo_memory_discrete(L):
    torch, nn = L, L.nn
    Categorical = L.distributions.Categorical
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    with Out() as o:
        class Memory:
            def __init__(self):
                self.actions = []
                self.states = []
                self.logprobs = []
                self.rewards = []

            def clear_memory(self):
                del self.actions[:]
                del self.states[:]
                del self.logprobs[:]
                del self.rewards[:]

        class ActorCritic(nn.Module):
            def __init__(self, state_dim, action_dim, n_latent_var):
                super(ActorCritic, self).__init__()
                self.affine = nn.Linear(state_dim, n_latent_var)
                self.action_layer = nn.Sequential(
                    nn.Linear(state_dim, n_latent_var), nn.Tanh(),
                    nn.Linear(n_latent_var, n_latent_var), nn.Tanh(),
                    nn.Linear(n_latent_var, action_dim), nn.Softmax(dim=-1))
                self.value_layer = nn.Sequential(
                    nn.Linear(state_dim, n_latent_var), nn.Tanh(),
                    nn.Linear(n_latent_var, n_latent_var), nn.Tanh(),
                    nn.Linear(n_latent_var, 1))

            def forward(self):
                raise NotImplementedError

            def act(self, state, memory):
                state = torch.from_numpy(state).float().to(device)
                action_probs = self.action_layer(state)
                dist = Categorical(action_probs)
                action = dist.sample()
                memory.states.append(state)
                memory.actions.append(action)
                memory.logprobs.append(dist.log_prob(action))
                return action.item()

            def evaluate(self, state, action):
                action_probs = self.action_layer(state)
                dist = Categorical(action_probs)
                action_logprobs = dist.log_prob(action)
                dist_entropy = dist.entropy()
                state_value = self.value_layer(state)
                return action_logprobs, torch.squeeze(state_value), dist_entropy

        class PPO:
            def __init__(self, state_dim, action_dim, n_latent_var, lr, betas, gamma, K_epochs, eps_clip):
                self.lr, self.betas, self.gamma = lr, betas, gamma
                self.eps_clip, self.K_epochs = eps_clip, K_epochs
                self.policy = ActorCritic(state_dim, action_dim, n_latent_var).to(device)
                self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=lr, betas=betas)
                self.policy_old = ActorCritic(state_dim, action_dim, n_latent_var).to(device)
                self.MseLoss = nn.MSELoss()

            def update(self, memory):
                rewards = []
                discounted_reward = 0
                for reward in reversed(memory.rewards):
                    discounted_reward = reward + (self.gamma * discounted_reward)
                    rewards.insert(0, discounted_reward)
                rewards = torch.tensor(rewards).to(device)
                rewards = (rewards - rewards.mean()) / (rewards.std() + 1e-5)
                old_states = torch.stack(memory.states).to(device).detach()
                old_actions = torch.stack(memory.actions).to(device).detach()
                old_logprobs = torch.stack(memory.logprobs).to(device).detach()
                for _ in range(self.K_epochs):
                    logprobs, state_values, dist_entropy = self.policy.evaluate(old_states, old_actions)
                    ratios = torch.exp(logprobs - old_logprobs.detach())
                    advantages = rewards - state_values.detach()
                    surr1 = ratios * advantages
                    surr2 = torch.clamp(ratios, 1 - self.eps_clip, 1 + self.eps_clip) * advantages
                    loss = -torch.min(surr1, surr2) + 0.5 * self.MseLoss(state_values, rewards) - 0.01 * dist_entropy
                    self.optimizer.zero_grad()
                    loss.mean().backward()
                    self.optimizer.step()
                o.print(rewards.dtype, loss.dtype, "loss {:.4f}".format(loss.mean().item()))
                self.policy_old.load_state_dict(self.policy.state_dict())

        env = F64Env(8, n_actions=4, seed=11)
        state_dim, action_dim = 8, 4
        log_interval, max_episodes, max_timesteps = 3, 9, 30
        n_latent_var, update_timestep = 16, 50
        lr, betas, gamma, K_epochs, eps_clip = 0.002, (0.9, 0.999), 0.99, 4, 0.2
        random_seed = 3
        if random_seed:
            torch.manual_seed(random_seed)
            env.seed(random_seed)
        memory = Memory()
        ppo = PPO(state_dim, action_dim, n_latent_var, lr, betas, gamma, K_epochs, eps_clip)
        o.print(lr, betas)
        running_reward = 0
        avg_length = 0
        timestep = 0
        for i_episode in range(1, max_episodes + 1):
            state = env.reset()
            for t in range(max_timesteps):
                timestep += 1
                action = ppo.policy_old.act(state, memory)
                state, reward, done, _ = env.step(action)
                memory.rewards.append(reward)
                if timestep % update_timestep == 0:
                    ppo.update(memory)
                    memory.clear_memory()
                    timestep = 0
                running_reward += reward
                if done:
                    break
            avg_length += t
            if i_episode % log_interval == 0:
                avg_length = int(avg_length / log_interval)
                running_reward = int((running_reward / log_interval))
                o.print('Episode {} \t avg length: {} \t reward: {}'.format(i_episode, avg_length, running_reward))
                running_reward = 0
                avg_length = 0
        o.vals += list(ppo.policy.state_dict().values())
    return o.done()


def ppo_continuous_old(L):
    torch, nn = L, L.nn
    MultivariateNormal = L.distributions.MultivariateNormal
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    with Out() as o:
        class Memory:
            def __init__(self):
                self.actions, self.states, self.logprobs = [], [], []
                self.rewards, self.is_terminals = [], []

            def clear_memory(self):
                del self.actions[:]
                del self.states[:]
                del self.logprobs[:]
                del self.rewards[:]
                del self.is_terminals[:]

        class ActorCritic(nn.Module):
            def __init__(self, state_dim, action_dim, action_std):
                super(ActorCritic, self).__init__()
                self.actor = nn.Sequential(
                    nn.Linear(state_dim, 64), nn.Tanh(), nn.Linear(64, 32), nn.Tanh(),
                    nn.Linear(32, action_dim), nn.Tanh())
                self.critic = nn.Sequential(
                    nn.Linear(state_dim, 64), nn.Tanh(), nn.Linear(64, 32), nn.Tanh(),
                    nn.Linear(32, 1))
                self.action_var = torch.full((action_dim,), action_std * action_std).to(device)

            def act(self, state, memory):
                action_mean = self.actor(state)
                cov_mat = torch.diag(self.action_var).to(device)
                dist = MultivariateNormal(action_mean, cov_mat)
                action = dist.sample()
                action_logprob = dist.log_prob(action)
                memory.states.append(state)
                memory.actions.append(action)
                memory.logprobs.append(action_logprob)
                return action.detach()

            def evaluate(self, state, action):
                action_mean = self.actor(state)
                action_var = self.action_var.expand_as(action_mean)
                cov_mat = torch.diag_embed(action_var).to(device)
                dist = MultivariateNormal(action_mean, cov_mat)
                action_logprobs = dist.log_prob(action)
                dist_entropy = dist.entropy()
                state_value = self.critic(state)
                return action_logprobs, torch.squeeze(state_value), dist_entropy

        class PPO:
            def __init__(self, state_dim, action_dim, action_std, lr, betas, gamma, K_epochs, eps_clip):
                self.lr, self.betas, self.gamma = lr, betas, gamma
                self.eps_clip, self.K_epochs = eps_clip, K_epochs
                self.policy = ActorCritic(state_dim, action_dim, action_std).to(device)
                self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=lr, betas=betas)
                self.policy_old = ActorCritic(state_dim, action_dim, action_std).to(device)
                self.policy_old.load_state_dict(self.policy.state_dict())
                self.MseLoss = nn.MSELoss()

            def select_action(self, state, memory):
                state = torch.FloatTensor(state.reshape(1, -1)).to(device)
                return self.policy_old.act(state, memory).cpu().data.numpy().flatten()

            def update(self, memory):
                rewards = []
                discounted_reward = 0
                for reward, is_terminal in zip(reversed(memory.rewards), reversed(memory.is_terminals)):
                    if is_terminal:
                        discounted_reward = 0
                    discounted_reward = reward + (self.gamma * discounted_reward)
                    rewards.insert(0, discounted_reward)
                rewards = torch.tensor(rewards).to(device)
                rewards = (rewards - rewards.mean()) / (rewards.std() + 1e-5)
                old_states = torch.squeeze(torch.stack(memory.states).to(device), 1).detach()
                old_actions = torch.squeeze(torch.stack(memory.actions).to(device), 1).detach()
                old_logprobs = torch.squeeze(torch.stack(memory.logprobs), 1).to(device).detach()
                for _ in range(self.K_epochs):
                    logprobs, state_values, dist_entropy = self.policy.evaluate(old_states, old_actions)
                    ratios = torch.exp(logprobs - old_logprobs.detach())
                    advantages = rewards - state_values.detach()
                    surr1 = ratios * advantages
                    surr2 = torch.clamp(ratios, 1 - self.eps_clip, 1 + self.eps_clip) * advantages
                    loss = -torch.min(surr1, surr2) + 0.5 * self.MseLoss(state_values, rewards) - 0.01 * dist_entropy
                    self.optimizer.zero_grad()
                    loss.mean().backward()
                    self.optimizer.step()
                o.print(rewards.dtype, advantages.dtype, loss.dtype, "loss {:.4f}".format(loss.mean().item()))
                self.policy_old.load_state_dict(self.policy.state_dict())

        env = F64Env(6, act_dim=2, seed=12)
        log_interval, max_episodes, max_timesteps = 2, 6, 25
        update_timestep, action_std, K_epochs, eps_clip, gamma = 40, 0.5, 5, 0.2, 0.99
        lr, betas = 0.0003, (0.9, 0.999)
        random_seed = 5
        if random_seed:
            o.print("Random Seed: {}".format(random_seed))
            torch.manual_seed(random_seed)
            env.seed(random_seed)
            np.random.seed(random_seed)
        memory = Memory()
        ppo = PPO(6, 2, action_std, lr, betas, gamma, K_epochs, eps_clip)
        o.print(lr, betas)
        running_reward, avg_length, time_step = 0, 0, 0
        for i_episode in range(1, max_episodes + 1):
            state = env.reset()
            for t in range(max_timesteps):
                time_step += 1
                action = ppo.select_action(state, memory)
                state, reward, done, _ = env.step(action)
                memory.rewards.append(reward)
                memory.is_terminals.append(done)
                if time_step % update_timestep == 0:
                    ppo.update(memory)
                    memory.clear_memory()
                    time_step = 0
                running_reward += reward
                if done:
                    break
            avg_length += t
            if i_episode % log_interval == 0:
                avg_length = int(avg_length / log_interval)
                running_reward = int((running_reward / log_interval))
                o.print('Episode {} \t Avg length: {} \t Avg reward: {}'.format(i_episode, avg_length, running_reward))
                running_reward = 0
                avg_length = 0
        o.vals += list(ppo.policy.state_dict().values())
    return o.done()
