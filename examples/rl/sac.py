"""Soft Actor-Critic on Pendulum-v1: squashed Gaussian policy, twin Q, automatic entropy.

The policy outputs a mean and a log-std per action dimension; an action is
`2 * tanh(u)` with `u = mean + std * eps` (the reparameterised sample, so the actor's
loss is differentiable through it) and its log-probability is the Normal's log-density
of `u` minus `log|d action / du| = log 2 + log(1 - tanh(u)^2)`, the latter computed as
`2 * (log 2 - u - softplus(-2u))`, which stays finite where tanh(u) rounds to +-1.
Two Q networks regress on `r + gamma * (min of the two target Qs - alpha * log pi)` at the
next state; the target networks follow by Polyak averaging (`lerp_` by `tau` each step,
in place under no_grad). The entropy weight `alpha = exp(log_alpha)` is learned so that
the policy's entropy tracks -1 (minus the action dimension). The noise `eps` is drawn
from the NumPy generator, not by Normal.rsample, so both backends see the same numbers.

Pendulum-v1 has no reward threshold in Gymnasium (returns lie in about [-1600, 0]).
Solved here means: the mean return of the last 10 episodes (200 steps each) >= -200.
Budget: solves from the default seed within BUDGET environment steps, stated below and in
README.md.

    python examples/rl/sac.py [--backend {ember,torch}] [--seed N] [--max-steps N]
"""
from __future__ import annotations

import math
import time
from typing import Any, Sequence

import gymnasium as gym
import numpy as np

import common
from common import EpisodeLog, init_linear, mlp, parse_args, report, setup

ENV_ID = "Pendulum-v1"
SOLVE_MEAN = -200.0  # our own threshold: Gymnasium states none for Pendulum-v1
WINDOW = 10  # episodes averaged for the solve test
OBS_DIM, ACT_DIM, ACT_SCALE = 3, 1, 2.0  # actions lie in [-2, 2]
LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0
SEED = 0
BUDGET = 20_000
HPARAMS = {
    "hidden": 64,
    "policy_lr": 1e-3,
    "q_lr": 1e-3,
    "alpha_lr": 1e-3,
    "gamma": 0.99,
    "tau": 0.01,
    "buffer": 100_000,
    "batch": 128,
    "learning_starts": 1_000,
    "init_alpha": 1.0,
}


class ReplayBuffer:
    """Fixed-size ring of continuous-action transitions in preallocated NumPy arrays."""

    def __init__(self, size: int) -> None:
        self.obs = np.empty((size, OBS_DIM), np.float32)
        self.next_obs = np.empty((size, OBS_DIM), np.float32)
        self.acts = np.empty((size, ACT_DIM), np.float32)
        self.rews = np.empty((size, 1), np.float32)
        self.terms = np.empty((size, 1), np.float32)
        self.size, self.pos, self.full = size, 0, False

    def add(self, obs, act, rew, next_obs, term) -> None:
        i = self.pos
        self.obs[i], self.acts[i], self.rews[i, 0] = obs, act, rew
        self.next_obs[i], self.terms[i, 0] = next_obs, term
        self.pos = (i + 1) % self.size
        self.full = self.full or self.pos == 0

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        idx = rng.integers(0, self.size if self.full else self.pos, n)
        return (self.obs[idx], self.acts[idx], self.rews[idx], self.next_obs[idx],
                self.terms[idx])


class Pendulum:
    """One Pendulum-v1, reset as soon as its episode ends (always by the 200-step limit)."""

    def __init__(self, seed: int) -> None:
        self.env = gym.make(ENV_ID)
        self.obs = self.env.reset(seed=seed)[0]
        self.ep_return = 0.0

    def step(self, action: np.ndarray) -> tuple:
        """Returns (next_obs, reward, terminated, finished returns); see common.CartPoles."""
        next_obs, rew, term, trunc, _ = self.env.step(action)
        self.ep_return += float(rew)
        finished = []
        if term or trunc:
            finished.append(self.ep_return)
            self.ep_return = 0.0
            self.obs = self.env.reset()[0]
        else:
            self.obs = next_obs
        return next_obs, float(rew), bool(term), finished


