"""Rejection samplers on ember vs PyTorch (same draws in both): Gamma, Beta and Dirichlet
.sample() and torch.poisson at 128 and 4096 values, medians in microseconds. Repetitions are
interleaved (ember, torch, ember, ...) so a noisy machine slows both alike.

    OMP_NUM_THREADS=1 python benchmarks/gamma_sampling.py [--repeats N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

import ember  # noqa: E402


def _cases(lib, n: int) -> dict:
    D = lib.distributions
    return {
        "Gamma(0.3)": D.Gamma(lib.full((n,), 0.3), 1.0).sample,
        "Gamma(2.5)": D.Gamma(lib.full((n,), 2.5), 1.0).sample,
        "Gamma(50)": D.Gamma(lib.full((n,), 50.0), 1.0).sample,
        "Beta(2,3)": D.Beta(lib.full((n,), 2.0), lib.full((n,), 3.0)).sample,
        "Dirichlet(n/4 x 4)": D.Dirichlet(lib.rand(n // 4, 4) + 0.5).sample,
        "poisson(3)": lambda: lib.poisson(lib.full((n,), 3.0)),
        "poisson(30)": lambda: lib.poisson(lib.full((n,), 30.0)),
    }


def _time(fn, number: int) -> float:
    t = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t) / number * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    print(f"{'case':22s} {'n':>5s} {'ember us':>9s} {'torch us':>9s} {'ratio':>6s}")
    for n in (128, 4096):
        ours, theirs = _cases(ember, n), _cases(torch, n)
        number = 20 if n == 128 else 2
        for name in ours:
            e, t = [], []
            for _ in range(args.repeats):
                e.append(_time(ours[name], number))
                t.append(_time(theirs[name], number))
            me, mt = statistics.median(e), statistics.median(t)
            print(f"{name:22s} {n:5d} {me:9.0f} {mt:9.1f} {me / mt:6.1f}")


if __name__ == "__main__":
    main()
