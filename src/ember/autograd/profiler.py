"""``torch.autograd.profiler``: time each op and each backward rule, and print a table.

While a ``profile`` block runs, ``sys.setprofile`` watches the calls of this thread: the
entry and exit of every op's ``forward`` (ember's Primitives and user ``Function``s) and of
every backward rule, and of each ``record_function`` block, are timed with
``time.perf_counter_ns``. Outside a block nothing is installed, so ops pay nothing.

Names: a forward is ``ember::<op>`` (from the node PyTorch names, so ``ember::mm`` for the
node ``MmBackward0``), a backward rule is its node's name (``MulBackward0``), a user Function
is its class name. Differences from PyTorch's profiler: CPU only; the profiling hook itself
makes the Python code measured slower (every call in the thread reports to it), so totals are
larger than an unprofiled run; and the few shortcuts that compute without a Primitive
(``x + y`` on tensors that do not require grad, ``Sequential``'s inference plan) are not
listed as ops: their time counts in the enclosing ``record_function``, if any. With
``profile_memory=True`` an op's "CPU Mem" is the bytes of the arrays its forward returned (no
allocator is watched, so frees never show as negative numbers); ``record_shapes=True`` lists
the shapes of the arrays a forward received (PyTorch lists its aten op's arguments instead).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]

_ACTIVE: list = []  # the running profile (one per process at a time)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _op_codes() -> dict:
    """code object of each forward/backward -> event name, for every op class defined now."""
    from .function import Function, Primitive

    codes: dict = {}
    todo = [Primitive, Function]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        node = getattr(cls, "_node_cls", None)
        if issubclass(cls, Primitive):
            node_name = node.__name__ if node is not None else cls.__name__ + "Backward0"
            forward = "ember::" + _snake(re.sub(r"Backward\d*$", "", node_name))
        else:
            node_name, forward = cls.__name__ + "Backward", cls.__name__
        for attr, name in (("forward", forward), ("backward", node_name)):
            fn = cls.__dict__.get(attr)
            code = getattr(getattr(fn, "__func__", fn), "__code__", None)
            if code is not None and cls not in (Primitive, Function):
                codes[code] = name
    return codes


class FunctionEvent:
    """One timed call: ``name``, start and duration (microseconds), self time."""

    def __init__(self, name: str, start_us: float, total_us: float, self_us: float,
                 depth: int, mem: int = 0, self_mem: int = 0, shapes: list | None = None) -> None:
        self.trace_name = name  # (the trace keeps the step number; the name drops it)
        if name.startswith("ProfilerStep#"):
            name = "ProfilerStep*"
        self.name, self.key = name, name
        self.time_range_start = start_us
        self.cpu_time_total, self.self_cpu_time_total = total_us, self_us
        self.cpu_memory_usage, self.self_cpu_memory_usage = mem, self_mem
        self.input_shapes = shapes if shapes is not None else []
        self.depth = depth
        self.count = 1

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total

    def __repr__(self) -> str:
        return (f"<FunctionEvent name={self.name} cpu_time={self.cpu_time_total:.3f}us "
                f"self_cpu_time={self.self_cpu_time_total:.3f}us>")


class FunctionEventAvg:
    """The events of one name added up: ``count``, ``cpu_time_total``,
    ``self_cpu_time_total`` and the average ``cpu_time`` (microseconds)."""

    def __init__(self, key: str, input_shapes: list | None = None) -> None:
        self.key = key
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.input_shapes = input_shapes

    def add(self, other) -> "FunctionEventAvg":
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total:.3f}"
                f"us cpu_time={self.cpu_time:.3f}us count={self.count}>")


def _fmt_us(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _fmt_mem(nbytes: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


def _nbytes(value) -> int:
    """Bytes of the arrays an op's forward returned (its allocation, as ember sees it)."""
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    return getattr(value, "nbytes", 0) if hasattr(value, "dtype") else 0


def _arg_shapes(frame) -> list:
    """Shapes of the array arguments of an op's forward ([] for the others)."""
    code, local = frame.f_code, frame.f_locals
    return [list(v.shape) if hasattr(v, "shape") and hasattr(v, "dtype") else []
            for v in (local.get(n) for n in code.co_varnames[:code.co_argcount])
            if not hasattr(v, "save_for_backward")]  # (not the ctx)


