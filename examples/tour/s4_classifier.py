"""Section 4: an MLP classifier on two Gaussian blobs (Adam + cross-entropy, mini-batches)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .backend import DataLoader, F, TensorDataset, nn, torch
from .common import Context, progress, seed_everything


def make_blobs(rng: np.random.Generator, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """Two round clouds, centres 3.2 apart, overlapping a little at the edges."""
    centres = np.array([[-0.8, -0.6], [1.5, 1.6]])
    xs = [rng.normal(loc=c, scale=0.65, size=(per_class, 2)) for c in centres]
    x = np.vstack(xs).astype(np.float32)
    y = np.repeat(np.arange(2), per_class).astype(np.int64)
    order = rng.permutation(len(y))
    return x[order], y[order]


def make_model() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, 2))


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        pred = model(torch.from_numpy(x)).argmax(dim=1).numpy()
    return float((pred == y).mean())


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int) -> list[float]:
    """Mini-batch Adam; returns the mean training loss of each epoch."""
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                        batch_size=32, shuffle=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    history = []
    for epoch in range(1, epochs + 1):
        total, seen = 0.0, 0
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
            seen += len(xb)
        history.append(total / seen)
        progress(epoch, epochs, f"loss {history[-1]:.4f}  train acc "
                 f"{accuracy(model, x, y):.1%}", every=max(1, epochs // 5))
    return history


def plot(ctx: Context, model: nn.Module, data: dict, history: list[float]) -> None:
    fig, (ax_l, ax_b) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax_l.plot(range(1, len(history) + 1), history, "o-", ms=3)
    ax_l.set(title="training loss (cross-entropy)", xlabel="epoch", ylabel="loss", yscale="log")
    x_all = np.vstack([data["x_train"], data["x_test"]])
    lo, hi = x_all.min(axis=0) - 0.7, x_all.max(axis=0) + 0.7
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    with torch.no_grad():
        prob = F.softmax(model(torch.from_numpy(grid)), dim=1)[:, 1].numpy()
    filled = ax_b.contourf(gx, gy, prob.reshape(gx.shape), levels=np.linspace(0, 1, 11),
                           cmap="RdBu_r", alpha=0.55)
    ax_b.contour(gx, gy, prob.reshape(gx.shape), levels=[0.5], colors="k", linewidths=1.5)
    fig.colorbar(filled, ax=ax_b, label="P(class 1)")
    for cls, colour in ((0, "tab:blue"), (1, "tab:red")):
        pts = data["x_test"][data["y_test"] == cls]
        ax_b.scatter(pts[:, 0], pts[:, 1], s=14, c=colour, edgecolors="k", linewidths=0.4,
                     label=f"test class {cls}")
    ax_b.set(title=f"decision boundary (test accuracy {data['test_acc']:.1%})",
             xlabel="x1", ylabel="x2")
    ax_b.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    ctx.save(fig, "04_blobs_classifier")


def run(ctx: Context) -> dict:
    rng = seed_everything(4)
    x, y = make_blobs(rng, per_class=300)
    data = {"x_train": x[:400], "y_train": y[:400], "x_test": x[400:], "y_test": y[400:]}
    model = make_model()
    history = train(model, data["x_train"], data["y_train"], ctx.steps(25, 8))
    data["train_acc"] = accuracy(model, data["x_train"], data["y_train"])
    data["test_acc"] = accuracy(model, data["x_test"], data["y_test"])
    plot(ctx, model, data, history)
    ctx.note(f"4. blobs MLP classifier (Adam, cross_entropy): train accuracy "
             f"{data['train_acc']:.1%}, test accuracy {data['test_acc']:.1%}, "
             f"loss {history[0]:.3f} -> {history[-1]:.3f}")
    return {"train_acc": data["train_acc"], "test_acc": data["test_acc"], "losses": history}
