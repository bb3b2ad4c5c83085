"""How fast can DQN's update be? One training step of examples/rl/dqn.py on ember, PyTorch
and hand-written NumPy, interleaved in one run, and what that bounds the time-to-solve ratio.

DQN's step (batch 128, a 4-128-128-2 ReLU network, Double-DQN targets, Huber loss, gradient
clipping, Adam) is dominated by 128x128x128 matrix products that NumPy and PyTorch both hand
to a BLAS library, so no NumPy-based library can beat the hand-written NumPy step. With the
environment steps and acting (the same on both sides) added per update, the ratio a perfect
NumPy library would reach against PyTorch is printed as the bound.

    python benchmarks/dqn_step.py [--seconds S]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "rl"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import backend  # noqa: E402  (examples/rl)
import dqn  # noqa: E402
from common import CartPoles, init_linear, mlp  # noqa: E402
from numpy_floor import Adam  # noqa: E402  (PyTorch's Adam formulas, in place)

HP = dqn.HPARAMS
SIZES = [4, HP["hidden"], HP["hidden"], 2]


def batch(rng: np.random.Generator) -> tuple:
    buf = dqn.ReplayBuffer(5000)
    for _ in range(5000):
        buf.add(rng.standard_normal(4), int(rng.integers(2)), 1.0, rng.standard_normal(4),
                float(rng.random() < 0.05))
    return buf.sample(HP["batch"], rng)


def library_step(name: str):
    """dqn.train_step and greedy acting on ember or torch, with the agent's own networks."""
    T = backend.load(name)
    rng = np.random.default_rng(0)
    qnet, target = mlp(T, SIZES, "ReLU"), mlp(T, SIZES, "ReLU")
    init_linear(T, qnet, rng, [np.sqrt(2), np.sqrt(2), 1.0])
    target.load_state_dict(qnet.state_dict())
    params = list(qnet.parameters())
    opt = T.optim.Adam(params, lr=HP["lr"])
    b = batch(np.random.default_rng(1))
    obs = np.random.default_rng(2).standard_normal((1, 4)).astype(np.float32)

    def act() -> int:
        with T.no_grad():
            return qnet(T.from_numpy(obs)).argmax().item()
    return lambda: dqn.train_step(T, qnet, target, opt, params, b, HP), act, params


class NumpyDQN:
    """The same update written by hand: forward, manual backward, clipping, in-place Adam."""

    def __init__(self, weights: list[np.ndarray]) -> None:
        self.w = [a.copy() for a in weights]            # W1, b1, W2, b2, W3, b3
        self.t = [a.copy() for a in weights]            # the target network
        self.g = [np.zeros_like(a) for a in weights]
        self.adam = Adam(self.w, lr=HP["lr"])
        self.b = batch(np.random.default_rng(1))

    @staticmethod
    def forward(w: list[np.ndarray], x: np.ndarray) -> tuple:
        h1 = x @ w[0].T
        h1 += w[1]
        np.maximum(h1, 0, out=h1)
        h2 = h1 @ w[2].T
        h2 += w[3]
        np.maximum(h2, 0, out=h2)
        out = h2 @ w[4].T
        out += w[5]
        return h1, h2, out

    def step(self) -> None:
        obs, acts, rews, next_obs, terms = self.b
        best = self.forward(self.w, next_obs)[2].argmax(1)
        next_q = self.forward(self.t, next_obs)[2][np.arange(len(best)), best]
        y = (rews + HP["gamma"] * (1.0 - terms) * next_q).astype(np.float32)
        h1, h2, out = self.forward(self.w, obs)
        rows = np.arange(len(y))
        d = out[rows, acts[:, 0]] - y
        gq = np.clip(d, -1.0, 1.0) / len(y)          # Huber (beta 1), mean reduction
        g = np.zeros_like(out)
        g[rows, acts[:, 0]] = gq
        w, gr = self.w, self.g
        np.matmul(g.T, h2, out=gr[4])
        np.sum(g, axis=0, out=gr[5])
        gh = g @ w[4]
        gh *= h2 > 0
        np.matmul(gh.T, h1, out=gr[2])
        np.sum(gh, axis=0, out=gr[3])
        gh = gh @ w[2]
        gh *= h1 > 0
        np.matmul(gh.T, obs, out=gr[0])
        np.sum(gh, axis=0, out=gr[1])
        norm = np.sqrt(sum(float(np.vdot(a, a)) for a in gr))
        coef = min(1.0, HP["max_grad_norm"] / (norm + 1e-6))
        if coef < 1.0:
            for a in gr:
                a *= np.float32(coef)
        self.adam.step(gr)

    def act(self, obs: np.ndarray) -> int:
        return int(self.forward(self.w, obs)[2].argmax())


