"""Section 6: how much gradient reaches each Linear layer while a network trains."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .backend import F, nn, torch
from .common import Context, progress, seed_everything


class GradRecorder:
    """Mean |grad| of every Linear layer's weight, one value per call to record().

    Uses only the public API (named_modules, .weight.grad); call it between backward()
    and the optimizer step, while .grad still holds this step's gradient.
    """

    def __init__(self, model: nn.Module) -> None:
        self.layers = {name: m for name, m in model.named_modules() if isinstance(m, nn.Linear)}
        self.history: dict[str, list[float]] = {name: [] for name in self.layers}

    def record(self) -> None:
        for name, layer in self.layers.items():
            self.history[name].append(layer.weight.grad.abs().mean().item())


def make_rings(rng: np.random.Generator, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Points inside radius 1 are class 1, a ring around them class 0: not linearly separable."""
    radius = np.concatenate([rng.uniform(0, 0.9, n // 2), rng.uniform(1.1, 2.0, n // 2)])
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.c_[radius * np.cos(angle), radius * np.sin(angle)].astype(np.float32)
    y = (radius < 1).astype(np.int64)
    return x, y


def run(ctx: Context) -> dict:
    rng = seed_everything(6)
    x, y = make_rings(rng)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                          nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    recorder = GradRecorder(model)
    steps, losses = ctx.steps(150, 40), []
    for step in range(1, steps + 1):
        loss = F.cross_entropy(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        recorder.record()
        opt.step()
        losses.append(loss.item())
        progress(step, steps, f"loss {losses[-1]:.4f}", every=max(1, steps // 5))
    plot(ctx, recorder.history, losses)
    first = {name: h[0] for name, h in recorder.history.items()}
    last = {name: h[-1] for name, h in recorder.history.items()}
    ctx.note("6. gradient flow (mean |grad| per Linear weight, rings task): step 1 "
             + ", ".join(f"layer {k} {v:.1e}" for k, v in first.items())
             + "; last step " + ", ".join(f"{v:.1e}" for v in last.values())
             + f"; loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    return {"history": recorder.history, "losses": losses}


def plot(ctx: Context, history: dict[str, list[float]], losses: list[float]) -> None:
    fig, (ax_g, ax_l) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (name, values) in enumerate(history.items()):
        ax_g.plot(values, label=f"Linear {i + 1} (Sequential index {name})")
    ax_g.set(title="mean |grad| of each Linear weight", xlabel="step", ylabel="mean |grad|",
             yscale="log")
    ax_g.legend(fontsize=8)
    ax_l.plot(losses, color="k")
    ax_l.set(title="training loss (cross-entropy)", xlabel="step", ylabel="loss")
    fig.suptitle("Gradient flow while a 4-layer ReLU MLP learns the rings task")
    fig.tight_layout()
    ctx.save(fig, "06_gradient_flow")
