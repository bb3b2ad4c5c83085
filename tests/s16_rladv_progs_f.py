"""higgsfield's RL-Adventure-2, part 3: SAC (tanh-squashed Normal with the log-prob
correction), ACER's retrace loss on CartPole-v1 and HER's bit-flipping DQN, as ``prog(L) ->
(printed, values)`` for tests/test_programs_s16_rladv.py."""

import random

import numpy as np
from s16_rladv_progs import Rec
from s16_rladv_progs_e import _replay, _sample


def sac(L):
    """7.soft actor-critic: the Gaussian policy with clamped log_std, tanh squash and the
    log(1 - a^2 + eps) correction, value / soft-Q / target value nets and the mean / std / z
    regularisers."""
    nn, F = L.nn, L.nn.functional
    Normal = L.distributions.Normal
    rec = Rec()
    device = L.device("cpu")

    class ValueNetwork(nn.Module):
        def __init__(self, state_dim, hidden_dim, init_w=3e-3):
            super(ValueNetwork, self).__init__()
            self.linear1 = nn.Linear(state_dim, hidden_dim)
            self.linear2 = nn.Linear(hidden_dim, hidden_dim)
            self.linear3 = nn.Linear(hidden_dim, 1)
            self.linear3.weight.data.uniform_(-init_w, init_w)
            self.linear3.bias.data.uniform_(-init_w, init_w)

        def forward(self, state):
            x = F.relu(self.linear1(state))
            x = F.relu(self.linear2(x))
            return self.linear3(x)

    class SoftQNetwork(nn.Module):
        def __init__(self, num_inputs, num_actions, hidden_size, init_w=3e-3):
            super(SoftQNetwork, self).__init__()
            self.linear1 = nn.Linear(num_inputs + num_actions, hidden_size)
            self.linear2 = nn.Linear(hidden_size, hidden_size)
            self.linear3 = nn.Linear(hidden_size, 1)
            self.linear3.weight.data.uniform_(-init_w, init_w)
            self.linear3.bias.data.uniform_(-init_w, init_w)

        def forward(self, state, action):
            x = L.cat([state, action], 1)
            x = F.relu(self.linear1(x))
            x = F.relu(self.linear2(x))
            return self.linear3(x)

    class PolicyNetwork(nn.Module):
        def __init__(self, num_inputs, num_actions, hidden_size, init_w=3e-3, log_std_min=-20,
                     log_std_max=2):
            super(PolicyNetwork, self).__init__()
            self.log_std_min, self.log_std_max = log_std_min, log_std_max
            self.linear1 = nn.Linear(num_inputs, hidden_size)
            self.linear2 = nn.Linear(hidden_size, hidden_size)
            self.mean_linear = nn.Linear(hidden_size, num_actions)
            self.mean_linear.weight.data.uniform_(-init_w, init_w)
            self.mean_linear.bias.data.uniform_(-init_w, init_w)
            self.log_std_linear = nn.Linear(hidden_size, num_actions)
            self.log_std_linear.weight.data.uniform_(-init_w, init_w)
            self.log_std_linear.bias.data.uniform_(-init_w, init_w)

        def forward(self, state):
            x = F.relu(self.linear1(state))
            x = F.relu(self.linear2(x))
            mean = self.mean_linear(x)
            log_std = self.log_std_linear(x)
            log_std = L.clamp(log_std, self.log_std_min, self.log_std_max)
            return mean, log_std

        def evaluate(self, state, epsilon=1e-6):
            mean, log_std = self.forward(state)
            std = log_std.exp()
            normal = Normal(mean, std)
            z = normal.sample()
            action = L.tanh(z)
            log_prob = normal.log_prob(z) - L.log(1 - action.pow(2) + epsilon)
            log_prob = log_prob.sum(-1, keepdim=True)
            return action, log_prob, z, mean, log_std

        def get_action(self, state):
            state = L.FloatTensor(state).unsqueeze(0).to(device)
            mean, log_std = self.forward(state)
            std = log_std.exp()
            normal = Normal(mean, std)
            z = normal.sample()
            action = L.tanh(z)
            action = action.detach().cpu().numpy()
            return action[0]

    L.manual_seed(4)
    np.random.seed(4)
    value_net = ValueNetwork(3, 32).to(device)
    target_value_net = ValueNetwork(3, 32).to(device)
    soft_q_net = SoftQNetwork(3, 1, 32).to(device)
    policy_net = PolicyNetwork(3, 1, 32).to(device)
    for target_param, param in zip(target_value_net.parameters(), value_net.parameters()):
        target_param.data.copy_(param.data)
    value_criterion = nn.MSELoss()
    soft_q_criterion = nn.MSELoss()
    value_optimizer = L.optim.Adam(value_net.parameters(), lr=3e-4)
    soft_q_optimizer = L.optim.Adam(soft_q_net.parameters(), lr=3e-4)
    policy_optimizer = L.optim.Adam(policy_net.parameters(), lr=3e-4)
    buffer = _replay(4, 64)
    a = policy_net.get_action(buffer[0][0])
    rec(lambda: (type(a).__name__, a.dtype, a.shape))
    rec.vals.append(a)

    def soft_q_update(batch_size, gamma=0.99, mean_lambda=1e-3, std_lambda=1e-3, z_lambda=0.0,
                      soft_tau=1e-2):
        state, action, reward, next_state, done = _sample(buffer, np.random.randint(0, 64, batch_size))
        state = L.FloatTensor(state).to(device)
        next_state = L.FloatTensor(next_state).to(device)
        action = L.FloatTensor(action).to(device)
        reward = L.FloatTensor(reward).unsqueeze(1).to(device)
        done = L.FloatTensor(np.float32(done)).unsqueeze(1).to(device)
        expected_q_value = soft_q_net(state, action)
        expected_value = value_net(state)
        new_action, log_prob, z, mean, log_std = policy_net.evaluate(state)
        target_value = target_value_net(next_state)
        next_q_value = reward + (1 - done) * gamma * target_value
        q_value_loss = soft_q_criterion(expected_q_value, next_q_value.detach())
        expected_new_q_value = soft_q_net(state, new_action)
        next_value = expected_new_q_value - log_prob
        value_loss = value_criterion(expected_value, next_value.detach())
        log_prob_target = expected_new_q_value - expected_value
        policy_loss = (log_prob * (log_prob - log_prob_target).detach()).mean()
        mean_loss = mean_lambda * mean.pow(2).mean()
        std_loss = std_lambda * log_std.pow(2).mean()
        z_loss = z_lambda * z.pow(2).sum(1).mean()
        policy_loss += mean_loss + std_loss + z_loss
        soft_q_optimizer.zero_grad()
        q_value_loss.backward()
        soft_q_optimizer.step()
        value_optimizer.zero_grad()
        value_loss.backward()
        value_optimizer.step()
        policy_optimizer.zero_grad()
        policy_loss.backward()
        policy_optimizer.step()
        for target_param, param in zip(target_value_net.parameters(), value_net.parameters()):
            target_param.data.copy_(target_param.data * (1.0 - soft_tau) + param.data * soft_tau)
        rec(lambda: (str(policy_loss.grad_fn.__class__.__name__), z.requires_grad,
                     new_action.requires_grad, tuple(log_prob.shape)), keep=False)
        return [q_value_loss, value_loss, policy_loss, z, log_prob, new_action]

    for i in range(3):
        rec.vals += [r.detach() for r in soft_q_update(16)]
    for net in (value_net, soft_q_net, policy_net, target_value_net):
        rec.vals += [p.detach().clone() for p in net.parameters()]
    rec(lambda: Normal(L.zeros(2), L.ones(2)).rsample())
    rec(lambda: Normal(L.zeros(2), L.ones(2)).sample().requires_grad)
    rec(lambda: Normal(L.zeros(2, requires_grad=True), L.ones(2)).rsample().requires_grad)
    rec(lambda: Normal(L.zeros(2, requires_grad=True), L.ones(2)).sample().requires_grad)
    rec(lambda: Normal(0, 1).sample((2,)))
    rec(lambda: L.log(1 - L.tanh(L.tensor([20.0])).pow(2) + 1e-6))
    rec(lambda: L.log(1 - L.tanh(L.tensor([20.0])).pow(2)))
    rec(lambda: L.clamp(L.tensor([-30.0, 5.0]), -20, 2))
    rec(lambda: L.clamp(L.tensor([-30, 5]), -20.5, 2))
    return rec.done()


