"""Results table, targets, machine info, and the JSON / Markdown files in benchmarks/results/."""
from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

COLUMNS = ["ember", "torch", "torch-1t", "numpy-1t", "numpy"]
HEADER = ["workload", "mode", "ember", "torch", "torch 1t", "numpy 1t", "numpy",
          "ember/torch", "ember/numpy", "target", "met"]


def _best(values: dict[str, float | None], *cols: str) -> str | None:
    """The faster of two thread settings (the stricter reference for ember)."""
    return min((k for k in cols if values.get(k)), key=lambda k: values[k], default=None)


def summarize(name: str, mode: str, unit: str, values: dict[str, float | None],
              errors: dict[str, str], notes: list[str], target: tuple | None) -> dict:
    """One result row with its ratios and whether ember meets its target."""
    np_best, t_best = _best(values, "numpy-1t", "numpy"), _best(values, "torch", "torch-1t")
    em = values.get("ember")
    r_torch = em / values[t_best] if em and t_best else None
    r_numpy = em / values[np_best] if em and np_best else None
    met = None
    if target and em:
        kind, limit = target
        ratio = {"torch": r_torch, "numpy": r_numpy, "abs": em}[kind]
        met = ratio is not None and ratio <= limit
    return {"workload": name, "mode": mode, "unit": unit, "values": values,
            "errors": errors, "notes": notes, "numpy_best": np_best, "torch_best": t_best,
            "ember_over_torch": r_torch, "ember_over_numpy": r_numpy,
            "target": list(target) if target else None, "met": met}


def _num(v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def _ratio(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def _target(t: list | None) -> str:
    if not t:
        return ""
    kind, limit = t
    return {"torch": f"e/t <= {limit}", "numpy": f"e/n <= {limit}",
            "abs": f"<= {limit:g} ms"}[kind]


def markdown_table(rows: list[dict]) -> str:
    """Markdown table; µs per step unless the mode says otherwise."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in rows:
        vals = [_num(r["values"].get(c)) for c in COLUMNS]
        for best in (r["numpy_best"], r["torch_best"]):   # the references the ratios use
            if best:
                i = COLUMNS.index(best)
                vals[i] = f"**{vals[i]}**"
        met = {True: "yes", False: "NO", None: ""}[r["met"]]
        flag = " (!)" if r["notes"] else ""
        lines.append("| " + " | ".join([r["workload"], r["mode"] + flag, *vals,
                                        _ratio(r["ember_over_torch"]),
                                        _ratio(r["ember_over_numpy"]),
                                        _target(r["target"]), met]) + " |")
    return "\n".join(lines)


def footnotes(rows: list[dict]) -> str:
    """n/a reasons and mismatch notes, deduplicated."""
    seen: dict[str, list[str]] = {}
    for r in rows:
        tag = f"{r['workload']} {r['mode']}"
        for col, why in r["errors"].items():
            seen.setdefault(f"{col} n/a: {why}", []).append(tag)
        for note in r["notes"]:
            seen.setdefault(note, []).append(tag)
    out = []
    for text, tags in seen.items():
        where = ", ".join(tags) if len(tags) <= 3 else f"{len(tags)} rows"
        out.append(f"- {text} ({where})")
    return "\n".join(out)


LEGEND = ("Times are medians in µs per step (import: ms) over interleaved repetitions. "
          "torch = PyTorch eager with its default threads, torch 1t = torch.set_num_threads(1); "
          "numpy = hand-written NumPy floor with OpenBLAS's default threads, numpy 1t = under "
          "threadpoolctl's 1-thread BLAS limit. Bold = the faster thread setting of torch and of "
          "numpy: the references for ember/torch and ember/numpy. "
          "ember runs with its own default thread policy. (!) = first loss/output disagreed.")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _loadavg() -> list[float] | None:
    """Other processes' load: multi-threaded columns suffer most on a busy machine."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_info(versions: dict[str, str], blas: list[dict]) -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions, "blas": blas,
            "git_commit": commit, "loadavg_1_5_15": _loadavg(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def write_outputs(out_dir: Path, rows: list[dict], machine: dict, args: dict) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"machine": machine, "args": args, "rows": rows}
    (out_dir / "latest.json").write_text(json.dumps(data, indent=2) + "\n")
    v = machine["versions"]
    head = (f"Machine: {machine['cpu']}, {machine['cores']} cores; numpy {v.get('numpy')}, "
            f"torch {v.get('torch')}, ember {v.get('ember')}; {machine['date']}; "
            f"load average at the end {machine['loadavg_1_5_15']}"
            f"{' (quick run)' if args.get('quick') else ''}.")
    text = "\n\n".join([head, markdown_table(rows), LEGEND, footnotes(rows)]).strip() + "\n"
    (out_dir / "latest.md").write_text(text)