class PendulumLog(EpisodeLog):
    """EpisodeLog with Pendulum's solve test: mean of the last 10 returns >= -200."""

    def __init__(self, algo: str, args: Any, every: int = 5) -> None:
        super().__init__(algo, args, every)
        self.best = -math.inf

    @property
    def mean10(self) -> float:
        return float(np.mean(self.returns[-WINDOW:])) if self.returns else -math.inf

    def add(self, episode_returns: Sequence[float]) -> None:
        for ret in episode_returns:
            self.returns.append(float(ret))
            n = len(self.returns)
            if n >= WINDOW:
                self.best = max(self.best, self.mean10)
                self.solved = self.mean10 >= SOLVE_MEAN
            if not self.args.quiet and (n % self.every == 0 or self.solved):
                print(f"[{self.algo}/{self.args.backend}] episode {n:5d}  steps {self.steps:7d}"
                      f"  return {ret:7.1f}  mean-10 {self.mean10:7.1f}"
                      f"  {self.seconds():6.1f}s", flush=True)

    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def result(self) -> dict:
        """Summary of the run (CartPole's keys, mean10 for mean100); writes the curve."""
        if not self.args.no_plot:
            save_curve(self.algo, self.args.backend, self.returns)
        return {"algo": self.algo, "env": ENV_ID, "backend": self.args.backend,
                "seed": self.args.seed, "solved": self.solved, "env_steps": self.steps,
                "episodes": len(self.returns), "mean10": round(self.mean10, 1),
                "best_mean10": round(self.best, 1), "wall_s": round(self.seconds(), 2),
                "max_steps": self.args.max_steps, "returns": list(self.returns)}


