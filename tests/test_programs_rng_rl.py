"""Reinforcement-learning programs seeded with manual_seed draw what PyTorch 2.13 draws.

Each test runs one piece of a typical RL program (REINFORCE, actor-critic, PPO, DQN, SAC, TD3,
a noisy-net / prioritised-replay DQN) once under live torch and once under ember, on a small
deterministic stand-in for the environment (no gym needed). Sampled actions, replay indices,
minibatch permutations and noise must be equal; trained values agree to float32 rounding of
the BLAS products and transcendental functions (rtol 1e-5 after a few updates).
"""

import math

import numpy as np
import pytest

import ember
import ember.distributions as ED
import ember.nn as enn
import ember.nn.functional as EF
import ember.optim as eoptim

torch = pytest.importorskip("torch")
import torch.distributions as TD  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
import torch.optim as toptim  # noqa: E402

LIBS = {"torch": (torch, tnn, TF, TD, toptim), "ember": (ember, enn, EF, ED, eoptim)}
ROUND = dict(rtol=1e-5, atol=1e-6)  # float32 rounding of matmuls/exp/log over a few updates
# A policy loss sums ~20 terms of size ~1 that cancel to ~0.1, and the normalised returns carry
# the 1-ulp difference of a float32 mean/std taken in another summation order: absolute 1e-5.
LOSS = dict(rtol=1e-5, atol=1e-5)


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _run(prog):
    return [prog(*LIBS[k]) for k in ("torch", "ember")]


