"""higgsfield's RL-Adventure, part 2: noisy DQN, categorical C51 (the index_add_
projection) and Rainbow, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s16_rladv.py."""

import numpy as np
from s16_rladv_progs import Rec, noisy_layer, replay_buffer


def noisy_dqn(L):
    """5.noisy dqn: NoisyLinear layers, reset_noise after each update, train()/eval()."""
    nn, F = L.nn, L.nn.functional
    Variable = L.autograd.Variable
    NoisyLinear = noisy_layer(L)
    rec = Rec()

    class NoisyDQN(nn.Module):
        def __init__(self, num_inputs, num_actions):
            super(NoisyDQN, self).__init__()
            self.linear = nn.Linear(num_inputs, 32)
            self.noisy1 = NoisyLinear(32, 32, False)
            self.noisy2 = NoisyLinear(32, num_actions, False)

        def forward(self, x):
            x = F.relu(self.linear(x))
            x = F.relu(self.noisy1(x))
            x = self.noisy2(x)
            return x

        def act(self, state):
            state = Variable(L.FloatTensor(state).unsqueeze(0), volatile=True)
            q_value = self.forward(state)
            action = q_value.max(1)[1].data[0]
            return action

        def reset_noise(self):
            self.noisy1.reset_noise()
            self.noisy2.reset_noise()

    L.manual_seed(3)
    current_model, target_model = NoisyDQN(4, 2), NoisyDQN(4, 2)
    rec(lambda: current_model)
    rec(lambda: [(k, tuple(v.shape)) for k, v in current_model.state_dict().items()])
    rec(lambda: [n for n, _ in current_model.named_parameters()])
    rec.vals += [v.clone() for v in current_model.state_dict().values()]
    target_model.load_state_dict(current_model.state_dict())
    optimizer = L.optim.Adam(current_model.parameters(), lr=1e-3)
    buf = replay_buffer(3)
    rec(lambda: int(current_model.act(buf.buffer[0][0][0])))

    def compute_td_loss(batch_size, gamma=0.99):
        state, action, reward, next_state, done = buf.sample(batch_size)
        state = Variable(L.FloatTensor(np.float32(state)))
        next_state = Variable(L.FloatTensor(np.float32(next_state)))
        action = Variable(L.LongTensor(action))
        reward = Variable(L.FloatTensor(reward))
        done = Variable(L.FloatTensor(np.float32(done)))
        q_values = current_model(state)
        next_q_values = target_model(next_state)
        q_value = q_values.gather(1, action.unsqueeze(1)).squeeze(1)
        next_q_value = next_q_values.max(1)[0]
        expected_q_value = reward + gamma * next_q_value * (1 - done)
        loss = (q_value - expected_q_value.detach()).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        current_model.reset_noise()
        target_model.reset_noise()
        return loss

    for i in range(3):
        rec(lambda: compute_td_loss(16))
    rec.vals += [v.clone() for v in current_model.state_dict().values()]
    current_model.eval()
    rec(lambda: current_model(L.FloatTensor(np.float32(buf.buffer[1][0]))))
    rec(lambda: current_model.noisy1.weight_epsilon.requires_grad)
    rec(lambda: L.ger(L.ones(2), L.ones(3)))
    rec(lambda: L.ones(2).ger(L.ones(3, 1)))
    rec(lambda: L.randn(3).sign().mul(L.randn(3).abs().sqrt()))
    rec(lambda: L.FloatTensor(2, 3).shape)
    rec(lambda: L.FloatTensor(2, 3.0))
    rec(lambda: L.FloatTensor(-1))
    rec(lambda: current_model.noisy1.weight_epsilon.copy_(L.ones(3)))
    rec(lambda: current_model.noisy1.weight_mu.uniform_(-1, 1))
    rec(lambda: current_model.noisy1.weight_mu.data.fill_(L.ones(2)))
    return rec.done()


