"""Shared pieces of the CartPole agents: arguments, environments, logging, plots, init.

Randomness that decides the learning trajectory (weight init, action sampling, exploration,
minibatch order) comes from one NumPy generator seeded by --seed, so a given seed starts
from the same weights and draws the same random numbers on ember and on PyTorch.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import gymnasium as gym
import numpy as np

from backend import BACKENDS, load

ENV_ID = "CartPole-v1"
SOLVE_MEAN = 475.0  # Gymnasium's reward threshold for CartPole-v1
WINDOW = 100  # episodes averaged for the solve test
OUT_DIR = Path(__file__).resolve().parents[2] / "out" / "rl"


def parse_args(doc: str, seed: int, max_steps: int, hparams: dict,
               argv: Sequence[str] | None) -> Any:
    """The flags every agent takes; `--set name=value` overrides one of `hparams`.

    The parsed hyperparameters end up in `args.hp` (a copy of `hparams`).
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, default="ember")
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--max-steps", type=int, default=max_steps,
                        help="environment-step budget (default: the stated solve budget)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help=f"override a hyperparameter; defaults: {hparams}")
    args = parser.parse_args(argv)
    args.hp = dict(hparams)
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in hparams:
            parser.error(f"unknown hyperparameter {name!r}")
        args.hp[name] = type(hparams[name])(value)
    return args


def setup(args: Any) -> tuple[Any, np.random.Generator]:
    """Load the backend, seed it and NumPy; return (torch-like module, NumPy generator)."""
    torch = load(args.backend)
    torch.manual_seed(args.seed)
    return torch, np.random.default_rng(args.seed)


class CartPoles:
    """`n` CartPole-v1 copies stepped in lockstep, each reset as soon as its episode ends.

    A plain list instead of gymnasium.vector keeps the per-step cost low and makes the
    final observation of a finished episode available without unpacking info dicts.
    """

    def __init__(self, n: int, seed: int) -> None:
        self.envs = [gym.make(ENV_ID) for _ in range(n)]
        self.obs = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(self.envs)])
        self.ep_return = np.zeros(n)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, ...]:
        """Returns (next_obs, reward, terminated, truncated, finished returns).

        `next_obs` is the observation the action led to (the final one for an episode that
        ended); `self.obs` afterwards holds what the agent sees next (a reset one there).
        """
        n = len(self.envs)
        next_obs = np.empty_like(self.obs)
        reward = np.empty(n, np.float32)
        term = np.zeros(n, bool)
        trunc = np.zeros(n, bool)
        finished = []
        for i, env in enumerate(self.envs):
            next_obs[i], reward[i], term[i], trunc[i], _ = env.step(int(actions[i]))
            self.ep_return[i] += reward[i]
            if term[i] or trunc[i]:
                finished.append(self.ep_return[i])
                self.ep_return[i] = 0.0
                self.obs[i] = env.reset()[0]
            else:
                self.obs[i] = next_obs[i]
        return next_obs, reward, term, trunc, finished


class EpisodeLog:
    """Return per episode, the mean of the last 100, progress lines and the solve test."""

    def __init__(self, algo: str, args: Any, every: int = 25) -> None:
        self.algo, self.args, self.every = algo, args, every
        self.returns: list[float] = []
        self.best = 0.0  # highest mean-100 seen (over at least 100 episodes)
        self.steps = 0
        # Kept up to date by add(): the training loops ask every step, and a mean over the
        # last 100 returns each time cost ~5 us a step (as much as CartPole's own step).
        self.solved = False
        self.start = time.perf_counter()

    @property
    def mean100(self) -> float:
        return float(np.mean(self.returns[-WINDOW:])) if self.returns else 0.0

    def add(self, episode_returns: Sequence[float]) -> None:
        for ret in episode_returns:
            self.returns.append(float(ret))
            n = len(self.returns)
            if n >= WINDOW:
                mean = self.mean100
                self.best = max(self.best, mean)
                self.solved = mean >= SOLVE_MEAN
            if not self.args.quiet and (n % self.every == 0 or self.solved):
                print(f"[{self.algo}/{self.args.backend}] episode {n:5d}  steps {self.steps:7d}"
                      f"  return {ret:5.0f}  mean-100 {self.mean100:6.1f}"
                      f"  {time.perf_counter() - self.start:6.1f}s", flush=True)
            if self.solved:
                return  # the episodes after the solving one in the same batch do not count

    def result(self) -> dict:
        """Summary of the run; writes the learning curve unless --no-plot."""
        wall = time.perf_counter() - self.start
        if not self.args.no_plot:
            save_curve(self.algo, self.args.backend, self.returns)
        return {"algo": self.algo, "backend": self.args.backend, "seed": self.args.seed,
                "solved": self.solved, "env_steps": self.steps, "episodes": len(self.returns),
                "mean100": round(self.mean100, 1), "best_mean100": round(self.best, 1),
                "wall_s": round(wall, 2),
                "max_steps": self.args.max_steps, "returns": list(self.returns)}


def report(res: dict) -> None:
    """Print a run's summary (without the per-episode returns) and exit 0 iff solved."""
    print({k: v for k, v in res.items() if k != "returns"})
    sys.exit(0 if res["solved"] else 1)


def save_curve(algo: str, backend: str, returns: Sequence[float]) -> Path:
    """Plot return per episode and its 100-episode mean to out/rl/<algo>.png."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rets = np.asarray(returns, float)
    csum = np.cumsum(np.insert(rets, 0, 0.0))
    idx = np.arange(1, len(rets) + 1)
    lo = np.maximum(idx - WINDOW, 0)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(idx, rets, lw=0.6, alpha=0.5, label="return")
    ax.plot(idx, (csum[idx] - csum[lo]) / (idx - lo), lw=1.6, label="mean of last 100")
    ax.axhline(SOLVE_MEAN, color="k", ls="--", lw=0.8, label="solved (475)")
    ax.set(xlabel="episode", ylabel="return", title=f"{algo} on {ENV_ID} ({backend})")
    ax.legend(loc="upper left")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{algo}.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def init_linear(torch: Any, model: Any, rng: np.random.Generator,
                gains: Sequence[float]) -> None:
    """Orthogonal weights scaled by `gains` (one per Linear, in order) and zero biases.

    Drawn with NumPy and loaded via load_state_dict, so both backends start identically.
    """
    state = model.state_dict()
    weights = [k for k in state if k.endswith("weight")]
    if len(weights) != len(gains):
        raise ValueError(f"{len(weights)} Linear layers but {len(gains)} gains")
    new = {}
    for key, gain in zip(weights, gains):
        rows, cols = state[key].shape
        q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
        q = q * np.sign(np.diag(r))  # make the decomposition unique (uniform over rotations)
        w = q if rows >= cols else q.T
        new[key] = torch.from_numpy((gain * w).astype(np.float32))
        bias = key[: -len("weight")] + "bias"
        new[bias] = torch.from_numpy(np.zeros(rows, np.float32))
    model.load_state_dict(new)


def mlp(torch: Any, sizes: Sequence[int], act: str = "Tanh") -> Any:
    """Linear layers of the given widths with `act` between them (none after the last)."""
    nn = torch.nn
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(getattr(nn, act)())
    return nn.Sequential(*layers)


def sample(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One action per row of `probs` by inverse-CDF sampling with the NumPy generator."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random((probs.shape[0], 1)) * cdf[:, -1:]
    return (u > cdf).sum(axis=1)
