"""Section 5: MLP regression of y = sin(x) + noise with mean squared error."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .backend import F, nn, torch
from .common import Context, progress, seed_everything

NOISE = 0.15


def make_data(rng: np.random.Generator, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(rng.uniform(-3.5, 3.5, size=(n, 1))).astype(np.float32)
    y = (np.sin(x) + rng.normal(scale=NOISE, size=x.shape)).astype(np.float32)
    return x, y


def r_squared(y: np.ndarray, pred: np.ndarray) -> float:
    """1 - SS_res / SS_tot: the share of the target's variance the model explains."""
    return float(1.0 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int) -> list[float]:
    """Full-batch Adam on the MSE loss."""
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for step in range(1, steps + 1):
        loss = F.mse_loss(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        progress(step, steps, f"MSE {losses[-1]:.4f}", every=max(1, steps // 5))
    return losses


def plot(ctx: Context, x: np.ndarray, y: np.ndarray, model: nn.Module, losses: list[float],
         r2: float) -> None:
    fig, (ax_l, ax_f) = plt.subplots(1, 2, figsize=(11, 4))
    ax_l.plot(losses)
    ax_l.axhline(NOISE**2, color="k", ls="--", lw=1, label=f"noise floor {NOISE**2:.4f}")
    ax_l.set(title="training loss (MSE)", xlabel="step", ylabel="MSE", yscale="log")
    ax_l.legend()
    dense = np.linspace(-3.8, 3.8, 300, dtype=np.float32).reshape(-1, 1)
    with torch.no_grad():
        fit = model(torch.from_numpy(dense)).numpy()
    ax_f.plot(x, y, ".", alpha=0.5, label="data")
    ax_f.plot(dense, np.sin(dense), "k--", lw=1, label="sin(x)")
    ax_f.plot(dense, fit, lw=2, label="MLP fit")
    ax_f.set(title=f"fit of y = sin(x) + noise   (R² = {r2:.3f})", xlabel="x", ylabel="y")
    ax_f.legend()
    fig.tight_layout()
    ctx.save(fig, "05_regression")


def run(ctx: Context) -> dict:
    rng = seed_everything(5)
    x, y = make_data(rng)
    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                          nn.Linear(32, 1))
    losses = train(model, x, y, ctx.steps(400, 120))
    with torch.no_grad():
        pred = model(torch.from_numpy(x)).numpy()
    r2 = r_squared(y, pred)
    plot(ctx, x, y, model, losses, r2)
    ctx.note(f"5. MLP regression of sin(x) + noise (sd {NOISE}): final MSE {losses[-1]:.4f}, "
             f"R^2 {r2:.3f}")
    return {"r2": r2, "losses": losses}
