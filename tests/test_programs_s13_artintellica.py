"""Session 13, the Artintellica "Learn Reinforcement Learning with PyTorch" series past its
seed pages: tensors and linear algebra (Part 1), gradient descent and autograd (Part 2),
classifiers and MLPs (Part 3), bandits, MDPs and tabular RL (Part 4), DQN and policy
gradients (Part 5), each written as the series does and compared live with torch 2.13."""

import random

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch_compare import error_of, run_both

import ember


def shown(values):
    """What the series prints: tensors at PyTorch's default precision, numbers as given."""
    return [str(v) if isinstance(v, (torch.Tensor, ember.Tensor)) else v for v in values]


def _bits(t):
    return np.array(t.detach().numpy(), copy=True)


# ---- add/sub with alpha: PyTorch's CPU kernel is a fused multiply-add --------------------
# Updates by hand (p.add(v, alpha=-lr)) round a + alpha*b once in PyTorch; rounding alpha*b
# first moved ~1 entry in 30 by an ulp, and the trajectories drifted apart.

def _alpha_cases(L, dt):
    g = np.random.default_rng(3)
    a = L.from_numpy(g.standard_normal(1000).astype(dt))
    b = L.from_numpy(g.standard_normal(1000).astype(dt))
    m = L.from_numpy(g.standard_normal((20, 45)).astype(dt))
    c = L.from_numpy(g.standard_normal((2, 3, 45)).astype(dt))
    out = []
    for al in (-0.001, 0.013, 3, 0.7):
        out += [L.add(a, b, alpha=al), L.sub(a, b, alpha=al), a.add(b[:1], alpha=al),
                L.add(m.t(), m.t() * 2, alpha=al), L.add(a[::3], b[:334], alpha=al),
                L.add(m, b[:45], alpha=al), L.rsub(a, 0.3, alpha=al), L.add(a[0], a[:30], alpha=al)]
        # a one-element other is read as a number: fused blocks, plain tails of runs
        for x in (a, a[:37], a[:5], a[:1], a[0], m, m.t(), m[:, :40], m[:, 0], a[::2],
                  c[:, :2, :], c[:, :, :40], c.permute(2, 0, 1)):
            out += [L.add(x, 0.37, alpha=al), L.sub(x, 1.7, alpha=al),
                    L.add(x, L.tensor(0.1), alpha=al)]
    return [(str(r.dtype), tuple(r.shape), _bits(r)) for r in out]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_add_and_sub_with_alpha_round_once_as_pytorch(dt):
    want, got = run_both(lambda L: _alpha_cases(L, dt))
    assert len(got) == len(want)
    for (gd, gs, g), (wd, ws, w) in zip(got, want):
        assert (gd, gs) == (wd, ws)
        np.testing.assert_array_equal(g, w)


def test_add_alpha_keeps_integer_bool_half_results_and_gradients():
    def run(L):
        i = L.tensor([1, 2, 3])
        h = L.tensor([0.1, 0.2, 0.3], dtype=L.float16)
        x = L.tensor([0.5, -1.25, 2.0], requires_grad=True)
        y = L.tensor([0.1, 0.2, 0.3], requires_grad=True)
        z = L.add(x, y, alpha=-0.1) * L.tensor([1.0, 2.0, 3.0])
        z.sum().backward()
        return [L.add(i, i, alpha=3).tolist(), str(L.add(i, i, alpha=3).dtype),
                L.add(h, h, alpha=0.5).tolist(), L.sub(i, 2, alpha=2).tolist(),
                L.add(L.tensor([True]), L.tensor([True]), alpha=True).tolist(),
                x.grad.tolist(), y.grad.tolist(), z.grad_fn.name()]
    want, got = run_both(run)
    assert got == want


