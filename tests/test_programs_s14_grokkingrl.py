"""Session 14: Lapan's Deep RL Hands-On (ch4 cross-entropy method, ch6 DQN) and Morales's
Grokking Deep RL (ch8-10: DQN, DDQN, dueling, PER; ch11: REINFORCE, VPG, A3C's shared
optimizers, GAE), scaled down, run on ember and on torch 2.13 from the same NumPy weights
and the same batches (CartPole-v1 where an environment is stepped), compared live.

Losses and weights after several updates are compared to rtol 1e-5: a head with one or two
outputs (Linear(16, 2), Linear(32, 1)) is a product MKL sums in another order than NumPy's
OpenBLAS, and log_softmax / Categorical.log_prob use Sleef's exp in PyTorch (README, known
gaps), so those values differ in the last float32 bit and the steps carry it along. Shapes,
dtypes, reprs, chosen actions and errors are compared exactly."""

import numpy as np
from s14_grokkingrl_progs import (batch, discounted, fc_policy, fcq, init, params, polyak,
                                  shared_optimizers)
from torch_compare import run_both as _run_both

RTOL, ATOL = 1e-5, 1e-6


def _close(got, want):
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=RTOL, atol=ATOL)


def run_both(fn):
    """torch_compare.run_both, for programs that must run through (not raise) on torch."""
    want, got = _run_both(fn)
    assert not (isinstance(want, tuple) and len(want) == 2 and isinstance(want[0], str)), want
    return want, got


def _np(ts):
    return [t.detach().numpy().copy() for t in ts]


# ---- Lapan ch4: the cross-entropy method on CartPole ---------------------------------------

def _cem(L):
    import gymnasium as gym
    nn = L.nn
    net = init(nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)), 0)
    objective = nn.CrossEntropyLoss()
    optimizer = L.optim.Adam(params=net.parameters(), lr=0.01)
    sm = nn.Softmax(dim=1)
    env, rng = gym.make("CartPole-v1"), np.random.default_rng(0)
    out, losses = [repr(net), repr(sm), repr(objective)], []
    for it in range(3):
        episodes = []
        for ep in range(6):
            obs, _ = env.reset(seed=10 * it + ep)
            steps, total = [], 0.0
            while True:
                act_probs = sm(net(L.FloatTensor(np.array([obs])))).data.numpy()[0]
                action = int(rng.random() < act_probs[1])  # (robust to a last-bit difference)
                obs2, reward, term, trunc, _ = env.step(action)
                total += reward
                steps.append((obs, action))
                if term or trunc or len(steps) >= 40:
                    break
                obs = obs2
            episodes.append((total, steps))
        bound = np.percentile([e[0] for e in episodes], 70)
        train_obs = [o for r, st in episodes if r >= bound for o, _ in st]
        train_act = [a for r, st in episodes if r >= bound for _, a in st]
        obs_v, act_v = L.FloatTensor(np.array(train_obs)), L.LongTensor(train_act)
        optimizer.zero_grad()
        loss_v = objective(net(obs_v), act_v)
        loss_v.backward()
        optimizer.step()
        losses.append(loss_v.item())
        out.append("%d: reward_bound=%.1f, n=%d" % (it, bound, len(train_act)))
    out += [obs_v.type(), act_v.type(), loss_v.grad_fn.name()]
    return out, losses, _np(net.parameters())


def test_lapan_cross_entropy_method():
    want, got = run_both(_cem)
    assert got[0] == want[0]
    _close(got[1], want[1])
    _close(got[2], want[2])


# ---- Lapan ch6: DQN's calc_loss (BoolTensor done mask, in-place zeroing, target sync) ------

