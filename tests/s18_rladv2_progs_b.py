"""higgsfield's RL-Adventure, Atari halves part 2 (session 18): CategoricalCnnDQN and
RainbowCnnDQN (frames ``/ 255.``, softmax over atoms without dim, the index_add_
projection), then common/models.py's CnnDQN with ``weights_init`` (deprecated
nn.init.xavier_normal / constant, BatchNorm's .data.normal_) applied through
``model.apply``, common/entropy.py's ``nn.Softmax()(p).data.cpu().numpy()[0]`` and the
fork's device-style act (``torch.tensor(state, dtype=torch.float32, device=device)``,
``.detach()``, ``.item()``) with save_variables / load_variables of the state_dict."""

import io
import random

import numpy as np
from s16_rladv_progs import Rec, noisy_layer
from s18_rladv2_progs import _features, frames


def _projection(L, target_model, num_atoms, Vmin, Vmax):
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
    return projection_distribution


def distributional_cnn(L):
    """6.categorical dqn and 7.rainbow dqn on Pong: the two networks, act through the
    support-weighted sum, three C51 updates each with reset_noise."""
    nn, F, autograd = L.nn, L.nn.functional, L.autograd
    Variable = autograd.Variable
    NoisyLinear = noisy_layer(L)
    rec = Rec()
    num_atoms, Vmin, Vmax = 11, -10, 10

    class CategoricalCnnDQN(nn.Module):
        def __init__(self, input_shape, num_actions, num_atoms, Vmin, Vmax):
            super(CategoricalCnnDQN, self).__init__()
            self.input_shape = input_shape
            self.num_actions = num_actions
            self.num_atoms = num_atoms
            self.Vmin = Vmin
            self.Vmax = Vmax
            self.features = _features(nn, input_shape)
            self.noisy1 = NoisyLinear(self.feature_size(), 512, False)
            self.noisy2 = NoisyLinear(512, self.num_actions * self.num_atoms, False)

        def forward(self, x):
            batch_size = x.size(0)
            x = x / 255.
            x = self.features(x)
            x = x.view(batch_size, -1)
            x = F.relu(self.noisy1(x))
            x = self.noisy2(x)
            x = F.softmax(x.view(-1, self.num_atoms)).view(-1, self.num_actions, self.num_atoms)
            return x

        def reset_noise(self):
            self.noisy1.reset_noise()
            self.noisy2.reset_noise()

        def feature_size(self):
            return self.features(autograd.Variable(L.zeros(1, *self.input_shape))).view(1, -1).size(1)

        def act(self, state):
            state = Variable(L.FloatTensor(np.float32(state)).unsqueeze(0), volatile=True)
            dist = self.forward(state).data.cpu()
            dist = dist * L.linspace(self.Vmin, self.Vmax, self.num_atoms)
            action = dist.sum(2).max(1)[1].numpy()[0]
            return action

    class RainbowCnnDQN(nn.Module):
        def __init__(self, input_shape, num_actions, num_atoms, Vmin, Vmax):
            super(RainbowCnnDQN, self).__init__()
            self.input_shape = input_shape
            self.num_actions = num_actions
            self.num_atoms = num_atoms
            self.Vmin = Vmin
            self.Vmax = Vmax
            self.features = _features(nn, input_shape)
            self.noisy_value1 = NoisyLinear(self.feature_size(), 512, use_cuda=False)
            self.noisy_value2 = NoisyLinear(512, self.num_atoms, use_cuda=False)
            self.noisy_advantage1 = NoisyLinear(self.feature_size(), 512, use_cuda=False)
            self.noisy_advantage2 = NoisyLinear(512, self.num_atoms * self.num_actions, use_cuda=False)

        def forward(self, x):
            batch_size = x.size(0)
            x = x / 255.
            x = self.features(x)
            x = x.view(batch_size, -1)
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

        def feature_size(self):
            return self.features(autograd.Variable(L.zeros(1, *self.input_shape))).view(1, -1).size(1)

        def act(self, state):
            state = Variable(L.FloatTensor(np.float32(state)).unsqueeze(0), volatile=True)
            dist = self.forward(state).data.cpu()
            dist = dist * L.linspace(self.Vmin, self.Vmax, self.num_atoms)
            action = dist.sum(2).max(1)[1].numpy()[0]
            return action

    buf = frames(21)
    for Net in (CategoricalCnnDQN, RainbowCnnDQN):
        L.manual_seed(21)
        current_model = Net((1, 36, 36), 3, num_atoms, Vmin, Vmax)
        target_model = Net((1, 36, 36), 3, num_atoms, Vmin, Vmax)
        rec(lambda: [n for n, _ in current_model.named_children()])
        optimizer = L.optim.Adam(current_model.parameters(), lr=0.0001)
        target_model.load_state_dict(current_model.state_dict())
        projection_distribution = _projection(L, target_model, num_atoms, Vmin, Vmax)
        rec(lambda: current_model.act(buf.buffer[0][0][0]))

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
            loss = -(Variable(proj_dist) * dist.log()).sum(1)
            loss = loss.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            current_model.reset_noise()
            target_model.reset_noise()
            return loss, proj_dist

        for i in range(3):
            res = rec(lambda: compute_td_loss(4)[0])
            rec(lambda: round(float(res.data), 4), keep=False)
        rec.vals += [p.detach().clone() for p in current_model.parameters()]
    return rec.done()