def save_curve(algo: str, backend: str, returns: Sequence[float]) -> Any:
    """Plot return per episode and its 10-episode mean to out/rl/<algo>.png."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rets = np.asarray(returns, float)
    idx = np.arange(1, len(rets) + 1)
    means = [rets[max(0, i - WINDOW):i].mean() for i in idx]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(idx, rets, lw=0.6, alpha=0.5, label="return")
    ax.plot(idx, means, lw=1.6, label=f"mean of last {WINDOW}")
    ax.axhline(SOLVE_MEAN, color="k", ls="--", lw=0.8, label=f"solved ({SOLVE_MEAN:.0f})")
    ax.set(xlabel="episode", ylabel="return", title=f"{algo} on {ENV_ID} ({backend})")
    ax.legend(loc="lower right")
    common.OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = common.OUT_DIR / f"{algo}.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def policy_sample(torch, actor, obs, eps) -> tuple[Any, Any]:
    """(action in [-2, 2], log pi(action)) for observations `obs` and N(0, 1) noise `eps`.

    `obs` and `eps` are tensors of shapes (n, 3) and (n, 1); log pi has shape (n, 1).
    """
    F = torch.nn.functional
    mean, raw = actor(obs).chunk(2, dim=1)
    # Squash the log-std smoothly into [LOG_STD_MIN, LOG_STD_MAX] (as CleanRL does).
    log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (raw.tanh() + 1.0)
    std = log_std.exp()
    u = mean + std * eps  # Normal(mean, std).rsample() with our own noise
    logp = torch.distributions.Normal(mean, std).log_prob(u)
    # log|d(2 tanh u)/du| = log 2 + log(1 - tanh(u)^2) = log 2 + 2 (log 2 - u - softplus(-2u))
    log_det = 2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u)) + math.log(ACT_SCALE)
    return ACT_SCALE * u.tanh(), (logp - log_det).sum(1, keepdim=True)


class Agent:
    """Actor, twin critics with their targets, log_alpha and the three Adam optimizers."""

    def __init__(self, torch, hp: dict, rng: np.random.Generator) -> None:
        h = hp["hidden"]
        gains = [math.sqrt(2), math.sqrt(2), 0.01]  # small last layer: near-zero mean at start
        self.actor = mlp(torch, [OBS_DIM, h, h, 2 * ACT_DIM], "ReLU")
        init_linear(torch, self.actor, rng, gains)
        self.qs, self.targets = [], []
        for _ in range(2):
            q, target = (mlp(torch, [OBS_DIM + ACT_DIM, h, h, 1], "ReLU") for _ in range(2))
            init_linear(torch, q, rng, [math.sqrt(2), math.sqrt(2), 1.0])
            target.load_state_dict(q.state_dict())
            self.qs.append(q)
            self.targets.append(target)
        # Listed once: walking the modules costs every step.
        self.q_params = [p for q in self.qs for p in q.parameters()]
        self.pairs = [(tp, p) for t, q in zip(self.targets, self.qs)
                      for tp, p in zip(t.parameters(), q.parameters())]
        self.log_alpha = torch.tensor([math.log(hp["init_alpha"])], requires_grad=True)
        self.target_entropy = -float(ACT_DIM)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=hp["policy_lr"])
        self.q_opt = torch.optim.Adam(self.q_params, lr=hp["q_lr"])
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=hp["alpha_lr"])


def min_q(torch, nets: list, obs, act):
    x = torch.cat([obs, act], dim=1)
    return torch.min(nets[0](x), nets[1](x))


def update(torch, agent: Agent, batch: tuple, eps: np.ndarray, hp: dict) -> dict:
    """One SAC step: critics, then actor, then alpha, then the Polyak target update.

    Returns the three losses and alpha as Python floats.
    """
    F = torch.nn.functional
    obs, acts, rews, next_obs, terms = (torch.from_numpy(x) for x in batch)
    alpha = agent.log_alpha.exp().item()
    with torch.no_grad():
        next_act, next_logp = policy_sample(torch, agent.actor, next_obs,
                                            torch.from_numpy(eps[0]))
        soft_q = min_q(torch, agent.targets, next_obs, next_act) - alpha * next_logp
        y = rews + hp["gamma"] * (1.0 - terms) * soft_q
    x = torch.cat([obs, acts], dim=1)
    q_loss = F.mse_loss(agent.qs[0](x), y) + F.mse_loss(agent.qs[1](x), y)
    agent.q_opt.zero_grad()
    q_loss.backward()
    agent.q_opt.step()

    new_act, logp = policy_sample(torch, agent.actor, obs, torch.from_numpy(eps[1]))
    pi_loss = (alpha * logp - min_q(torch, agent.qs, obs, new_act)).mean()
    agent.actor_opt.zero_grad()
    pi_loss.backward()
    agent.actor_opt.step()

    # Raises alpha while the policy's entropy (-log pi) is below the target, lowers it above.
    alpha_loss = -(agent.log_alpha * (logp.detach() + agent.target_entropy).mean()).sum()
    agent.alpha_opt.zero_grad()
    alpha_loss.backward()
    agent.alpha_opt.step()

    polyak(torch, agent.pairs, hp["tau"])
    return {"q_loss": q_loss.item(), "pi_loss": pi_loss.item(),
            "alpha_loss": alpha_loss.item(), "alpha": alpha}


def polyak(torch, pairs: list, tau: float) -> None:
    """target <- target + tau * (online - target), in place, for each (target, online)."""
    with torch.no_grad():
        for tp, p in pairs:
            tp.data.lerp_(p.data, tau)


def act(torch, agent: Agent, obs: np.ndarray, step: int, rng: np.random.Generator,
        hp: dict) -> np.ndarray:
    """Uniform random actions until learning starts, then a sample from the policy."""
    if step < hp["learning_starts"]:
        return rng.uniform(-ACT_SCALE, ACT_SCALE, ACT_DIM).astype(np.float32)
    eps = rng.standard_normal((1, ACT_DIM)).astype(np.float32)
    with torch.no_grad():
        action, _ = policy_sample(torch, agent.actor, torch.from_numpy(obs[None]),
                                  torch.from_numpy(eps))
    return action.numpy()[0]


def train(argv: Sequence[str] | None = None) -> dict:
    """Train until solved or out of budget; returns the run's summary dict."""
    args = parse_args(__doc__, SEED, BUDGET, HPARAMS, argv)
    torch, rng = setup(args)
    hp = args.hp
    agent = Agent(torch, hp, rng)
    buf = ReplayBuffer(hp["buffer"])
    env = Pendulum(args.seed)
    log = PendulumLog("sac", args)
    while log.steps < args.max_steps and not log.solved:
        obs = env.obs.astype(np.float32)
        action = act(torch, agent, obs, log.steps, rng, hp)
        next_obs, rew, term, finished = env.step(action)
        buf.add(obs, action, rew, next_obs, term)
        log.steps += 1
        log.add(finished)
        if log.steps >= hp["learning_starts"]:
            eps = rng.standard_normal((2, hp["batch"], ACT_DIM)).astype(np.float32)
            update(torch, agent, buf.sample(hp["batch"], rng), eps, hp)
    return log.result()


if __name__ == "__main__":
    report(train())