def categorical(L):
    """6.categorical dqn: softmax over atoms without dim (the deprecation warning), the
    projection with linspace offsets / view(-1).index_add_, dist.data.clamp_ before log."""
    nn, F = L.nn, L.nn.functional
    Variable = L.autograd.Variable
    NoisyLinear = noisy_layer(L)
    rec = Rec()
    num_atoms, Vmin, Vmax = 11, -10, 10

    class CategoricalDQN(nn.Module):
        def __init__(self, num_inputs, num_actions, num_atoms, Vmin, Vmax):
            super(CategoricalDQN, self).__init__()
            self.num_inputs = num_inputs
            self.num_actions = num_actions
            self.num_atoms = num_atoms
            self.Vmin = Vmin
            self.Vmax = Vmax
            self.linear1 = nn.Linear(num_inputs, 32)
            self.linear2 = nn.Linear(32, 32)
            self.noisy1 = NoisyLinear(32, 32, use_cuda=False)
            self.noisy2 = NoisyLinear(32, self.num_actions * self.num_atoms, use_cuda=False)

        def forward(self, x):
            batch_size = x.size(0)
            x = F.relu(self.linear1(x))
            x = F.relu(self.linear2(x))
            x = F.relu(self.noisy1(x))
            x = self.noisy2(x)
            x = F.softmax(x.view(-1, self.num_atoms)).view(-1, self.num_actions, self.num_atoms)
            return x

        def reset_noise(self):
            self.noisy1.reset_noise()
            self.noisy2.reset_noise()

        def act(self, state):
            state = Variable(L.FloatTensor(state).unsqueeze(0), volatile=True)
            dist = self.forward(state).data.cpu()
            dist = dist * L.linspace(self.Vmin, self.Vmax, self.num_atoms)
            action = dist.sum(2).max(1)[1].numpy()[0]
            return action

    L.manual_seed(4)
    current_model = CategoricalDQN(4, 2, num_atoms, Vmin, Vmax)
    target_model = CategoricalDQN(4, 2, num_atoms, Vmin, Vmax)
    optimizer = L.optim.Adam(current_model.parameters(), 0.001)
    target_model.load_state_dict(current_model.state_dict())
    buf = replay_buffer(4)
    rec(lambda: current_model.act(buf.buffer[0][0][0]))

    def projection_distribution(next_state, rewards, dones):
        batch_size = next_state.size(0)
        delta_z = float(Vmax - Vmin) / (num_atoms - 1)
        support = L.linspace(Vmin, Vmax, num_atoms)
        next_dist = target_model(next_state).data.cpu() * support
        next_action = next_dist.sum(2).max(1)[1]
        next_action = next_action.unsqueeze(1).unsqueeze(1).expand(next_dist.size(0), 1, next_dist.size(2))
        next_dist = next_dist.gather(1, next_action).squeeze(1)
        rewards = rewards.unsqueeze(1).expand_as(next_dist)
        dones = dones.unsqueeze(1).expand_as(next_dist)
        support = support.unsqueeze(0).expand_as(next_dist)
        Tz = rewards + (1 - dones) * 0.99 * support
        Tz = Tz.clamp(min=Vmin, max=Vmax)
        b = (Tz - Vmin) / delta_z
        l = b.floor().long()
        u = b.ceil().long()
        offset = L.linspace(0, (batch_size - 1) * num_atoms, batch_size).long()\
            .unsqueeze(1).expand(batch_size, num_atoms)
        proj_dist = L.zeros(next_dist.size())
        proj_dist.view(-1).index_add_(0, (l + offset).view(-1), (next_dist * (u.float() - b)).view(-1))
        proj_dist.view(-1).index_add_(0, (u + offset).view(-1), (next_dist * (b - l.float())).view(-1))
        return proj_dist, (Tz, b, l, u, offset)

    def compute_td_loss(batch_size):
        state, action, reward, next_state, done = buf.sample(batch_size)
        state = Variable(L.FloatTensor(np.float32(state)))
        next_state = Variable(L.FloatTensor(np.float32(next_state)), volatile=True)
        action = Variable(L.LongTensor(action))
        reward = L.FloatTensor(reward)
        done = L.FloatTensor(np.float32(done))
        proj_dist, parts = projection_distribution(next_state, reward, done)
        dist = current_model(state)
        action = action.unsqueeze(1).unsqueeze(1).expand(batch_size, 1, num_atoms)
        dist = dist.gather(1, action).squeeze(1)
        dist.data.clamp_(0.01, 0.99)
        loss = -(Variable(proj_dist) * dist.log()).sum(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        current_model.reset_noise()
        target_model.reset_noise()
        return loss, proj_dist, dist, parts

    for i in range(3):
        res = rec(lambda: compute_td_loss(8))
        loss, proj_dist, dist, parts = res
        rec(lambda: (str(loss.dtype), tuple(proj_dist.shape), str(parts[2].dtype),
                     str(parts[4].dtype), str(dist.grad_fn.__class__.__name__)), keep=False)
        rec.vals += [loss.detach(), proj_dist, dist.detach(), proj_dist.sum(1)] + list(parts)
    rec.vals += [p.detach().clone() for p in current_model.parameters()]
    rec(lambda: L.linspace(0, (8 - 1) * num_atoms, 8))
    rec(lambda: L.linspace(Vmin, Vmax, num_atoms))
    rec(lambda: L.linspace(0, 70, 8).long())
    rec(lambda: L.linspace(-10, 10, 11).dtype)
    rec(lambda: L.zeros(4).index_add_(0, L.tensor([0, 1, 1, 3]), L.tensor([1., 2., 3., 4.])))
    rec(lambda: L.zeros(4).index_add_(0, L.tensor([0., 1.]), L.tensor([1., 2.])))
    rec(lambda: L.zeros(4).index_add_(0, L.tensor([0, 5]), L.tensor([1., 2.])))
    rec(lambda: L.zeros(4).index_add_(0, L.tensor([0, 1]), L.tensor([1., 2., 3.])))
    rec(lambda: L.zeros(4).index_add_(0, L.tensor([0, 1]), L.tensor([1, 2])))
    rec(lambda: L.zeros(4, dtype=L.long).index_add_(0, L.tensor([0, 1]), L.tensor([1., 2.])))
    rec(lambda: L.zeros(2, 3).t().view(-1))
    rec(lambda: L.zeros(2, 3).expand(2, 2, 3).view(-1).index_add_(0, L.tensor([0]), L.ones(1)))
    rec(lambda: F.softmax(L.ones(2, 3)))
    rec(lambda: F.softmax(L.ones(3)))
    rec(lambda: F.softmax(L.ones(2, 3, 4)))
    rec(lambda: F.log_softmax(L.ones(2, 3)))
    rec(lambda: nn.Softmax()(L.ones(2, 3)))
    rec(lambda: L.ones(2, 3).softmax())
    return rec.done()


def rainbow(L):
    """7.rainbow dqn: dueling noisy categorical network (value + advantage - mean over
    actions), softmax over atoms, the categorical projection and loss."""
    nn, F = L.nn, L.nn.functional
    Variable = L.autograd.Variable
    NoisyLinear = noisy_layer(L)
    rec = Rec()
    num_atoms, Vmin, Vmax = 7, -5, 5

    class RainbowDQN(nn.Module):
        def __init__(self, num_inputs, num_actions, num_atoms, Vmin, Vmax):
            super(RainbowDQN, self).__init__()
            self.num_inputs, self.num_actions = num_inputs, num_actions
            self.num_atoms, self.Vmin, self.Vmax = num_atoms, Vmin, Vmax
            self.linear1 = nn.Linear(num_inputs, 32)
            self.linear2 = nn.Linear(32, 32)
            self.noisy_value1 = NoisyLinear(32, 32, use_cuda=False)
            self.noisy_value2 = NoisyLinear(32, self.num_atoms, use_cuda=False)
            self.noisy_advantage1 = NoisyLinear(32, 32, use_cuda=False)
            self.noisy_advantage2 = NoisyLinear(32, self.num_atoms * self.num_actions, use_cuda=False)

        def forward(self, x):
            batch_size = x.size(0)
            x = F.relu(self.linear1(x))
            x = F.relu(self.linear2(x))
            value = F.relu(self.noisy_value1(x))
            value = self.noisy_value2(value)
            advantage = F.relu(self.noisy_advantage1(x))
            advantage = self.noisy_advantage2(advantage)
            value = value.view(batch_size, 1, self.num_atoms)
            advantage = advantage.view(batch_size, self.num_actions, self.num_atoms)
            x = value + advantage - advantage.mean(1, keepdim=True)
            x = F.softmax(x.view(-1, self.num_atoms)).view(-1, self.num_actions, self.num_atoms)
            return x

        def reset_noise(self):
            self.noisy_value1.reset_noise()
            self.noisy_value2.reset_noise()
            self.noisy_advantage1.reset_noise()
            self.noisy_advantage2.reset_noise()

        def act(self, state):
            state = Variable(L.FloatTensor(state).unsqueeze(0), volatile=True)
            dist = self.forward(state).data.cpu()
            dist = dist * L.linspace(self.Vmin, self.Vmax, self.num_atoms)
            action = dist.sum(2).max(1)[1].numpy()[0]
            return action

    L.manual_seed(5)
    current_model = RainbowDQN(4, 2, num_atoms, Vmin, Vmax)
    target_model = RainbowDQN(4, 2, num_atoms, Vmin, Vmax)
    optimizer = L.optim.Adam(current_model.parameters(), 0.001)
    rec(lambda: target_model.load_state_dict(current_model.state_dict()))
    buf = replay_buffer(5)
    rec(lambda: current_model.act(buf.buffer[0][0][0]))

    def projection_distribution(next_state, rewards, dones):
        batch_size = next_state.size(0)
        delta_z = float(Vmax - Vmin) / (num_atoms - 1)
        support = L.linspace(Vmin, Vmax, num_atoms)
        next_dist = target_model(next_state).data.cpu() * support
        next_action = next_dist.sum(2).max(1)[1]
        next_action = next_action.unsqueeze(1).unsqueeze(1).expand(next_dist.size(0), 1, next_dist.size(2))
        next_dist = next_dist.gather(1, next_action).squeeze(1)
        rewards = rewards.unsqueeze(1).expand_as(next_dist)
        dones = dones.unsqueeze(1).expand_as(next_dist)
        support = support.unsqueeze(0).expand_as(next_dist)
        Tz = rewards + (1 - dones) * 0.99 * support
        Tz = Tz.clamp(min=Vmin, max=Vmax)
        b = (Tz - Vmin) / delta_z
        l = b.floor().long()
        u = b.ceil().long()
        offset = L.linspace(0, (batch_size - 1) * num_atoms, batch_size).long()\
            .unsqueeze(1).expand(batch_size, num_atoms)
        proj_dist = L.zeros(next_dist.size())
        proj_dist.view(-1).index_add_(0, (l + offset).view(-1), (next_dist * (u.float() - b)).view(-1))
        proj_dist.view(-1).index_add_(0, (u + offset).view(-1), (next_dist * (b - l.float())).view(-1))
        return proj_dist

    def compute_td_loss(batch_size):
        state, action, reward, next_state, done = buf.sample(batch_size)
        state = Variable(L.FloatTensor(np.float32(state)))
        next_state = Variable(L.FloatTensor(np.float32(next_state)), volatile=True)
        action = Variable(L.LongTensor(action))
        reward = L.FloatTensor(reward)
        done = L.FloatTensor(np.float32(done))
        proj_dist = projection_distribution(next_state, reward, done)
        dist = current_model(state)
        action = action.unsqueeze(1).unsqueeze(1).expand(batch_size, 1, num_atoms)
        dist = dist.gather(1, action).squeeze(1)
        dist.data.clamp_(0.01, 0.99)
        loss = -(Variable(proj_dist) * dist.log()).sum(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        current_model.reset_noise()
        target_model.reset_noise()
        return loss

    for i in range(3):
        rec(lambda: compute_td_loss(8))
    rec.vals += [p.detach().clone() for p in current_model.parameters()]
    # dist.data.clamp_ on a gathered non-leaf: log's saved input sees the clamp
    x = L.tensor([[0.001, 0.5, 0.999]], requires_grad=True)
    d = x * 1.0
    d.data.clamp_(0.01, 0.99)
    y = d.log().sum()
    y.backward()
    rec(lambda: x.grad)
    rec(lambda: (d._version, x._version, d.data._version))
    rec.vals += [x.grad, d.detach()]
    return rec.done()
