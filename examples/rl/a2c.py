"""A2C (synchronous advantage actor-critic) on CartPole-v1.

Several environments step in lockstep; every `n_steps` steps one gradient step on the
whole rollout with GAE advantages, a value-loss term and an entropy bonus. The learning
rate falls linearly to 0 at --max-steps: without that, A2C often collapses after reaching
500 and never holds it for 100 episodes.

Budget: solves (mean return of the last 100 episodes >= 475) from the default seed within
BUDGET environment steps, stated below and in README.md.

    python examples/rl/a2c.py [--backend {ember,torch}] [--seed N] [--max-steps N]
"""
from __future__ import annotations

from typing import Sequence

from common import CartPoles, EpisodeLog, parse_args, report, setup
from onpolicy import actor_critic, collect, policy_loss_terms

SEED = 1
BUDGET = 500_000
HPARAMS = {
    "hidden": 64,
    "n_envs": 8,
    "n_steps": 8,
    "lr": 1e-3,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "ent_coef": 0.0,
    "vf_coef": 0.5,
    "max_grad_norm": 0.5,
    "anneal": 1,  # 1: learning rate falls linearly to 0 at --max-steps
}


def update(torch, actor, critic, opt, params: list, roll, hp: dict) -> None:
    """One gradient step on the whole rollout."""
    F = torch.nn.functional
    obs, acts, _, adv, ret = roll.flat()
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    logp, ent = policy_loss_terms(torch, actor, obs, acts)
    pg_loss = -(logp * torch.from_numpy(adv)).mean()
    v_loss = F.mse_loss(critic(torch.from_numpy(obs)), torch.from_numpy(ret))
    loss = pg_loss + hp["vf_coef"] * v_loss - hp["ent_coef"] * ent.mean()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, hp["max_grad_norm"])
    opt.step()


def train(argv: Sequence[str] | None = None) -> dict:
    """Train until solved or out of budget; returns the run's summary dict."""
    args = parse_args(__doc__, SEED, BUDGET, HPARAMS, argv)
    torch, rng = setup(args)
    hp = args.hp
    actor, critic = actor_critic(torch, hp["hidden"], rng)
    params = list(actor.parameters()) + list(critic.parameters())
    opt = torch.optim.Adam(params, lr=hp["lr"])
    env = CartPoles(hp["n_envs"], args.seed)
    log = EpisodeLog("a2c", args)
    while log.steps < args.max_steps:
        roll = collect(torch, actor, critic, env, hp["n_steps"], rng, log, hp)
        if roll is None:
            break
        if hp["anneal"]:
            opt.param_groups[0]["lr"] = hp["lr"] * (1.0 - log.steps / args.max_steps)
        update(torch, actor, critic, opt, params, roll, hp)
    return log.result()


if __name__ == "__main__":
    report(train())