def test_momentum_by_hand_with_add_alpha_matches_bitwise():
    def run(L):
        p = L.tensor([-1.5, 2.0], requires_grad=True)
        v = L.zeros(2)
        trace = []
        for _ in range(120):
            loss = (1 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2
            g, = L.autograd.grad(loss, p)
            v = v.mul(0.9).add(g)
            p = p.detach().add(v, alpha=-0.001).requires_grad_()
            trace.append(p.tolist() + [loss.item()])
        return trace
    want, got = run_both(run)
    assert got == want


# ---- torch.linalg.eig / eigvals: complex results ember cannot hold -----------------------

@pytest.mark.parametrize("name, hint", [
    ("eig", "torch.linalg.eigh(A)"), ("eigvals", "torch.linalg.eigvalsh(A)")])
def test_eig_refuses_with_the_reason_and_the_real_alternative(name, hint):
    A = [[2.0, 1.0], [1.0, 3.0]]
    res = getattr(torch.linalg, name)(torch.tensor(A))
    res = res if isinstance(res, torch.Tensor) else res[0]
    assert res.dtype == torch.complex64  # complex even for real eigenvalues
    kind, msg = error_of(lambda: getattr(ember.linalg, name)(ember.tensor(A)))
    assert kind == "AttributeError"
    assert f"torch.linalg.{name}" in msg and "complex" in msg and hint in msg
    with pytest.raises(AttributeError, match="ember has no complex dtype"):
        getattr(ember.linalg, name)


def test_eigh_is_the_symmetric_replacement_and_matches():
    def run(L):
        L.manual_seed(42)
        A = L.tensor([[2.0, 1.0], [1.0, 3.0]])
        w, V = L.linalg.eigh(A)
        X = L.randn(100, 2) @ L.tensor([[2.0, 0.0], [1.2, 0.5]])
        Xc = X - X.mean(0)
        C = Xc.T @ Xc / (X.shape[0] - 1)
        wc, Vc = L.linalg.eigh(C)
        v = L.randn(2)
        for _ in range(20):  # power iteration, which the post checks eigh against
            v = A @ v
            v = v / v.norm()
        # printed as the post prints them (LAPACK builds differ in float32's last bit)
        return shown([w, V, V @ L.diag(w) @ V.T, L.linalg.eigvalsh(A), C, L.cov(X.T), wc, Vc,
                      v, v @ A @ v])
    want, got = run_both(run)
    assert got == want


# ---- Part 1: vectors, matrices, norms, projections, linear systems ----------------------

def test_part1_norms_projections_and_solves_match():
    def run(L):
        L.manual_seed(42)
        v = L.tensor([3.0, 4.0])
        a, b = L.randn(5, 3), L.randn(5, 3)
        u, x = L.tensor([1.0, 2.0, 2.0]), L.tensor([3.0, 1.0, 0.0])
        proj = (L.dot(x, u) / L.dot(u, u)) * u
        A, rhs = L.tensor([[3.0, 1.0], [1.0, 2.0]]), L.tensor([9.0, 8.0])
        sol = L.linalg.solve(A, rhs)
        F = L.nn.functional
        out = [L.norm(v), L.norm(v, p=1), L.linalg.norm(v, ord=float("inf")), L.dist(a[0], b[0]),
               L.cdist(a, b), F.pairwise_distance(a, b), F.cosine_similarity(a, b, dim=1),
               F.normalize(a, dim=1), L.linalg.matrix_norm(a), proj, x - proj, sol, A @ sol,
               L.linalg.inv(A), L.linalg.det(A), L.outer(u, x), L.linalg.cross(u, x),
               L.linalg.matrix_power(A, 3), L.trace(A)]
        return shown(out)
    want, got = run_both(run)
    assert got == want


def test_part1_singular_and_mismatched_solve_errors_match():
    def singular(L):
        L.linalg.solve(L.zeros(2, 2), L.tensor([9.0, 8.0]))

    def mismatched(L):
        L.linalg.solve(L.tensor([[3.0, 1.0], [1.0, 2.0]]), L.ones(3))
    for case in (singular, mismatched):
        want, got = run_both(case)
        assert got == want


def test_part1_distributions_sampling_and_histograms_match():
    def run(L):
        D = L.distributions
        L.manual_seed(42)
        n = D.Normal(L.tensor(0.0), L.tensor(1.0))
        s = n.sample((1000,))
        c = D.Categorical(probs=L.tensor([0.1, 0.2, 0.3, 0.4]))
        cs = c.sample((2000,))
        bern = D.Bernoulli(probs=L.tensor(0.3)).sample((20,))
        mvn = D.MultivariateNormal(L.zeros(2), covariance_matrix=L.tensor([[1.0, 0.8], [0.8, 1.0]]))
        ms = mvn.sample((500,))
        x = L.randn(10000)
        hist, edges = L.histogram(x, bins=5)
        return shown([s.mean(), s.std(), n.log_prob(L.tensor([0.0, 1.0])),
                      L.bincount(cs, minlength=4), c.entropy(), bern, ms[:3],
                      mvn.log_prob(L.tensor([0.5, 0.5])), L.histc(x, bins=10, min=-3, max=3),
                      hist, edges,
                      L.multinomial(L.tensor([0.1, 0.2, 0.3, 0.4]), 10, replacement=True),
                      D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 2.0))])
    want, got = run_both(run)
    assert got == want


