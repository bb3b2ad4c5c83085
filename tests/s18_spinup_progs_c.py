"""bentrevett/pytorch-rl's CartPole notebooks ('1 - Vanilla Policy Gradient (REINFORCE)
[CartPole]', '3 - Advantage Actor Critic (A2C) [CartPole]', '4 - Generalized Advantage
Estimation (GAE) [CartPole]', '5 - Proximal Policy Optimization (PPO) [CartPole]') as users
type them, on the seeded Discrete ToyEnv instead of gym's CartPole, as
``prog(L) -> (printed, values)``: MLP with dropout, init_weights with xavier_normal_ applied
through policy.apply, Categorical over F.softmax probabilities, calculate_returns /
calculate_advantages with normalisation, smooth_l1_loss, the clipped PPO update, evaluate()
with argmax, and the '| Episode: ... |' printouts."""

import numpy as np
from s16_yunjey_progs import Out
from s18_spinup_progs import ToyEnv


def _notebook(L, out, algo, max_episodes=6, print_every=2, lr=0.01, discount_factor=0.99,
              ppo_steps=3, ppo_clip=0.2, trace_decay=0.99, hidden_dim=32, seed=1234):
    torch, nn, optim = L, L.nn, L.optim
    F = L.nn.functional
    distributions = L.distributions
    train_env = ToyEnv(4, n_actions=2, seed=1, max_len=(5, 12))
    test_env = ToyEnv(4, n_actions=2, seed=2, max_len=(5, 12))
    np.random.seed(seed)
    torch.manual_seed(seed)

    class MLP(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim, dropout=0.5):
            super().__init__()
            self.fc_1 = nn.Linear(input_dim, hidden_dim)
            self.fc_2 = nn.Linear(hidden_dim, output_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            x = self.fc_1(x)
            x = self.dropout(x)
            x = F.relu(x)
            x = self.fc_2(x)
            return x

    class ActorCritic(nn.Module):
        def __init__(self, actor, critic):
            super().__init__()
            self.actor = actor
            self.critic = critic

        def forward(self, state):
            action_pred = self.actor(state)
            value_pred = self.critic(state)
            return action_pred, value_pred

    INPUT_DIM = train_env.observation_space.shape[0]
    OUTPUT_DIM = train_env.action_space.n
    if algo == 'reinforce':
        policy = MLP(INPUT_DIM, hidden_dim, OUTPUT_DIM)
    else:
        actor = MLP(INPUT_DIM, hidden_dim, OUTPUT_DIM)
        critic = MLP(INPUT_DIM, hidden_dim, 1)
        policy = ActorCritic(actor, critic)

    def init_weights(m):
        if type(m) == nn.Linear:
            torch.nn.init.xavier_normal_(m.weight)
            m.bias.data.fill_(0)

    out.print(policy.apply(init_weights))
    optimizer = optim.Adam(policy.parameters(), lr=lr)

    def calculate_returns(rewards, discount_factor, normalize=True):
        returns = []
        R = 0
        for r in reversed(rewards):
            R = r + R * discount_factor
            returns.insert(0, R)
        returns = torch.tensor(returns)
        if normalize:
            returns = (returns - returns.mean()) / returns.std()
        return returns

    def calculate_advantages(returns, values, normalize=True):
        advantages = returns - values
        if normalize:
            advantages = (advantages - advantages.mean()) / advantages.std()
        return advantages

    def calculate_gae(rewards, values, discount_factor, trace_decay, normalize=True):
        advantages = []
        advantage = 0
        next_value = 0
        for r, v in zip(reversed(rewards), reversed(values)):
            td_error = r + next_value * discount_factor - v
            advantage = td_error + advantage * discount_factor * trace_decay
            next_value = v
            advantages.insert(0, advantage)
        advantages = torch.tensor(advantages)
        if normalize:
            advantages = (advantages - advantages.mean()) / advantages.std()
        return advantages

    def update_policy(states, actions, log_prob_actions, advantages, returns, values):
        if algo == 'reinforce':
            returns = returns.detach()
            loss = - (returns * log_prob_actions).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.item(), 0.0
        if algo in ('a2c', 'gae'):
            advantages = advantages.detach()
            returns = returns.detach()
            policy_loss = - (advantages * log_prob_actions).sum()
            value_loss = F.smooth_l1_loss(returns, values).sum()
            optimizer.zero_grad()
            policy_loss.backward()
            value_loss.backward()
            optimizer.step()
            return policy_loss.item(), value_loss.item()
        total_policy_loss = 0
        total_value_loss = 0
        advantages = advantages.detach()
        log_prob_actions = log_prob_actions.detach()
        actions = actions.detach()
        for _ in range(ppo_steps):
            action_pred, value_pred = policy(states)
            value_pred = value_pred.squeeze(-1)
            action_prob = F.softmax(action_pred, dim=-1)
            dist = distributions.Categorical(action_prob)
            new_log_prob_actions = dist.log_prob(actions)
            policy_ratio = (new_log_prob_actions - log_prob_actions).exp()
            policy_loss_1 = policy_ratio * advantages
            policy_loss_2 = torch.clamp(policy_ratio, min=1.0 - ppo_clip,
                                        max=1.0 + ppo_clip) * advantages
            policy_loss = - torch.min(policy_loss_1, policy_loss_2).sum()
            value_loss = F.smooth_l1_loss(returns, value_pred).sum()
            optimizer.zero_grad()
            policy_loss.backward()
            value_loss.backward()
            optimizer.step()
            total_policy_loss += policy_loss.item()
            total_value_loss += value_loss.item()
        return total_policy_loss / ppo_steps, total_value_loss / ppo_steps

    def train(env):
        policy.train()
        states, actions, log_prob_actions, values, rewards = [], [], [], [], []
        done = False
        episode_reward = 0
        state = env.reset()
        while not done:
            state = torch.FloatTensor(state).unsqueeze(0)
            states.append(state)
            if algo == 'reinforce':
                action_pred = policy(state)
            else:
                action_pred, value_pred = policy(state)
                values.append(value_pred)
            action_prob = F.softmax(action_pred, dim=-1)
            dist = distributions.Categorical(action_prob)
            action = dist.sample()
            log_prob_action = dist.log_prob(action)
            state, reward, done, _ = env.step(action.item())
            actions.append(action)
            log_prob_actions.append(log_prob_action)
            rewards.append(reward)
            episode_reward += reward
        states = torch.cat(states)
        actions = torch.cat(actions)
        log_prob_actions = torch.cat(log_prob_actions)
        returns = calculate_returns(rewards, discount_factor)
        if algo == 'reinforce':
            advantages = None
        else:
            values = torch.cat(values).squeeze(-1)
            if algo == 'gae':
                advantages = calculate_gae(rewards, values, discount_factor, trace_decay)
            else:
                advantages = calculate_advantages(returns, values)
        out.vals.append(returns)
        if advantages is not None:
            out.vals.append(advantages)
        losses = update_policy(states, actions, log_prob_actions, advantages, returns, values)
        return losses[0], losses[1], episode_reward

    def evaluate(env):
        policy.eval()
        done = False
        episode_reward = 0
        state = env.reset()
        while not done:
            state = torch.FloatTensor(state).unsqueeze(0)
            with torch.no_grad():
                action_pred = policy(state)
                if algo != 'reinforce':
                    action_pred, _ = action_pred
                action_prob = F.softmax(action_pred, dim=-1)
            action = torch.argmax(action_prob, dim=-1)
            state, reward, done, _ = env.step(action.item())
            episode_reward += reward
        return episode_reward

    train_rewards, test_rewards = [], []
    for episode in range(1, max_episodes+1):
        policy_loss, value_loss, train_reward = train(train_env)
        test_reward = evaluate(test_env)
        train_rewards.append(train_reward)
        test_rewards.append(test_reward)
        mean_train_rewards = np.mean(train_rewards[-25:])
        mean_test_rewards = np.mean(test_rewards[-25:])
        out.vals.append(np.array([policy_loss, value_loss]))
        if episode % print_every == 0:
            out.print(f'| Episode: {episode:3} | Mean Train Rewards: {mean_train_rewards:5.1f} '
                      f'| Mean Test Rewards: {mean_test_rewards:5.1f} |')
    out.vals += [p.detach().clone() for p in policy.parameters()]


def reinforce(L):
    with Out() as out:
        _notebook(L, out, 'reinforce')
    return out.lines, out.vals


def a2c(L):
    with Out() as out:
        _notebook(L, out, 'a2c')
    return out.lines, out.vals


def gae(L):
    with Out() as out:
        _notebook(L, out, 'gae')
    return out.lines, out.vals


def ppo(L):
    with Out() as out:
        _notebook(L, out, 'ppo')
    return out.lines, out.vals
