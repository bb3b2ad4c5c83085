"""Shared plumbing for the tour sections: output folder, figures, progress, summary."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .backend import torch  # noqa: E402


@dataclass
class Context:
    """What every section gets: where to write, how long to train, the summary so far."""

    out_dir: Path
    fast: bool = False
    summary: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def steps(self, full: int, fast: int) -> int:
        """Training length: the full value for `make demo`, the short one for tests."""
        return fast if self.fast else full

    def note(self, line: str) -> None:
        """Print a result line and keep it for out/summary.txt."""
        print(f"  {line}", flush=True)
        self.summary.append(line)

    def save(self, fig: plt.Figure, name: str) -> Path:
        """Write a figure as out/<name>.png and close it (figures are never shown)."""
        path = self.out_dir / f"{name}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        self.files.append(path)
        print(f"  wrote {path}", flush=True)
        return path


def header(number: int, title: str) -> None:
    """A visible banner so the console output reads like a table of contents."""
    print(f"\n=== {number}. {title} " + "=" * max(0, 62 - len(title)), flush=True)
    sys.stdout.flush()


def progress(step: int, total: int, text: str, every: int) -> None:
    """Print a training line every `every` steps and on the last one."""
    if step % every == 0 or step == total:
        width = len(str(total))
        print(f"    [{step:>{width}}/{total}] {text}", flush=True)


def seed_everything(seed: int) -> np.random.Generator:
    """Seed the tensor library and return a NumPy generator for data."""
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def fast_from_env() -> bool:
    """EMBER_TOUR_FAST=1 trains for far fewer steps (used by the tests)."""
    return os.environ.get("EMBER_TOUR_FAST", "0") not in ("", "0", "false", "no")
