"""higgsfield's RL-Adventure-2, part 2: DDPG and TD3 on synthetic Pendulum-like
transitions, and GAIL's discriminator, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s16_rladv.py."""

import numpy as np
from s16_rladv_progs import Rec


def _replay(seed, n, sd=3, ad=1):
    """A replay batch source (synthetic Pendulum-like transitions)."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(sd).astype(np.float32), np.tanh(rng.standard_normal(ad)),
             float(rng.standard_normal()), rng.standard_normal(sd).astype(np.float32),
             bool(rng.random() < 0.1)) for _ in range(n)]


def _sample(buffer, idx):
    state, action, reward, next_state, done = map(np.stack, zip(*[buffer[i] for i in idx]))
    return state, action, reward, next_state, done


def ddpg_td3(L):
    """5.ddpg and 6.td3: value / policy networks with uniform_ final layers, OU noise, the
    MSE critic with clamped targets, soft updates through .data.copy_, TD3's clipped target
    noise via torch.normal and the twin-critic min, delayed policy updates."""
    nn, F = L.nn, L.nn.functional
    rec = Rec()
    device = L.device("cpu")

    class ValueNetwork(nn.Module):
        def __init__(self, num_inputs, num_actions, hidden_size, init_w=3e-3):
            super(ValueNetwork, self).__init__()
            self.linear1 = nn.Linear(num_inputs + num_actions, hidden_size)
            self.linear2 = nn.Linear(hidden_size, hidden_size)
            self.linear3 = nn.Linear(hidden_size, 1)
            self.linear3.weight.data.uniform_(-init_w, init_w)
            self.linear3.bias.data.uniform_(-init_w, init_w)

        def forward(self, state, action):
            x = L.cat([state, action], 1)
            x = F.relu(self.linear1(x))
            x = F.relu(self.linear2(x))
            x = self.linear3(x)
            return x

    class PolicyNetwork(nn.Module):
        def __init__(self, num_inputs, num_actions, hidden_size, init_w=3e-3):
            super(PolicyNetwork, self).__init__()
            self.linear1 = nn.Linear(num_inputs, hidden_size)
            self.linear2 = nn.Linear(hidden_size, hidden_size)
            self.linear3 = nn.Linear(hidden_size, num_actions)
            self.linear3.weight.data.uniform_(-init_w, init_w)
            self.linear3.bias.data.uniform_(-init_w, init_w)

        def forward(self, state):
            x = F.relu(self.linear1(state))
            x = F.relu(self.linear2(x))
            x = F.tanh(self.linear3(x))
            return x

        def get_action(self, state):
            state = L.FloatTensor(state).unsqueeze(0).to(device)
            action = self.forward(state)
            return action.detach().cpu().numpy()[0, 0]

    class OUNoise(object):
        def __init__(self, low, high, mu=0.0, theta=0.15, max_sigma=0.3, min_sigma=0.3,
                     decay_period=100000):
            self.mu, self.theta, self.sigma = mu, theta, max_sigma
            self.max_sigma, self.min_sigma = max_sigma, min_sigma
            self.decay_period, self.action_dim = decay_period, 1
            self.low, self.high = low, high
            self.reset()

        def reset(self):
            self.state = np.ones(self.action_dim) * self.mu

        def evolve_state(self):
            x = self.state
            dx = self.theta * (self.mu - x) + self.sigma * np.random.randn(self.action_dim)
            self.state = x + dx
            return self.state

        def get_action(self, action, t=0):
            ou_state = self.evolve_state()
            self.sigma = self.max_sigma - (self.max_sigma - self.min_sigma) * min(1.0, t / self.decay_period)
            return np.clip(action + ou_state, self.low, self.high)

    L.manual_seed(2)
    np.random.seed(2)
    value_net = ValueNetwork(3, 1, 32).to(device)
    policy_net = PolicyNetwork(3, 1, 32).to(device)
    target_value_net = ValueNetwork(3, 1, 32).to(device)
    target_policy_net = PolicyNetwork(3, 1, 32).to(device)
    for target_param, param in zip(target_value_net.parameters(), value_net.parameters()):
        target_param.data.copy_(param.data)
    for target_param, param in zip(target_policy_net.parameters(), policy_net.parameters()):
        target_param.data.copy_(param.data)
    value_optimizer = L.optim.Adam(value_net.parameters(), lr=1e-3)
    policy_optimizer = L.optim.Adam(policy_net.parameters(), lr=1e-4)
    value_criterion = nn.MSELoss()
    buffer = _replay(2, 64)
    ou = OUNoise(-2.0, 2.0)
    a = policy_net.get_action(buffer[0][0])
    rec(lambda: (type(a).__name__, a.dtype, a.shape))
    rec.vals += [a, ou.get_action(a, 0)]

    def ddpg_update(batch_size, gamma=0.99, min_value=-np.inf, max_value=np.inf, soft_tau=1e-2):
        state, action, reward, next_state, done = _sample(buffer, np.random.randint(0, 64, batch_size))
        state = L.FloatTensor(state).to(device)
        next_state = L.FloatTensor(next_state).to(device)
        action = L.FloatTensor(action).to(device)
        reward = L.FloatTensor(reward).unsqueeze(1).to(device)
        done = L.FloatTensor(np.float32(done)).unsqueeze(1).to(device)
        policy_loss = value_net(state, policy_net(state))
        policy_loss = -policy_loss.mean()
        next_action = target_policy_net(next_state)
        target_value = target_value_net(next_state, next_action.detach())
        expected_value = reward + (1.0 - done) * gamma * target_value
        expected_value = L.clamp(expected_value, min_value, max_value)
        value = value_net(state, action)
        value_loss = value_criterion(value, expected_value.detach())
        policy_optimizer.zero_grad()
        policy_loss.backward()
        policy_optimizer.step()
        value_optimizer.zero_grad()
        value_loss.backward()
        value_optimizer.step()
        for target_param, param in zip(target_value_net.parameters(), value_net.parameters()):
            target_param.data.copy_(target_param.data * (1.0 - soft_tau) + param.data * soft_tau)
        for target_param, param in zip(target_policy_net.parameters(), policy_net.parameters()):
            target_param.data.copy_(target_param.data * (1.0 - soft_tau) + param.data * soft_tau)
        return L.stack([policy_loss, value_loss])

    for i in range(3):
        rec(lambda: ddpg_update(16))
    rec.vals += [p.detach().clone() for p in target_value_net.parameters()]
    rec.vals += [p.detach().clone() for p in policy_net.parameters()]

    # TD3
    L.manual_seed(3)
    value_net1, value_net2 = ValueNetwork(3, 1, 32), ValueNetwork(3, 1, 32)
    policy_net = PolicyNetwork(3, 1, 32)
    target_value_net1, target_value_net2 = ValueNetwork(3, 1, 32), ValueNetwork(3, 1, 32)
    target_policy_net = PolicyNetwork(3, 1, 32)

    def soft_update(net, target_net, soft_tau=1e-2):
        for target_param, param in zip(target_net.parameters(), net.parameters()):
            target_param.data.copy_(target_param.data * (1.0 - soft_tau) + param.data * soft_tau)

    soft_update(value_net1, target_value_net1, soft_tau=1.0)
    soft_update(value_net2, target_value_net2, soft_tau=1.0)
    soft_update(policy_net, target_policy_net, soft_tau=1.0)
    value_criterion = nn.MSELoss()
    value_optimizer1 = L.optim.Adam(value_net1.parameters(), lr=1e-3)
    value_optimizer2 = L.optim.Adam(value_net2.parameters(), lr=1e-3)
    policy_optimizer = L.optim.Adam(policy_net.parameters(), lr=1e-3)

    def td3_update(step, batch_size, gamma=0.99, soft_tau=1e-2, noise_std=0.2, noise_clip=0.5,
                   policy_update=2):
        state, action, reward, next_state, done = _sample(buffer, np.random.randint(0, 64, batch_size))
        state = L.FloatTensor(state).to(device)
        next_state = L.FloatTensor(next_state).to(device)
        action = L.FloatTensor(action).to(device)
        reward = L.FloatTensor(reward).unsqueeze(1).to(device)
        done = L.FloatTensor(np.float32(done)).unsqueeze(1).to(device)
        next_action = target_policy_net(next_state)
        noise = L.normal(L.zeros(next_action.size()), noise_std).to(device)
        noise = L.clamp(noise, -noise_clip, noise_clip)
        next_action += noise
        target_q_value1 = target_value_net1(next_state, next_action)
        target_q_value2 = target_value_net2(next_state, next_action)
        target_q_value = L.min(target_q_value1, target_q_value2)
        expected_q_value = reward + (1.0 - done) * gamma * target_q_value
        q_value1 = value_net1(state, action)
        q_value2 = value_net2(state, action)
        value_loss1 = value_criterion(q_value1, expected_q_value.detach())
        value_loss2 = value_criterion(q_value2, expected_q_value.detach())
        value_optimizer1.zero_grad()
        value_loss1.backward()
        value_optimizer1.step()
        value_optimizer2.zero_grad()
        value_loss2.backward()
        value_optimizer2.step()
        out = [value_loss1, value_loss2, noise.detach()]
        if step % policy_update == 0:
            policy_loss = value_net1(state, policy_net(state))
            policy_loss = -policy_loss.mean()
            policy_optimizer.zero_grad()
            policy_loss.backward()
            policy_optimizer.step()
            soft_update(value_net1, target_value_net1, soft_tau=soft_tau)
            soft_update(value_net2, target_value_net2, soft_tau=soft_tau)
            soft_update(policy_net, target_policy_net, soft_tau=soft_tau)
            out.append(policy_loss)
        return out

    for step in range(4):
        res = td3_update(step, 16)
        rec(lambda: [str(r.dtype) + str(tuple(r.shape)) for r in res])
        rec.vals += [r.detach() for r in res]
    rec.vals += [p.detach().clone() for p in target_policy_net.parameters()]
    rec(lambda: L.normal(L.zeros(3), 0.2))
    rec(lambda: L.normal(0.0, L.ones(2)))
    rec(lambda: L.normal(L.zeros(3), -0.2))
    rec(lambda: L.normal(L.zeros(3), L.ones(2)))
    rec(lambda: L.normal(0.0, 1.0))
    rec(lambda: L.normal(0.0, 1.0, size=(2,)))
    rec(lambda: L.normal(L.zeros(2), 1.0, size=(2,)))
    x = L.zeros(2, 1, requires_grad=True)
    rec(lambda: x.__iadd__(L.ones(2, 1)))
    y = policy_net(L.zeros(2, 3))
    rec(lambda: y.__iadd__(L.ones(2, 1)))
    rec(lambda: F.tanh(L.zeros(2)))
    rec(lambda: F.sigmoid(L.zeros(2)))
    rec(lambda: value_criterion(L.zeros(2, 1), L.zeros(2)))
    rec(lambda: value_criterion(L.zeros(2, 1), L.zeros(2, 1, dtype=L.float64)))
    rec(lambda: L.clamp(L.tensor([1.0, -1.0]), -np.inf, np.inf))
    rec(lambda: L.clamp(L.tensor([1.0, -1.0]), float('-inf'), 0.5))
    rec(lambda: policy_net(L.FloatTensor(buffer[0][0])).shape)
    rec(lambda: policy_net(L.DoubleTensor(buffer[0][0])))
    rec(lambda: value_net1(L.zeros(2, 3), L.zeros(2)))
    return rec.done()


def gail(L):
    """8.gail: the discriminator (tanh / sigmoid, last layer scaled through .data.mul_), BCE
    on fake = 1 / real = 0, expert_reward through NumPy's -log, expert batches indexed with
    np.random.randint."""
    nn, F = L.nn, L.nn.functional
    rec = Rec()
    device = L.device("cpu")

    class Discriminator(nn.Module):
        def __init__(self, num_inputs, hidden_size):
            super(Discriminator, self).__init__()
            self.linear1 = nn.Linear(num_inputs, hidden_size)
            self.linear2 = nn.Linear(hidden_size, hidden_size)
            self.linear3 = nn.Linear(hidden_size, 1)
            self.linear3.weight.data.mul_(0.1)
            self.linear3.bias.data.mul_(0.0)

        def forward(self, x):
            x = F.tanh(self.linear1(x))
            x = F.tanh(self.linear2(x))
            prob = F.sigmoid(self.linear3(x))
            return prob

    L.manual_seed(6)
    np.random.seed(6)
    discriminator = Discriminator(4, 16).to(device)
    discrim_criterion = nn.BCELoss()
    optimizer_discrim = L.optim.Adam(discriminator.parameters(), lr=3e-3)
    expert_traj = np.random.randn(50, 4)
    rec(lambda: discriminator.linear3.bias)

    def expert_reward(state, action):
        state = state.cpu().numpy()
        state_action = L.FloatTensor(np.concatenate([state, action], 1)).to(device)
        return -np.log(discriminator(state_action).cpu().data.numpy())

    for it in range(3):
        states = L.FloatTensor(np.random.randn(8, 3))
        actions = L.FloatTensor(np.random.randn(8, 1))
        reward = expert_reward(states, actions.cpu().numpy())
        rec(lambda: (type(reward).__name__, reward.dtype, reward.shape))
        rec.vals.append(L.FloatTensor(reward).to(device))
        expert_state_action = expert_traj[np.random.randint(0, expert_traj.shape[0], 8), :]
        expert_state_action = L.FloatTensor(expert_state_action).to(device)
        state_action = L.cat([states, actions], 1)
        fake = discriminator(state_action)
        real = discriminator(expert_state_action)
        optimizer_discrim.zero_grad()
        discrim_loss = discrim_criterion(fake, L.ones((states.shape[0], 1)).to(device)) + \
            discrim_criterion(real, L.zeros((expert_state_action.size(0), 1)).to(device))
        discrim_loss.backward()
        optimizer_discrim.step()
        rec.vals += [discrim_loss.detach(), fake.detach(), real.detach()]
    rec.vals += [p.detach().clone() for p in discriminator.parameters()]
    rec(lambda: discrim_criterion(L.tensor([[0.5]]), L.tensor([[2.0]])))
    rec(lambda: discrim_criterion(L.tensor([[1.5]]), L.tensor([[1.0]])))
    rec(lambda: discrim_criterion(L.tensor([[0.5]]), L.tensor([1.0])))
    rec(lambda: discrim_criterion(L.tensor([[0.5], [0.2]]), L.tensor([1.0, 0.0])))
    rec(lambda: discrim_criterion(L.tensor([[0.5]]), L.tensor([[1]])))
    rec(lambda: discrim_criterion(L.tensor([[0.0]]), L.tensor([[1.0]])))
    rec(lambda: discrim_criterion(L.tensor([[1.0]]), L.tensor([[1.0]])))
    rec(lambda: discrim_criterion(L.tensor([[0.5]], dtype=L.float64), L.tensor([[1.0]])))
    rec(lambda: discrim_criterion(L.tensor([[0.5]], requires_grad=True) * 1, L.tensor([[1.0]], requires_grad=True)))
    rec(lambda: F.binary_cross_entropy(L.tensor([0.5]), L.tensor([1.0]), weight=L.tensor([2.0, 1.0])))
    rec(lambda: L.ones((2, 1)).shape)
    rec(lambda: L.ones(L.Size([2, 1])).shape)
    rec(lambda: L.FloatTensor(np.random.randn(2, 3)).shape)
    rec(lambda: -np.log(discriminator(L.zeros(1, 4)).data.numpy()).dtype)
    rec(lambda: -np.log(discriminator(L.zeros(1, 4)).numpy()))
    return rec.done()