def _lapan_dqn(L):
    nn = L.nn
    net = init(nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2)), 1)
    tgt_net = init(nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2)), 2)
    optimizer = L.optim.Adam(net.parameters(), lr=1e-3)
    losses = []
    for step in range(6):
        s, a, r, s2, d = batch(step)
        states_v = L.tensor(np.array(s, copy=False))
        next_states_v = L.tensor(np.array(s2, copy=False))
        actions_v = L.tensor(a[:, 0])
        rewards_v = L.tensor(r[:, 0].astype(np.float32))
        done_mask = L.BoolTensor(d[:, 0].astype(np.uint8))
        q = net(states_v).gather(1, actions_v.unsqueeze(-1)).squeeze(-1)
        with L.no_grad():
            next_state_values = tgt_net(next_states_v).max(1)[0]
            next_state_values[done_mask] = 0.0
            next_state_values = next_state_values.detach()
        expected = next_state_values * 0.99 + rewards_v
        loss_t = nn.MSELoss()(q, expected)
        optimizer.zero_grad()
        loss_t.backward()
        optimizer.step()
        losses.append(loss_t.item())
        if step % 3 == 2:
            tgt_net.load_state_dict(net.state_dict())
    info = [repr(done_mask[:6]), done_mask.type(), str(expected.dtype), loss_t.grad_fn.name(),
            next_state_values.requires_grad, int(net(states_v[:1]).max(1)[1].item())]
    return info, losses, _np(tgt_net.parameters())


def test_lapan_dqn_calc_loss():
    want, got = run_both(_lapan_dqn)
    assert got[0] == want[0]
    _close(got[1], want[1])
    _close(got[2], want[2])


# ---- GDRL ch8-9: DQN, DDQN, dueling DDQN with Polyak averaging, PER ------------------------

def _gdrl_value(L, variant):
    dueling = variant == "dueling"
    online, target = init(fcq(L, dueling=dueling), 3), init(fcq(L, dueling=dueling), 4)
    opt = L.optim.RMSprop(online.parameters(), lr=0.0007)
    losses, norms = [], []
    for step in range(6):
        states, actions, rewards, next_states, is_terminals = online.load(batch(10 + step))
        if variant == "dqn":
            max_a_q_sp = target(next_states).detach().max(1)[0].unsqueeze(1)
        else:
            argmax_a_q_sp = online(next_states).max(1)[1]
            q_sp = target(next_states).detach()
            max_a_q_sp = q_sp[np.arange(len(is_terminals)), argmax_a_q_sp].unsqueeze(1)
        target_q_sa = rewards + (0.99 * max_a_q_sp * (1 - is_terminals))
        q_sa = online(states).gather(1, actions)
        td_error = q_sa - target_q_sa
        value_loss = td_error.pow(2).mul(0.5).mean()
        opt.zero_grad()
        value_loss.backward()
        norms.append(L.nn.utils.clip_grad_norm_(online.parameters(),
                                                float("inf") if step % 2 else 1.0).item())
        opt.step()
        losses.append(value_loss.item())
        polyak(target, online, 0.1)
    q_values = online(np.array([0.01, -0.02, 0.03, 0.04])).cpu().detach().data.numpy().squeeze()
    info = [repr(online), [str(t.dtype) for t in (states, actions, rewards, is_terminals)],
            tuple(td_error.shape), td_error.grad_fn.name(), q_values.shape, q_values.dtype.name,
            int(np.argmax(q_values))]
    return info, losses, norms, _np(target.parameters())


def test_gdrl_dqn_ddqn_dueling_polyak():
    for variant in ("dqn", "ddqn", "dueling"):
        want, got = run_both(lambda L: _gdrl_value(L, variant))
        assert got[0] == want[0]
        for g, w in zip(got[1:], want[1:]):
            _close(g, w)


