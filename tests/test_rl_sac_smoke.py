"""Smoke tests for the SAC example (examples/rl/sac.py) on ember, checked against PyTorch.

Tiny networks and a few hundred Pendulum steps: the losses stay finite, alpha moves, the
target networks follow by Polyak averaging in place, the squashed-Gaussian log-probability
matches its formula, and one update gives torch's losses and gradients.
"""
import math
import sys
from pathlib import Path

import numpy as np
import torch as real_torch

import ember

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "rl"))

import sac  # noqa: E402

TINY = dict(sac.HPARAMS, hidden=16, batch=32, learning_starts=100)


def _arrays(params):
    return [p.detach().numpy().copy() for p in params]


def _grads(params):
    return [p.grad.numpy().copy() for p in params]


def test_log_prob_matches_formula_and_torch_tanh_transform():
    """log pi(a) = log N(u; mean, std) - log(2 (1 - tanh(u)^2)), a = 2 tanh(u), in float64
    by hand and with torch's TransformedDistribution(Normal, [Tanh, Affine(0, 2)])."""
    rng = np.random.default_rng(0)
    agent = sac.Agent(ember, TINY, rng)
    obs = rng.standard_normal((64, 3)).astype(np.float32) * 3
    eps = rng.standard_normal((64, 1)).astype(np.float32)
    action, logp = sac.policy_sample(ember, agent.actor, ember.from_numpy(obs),
                                     ember.from_numpy(eps))
    out = agent.actor(ember.from_numpy(obs)).detach().numpy().astype(np.float64)
    mean, raw = out[:, :1], out[:, 1:]
    log_std = sac.LOG_STD_MIN + 0.5 * (sac.LOG_STD_MAX - sac.LOG_STD_MIN) * (np.tanh(raw) + 1)
    std = np.exp(log_std)
    u = mean + std * eps
    hand = (-0.5 * eps.astype(np.float64) ** 2 - log_std - 0.5 * math.log(2 * math.pi)
            - np.log(2.0 * (1.0 - np.tanh(u) ** 2)))
    np.testing.assert_allclose(action.detach().numpy(), 2 * np.tanh(u), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logp.detach().numpy(), hand, rtol=1e-4, atol=1e-4)
    D = real_torch.distributions
    dist = D.TransformedDistribution(
        D.Normal(real_torch.from_numpy(mean), real_torch.from_numpy(std)),
        [D.transforms.TanhTransform(), D.transforms.AffineTransform(0.0, 2.0)])
    ok = np.abs(u[:, 0]) < 4  # atanh of a float64 tanh near +-1 loses digits; keep away
    assert ok.sum() > 40
    ref = dist.log_prob(real_torch.from_numpy(2 * np.tanh(u))).numpy()
    np.testing.assert_allclose(logp.detach().numpy()[ok], ref[ok], rtol=1e-4, atol=1e-4)


def _one_update(lib, seed: int = 3) -> tuple:
    rng = np.random.default_rng(seed)
    agent = sac.Agent(lib, TINY, rng)
    n = TINY["batch"]
    batch = (rng.standard_normal((n, 3)).astype(np.float32),
             rng.uniform(-2, 2, (n, 1)).astype(np.float32),
             -rng.uniform(0, 16, (n, 1)).astype(np.float32),
             rng.standard_normal((n, 3)).astype(np.float32),
             np.zeros((n, 1), np.float32))
    eps = rng.standard_normal((2, n, 1)).astype(np.float32)
    with lib.no_grad():
        _, logp = sac.policy_sample(lib, agent.actor, lib.from_numpy(batch[0]),
                                    lib.from_numpy(eps[1]))
    stats = sac.update(lib, agent, batch, eps, TINY)
    # d alpha_loss / d log_alpha = -(E[log pi] + target entropy), target entropy = -1
    np.testing.assert_allclose(agent.log_alpha.grad.numpy(), [1.0 - logp.mean().item()],
                               rtol=1e-5)
    params = list(agent.actor.parameters()) + agent.q_params + [agent.log_alpha]
    return stats, _grads(params)


def test_one_update_matches_torch():
    """Same weights, batch and noise: ember's losses and gradients (actor, Q from the actor
    loss, log_alpha) equal real PyTorch's; log_alpha's gradient is -(E[log pi] - 1)."""
    ours, our_grads = _one_update(ember)
    ref, ref_grads = _one_update(real_torch)
    for key in ("q_loss", "pi_loss", "alpha_loss", "alpha"):
        assert math.isclose(ours[key], ref[key], rel_tol=1e-5, abs_tol=1e-6), key
    assert len(our_grads) == len(ref_grads) == 6 + 12 + 1
    for g, r in zip(our_grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-6)


def test_polyak_is_in_place_lerp():
    """polyak() moves every target parameter by tau towards its online twin, in place."""
    agent = sac.Agent(ember, TINY, np.random.default_rng(1))
    with ember.no_grad():
        for p in agent.q_params:
            p.add_(ember.from_numpy(np.random.default_rng(2).standard_normal(
                tuple(p.shape)).astype(np.float32)))
    targets = [tp for tp, _ in agent.pairs]
    before, online = _arrays(targets), _arrays(p for _, p in agent.pairs)
    ids = [id(t) for t in targets]
    sac.polyak(ember, agent.pairs, 0.25)
    after = [tp for tp, _ in agent.pairs]
    assert [id(t) for t in after] == ids
    assert [id(t) for t in agent.targets[0].parameters()] == ids[:6]
    for t, b, o in zip(after, before, online):
        np.testing.assert_allclose(t.detach().numpy(), b + 0.25 * (o - b), rtol=1e-6,
                                   atol=1e-6)


def test_short_run_losses_finite_alpha_moves_targets_follow():
    """300 Pendulum steps (200 updates) with 16-wide networks."""
    rng = np.random.default_rng(0)
    ember.manual_seed(0)
    agent = sac.Agent(ember, TINY, rng)
    buf, env = sac.ReplayBuffer(1000), sac.Pendulum(0)
    start_targets = _arrays(tp for tp, _ in agent.pairs)
    alphas = []
    for step in range(300):
        obs = env.obs.astype(np.float32)
        action = sac.act(ember, agent, obs, step, rng, TINY)
        assert action.shape == (1,) and abs(float(action[0])) <= 2.0
        next_obs, rew, term, _ = env.step(action)
        buf.add(obs, action, rew, next_obs, term)
        if step + 1 >= TINY["learning_starts"]:
            eps = rng.standard_normal((2, TINY["batch"], 1)).astype(np.float32)
            stats = sac.update(ember, agent, buf.sample(TINY["batch"], rng), eps, TINY)
            assert all(math.isfinite(v) for v in stats.values()), stats
            alphas.append(stats["alpha"])
    assert len(alphas) == 201
    assert abs(alphas[-1] - 1.0) > 0.05  # 200 Adam steps at lr 1e-3 move log_alpha ~0.2
    for (tp, p), t0 in zip(agent.pairs, start_targets):
        t, o = tp.detach().numpy(), p.detach().numpy()
        assert not np.allclose(t, t0) and not np.allclose(t, o)  # moved, but lags behind


def test_train_summary():
    """train() on a tiny budget: the summary dict the runner and README use."""
    res = sac.train(["--max-steps", "400", "--quiet", "--no-plot", "--set", "hidden=16",
                     "--set", "batch=32", "--set", "learning_starts=300"])
    assert res["algo"] == "sac" and res["env"] == "Pendulum-v1"
    assert res["env_steps"] == 400 and res["episodes"] == 2 and res["solved"] is False
    assert res["mean10"] == round(float(np.mean(res["returns"])), 1) < -200
