"""higgsfield's RL-Adventure, the Atari halves of the notebooks (session 18, after
tests/s16_rladv_progs*.py which run the CartPole halves): CnnDQN (1.dqn / 2.double dqn),
the dueling CnnDQN (3.dueling dqn), NoisyCnnDQN (5.noisy dqn), CategoricalCnnDQN and
RainbowCnnDQN (6 / 7, ``x / 255.``), QRCnnDQN (8.quantile regression dqn), each with its
``feature_size()`` through ``autograd.Variable(torch.zeros(1, *input_shape))``. The Atari
frames (wrap_deepmind + wrap_pytorch's ImageToPyTorch) are random uint8 NumPy frames of a
small (1, 36, 36) shape; the replay buffer and the losses are the notebooks' own."""

import random
from collections import deque

import numpy as np
from s16_rladv_progs import Rec, noisy_layer


def frames(seed, n=24, shape=(36, 36, 1), num_actions=3):
    """ReplayBuffer (the notebooks' deque one) filled with ImageToPyTorch's
    ``np.swapaxes(observation, 2, 0)`` of random uint8 frames."""

    class ReplayBuffer(object):
        def __init__(self, capacity):
            self.buffer = deque(maxlen=capacity)

        def push(self, state, action, reward, next_state, done):
            state = np.expand_dims(state, 0)
            next_state = np.expand_dims(next_state, 0)
            self.buffer.append((state, action, reward, next_state, done))

        def sample(self, batch_size):
            state, action, reward, next_state, done = zip(*random.sample(self.buffer, batch_size))
            return np.concatenate(state), action, reward, np.concatenate(next_state), done

        def __len__(self):
            return len(self.buffer)

    rng = np.random.default_rng(seed)
    buf = ReplayBuffer(100)
    obs = np.swapaxes(rng.integers(0, 256, shape, dtype=np.uint8), 2, 0)
    for i in range(n):
        nxt = np.swapaxes(rng.integers(0, 256, shape, dtype=np.uint8), 2, 0)
        buf.push(obs, int(rng.integers(num_actions)), float(rng.choice([-1.0, 0.0, 1.0])), nxt,
                 bool(i % 7 == 6))
        obs = nxt
    random.seed(seed)
    return buf


def _features(nn, input_shape):
    return nn.Sequential(
        nn.Conv2d(input_shape[0], 32, kernel_size=8, stride=4), nn.ReLU(),
        nn.Conv2d(32, 64, kernel_size=4, stride=2), nn.ReLU(),
        nn.Conv2d(64, 64, kernel_size=3, stride=1), nn.ReLU())


def cnn_dqn(L):
    """1.dqn / 2.double dqn / 3.dueling dqn on Pong: CnnDQN and the dueling CnnDQN, act with
    a volatile Variable, the double-DQN TD loss (current model picks, target evaluates),
    update_target through load_state_dict."""
    nn, autograd = L.nn, L.autograd
    Variable = autograd.Variable
    rec = Rec()
    input_shape, num_actions = (1, 36, 36), 3

    class CnnDQN(nn.Module):
        def __init__(self, input_shape, num_actions):
            super(CnnDQN, self).__init__()
            self.input_shape = input_shape
            self.num_actions = num_actions
            self.features = _features(nn, input_shape)
            self.fc = nn.Sequential(
                nn.Linear(self.feature_size(), 512),
                nn.ReLU(),
                nn.Linear(512, self.num_actions)
            )

        def forward(self, x):
            x = self.features(x)
            x = x.view(x.size(0), -1)
            x = self.fc(x)
            return x

        def feature_size(self):
            return self.features(autograd.Variable(L.zeros(1, *self.input_shape))).view(1, -1).size(1)

        def act(self, state, epsilon):
            if random.random() > epsilon:
                state = Variable(L.FloatTensor(np.float32(state)).unsqueeze(0), volatile=True)
                q_value = self.forward(state)
                action = q_value.max(1)[1].data[0]
            else:
                action = random.randrange(num_actions)
            return action

    class DuelingCnnDQN(nn.Module):
        def __init__(self, input_shape, num_outputs):
            super(DuelingCnnDQN, self).__init__()
            self.input_shape = input_shape
            self.num_actions = num_outputs
            self.features = _features(nn, input_shape)
            self.advantage = nn.Sequential(
                nn.Linear(self.feature_size(), 512), nn.ReLU(), nn.Linear(512, num_outputs))
            self.value = nn.Sequential(
                nn.Linear(self.feature_size(), 512), nn.ReLU(), nn.Linear(512, 1))

        def forward(self, x):
            x = self.features(x)
            x = x.view(x.size(0), -1)
            advantage = self.advantage(x)
            value = self.value(x)
            return value + advantage - advantage.mean()

        def feature_size(self):
            return self.features(autograd.Variable(L.zeros(1, *self.input_shape))).view(1, -1).size(1)

    buf = frames(11)
    for Net in (CnnDQN, DuelingCnnDQN):
        L.manual_seed(11)
        current_model = Net(input_shape, num_actions)
        target_model = Net(input_shape, num_actions)
        rec(lambda: current_model)
        rec(lambda: current_model.feature_size())
        optimizer = L.optim.Adam(current_model.parameters(), lr=0.0001)

        def update_target(current_model, target_model):
            target_model.load_state_dict(current_model.state_dict())

        update_target(current_model, target_model)
        if Net is CnnDQN:
            rec(lambda: current_model.act(buf.buffer[0][0][0], 0.0))
            rec(lambda: int(current_model.act(buf.buffer[0][0][0], 0.0)))

        def compute_td_loss(batch_size, gamma=0.99):
            state, action, reward, next_state, done = buf.sample(batch_size)
            state = Variable(L.FloatTensor(np.float32(state)))
            next_state = Variable(L.FloatTensor(np.float32(next_state)))
            action = Variable(L.LongTensor(action))
            reward = Variable(L.FloatTensor(reward))
            done = Variable(L.FloatTensor(done))
            q_values = current_model(state)
            next_q_values = current_model(next_state)
            next_q_state_values = target_model(next_state)
            q_value = q_values.gather(1, action.unsqueeze(1)).squeeze(1)
            next_q_value = next_q_state_values.gather(1, L.max(next_q_values, 1)[1].unsqueeze(1)).squeeze(1)
            expected_q_value = reward + gamma * next_q_value * (1 - done)
            loss = (q_value - Variable(expected_q_value.data)).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss

        for frame_idx in range(1, 4):
            loss = rec(lambda: compute_td_loss(4))
            rec(lambda: round(loss.item(), 4), keep=False)
            if frame_idx % 2 == 0:
                update_target(current_model, target_model)
        rec.vals += [p.detach().clone() for p in current_model.parameters()]
    rec(lambda: L.FloatTensor((True, False, True)))
    rec(lambda: L.FloatTensor(np.array([True, False])))
    return rec.done()


