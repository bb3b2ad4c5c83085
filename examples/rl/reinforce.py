"""REINFORCE (Monte-Carlo policy gradient) on CartPole-v1.

Budget: solves (mean return of the last 100 episodes >= 475) from the default seed within
BUDGET environment steps, stated below and in README.md.

    python examples/rl/reinforce.py [--backend {ember,torch}] [--seed N] [--max-steps N]
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from common import CartPoles, EpisodeLog, init_linear, mlp, parse_args, report, sample, setup

SEED = 1
BUDGET = 300_000
HPARAMS = {
    "hidden": 64,
    "lr": 2e-3,
    "gamma": 0.99,
    "episodes_per_update": 4,
    "ent_coef": 0.0,
}


def discounted(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Return-to-go G_t = r_t + gamma * G_{t+1} of one episode."""
    out = np.empty(len(rewards), np.float32)
    acc = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        acc = rewards[t] + gamma * acc
        out[t] = acc
    return out


def run_episode(torch, policy, env: CartPoles, rng) -> tuple[np.ndarray, ...]:
    """Play one episode with batch-1 forward passes; returns (obs, actions, rewards)."""
    F = torch.nn.functional
    obs, acts, rews = [], [], []
    done = False
    with torch.no_grad():
        while not done:
            o = env.obs.copy()
            probs = F.softmax(policy(torch.from_numpy(o)), dim=-1).numpy()
            a = sample(probs, rng)
            _, r, term, trunc, _ = env.step(a)
            obs.append(o[0])
            acts.append(a[0])
            rews.append(r[0])
            done = bool(term[0] or trunc[0])
    return np.array(obs), np.array(acts), np.array(rews, np.float32)


def update(torch, policy, opt, batch: list, hp: dict) -> None:
    """One gradient step on a batch of whole episodes with normalised returns."""
    obs = np.concatenate([b[0] for b in batch])
    acts = np.concatenate([b[1] for b in batch])
    ret = np.concatenate([discounted(b[2], hp["gamma"]) for b in batch])
    ret = (ret - ret.mean()) / (ret.std() + 1e-8)
    dist = torch.distributions.Categorical(logits=policy(torch.from_numpy(obs)))
    logp = dist.log_prob(torch.as_tensor(acts))
    loss = -(logp * torch.from_numpy(ret)).mean() - hp["ent_coef"] * dist.entropy().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def train(argv: Sequence[str] | None = None) -> dict:
    """Train until solved or out of budget; returns the run's summary dict."""
    args = parse_args(__doc__, SEED, BUDGET, HPARAMS, argv)
    torch, rng = setup(args)
    hp = args.hp
    policy = mlp(torch, [4, hp["hidden"], hp["hidden"], 2])
    init_linear(torch, policy, rng, [np.sqrt(2), np.sqrt(2), 0.01])
    opt = torch.optim.Adam(policy.parameters(), lr=hp["lr"])
    env = CartPoles(1, args.seed)
    log = EpisodeLog("reinforce", args)
    batch: list = []
    while log.steps < args.max_steps and not log.solved:
        episode = run_episode(torch, policy, env, rng)
        log.steps += len(episode[2])
        log.add([float(episode[2].sum())])
        batch.append(episode)
        if len(batch) == hp["episodes_per_update"]:
            update(torch, policy, opt, batch, hp)
            batch = []
    return log.result()


if __name__ == "__main__":
    report(train())
