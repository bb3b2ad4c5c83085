"""Contenders (one step callable each, plus its thread setting) and interleaved timing.

Repetitions are interleaved, A B C A B C ..., so that slow phases of a noisy shared machine
hit every contender alike; each repetition is a block of calls long enough to time reliably,
and the result is the median of the per-call means of the blocks.
"""
from __future__ import annotations

import contextlib
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager

Step = Callable[[], Any]


@dataclass
class Contender:
    """One column of the table: a name, how to build its step, and its thread setting."""

    name: str
    build: Callable[[], Step]
    threads: Callable[[], ContextManager] = contextlib.nullcontext
    optional: bool = False          # True for ember: failures become "n/a", not crashes
    step: Step | None = None
    error: str | None = None        # why this contender is n/a
    note: str | None = None         # e.g. a first-loss mismatch
    first: Any = None               # result of the first call (checked before timing)
    settle: float = 0.001           # seconds to sleep after each of its timed blocks
    calls: int = 1                  # calls per timed block
    est: float = 0.0                # seconds per call, from the warm-up
    times: list[float] = field(default_factory=list)

    @property
    def median_us(self) -> float | None:
        return statistics.median(self.times) * 1e6 if self.times and not self.error else None


def describe(exc: BaseException) -> str:
    """One-line reason for an n/a cell."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}"[:160]


def guarded(c: Contender, fn: Callable[[], Any]) -> Any:
    """Run fn for contender c; an optional contender's failure marks it n/a instead of raising."""
    if c.error:
        return None
    try:
        with c.threads():
            return fn()
    except Exception as exc:   # noqa: BLE001 - any ember gap must become an n/a cell
        if not c.optional:
            raise
        c.error = describe(exc)
        return None


def prepare(c: Contender) -> None:
    """Build the step and run it once, keeping the first result for the agreement check."""
    def first_call() -> Any:
        c.step = c.build()
        return c.step()
    c.first = guarded(c, first_call)


def warm_up(c: Contender, seconds: float, block_s: float) -> None:
    """Run for about `seconds`, then size the timed block to about block_s."""
    def run() -> None:
        step = c.step
        n, t0 = 0, time.perf_counter()
        while True:
            step()
            n += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds:
                break
        c.est = elapsed / n
        c.calls = max(1, round(block_s / c.est))
    guarded(c, run)


def time_block(c: Contender) -> None:
    """One timed repetition: c.calls consecutive steps."""
    def run() -> None:
        step, n = c.step, c.calls
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        c.times.append((time.perf_counter() - t0) / n)
    guarded(c, run)


MIN_ROUNDS = 5


def interleave(contenders: list[Contender], budget_s: float, rounds: int,
               warm_s: float) -> None:
    """Warm up everyone, then time `rounds` interleaved blocks within about budget_s.

    When single calls are slower than a block (a multi-threaded contender on a loaded
    machine), fewer rounds are run, at least MIN_ROUNDS, to keep the row near its budget.
    """
    live = [c for c in contenders if not c.error]
    if not live:
        return
    block_s = budget_s / (rounds * len(live))
    for c in live:
        warm_up(c, warm_s, block_s)
    round_s = sum(c.calls * c.est for c in contenders if not c.error)
    rounds = max(MIN_ROUNDS, min(rounds, int(budget_s / max(round_s, 1e-9))))
    for _ in range(rounds):
        for c in contenders:
            time_block(c)
            time.sleep(c.settle)   # let this contender's BLAS/OpenMP spinners go idle
