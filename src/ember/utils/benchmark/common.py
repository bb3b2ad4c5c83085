"""TaskSpec, Measurement and the number formatting helpers behind ``Timer`` and ``Compare``.

PyTorch computes several of these statistics on float32 tensors (the standard deviation
behind ``significant_figures``, the log10 in ``select_unit`` and ``trim_sigfig``); they are
done in float32 here too so that units, digit counts and trimmed values come out the same.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import textwrap
from typing import Any, Iterable, Iterator

import numpy as np

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig",
           "ordered_unique", "set_torch_threads"]

_MAX_SIGNIFICANT_FIGURES = 4
_MIN_CONFIDENCE_INTERVAL = 25e-9  # 25 ns: no claim of precision finer than this
_IQR_WARN_THRESHOLD = 0.1  # IQR / median above this: "system fluctuation"
_IQR_GROSS_WARN_THRESHOLD = 0.25  # above this: "significant environmental influence"

_f32 = np.float32


def _log10_f32(x: float) -> float:
    """log10 of float32(x), rounded to float32. Taken in float64 first: NumPy's float32
    log10 can be an ulp off (log10(float32(1e-6)) = -6.0000005), which would pick ns
    instead of us at exact powers of ten."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(_f32(np.log10(np.float64(_f32(x)))))


@dataclasses.dataclass(init=True, repr=False, eq=True, frozen=True)
class TaskSpec:
    """What a Timer measures (everything except its globals); hashable, so replicates of
    one task can be grouped."""
    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        """label (or a one-line stmt) plus ": sub_label"; a multi-line stmt is indented."""
        suffix = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + suffix
        if "\n" not in self.stmt:
            return self.stmt + suffix
        sub = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{sub}\n" + textwrap.indent(self.stmt, "  ")

    def setup_str(self) -> str:
        if self.setup == "pass" or not self.setup:
            return ""
        if "\n" in self.setup:
            return "setup:\n" + textwrap.indent(self.setup, "  ")
        return f"setup: {self.setup}"

    def summarize(self) -> str:
        """The task's lines in a Measurement's repr: title, description, setup."""
        parts = [self.title, self.description or "", self.setup_str()]
        # a multi-line section is followed by a blank line
        return "\n".join(p + "\n" if "\n" in p else p for p in parts if p)


_TASKSPEC_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))


def _quantile(sorted_vals: np.ndarray, q: float) -> float:
    """Linear-interpolation quantile of sorted values (torch.quantile's default)."""
    return float(np.quantile(sorted_vals, q))