def _per_step(L):
    online, target = init(fcq(L, dueling=True), 5), init(fcq(L, dueling=True), 6)
    opt = L.optim.RMSprop(online.parameters(), lr=0.0007)
    rng = np.random.default_rng(0)
    priorities = np.ones(64)
    memory = [batch(100 + i, n=1) for i in range(64)]
    out = []
    for step in range(4):
        probs = priorities ** 0.6 / np.sum(priorities ** 0.6)
        weights = (64 * probs) ** -0.4
        idxs = rng.choice(64, 16, replace=False, p=probs)
        samples = [np.vstack([memory[i][k] for i in idxs]) for k in range(5)]
        weights = online.numpy_float_to_device(np.vstack((weights / weights.max())[idxs]))
        states, actions, rewards, next_states, is_terminals = online.load(samples)
        argmax_a_q_sp = online(next_states).max(1)[1]
        q_sp = target(next_states).detach()
        max_a_q_sp = q_sp[np.arange(16), argmax_a_q_sp].unsqueeze(1)
        td_error = online(states).gather(1, actions) - (rewards + 0.99 * max_a_q_sp * (
            1 - is_terminals))
        value_loss = (weights * td_error).pow(2).mul(0.5).mean()
        opt.zero_grad()
        value_loss.backward()
        opt.step()
        priorities[idxs] = np.abs(td_error.detach().cpu().numpy())[:, 0]
        out.append(value_loss.item())
    return (str(weights.dtype), tuple(weights.shape)), out, priorities.copy()


def test_gdrl_prioritized_replay_weights():
    want, got = run_both(_per_step)
    assert got[0] == want[0]
    _close(got[1], want[1])
    _close(got[2], want[2])


# ---- GDRL ch11: REINFORCE and VPG on CartPole ----------------------------------------------

def _episode(L, env, policy, value, seed, max_t):
    logpas, rewards, entropies, values, explore = [], [], [], [], []
    state, _ = env.reset(seed=seed)
    for _ in range(max_t):
        action, is_exploratory, logpa, entropy = policy.full_pass(state)
        state2, reward, term, trunc, _ = env.step(action)
        logpas.append(logpa), rewards.append(reward), entropies.append(entropy)
        explore.append(is_exploratory)
        if value is not None:
            values.append(value(state))
        state = state2
        if term or trunc:
            break
    if value is not None:
        rewards.append(0.0 if term else value(state).detach().item())
    return L.cat(logpas), rewards, L.cat(entropies), values, explore


def _pg(L, vpg):
    import gymnasium as gym
    L.manual_seed(11)  # Categorical.sample: PyTorch's stream in both
    env = gym.make("CartPole-v1")
    policy = init(fc_policy(L), 7)
    value = init(fc_policy(L, value=True), 8) if vpg else None
    popt = L.optim.Adam(policy.parameters(), lr=0.0005)
    vopt = L.optim.RMSprop(value.parameters(), lr=0.0007) if vpg else None
    losses, explored = [], []
    for ep in range(3):
        logpas, rewards, entropies, values, explore = _episode(L, env, policy, value, ep, 15)
        discounts, returns = discounted(rewards, 0.99)
        explored.append(explore)
        if not vpg:
            discounts = L.FloatTensor(discounts).unsqueeze(1)
            returns = L.FloatTensor(returns).unsqueeze(1)
            loss = -(discounts * returns * logpas).mean()
        else:
            discounts = L.FloatTensor(discounts[:-1]).unsqueeze(1)
            returns = L.FloatTensor(returns[:-1]).unsqueeze(1)
            value_error = returns - L.cat(values)
            loss = -(discounts * value_error.detach() * logpas).mean() - 0.001 * entropies.mean()
        popt.zero_grad()
        loss.backward()
        L.nn.utils.clip_grad_norm_(policy.parameters(), 1)
        popt.step()
        losses.append(loss.item())
        if vpg:
            value_loss = value_error.pow(2).mul(0.5).mean()
            vopt.zero_grad()
            value_loss.backward()
            vopt.step()
            losses.append(value_loss.item())
    info = [explored, tuple(logpas.shape), tuple(entropies.shape), str(discounts.dtype)]
    return info, losses, _np(params(policy, *([value] if vpg else [])))


def test_gdrl_reinforce_and_vpg():
    for vpg in (False, True):
        want, got = run_both(lambda L: _pg(L, vpg))
        assert got[0] == want[0]
        _close(got[1], want[1])
        _close(got[2], want[2])


# ---- GDRL ch11: A3C's shared optimizers and GAE's worker update ----------------------------