# ---- Part 2: loss surfaces, autograd.grad, Jacobians and Hessians ------------------------

def test_part2_loss_surface_on_meshgrid_matches():
    def run(L):
        L.manual_seed(42)
        X = L.rand(100, 1) * 10
        y = 2.5 * X + 1.0 + L.randn(100, 1) * 2
        ws, bs = L.linspace(-1, 5, 50), L.linspace(-5, 5, 50)
        W, B = L.meshgrid(ws, bs, indexing="ij")
        Lg = ((W.unsqueeze(-1) * X.view(1, 1, -1) + B.unsqueeze(-1) - y.view(1, 1, -1)) ** 2
              ).mean(-1)
        Wx, _ = L.meshgrid(ws, bs, indexing="xy")
        return [tuple(Lg.shape), f"{Lg.min().item():.4f}", Lg.argmin().item(), str(Wx[0, :3])]
    want, got = run_both(run)
    assert got == want


def test_part2_jacobians_hessians_and_higher_grads_match():
    def run(L):
        fa = L.autograd.functional

        def f(x):
            return L.stack([x[0] ** 2 * x[1], 5 * x[0] + L.sin(x[1]), x[2] * x[0]])

        def g(x):
            return (x ** 3).sum() + x[0] * x[1]
        p, q = L.tensor([1.0, 2.0, 3.0]), L.tensor([1.0, -1.0, 2.0])
        z = L.tensor(2.0, requires_grad=True)
        d1, = L.autograd.grad(z ** 4, z, create_graph=True)
        d2, = L.autograd.grad(d1, z, create_graph=True)
        d3, = L.autograd.grad(d2, z)
        out = [fa.jacobian(f, p), fa.hessian(g, q), fa.vjp(f, p, L.ones(3))[1],
               fa.jvp(f, p, L.ones(3))[1], fa.hvp(g, q, L.ones(3))[1], d1, d2, d3]
        return shown(out)
    want, got = run_both(run)
    assert got == want


# ---- Part 4: bandits, MDP tensors, value/policy iteration, tabular RL --------------------

def _bandit(L):
    L.manual_seed(42)
    k = 5
    means = L.randn(k)
    out = []
    for eps in (0.0, 0.1):
        Q, N = L.zeros(k), L.zeros(k)
        for _ in range(200):
            a = (L.randint(0, k, (1,)).item() if L.rand(1).item() < eps
                 else L.argmax(Q).item())
            r = L.normal(means[a], 1.0).item()
            N[a] += 1
            Q[a] += (r - Q[a]) / N[a]
        out.append((Q.tolist(), N.tolist()))  # bit for bit
    Q, N = L.zeros(k), L.zeros(k)
    for t in range(1, 201):  # UCB
        a = L.argmax(Q + 2.0 * L.sqrt(L.log(L.tensor(float(t))) / (N + 1e-5))).item()
        N[a] += 1
        Q[a] += ((means[a] + L.randn(())).item() - Q[a]) / N[a]
    out.append((Q.tolist(), N.tolist()))
    return out


