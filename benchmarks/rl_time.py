"""Wall-clock time for PPO and DQN to solve CartPole-v1 on ember versus PyTorch 2.13.

Same agent code (examples/rl), hyperparameters, seeds and step budget on both backends;
each run is a fresh subprocess so neither library's import or thread state leaks into the
other. The NumPy-seeded init and sampling make both backends start from identical weights,
but float rounding lets trajectories drift apart, and how many steps a run needs varies
from seed to seed (PPO: 57k to 121k on one library). So each backend runs several seeds
(each agent's default seed and the ones after it), and the headline ratio (target ember <=
0.5x torch) is that of the median times to solve; the median time per environment step is
reported beside it.

    python benchmarks/rl_time.py [--algos ppo,dqn] [--seeds N] [--set NAME=VALUE]

Writes benchmarks/results/rl_time.json (rl_time_<overrides>.json with --set, which passes a
hyperparameter override to every agent, e.g. --set hidden=64 for DQN's 64-64 network).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "rl_time.json"
CHILD = """
import json, sys
sys.path.insert(0, {rl_dir!r})
import {algo} as agent
res = agent.train({argv!r})
res.pop("returns")
print("RESULT " + json.dumps(res))
"""


def run_once(algo: str, backend: str, seed: int, overrides: tuple = ()) -> dict:
    """Train one agent in a subprocess; returns its summary or the error it died with."""
    argv = ["--backend", backend, "--seed", str(seed), "--quiet", "--no-plot"]
    for item in overrides:
        argv += ["--set", item]
    code = CHILD.format(rl_dir=str(ROOT / "examples" / "rl"), algo=algo, argv=argv)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    total = time.perf_counter() - start
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[len("RESULT "):])
            res["process_s"] = round(total, 2)  # includes interpreter and library import
            res["us_per_step"] = round(1e6 * res["wall_s"] / max(res["env_steps"], 1), 1)
            return res
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"algo": algo, "backend": backend, "seed": seed, "solved": False,
            "error": " | ".join(tail)}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.inf


def compare(runs: list[dict]) -> dict:
    """Per backend, the medians over seeds, and the ember/torch ratios of those medians.

    Time to solve is a random variable: float rounding sends the two libraries (and every
    seed) down different trajectories, and one seed's run can take twice the steps of
    another's. So each backend's time to solve is the median over its seeds; a run that
    did not solve counts as taking forever (it can only raise the median)."""
    out: dict = {}
    for backend in ("torch", "ember"):
        mine = [r for r in runs if r["backend"] == backend]
        ok = [r for r in mine if "error" not in r]
        if not ok:
            out[backend] = None
            continue
        out[backend] = {
            "seeds": [r["seed"] for r in ok],
            "solved": sum(bool(r["solved"]) for r in ok),
            "median_env_steps": _median([r["env_steps"] for r in ok]),
            "median_wall_s": _median([r["wall_s"] if r["solved"] else math.inf for r in ok]),
            "median_us_per_step": _median([r["us_per_step"] for r in ok]),
        }
    t, e = out["torch"], out["ember"]
    if t and e:
        ratio = e["median_wall_s"] / t["median_wall_s"]
        out["ratio_wall_to_solve"] = round(ratio, 3) if math.isfinite(ratio) else None
        out["ratio_per_step"] = round(e["median_us_per_step"] / t["median_us_per_step"], 3)
        out["meets_target_0.5x"] = bool(out["ratio_wall_to_solve"] is not None
                                        and out["ratio_wall_to_solve"] <= 0.5)
    return out


def versions() -> dict:
    info = {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg()}
    for name in ("numpy", "torch", "ember", "gymnasium"):
        try:
            mod = __import__(name)  # (ember.__version__ is the PyTorch API it follows)
            info[name] = (mod.version.ember_version if name == "ember"
                          else mod.__dict__.get("__version__", "?"))
        except Exception as exc:  # report, do not hide, a library that fails to import
            info[name] = f"import failed: {exc}"
    return info


def _carry_other_algos(report: dict, results: Path, measured: set) -> None:
    """Keep the earlier file's results for algorithms this run left out (``--algos dqn``
    re-measures DQN without losing PPO's numbers), each marked with the run it comes from."""
    try:
        old = json.loads(results.read_text())
    except (OSError, ValueError):
        return
    carried = {}
    for algo, summary in old.get("summary", {}).items():
        if algo in measured:
            continue
        report["summary"][algo] = summary
        report["runs"] += [r for r in old.get("runs", []) if r.get("algo") == algo]
        carried[algo] = old.get("carried", {}).get(algo) or {
            "date": old.get("date"), "versions": old.get("versions")}
    if carried:
        report["carried"] = carried


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algos", default="ppo,dqn")
    parser.add_argument("--seeds", type=int, default=5,
                        help="how many seeds, from each agent's own default seed up")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a hyperparameter override passed to every agent")
    args = parser.parse_args(argv)
    results = RESULTS
    if args.set:  # keep the default run's file; name this one after its overrides
        tag = "_".join(item.replace("=", "") for item in args.set)
        results = RESULTS.with_name(f"rl_time_{tag}.json")
    sys.path.insert(0, str(ROOT / "examples" / "rl"))
    report = {"versions": versions(), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
              "overrides": args.set, "runs": [], "summary": {}}
    for algo in args.algos.split(","):
        first = __import__(algo).SEED
        runs = []
        for seed in range(first, first + args.seeds):
            for backend in ("torch", "ember"):
                res = run_once(algo, backend, seed, tuple(args.set))
                print(json.dumps(res), flush=True)
                runs.append(res)
        report["runs"] += runs
        report["summary"][algo] = compare(runs)
        print(algo, json.dumps(report["summary"][algo]), flush=True)
    # Other work on the machine inflates both backends' times; keep the evidence.
    report["loadavg_at_end"] = os.getloadavg()
    _carry_other_algos(report, results, set(args.algos.split(",")))
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {results.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
