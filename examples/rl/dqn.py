"""DQN on CartPole-v1: replay buffer, target network, linearly decaying epsilon-greedy.

Double-DQN targets (the online net picks the next action, the target net values it), a
Huber loss, and a learning rate annealed linearly to 0 at --max-steps, which keeps the
greedy policy from drifting away once it balances. The target network follows the online
one by Polyak averaging every `target_every` steps (`tau` < 1) or by a full copy (`tau` = 1).

Budget: solves (mean return of the last 100 episodes >= 475) from the default seed within
BUDGET environment steps, stated below and in README.md.

    python examples/rl/dqn.py [--backend {ember,torch}] [--seed N] [--max-steps N]
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from common import CartPoles, EpisodeLog, init_linear, mlp, parse_args, report, setup

SEED = 0
BUDGET = 250_000
HPARAMS = {
    "hidden": 128,
    "lr": 3e-4,
    "gamma": 0.98,
    "buffer": 100_000,
    "batch": 128,
    "learning_starts": 1_000,
    "train_every": 4,
    "gradient_steps": 1,
    "tau": 0.01,  # 1.0: hard copy every target_every steps
    "target_every": 4,
    "eps_start": 1.0,
    "eps_end": 0.01,
    "eps_decay_steps": 10_000,
    "max_grad_norm": 10.0,
    "double": 1,  # 1: Double DQN (online net picks a', target net values it)
    "anneal": 1,  # 1: learning rate falls linearly to 0 at --max-steps
}


class ReplayBuffer:
    """Fixed-size ring of transitions in preallocated NumPy arrays."""

    def __init__(self, size: int) -> None:
        self.obs = np.empty((size, 4), np.float32)
        self.next_obs = np.empty((size, 4), np.float32)
        self.acts = np.empty((size, 1), np.int64)
        self.rews = np.empty(size, np.float32)
        self.terms = np.empty(size, np.float32)
        self.size, self.pos, self.full = size, 0, False

    def add(self, obs, act, rew, next_obs, term) -> None:
        i = self.pos
        self.obs[i], self.acts[i, 0], self.rews[i] = obs, act, rew
        self.next_obs[i], self.terms[i] = next_obs, term
        self.pos = (i + 1) % self.size
        self.full = self.full or self.pos == 0

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        idx = rng.integers(0, self.size if self.full else self.pos, n)
        return (self.obs[idx], self.acts[idx], self.rews[idx], self.next_obs[idx],
                self.terms[idx])


def epsilon(step: int, hp: dict) -> float:
    frac = min(1.0, step / hp["eps_decay_steps"])
    return hp["eps_start"] + frac * (hp["eps_end"] - hp["eps_start"])


def train_step(torch, qnet, target, opt, params: list, batch: tuple, hp: dict) -> None:
    """One TD step: Huber loss between Q(s, a) and r + gamma * max_a' Q_target(s', a')."""
    F = torch.nn.functional
    obs, acts, rews, next_obs, terms = batch
    with torch.no_grad():
        next_t = torch.from_numpy(next_obs)
        if hp["double"]:
            best = qnet(next_t).argmax(1, keepdim=True)
            next_q = target(next_t).gather(1, best)[:, 0].numpy()
        else:
            next_q = target(next_t).max(1)[0].numpy()
    y = (rews + hp["gamma"] * (1.0 - terms) * next_q).astype(np.float32)
    q = qnet(torch.from_numpy(obs)).gather(1, torch.from_numpy(acts))
    loss = F.smooth_l1_loss(q, torch.from_numpy(y[:, None]))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, hp["max_grad_norm"])
    opt.step()


def update_target(torch, pairs: list, tau: float) -> None:
    """Move each (target, online) parameter pair: full copy or Polyak average."""
    with torch.no_grad():
        for tp, p in pairs:
            if tau >= 1.0:
                tp.data.copy_(p.data)
            else:
                tp.data.mul_(1.0 - tau).add_(tau * p.data)


def train(argv: Sequence[str] | None = None) -> dict:
    """Train until solved or out of budget; returns the run's summary dict."""
    args = parse_args(__doc__, SEED, BUDGET, HPARAMS, argv)
    torch, rng = setup(args)
    hp = args.hp
    sizes = [4, hp["hidden"], hp["hidden"], 2]
    qnet, target = mlp(torch, sizes, "ReLU"), mlp(torch, sizes, "ReLU")
    init_linear(torch, qnet, rng, [np.sqrt(2), np.sqrt(2), 1.0])
    target.load_state_dict(qnet.state_dict())
    params = list(qnet.parameters())  # listed once: walking the modules costs every step
    pairs = list(zip(target.parameters(), params))
    opt = torch.optim.Adam(params, lr=hp["lr"])
    buf = ReplayBuffer(hp["buffer"])
    env = CartPoles(1, args.seed)
    log = EpisodeLog("dqn", args)
    while log.steps < args.max_steps and not log.solved:
        obs = env.obs.copy()
        if rng.random() < epsilon(log.steps, hp):
            act = int(rng.integers(2))
        else:
            with torch.no_grad():
                act = qnet(torch.from_numpy(obs)).argmax().item()
        next_obs, rew, term, _, finished = env.step(np.array([act]))
        buf.add(obs[0], act, rew[0], next_obs[0], term[0])
        log.steps += 1
        log.add(finished)
        if log.steps < hp["learning_starts"]:
            continue
        if log.steps % hp["train_every"] == 0:
            if hp["anneal"]:
                opt.param_groups[0]["lr"] = hp["lr"] * (1.0 - log.steps / args.max_steps)
            for _ in range(hp["gradient_steps"]):
                batch = buf.sample(hp["batch"], rng)
                train_step(torch, qnet, target, opt, params, batch, hp)
        if log.steps % hp["target_every"] == 0:
            update_target(torch, pairs, hp["tau"])
    return log.result()


if __name__ == "__main__":
    report(train())
