"""ember benchmark suite: ember vs PyTorch eager vs a hand-written NumPy floor.

    .venv/bin/python benchmarks/run.py            # full run (~4 minutes)
    .venv/bin/python benchmarks/run.py --quick    # short run (~1 minute)
    .venv/bin/python benchmarks/run.py --only W1 --only micro   # substring filter on rows

Every contender starts from the same seeded weights and data; first losses (or outputs) are
checked against PyTorch (rtol 1e-4) before timing. Results: a table on stdout, and
benchmarks/results/latest.json and latest.md. ember columns read "n/a" (with the reason)
for any workload that ember cannot run yet.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import threadpoolctl
import torch

import numpy_floor
import report
import tsteps
from selfcheck import run_selfcheck
from timer import Contender, describe, interleave, prepare
from workloads import ROWS, Row

HERE = Path(__file__).resolve().parent
RTOL, ATOL = 1e-4, 1e-6
BLAS = threadpoolctl.ThreadpoolController()
BLAS_DEFAULT = max((i["num_threads"] for i in BLAS.info() if i["user_api"] == "blas"),
                   default=1)
TORCH_DEFAULT = torch.get_num_threads()


def load_ember() -> tuple[Any, str | None]:
    """(ember module or None, reason it is unavailable)."""
    try:
        import ember
        return ember, None
    except Exception as exc:   # noqa: BLE001 - ember is being written; any failure is "n/a"
        return None, describe(exc)


def torch_threads(n: int):
    """Context manager factory: run a torch block with n intra-op threads."""
    class _Ctx:
        def __enter__(self) -> None:
            torch.set_num_threads(n)

        def __exit__(self, *exc: Any) -> None:
            torch.set_num_threads(TORCH_DEFAULT)
    return _Ctx


def blas_threads(n: int):
    """Context manager factory: limit NumPy's BLAS to n threads for a block."""
    return lambda: BLAS.limit(limits=n, user_api="blas")


def contenders_for(row: Row, ember: Any, ember_err: str | None) -> list[Contender]:
    bt, bn, p = tsteps.BUILDERS[row.kind], numpy_floor.BUILDERS[row.kind], row.problem
    em = Contender("ember", lambda: bt(ember, p), optional=True, error=ember_err)
    # Multi-threaded blocks leave worker threads spinning for up to ~0.1 s (OpenBLAS's
    # THREAD_TIMEOUT); whoever ran next paid for it, so those blocks wait it out.
    settle = 0.12 if max(TORCH_DEFAULT, BLAS_DEFAULT) > 1 else 0.001
    return [em,
            Contender("torch", lambda: bt(torch, p), torch_threads(TORCH_DEFAULT),
                      settle=settle),
            Contender("torch-1t", lambda: bt(torch, p), torch_threads(1)),
            Contender("numpy-1t", lambda: bn(p), blas_threads(1)),
            Contender("numpy", lambda: bn(p), blas_threads(BLAS_DEFAULT), settle=settle)]


def check_agreement(row: Row, cs: list[Contender]) -> None:
    """First losses/outputs must match torch's; a NumPy-floor mismatch is a benchmark bug."""
    ref = tsteps.to_numpy(cs[1].first)
    for c in cs:
        if c.error or c is cs[1]:
            continue
        try:
            got = tsteps.to_numpy(c.first)
            ok = got.shape == ref.shape and np.allclose(got, ref, rtol=RTOL, atol=ATOL)
        except Exception as exc:   # noqa: BLE001 - e.g. ember tensor without .numpy()
            got, ok = describe(exc), False
        if ok:
            continue
        msg = f"{c.name} first result {np.ravel(got)[:3]} != torch {ref.ravel()[:3]}"
        if not c.optional:
            raise RuntimeError(f"{row.name} [{row.mode}]: {msg}")
        c.note = msg


def bench_row(row: Row, ember: Any, ember_err: str | None, cfg: dict) -> dict:
    cs = contenders_for(row, ember, ember_err)
    for c in cs:
        prepare(c)
    check_agreement(row, cs)
    interleave(cs, cfg["budget"], cfg["rounds"], cfg["warm"])
    values = {c.name: c.median_us for c in cs}
    errors = {c.name: c.error for c in cs if c.error}
    notes = [c.note for c in cs if c.note]
    return report.summarize(row.name, row.mode, "us", values, errors, notes, row.target)