def _mdp(L):
    P = L.zeros(3, 2, 3)
    P[0, 0], P[0, 1] = L.tensor([0.7, 0.3, 0.0]), L.tensor([0.0, 0.8, 0.2])
    P[1, 0], P[1, 1] = L.tensor([0.4, 0.6, 0.0]), L.tensor([0.0, 0.1, 0.9])
    P[2, 0], P[2, 1] = L.tensor([0.0, 0.0, 1.0]), L.tensor([0.5, 0.0, 0.5])
    R = L.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 5.0]])
    V = L.zeros(3)
    for _ in range(500):
        Vn = (R + 0.9 * L.einsum("sap,p->sa", P, V)).max(dim=1).values
        if L.max(L.abs(Vn - V)) < 1e-6:
            break
        V = Vn
    pi = L.full((3, 2), 0.5)
    V_pi = L.linalg.solve(L.eye(3) - 0.9 * (pi.unsqueeze(-1) * P).sum(1), (pi * R).sum(1))
    policy, seen = L.zeros(3, dtype=L.long), []
    while True:
        Pp, Rp = P[L.arange(3), policy], R[L.arange(3), policy]
        Vp = L.linalg.solve(L.eye(3) - 0.9 * Pp, Rp)
        new = (R + 0.9 * P @ Vp).argmax(1)
        seen.append(str(Vp))
        if L.equal(new, policy):
            break
        policy = new
    rewards = L.tensor([1.0, 0.0, -1.0, 2.0, 3.0])
    disc = 0.9 ** L.arange(5, dtype=L.float32)
    G = L.flip(L.cumsum(L.flip(rewards * disc, [0]), 0), [0]) / disc
    return [V.tolist(), str(V_pi), seen, policy.tolist(), G.tolist(),
            ((G - G.mean()) / (G.std() + 1e-8)).tolist()]


@pytest.mark.parametrize("prog", [_bandit, _mdp])
def test_part4_bandits_and_mdp_tensor_programs_match(prog):
    want, got = run_both(prog)
    assert got == want


def test_part4_q_learning_and_sarsa_on_gymnasium_match():
    def run(L):
        L.manual_seed(42)
        env = gym.make("FrozenLake-v1", is_slippery=False)
        Q = L.zeros(16, 4)
        for ep in range(60):
            s, _ = env.reset(seed=ep)
            done = False
            while not done:
                a = (L.randint(4, (1,)).item() if L.rand(1).item() < 0.2
                     else L.argmax(Q[s]).item())
                s2, r, term, trunc, _ = env.step(a)
                done = term or trunc
                Q[s, a] += 0.1 * (r + 0.99 * L.max(Q[s2]) * (not term) - Q[s, a])
                s = s2
        env = gym.make("CliffWalking-v1")
        Qs = L.zeros(48, 4)

        def pick(s):
            return int(L.randint(0, 4, ())) if L.rand(()) < 0.1 else int(Qs[s].argmax())
        for _ in range(20):
            s, _ = env.reset(seed=0)
            a = pick(s)
            for _ in range(100):
                s2, r, term, trunc, _ = env.step(a)
                a2 = pick(s2)
                Qs[s, a] = Qs[s, a] + 0.5 * (r + Qs[s2, a2] * (1 - int(term)) - Qs[s, a])
                s, a = s2, a2
                if term or trunc:
                    break
        return [_bits(Q), _bits(Qs)]
    want, got = run_both(run)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


# ---- Part 5: DQN with replay and a target network, REINFORCE, PPO's clipped loss ---------