def env_step_us(seconds: float) -> float:
    """Gymnasium's CartPole step plus the replay-buffer write: the same for every library."""
    env, buf = CartPoles(1, 0), dqn.ReplayBuffer(100_000)
    act, n, t0 = np.zeros(1, np.int64), 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        obs = env.obs.copy()
        next_obs, rew, term, _, _ = env.step(act)
        buf.add(obs[0], 0, rew[0], next_obs[0], term[0])
        act[0] = 1 - act[0]
        n += 1
    return (time.perf_counter() - t0) / n * 1e6


def check_floor(weights: list[np.ndarray]) -> float:
    """Largest difference between torch's and the NumPy step's parameters after 3 updates."""
    torch_update, _, params = library_step("torch")
    floor = NumpyDQN(weights)
    for _ in range(3):
        torch_update()
        floor.step()
    return max(float(np.abs(p.detach().numpy() - w).max()) for p, w in zip(params, floor.w))


def measure(steps: dict, seconds: float) -> dict:
    """Median microseconds per call, blocks interleaved A B C A B C ..."""
    times: dict = {k: [] for k in steps}
    for fn in steps.values():
        for _ in range(20):
            fn()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for name, fn in steps.items():
            t0 = time.perf_counter()
            for _ in range(10):
                fn()
            times[name].append((time.perf_counter() - t0) / 10 * 1e6)
            time.sleep(0.001)
    return {k: statistics.median(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args(argv)
    ember_update, ember_act, params = library_step("ember")
    torch_update, torch_act, _ = library_step("torch")
    weights = [p.detach().numpy().copy() for p in params]
    diff = check_floor(weights)
    print(f"NumPy step vs torch after 3 updates: max parameter difference {diff:.1e}")
    if diff > 1e-5:
        print("the NumPy step does not follow torch's: fix it before reading the bound")
        return 1
    floor = NumpyDQN(weights)
    obs = np.random.default_rng(2).standard_normal((1, 4)).astype(np.float32)
    upd = measure({"ember": ember_update, "torch": torch_update, "numpy": floor.step},
                  args.seconds)
    act = measure({"ember": ember_act, "torch": torch_act, "numpy": lambda: floor.act(obs)},
                  args.seconds / 4)
    env = env_step_us(args.seconds / 4)
    k = HP["train_every"]
    print(f"update (batch {HP['batch']}, hidden {HP['hidden']}), median us: "
          + ", ".join(f"{n} {v:.0f}" for n, v in upd.items()))
    print("greedy action, median us: " + ", ".join(f"{n} {v:.1f}" for n, v in act.items()))
    print(f"environment step + buffer write: {env:.1f} us")
    cycle = {n: k * (env + act[n]) + upd[n] for n in upd}  # one update per k env steps
    print(f"per {k} env steps + 1 update, us: "
          + ", ".join(f"{n} {v:.0f}" for n, v in cycle.items()))
    print(f"ratios to torch: ember {cycle['ember'] / cycle['torch']:.2f}, hand-written NumPy "
          f"{cycle['numpy'] / cycle['torch']:.2f} (the bound for any NumPy library); update "
          f"alone: ember {upd['ember'] / upd['torch']:.2f}, NumPy "
          f"{upd['numpy'] / upd['torch']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