def noisy_cnn(L):
    """5.noisy dqn on Pong: NoisyCnnDQN (two NoisyLinear after the conv features, no
    scaling of the frames), reset_noise after each step."""
    nn, F, autograd = L.nn, L.nn.functional, L.autograd
    Variable = autograd.Variable
    NoisyLinear = noisy_layer(L)
    rec = Rec()

    class NoisyCnnDQN(nn.Module):
        def __init__(self, input_shape, num_actions):
            super(NoisyCnnDQN, self).__init__()
            self.input_shape = input_shape
            self.num_actions = num_actions
            self.features = _features(nn, input_shape)
            self.noisy1 = NoisyLinear(self.feature_size(), 512, False)
            self.noisy2 = NoisyLinear(512, self.num_actions, False)

        def forward(self, x):
            batch_size = x.size(0)
            x = x / 255.
            x = self.features(x)
            x = x.view(batch_size, -1)
            x = F.relu(self.noisy1(x))
            x = self.noisy2(x)
            return x

        def reset_noise(self):
            self.noisy1.reset_noise()
            self.noisy2.reset_noise()

        def feature_size(self):
            return self.features(autograd.Variable(L.zeros(1, *self.input_shape))).view(1, -1).size(1)

        def act(self, state):
            state = Variable(L.FloatTensor(np.float32(state)).unsqueeze(0), volatile=True)
            q_value = self.forward(state)
            action = q_value.max(1)[1].data[0]
            return action

    L.manual_seed(12)
    current_model = NoisyCnnDQN((1, 36, 36), 3)
    target_model = NoisyCnnDQN((1, 36, 36), 3)
    rec(lambda: current_model)
    optimizer = L.optim.Adam(current_model.parameters(), lr=0.0001)
    target_model.load_state_dict(current_model.state_dict())
    buf = frames(12)
    rec(lambda: current_model.act(buf.buffer[0][0][0]))

    def compute_td_loss(batch_size, gamma=0.99):
        state, action, reward, next_state, done = buf.sample(batch_size)
        state = Variable(L.FloatTensor(np.float32(state)))
        next_state = Variable(L.FloatTensor(np.float32(next_state)), volatile=True)
        action = Variable(L.LongTensor(action))
        reward = Variable(L.FloatTensor(reward))
        done = Variable(L.FloatTensor(np.float32(done)))
        q_values = current_model(state)
        next_q_values = target_model(next_state)
        q_value = q_values.gather(1, action.unsqueeze(1)).squeeze(1)
        next_q_value = next_q_values.max(1)[0]
        expected_q_value = reward + gamma * next_q_value * (1 - done)
        loss = (q_value - Variable(expected_q_value.data)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        current_model.reset_noise()
        target_model.reset_noise()
        return loss

    for i in range(3):
        rec(lambda: compute_td_loss(4))
    rec.vals += [p.detach().clone() for p in current_model.parameters()]
    rec.vals += [b.clone() for b in current_model.buffers()]
    return rec.done()


def qr_cnn(L):
    """8.quantile regression dqn on Pong: QRCnnDQN (``x / 255.``, the value head viewed as
    (batch, actions, quants)), act through ``mean(2)``, the quantile Huber loss."""
    nn, autograd = L.nn, L.autograd
    Variable = autograd.Variable
    rec = Rec()
    num_quant = 6

    class QRCnnDQN(nn.Module):
        def __init__(self, input_shape, num_actions, num_quants):
            super(QRCnnDQN, self).__init__()
            self.input_shape = input_shape
            self.num_actions = num_actions
            self.num_quants = num_quants
            self.features = _features(nn, input_shape)
            self.value = nn.Sequential(
                nn.Linear(self.feature_size(), 512),
                nn.ReLU(),
                nn.Linear(512, self.num_actions * self.num_quants)
            )

        def forward(self, x):
            batch_size = x.size(0)
            x = x / 255.
            x = self.features(x)
            x = x.view(batch_size, -1)
            x = self.value(x)
            x = x.view(batch_size, self.num_actions, self.num_quants)
            return x

        def q_values(self, x):
            x = self.forward(x)
            return x.mean(2)

        def feature_size(self):
            return self.features(autograd.Variable(L.zeros(1, *self.input_shape))).view(1, -1).size(1)

        def act(self, state, epsilon):
            if random.random() > epsilon:
                state = Variable(L.FloatTensor(np.array(state, dtype=np.float32)).unsqueeze(0), volatile=True)
                qvalues = self.forward(state).mean(2)
                action = qvalues.max(1)[1]
                action = action.data.cpu().numpy()[0]
            else:
                action = random.randrange(self.num_actions)
            return action

    L.manual_seed(13)
    current_model = QRCnnDQN((1, 36, 36), 3, num_quant)
    target_model = QRCnnDQN((1, 36, 36), 3, num_quant)
    optimizer = L.optim.Adam(current_model.parameters(), lr=5e-5)
    target_model.load_state_dict(current_model.state_dict())
    buf = frames(13)
    rec(lambda: current_model.act(buf.buffer[0][0][0], 0.0))
    batch_size = 4

    def projection_distribution(dist, next_state, reward, done):
        next_dist = target_model(next_state)
        next_action = next_dist.mean(2).max(1)[1]
        next_action = next_action.unsqueeze(1).unsqueeze(1).expand(batch_size, 1, num_quant)
        next_dist = next_dist.gather(1, next_action).squeeze(1).cpu().data
        expected_quant = reward.unsqueeze(1) + 0.99 * next_dist * (1 - done.unsqueeze(1))
        expected_quant = Variable(expected_quant)
        quant_idx = L.sort(dist, 1, descending=False)[1]
        tau_hat = L.linspace(0.0, 1.0 - 1. / num_quant, num_quant) + 0.5 / num_quant
        tau_hat = tau_hat.unsqueeze(0).repeat(batch_size, 1)
        quant_idx = quant_idx.cpu().data
        batch_idx = np.arange(batch_size)
        tau = tau_hat[:, quant_idx][batch_idx, batch_idx]
        return tau, expected_quant

    def compute_td_loss(batch_size):
        state, action, reward, next_state, done = buf.sample(batch_size)
        state = Variable(L.FloatTensor(np.float32(state)))
        next_state = Variable(L.FloatTensor(np.float32(next_state)), volatile=True)
        action = Variable(L.LongTensor(action))
        reward = L.FloatTensor(reward)
        done = L.FloatTensor(np.float32(done))
        dist = current_model(state)
        action = action.unsqueeze(1).unsqueeze(1).expand(batch_size, 1, num_quant)
        dist = dist.gather(1, action).squeeze(1)
        tau, expected_quant = projection_distribution(dist, next_state, reward, done)
        k = 1
        u = expected_quant - dist
        huber_loss = 0.5 * u.abs().clamp(min=0.0, max=k).pow(2)
        huber_loss += k * (u.abs() - u.abs().clamp(min=0.0, max=k))
        quantile_loss = (tau - (u < 0).float()).abs() * huber_loss
        loss = quantile_loss.sum() / num_quant
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm(current_model.parameters(), 0.5)
        optimizer.step()
        return loss

    for i in range(3):
        rec(lambda: compute_td_loss(batch_size))
    rec.vals += [p.detach().clone() for p in current_model.parameters()]
    rec(lambda: current_model.q_values(L.FloatTensor(np.float32(buf.buffer[2][0]))))
    return rec.done()

