"""higgsfield's RL-Adventure as users type it, part 1: the printout recorder, a CartPole-v1
replay buffer (Gymnasium), DQN / double / dueling DQN, prioritized replay and the noisy layer
(common/layers.py's NoisyLinear). Variable-era idioms (``Variable(..., volatile=True)``,
``.max(1)[0]``, ``.gather(1, a.unsqueeze(1)).squeeze(1)``, ``loss.data[0]``), scaled down, as
``prog(L) -> (printed, values)`` for tests/test_programs_s16_rladv.py."""

import math
import random
import warnings
from collections import deque

import numpy as np


class Rec:
    """A program's printout: each call's repr (or error type and first line) and its warnings
    (category and first line, PyTorch's "(Triggered internally ...)" cut)."""

    def __init__(self):
        self.out, self.vals = [], []

    def __call__(self, f, keep=True):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = res = f()
                if hasattr(r, "detach") and keep:
                    self.vals.append(r.detach().clone())
                    r = (str(r.dtype), tuple(r.shape), r.requires_grad)
                self.out.append(repr(r))
            except Exception as e:  # noqa: BLE001 - compared across libraries
                res = None
                self.out.append((type(e).__name__, str(e).splitlines()[0]))
            # (the list-of-ndarrays warning is once per process in both: not comparable)
            self.out.append([(x.category.__name__,
                              str(x.message).splitlines()[0].split(" (Triggered internally")[0])
                             for x in w if "from a list of numpy.ndarrays" not in str(x.message)])
        return res

    def done(self):
        return self.out, self.vals


def replay_buffer(seed, n=64):
    """The ReplayBuffer of the notebooks, filled from CartPole-v1 with random actions."""
    import gymnasium as gym

    class ReplayBuffer:
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

    env = gym.make("CartPole-v1")
    rng = np.random.default_rng(seed)
    buf = ReplayBuffer(1000)
    state, _ = env.reset(seed=seed)
    for _ in range(n):
        action = int(rng.integers(2))
        next_state, reward, term, trunc, _ = env.step(action)
        buf.push(state, action, reward, next_state, term)
        state = next_state if not (term or trunc) else env.reset()[0]
    env.close()
    random.seed(seed)
    return buf


