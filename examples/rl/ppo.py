"""PPO (clipped surrogate objective) on CartPole-v1.

Several environments step in lockstep; each rollout gets GAE advantages and is then used
for several epochs of shuffled minibatch updates of the clipped objective plus value loss.

Budget: solves (mean return of the last 100 episodes >= 475) from the default seed within
BUDGET environment steps, stated below and in README.md.

    python examples/rl/ppo.py [--backend {ember,torch}] [--seed N] [--max-steps N]
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from common import CartPoles, EpisodeLog, parse_args, report, setup
from onpolicy import actor_critic, collect, policy_loss_terms

SEED = 1
BUDGET = 150_000
HPARAMS = {
    "hidden": 64,
    "n_envs": 8,
    "n_steps": 64,
    "epochs": 10,
    "minibatches": 4,
    "lr": 1e-3,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "clip": 0.2,
    "ent_coef": 0.0,
    "vf_coef": 0.5,
    "max_grad_norm": 0.5,
}


def minibatch_step(torch, actor, critic, opt, params: list, batch: tuple, hp: dict) -> None:
    """One gradient step of the clipped surrogate + value loss - entropy bonus."""
    F = torch.nn.functional
    obs, acts, old_logp, adv, ret = batch
    adv = torch.from_numpy((adv - adv.mean()) / (adv.std() + 1e-8))
    logp, ent = policy_loss_terms(torch, actor, obs, acts)
    ratio = (logp - torch.from_numpy(old_logp)).exp()
    clipped = ratio.clamp(1.0 - hp["clip"], 1.0 + hp["clip"])
    pg_loss = -torch.min(ratio * adv, clipped * adv).mean()
    v_loss = F.mse_loss(critic(torch.from_numpy(obs)), torch.from_numpy(ret))
    loss = pg_loss + hp["vf_coef"] * v_loss - hp["ent_coef"] * ent.mean()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, hp["max_grad_norm"])
    opt.step()


def update(torch, actor, critic, opt, params: list, roll, rng, hp: dict) -> None:
    """`epochs` passes over the rollout in `minibatches` shuffled minibatches each."""
    data = roll.flat()
    n = len(data[1])
    size = n // hp["minibatches"]
    for _ in range(hp["epochs"]):
        order = rng.permutation(n)
        for start in range(0, size * hp["minibatches"], size):
            idx = order[start:start + size]
            batch = tuple(np.ascontiguousarray(x[idx]) for x in data)
            minibatch_step(torch, actor, critic, opt, params, batch, hp)


def train(argv: Sequence[str] | None = None) -> dict:
    """Train until solved or out of budget; returns the run's summary dict."""
    args = parse_args(__doc__, SEED, BUDGET, HPARAMS, argv)
    torch, rng = setup(args)
    hp = args.hp
    actor, critic = actor_critic(torch, hp["hidden"], rng)
    params = list(actor.parameters()) + list(critic.parameters())
    opt = torch.optim.Adam(params, lr=hp["lr"], eps=1e-5)
    env = CartPoles(hp["n_envs"], args.seed)
    log = EpisodeLog("ppo", args)
    while log.steps < args.max_steps:
        roll = collect(torch, actor, critic, env, hp["n_steps"], rng, log, hp)
        if roll is None:
            break
        update(torch, actor, critic, opt, params, roll, rng, hp)
    return log.result()


if __name__ == "__main__":
    report(train())
