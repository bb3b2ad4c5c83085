"""Self-check: the NumPy floor must follow PyTorch's trajectory, not just its first loss.

For every workload, run a few steps with PyTorch and with the hand-written NumPy floor from
the same weights and data, and compare each step's loss (or output) and the final parameters.
Run directly (`python benchmarks/selfcheck.py`) or via run.py, which calls it before timing.
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

import numpy_floor
import tsteps
from workloads import ROWS, Row

RTOL = 1e-4
ATOL = 1e-6
# Parameters: Adam's update m/(sqrt(v)+eps) is sign-like for gradients near eps, and a ReLU
# unit at its kink can flip, so float32 summation-order differences (MKL vs OpenBLAS) move a
# handful of weights by up to a few lr-sized steps. Allow that many outliers, and no more.
PARAM_ATOL = 1e-5
MAX_OUTLIERS = 1e-4     # fraction of a tensor's elements
MAX_PARAM_DIFF = 1e-4   # ~0.1 lr even for outliers


def _close(a: Any, b: Any, atol: float = ATOL) -> bool:
    return bool(np.allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                            rtol=RTOL, atol=atol))


def _params_close(p: np.ndarray, q: np.ndarray) -> bool:
    if p.shape != q.shape:
        return False
    diff = np.abs(p.astype(np.float64) - q)
    outliers = diff > PARAM_ATOL + RTOL * np.abs(q)
    return outliers.mean() <= MAX_OUTLIERS and diff.max() <= MAX_PARAM_DIFF


def check_row(T: Any, row: Row, steps: int) -> list[str]:
    """Problems found on one row (empty when the floor matches T step for step)."""
    st = tsteps.BUILDERS[row.kind](T, row.problem)
    sn = numpy_floor.BUILDERS[row.kind](row.problem)
    errs = []
    for k in range(steps):
        a, b = tsteps.to_numpy(st()), tsteps.to_numpy(sn())
        if not _close(a, b):
            errs.append(f"step {k}: torch {a.ravel()[:3]} vs numpy {b.ravel()[:3]}")
    if hasattr(st, "model"):
        pt = [p.detach().numpy() for p in st.model.parameters()]
        for i, (p, q) in enumerate(zip(pt, sn.model.params)):
            if not _params_close(p, q):
                errs.append(f"param {i} differs after {steps} steps "
                            f"(max abs diff {np.abs(p - q).max():.2e})")
    if hasattr(st, "inputs"):   # W5: compare gradients too
        grads = [t.grad.numpy() for t in st.inputs]
        if not _close(grads, sn.grads):
            errs.append(f"grads torch {grads} vs numpy {sn.grads}")
    return [f"{row.name} [{row.mode}] {e}" for e in errs]


def run_selfcheck(T: Any, steps: int = 5) -> list[str]:
    """Check every row; returns the list of mismatches (empty means the floor is faithful)."""
    errs: list[str] = []
    for row in ROWS:
        errs += check_row(T, row, steps)
    return errs


def main() -> int:
    import torch
    errs = run_selfcheck(torch)
    for e in errs:
        print("MISMATCH", e)
    print("selfcheck:", "FAILED" if errs else f"numpy floor matches torch on {len(ROWS)} rows")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
