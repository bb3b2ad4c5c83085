"""higgsfield's RL-Adventure, part 3: quantile regression DQN, hierarchical DQN and the
mistakes learners hit running the notebooks today, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s16_rladv.py."""

import random

import numpy as np
from s16_rladv_progs import Rec, noisy_layer, replay_buffer


def qr_dqn(L):
    """8.quantile regression dqn: quantiles per action, tau from sort indices through
    fancy indexing with a tensor and NumPy arrays, the quantile Huber loss and the deprecated
    nn.utils.clip_grad_norm."""
    nn = L.nn
    Variable = L.autograd.Variable
    rec = Rec()
    num_quant = 8

    class QRDQN(nn.Module):
        def __init__(self, num_inputs, num_actions, num_quants):
            super(QRDQN, self).__init__()
            self.num_inputs = num_inputs
            self.num_actions = num_actions
            self.num_quants = num_quants
            self.features = nn.Sequential(nn.Linear(num_inputs, 32), nn.ReLU(),
                                          nn.Linear(32, 32), nn.ReLU(),
                                          nn.Linear(32, self.num_actions * self.num_quants))

        def forward(self, x):
            batch_size = x.size(0)
            x = self.features(x)
            x = x.view(batch_size, self.num_actions, self.num_quants)
            return x

        def q_values(self, x):
            x = self.forward(x)
            return x.mean(2)

        def act(self, state, epsilon):
            if random.random() > epsilon:
                state = Variable(L.FloatTensor(np.array(state, dtype=np.float32)).unsqueeze(0), volatile=True)
                qvalues = self.forward(state).mean(2)
                action = qvalues.max(1)[1]
                action = action.data.cpu().numpy()[0]
            else:
                action = random.randrange(self.num_actions)
            return action

    L.manual_seed(6)
    current_model = QRDQN(4, 2, num_quant)
    target_model = QRDQN(4, 2, num_quant)
    optimizer = L.optim.Adam(current_model.parameters())
    target_model.load_state_dict(current_model.state_dict())
    buf = replay_buffer(6)
    rec(lambda: current_model.act(buf.buffer[0][0][0], 0.0))

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

    batch_size = 8

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
        return loss, tau

    for i in range(3):
        res = compute_td_loss(batch_size)
        rec(lambda: res[0])
        rec(lambda: res[1])
    rec.vals += [p.detach().clone() for p in current_model.parameters()]
    rec(lambda: current_model.q_values(L.FloatTensor(np.float32(buf.buffer[1][0]))).shape, keep=False)
    rec(lambda: nn.utils.clip_grad_norm_(current_model.parameters(), 0.5))
    rec(lambda: nn.utils.clip_grad_norm(current_model.parameters(), 0.5, norm_type='inf'))
    rec(lambda: nn.utils.clip_grad_norm_(current_model.parameters(), 0.5, norm_type=float('inf')))
    rec(lambda: nn.utils.clip_grad_norm_(current_model.parameters(), 0.5, norm_type=2.0, error_if_nonfinite=True))
    rec(lambda: nn.utils.clip_grad_norm_([], 0.5))
    rec(lambda: nn.utils.clip_grad_value_(current_model.parameters(), 0.1))
    t = L.linspace(0.0, 1.0 - 1. / 4, 4) + 0.5 / 4
    rec(lambda: t.unsqueeze(0).repeat(3, 1)[:, L.tensor([[0, 1, 2, 3], [3, 2, 1, 0], [1, 1, 1, 1]])][np.arange(3), np.arange(3)])
    rec(lambda: t.unsqueeze(0).repeat(3))
    rec(lambda: t.unsqueeze(0).repeat(3, 1)[np.arange(3), [0, 1]])
    rec(lambda: L.sort(L.tensor([[3., 1., 2.]]), 1, descending=False))
    rec(lambda: (L.tensor([-1., 2.]) < 0).float())
    return rec.done()


