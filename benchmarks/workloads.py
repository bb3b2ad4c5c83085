"""Workload definitions shared by every contender: shapes, seeded weights and seeded data.

Everything here is plain NumPy so that ember, PyTorch and the NumPy floor all start from
bit-identical float32 weights and inputs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SEED = 1234
EPISODE_LEN = 200  # W6: CartPole-sized episode
GAMMA = 0.99


@dataclass(frozen=True)
class Problem:
    """One network + loss + optimizer + batch: enough to build any contender's step."""

    sizes: tuple[int, ...]   # layer widths, input first
    act: str                 # hidden activation: "relu" or "tanh"
    loss: str                # "ce", "mse", "pg" (-mean(logp*adv)) or "reinforce"
    opt: str                 # "adam" (lr 1e-3) or "sgd" (lr 0.01, momentum 0.9)
    batch: int


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    name: str                # e.g. "W1 MLP 2-32-2 b64"
    mode: str                # "train", "infer", "act", ...
    kind: str                # which step builder to use (see tsteps.py / numpy_floor.py)
    problem: Problem | None = None
    target: tuple[str, float] | None = None   # ("numpy"|"torch", max ratio)
    extra: dict = field(default_factory=dict)


W1_B64 = Problem((2, 32, 2), "relu", "ce", "adam", 64)
W1_B8 = Problem((2, 32, 2), "relu", "ce", "adam", 8)
W2_PG = Problem((4, 64, 64, 2), "tanh", "pg", "adam", 64)
W2_ACT = Problem((4, 64, 64, 2), "tanh", "pg", "adam", 1)
W3 = Problem((1, 32, 1), "relu", "mse", "sgd", 200)
W4 = Problem((784, 512, 512, 10), "relu", "ce", "adam", 256)
W6 = Problem((4, 64, 64, 2), "tanh", "reinforce", "adam", EPISODE_LEN)

NP13 = ("numpy", 1.3)
ROWS: list[Row] = [
    Row("W1 MLP 2-32-2 b64", "train", "train", W1_B64, NP13),
    Row("W1 MLP 2-32-2 b64", "infer", "infer", W1_B64, NP13),
    Row("W1 MLP 2-32-2 b8", "train", "train", W1_B8, NP13),
    Row("W1 MLP 2-32-2 b8", "infer", "infer", W1_B8, NP13),
    Row("W2 policy 4-64-64-2", "act b1", "act", W2_ACT, NP13),
    Row("W2 policy 4-64-64-2", "train b64", "train", W2_PG, NP13),
    Row("W3 regr 1-32-1 b200", "train", "train", W3, NP13),
    Row("W3 regr 1-32-1 b200", "infer", "infer", W3, NP13),
    Row("W4 MLP 784-512-512-10 b256", "train", "train", W4, ("torch", 1.0)),
    Row("W4 MLP 784-512-512-10 b256", "infer", "infer", W4, ("torch", 1.0)),
    Row("W5 scalar autograd", "train", "scalar", None, ("torch", 0.35)),
    Row("W6 REINFORCE 200 steps", "train", "reinforce", W6, NP13),
    Row("micro x+y 64x32", "infer", "add", None, ("torch", 0.5)),
]


def init_params(sizes: tuple[int, ...], seed: int = SEED) -> list[tuple[np.ndarray, np.ndarray]]:
    """PyTorch-style nn.Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)); W is (out, in)."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)
        params.append((w, b))
    return params


def discounted_returns(n: int, gamma: float = GAMMA) -> np.ndarray:
    """Normalised discounted returns of an episode with reward 1 per step."""
    ret = np.empty(n, np.float64)
    acc = 0.0
    for i in range(n - 1, -1, -1):
        acc = 1.0 + gamma * acc
        ret[i] = acc
    ret = (ret - ret.mean()) / (ret.std() + 1e-8)
    return ret.astype(np.float32)


def make_data(p: Problem, seed: int = SEED + 1) -> dict[str, np.ndarray]:
    """Inputs and targets for a problem; keys: x plus y / adv / returns as the loss needs."""
    rng = np.random.default_rng(seed)
    n_in, n_out = p.sizes[0], p.sizes[-1]
    if p.loss == "mse":   # 1-D regression: y = sin(x) + noise
        x = rng.uniform(-3, 3, (p.batch, n_in)).astype(np.float32)
        y = (np.sin(x) + 0.1 * rng.standard_normal(x.shape)).astype(np.float32)
        return {"x": x, "y": y}
    if n_in == 784:       # MNIST-shaped random pixels and labels
        x = rng.random((p.batch, n_in), dtype=np.float32)
    else:
        x = rng.standard_normal((p.batch, n_in)).astype(np.float32)
    if p.loss == "ce":
        if n_in == 2:     # tutorial: quadrant (XOR) labels
            y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
        else:
            y = rng.integers(0, n_out, p.batch).astype(np.int64)
        return {"x": x, "y": y}
    if p.loss == "pg":
        a = rng.integers(0, n_out, p.batch).astype(np.int64)
        adv = rng.standard_normal(p.batch).astype(np.float32)
        return {"x": x, "y": a, "adv": adv}
    return {"x": x, "returns": discounted_returns(p.batch)}   # reinforce


def sample_action(probs: np.ndarray, u: float) -> int:
    """Categorical sample from a probability vector with a given uniform draw u."""
    return int(np.searchsorted(np.cumsum(probs), u, side="right").clip(0, len(probs) - 1))


def scalar_inputs() -> tuple[float, float]:
    """W5's x and y."""
    return 1.5, -0.75


def add_inputs(seed: int = SEED + 2) -> tuple[np.ndarray, np.ndarray]:
    """Micro benchmark operands: two 64x32 float32 arrays."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((64, 32)).astype(np.float32),
            rng.standard_normal((64, 32)).astype(np.float32))
