"""Rollout collection and GAE shared by the on-policy actor-critic agents (A2C, PPO)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from common import CartPoles, EpisodeLog, init_linear, mlp, sample


@dataclass
class Rollout:
    """`n_steps` x `n_envs` transitions, flattened for the update by `flat()`."""

    obs: np.ndarray  # (T, N, 4)
    acts: np.ndarray  # (T, N)
    logp: np.ndarray  # (T, N) log-probability of the taken action when it was taken
    adv: np.ndarray  # (T, N) GAE advantage
    ret: np.ndarray  # (T, N) value target: advantage + value estimate

    def flat(self) -> tuple[np.ndarray, ...]:
        n = self.acts.size
        return (self.obs.reshape(n, -1), self.acts.reshape(n), self.logp.reshape(n),
                self.adv.reshape(n), self.ret.reshape(n, 1))


def actor_critic(torch: Any, hidden: int, rng: np.random.Generator) -> tuple[Any, Any]:
    """Separate tanh MLPs for the policy logits and the state value (CleanRL's init)."""
    actor = mlp(torch, [4, hidden, hidden, 2])
    critic = mlp(torch, [4, hidden, hidden, 1])
    init_linear(torch, actor, rng, [np.sqrt(2), np.sqrt(2), 0.01])
    init_linear(torch, critic, rng, [np.sqrt(2), np.sqrt(2), 1.0])
    return actor, critic


def value(torch: Any, critic: Any, obs: np.ndarray) -> np.ndarray:
    return critic(torch.from_numpy(obs)).numpy()[:, 0]


def collect(torch: Any, actor: Any, critic: Any, env: CartPoles, n_steps: int,
            rng: np.random.Generator, log: EpisodeLog, hp: dict) -> Rollout | None:
    """Step all envs `n_steps` times; None if the task got solved on the way.

    A time-limit truncation is not a failure: its reward gets gamma * V(final obs) added
    so the return is bootstrapped as if the episode went on.
    """
    F = torch.nn.functional
    n = len(env.envs)
    obs = np.empty((n_steps, n, 4), np.float32)
    acts = np.empty((n_steps, n), np.int64)
    logp, vals, rews, dones = (np.empty((n_steps, n), np.float32) for _ in range(4))
    rows = np.arange(n)
    with torch.no_grad():
        for t in range(n_steps):
            obs[t] = env.obs
            o = torch.from_numpy(obs[t])
            logp_all = F.log_softmax(actor(o), dim=-1).numpy()
            acts[t] = sample(np.exp(logp_all), rng)
            logp[t] = logp_all[rows, acts[t]]
            vals[t] = value(torch, critic, obs[t])
            next_obs, rews[t], term, trunc, finished = env.step(acts[t])
            cut = trunc & ~term
            if cut.any():
                rews[t, cut] += hp["gamma"] * value(torch, critic, next_obs[cut])
            dones[t] = term | trunc
            log.steps += n
            log.add(finished)
            if log.solved:
                return None
        last = value(torch, critic, env.obs)
    adv = gae(rews, vals, dones, last, hp["gamma"], hp["gae_lambda"])
    return Rollout(obs, acts, logp, adv, adv + vals)


def gae(rews: np.ndarray, vals: np.ndarray, dones: np.ndarray, last: np.ndarray,
        gamma: float, lam: float) -> np.ndarray:
    """Generalised advantage estimates; `dones[t]` means the episode ended at step t."""
    adv = np.empty_like(rews)
    acc = np.zeros_like(last)
    next_val = last
    for t in range(len(rews) - 1, -1, -1):
        keep = 1.0 - dones[t]
        delta = rews[t] + gamma * next_val * keep - vals[t]
        acc = delta + gamma * lam * keep * acc
        adv[t] = acc
        next_val = vals[t]
    return adv


def policy_loss_terms(torch: Any, actor: Any, obs: np.ndarray, acts: np.ndarray) -> tuple:
    """(log-probabilities of `acts`, entropies) under the current policy, with grad."""
    dist = torch.distributions.Categorical(logits=actor(torch.from_numpy(obs)))
    return dist.log_prob(torch.from_numpy(acts)), dist.entropy()