def acer(L):
    """4.acer: actor with clamp(max=1-1e-20), Q critic, value = (policy * q).sum, the
    retrace loop with truncated importance weights and the bias correction (losses of shape
    (1,) from .mean(0)), policy.multinomial(1) actions on CartPole-v1, an off-policy pass
    over stacked trajectories, clip_grad_norm_."""
    import gymnasium as gym
    nn = L.nn
    rec = Rec()

    class ActorCritic(nn.Module):
        def __init__(self, num_inputs, num_actions, hidden_size=16):
            super(ActorCritic, self).__init__()
            self.actor = nn.Sequential(nn.Linear(num_inputs, hidden_size), nn.ReLU(),
                                       nn.Linear(hidden_size, num_actions), nn.Softmax(dim=1))
            self.critic = nn.Sequential(nn.Linear(num_inputs, hidden_size), nn.ReLU(),
                                        nn.Linear(hidden_size, num_actions))

        def forward(self, x):
            policy = self.actor(x).clamp(max=1 - 1e-20)
            q_value = self.critic(x)
            value = (policy * q_value).sum(-1, keepdim=True)
            return policy, q_value, value

    def compute_acer_loss(policies, q_values, values, actions, rewards, retrace, masks,
                          behavior_policies, gamma=0.99, truncation_clip=10,
                          entropy_weight=0.0001):
        loss = 0
        for step in reversed(range(len(rewards))):
            importance_weight = policies[step].detach() / behavior_policies[step].detach()
            retrace = rewards[step] + gamma * retrace * masks[step]
            advantage = retrace - values[step]
            log_policy_action = policies[step].gather(1, actions[step]).log()
            truncated_importance_weight = importance_weight.gather(1, actions[step]).clamp(max=truncation_clip)
            actor_loss = -(truncated_importance_weight * log_policy_action * advantage.detach()).mean(0)
            correction_weight = (1 - truncation_clip / importance_weight).clamp(min=0)
            actor_loss -= (correction_weight * policies[step].log() * (q_values[step] - values[step]).detach()).sum(1).mean(0)
            entropy = entropy_weight * -(policies[step].log() * policies[step]).sum(1).mean(0)
            q_value = q_values[step].gather(1, actions[step])
            critic_loss = ((retrace - q_value) ** 2 / 2).mean(0)
            truncated_rho = importance_weight.gather(1, actions[step]).clamp(max=1)
            retrace = truncated_rho * (retrace - q_value.detach()) + values[step].detach()
            loss += actor_loss + critic_loss - entropy
        optimizer.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        return loss, norm

    L.manual_seed(5)
    env = gym.make("CartPole-v1")
    model = ActorCritic(4, 2)
    optimizer = L.optim.Adam(model.parameters())
    trajectory_store = []
    state, _ = env.reset(seed=5)
    state = L.FloatTensor(state).unsqueeze(0)
    for it in range(2):
        policies, q_values, values, actions, rewards, masks = [], [], [], [], [], []
        trajectory = []
        for step in range(5):
            policy, q_value, value = model(state)
            action = policy.multinomial(1)
            next_state, reward, term, trunc, _ = env.step(action.item())
            done = term or trunc
            reward = L.FloatTensor([reward]).unsqueeze(1)
            mask = L.FloatTensor(1 - np.float32([done])).unsqueeze(1)
            trajectory.append((state.detach(), action, reward, policy.detach(), mask))
            policies.append(policy); q_values.append(q_value); values.append(value)
            actions.append(action); rewards.append(reward); masks.append(mask)
            state = L.FloatTensor(next_state if not done else env.reset()[0]).unsqueeze(0)
        trajectory_store.append(trajectory)
        next_state = L.FloatTensor(next_state).unsqueeze(0)
        _, _, retrace = model(next_state)
        retrace = retrace.detach()
        loss, norm = compute_acer_loss(policies, q_values, values, actions, rewards, retrace,
                                       masks, policies)
        rec(lambda: (str(loss.grad_fn.__class__.__name__), tuple(loss.shape),
                     str(action.dtype), tuple(action.shape)), keep=False)
        rec.vals += [loss.detach(), norm, L.cat(actions)]
    # off-policy: trajectories stacked as in EpisodicReplayMemory's sample
    state, action, reward, old_policy, mask = map(L.stack, zip(*(map(L.cat, zip(*traj))
                                                                 for traj in trajectory_store)))
    rec(lambda: [(tuple(t.shape), str(t.dtype)) for t in (state, action, reward, old_policy, mask)])
    state, action, reward, old_policy, mask = [t.transpose(0, 1) for t in (state, action, reward, old_policy, mask)]
    policies, q_values, values = [], [], []
    for step in range(state.size(0)):
        policy, q_value, value = model(state[step])
        policies.append(policy); q_values.append(q_value); values.append(value)
    _, _, retrace = model(state[-1])
    retrace = retrace.detach()
    loss, norm = compute_acer_loss(policies, q_values, values, action, reward, retrace, mask,
                                   old_policy.flip(-1))
    rec.vals += [loss.detach(), norm]
    rec.vals += [p.detach().clone() for p in model.parameters()]
    env.close()
    p = L.tensor([[0.3, 0.7]])
    rec(lambda: p.multinomial(1).shape, keep=False)
    rec(lambda: p.multinomial(3))
    rec(lambda: p.multinomial(3, replacement=True).shape, keep=False)
    rec(lambda: L.tensor([[0.3, -0.7]]).multinomial(1))
    rec(lambda: L.tensor([[0.0, 0.0]]).multinomial(1))
    rec(lambda: L.tensor([0.3, 0.7]).multinomial(1).shape, keep=False)
    rec(lambda: L.tensor([[1, 2]]).multinomial(1))
    rec(lambda: L.tensor([[0.3, 0.7]]).clamp(max=1 - 1e-20))
    rec(lambda: L.tensor([[0.3, 0.7]]).clamp(max=L.tensor(1.0)))
    rec(lambda: L.tensor([[0.3, 0.7]]).clamp())
    x = L.ones(1, requires_grad=True)
    y = (x * 2).mean(0)
    rec(lambda: y.backward())
    rec(lambda: (x * L.ones(2)).backward())
    rec(lambda: x.grad)
    rec(lambda: L.FloatTensor(1 - np.float32([True])))
    return rec.done()


