"""``Timer``: timeit with warmup, a fixed thread count and replicate measurements.

ember runs on the CPU only, so the default clock is ``timeit.default_timer`` (there is no
device to synchronize) and Python is the only language.
"""

from __future__ import annotations

import enum
import textwrap
import timeit
from typing import Any, Callable

from . import common

__all__ = ["Timer", "timer", "Language"]


def timer() -> float:
    """The default clock: ``timeit.default_timer`` (nothing asynchronous to wait for)."""
    return timeit.default_timer()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def _tidy(code: str) -> str:
    """Dedent and drop the first newline of a block string, so that snippets written inside
    functions run and print neatly."""
    code = textwrap.dedent(code)
    return (code[1:] if code and code[0] == "\n" else code).rstrip()


class Timer:
    """Measure how long ``stmt`` takes (``setup`` runs first; names come from ``globals``,
    with ``torch`` added when missing).

    ``label``, ``sub_label``, ``description`` and ``env`` name the result for printing and
    for ``Compare``; ``num_threads`` is the BLAS thread count while measuring (default 1,
    ember's setting before the run is restored afterwards).
    """

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer: Callable[[], float] = timer, globals: dict | None = None,
                 label: str | None = None, sub_label: str | None = None,
                 description: str | None = None, env: str | None = None,
                 num_threads: int = 1, language: Language | str = Language.PYTHON) -> None:
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        self._globals = dict(globals or {})  # a copy: exec adds __builtins__
        if language in (Language.PYTHON, "py", "python"):
            import ember

            self._globals.setdefault("torch", ember)
            self._language = Language.PYTHON
            if global_setup:
                raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most "
                                 "likely this code can simply be moved to `setup`.")
        elif language in (Language.CPP, "cpp", "c++"):
            raise NotImplementedError(
                "C++ timing (language='cpp') is not available in ember: it compiles the "
                "snippet against PyTorch's C++ library. Time Python statements instead.")
        else:
            raise ValueError(f"Invalid language `{language}`.")
        stmt, setup = _tidy(stmt), _tidy(setup)
        self._timer = timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = common.TaskSpec(
            stmt=stmt, setup=setup, global_setup=global_setup, label=label,
            sub_label=sub_label, description=description, env=env, num_threads=num_threads)

    def _timeit(self, number: int) -> float:
        # at least 1 ns: no statement is faster, and it keeps ratios finite
        return max(self._timer.timeit(number), 1e-9)

    def _measurement(self, number: int, times: list) -> common.Measurement:
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)

    def timeit(self, number: int = 1000000) -> common.Measurement:
        """``stmt`` ``number`` times in one block, after a warmup of number // 100 runs."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return self._measurement(number, [self._timeit(number=number)])

    def repeat(self, repeat: int = -1, number: int = -1) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback: Callable | None = None) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _measure_loop(self, number: int, stop: Callable[[list], bool], min_run_time: float,
                      max_run_time: float | None = None, callback=None) -> list:
        """Blocks of ``number`` runs until ``min_run_time`` has passed and ``stop`` agrees
        (or ``max_run_time`` is spent)."""
        total, can_stop, times = 0.0, False, []
        with common.set_torch_threads(self._task_spec.num_threads):
            while total < min_run_time or not can_stop:
                spent = self._timeit(number)
                times.append(spent)
                total += spent
                if callback:
                    callback(number, spent)
                can_stop = stop(times)
                if max_run_time and total > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time: float) -> int:
        """Runs per block: grow by 10x until the timer's own overhead is under 0.01% of a
        block and a block takes min_run_time / 1000 (also the warmup)."""
        with common.set_torch_threads(self._task_spec.num_threads):
            overhead = sorted(self._timeit(0) for _ in range(5))[2]
            number = 1
            while True:
                taken = self._timeit(number)
                if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                    break
                if taken > min_run_time or number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback: Callable | None = None,
                          min_run_time: float = 0.2) -> common.Measurement:
        """Blocks of a size chosen so the clock's cost is negligible, repeated for at least
        ``min_run_time`` seconds; each block is one measurement."""
        number = self._estimate_block_size(min_run_time)
        times = self._measure_loop(number, lambda times: True, min_run_time,
                                   callback=callback)
        return self._measurement(number, times)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01,
                           max_run_time: float = 10.0,
                           callback: Callable | None = None) -> common.Measurement:
        """Like ``blocked_autorange``, but keep measuring until IQR / median is below
        ``threshold`` (from 4 blocks on) or ``max_run_time`` seconds are spent."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop(times: list) -> bool:
            return len(times) > 3 and self._measurement(number, times).meets_confidence(
                threshold=threshold)

        times = self._measure_loop(number, stop, min_run_time, max_run_time, callback)
        return self._measurement(number, times)

    def collect_callgrind(self, number: int = 100, *, repeats: int | None = None,
                          collect_baseline: bool = True, retain_out_file: bool = False) -> Any:
        raise NotImplementedError(
            "Timer.collect_callgrind is not available in ember: valgrind instruction counts "
            "need PyTorch's C++ build. Measure wall time with blocked_autorange() or "
            "adaptive_autorange() instead.")
