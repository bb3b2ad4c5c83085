"""Section 3: a two-layer network's backward pass by hand, checked against autograd.

Network (a batch of 4 samples, 3 features, 4 hidden units, one output):
    z1 = x W1^T + b1,  h = relu(z1),  z2 = h W2^T + b2,  p = sigmoid(z2)
    L  = mean over the batch of -[y log p + (1 - y) log(1 - p)]
The hand version walks the chain rule backwards one factor at a time in NumPy (float64);
the autograd version runs the same weights through nn.Linear layers.
"""
from __future__ import annotations

import numpy as np

from .backend import F, nn, torch
from .common import Context, seed_everything


def make_problem(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Small float32 weights and data, so both sides start from identical numbers."""
    f32 = np.float32
    return {
        "x": rng.normal(size=(4, 3)).astype(f32),
        "y": np.array([[1.0], [0.0], [1.0], [0.0]], dtype=f32),
        "W1": rng.normal(scale=0.7, size=(4, 3)).astype(f32),
        "b1": rng.normal(scale=0.1, size=4).astype(f32),
        "W2": rng.normal(scale=0.7, size=(1, 4)).astype(f32),
        "b2": np.array([0.05], dtype=f32),
    }


def backward_by_hand(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Forward, then the chain rule from the loss back to every weight."""
    x, y = p["x"].astype(np.float64), p["y"].astype(np.float64)
    z1 = x @ p["W1"].T + p["b1"]
    h = np.maximum(z1, 0.0)
    z2 = h @ p["W2"].T + p["b2"]
    prob = 1.0 / (1.0 + np.exp(-z2))
    n = x.shape[0]
    loss = np.mean(-(y * np.log(prob) + (1 - y) * np.log(1 - prob)))
    dL_dp = (-y / prob + (1 - y) / (1 - prob)) / n  # the mean spreads 1/n over the batch
    dp_dz2 = prob * (1 - prob)                       # sigmoid'
    dL_dz2 = dL_dp * dp_dz2                          # simplifies to (p - y) / n
    dL_dh = dL_dz2 @ p["W2"]                         # z2 = h W2^T
    dL_dz1 = dL_dh * (z1 > 0)                        # relu' is 0 or 1
    return {
        "loss": np.array(loss),
        "W2": dL_dz2.T @ h, "b2": dL_dz2.sum(axis=0),
        "W1": dL_dz1.T @ x, "b1": dL_dz1.sum(axis=0),
    }


def backward_by_autograd(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same network as nn.Linear layers loaded with the same weights."""
    fc1, fc2 = nn.Linear(3, 4), nn.Linear(4, 1)
    with torch.no_grad():
        for layer, w, b in ((fc1, "W1", "b1"), (fc2, "W2", "b2")):
            layer.weight.copy_(torch.from_numpy(p[w]))
            layer.bias.copy_(torch.from_numpy(p[b]))
    prob = torch.sigmoid(fc2(F.relu(fc1(torch.from_numpy(p["x"])))))
    loss = F.binary_cross_entropy(prob, torch.from_numpy(p["y"]))
    loss.backward()
    grads = {"W1": fc1.weight.grad, "b1": fc1.bias.grad,
             "W2": fc2.weight.grad, "b2": fc2.bias.grad}
    out = {k: g.numpy().astype(np.float64) for k, g in grads.items()}
    out["loss"] = np.array(loss.item())
    return out


def run(ctx: Context) -> dict:
    problem = make_problem(seed_everything(3))
    hand = backward_by_hand(problem)
    auto = backward_by_autograd(problem)
    print(f"    loss: by hand {hand['loss']:.6f}, autograd {auto['loss']:.6f}")
    diffs = {}
    np.set_printoptions(precision=5, suppress=True)
    for name in ("W2", "b2", "W1", "b1"):
        diffs[name] = float(np.max(np.abs(hand[name] - auto[name])))
        print(f"    dL/d{name} by hand:\n{_indent(hand[name])}")
        print(f"    dL/d{name} autograd:\n{_indent(auto[name])}")
        print(f"    max |diff| = {diffs[name]:.2e}")
    worst = max(diffs.values())
    ctx.note(f"3. two-layer net backward pass by hand (NumPy chain rule) vs autograd: "
             f"max |difference| {worst:.1e} over W1, b1, W2, b2")
    return {"max_diff": worst, "diffs": diffs, "loss_diff": abs(hand["loss"] - auto["loss"])}


def _indent(a: np.ndarray) -> str:
    return "\n".join("      " + line for line in str(np.atleast_2d(a)).splitlines())