def her(L):
    """9.her: the bit-flipping env, a Q network on cat([state, goal], 1), double-DQN TD
    error on FloatTensor(int arrays), hindsight goals from np.copy."""
    nn, F = L.nn, L.nn.functional
    rec = Rec()
    device = L.device("cpu")
    num_bits = 6

    class Env(object):
        def __init__(self, num_bits):
            self.num_bits = num_bits

        def reset(self):
            self.done = False
            self.num_steps = 0
            self.state = np.random.randint(2, size=self.num_bits)
            self.target = np.random.randint(2, size=self.num_bits)
            return self.state, self.target

        def step(self, action):
            self.state[action] = 1 - self.state[action]
            if self.num_steps > self.num_bits + 1:
                self.done = True
            self.num_steps += 1
            if np.sum(self.state == self.target) == self.num_bits:
                self.done = True
                return np.copy(self.state), 0, self.done, {}
            return np.copy(self.state), -1, self.done, {}

    class Model(nn.Module):
        def __init__(self, num_inputs, num_outputs, hidden_size=32):
            super(Model, self).__init__()
            self.linear1 = nn.Linear(num_inputs, hidden_size)
            self.linear2 = nn.Linear(hidden_size, num_outputs)

        def forward(self, state, goal):
            x = L.cat([state, goal], 1)
            x = F.relu(self.linear1(x))
            x = self.linear2(x)
            return x

    def get_action(model, state, goal, epsilon=0.1):
        if random.random() < 0.1:
            return random.randrange(env.num_bits)
        state = L.FloatTensor(state).unsqueeze(0).to(device)
        goal = L.FloatTensor(goal).unsqueeze(0).to(device)
        q_value = model(state, goal)
        return q_value.max(1)[1].item()

    random.seed(7)
    np.random.seed(7)
    L.manual_seed(7)
    env = Env(num_bits)
    model = Model(2 * num_bits, num_bits).to(device)
    target_model = Model(2 * num_bits, num_bits).to(device)
    target_model.load_state_dict(model.state_dict())
    optimizer = L.optim.Adam(model.parameters())
    buffer = []

    def compute_td_error(batch_size):
        idx = np.random.randint(0, len(buffer), batch_size)
        state, action, reward, next_state, done, goal = map(np.stack, zip(*[buffer[i] for i in idx]))
        state = L.FloatTensor(state).to(device)
        reward = L.FloatTensor(reward).unsqueeze(1).to(device)
        action = L.LongTensor(action).unsqueeze(1).to(device)
        next_state = L.FloatTensor(next_state).to(device)
        goal = L.FloatTensor(goal).to(device)
        mask = L.FloatTensor(1 - np.float32(done)).unsqueeze(1).to(device)
        q_values = model(state, goal)
        q_value = q_values.gather(1, action)
        next_q_values = target_model(next_state, goal)
        target_action = next_q_values.max(1)[1].unsqueeze(1)
        next_q_value = target_model(next_state, goal).gather(1, target_action)
        expected_q_value = reward + 0.99 * next_q_value * mask
        loss = (q_value - expected_q_value.detach()).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    for episode in range(2):
        state, goal = env.reset()
        done = False
        episode_transitions = []
        while not done:
            action = get_action(model, state, goal)
            next_state, reward, done, _ = env.step(action)
            buffer.append((state.copy(), action, reward, next_state, done, goal))
            episode_transitions.append((state.copy(), action, reward, next_state, done))
            state = next_state
        new_goal = np.copy(state)
        for state, action, reward, next_state, done in episode_transitions:
            reward = 0 if np.sum(next_state == new_goal) == num_bits else -1
            buffer.append((state, action, reward, next_state, done, new_goal))
        rec(lambda: (len(buffer), len(episode_transitions)))
        for _ in range(2):
            rec(lambda: compute_td_error(8))
    rec.vals += [p.detach().clone() for p in model.parameters()]
    rec(lambda: L.FloatTensor(np.random.randint(2, size=3)).dtype)
    rec(lambda: L.LongTensor(np.array([1, 2], dtype=np.int32)))
    rec(lambda: L.LongTensor([1.5, 2]))
    rec(lambda: L.FloatTensor(np.array([1, 0])).unsqueeze(1).gather(1, L.LongTensor([[0], [0]])))
    rec(lambda: model(L.zeros(1, num_bits), L.zeros(num_bits)))
    rec(lambda: model(L.zeros(1, num_bits), L.zeros(1, num_bits, dtype=L.long)))
    rec(lambda: model(L.zeros(1, num_bits, dtype=L.long), L.zeros(1, num_bits, dtype=L.long)))
    rec(lambda: model(L.zeros(1, num_bits), L.zeros(1, num_bits)).max(1)[1].item())
    rec(lambda: model(L.zeros(2, num_bits), L.zeros(2, num_bits)).max(1)[1].item())
    return rec.done()
