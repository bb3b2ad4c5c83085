"""Recurrent layers on ember vs PyTorch: forward without grad and forward+backward, medians.

LSTM and GRU at (input 8, hidden 64, seq 1, batch 1), one acting step of a recurrent RL
policy (its fwd row is the no_grad call made every environment step), (input 8, hidden 64,
seq 32, batch 8), a recurrent policy's update, and (input 64, hidden 256, seq 16, batch 32). Both libraries run single-threaded; repetitions are
interleaved (ember, torch, ember, torch, ...) so a noisy machine slows both alike.

    OMP_NUM_THREADS=1 python benchmarks/rnn_step.py [--repeats N] [--kinds LSTM,GRU]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402

CASES = [(8, 64, 1, 1), (8, 64, 32, 8), (64, 256, 16, 32)]  # (input, hidden, seq, batch)


def _steps(lib, kind: str, case: tuple, rng: np.random.Generator) -> tuple:
    """(forward without grad, forward+backward) callables for one library."""
    n_in, hidden, seq, batch = case
    lib.manual_seed(0)
    layer = getattr(lib.nn, kind)(n_in, hidden)
    x_np = rng.standard_normal((seq, batch, n_in)).astype(np.float32)
    x = lib.tensor(x_np)
    xg = lib.tensor(x_np, requires_grad=True)

    def fwd():
        with lib.no_grad():
            return layer(x)

    def fwd_bwd():
        out, _ = layer(xg)
        out.sum().backward()

    return fwd, fwd_bwd


def _block(fn, calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def measure(kind: str, case: tuple, repeats: int) -> dict:
    """Median seconds per call of each (library, mode), repetitions interleaved."""
    rng = np.random.default_rng(0)
    fns = {}
    for name, lib in (("ember", ember), ("torch", torch)):
        fwd, fwd_bwd = _steps(lib, kind, case, rng)
        fns[(name, "fwd")], fns[(name, "fwd+bwd")] = fwd, fwd_bwd
    calls = {}
    for key, fn in fns.items():  # warm up; size blocks to ~20 ms
        fn()
        est = _block(fn, 3)
        calls[key] = max(1, int(0.02 / max(est, 1e-6)))
    times = {key: [] for key in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            time.sleep(0.005)  # let the previous block's after-effects (clock, caches) settle
            times[key].append(_block(fn, calls[key]))
    return {key: statistics.median(v) for key, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--kinds", default="LSTM,GRU")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'layer':6} {'in,hid,seq,batch':18} {'mode':8} {'ember ms':>9} {'torch ms':>9} "
          f"{'ratio':>6}")
    for kind in args.kinds.split(","):
        for case in CASES:
            med = measure(kind, case, args.repeats)
            for mode in ("fwd", "fwd+bwd"):
                e, t = med[("ember", mode)], med[("torch", mode)]
                print(f"{kind:6} {','.join(map(str, case)):18} {mode:8} {e * 1e3:9.3f} "
                      f"{t * 1e3:9.3f} {e / t:6.2f}", flush=True)


if __name__ == "__main__":
    main()
