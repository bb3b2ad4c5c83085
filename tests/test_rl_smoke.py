"""Smoke tests: small reinforcement-learning runs on ember must actually learn.

They use only the API the examples in examples/rl rely on (nn.Linear, Categorical,
Adam, no_grad, ...), so a failure here points at an ember gap the RL examples would hit.
"""
import sys
from pathlib import Path

import numpy as np

import ember as torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "rl"))

ARM_MEANS = np.array([0.2, 0.5, 0.8])  # Bernoulli arms; arm 2 is best


def test_reinforce_bandit_finds_best_arm():
    """REINFORCE with a mean-reward baseline on a 3-armed Bernoulli bandit."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    policy = torch.nn.Linear(1, 3)
    opt = torch.optim.Adam(policy.parameters(), lr=0.1)
    ones = torch.ones(64, 1)
    for _ in range(60):
        dist = torch.distributions.Categorical(logits=policy(ones))
        arms = dist.sample()
        assert tuple(arms.shape) == (64,)
        pulled = np.asarray([int(a) for a in arms.tolist()])
        rewards = (rng.random(64) < ARM_MEANS[pulled]).astype(np.float32)
        adv = torch.from_numpy(rewards - rewards.mean())
        loss = -(dist.log_prob(arms) * adv).mean() - 0.01 * dist.entropy().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        probs = torch.nn.functional.softmax(policy(torch.ones(1, 1)), dim=-1)
    assert probs.argmax().item() == 2
    assert probs[0, 2].item() > 0.9


def test_reinforce_cartpole_improves():
    """The example REINFORCE agent on ember: 15k CartPole steps lift returns well above
    random play (about 22 per episode)."""
    import reinforce

    res = reinforce.train(["--backend", "ember", "--seed", "1", "--max-steps", "15000",
                           "--quiet", "--no-plot"])
    rets = res["returns"]
    first, last = np.mean(rets[:25]), np.mean(rets[-25:])
    assert last > 60 and last > 2 * first, (first, last)
