"""Section 1: gradient descent, first on f(x) = x^2, then on the bowl f(x, y) = x^2 + 3y^2.

Every gradient here comes from autograd: the 1-D runs update a leaf tensor by hand under
no_grad, the 2-D runs hand the same job to torch.optim.SGD.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .backend import torch
from .common import Context

LEARNING_RATES = (0.01, 0.1, 0.5, 1.0, 1.05)
BOWL_RATES = (0.05, 0.15, 0.32)
X0 = 4.0


def descend_parabola(lr: float, steps: int, x0: float = X0) -> list[float]:
    """Plain gradient descent on x^2: x <- x - lr * dx, with dx from backward()."""
    x = torch.tensor(x0, requires_grad=True)
    path = [x.item()]
    for _ in range(steps):
        loss = x**2
        loss.backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad.zero_()  # backward() accumulates; clear before the next step
        path.append(x.item())
    return path


def verdict(path: list[float]) -> str:
    """Name what a 1-D run did, from its start and end points and its sign changes."""
    start, end = abs(path[0]), abs(path[-1])
    flips = sum(1 for a, b in zip(path, path[1:]) if a * b < 0)
    if end > 1.01 * start:
        return "diverges"
    if end > 0.99 * start and flips:
        return "oscillates"
    if end < 1e-2 * start:
        return "converges"
    return "converges slowly"


def descend_bowl(lr: float, steps: int) -> np.ndarray:
    """SGD on f(x, y) = x^2 + 3y^2 from (-4, 2); returns the (steps+1, 2) path."""
    point = torch.tensor([-4.0, 2.0], requires_grad=True)
    opt = torch.optim.SGD([point], lr=lr)
    path = [point.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        loss = point[0] ** 2 + 3 * point[1] ** 2
        loss.backward()
        opt.step()
        path.append(point.detach().numpy().copy())
    return np.array(path)


def plot_parabola(ctx: Context, paths: dict[float, list[float]]) -> None:
    fig, (ax_t, ax_f) = plt.subplots(1, 2, figsize=(11, 4))
    grid = np.linspace(-6, 6, 200)
    ax_f.plot(grid, grid**2, color="0.7", lw=2)
    for lr, path in paths.items():
        xs = np.array(path)
        label = f"lr={lr} ({verdict(path)})"
        ax_t.plot(xs, marker=".", label=label)
        shown = xs[np.abs(xs) < 6.5]
        ax_f.plot(shown, shown**2, "o-", ms=3, alpha=0.8, label=label)
    ax_t.set(title="x after each step", xlabel="step", ylabel="x", ylim=(-8, 8))
    ax_t.axhline(0, color="k", lw=0.5)
    ax_f.set(title="the same paths on f(x) = x²", xlabel="x", ylabel="f(x)", ylim=(-1, 40))
    ax_t.legend(fontsize=8)
    fig.suptitle("Gradient descent on x²: the learning rate decides everything")
    fig.tight_layout()
    ctx.save(fig, "01_gd_learning_rates")


def plot_bowl(ctx: Context, paths: dict[float, np.ndarray]) -> None:
    fig, ax = plt.subplots(figsize=(7, 5))
    gx, gy = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-3, 3, 150))
    levels = ax.contour(gx, gy, gx**2 + 3 * gy**2, levels=15, cmap="viridis", alpha=0.6)
    ax.clabel(levels, fontsize=7)
    for lr, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], "o-", ms=3, label=f"lr={lr}")
    ax.plot(0, 0, "k*", ms=12, label="minimum")
    ax.set(title="SGD on f(x, y) = x² + 3y² (steep in y: large steps zig-zag)",
           xlabel="x", ylabel="y")
    ax.legend(fontsize=8)
    fig.tight_layout()
    ctx.save(fig, "01_gd_bowl")


def run(ctx: Context) -> dict:
    steps = ctx.steps(30, 30)  # already instant; the tests check the same 30 steps
    paths = {lr: descend_parabola(lr, steps) for lr in LEARNING_RATES}
    for lr, path in paths.items():
        print(f"    lr={lr:<5} x: {path[0]:+.3f} -> {path[-1]:+.4g}  ({verdict(path)})")
    bowl = {lr: descend_bowl(lr, ctx.steps(40, 40)) for lr in BOWL_RATES}
    for lr, path in bowl.items():
        end = path[-1]
        print(f"    bowl lr={lr:<5} ends at ({end[0]:+.4f}, {end[1]:+.4f})")
    plot_parabola(ctx, paths)
    plot_bowl(ctx, bowl)
    ctx.note("1. gradient descent on x^2 from x=4, " + ", ".join(
        f"lr {lr}: {verdict(p)} (x={p[-1]:.3g})" for lr, p in paths.items()))
    best = min(bowl, key=lambda lr: np.abs(bowl[lr][-1]).max())
    ctx.note(f"   bowl x^2+3y^2: fastest lr {best}, ends "
             f"{np.abs(bowl[best][-1]).max():.2g} from the minimum")
    return {"paths": paths, "bowl": bowl, "verdicts": {lr: verdict(p) for lr, p in paths.items()}}
