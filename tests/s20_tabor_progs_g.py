"""philtabor/Youtube-Code-Repository, ReinforcementLearning/PolicyGradient/PPO/torch:
ppo_torch.py (PPOMemory batches, GAE in a Python loop, Categorical policy from a Softmax
Sequential) with main.py's loop, as users type it; CartPole replaced by the stand-in of
tests/s20_tabor_progs.py, sizes shrunk (two episodes: later Adam steps on near-zero gradients
magnify last-bit matmul differences between OpenBLAS and MKL)."""

import numpy as np
from s16_yunjey_progs import Out
from s20_tabor_progs import Env


def ppo(L):
    """PPO/torch/ppo_torch.py + main.py (CartPole): PPOMemory, GAE in a Python loop."""
    T, nn, optim = L, L.nn, L.optim
    Categorical = L.distributions.categorical.Categorical
    L.manual_seed(10)
    np.random.seed(10)

    class PPOMemory:
        def __init__(self, batch_size):
            self.states, self.probs, self.vals = [], [], []
            self.actions, self.rewards, self.dones = [], [], []
            self.batch_size = batch_size

        def generate_batches(self):
            n_states = len(self.states)
            batch_start = np.arange(0, n_states, self.batch_size)
            indices = np.arange(n_states, dtype=np.int64)
            np.random.shuffle(indices)
            batches = [indices[i:i + self.batch_size] for i in batch_start]
            return np.array(self.states), np.array(self.actions), np.array(self.probs), \
                np.array(self.vals), np.array(self.rewards), np.array(self.dones), batches

        def store_memory(self, state, action, probs, vals, reward, done):
            self.states.append(state)
            self.actions.append(action)
            self.probs.append(probs)
            self.vals.append(vals)
            self.rewards.append(reward)
            self.dones.append(done)

        def clear_memory(self):
            self.states, self.probs, self.actions = [], [], []
            self.rewards, self.dones, self.vals = [], [], []

    class ActorNetwork(nn.Module):
        def __init__(self, n_actions, input_dims, alpha, fc1_dims=256, fc2_dims=256):
            super(ActorNetwork, self).__init__()
            self.actor = nn.Sequential(
                nn.Linear(*input_dims, fc1_dims), nn.ReLU(),
                nn.Linear(fc1_dims, fc2_dims), nn.ReLU(),
                nn.Linear(fc2_dims, n_actions), nn.Softmax(dim=-1))
            self.optimizer = optim.Adam(self.parameters(), lr=alpha)
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, state):
            return Categorical(self.actor(state))

    class CriticNetwork(nn.Module):
        def __init__(self, input_dims, alpha, fc1_dims=256, fc2_dims=256):
            super(CriticNetwork, self).__init__()
            self.critic = nn.Sequential(
                nn.Linear(*input_dims, fc1_dims), nn.ReLU(),
                nn.Linear(fc1_dims, fc2_dims), nn.ReLU(), nn.Linear(fc2_dims, 1))
            self.optimizer = optim.Adam(self.parameters(), lr=alpha)
            self.device = T.device('cuda:0' if T.cuda.is_available() else 'cpu')
            self.to(self.device)

        def forward(self, state):
            return self.critic(state)

    class Agent:
        def __init__(self, n_actions, input_dims, gamma=0.99, alpha=0.0003, gae_lambda=0.95,
                     policy_clip=0.2, batch_size=64, n_epochs=10, h=256):
            self.gamma, self.policy_clip, self.n_epochs = gamma, policy_clip, n_epochs
            self.gae_lambda = gae_lambda
            self.actor = ActorNetwork(n_actions, input_dims, alpha, h, h)
            self.critic = CriticNetwork(input_dims, alpha, h, h)
            self.memory = PPOMemory(batch_size)

        def remember(self, state, action, probs, vals, reward, done):
            self.memory.store_memory(state, action, probs, vals, reward, done)

        def choose_action(self, observation):
            state = T.tensor([observation], dtype=T.float).to(self.actor.device)
            dist = self.actor(state)
            value = self.critic(state)
            action = dist.sample()
            probs = T.squeeze(dist.log_prob(action)).item()
            action = T.squeeze(action).item()
            value = T.squeeze(value).item()
            return action, probs, value

        def learn(self):
            for _ in range(self.n_epochs):
                state_arr, action_arr, old_prob_arr, vals_arr, reward_arr, dones_arr, batches = \
                    self.memory.generate_batches()
                values = vals_arr
                advantage = np.zeros(len(reward_arr), dtype=np.float32)
                for t in range(len(reward_arr) - 1):
                    discount, a_t = 1, 0
                    for k in range(t, len(reward_arr) - 1):
                        a_t += discount * (reward_arr[k] + self.gamma * values[k + 1] *
                                           (1 - int(dones_arr[k])) - values[k])
                        discount *= self.gamma * self.gae_lambda
                    advantage[t] = a_t
                advantage = T.tensor(advantage).to(self.actor.device)
                values = T.tensor(values).to(self.actor.device)
                for batch in batches:
                    states = T.tensor(state_arr[batch], dtype=T.float).to(self.actor.device)
                    old_probs = T.tensor(old_prob_arr[batch]).to(self.actor.device)
                    actions = T.tensor(action_arr[batch]).to(self.actor.device)
                    dist = self.actor(states)
                    critic_value = T.squeeze(self.critic(states))
                    new_probs = dist.log_prob(actions)
                    prob_ratio = new_probs.exp() / old_probs.exp()
                    weighted_probs = advantage[batch] * prob_ratio
                    weighted_clipped_probs = T.clamp(prob_ratio, 1 - self.policy_clip,
                                                     1 + self.policy_clip) * advantage[batch]
                    actor_loss = -T.min(weighted_probs, weighted_clipped_probs).mean()
                    returns = advantage[batch] + values[batch]
                    critic_loss = ((returns - critic_value) ** 2).mean()
                    total_loss = actor_loss + 0.5 * critic_loss
                    self.actor.optimizer.zero_grad()
                    self.critic.optimizer.zero_grad()
                    total_loss.backward()
                    self.actor.optimizer.step()
                    self.critic.optimizer.step()
            self.memory.clear_memory()
            return total_loss, returns.dtype, values.dtype, old_probs.dtype

    with Out() as o:
        env = Env(13, n_obs=4, n_act=2, length=7)
        N = 5
        agent = Agent(n_actions=2, batch_size=3, alpha=0.0003, n_epochs=2, input_dims=(4,),
                      h=16)
        n_steps = 0
        for i in range(2):
            observation, done, score = env.reset(), False, 0
            while not done:
                action, prob, val = agent.choose_action(observation)
                observation_, reward, done, info = env.step(action)
                n_steps += 1
                score += reward
                agent.remember(observation, action, prob, val, reward, done)
                if n_steps % N == 0:
                    out = agent.learn()
                    o.print('learn', n_steps, 'loss %.4f' % out[0].item(), *out[1:])
                observation = observation_
            o.print('episode', i, 'score %.2f' % score, type(prob).__name__, type(val).__name__)
        o.vals += [p.detach() for p in agent.actor.parameters()]
        o.vals += [p.detach() for p in agent.critic.parameters()]
    return o.done()