def models_py(L):
    """common/models.py and common/entropy.py: CnnDQN.weights_init through model.apply
    (xavier_normal / constant, BatchNorm's normal_), predict with a volatile Variable, the
    softmax entropy of Q-values; the fork's device-style act, save/load_variables."""
    nn, autograd = L.nn, L.autograd
    Variable = autograd.Variable
    rec = Rec()
    device = L.device("cuda" if L.cuda.is_available() else "cpu")
    rec(lambda: device)

    class CnnDQN(nn.Module):
        def __init__(self, input_shape, num_actions):
            super(CnnDQN, self).__init__()
            self.input_shape = input_shape
            self.num_actions = num_actions
            self.features = nn.Sequential(
                nn.Conv2d(input_shape[0], 32, kernel_size=8, stride=4, bias=False),
                nn.BatchNorm2d(32),
                nn.ReLU(),
                nn.Conv2d(32, 64, kernel_size=4, stride=2),
                nn.ReLU(),
                nn.Conv2d(64, 64, kernel_size=3, stride=1),
                nn.ReLU()
            )
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
                state = L.tensor(state, dtype=L.float32, device=device).unsqueeze(0)
                q_value = self.forward(state).detach()
                action = q_value.max(1)[1].item()
            else:
                action = random.randrange(self.num_actions)
            return action

        def predict(self, state):
            state = Variable(L.FloatTensor(np.float32(state)).unsqueeze(0), volatile=True)
            q_value = self.forward(state)
            return q_value

        def weights_init(self, m):
            classname = m.__class__.__name__
            if classname.find('Conv') != -1 and classname.find('Layer') == -1:
                nn.init.xavier_normal(m.weight)
            elif classname.find('Linear') != -1:
                nn.init.xavier_normal(m.weight)
                nn.init.constant(m.bias, 0.1)
            elif classname.find('BatchNorm') != -1:
                m.weight.data.normal_(1.0, 0.02)
                m.bias.data.fill_(0)

    def nn_entropy(p):
        p_softmax = nn.Softmax()(p).data.cpu().numpy()[0]
        return -np.sum(p_softmax * np.log(p_softmax))

    def compute_q_entropy(q_values):
        q_entropy_traj = []
        for i in range(len(q_values)):
            q_entropy = []
            for j in range(len(q_values[i])):
                qval = autograd.Variable(L.Tensor(q_values[i][j]))
                q_entropy.append(nn_entropy(qval))
            q_entropy_traj.append(q_entropy)
        return q_entropy_traj

    L.manual_seed(31)
    model = CnnDQN((1, 36, 36), 3)
    rec(lambda: model.apply(model.weights_init))
    rec.vals += [p.detach().clone() for p in model.parameters()]
    rec.vals += [b.clone() for b in model.buffers()]
    buf = frames(31)
    optimizer = L.optim.Adam(model.parameters(), lr=0.0001)
    random.seed(31)
    rec(lambda: model.act(buf.buffer[0][0][0], 0.0))
    rec(lambda: model.act(buf.buffer[1][0][0].astype(np.float32), 0.0))
    q_values = []
    for i in range(2):
        state, action, reward, next_state, done = buf.sample(4)
        state = L.tensor(np.float32(state), device=device)
        next_state = L.tensor(np.float32(next_state), device=device)
        action = L.tensor(action, device=device)
        reward = L.tensor(reward, dtype=L.float32, device=device)
        done = L.tensor(done, dtype=L.float32, device=device)
        q_vals = model(state)
        next_q_values = model(next_state)
        q_value = q_vals.gather(1, action.unsqueeze(1)).squeeze(1)
        next_q_value = next_q_values.max(1)[0]
        expected_q_value = reward + 0.99 * next_q_value * (1 - done)
        loss = (q_value - expected_q_value.detach()).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        rec(lambda: (str(action.dtype), str(reward.dtype), str(done.dtype), round(loss.item(), 4)),
            keep=False)
        rec.vals.append(loss.detach())
        q_values.append([model.predict(buf.buffer[j][0][0]).data.cpu().numpy() for j in range(2)])
    rec(lambda: model.training)
    rec.vals += [p.detach().clone() for p in model.parameters()]
    rec.vals += [b.clone() for b in model.buffers()]
    rec(lambda: len(compute_q_entropy(q_values)))
    ent = compute_q_entropy(q_values)
    rec.vals += [np.float32(e) for row in ent for e in row]
    rec(lambda: [type(e).__name__ for e in ent[0]], keep=False)
    rec(lambda: nn.Softmax()(L.Tensor(q_values[0][0])).shape)
    rec(lambda: nn.Softmax()(L.Tensor(q_values[0][0][0])).sum().round(decimals=4))
    rec(lambda: L.Tensor(q_values[0][0]).shape)

    def save_variables(model_file):
        L.save(model.state_dict(), model_file)

    def load_variables(load_file):
        model.load_state_dict(L.load(load_file))

    f = io.BytesIO()
    save_variables(f)
    f.seek(0)
    model2 = CnnDQN((1, 36, 36), 3)
    model = model2
    rec(lambda: load_variables(f))
    model.eval()
    rec(lambda: model.predict(buf.buffer[3][0][0]))
    rec(lambda: model.act(buf.buffer[3][0][0], 0.0))
    rec(lambda: list(model.state_dict().keys())[:5], keep=False)
    rec(lambda: model.features[1].num_batches_tracked)
    rec(lambda: nn.init.xavier_normal(L.zeros(3)))
    rec(lambda: nn.init.constant(L.zeros(2), 0.1))
    rec(lambda: nn.init.xavier_normal_(L.zeros(2, 3), gain=2))
    rec(lambda: L.tensor(np.float32(1.5), device=device).item())
    rec(lambda: L.tensor([0.5, 1.0], dtype=L.float32, device='cpu').unsqueeze(0))
    return rec.done()