@dataclasses.dataclass(init=True, repr=False)
class Measurement:
    """The result of a Timer measurement: ``raw_times`` are seconds per block of
    ``number_per_run`` runs; the statistics are per run."""
    number_per_run: int
    raw_times: list
    task_spec: TaskSpec
    metadata: dict | None = None  # for the user; merge() drops it

    def __post_init__(self) -> None:
        self._sorted_times: tuple = ()
        self._warnings: tuple = ()
        self._median = self._mean = self._p25 = self._p75 = -1.0

    def __getattr__(self, name: str) -> Any:
        # stmt, label, sub_label, num_threads, ... read through to the TaskSpec
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        return super().__getattribute__(name)

    @property
    def times(self) -> list:
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self) -> float:
        self._lazy_init()
        return self._median

    @property
    def mean(self) -> float:
        self._lazy_init()
        return self._mean

    @property
    def iqr(self) -> float:
        self._lazy_init()
        return self._p75 - self._p25

    @property
    def significant_figures(self) -> int:
        """Rough precision estimate (1 to 4) from the spread of the interquartile points:
        floor(log10(median / (1.645 * std / sqrt(n)))), the confidence interval at least
        25 ns. Used by ``Compare.trim_significant_figures``."""
        self._lazy_init()
        n_total = len(self._sorted_times)
        lo, hi = n_total // 4, int(math.ceil(_f32(3 * n_total / 4)))
        points = np.asarray(self._sorted_times[lo:hi], dtype=np.float32)
        std = float(points.std()) if points.size else float("nan")
        sqrt_n = float(np.sqrt(_f32(points.size)))
        ci = max(1.645 * std / sqrt_n, _MIN_CONFIDENCE_INTERVAL)
        figures = int(math.floor(_f32(_log10_f32(self._median / ci))))
        return min(max(figures, 1), _MAX_SIGNIFICANT_FIGURES)

    @property
    def has_warnings(self) -> bool:
        self._lazy_init()
        return bool(self._warnings)

    def _lazy_init(self) -> None:
        if not self.raw_times or self._sorted_times:
            return
        self._sorted_times = tuple(sorted(self.times))
        vals = np.asarray(self._sorted_times, dtype=np.float64)
        self._median = _quantile(vals, 0.5)
        self._mean = float(vals.mean())
        self._p25 = _quantile(vals, 0.25)
        self._p75 = _quantile(vals, 0.75)
        if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD):
            self._add_warning("This suggests significant environmental influence.")
        elif not self.meets_confidence(_IQR_WARN_THRESHOLD):
            self._add_warning("This could indicate system fluctuation.")

    def _add_warning(self, msg: str) -> None:
        rel_iqr = self.iqr / self.median * 100
        self._warnings += (f"  WARNING: Interquartile range is {rel_iqr:.1f}% of the median "
                           f"measurement.\n           {msg}",)

    def meets_confidence(self, threshold: float = _IQR_WARN_THRESHOLD) -> bool:
        return self.iqr / self.median < threshold

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def env(self) -> str | None:
        # PyTorch's property fails internally and falls back to the TaskSpec field, so a
        # Measurement's env is the raw value (None when unset); kept for identical tables.
        return self.task_spec.env

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self) -> str:
        """Header, task summary, median, IQR (from 4 measurements up), counts, warnings.

        The header names PyTorch's class path, as ``print(m)`` does under PyTorch."""
        self._lazy_init()
        n = len(self._sorted_times)
        unit, scale = select_unit(self._median)
        lines = [f"<torch.utils.benchmark.utils.common.Measurement object at {hex(id(self))}>"]
        lines.extend(self.task_spec.summarize().split("\n"))  # keeps its blank lines
        lines.append(f"  {'Median: ' if n > 1 else ''}{self._median / scale:.2f} {unit}")
        if n >= 4:
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} "
                         f"({self._p25 / scale:.2f} to {self._p75 / scale:.2f})")
        threads = self.num_threads
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if n > 1 else ','} "
                     f"{threads} thread{'s' if threads > 1 else ''}")
        lines.append("\n".join(self._warnings))
        return "\n".join(lines).strip()

    @staticmethod
    def merge(measurements: Iterable["Measurement"]) -> list:
        """One Measurement per distinct TaskSpec, times scaled to one run each
        (``number_per_run=1``), metadata dropped."""
        groups: dict = collections.defaultdict(list)
        for m in measurements:
            groups[m.task_spec].append(m)
        return [Measurement(number_per_run=1, raw_times=[t for m in g for t in m.times],
                            task_spec=spec, metadata=None) for spec, g in groups.items()]


def select_unit(t: float) -> tuple:
    """(unit, seconds per unit) that puts ``t`` seconds in [1, 1000)."""
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(int(_log10_f32(t) // 3), "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def unit_to_english(u: str) -> str:
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x: float, n: int) -> float:
    """``x`` rounded to ``n`` significant figures (3.14159, 2 -> 3.1), in float32 like
    PyTorch's."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    magnitude = int(math.ceil(_log10_f32(abs(x))))
    scale = 10 ** (magnitude - n)
    return float(np.round(_f32(x / scale)) * _f32(scale))


def ordered_unique(elements: Iterable[Any]) -> list:
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n: int) -> Iterator[None]:
    """Run the body with ember's BLAS thread count fixed at ``n``, then put back exactly
    what was there before (ember's adaptive policy included, when no count was fixed)."""
    from ember import threads

    prior = threads._Pool.fixed
    try:
        threads.set_num_threads(n)
        yield
    finally:
        if prior is None:
            threads._Pool.fixed = None  # the measured policy resumes on the next product
        else:
            threads.set_num_threads(prior)
