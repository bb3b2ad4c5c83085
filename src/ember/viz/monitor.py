"""GradientMonitor: watch gradient flow through a model while it trains.

It hooks every parameter; at each backward it records the mean |grad| and the norm of each
parameter's gradient, warns when gradients vanish or explode, and plots the history per layer.
"""

from __future__ import annotations

import warnings

import numpy as np


class GradientWarning(UserWarning):
    """Gradients vanished or exploded (ember.viz.GradientMonitor)."""


class GradientMonitor:
    """Record per-parameter gradient statistics at every backward pass.

    ``history[name]`` is a list of ``{"step", "mean_abs", "norm"}`` records, one per backward.
    A warning (``GradientWarning``) is issued when a parameter's mean |grad| falls below
    ``vanish_below`` or its norm rises above ``explode_above``: once per parameter and kind,
    so that a long training run is not flooded (every step stays in ``history``).
    """

    def __init__(self, model, vanish_below: float = 1e-7, explode_above: float = 1e3,
                 warn: bool = True):
        if not hasattr(model, "named_parameters"):
            raise TypeError(f"GradientMonitor expected an nn.Module (it hooks every parameter "
                            f"from model.named_parameters()), but got {type(model).__name__}. "
                            "Hint: pass the model, e.g. GradientMonitor(model)")
        self.vanish_below = vanish_below
        self.explode_above = explode_above
        self.warn = warn
        self.history: dict[str, list] = {}
        self._handles = []
        self._steps: dict[str, int] = {}
        self._warned: set = set()  # (name, "vanishing" | "exploding") already reported
        for name, p in model.named_parameters():
            if p.requires_grad:
                self.history[name] = []
                self._steps[name] = 0
                self._handles.append(p.register_hook(self._hook_for(name)))

    def _hook_for(self, name):
        def hook(grad):
            g = np.asarray(grad._data, dtype=np.float64)
            mean_abs = float(np.mean(np.abs(g))) if g.size else 0.0
            norm = float(np.linalg.norm(g))
            step = self._steps[name]
            self._steps[name] = step + 1
            self.history[name].append({"step": step, "mean_abs": mean_abs, "norm": norm})
            self._check(name, step, mean_abs, norm)
            return None

        return hook

    def _check(self, name, step, mean_abs, norm) -> None:
        if not self.warn:
            return
        if not np.isfinite(norm) or norm > self.explode_above:
            kind = "exploding"
            text = (f"exploding gradient: '{name}' has gradient norm {norm:.3g} at step {step} "
                    f"(threshold {self.explode_above:g}); try a smaller learning rate or "
                    "torch.nn.utils.clip_grad_norm_")
        elif mean_abs < self.vanish_below:
            kind = "vanishing"
            text = (f"vanishing gradient: '{name}' has mean |grad| {mean_abs:.3g} at step "
                    f"{step} (threshold {self.vanish_below:g}); saturating activations "
                    "(sigmoid/tanh) in deep stacks are the usual cause, ReLU helps")
        else:
            return
        if (name, kind) not in self._warned:
            self._warned.add((name, kind))
            warnings.warn(text + " (reported once per parameter; every step is in "
                          ".history)", GradientWarning, stacklevel=3)

    def series(self, name: str, stat: str = "mean_abs") -> list[float]:
        return [r[stat] for r in self.history[name]]

    def summary(self) -> dict[str, float]:
        """The latest mean |grad| of every parameter."""
        return {n: (h[-1]["mean_abs"] if h else float("nan")) for n, h in self.history.items()}

    def plot(self, path: str | None = None, stat: str = "mean_abs", weights_only: bool = True):
        """Plot ``stat`` per layer over the recorded steps (log scale); save to ``path``."""
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4))
        for name, records in self.history.items():
            if weights_only and not name.endswith("weight") and any(
                    n.endswith("weight") for n in self.history):
                continue
            if records:
                ax.plot([r["step"] for r in records], [max(r[stat], 1e-30) for r in records],
                        label=name)
        ax.set_yscale("log")
        ax.xaxis.get_major_locator().set_params(integer=True)  # steps are whole numbers
        ax.set_xlabel("backward pass")
        ax.set_ylabel("mean |grad|" if stat == "mean_abs" else "gradient norm")
        ax.set_title("Gradient flow per layer")
        ax.legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig

    def remove(self) -> None:
        """Unhook every parameter."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False
