"""Helpers for tests/test_seeds.py: extract the seed tutorials' code, run it, compare output.

The seeds are tutorial pages in ``<repo>/../shared/seeds/*.txt``. Each page's code blocks
run in order in one namespace (they share variables), in a subprocess, once with
``torch`` aliased to ember (ember.run) and once with real PyTorch; stdout is captured
per block. Run as a script, this file is that subprocess's driver::

    python tests/seeds_support.py --backend ember|torch --input blocks.json --output out.json
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import io
import json
import linecache
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _seeds_dir() -> Path:
    """The seed pages: $EMBER_SEEDS_DIR, else ../shared/seeds beside this checkout, else beside
    the repository it was cloned from (CI runs a clean clone made elsewhere, e.g. in /tmp)."""
    if os.environ.get("EMBER_SEEDS_DIR"):
        return Path(os.environ["EMBER_SEEDS_DIR"])
    here = REPO_ROOT.parent / "shared" / "seeds"
    if here.is_dir():
        return here
    try:
        origin = subprocess.run(["git", "-C", str(REPO_ROOT), "config", "remote.origin.url"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        origin = ""
    if origin and "://" not in origin:  # a local path, not a network remote
        return Path(origin).resolve().parent / "shared" / "seeds"
    return here


SEEDS_DIR = _seeds_dir()

# Pages whose code lost its ```python fences when they were saved as text: their blocks are
# given by 1-based inclusive line ranges, with the first and last line's text as a guard
# (a changed seed file then fails loudly instead of running the wrong lines).
UNFENCED_BLOCKS: dict[str, list[tuple[int, int, str, str]]] = {
    "001": [
        (20, 24, "import torch", "print(x.grad) # tensor(4.)"),
        (35, 39, "import torch", "print(x.grad) # tensor([2., 4., 6.])"),
        (50, 54, "x = torch.tensor(1.0, requires_grad=True)",
         "print(x.grad, y.grad) # tensor(2.) tensor(4.)"),
        (60, 60, "| |", "| |"),  # the page's "Code example": its code was lost
    ],
    "004": [
        (55, 66, "def grad_fx(x: float) -> float:", 'print("Final x:", x)'),
        (70, 86, "import numpy as np", "plt.show()"),
        (90, 106, "import torch", 'print("Norm at end:", torch.norm(x).item())'),
        (112, 130, "init_x = 5.0", "plt.show()"),
        (159, 219, "import torch", "plt.show()"),
    ],
}

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def seed_files() -> dict[str, Path]:
    """Seed id ('000') -> file."""
    return {p.name[:3]: p for p in sorted(SEEDS_DIR.glob("*.txt"))}


def _unfenced_blocks(seed_id: str, lines: list[str]) -> list[str]:
    blocks = []
    for start, end, first, last in UNFENCED_BLOCKS[seed_id]:
        chunk = lines[start - 1:end]
        if not chunk or chunk[0].rstrip() != first or chunk[-1].rstrip() != last:
            raise ValueError(f"seed {seed_id}: lines {start}-{end} are not the expected block; "
                             "the seed file changed, update UNFENCED_BLOCKS")
        blocks.append("\n".join(chunk) + "\n")
    return blocks


def seed_blocks(seed_id: str) -> list[str]:
    """The code blocks of one seed, in page order (block n is index n - 1)."""
    text = seed_files()[seed_id].read_text(encoding="utf-8")
    if seed_id in UNFENCED_BLOCKS:
        return _unfenced_blocks(seed_id, text.splitlines())
    return _FENCE.findall(text)


# --- running (driver side) ----------------------------------------------------------------

def _quiet_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.show = lambda *args, **kwargs: None


def _without_alias_frames(exc: BaseException) -> BaseException:
    # Neither the driver's exec frame nor the alias finder's say which user call failed.
    exc = exc.with_traceback(exc.__traceback__.tb_next if exc.__traceback__ else None)
    run = sys.modules.get("ember.run")
    return run._strip_runner_frames(exc) if run is not None else exc


def _run_block(code: str, filename: str, namespace: dict) -> dict:
    # Registering the source lets tracebacks show the failing line of the block.
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    out, err = io.StringIO(), io.StringIO()
    error = None
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            exec(compile(code, filename, "exec"), namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: B036 - a block's failure is a result
            error = "".join(traceback.format_exception(_without_alias_frames(exc)))
    import matplotlib.pyplot as plt

    plt.close("all")
    return {"stdout": out.getvalue(), "stderr": err.getvalue(), "error": error,
            "seconds": round(time.perf_counter() - start, 3)}


def run_blocks(blocks: list[dict], backend: str) -> dict:
    """Run ``blocks`` ([{'label', 'code'}]) in order in one namespace; per-block results."""
    _quiet_matplotlib()
    if backend == "ember":
        import ember.run

        ember.run.install()
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    results = {b["label"]: _run_block(b["code"], f"<{b['label']}>", namespace) for b in blocks}
    torch_module = sys.modules.get("torch")
    real_torch = any(getattr(m, "__name__", None) == "torch" for m in list(sys.modules.values()))
    return {"backend": backend, "torch_module": getattr(torch_module, "__name__", None),
            "real_torch_loaded": real_torch, "blocks": results}


def _driver_main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["ember", "torch"], required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    blocks = json.loads(Path(args.input).read_text())
    Path(args.output).write_text(json.dumps(run_blocks(blocks, args.backend)))
    return 0


# --- running (test side) ------------------------------------------------------------------

def run_in_subprocesses(blocks: list[dict], backends: list[str],
                        timeout: float = 600) -> list[dict]:
    """Run the same blocks once per backend, each in its own fresh interpreter, in parallel."""
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT / "src")] + [p for p in [env.get("PYTHONPATH")] if p])
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "blocks.json"
        src.write_text(json.dumps(blocks))
        procs = []
        for i, backend in enumerate(backends):
            out = Path(tmp) / f"out{i}.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--backend", backend,
                   "--input", str(src), "--output", str(out)]
            procs.append((out, subprocess.Popen(cmd, env=env, cwd=tmp, text=True,
                                                stdout=subprocess.PIPE,
                                                stderr=subprocess.STDOUT)))
        results = []
        for out, proc in procs:
            log, _ = proc.communicate(timeout=timeout)
            if proc.returncode != 0 or not out.exists():
                raise RuntimeError(f"seed driver crashed (rc={proc.returncode}):\n{log}")
            results.append(json.loads(out.read_text()))
    return results


# --- comparing ----------------------------------------------------------------------------

# A number is digits with an optional fraction and exponent; a trailing bare "." (PyTorch's
# "tensor(4.)") stays in the text, so "4." and "4.0000" do not count as the same print.
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def split_numbers(line: str) -> tuple[str, list[str]]:
    """(line with every number replaced by '#', the number tokens)."""
    tokens = _NUMBER.findall(line)
    return _NUMBER.sub("#", line), tokens


def _decimals(token: str) -> int | None:
    mantissa = re.split(r"[eE]", token)[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def numbers_close(got: str, want: str, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    """Within rtol/atol, or within one unit of the last printed digit when both tokens are
    printed with the same (fixed, <= 6) number of decimals: the values may straddle a
    rounding boundary of the print format."""
    a, b = float(got), float(want)
    if math.isclose(a, b, rel_tol=rtol, abs_tol=atol):
        return True
    digits = _decimals(got)
    if "e" in got.lower() or "e" in want.lower() or digits != _decimals(want) or digits > 6:
        return False
    return abs(a - b) <= 10.0 ** -digits * 1.000001


def compare_output(got: str, want: str, numeric: bool) -> list[str]:
    """Differences between two captured stdouts; empty when they agree.

    numeric=True: same lines, same text, numbers close. numeric=False (output depends on
    random draws): same number of lines and same text around the numbers.
    """
    got_lines, want_lines = got.splitlines(), want.splitlines()
    problems = []
    if len(got_lines) != len(want_lines):
        problems.append(f"{len(got_lines)} lines printed, PyTorch printed {len(want_lines)}")
    for i, (g, w) in enumerate(zip(got_lines, want_lines), start=1):
        g_text, g_nums = split_numbers(g)
        w_text, w_nums = split_numbers(w)
        if g_text != w_text:
            problems.append(f"line {i} text differs:\n  ember: {g!r}\n  torch: {w!r}")
        elif numeric:
            bad = [(x, y) for x, y in zip(g_nums, w_nums) if not numbers_close(x, y)]
            if bad:
                pairs = ", ".join(f"{x} vs {y}" for x, y in bad)
                problems.append(f"line {i} numbers differ (ember vs torch: {pairs}):\n"
                                f"  ember: {g!r}\n  torch: {w!r}")
    return problems


if __name__ == "__main__":
    sys.exit(_driver_main())
