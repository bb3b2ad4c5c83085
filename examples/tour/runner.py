"""Runs the tour's sections in order and writes out/summary.txt."""
from __future__ import annotations

import time
from pathlib import Path

from . import (s1_descent, s2_autograd, s3_backprop, s4_classifier, s5_regression,
               s6_gradflow, s7_vanishing, s8_tools)
from .backend import NAME, torch
from .common import Context, header

SECTIONS = [
    ("Gradient descent: learning rates on x^2 and a 2-D bowl", s1_descent),
    ("Autograd vs derivatives by hand", s2_autograd),
    ("Backpropagation by hand in a two-layer network", s3_backprop),
    ("MLP classifier on two Gaussian blobs", s4_classifier),
    ("MLP regression of sin(x) with MSE", s5_regression),
    ("Gradient flow per layer during training", s6_gradflow),
    ("Vanishing gradients: sigmoid vs ReLU, 10 layers deep", s7_vanishing),
    ("See the gradients: graph, chain-rule trace, gradcheck, monitor, anomaly mode", s8_tools),
]


def run_tour(out_dir: Path, fast: bool = False) -> tuple[dict[int, dict], Context]:
    """Run every section; returns each section's results (keyed 1..8) and the context."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context(out_dir=out_dir, fast=fast)
    results = {}
    for number, (title, module) in enumerate(SECTIONS, start=1):
        header(number, title)
        start = time.perf_counter()
        results[number] = module.run(ctx)
        print(f"  ({time.perf_counter() - start:.1f} s)", flush=True)
    return results, ctx


def write_summary(ctx: Context, seconds: float) -> Path:
    """A short plain-text record of what the tour found, next to its figures."""
    lines = [f"ember tour on backend '{NAME}' ({torch.__name__}), "
             f"{'fast' if ctx.fast else 'full'} mode, {seconds:.1f} s", ""]
    lines += ctx.summary
    lines += ["", "figures:"] + [f"  {p.name}" for p in ctx.files]
    path = ctx.out_dir / "summary.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(out_dir: Path, fast: bool = False) -> dict[int, dict]:
    """The whole tour with console output; returns each section's results."""
    print(f"ember tour: backend '{NAME}', writing to {out_dir}"
          + (" (fast mode)" if fast else ""), flush=True)
    start = time.perf_counter()
    results, ctx = run_tour(out_dir, fast)
    seconds = time.perf_counter() - start
    path = write_summary(ctx, seconds)
    print(f"\n=== Summary {'=' * 64}")
    print(path.read_text(), end="")
    print(f"wrote {path}; tour finished in {seconds:.1f} s")
    return results