class EventList(list):
    """A list of events (or averages) that can sum itself up and print a table."""

    _with_memory = False
    _with_shapes = False

    def key_averages(self, group_by_input_shape: bool = False) -> "EventList":
        avgs: dict = {}
        for e in self:
            shapes = e.input_shapes if group_by_input_shape else None
            key = (e.key, str(shapes)) if group_by_input_shape else e.key
            avgs.setdefault(key, FunctionEventAvg(e.key, shapes)).add(e)
        out = EventList(avgs.values())
        out._with_memory, out._with_shapes = self._with_memory, group_by_input_shape
        return out

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg("Total")
        for e in self:
            total.add(e)
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100, **_: Any) -> str:
        """Name, self CPU time and share, total CPU time and share, average, number of
        calls; ``sort_by`` is an attribute (``"cpu_time_total"``, ``"self_cpu_time_total"``,
        ``"count"``, ...), largest first."""
        rows = list(self)
        if sort_by is not None:
            rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit is not None and row_limit > 0:
            rows = rows[:row_limit]
        whole = self.self_cpu_time_total or 1.0
        heads = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
        heads += ["CPU Mem", "Self CPU Mem"] if self._with_memory else []
        heads += ["# of Calls"] + (["Input Shapes"] if self._with_shapes else [])
        width = max([len(heads[0])] + [len(e.key) for e in rows])
        line = "-" * width + "  " + "  ".join(["-" * 12] * (len(heads) - 1))
        out = [line, "  ".join([heads[0].rjust(width)] + [h.rjust(12) for h in heads[1:]]),
               line]
        for e in rows:
            cells = [f"{100 * e.self_cpu_time_total / whole:.2f}%",
                     _fmt_us(e.self_cpu_time_total),
                     f"{100 * e.cpu_time_total / whole:.2f}%", _fmt_us(e.cpu_time_total),
                     _fmt_us(e.cpu_time)]
            if self._with_memory:
                cells += [_fmt_mem(e.cpu_memory_usage), _fmt_mem(e.self_cpu_memory_usage)]
            cells.append(str(e.count))
            if self._with_shapes:
                cells.append(str(e.input_shapes))
            out.append("  ".join([e.key.rjust(width)] + [c.rjust(12) for c in cells]))
        out += [line, f"Self CPU time total: {_fmt_us(self.self_cpu_time_total)}", ""]
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table()


class profile:  # noqa: N801 - PyTorch's name
    """``with profile() as prof: ...`` then ``print(prof.key_averages().table(...))``."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False,
                 record_shapes: bool = False, profile_memory: bool = False, **options: Any):
        self.enabled = enabled
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.function_events: EventList | None = None
        self._records: list = []
        self._stack: list = []

    def __enter__(self) -> "profile":
        if not self.enabled:
            return self
        if _ACTIVE:
            raise RuntimeError("Profiler is already enabled.")
        codes, stack = _op_codes(), self._stack
        clock = time.perf_counter_ns
        shapes, memory = self.record_shapes, self.profile_memory

        def watch(frame, event, arg):
            if event == "call":
                name = codes.get(frame.f_code)
                if name is not None:
                    stack.append([name, frame, clock(), 0, 0, 0,
                                  _arg_shapes(frame) if shapes else []])
            elif event == "return" and stack and stack[-1][1] is frame:
                if memory:
                    stack[-1][4] = _nbytes(arg)
                self._pop(clock())

        self._previous = sys.getprofile()
        _ACTIVE.append(self)
        sys.setprofile(watch)
        return self

    def _pop(self, end: int) -> None:
        # an entry: name, frame, start, children's time, own bytes, children's bytes, shapes
        name, _, start, children, own_mem, child_mem, shapes = self._stack.pop()
        total, mem = end - start, own_mem + child_mem
        if self._stack:
            self._stack[-1][3] += total
            self._stack[-1][5] += mem
        self._records.append((name, start, total, total - children, len(self._stack), mem,
                              own_mem, shapes))

    def _push_range(self, name: str) -> None:
        self._stack.append([name, None, time.perf_counter_ns(), 0, 0, 0, []])

    def __exit__(self, *exc: Any) -> None:
        if not self.enabled:
            return
        sys.setprofile(self._previous)
        _ACTIVE.remove(self)
        end = time.perf_counter_ns()
        while self._stack:  # ranges left open (an exception inside)
            self._pop(end)
        self.function_events = EventList(
            FunctionEvent(n, s / 1e3, t / 1e3, own / 1e3, d, mem, own_mem, shapes)
            for n, s, t, own, d, mem, own_mem, shapes in sorted(self._records,
                                                                 key=lambda r: r[1]))
        self.function_events._with_memory = self.profile_memory

    def _events(self) -> EventList:
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self.function_events

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        return self._events().key_averages(group_by_input_shape)

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kw: Any) -> str:
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit, **kw)

    def total_average(self) -> FunctionEventAvg:
        return self._events().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        return self._events().self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        """The events in Chrome's trace format (chrome://tracing, Perfetto)."""
        trace = [{"name": e.trace_name, "ph": "X", "cat": "cpu_op", "ts": e.time_range_start,
                  "dur": e.cpu_time_total, "pid": 0, "tid": 0} for e in self._events()]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)

    def __str__(self) -> str:
        return self.table()


class record_function:  # noqa: N801
    """Context manager (and decorator) timing its block as one event named ``name`` in the
    running profile; without one, it does nothing."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self._prof = None

    def __enter__(self) -> "record_function":
        if _ACTIVE:
            self._prof = _ACTIVE[-1]
            self._prof._push_range(self.name)
        return self

    def __exit__(self, *exc: Any) -> None:
        prof, self._prof = self._prof, None
        if prof is not None and prof._stack:
            while prof._stack[-1][1] is not None:  # op frames an exception left open
                prof._pop(time.perf_counter_ns())
            prof._pop(time.perf_counter_ns())

    def __call__(self, fn: Callable) -> Callable:
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        return wrapper
