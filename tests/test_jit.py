"""ember.jit against live PyTorch: scripted/traced modules and functions, trace's runs and
checks, decorators, fork/wait, freeze, and the errors (PyTorch 2.13 is the spec)."""

import copy
import io
import warnings

import numpy as np
import pytest
import torch

import ember

warnings.filterwarnings("ignore", category=DeprecationWarning)


def _net(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(3, 2)
            self.seq = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
            self.drop = lib.nn.Dropout(0.5)
            self.gamma = 0.5

        def forward(self, x):
            return self.drop(self.seq(self.fc(x))) * self.gamma

        def act(self, x):
            return self.forward(x).argmax(-1)

        @lib.jit.export
        def value(self, x):
            return self.forward(x).sum()

    lib.manual_seed(0)
    return Net()


def _plain(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(x).relu()

    lib.manual_seed(0)
    return Net()


def both(fn):
    out = []
    for lib in (ember, torch):
        try:
            out.append(fn(lib))
        except Exception as e:  # noqa: BLE001 - the error itself is compared
            out.append((type(e).__name__, str(e).split("\n")[0]))
    return out


def _err(fn, lib):
    with pytest.raises(Exception) as info:
        fn(lib)
    return type(info.value).__name__, str(info.value)


def test_scripted_module_types_printing_and_state():
    def run(lib):
        m = _net(lib)
        sm = lib.jit.script(m)
        x = lib.ones(1, 3)
        sm.eval()
        out = sm(x)
        sm.train()
        return (type(sm).__name__, isinstance(sm, lib.nn.Module),
                isinstance(sm, lib.jit.ScriptModule), repr(sm), type(sm.fc).__name__,
                sm.original_name, list(sm.state_dict()), sm.fc.weight is m.fc.weight,
                m.training, sm.training, sm.gamma, repr(sm.seq[0]), len(sm.seq),
                np.round(out.detach().numpy(), 5).tolist(), float(sm.value(x)) != 0.0)
    e, t = both(run)
    assert e == t


def test_scripted_eval_is_its_own_and_weights_are_shared():
    def run(lib):
        m = _net(lib)
        sm = lib.jit.script(m)
        sm.eval()
        flags = (m.training, m.fc.training, sm.fc.training)
        sm.double()
        return flags, str(m.fc.weight.dtype).split(".")[-1]
    e, t = both(run)
    assert e == t


@pytest.mark.parametrize("what", ["act", "nope", "hook"])
def test_scripted_module_errors(what):
    def run(lib):
        sm = lib.jit.script(_net(lib))
        if what == "hook":
            sm.register_forward_hook(lambda *a: None)
        return getattr(sm, what)
    e, t = both(run)
    assert e == t


def test_traced_module_printing_and_deepcopy():
    def run(lib):
        m = _plain(lib).eval()
        tm = lib.jit.trace(m, lib.ones(1, 3))
        c = copy.deepcopy(tm)
        return (type(tm).__name__, repr(tm), type(tm.fc).__name__, type(c).__name__,
                c.fc.weight is tm.fc.weight, bool((c.fc.weight == tm.fc.weight).all()))
    e, t = both(run)
    assert e == t


def test_trace_runs_and_rng_match():
    def run(lib):
        calls = []

        def f(x):
            calls.append(lib.jit.is_tracing())
            return x + lib.rand(1)
        lib.manual_seed(0)
        tf = lib.jit.trace(f, lib.ones(1))
        after = float(lib.rand(1))
        lib.manual_seed(0)
        lib.jit.trace(f, lib.ones(1), check_trace=False)
        # PyTorch's 4th run is its recorded graph (no Python side effects); ember runs the
        # Python code silently there, to draw the same random numbers
        return calls[:3], round(after, 6), type(tf).__name__, tf.name, lib.jit.is_tracing()
    e, t = both(run)
    assert e == t


def test_trace_dropout_module_rng():
    def run(lib):
        lib.manual_seed(0)
        lib.jit.trace(lib.nn.Dropout(0.5), lib.ones(8))
        return round(float(lib.rand(1)), 6)
    e, t = both(run)
    assert e == t


def test_tracer_warnings():
    def run(lib):
        def g(x):
            if x.sum() > 0:
                return x * x.sum().item()
            return x
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.jit.trace(g, lib.ones(2))
            lib.jit.trace(lambda x: [x, x], lib.ones(2))
        return [(x.category.__name__, str(x.message)[:60]) for x in w
                if x.category.__name__ == "TracerWarning"]
    e, t = both(run)
    assert e == t and len(e) == 6


@pytest.mark.parametrize("case", range(10))
def test_trace_input_and_output_checks(case):
    def run(lib):
        t = lib.ones(2)
        ident = lambda *a: a[0]  # noqa: E731
        return [lambda: lib.jit.trace(ident, (t, 3.0)),
                lambda: lib.jit.trace(ident, (t, None)),
                lambda: lib.jit.trace(ident, (t, [t, 1])),
                lambda: lib.jit.trace(ident, (t, {"a": 1})),
                lambda: lib.jit.trace(ident, 1.0),
                lambda: lib.jit.trace(ident, ()),
                lambda: lib.jit.trace(lambda x: None, t),
                lambda: lib.jit.trace(lambda x: (x, 1), t),
                lambda: lib.jit.trace(lambda x: {"a": x}, t),
                lambda: lib.jit.trace(_plain(lib), 1.0)][case]()
    e, t = both(run)
    assert isinstance(t, tuple) and e == t


def compute_gae(rewards, values, dones, gamma: float, lam: float):
    adv = rewards * 0
    last = rewards[0] * 0
    for i in range(rewards.shape[0] - 1, -1, -1):
        nxt = values[i + 1] * (1 - dones[i])
        delta = rewards[i] + gamma * nxt - values[i]
        last = delta + gamma * lam * (1 - dones[i]) * last
        adv[i] = last
    return adv


def test_scripted_function_gae_and_schema():
    def run(lib):
        gae = lib.jit.script(compute_gae)
        r = lib.tensor([1.0, 0.0, 1.0])
        v = lib.tensor([0.5, 0.4, 0.3, 0.2])
        d = lib.tensor([0.0, 1.0, 0.0])
        out = gae(r, v, d, 0.99, 0.95).numpy().round(6).tolist()
        return type(gae).__name__, gae.name, out, gae(r, v, d, 1, 0.95).sum().item() != 0
    e, t = both(run)
    assert e == t


@pytest.mark.parametrize("args", [(1, 2), ("t", 2.0), ("t", "t", 1), ("t",)])
def test_scripted_function_argument_errors(args):
    def run(lib):
        f = lib.jit.script(compute_gae) if len(args) > 2 else lib.jit.script(_mul)
        vals = [lib.ones(2) if a == "t" else a for a in args]
        if len(args) > 2:
            vals = vals + [0.9, 0.9, 0.9, 0.9]
        return f(*vals)
    e, t = both(run)
    assert isinstance(t, tuple) and e == t


def _mul(x, n):
    return x * n


def test_scripted_function_full_message():
    e, t = (_err(lambda lib: lib.jit.script(_mul)(lib.ones(2), 2), lib) for lib in (ember, torch))
    assert e == t


def test_decorators_fork_annotate_misc():
    def run(lib):
        j = lib.jit

        @j.ignore
        def a(x):
            return x + 1

        @j.unused
        def b(x):
            return x + 2
        fut = j.fork(a, 1)
        return (a(1), b(1), j.wait(fut), fut.wait(), fut.done(), fut.then(lambda f: f.wait() * 10)
                .wait(), j.annotate(list, [1]), j.is_scripting(), j.Final is not None,
                tuple(j.Attribute(0, int)), j.set_fusion_strategy([("STATIC", 2)]),
                j.set_fusion_strategy([("DYNAMIC", 3)]), j.enable_onednn_fusion(True),
                j.onednn_fusion_enabled(), issubclass(j.Error, Exception),
                issubclass(j.TracerWarning, Warning))
    try:
        e, t = both(run)
    finally:  # PyTorch's settings are process-wide: later scripted models run with the defaults
        for lib in (torch, ember):
            lib.jit.set_fusion_strategy([("STATIC", 2), ("DYNAMIC", 10)])
            lib.jit.enable_onednn_fusion(False)
    assert e == t


@pytest.mark.parametrize("case", range(6))
def test_freeze_and_optimize(case):
    def run(lib):
        m = _net(lib)
        j = lib.jit
        if case == 0:
            return j.freeze(m)
        if case == 1:
            return j.freeze(j.script(m))
        if case == 2:
            return j.optimize_for_inference(m)
        fr = j.freeze(j.script(m).eval()) if case < 5 else j.optimize_for_inference(j.script(m))
        if case == 4:
            return fr.fc
        return (repr(fr), len(list(fr.parameters())), list(fr.state_dict()),
                fr(lib.ones(1, 3)).requires_grad)
    e, t = both(run)
    assert e == t


def test_script_errors_and_passthrough():
    class C:
        def __init__(self, x: int):
            self.x = x

    def run(lib):
        sm = lib.jit.script(_net(lib))
        return (lib.jit.script(C) is C, lib.jit.script(sm) is sm,
                both_err(lambda: lib.jit.script(type(_net(lib)))))
    e, t = both(run)
    assert e == t


def both_err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).split("'")[0]


def test_save_load():
    for lib in (ember, torch):
        with pytest.raises(AttributeError, match="'Net' object has no attribute 'save'$"):
            lib.jit.save(_net(lib), "x.pt")
        with pytest.raises(ValueError, match="The provided filename nonexist.pt does not exist"):
            lib.jit.load("nonexist.pt")
    with pytest.raises(RuntimeError, match="torch.save\\(model.state_dict\\(\\), path\\)"):
        ember.jit.save(ember.jit.script(_net(ember)), io.BytesIO())


def test_code_and_graph_are_readable_source():
    sm = ember.jit.script(_net(ember))
    assert "def forward(self, x):" in sm.code and "def forward(self, x):" in str(sm.graph)
    assert "def compute_gae" in ember.jit.script(compute_gae).code
