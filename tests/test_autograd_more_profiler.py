"""ember.autograd.profiler: it really measures (a sleeping op shows its sleep), names ops and
backward rules, nests record_function ranges, prints PyTorch's table columns, and leaves no
profiling hook behind."""

import json
import sys
import time

import pytest
import torch

import ember
from ember.autograd import profiler


class Slow(ember.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        time.sleep(0.02)
        return a * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def _run():
    x = ember.randn(8, 4, requires_grad=True)
    w = ember.randn(4, 3, requires_grad=True)
    with profiler.profile() as prof:
        with profiler.record_function("block"):
            y = (x @ w).relu().sum()
            z = Slow.apply(y)
        z.backward()
    return prof


def test_events_names_counts_and_times():
    prof = _run()
    avg = {e.key: e for e in prof.key_averages()}
    for name in ("ember::mm", "ember::relu", "ember::sum", "MmBackward0", "ReluBackward0",
                 "SumBackward0", "Slow", "SlowBackward", "block"):
        assert avg[name].count == 1, name
    assert avg["Slow"].cpu_time_total >= 20_000  # microseconds: the sleep was measured
    block = avg["block"]
    inside = sum(avg[k].cpu_time_total for k in ("ember::mm", "ember::relu", "ember::sum",
                                                 "Slow"))
    assert block.cpu_time_total >= inside
    assert block.self_cpu_time_total == pytest.approx(block.cpu_time_total - inside, abs=1e-3)
    total = prof.key_averages().self_cpu_time_total
    assert total == pytest.approx(sum(e.self_cpu_time_total for e in prof.function_events))
    assert total >= avg["block"].cpu_time_total


def test_table_has_torch_columns_and_sorts():
    x = torch.ones(2, requires_grad=True)
    with torch.autograd.profiler.profile() as tprof:
        (x * 2).sum().backward()
    theirs = tprof.key_averages().table(row_limit=1).splitlines()[1].split()
    mine_table = _run().key_averages().table(sort_by="self_cpu_time_total", row_limit=3)
    lines = mine_table.splitlines()
    assert lines[1].split() == theirs
    assert lines[3].split()[0] == "Slow" and len(lines) == 3 + 3 + 2  # heads, rows, foot
    assert lines[-1].startswith("Self CPU time total: ")


def test_chrome_trace(tmp_path):
    prof = _run()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    assert {e["name"] for e in events} >= {"block", "ember::mm", "MmBackward0"}
    assert all(e["ph"] == "X" and e["dur"] >= 0 for e in events)


def test_no_hook_left_and_record_function_alone():
    before = sys.getprofile()
    with profiler.profile():
        assert sys.getprofile() is not before
    assert sys.getprofile() is before
    with profiler.record_function("nothing running"):
        pass

    @profiler.record_function("decorated")
    def f(t):
        return t.exp()

    with profiler.profile() as prof:
        f(ember.ones(2))
    keys = [e.key for e in prof.key_averages()]
    assert keys == ["decorated", "ember::exp"]
    with pytest.raises(RuntimeError, match="didn't finish"):
        profiler.profile().key_averages()
    with profiler.profile(enabled=False):
        assert sys.getprofile() is before


def test_exception_inside_closes_the_block():
    with pytest.raises(ValueError):
        with profiler.profile() as prof:
            with profiler.record_function("raises"):
                ember.ones(2).exp()
                raise ValueError("boom")
    assert {e.key for e in prof.key_averages()} == {"raises", "ember::exp"}
    assert sys.getprofile() is None or "watch" not in repr(sys.getprofile())
