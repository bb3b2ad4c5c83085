"""ember.utils.benchmark against torch.utils.benchmark: Measurement statistics and repr,
Compare tables, Timer behaviour and Fuzzer draws. Measurements are built from fixed times
so both libraries format the very same numbers."""

from __future__ import annotations

import dataclasses
import os
import random
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
import torch.utils.benchmark as tb

import ember
import ember.utils.benchmark as eb
from ember import threads

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _addr(s: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x?", s)


def _measurement(lib, seed: int):
    """A random but reproducible Measurement: 1 to 100 blocks, ns to s, low to high spread,
    single and multi-line stmt/setup, optional label fields."""
    r = random.Random(seed)
    rng = np.random.default_rng(seed)
    n = r.choice([1, 2, 3, 4, 5, 7, 20, 100])
    npr = r.choice([1, 10, 1000])
    base = 10 ** r.uniform(-9.5, 1)
    spread = r.choice([0, 0.01, 0.05, 0.12, 0.4])
    times = list(base * npr * (1 + spread * rng.standard_normal(n)))
    spec = lib.TaskSpec(
        r.choice(["x.sum()", "a = x + 1\nb = a * 2", ""]), r.choice(["pass", "x=1", "x=1\ny=2", ""]),
        label=r.choice([None, "L", "Batched dot"]), sub_label=r.choice([None, "", "s1"]),
        description=r.choice([None, "d", ""]), num_threads=r.choice([1, 2, 4]),
        env=r.choice([None, "e"]))
    return lib.Measurement(npr, times, spec)


@pytest.mark.parametrize("seed", range(60))
def test_measurement_matches_torch(seed):
    t, e = _measurement(tb, seed), _measurement(eb, seed)
    assert _addr(repr(e)) == _addr(repr(t))
    for name in ("median", "iqr", "significant_figures", "has_warnings", "times", "title",
                 "env", "as_row_name", "number_per_run", "raw_times", "label", "stmt",
                 "num_threads", "metadata"):
        assert getattr(e, name) == getattr(t, name), name
    # torch's float64 mean sums in its own vectorized order: equal to the last bit or one off
    np.testing.assert_allclose(e.mean, t.mean, rtol=1e-15, atol=0)
    assert e.meets_confidence(0.05) == t.meets_confidence(0.05)


def test_measurement_repr_header_and_warning():
    spec = eb.TaskSpec("x.sum()", "pass", label="Sum", sub_label="f32", description="n=4")
    m = eb.Measurement(100, [2.0e-4, 2.1e-4, 2.9e-4, 2.0e-4, 2.4e-4], spec)
    text = repr(m)
    assert text.startswith("<torch.utils.benchmark.utils.common.Measurement object at 0x")
    t = tb.Measurement(100, [2.0e-4, 2.1e-4, 2.9e-4, 2.0e-4, 2.4e-4],
                       tb.TaskSpec("x.sum()", "pass", label="Sum", sub_label="f32",
                                   description="n=4"))
    assert _addr(text) == _addr(repr(t))
    assert "WARNING: Interquartile range" in text


@pytest.mark.parametrize("value", [1e-9, 999e-9, 1e-6, 2.13e-6, 1e-3, 0.5, 1.0, 42.0,
                                   3.14159, 123456.0, 7.7e-8])
def test_units_and_trimming_match_torch(value):
    assert eb.select_unit(value) == tb.select_unit(value)
    for n in (1, 2, 3, 4):
        assert eb.trim_sigfig(value, n) == tb.trim_sigfig(value, n)
    unit = tb.select_unit(value)[0]
    assert eb.unit_to_english(unit) == tb.unit_to_english(unit)


def test_merge_matches_torch():
    def build(lib):
        a = lib.TaskSpec("f(x)", "pass", label="L", description="d1")
        b = lib.TaskSpec("f(x)", "pass", label="L", description="d2")
        return [lib.Measurement(10, [1e-5, 2e-5], a, {"k": 1}), lib.Measurement(1, [3e-6], a),
                lib.Measurement(5, [4e-5], b)]
    out_t, out_e = tb.Measurement.merge(build(tb)), eb.Measurement.merge(build(eb))
    assert len(out_e) == len(out_t) == 2
    for e, t in zip(out_e, out_t):
        assert (e.number_per_run, e.raw_times, e.metadata) == (t.number_per_run, t.raw_times,
                                                               t.metadata)
        assert dataclasses.astuple(e.task_spec) == dataclasses.astuple(t.task_spec)


def _results(lib, seed: int):
    """Several labels, sub_labels, descriptions, thread counts and envs, some empty cells
    and some replicates (merged by Compare)."""
    r = random.Random(seed)
    rng = np.random.default_rng(seed)
    labels = r.sample(["Batched dot", "L2", "add"], r.randint(1, 3))
    subs = r.sample(["mul/sum", "bmm", "", None, "a long sub label here"], r.randint(1, 3))
    descs = r.sample(["[1, 1]", "[10000, 64]", "n=4", "x"], r.randint(1, 3))
    nthreads = r.sample([1, 2, 4, 16], r.randint(1, 3))
    envs = r.choice([[None], ["A", "B"], ["env1"]])
    out = []
    for lab in labels:
        scale = 10 ** r.uniform(-8, 0)
        for th in nthreads:
            for env in envs:
                for sub in subs:
                    for d in descs:
                        if r.random() < 0.15:
                            continue
                        for _ in range(r.choice([1, 1, 2])):
                            n, npr = r.choice([1, 3, 4, 10, 50]), r.choice([1, 100])
                            sp = r.choice([0.001, 0.02, 0.15, 0.5])
                            base = scale * r.uniform(0.2, 30)
                            times = list(base * npr * np.abs(1 + sp * rng.standard_normal(n)))
                            out.append(lib.Measurement(npr, times, lib.TaskSpec(
                                "torch.bmm(a, b)", "pass", label=lab, sub_label=sub,
                                description=d, env=env, num_threads=th)))
    return out


@pytest.mark.parametrize("seed", range(25))
def test_compare_table_matches_torch(seed):
    ts, es = _results(tb, seed), _results(eb, seed)
    for flags in range(16):
        ct, ce = tb.Compare(ts), eb.Compare(es)
        for c in (ct, ce):
            if flags & 1:
                c.trim_significant_figures()
            if flags & 2:
                c.colorize()
            if flags & 4:
                c.colorize(rowwise=True)
            if flags & 8:
                c.highlight_warnings()
        assert str(ce) == str(ct), flags


def test_compare_print_and_errors(capsys):
    spec = dict(label="L", sub_label="s", description="d")
    ce = eb.Compare([eb.Measurement(1, [1e-6, 2e-6], eb.TaskSpec("f()", "pass", **spec))])
    ct = tb.Compare([tb.Measurement(1, [1e-6, 2e-6], tb.TaskSpec("f()", "pass", **spec))])
    ce.print()
    ct.print()
    out = capsys.readouterr().out
    half = len(out) // 2
    assert out[:half] == out[half:]
    for lib in (eb, tb):
        with pytest.raises(ValueError, match="Expected an instance of `Measurement`, got "
                                             "<class 'int'> instead."):
            lib.Compare([1])
    # no description: PyTorch fails on the column header; so does ember, the same way
    with pytest.raises(TypeError, match="object of type 'NoneType' has no len()"):
        str(tb.Compare([tb.Measurement(1, [1e-6], tb.TaskSpec("f()", "pass"))]))
    with pytest.raises(TypeError, match="object of type 'NoneType' has no len()"):
        str(eb.Compare([eb.Measurement(1, [1e-6], eb.TaskSpec("f()", "pass"))]))


def test_timer_task_spec_and_methods():
    kw = dict(stmt="\n    y = x + 1\n    y.sum()\n", setup="\n    z = 1\n", label="Add",
              sub_label="small", description="n=3", env="cpu", num_threads=2)
    t = tb.Timer(globals={"x": torch.ones(3)}, **kw)
    e = eb.Timer(globals={"x": ember.ones(3)}, **kw)
    assert dataclasses.astuple(e._task_spec) == dataclasses.astuple(t._task_spec)
    m = e.timeit(50)
    assert (m.number_per_run, len(m.raw_times), m.num_threads, m.label) == (50, 1, 2, "Add")
    m = e.blocked_autorange(min_run_time=0.02)
    assert sum(m.raw_times) >= 0.02 and m.number_per_run >= 1
    m = eb.Timer("x * 2", globals={"x": ember.ones(3)}).adaptive_autorange(max_run_time=0.5)
    assert len(m.raw_times) >= 4 or sum(m.raw_times) > 0.5
    seen = []
    eb.Timer("pass").blocked_autorange(callback=lambda n, s: seen.append((n, s)),
                                       min_run_time=0.01)
    assert seen and all(n >= 1 and s > 0 for n, s in seen)
    # `torch` is there by default, and it is ember
    assert eb.Timer("torch.ones(2)")._globals["torch"] is ember


def test_timer_errors_match_torch():
    for lib in (eb, tb):
        with pytest.raises(ValueError, match="global_setup is C\\+\\+ only, got `#include`"):
            lib.Timer("pass", global_setup="#include")
        with pytest.raises(ValueError, match="Invalid language `rust`."):
            lib.Timer("pass", language="rust")
        with pytest.raises(ValueError, match="Currently only a `str` stmt is supported."):
            lib.Timer(lambda: 1)
        for method in ("repeat", "autorange"):
            with pytest.raises(NotImplementedError, match="See `Timer.blocked_autorange.`"):
                getattr(lib.Timer("pass"), method)()
    with pytest.raises(NotImplementedError, match="valgrind"):
        eb.Timer("pass").collect_callgrind()
    with pytest.raises(NotImplementedError, match="C\\+\\+ timing"):
        eb.Timer("pass", language="cpp")


def test_num_threads_set_during_run_and_restored():
    before = threads._Pool.fixed
    seen = []
    eb.Timer("seen.append(torch.get_num_threads())", globals={"seen": seen},
             num_threads=3).timeit(5)
    assert set(seen) == {3}
    assert threads._Pool.fixed == before  # adaptive policy (None) or the user's count back
    ember.set_num_threads(2)
    try:
        eb.Timer("pass").blocked_autorange(min_run_time=0.01)
        assert ember.get_num_threads() == 2
    finally:
        threads._Pool.fixed = before


def _fuzzer(lib, seed):
    return lib.Fuzzer(
        parameters=[
            lib.FuzzedParameter("k0", minval=1, maxval=10000, distribution="loguniform"),
            lib.FuzzedParameter("k1", minval=1, maxval=10000, distribution="loguniform"),
            lib.FuzzedParameter("d", minval=1, maxval=3, distribution="uniform"),
            lib.FuzzedParameter("u", minval=0.0, maxval=2, distribution="uniform", strict=True),
        ],
        tensors=[
            lib.FuzzedTensor("x", size=("k0", "k1"), min_elements=128, max_elements=10_000_000,
                             probability_contiguous=0.6),
            lib.FuzzedTensor("y", size=("k0", "k1", 4), steps=(1, "d", 2), dim_parameter="d",
                             max_allocation_bytes=10_000_000, dtype=lib.torch.int16
                             if lib is tb else ember.int16),
        ],
        constraints=[lambda p: p["k0"] != 7], seed=seed)


@pytest.mark.parametrize("seed", [0, 1, 123])
def test_fuzzer_matches_torch(seed):
    ft, fe = _fuzzer(tb, seed), _fuzzer(eb, seed)
    for (tt, tp, tpar), (et, ep, epar) in zip(ft.take(6), fe.take(6)):
        assert epar == tpar
        for name in ("x", "y"):
            a, b = et[name], tt[name]
            assert tuple(a.shape) == tuple(b.shape) and a.stride() == b.stride()
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            pe, pt = dict(ep[name]), dict(tp[name])
            np.testing.assert_array_equal(pe.pop("order"), pt.pop("order"))
            assert pe == pt
    assert fe.rejection_rate == ft.rejection_rate
    for lib in (eb, tb):
        with pytest.raises(AssertionError, match="Unknown distribution: gauss"):
            lib.FuzzedParameter("a", 1, 2, distribution="gauss")
        assert repr(lib.ParameterAlias("k0")) == "ParameterAlias[alias_to: k0]"


def test_lazy_and_reachable_as_torch(tmp_path):
    code = ("import sys, ember; print('ember.utils.benchmark' in sys.modules); "
            "import ember.run\nwith ember.run.torch_alias():\n    import torch\n"
            "    print(torch.utils.benchmark.Timer.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.stdout.split() == ["False", "ember.utils.benchmark.timer"], out.stderr


RECIPE = textwrap.dedent('''
    from itertools import product
    import torch
    import torch.utils.benchmark as benchmark

    def batched_dot_mul_sum(a, b):
        return a.mul(b).sum(-1)

    def batched_dot_bmm(a, b):
        a = a.reshape(-1, 1, a.shape[-1])
        b = b.reshape(-1, b.shape[-1], 1)
        return torch.bmm(a, b).flatten(-3)

    x = torch.randn(100, 64)
    assert batched_dot_mul_sum(x, x).allclose(batched_dot_bmm(x, x))
    t0 = benchmark.Timer(stmt='batched_dot_mul_sum(x, x)',
                         setup='from __main__ import batched_dot_mul_sum', globals={'x': x})
    print(t0.timeit(10))
    results = []
    for b, n in product([1, 64], [1, 64]):
        x = torch.ones((b, n))
        for num_threads in [1, 2]:
            for fn, desc in (('batched_dot_mul_sum', 'mul/sum'), ('batched_dot_bmm', 'bmm')):
                results.append(benchmark.Timer(
                    stmt=f'{fn}(x, x)', setup=f'from __main__ import {fn}',
                    globals={'x': x}, num_threads=num_threads, label='Batched dot',
                    sub_label=f'[{b}, {n}]', description=desc,
                ).blocked_autorange(min_run_time=0.01))
    compare = benchmark.Compare(results)
    compare.trim_significant_figures()
    compare.print()
''')


def test_recipe_program_runs_like_torch(tmp_path):
    prog = tmp_path / "recipe.py"
    prog.write_text(RECIPE)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    outs = []
    for args in (["-m", "ember.run", str(prog)], [str(prog)]):
        p = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                           env=env, timeout=300)
        assert p.returncode == 0, p.stderr
        # times differ between libraries; everything but the numbers must not
        outs.append([re.sub(r"(0x[0-9a-f]+|[\d.]+|[ -])+", "#", ln)
                     for ln in p.stdout.splitlines()])
    assert outs[0] == outs[1]
    assert any(ln.startswith("[") and "Batched#dot" in ln for ln in outs[0])
