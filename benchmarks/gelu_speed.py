"""F.gelu (approximate='none') and erf on float32: ember vs PyTorch medians (interleaved).

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/gelu_speed.py
"""
from __future__ import annotations

import statistics
import timeit

import numpy as np
import torch

import ember


def _median_us(fn, n: int) -> float:
    number = max(1, 20_000 // max(n // 64, 1))
    return statistics.median(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6


def main() -> None:
    torch.set_num_threads(1)
    for n in (64, 4096, 262_144, 1_000_000):
        x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
        et, tt = ember.tensor(x), torch.tensor(x)
        eg, tg = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        cases = {
            "gelu fwd": (lambda: ember.nn.functional.gelu(et), lambda: torch.nn.functional.gelu(tt)),
            "gelu fwd+bwd": (lambda: ember.nn.functional.gelu(eg).sum().backward(),
                             lambda: torch.nn.functional.gelu(tg).sum().backward()),
            "erf": (lambda: ember.erf(et), lambda: torch.erf(tt)),
        }
        for name, (fe, ft) in cases.items():
            te, tto = [], []
            for _ in range(3):  # interleave ember and torch
                te.append(_median_us(fe, n))
                tto.append(_median_us(ft, n))
            e, t = min(te), min(tto)
            print(f"{name:13s} n={n:>8d}  ember {e:9.1f} us  torch {t:8.1f} us  ratio {e / t:6.1f}")


if __name__ == "__main__":
    main()