def _dqn(L, kind):
    nn, F = L.nn, L.nn.functional
    L.manual_seed(0)
    rng = random.Random(0)

    def net():
        return nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
    q, tgt = net(), net()
    tgt.load_state_dict(q.state_dict())
    opt = L.optim.Adam(q.parameters(), lr=1e-3)
    g = np.random.default_rng(5)
    buf = [(g.uniform(-0.2, 0.2, 4).tolist(), int(g.integers(2)), 1.0,
            g.uniform(-0.2, 0.2, 4).tolist(), float(g.random() < 0.1)) for _ in range(200)]
    losses = []
    for step in range(30):
        s, a, r, s2, d = zip(*rng.sample(buf, 32))
        S, A = L.tensor(s, dtype=L.float32), L.tensor(a)
        R, S2, D = L.tensor(r), L.tensor(s2, dtype=L.float32), L.tensor(d)
        qsa = q(S).gather(1, A.unsqueeze(1)).squeeze(1)
        with L.no_grad():
            if kind == "double":
                q2 = tgt(S2).gather(1, q(S2).argmax(1, keepdim=True)).squeeze(1)
            else:
                q2 = tgt(S2).max(1)[0]
            y = R + 0.99 * q2 * (1 - D)
        loss = F.smooth_l1_loss(qsa, y) if kind == "double" else F.mse_loss(qsa, y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(q.parameters(), 10.0)
        opt.step()
        if step % 10 == 9:
            tgt.load_state_dict(q.state_dict())
        # 4 decimals: mse_loss's mean adds in NumPy's order (nn/_loss_ops.py), PyTorch's in
        # its cascade, and the sixth decimal can differ
        losses.append(f"{loss.item():.4f}")
    return losses, [str(p) for p in q.parameters()]


@pytest.mark.parametrize("kind", ["dqn", "double"])
def test_part5_dqn_updates_print_as_pytorch(kind):
    want, got = run_both(lambda L: _dqn(L, kind))
    assert got == want


def test_part5_ppo_clipped_objective_and_gae_match():
    def run(L):
        L.manual_seed(2)
        D = L.distributions
        actor = L.nn.Sequential(L.nn.Linear(4, 16), L.nn.Tanh(), L.nn.Linear(16, 2))
        S = L.from_numpy(np.random.default_rng(1).uniform(-0.2, 0.2, (64, 4)).astype(np.float32))
        with L.no_grad():
            dist = D.Categorical(logits=actor(S))
            A = dist.sample()
            old = dist.log_prob(A)
        rews = L.ones(64)
        vals = L.linspace(0.5, 1.5, 64)
        dones = (L.arange(64) % 20 == 19).float()
        adv, last = L.zeros(64), 0.0
        for t in reversed(range(64)):
            nv = 0.0 if t == 63 else vals[t + 1]
            delta = rews[t] + 0.99 * nv * (1 - dones[t]) - vals[t]
            last = delta + 0.99 * 0.95 * (1 - dones[t]) * last
            adv[t] = last
        with L.no_grad():
            actor[0].weight.mul_(1.1)
        dist = D.Categorical(logits=actor(S))
        ratio = (dist.log_prob(A) - old).exp()
        mb = (adv - adv.mean()) / (adv.std() + 1e-8)
        clipped = -L.min(ratio * mb, L.clamp(ratio, 0.8, 1.2) * mb).mean()
        loss = clipped - 0.01 * dist.entropy().mean()
        loss.backward()
        return [A.tolist(), adv.tolist()] + shown([ratio, loss]) + [_bits(actor[0].weight.grad)]
    want, got = run_both(run)
    assert got[:-1] == want[:-1]
    # the weight gradient sums 64 rows with cancellation in BLAS order (MKL against
    # OpenBLAS): float32 rounding of 64 terms, bounded relative to the largest entry
    np.testing.assert_allclose(got[-1], want[-1], rtol=0, atol=1e-5 * np.abs(want[-1]).max())