def import_seconds(module: str, env: dict | None = None) -> tuple[float | None, str | None]:
    """Time `import module` in a fresh interpreter (interpreter start-up excluded)."""
    code = (f"import time; t = time.perf_counter(); import {module}; "
            "print(time.perf_counter() - t)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env=env)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or ["failed"]
        return None, lines[-1][:160]
    return float(proc.stdout.strip().splitlines()[-1]), None


def _bytecode_env(cache: str) -> dict:
    """The environment of an installed package: bytecode compiled once and reused.

    pip compiles NumPy's and PyTorch's modules when it installs them, but ember here is an
    editable install, and this machine sets PYTHONDONTWRITEBYTECODE, so a plain
    `import ember` compiles all of its ~90 modules every time (~50 ms) while NumPy and torch
    load theirs. PYTHONPYCACHEPREFIX gives every library the same footing: one warm-up
    import writes the bytecode of all three into `cache`, and the timed imports read it.
    """
    env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def bench_import(reps: int) -> list[dict]:
    """Median cold-import times in ms, interleaving ember / torch / numpy subprocesses: every
    library with its bytecode (the target row), then ember compiled from source each time."""
    mods = {"ember": "ember", "torch": "torch", "numpy": "numpy"}
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        cached = _bytecode_env(cache)
        for mod in mods.values():  # warm-up: compile once into the cache
            import_seconds(mod, cached)
        for label, env, cols, target in (
                ("import", cached, mods, ("abs", 150.0)),
                ("import, no bytecode", None, {"ember": "ember", "numpy": "numpy"}, None)):
            times: dict[str, list[float]] = {k: [] for k in cols}
            errors: dict[str, str] = {}
            for _ in range(reps):
                for col, mod in cols.items():
                    if col in errors:
                        continue
                    t, err = import_seconds(mod, env)
                    if err:
                        errors[col] = err
                    else:
                        times[col].append(t * 1e3)
            values = {k: (statistics.median(v) if v else None) for k, v in times.items()}
            mode = "cold import, ms" if env is not None else "compiling ember, ms"
            rows.append(report.summarize(label, mode, "ms", values, errors, [], target))
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short run, about a minute")
    ap.add_argument("--only", action="append", default=[],
                    help="run rows whose name or mode contains this text (repeatable)")
    ap.add_argument("--no-import", action="store_true", help="skip the import-time row")
    ap.add_argument("--skip-selfcheck", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "results",
                    help="directory for latest.json / latest.md")
    ap.add_argument("--no-save", action="store_true", help="print only; write no files")
    return ap.parse_args(argv)


def config(quick: bool) -> dict:
    """Seconds of timing per row (all contenders), interleaved rounds, warm-up per contender."""
    if quick:
        return {"budget": 2.5, "rounds": 11, "warm": 0.15, "import_reps": 3}
    return {"budget": 12.0, "rounds": 31, "warm": 0.5, "import_reps": 7}


def selected(rows: list[Row], only: list[str]) -> list[Row]:
    if not only:
        return rows
    return [r for r in rows if any(s.lower() in f"{r.name} {r.mode}".lower() for s in only)]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = config(args.quick)
    ember, ember_err = load_ember()
    print(f"ember: {'loaded' if ember else 'n/a (' + str(ember_err) + ')'}", flush=True)
    if not args.skip_selfcheck:
        errs = run_selfcheck(torch, steps=5)
        if errs:
            print("selfcheck FAILED: the NumPy floor does not follow torch:\n  "
                  + "\n  ".join(errs))
            return 1
        print("selfcheck: NumPy floor matches torch's trajectory (5 steps, all rows)")
    t0, results = time.perf_counter(), []
    for row in selected(ROWS, args.only):
        results.append(bench_row(row, ember, ember_err, cfg))
        print(f"  {row.name} [{row.mode}] done ({time.perf_counter() - t0:.0f} s)", flush=True)
    if not args.no_import and (not args.only or any("import" in s for s in args.only)):
        results.extend(bench_import(cfg["import_reps"]))
    print("\n" + report.markdown_table(results) + "\n\n" + report.footnotes(results))
    if not args.no_save:
        versions = {"numpy": np.__version__, "torch": torch.__version__,
                    "ember": ember.version.ember_version if ember else "n/a"}
        machine = report.machine_info(versions, BLAS.info())
        report.write_outputs(args.out, results, machine, vars(args) | {"out": str(args.out)})
        print(f"\nwrote {args.out / 'latest.json'} and {args.out / 'latest.md'}")
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
