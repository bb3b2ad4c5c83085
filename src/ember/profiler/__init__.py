"""``torch.profiler``: the profiler of PyTorch's recipes (``profile(activities=[...],
schedule=..., on_trace_ready=...)``, ``prof.step()``, ``key_averages().table()``).

The timing itself is ``ember.autograd.profiler.profile`` (op forwards named ``ember::<op>``);
this module adds PyTorch's step schedule on top: a ``schedule(step)`` says per step whether to
record, and each recorded cycle ends by calling ``on_trace_ready(prof)``. CPU only: the
activities are accepted and the CPU is what is timed. ``record_shapes``, ``profile_memory`` and
``with_stack`` are accepted but record nothing more (the tables show the time columns only).
"""

from __future__ import annotations

import enum
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from ..autograd import profiler as _autograd_profiler
from ..autograd.profiler import record_function

__all__ = ["profile", "schedule", "supported_activities", "tensorboard_trace_handler",
           "ProfilerAction", "ProfilerActivity", "kineto_available", "record_function"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities() -> set:
    return {ProfilerActivity.CPU}


def kineto_available() -> bool:
    return False


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """Steps cycle through ``wait`` idle steps, ``warmup`` steps and ``active`` recorded
    steps (the last one saves), ``repeat`` times (0: forever), after ``skip_first`` steps."""
    if warmup < 0 or active <= 0 or wait < 0 or repeat < 0 or skip_first < 0:
        raise ValueError("Invalid profiler schedule arguments")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    cycle = wait + warmup + active

    def action(step: int) -> ProfilerAction:
        if step < 0:
            raise ValueError("Invalid step number")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:  # the first cycle starts without its wait
            step += wait
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return action


def _always_record(_: int) -> ProfilerAction:
    return ProfilerAction.RECORD


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


class profile(_autograd_profiler.profile):  # noqa: N801 - PyTorch's name
    """``with profile(...) as prof:`` times the ops of the recorded steps; without a
    ``schedule`` the whole block is one recorded cycle."""

    def __init__(self, *, activities: Iterable | None = None,
                 schedule: Callable[[int], ProfilerAction] | None = None,
                 on_trace_ready: Callable[..., Any] | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False,
                 with_flops: bool = False, with_modules: bool = False,
                 acc_events: bool = False, **options: Any) -> None:
        super().__init__()
        self.activities = set(activities) if activities is not None else supported_activities()
        self.record_steps = schedule is not None
        self.schedule = schedule if schedule is not None else _always_record
        self.on_trace_ready = on_trace_ready
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack, self.with_flops, self.with_modules = with_stack, with_flops, with_modules
        self.acc_events = acc_events
        self.step_num = 0
        self.current_action = self.schedule(0)
        self._recording = False
        self._cycles = 0
        self._step_range: record_function | None = None

    # ---- one recorded cycle -----------------------------------------------------------
    def _start_cycle(self) -> None:
        if self._cycles and not self.acc_events:
            warnings.warn("Warning: Profiler clears events at the end of each cycle. Only "
                          "events from the current cycle will be reported. To keep events "
                          "across cycles, set acc_events=True.", stacklevel=3)
        self._cycles += 1
        if not self.acc_events:
            self._records = []
        self._recording = True
        super().__enter__()

    def _stop_cycle(self, save: bool) -> None:
        self._recording = False
        super().__exit__(None, None, None)
        if save and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def _open_step(self) -> None:
        if self.record_steps and self._recording:
            self._step_range = record_function(f"ProfilerStep#{self.step_num}")
            self._step_range.__enter__()

    def _close_step(self) -> None:
        if self._step_range is not None:
            self._step_range.__exit__(None, None, None)
            self._step_range = None

    # ---- PyTorch's interface ----------------------------------------------------------
    def start(self) -> None:
        if self.current_action in _RECORDING:
            self._start_cycle()
        self._open_step()

    def stop(self) -> None:
        self._close_step()
        if self._recording:
            self._stop_cycle(save=True)

    def __enter__(self) -> "profile":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def step(self) -> None:
        """Signals the profiler that the next step has started."""
        self._close_step()
        prev = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if self._recording and (prev == ProfilerAction.RECORD_AND_SAVE
                                or self.current_action not in _RECORDING):
            self._stop_cycle(save=prev == ProfilerAction.RECORD_AND_SAVE)
        if not self._recording and self.current_action in _RECORDING:
            self._start_cycle()
        self._open_step()

    def events(self):
        return self._events()


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False, use_python_export: bool = False):
    """An ``on_trace_ready`` that writes each cycle's Chrome trace into ``dir_name``."""
    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns()}.pt.trace.json"
        prof.export_chrome_trace(os.path.join(dir_name, name))
    return handler
