"""Memory-flatness check: many W1 training steps, resident memory (RSS) sampled at intervals.

    .venv/bin/python benchmarks/memory_flat.py                     # ember, 100,000 steps
    .venv/bin/python benchmarks/memory_flat.py --backend torch --steps 20000
    .venv/bin/python benchmarks/memory_flat.py --max-growth-mb 5   # exit 1 if RSS grows more

A library whose autograd graph, optimizer state or caches leak grows here; a healthy one is
flat after warm-up. Growth is measured from the first sample after --warmup steps to the end.
"""
from __future__ import annotations

import argparse
import importlib
import os
import resource
import sys
import time
from typing import Any

import numpy_floor
import tsteps
from workloads import W1_B64


def rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)


def make_step(backend: str) -> Any:
    if backend == "numpy":
        return numpy_floor.train_step(W1_B64)
    return tsteps.train_step(importlib.import_module(backend), W1_B64)


def run(backend: str, steps: int, every: int, warmup: int) -> tuple[list[tuple], float]:
    """Train; returns ([(step, rss_mb, loss, elapsed_s)], growth in MiB after warm-up)."""
    step = make_step(backend)
    samples: list[tuple] = []
    base = None
    t0 = time.perf_counter()
    for i in range(1, steps + 1):
        loss = step()
        if i == warmup:
            base = rss_mb()
        if i % every == 0 or i == steps:
            loss_v = float(tsteps.to_numpy(loss))
            samples.append((i, rss_mb(), loss_v, time.perf_counter() - t0))
            print(f"step {i:>7,}  rss {samples[-1][1]:8.1f} MiB  loss {loss_v:.4f}  "
                  f"{samples[-1][3]:6.1f} s", flush=True)
    growth = samples[-1][1] - (base if base is not None else samples[0][1])
    return samples, growth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="ember", choices=["ember", "torch", "numpy"])
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--every", type=int, default=10_000, help="sample RSS every N steps")
    ap.add_argument("--warmup", type=int, default=1_000, help="growth is measured from here")
    ap.add_argument("--max-growth-mb", type=float, default=None,
                    help="exit with status 1 if RSS grows by more than this after warm-up")
    args = ap.parse_args(argv)
    if args.backend == "torch":
        import torch
        torch.set_num_threads(1)   # small MLP: one thread is torch's fast setting
    print(f"memory_flat: W1 MLP 2-32-2 b64, Adam, backend={args.backend}, "
          f"{args.steps:,} steps; rss at start {rss_mb():.1f} MiB")
    try:
        _, growth = run(args.backend, args.steps, args.every, min(args.warmup, args.steps))
    except (ImportError, AttributeError, NotImplementedError) as exc:
        print(f"{args.backend} cannot run the W1 step yet: {type(exc).__name__}: {exc}")
        return 2
    print(f"RSS growth after step {min(args.warmup, args.steps):,}: {growth:+.1f} MiB")
    if args.max_growth_mb is not None and growth > args.max_growth_mb:
        print(f"FAIL: grew more than {args.max_growth_mb} MiB")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