def _states(n, dim, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _reinforce(L, nn, F, D, optim):
    L.manual_seed(543)
    net = nn.Sequential(nn.Linear(4, 128), nn.Dropout(0.6), nn.ReLU(), nn.Linear(128, 2))
    opt = optim.Adam(net.parameters(), lr=1e-2)
    acts, lps, losses = [], [], []
    for ep in range(3):
        logps = []
        for s in _states(15 + ep, 4, ep):
            m = D.Categorical(F.softmax(net(L.from_numpy(s).unsqueeze(0)), dim=1))
            a = m.sample()
            acts.append(a.item())
            logps.append(m.log_prob(a))
        R, rets = 0.0, []
        for _ in logps:
            R = 1.0 + 0.99 * R
            rets.insert(0, R)
        rets = L.tensor(rets)
        rets = (rets - rets.mean()) / (rets.std() + np.finfo(np.float32).eps.item())
        loss = L.cat([-lp * r for lp, r in zip(logps, rets)]).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        lps += [lp.item() for lp in logps]
        losses.append(loss.item())
    return acts, lps, losses, L.rand(3)


def test_reinforce_actions_and_logprobs():
    t, e = _run(_reinforce)
    assert t[0] == e[0]  # sampled actions (Categorical over dropout-ed policy)
    np.testing.assert_allclose(t[1], e[1], **ROUND)
    np.testing.assert_allclose(t[2], e[2], **LOSS)
    np.testing.assert_array_equal(_np(t[3]), _np(e[3]))  # same number of draws consumed


def _actor_critic(L, nn, F, D, optim):
    L.manual_seed(543)
    body, pi, v = nn.Linear(4, 128), nn.Linear(128, 2), nn.Linear(128, 1)
    opt = optim.Adam([*body.parameters(), *pi.parameters(), *v.parameters()], lr=3e-2)
    acts, losses = [], []
    for ep in range(3):
        saved = []
        for s in _states(12, 4, 10 + ep):
            h = F.relu(body(L.from_numpy(s)))
            m = D.Categorical(F.softmax(pi(h), dim=-1))
            a = m.sample()
            acts.append(a.item())
            saved.append((m.log_prob(a), v(h)))
        rets = L.tensor([float(12 - i) for i in range(12)])
        rets = (rets - rets.mean()) / (rets.std() + 1e-7)
        pl = [-lp * (r - val.item()) for (lp, val), r in zip(saved, rets)]
        vl = [F.smooth_l1_loss(val, L.tensor([r])) for (_, val), r in zip(saved, rets)]
        loss = L.stack(pl).sum() + L.stack(vl).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return acts, losses


def test_actor_critic():
    t, e = _run(_actor_critic)
    assert t[0] == e[0]
    np.testing.assert_allclose(t[1], e[1], **LOSS)


def _ppo(L, nn, F, D, optim):
    def layer(i, o, std=np.sqrt(2)):
        lin = nn.Linear(i, o)
        nn.init.orthogonal_(lin.weight, std)
        nn.init.constant_(lin.bias, 0.0)
        return lin

    L.manual_seed(1)
    critic = nn.Sequential(layer(4, 64), nn.Tanh(), layer(64, 64), nn.Tanh(), layer(64, 1, 1.0))
    actor = nn.Sequential(layer(4, 64), nn.Tanh(), layer(64, 64), nn.Tanh(), layer(64, 2, 0.01))
    params = [*critic.parameters(), *actor.parameters()]
    opt = optim.Adam(params, lr=2.5e-4, eps=1e-5)
    obs = L.from_numpy(_states(64, 4, 3))
    with L.no_grad():
        dist = D.Categorical(logits=actor(obs))
        act = dist.sample()
        old_lp, values = dist.log_prob(act), critic(obs).flatten()
    adv = L.from_numpy(_states(64, 1, 4)).flatten()
    rets = adv + values
    perms, out = [], []
    for _ in range(2):
        inds = L.randperm(64)
        perms.append(inds.tolist())
        for start in range(0, 64, 16):
            mb = inds[start:start + 16]
            d = D.Categorical(logits=actor(obs[mb]))
            ratio = (d.log_prob(act[mb]) - old_lp[mb]).exp()
            a = adv[mb]
            a = (a - a.mean()) / (a.std() + 1e-8)
            pg = L.max(-a * ratio, -a * L.clamp(ratio, 0.8, 1.2)).mean()
            v_loss = 0.5 * ((critic(obs[mb]).view(-1) - rets[mb]) ** 2).mean()
            loss = pg - 0.01 * d.entropy().mean() + 0.5 * v_loss
            opt.zero_grad()
            loss.backward()
            gn = nn.utils.clip_grad_norm_(params, 0.5)
            opt.step()
            out.append([loss.item(), gn.item()])
    return act.tolist(), perms, out, [_np(p) for p in params]


def test_ppo_update():
    t, e = _run(_ppo)
    assert t[0] == e[0] and t[1] == e[1]  # actions from Categorical(logits), randperm batches
    np.testing.assert_allclose(t[2], e[2], **ROUND)
    # Adam divides by sqrt(v): an entry whose gradient is ~0 moves by up to lr * m/sqrt(v)
    # whatever its size, so its rounding shows at the lr scale (2.5e-4) over 8 steps: atol 1e-5.
    for a, b in zip(t[3], e[3], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def _dqn(L, nn, F, D, optim):
    L.manual_seed(1)
    q = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = optim.Adam(q.parameters(), lr=1e-3)
    buf = L.from_numpy(_states(200, 4, 5))
    rew = L.from_numpy(_states(200, 1, 6)).flatten()
    acts, idxs, losses = [], [], []
    for step in range(60):
        eps = max(1.0 - step / 40, 0.05)
        if L.rand(1).item() < eps:
            acts.append(L.randint(0, 2, ()).item())
        else:
            with L.no_grad():
                acts.append(L.argmax(q(buf[step])).item())
        if step >= 10 and step % 5 == 0:
            idx = L.randint(0, step + 1, (16,))
            idxs.append(idx.tolist())
            a = L.tensor(acts)[idx]
            with L.no_grad():
                tgt = rew[idx] + 0.99 * q(buf[idx + 1]).max(dim=1)[0]
            loss = F.mse_loss(tgt, q(buf[idx]).gather(1, a.unsqueeze(1)).squeeze())
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return acts, idxs, losses


def test_dqn_epsilon_and_replay():
    t, e = _run(_dqn)
    assert t[0] == e[0] and t[1] == e[1]
    np.testing.assert_allclose(t[2], e[2], **ROUND)


def _sac_td3(L, nn, F, D, optim):
    L.manual_seed(1)
    body, mu, ls = nn.Linear(3, 64), nn.Linear(64, 1), nn.Linear(64, 1)
    obs = L.from_numpy(_states(8, 3, 7))
    h = F.relu(body(obs))
    mean, log_std = mu(h), -5 + 3.5 * (L.tanh(ls(h)) + 1)
    normal = D.Normal(mean, log_std.exp())
    x = normal.rsample()
    y = L.tanh(x)
    lp = (normal.log_prob(x) - L.log(2.0 * (1 - y.pow(2)) + 1e-6)).sum(1, keepdim=True)
    lp.mean().backward()
    grad = body.weight.grad.clone()
    with L.no_grad():
        a = L.tanh(mu(h)) * 2.0
        a = (a + L.normal(0, L.full((1,), 0.2))).clamp(-2.0, 2.0)
        noise = (L.randn_like(a) * 0.2).clamp(-0.5, 0.5)
        target, src = nn.Linear(3, 64), body
        for p, tp in zip(src.parameters(), target.parameters()):
            tp.data.copy_(0.005 * p.data + 0.995 * tp.data)
    return [_np(v) for v in (x, lp, grad, a, noise, target.weight, L.rand(2))]


def test_sac_rsample_and_td3_noise():
    t, e = _run(_sac_td3)
    for a, b in zip(t, e, strict=True):
        np.testing.assert_allclose(a, b, **ROUND)


def _noisy_prioritised(L, nn, F, D, optim):
    L.manual_seed(7)

    def scale_noise(n):
        x = L.randn(n)
        return x.sign().mul_(x.abs().sqrt_())

    w = L.empty(5, 3).uniform_(-1 / math.sqrt(3), 1 / math.sqrt(3))
    eps_w = scale_noise(5).ger(scale_noise(3))
    prio = L.rand(300) ** 0.6
    idx = L.multinomial(prio / prio.sum(), 32, replacement=True)
    gum = F.gumbel_softmax(L.randn(4, 3), tau=0.5, hard=True)
    return [_np(v) for v in (w, eps_w, idx, gum, L.rand(2))]


def test_noisy_net_prioritised_replay():
    t, e = _run(_noisy_prioritised)
    for i, (a, b) in enumerate(zip(t, e, strict=True)):
        if i == 1:  # torch's float32 sqrt goes through MKL VML (<= 1 ulp, not correctly
            np.testing.assert_allclose(a, b, rtol=3e-7, atol=0)  # rounded); NumPy's is exact
        else:
            np.testing.assert_array_equal(a, b)
