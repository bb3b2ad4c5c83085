"""Session 13, minimalRL-style single-file programs (REINFORCE, actor-critic, DQN, PPO,
PPO-LSTM, DDPG, SAC, ACER, V-trace): their update steps, run on ember and on torch 2.13
with the same seeds and synthetic transitions, compared live.

Losses are compared to rtol 1e-5: a value or policy head with one or two outputs (Linear(256,
2), Linear(64, 1)) is a product PyTorch's MKL computes in another summation order than
NumPy's OpenBLAS, so those outputs differ in the last float32 bit (README, known gaps); all
else in these steps (activations, gather, losses, Adam) matches when its inputs do."""

import numpy as np
import pytest
import torch
from torch_compare import run_both

import ember

RTOL = 1e-5


def _batch(rng, n, s_dim=4):
    """n synthetic transitions, in the shapes a minimalRL ReplayBuffer.sample builds them."""
    s = rng.standard_normal((n, s_dim)).astype(np.float32)
    return s, rng.integers(0, 2, n), rng.random(n) / 100.0, \
        rng.standard_normal((n, s_dim)).astype(np.float32), rng.random(n) > 0.9


# ---- the update steps ----------------------------------------------------------------------

def _dqn(L):
    import collections
    import random
    nn, F = L.nn, L.nn.functional
    L.manual_seed(0)
    random.seed(0)
    q = nn.Sequential(nn.Linear(4, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                      nn.Linear(128, 2))
    q_target = nn.Sequential(nn.Linear(4, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                             nn.Linear(128, 2))
    q_target.load_state_dict(q.state_dict())
    opt = L.optim.Adam(q.parameters(), lr=0.0005)
    buffer = collections.deque(maxlen=500)
    s, a, r, s2, d = _batch(np.random.default_rng(0), 300)
    for i in range(300):
        buffer.append((s[i], int(a[i]), float(r[i]), s2[i], 0.0 if d[i] else 1.0))
    out = []
    for step in range(12):
        mini = random.sample(buffer, 32)
        s_b = L.tensor(np.array([t[0] for t in mini]), dtype=L.float)
        a_b = L.tensor([[t[1]] for t in mini])
        r_b = L.tensor([[t[2]] for t in mini])
        s2_b = L.tensor(np.array([t[3] for t in mini]), dtype=L.float)
        m_b = L.tensor([[t[4]] for t in mini])
        q_a = q(s_b).gather(1, a_b)
        max_q_prime = q_target(s2_b).max(1)[0].unsqueeze(1)
        target = r_b + 0.98 * max_q_prime * m_b
        loss = F.smooth_l1_loss(q_a, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 5 == 4:
            q_target.load_state_dict(q.state_dict())
        out.append(loss.item())
    greedy = q(L.from_numpy(s[:20])).argmax(1).tolist()
    return out, greedy, str(r_b.dtype), str(m_b.dtype), str(target.dtype), loss.grad_fn.name()


def test_dqn_updates_match():
    want, got = run_both(_dqn)
    assert got[1:] == want[1:]
    assert want[2:] == ("torch.float32",) * 3 + ("SmoothL1LossBackward0",)
    np.testing.assert_allclose(got[0], want[0], rtol=RTOL)


def _ppo_make(L, lstm=False):
    nn = L.nn

    class PPO(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 64)
            if lstm:
                self.lstm = nn.LSTM(64, 32)
            self.fc_pi = nn.Linear(32 if lstm else 64, 2)
            self.fc_v = nn.Linear(32 if lstm else 64, 1)

        def body(self, x, hidden):
            x = L.relu(self.fc1(x))
            if lstm:
                x, hidden = self.lstm(x.view(-1, 1, 64), hidden)
            return x, hidden

        def pi(self, x, hidden=None, softmax_dim=0):
            x, hidden = self.body(x, hidden)
            return L.nn.functional.softmax(self.fc_pi(x), dim=softmax_dim), hidden

        def v(self, x, hidden=None):
            return self.fc_v(self.body(x, hidden)[0])
    return PPO()


def _ppo(L, lstm=False):
    F = L.nn.functional
    L.manual_seed(0)
    model = _ppo_make(L, lstm)
    opt = L.optim.Adam(model.parameters(), lr=0.0005)
    rng = np.random.default_rng(1)
    out = []
    h0 = (L.zeros([1, 1, 32]), L.zeros([1, 1, 32]))
    for it in range(4):
        s_np, a_np, r_np, s2_np, d_np = _batch(rng, 20)
        # acting: one state at a time, as the rollout loop does
        probs, h = [], h0
        for t in range(20):
            p, h = model.pi(L.from_numpy(s_np[t]).float(), h, softmax_dim=-1)
            probs.append(p.view(-1)[int(a_np[t])].item())
        s = L.tensor(s_np, dtype=L.float)
        a = L.tensor([[int(x)] for x in a_np])
        r = L.tensor([[float(x)] for x in r_np])
        s2 = L.tensor(s2_np, dtype=L.float)
        done_mask = L.tensor([[0 if d else 1] for d in d_np], dtype=L.float)
        prob_a = L.tensor([[p] for p in probs])
        first = (h0[0].detach(), h0[1].detach())
        for k in range(3):
            v_s = model.v(s, first).view(-1, 1)
            td_target = r + 0.98 * model.v(s2, first).view(-1, 1) * done_mask
            delta = (td_target - v_s).detach().numpy()
            advantage_lst, advantage = [], 0.0
            for delta_t in delta[::-1]:
                advantage = 0.98 * 0.95 * advantage + delta_t[0]
                advantage_lst.append([advantage])
            advantage_lst.reverse()
            advantage = L.tensor(advantage_lst, dtype=L.float)
            pi, _ = model.pi(s, first, softmax_dim=-1)
            pi_a = pi.view(-1, 2).gather(1, a)
            ratio = L.exp(L.log(pi_a) - L.log(prob_a))
            surr1 = ratio * advantage
            surr2 = L.clamp(ratio, 1 - 0.1, 1 + 0.1) * advantage
            loss = -L.min(surr1, surr2) + F.smooth_l1_loss(v_s, td_target.detach())
            opt.zero_grad()
            loss.mean().backward(retain_graph=lstm)
            opt.step()
            out.append(loss.mean().item())
        h0 = (h[0].detach(), h[1].detach()) if lstm else h0
    return out, probs, str(prob_a.dtype), str(advantage.dtype), tuple(loss.shape)


@pytest.mark.parametrize("lstm", [False, True])
def test_ppo_gae_updates_match(lstm):
    want, got = run_both(lambda L: _ppo(L, lstm))
    assert got[2:] == want[2:]
    assert want[2:] == ("torch.float32", "torch.float32", (20, 1))
    np.testing.assert_allclose(got[1], want[1], rtol=RTOL)
    np.testing.assert_allclose(got[0], want[0], rtol=RTOL, atol=1e-7)


def _ddpg(L):
    nn, F = L.nn, L.nn.functional
    L.manual_seed(0)
    np.random.seed(0)

    class QNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc_s, self.fc_a = nn.Linear(3, 64), nn.Linear(1, 64)
            self.fc_q, self.fc_out = nn.Linear(128, 32), nn.Linear(32, 1)

        def forward(self, x, a):
            cat = L.cat([F.relu(self.fc_s(x)), F.relu(self.fc_a(a))], dim=1)
            return self.fc_out(F.relu(self.fc_q(cat)))

    mu = nn.Sequential(nn.Linear(3, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                       nn.Linear(64, 1), nn.Tanh())
    mu_t = nn.Sequential(nn.Linear(3, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 1), nn.Tanh())
    mu_t.load_state_dict(mu.state_dict())
    q, q_t = QNet(), QNet()
    q_t.load_state_dict(q.state_dict())
    mu_opt, q_opt = L.optim.Adam(mu.parameters(), lr=5e-4), L.optim.Adam(q.parameters(), lr=1e-3)
    rng = np.random.default_rng(2)
    x_prev, out = np.zeros(1), []
    for step in range(8):
        s = L.tensor(rng.standard_normal((32, 3)), dtype=L.float)
        a = L.tensor([[float(v)] for v in rng.uniform(-2, 2, 32)], dtype=L.float)
        r = L.tensor([[float(v)] for v in rng.random(32) / 100], dtype=L.float)
        s2 = L.tensor(rng.standard_normal((32, 3)), dtype=L.float)
        target = r + 0.99 * q_t(s2, mu_t(s2) * 2) * 1.0
        q_loss = F.smooth_l1_loss(q(s, a), target.detach())
        q_opt.zero_grad()
        q_loss.backward()
        q_opt.step()
        mu_loss = -q(s, mu(s) * 2).mean()
        mu_opt.zero_grad()
        mu_loss.backward()
        mu_opt.step()
        for net, net_t in ((mu, mu_t), (q, q_t)):
            for param_target, param in zip(net_t.parameters(), net.parameters()):
                param_target.data.copy_(param_target.data * (1.0 - 0.005) + param.data * 0.005)
        # OrnsteinUhlenbeckNoise in NumPy, added to the actor's .item()
        x_prev = x_prev + 0.1 * (0 - x_prev) * 0.01 + 0.1 * np.sqrt(0.01) * np.random.normal(
            size=(1,))
        act = mu(s[:1]).item() * 2 + x_prev[0]
        out.append((q_loss.item(), mu_loss.item(), act))
    return out, [p.requires_grad for p in q_t.parameters()], q_t.fc_out.bias.grad


def test_ddpg_soft_update_and_ou_noise_match():
    want, got = run_both(_ddpg)
    assert got[1:] == want[1:]
    assert want[1] == [True] * 8 and want[2] is None  # soft updates record no graph
    np.testing.assert_allclose(got[0], want[0], rtol=RTOL)


def _sac(L):
    nn, F = L.nn, L.nn.functional
    Normal = L.distributions.Normal
    L.manual_seed(0)
    fc1, fc_mu, fc_std = nn.Linear(3, 128), nn.Linear(128, 1), nn.Linear(128, 1)
    pi_params = [*fc1.parameters(), *fc_mu.parameters(), *fc_std.parameters()]
    pi_opt = L.optim.Adam(pi_params, lr=5e-4)
    log_alpha = L.tensor(np.log(0.01))  # float64, as minimalRL writes it
    log_alpha.requires_grad = True
    alpha_opt = L.optim.Adam([log_alpha], lr=0.001)
    q = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 1))

    def pi(x):
        x = F.relu(fc1(x))
        dist = Normal(fc_mu(x), F.softplus(fc_std(x)))
        action = dist.rsample()
        real_log_prob = dist.log_prob(action) - L.log(1 - L.tanh(action).pow(2) + 1e-7)
        return L.tanh(action), real_log_prob

    rng = np.random.default_rng(3)
    out = []
    for step in range(6):
        s = L.tensor(rng.standard_normal((32, 3)), dtype=L.float)
        a, log_prob = pi(s)
        entropy = -log_alpha.exp() * log_prob
        q_val = q(L.cat([s, a], dim=1))
        min_q = L.min(L.cat([q_val, q_val * 0.9], dim=1), 1, keepdim=True)[0]
        loss = -min_q - entropy
        pi_opt.zero_grad()
        loss.mean().backward()
        pi_opt.step()
        alpha_opt.zero_grad()
        alpha_loss = -(log_alpha.exp() * (log_prob + -1.0).detach()).mean()
        alpha_loss.backward()
        alpha_opt.step()
        out.append((loss.mean().item(), alpha_loss.item(), log_alpha.item()))
    return (out, str(entropy.dtype), str(alpha_loss.dtype), str(log_alpha.dtype),
            "{:.4f}".format(log_alpha.exp()), repr(alpha_opt.state[log_alpha]["step"]))


def test_sac_log_alpha_and_squashed_normal_match():
    want, got = run_both(_sac)
    assert got[1:] == want[1:]
    assert want[1:4] == ("torch.float32", "torch.float32", "torch.float64")  # 0-d: no promotion
    np.testing.assert_allclose(got[0], want[0], rtol=RTOL)


def _acer(L):
    F = L.nn.functional
    L.manual_seed(0)
    fc1, fc_pi, fc_q = L.nn.Linear(4, 64), L.nn.Linear(64, 2), L.nn.Linear(64, 2)
    opt = L.optim.Adam([*fc1.parameters(), *fc_pi.parameters(), *fc_q.parameters()], lr=2e-4)
    rng = np.random.default_rng(4)
    out = []
    for it in range(3):
        s_np, a_np, r_lst, _, d_np = _batch(rng, 20)
        s, a = L.tensor(s_np), L.tensor([[int(x)] for x in a_np])
        prob = L.tensor(rng.dirichlet([1.0, 1.0], 20).astype(np.float32))
        done_mask = [0.0 if d else 1.0 for d in d_np]
        is_first = [t % 10 == 0 for t in range(20)]
        h = F.relu(fc1(s))
        q = fc_q(h)
        q_a = q.gather(1, a)
        pi = F.softmax(fc_pi(h), dim=1)
        pi_a = pi.gather(1, a)
        v = (q * pi).sum(1).unsqueeze(1).detach()
        rho = pi.detach() / prob
        rho_bar = rho.gather(1, a).clamp(max=1.0)
        correction_coeff = (1 - 1.0 / rho).clamp(min=0)
        q_ret = v[-1] * done_mask[-1]
        q_ret_lst = []
        for i in reversed(range(len(r_lst))):
            q_ret = float(r_lst[i]) + 0.98 * q_ret
            q_ret_lst.append(q_ret.item())
            q_ret = rho_bar[i] * (q_ret - q_a[i]) + v[i]
            if is_first[i] and i != 0:
                q_ret = v[i - 1] * done_mask[i - 1]
        q_ret_lst.reverse()
        q_ret = L.tensor(q_ret_lst, dtype=L.float).unsqueeze(1)
        loss1 = -rho_bar * L.log(pi_a) * (q_ret - v)
        loss2 = -correction_coeff * pi.detach() * L.log(pi) * (q.detach() - v)
        loss = loss1 + loss2.sum(1) + F.smooth_l1_loss(q_a, q_ret)
        opt.zero_grad()
        loss.mean().backward()
        opt.step()
        out.append([loss.mean().item()] + q_ret_lst[::5])
    return out, tuple(loss.shape), q_ret.grad_fn, tuple(v[-1].shape)


def test_acer_retrace_loop_matches():
    want, got = run_both(_acer)
    assert got[1:] == want[1:]
    assert want[1:] == ((20, 20), None, (1,))  # loss2.sum(1) broadcasts to (20, 20)
    np.testing.assert_allclose(got[0], want[0], rtol=RTOL)


def _vtrace(L):
    L.manual_seed(0)
    fc1, fc_pi, fc_v = L.nn.Linear(4, 64), L.nn.Linear(64, 2), L.nn.Linear(64, 1)
    clip = L.tensor(1.0, dtype=L.float)
    rng = np.random.default_rng(5)
    s_np, a_np, r_np, s2_np, d_np = _batch(rng, 20)
    s, s2, a = L.tensor(s_np), L.tensor(s2_np), L.tensor([[int(x)] for x in a_np])
    r = L.tensor([[float(x)] for x in r_np])
    mu_a = L.tensor([[float(x)] for x in rng.uniform(0.3, 0.7, 20)])
    done_mask = L.tensor([[0 if d else 1] for d in d_np], dtype=L.float)
    with L.no_grad():
        pi_a = L.softmax(fc_pi(L.relu(fc1(s))), dim=1).gather(1, a)
        v, v_prime = fc_v(L.relu(fc1(s))), fc_v(L.relu(fc1(s2)))
        ratio = L.exp(L.log(pi_a) - L.log(mu_a))
        rhos = L.min(clip, ratio)
        cs = L.min(clip, ratio).numpy()
        td_target = r + 0.98 * v_prime * done_mask
        delta = rhos * (td_target - v).numpy()  # a Tensor times an ndarray: a Tensor
        lst, acc = [[0.0]], 0.0
        for i in range(len(delta) - 1, -1, -1):
            acc = 0.98 * cs[i][0] * acc + delta[i][0]
            lst.append([acc])
        lst.reverse()
        vs_minus = L.tensor(lst, dtype=L.float)
        vs = vs_minus[:-1] + v.numpy()
        advantage = r + 0.98 * (vs_minus[1:] + v_prime.numpy()) - v.numpy()
    return (vs.numpy(), advantage.numpy(), type(delta).__name__, str(delta.dtype),
            str(vs.dtype), str(mu_a.dtype), rhos.requires_grad)


def test_vtrace_targets_match():
    want, got = run_both(_vtrace)
    assert got[2:] == want[2:]
    assert want[2:] == ("Tensor", "torch.float32", "torch.float32", "torch.float32", False)
    np.testing.assert_allclose(got[0], want[0], rtol=RTOL, atol=1e-8)
    np.testing.assert_allclose(got[1], want[1], rtol=RTOL, atol=1e-8)


def _reinforce(L):
    L.manual_seed(0)
    fc1, fc2 = L.nn.Linear(4, 128), L.nn.Linear(128, 2)
    opt = L.optim.Adam([*fc1.parameters(), *fc2.parameters()], lr=0.0002)
    rng = np.random.default_rng(6)
    out = []
    for ep in range(3):
        data = []
        for t in range(15):  # one state at a time; Categorical draws from PyTorch's stream
            prob = L.softmax(fc2(L.relu(fc1(L.from_numpy(rng.standard_normal(4)).float()))),
                             dim=0)
            a = L.distributions.Categorical(prob).sample()
            data.append((1.0, prob[a]))
        R = 0
        opt.zero_grad()
        for r, p in data[::-1]:
            R = r + 0.98 * R
            loss = -L.log(p) * R
            loss.backward()
        opt.step()
        out.append(loss.item())
    return out, str(loss), loss.grad_fn.name()


def test_reinforce_per_step_backward_matches():
    want, got = run_both(_reinforce)
    assert got[2] == want[2] == "MulBackward0"
    np.testing.assert_allclose(got[0], want[0], rtol=RTOL)