def dqn(L):
    """1.dqn / 2.double dqn / 3.dueling dqn: act with a volatile Variable, the TD loss
    through gather / max(1)[0] / Variable(expected.data), Adam steps, loss.data[0]."""
    nn = L.nn
    autograd = L.autograd
    Variable = autograd.Variable
    rec = Rec()
    USE_CUDA = L.cuda.is_available()
    rec(lambda: USE_CUDA)

    class DQN(nn.Module):
        def __init__(self, num_inputs, num_actions):
            super(DQN, self).__init__()
            self.layers = nn.Sequential(nn.Linear(num_inputs, 32), nn.ReLU(),
                                        nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, num_actions))
            self.num_actions = num_actions

        def forward(self, x):
            return self.layers(x)

        def act(self, state, epsilon):
            if random.random() > epsilon:
                state = Variable(L.FloatTensor(state).unsqueeze(0), volatile=True)
                q_value = self.forward(state)
                action = q_value.max(1)[1].data[0]
            else:
                action = random.randrange(self.num_actions)
            return action

    class DuelingDQN(nn.Module):
        def __init__(self, num_inputs, num_outputs):
            super(DuelingDQN, self).__init__()
            self.feature = nn.Sequential(nn.Linear(num_inputs, 32), nn.ReLU())
            self.advantage = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, num_outputs))
            self.value = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))

        def forward(self, x):
            x = self.feature(x)
            advantage = self.advantage(x)
            value = self.value(x)
            return value + advantage - advantage.mean()

    L.manual_seed(0)
    model = DQN(4, 2)
    rec(lambda: model)
    optimizer = L.optim.Adam(model.parameters())
    buf = replay_buffer(0)
    epsilon_by_frame = lambda f: 0.01 + (1.0 - 0.01) * math.exp(-1. * f / 500)
    rec(lambda: round(epsilon_by_frame(10), 6))
    state = buf.buffer[3][0][0]
    a = rec(lambda: model.act(state, 0.0))
    rec(lambda: (int(a), type(a).__name__) if a is not None else None)
    # the volatile Variable gives a tensor that still records history
    rec(lambda: Variable(L.FloatTensor(np.float32(state)).unsqueeze(0), volatile=True).requires_grad)
    rec(lambda: model(Variable(L.FloatTensor(np.float32(state)).unsqueeze(0), volatile=True)).grad_fn is None)

    def compute_td_loss(batch_size, gamma=0.99):
        state, action, reward, next_state, done = buf.sample(batch_size)
        state = Variable(L.FloatTensor(np.float32(state)))
        next_state = Variable(L.FloatTensor(np.float32(next_state)), volatile=True)
        action = Variable(L.LongTensor(action))
        reward = Variable(L.FloatTensor(reward))
        done = Variable(L.FloatTensor(done))
        q_values = model(state)
        next_q_values = model(next_state)
        q_value = q_values.gather(1, action.unsqueeze(1)).squeeze(1)
        next_q_value = next_q_values.max(1)[0]
        expected_q_value = reward + gamma * next_q_value * (1 - done)
        loss = (q_value - Variable(expected_q_value.data)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    losses = []
    for i in range(4):
        loss = rec(lambda: compute_td_loss(16))
        rec(lambda: loss.data[0], keep=False)
        rec(lambda: loss.item(), keep=False)
        losses.append(loss.data.item())
        rec(lambda: (str(loss.grad_fn.__class__.__name__), loss.data.shape), keep=False)
    rec.vals.append(losses)
    rec.vals += [p.detach().clone() for p in model.parameters()]

    # double DQN with a target network, and the dueling architecture
    L.manual_seed(1)
    current_model, target_model = DuelingDQN(4, 2), DuelingDQN(4, 2)
    rec(lambda: target_model.load_state_dict(current_model.state_dict()))
    optimizer = L.optim.Adam(current_model.parameters(), lr=1e-3)

    def compute_td_loss2(batch_size, gamma=0.99):
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
        loss = (q_value - expected_q_value.detach()).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    for i in range(3):
        rec(lambda: compute_td_loss2(16))
    rec.vals += [p.detach().clone() for p in current_model.parameters()]
    # learner mistakes: gathering with float / int32 / a 1-D index; done as a bool tensor
    q = current_model(L.FloatTensor(np.float32(np.stack([b[0][0] for b in list(buf.buffer)[:5]]))))
    rec(lambda: q.gather(1, L.FloatTensor([0, 1, 0, 1, 1]).unsqueeze(1)))
    rec(lambda: q.gather(1, L.IntTensor([0, 1, 0, 1, 1]).unsqueeze(1)))
    rec(lambda: q.gather(1, L.LongTensor([0, 1, 0, 1, 1])))
    rec(lambda: q.gather(1, L.LongTensor([0, 1, 0, 1, 2]).unsqueeze(1)))
    rec(lambda: q.max(1))
    rec(lambda: q.max(1)[0].data[0])
    rec(lambda: q.max(1)[1].data.numpy())
    rec(lambda: 1 - L.BoolTensor([True, False]))
    rec(lambda: L.FloatTensor((True, False)))
    rec(lambda: L.LongTensor((np.int64(1), 0)))
    rec(lambda: L.FloatTensor(np.float32(np.ones((2, 2)))).unsqueeze(0).shape, keep=False)
    rec(lambda: L.FloatTensor(np.ones(3)))
    rec(lambda: L.FloatTensor([1.0], volatile=True))
    rec(lambda: Variable(L.FloatTensor([1.0]), requires_grad=True, volatile=True))
    rec(lambda: q.max(1)[1].numpy()[0])
    rec(lambda: q.numpy())
    rec(lambda: q.data.cpu().numpy().shape)
    return rec.done()


def prioritized(L):
    """4.prioritized dqn: NaivePrioritizedBuffer (NumPy probabilities), importance weights in
    the loss, prios = loss + 1e-5 handed back through .data.cpu().numpy()."""
    nn = L.nn
    Variable = L.autograd.Variable
    rec = Rec()

    class NaivePrioritizedBuffer(object):
        def __init__(self, capacity, prob_alpha=0.6):
            self.prob_alpha = prob_alpha
            self.capacity = capacity
            self.buffer = []
            self.pos = 0
            self.priorities = np.zeros((capacity,), dtype=np.float32)

        def push(self, state, action, reward, next_state, done):
            assert state.ndim == next_state.ndim
            state = np.expand_dims(state, 0)
            next_state = np.expand_dims(next_state, 0)
            max_prio = self.priorities.max() if self.buffer else 1.0
            if len(self.buffer) < self.capacity:
                self.buffer.append((state, action, reward, next_state, done))
            else:
                self.buffer[self.pos] = (state, action, reward, next_state, done)
            self.priorities[self.pos] = max_prio
            self.pos = (self.pos + 1) % self.capacity

        def sample(self, batch_size, beta=0.4):
            if len(self.buffer) == self.capacity:
                prios = self.priorities
            else:
                prios = self.priorities[:self.pos]
            probs = prios ** self.prob_alpha
            probs /= probs.sum()
            indices = np.random.choice(len(self.buffer), batch_size, p=probs)
            samples = [self.buffer[idx] for idx in indices]
            total = len(self.buffer)
            weights = (total * probs[indices]) ** (-beta)
            weights /= weights.max()
            weights = np.array(weights, dtype=np.float32)
            batch = list(zip(*samples))
            states = np.concatenate(batch[0])
            actions = batch[1]
            rewards = batch[2]
            next_states = np.concatenate(batch[3])
            dones = batch[4]
            return states, actions, rewards, next_states, dones, indices, weights

        def update_priorities(self, batch_indices, batch_priorities):
            for idx, prio in zip(batch_indices, batch_priorities):
                self.priorities[idx] = prio

    src = replay_buffer(2)
    buf = NaivePrioritizedBuffer(100)
    for t in src.buffer:
        buf.push(t[0][0], t[1], t[2], t[3][0], t[4])
    L.manual_seed(2)
    current_model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
    target_model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
    target_model.load_state_dict(current_model.state_dict())
    optimizer = L.optim.Adam(current_model.parameters())
    np.random.seed(0)

    def compute_td_loss(batch_size, beta, gamma=0.99):
        state, action, reward, next_state, done, indices, weights = buf.sample(batch_size, beta)
        state = Variable(L.FloatTensor(np.float32(state)))
        next_state = Variable(L.FloatTensor(np.float32(next_state)))
        action = Variable(L.LongTensor(action))
        reward = Variable(L.FloatTensor(reward))
        done = Variable(L.FloatTensor(done))
        weights = Variable(L.FloatTensor(weights))
        q_values = current_model(state)
        next_q_values = target_model(next_state)
        q_value = q_values.gather(1, action.unsqueeze(1)).squeeze(1)
        next_q_value = next_q_values.max(1)[0]
        expected_q_value = reward + gamma * next_q_value * (1 - done)
        loss = (q_value - expected_q_value.detach()).pow(2) * weights
        prios = loss + 1e-5
        loss = loss.mean()
        optimizer.zero_grad()
        loss.backward()
        buf.update_priorities(indices, prios.data.cpu().numpy())
        optimizer.step()
        return loss, prios

    beta_by_frame = lambda f: min(1.0, 0.4 + f * (1.0 - 0.4) / 1000)
    for f in range(4):
        res = rec(lambda: compute_td_loss(16, beta_by_frame(f)))
        rec.vals += [res[0].detach().clone(), res[1].detach().clone()]
        rec(lambda: (res[1].requires_grad, str(res[1].grad_fn.__class__.__name__)), keep=False)
    rec.vals.append(buf.priorities.copy())
    rec.vals += [p.detach().clone() for p in current_model.parameters()]
    # the mistake: numpy() on prios that still require grad
    rec(lambda: res[1].numpy())
    rec(lambda: res[1].cpu().numpy())
    rec(lambda: np.asarray(res[1].data).dtype)
    rec(lambda: np.array(res[1]))
    return rec.done()


def noisy_layer(L, use_cuda=False):
    """common/layers.py's NoisyLinear: factorised Gaussian noise (sign * sqrt|x|, ger), its
    parameters filled through .data, buffers copied with copy_."""
    nn, F = L.nn, L.nn.functional
    Variable = L.autograd.Variable

    class NoisyLinear(nn.Module):
        def __init__(self, in_features, out_features, use_cuda, std_init=0.4):
            super(NoisyLinear, self).__init__()
            self.use_cuda = use_cuda
            self.in_features = in_features
            self.out_features = out_features
            self.std_init = std_init
            self.weight_mu = nn.Parameter(L.FloatTensor(out_features, in_features))
            self.weight_sigma = nn.Parameter(L.FloatTensor(out_features, in_features))
            self.register_buffer('weight_epsilon', L.FloatTensor(out_features, in_features))
            self.bias_mu = nn.Parameter(L.FloatTensor(out_features))
            self.bias_sigma = nn.Parameter(L.FloatTensor(out_features))
            self.register_buffer('bias_epsilon', L.FloatTensor(out_features))
            self.reset_parameters()
            self.reset_noise()

        def forward(self, x):
            if self.use_cuda:
                weight_epsilon = self.weight_epsilon.cuda()
                bias_epsilon = self.bias_epsilon.cuda()
            else:
                weight_epsilon = self.weight_epsilon
                bias_epsilon = self.bias_epsilon
            if self.training:
                weight = self.weight_mu + self.weight_sigma.mul(Variable(weight_epsilon))
                bias = self.bias_mu + self.bias_sigma.mul(Variable(bias_epsilon))
            else:
                weight = self.weight_mu
                bias = self.bias_mu
            return F.linear(x, weight, bias)

        def reset_parameters(self):
            mu_range = 1 / math.sqrt(self.weight_mu.size(1))
            self.weight_mu.data.uniform_(-mu_range, mu_range)
            self.weight_sigma.data.fill_(self.std_init / math.sqrt(self.weight_sigma.size(1)))
            self.bias_mu.data.uniform_(-mu_range, mu_range)
            self.bias_sigma.data.fill_(self.std_init / math.sqrt(self.bias_sigma.size(0)))

        def reset_noise(self):
            epsilon_in = self._scale_noise(self.in_features)
            epsilon_out = self._scale_noise(self.out_features)
            self.weight_epsilon.copy_(epsilon_out.ger(epsilon_in))
            self.bias_epsilon.copy_(self._scale_noise(self.out_features))

        def _scale_noise(self, size):
            x = L.randn(size)
            x = x.sign().mul(x.abs().sqrt())
            return x

    return NoisyLinear