def _shared(L, which, step_tensor=True, **kw):
    SharedAdam, SharedRMSprop = shared_optimizers(L, step_tensor)
    m = init(L.nn.Linear(3, 2), 9)
    opt = (SharedAdam if which == "adam" else SharedRMSprop)(m.parameters(), lr=0.01, **kw)
    x = L.from_numpy(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32))
    for _ in range(3):
        opt.zero_grad()
        m(x).pow(2).sum().backward()
        opt.step()
    st = opt.state[m.weight]
    return (sorted(st), repr(st["shared_step"]), repr(st["step"]), st["steps"],
            st["exp_avg" if which == "adam" else "square_avg"].is_shared(), _np(m.parameters()))


def test_gdrl_shared_adam_rmsprop():
    for which, kw in [("adam", {}), ("adam", {"amsgrad": True, "weight_decay": 0.1}),
                      ("rms", {}), ("rms", {"momentum": 0.9, "centered": True})]:
        want, got = run_both(lambda L: _shared(L, which, **kw))
        assert got[:5] == want[:5]
        _close(got[5], want[5])


def test_gdrl_shared_adam_with_an_int_step_fails_as_in_pytorch_2():
    """The book's SharedAdam/SharedRMSprop set state['step'] = 0, which PyTorch 2.x's step()
    refuses (its steps are tensors now); a loaded int step becomes a tensor, as PyTorch's."""
    from torch_compare import same_error_case

    for which in ("adam", "rms"):
        same_error_case(lambda L: _shared(L, which, step_tensor=False))

    def loaded(L):
        p = L.nn.Parameter(L.ones(2))
        opt = L.optim.Adam([p], lr=0.1)
        p.grad = L.ones(2)
        opt.step()
        sd = opt.state_dict()
        sd["state"][0]["step"] = 3
        opt.load_state_dict(sd)
        before = repr(opt.state[p]["step"])
        opt.step()
        return [before, repr(opt.state[p]["step"])]
    want, got = run_both(loaded)
    assert got == want


def _gae_worker(L):
    import gymnasium as gym
    L.manual_seed(5)
    SharedAdam, _ = shared_optimizers(L)
    shared = init(fc_policy(L), 12).share_memory()
    local = fc_policy(L)
    local.load_state_dict(shared.state_dict())
    local_value = init(fc_policy(L, value=True), 13)
    popt = SharedAdam(shared.parameters(), lr=0.0005)
    env, gamma, tau = gym.make("CartPole-v1"), 0.99, 0.95
    out = []
    for upd in range(2):
        logpas, rewards, entropies, values, _ = _episode(L, env, local, local_value, upd, 8)
        values = L.cat(values + [L.FloatTensor([[rewards[-1]]])])
        rewards = np.array(rewards)
        T = len(rewards)
        np_values = values.view(-1).data.numpy()
        tau_discounts = np.logspace(0, T - 1, num=T - 1, base=gamma * tau, endpoint=False)
        advs = rewards[:-1] + gamma * np_values[1:] - np_values[:-1]
        gaes = np.array([np.sum(tau_discounts[:T - 1 - t] * advs[t:]) for t in range(T - 1)])
        discounts = L.FloatTensor(discounted(rewards, gamma)[0][:-1]).unsqueeze(1)
        gaes = L.FloatTensor(gaes).unsqueeze(1)
        loss = -(discounts * gaes.detach() * logpas).mean() - 0.001 * entropies.mean()
        popt.zero_grad()
        loss.backward()
        for param, shared_param in zip(local.parameters(), shared.parameters()):
            if shared_param.grad is None:
                shared_param._grad = param.grad
        popt.step()
        local.load_state_dict(shared.state_dict())
        out.append(loss.item())
    same = shared.input_layer.weight.grad is local.input_layer.weight.grad
    return same, out, _np(shared.parameters())


def test_gdrl_a3c_gae_worker_hands_gradients_to_shared_model():
    want, got = run_both(_gae_worker)
    assert got[0] == want[0]
    _close(got[1], want[1])
    _close(got[2], want[2])