def hdqn(L):
    """9.hierarchical dqn: one-hot states for a small MDP, a meta controller choosing goals
    and a controller on (state, goal), each trained by its own TD loss."""
    nn = L.nn
    Variable = L.autograd.Variable
    rec = Rec()
    num_goals, num_actions = 6, 2

    class Net(nn.Module):
        def __init__(self, num_inputs, num_outputs):
            super(Net, self).__init__()
            self.layers = nn.Sequential(nn.Linear(num_inputs, 16), nn.ReLU(),
                                        nn.Linear(16, num_outputs))

        def forward(self, x):
            return self.layers(x)

        def act(self, state, epsilon):
            if random.random() > epsilon:
                state = L.FloatTensor(state).unsqueeze(0)
                action = self.forward(Variable(state, volatile=True)).max(1)[1]
                return action.data[0]
            else:
                return random.randrange(num_actions)

    def to_onehot(x):
        oh = np.zeros(6)
        oh[x - 1] = 1.
        return oh

    L.manual_seed(7)
    model = Net(2 * num_goals, num_actions)
    meta_model = Net(num_goals, num_goals)
    optimizer = L.optim.Adam(model.parameters())
    meta_optimizer = L.optim.Adam(meta_model.parameters())
    rng = np.random.default_rng(7)

    def batch(n, inp, acts):
        states = [to_onehot(int(s)) for s in rng.integers(1, 7, n)]
        goals = [to_onehot(int(g)) for g in rng.integers(1, 7, n)]
        if inp == 12:
            s = [np.concatenate([a, b]) for a, b in zip(states, goals)]
            s2 = [np.concatenate([b, a]) for a, b in zip(states, goals)]
        else:
            s, s2 = states, goals
        a = [int(x) for x in rng.integers(0, acts, n)]
        r = list(rng.random(n))
        d = [bool(x) for x in rng.random(n) < 0.3]
        return s, a, r, s2, d

    def compute_td_loss(model, optimizer, data, gamma=0.99):
        state, action, reward, next_state, done = data
        state = Variable(L.FloatTensor(state))
        next_state = Variable(L.FloatTensor(next_state), volatile=True)
        action = Variable(L.LongTensor(action))
        reward = Variable(L.FloatTensor(reward))
        done = Variable(L.FloatTensor(done))
        q_value = model(state)
        q_value = q_value.gather(1, action.unsqueeze(1)).squeeze(1)
        next_q_value = model(next_state).max(1)[0]
        expected_q_value = reward + gamma * next_q_value * (1 - done)
        loss = (q_value - Variable(expected_q_value.data)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    state = to_onehot(2)
    goal = meta_model.act(state, 0.0)
    rec(lambda: goal)
    onehot_goal = to_onehot(int(goal))
    joint_state_goal = np.concatenate([state, onehot_goal])
    rec(lambda: model.act(joint_state_goal, 0.0))
    for i in range(3):
        rec(lambda: compute_td_loss(model, optimizer, batch(8, 12, num_actions)))
        rec(lambda: compute_td_loss(meta_model, meta_optimizer, batch(8, 6, num_goals)))
    rec.vals += [p.detach().clone() for p in model.parameters()]
    rec.vals += [p.detach().clone() for p in meta_model.parameters()]
    rec(lambda: L.FloatTensor([to_onehot(1), to_onehot(2)]))
    rec(lambda: L.FloatTensor(to_onehot(3)).dtype)
    rec(lambda: L.FloatTensor([True, False, True]))
    rec(lambda: to_onehot(L.tensor(2)))
    rec(lambda: to_onehot(goal))
    return rec.done()


def mistakes(L):
    """What learners hit running the notebooks today: NoisyLinear(use_cuda=True) without a GPU,
    a second backward through the TD graph, stepping without zero_grad (gradients add up),
    the old reset() tuple from Gymnasium, a Python float reward, .data[0] on a 1-element
    vector, the in-place clamp through .data on a leaf and on a parameter."""
    nn = L.nn
    Variable = L.autograd.Variable
    rec = Rec()
    L.manual_seed(8)
    NoisyLinear = noisy_layer(L)
    layer = NoisyLinear(3, 2, use_cuda=True)
    rec(lambda: layer(L.ones(1, 3)))
    rec(lambda: L.ones(1).cuda())
    rec(lambda: Variable(L.ones(1)).cuda())
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = L.optim.Adam(model.parameters(), lr=0.01)
    state = Variable(L.FloatTensor(np.float32(np.ones((3, 4)))))
    q = model(state).gather(1, L.LongTensor([0, 1, 1]).unsqueeze(1)).squeeze(1)
    loss = (q - L.ones(3)).pow(2).mean()
    rec(lambda: loss.backward())
    rec(lambda: loss.backward())
    g1 = model[0].weight.grad.clone()
    q = model(state).max(1)[0]
    (q.sum()).backward()
    rec.vals += [g1, model[0].weight.grad.clone()]
    rec(lambda: opt.step())
    rec(lambda: L.FloatTensor(np.float32((np.ones(4, np.float32), {}))))
    rec(lambda: L.FloatTensor(1.0))
    rec(lambda: L.FloatTensor([1.0]).data[0])
    rec(lambda: L.FloatTensor([1.0])[0].data[0])
    rec(lambda: L.tensor(2.0).data[0])
    rec(lambda: L.tensor(2.0)[0])
    rec(lambda: L.tensor([[2.0]]).max(1)[1].data[0])
    rec(lambda: model[0].weight.clamp_(0.0, 1.0))
    rec(lambda: model[0].weight.data.clamp_(0.0, 1.0).sum())
    rec(lambda: model[0].bias.data[0])
    rec(lambda: model[0].weight.data.shape)
    with L.no_grad():
        rec(lambda: model(state).requires_grad)
    rec(lambda: model(state).detach().max(1)[1].numpy().tolist())
    rec(lambda: L.tensor([1.0]).item() + L.tensor([2]).item())
    return rec.done()
