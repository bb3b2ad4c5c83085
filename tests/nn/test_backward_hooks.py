"""Module.register_full_backward_hook / register_full_backward_pre_hook against torch 2.13:
when each hook runs, what it receives (shapes and values), replacements, errors, warnings."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember

LIBS = (ember, torch)


def _copy_weights(src, dst) -> None:
    """Give the ember module ``dst`` the torch module ``src``'s parameters."""
    with torch.no_grad():
        for (name, p), (name2, q) in zip(src.named_parameters(), dst.named_parameters()):
            assert name == name2
            q.data.copy_(ember.tensor(p.detach().numpy()))


def _pair(make):
    torch.manual_seed(0)
    t = make(torch)
    e = make(ember)
    _copy_weights(t, e)
    return e, t


def _v(g):
    return None if g is None else np.round(g.detach().numpy(), 6).tolist()


def _same(a, b) -> bool:
    """Nested logs equal: names exactly, gradients to float32 rounding."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return False
        if a and all(isinstance(x, float) for x in a):
            return np.allclose(a, b, rtol=1e-5, atol=1e-6)
        return all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _recorder(log):
    def full(mod, grad_input, grad_output):
        log.append(("full", [_v(g) for g in grad_input], [_v(g) for g in grad_output]))

    def pre(mod, grad_output):
        log.append(("pre", [_v(g) for g in grad_output]))
    return full, pre


@pytest.mark.parametrize("input_grad", [False, True])
def test_linear_hooks_see_torchs_gradients_in_torchs_order(input_grad):
    logs, names, messages = [], [], []
    mods = _pair(lambda lib: lib.nn.Linear(3, 2))
    x = np.linspace(-1, 1, 12).reshape(4, 3).astype(np.float32)
    for lib, m in zip(LIBS, mods):
        log = []
        full, pre = _recorder(log)
        m.register_full_backward_hook(full)
        m.register_full_backward_pre_hook(pre)
        xi = lib.tensor(x, requires_grad=input_grad)
        y = m(xi)
        names.append((type(y.grad_fn).__name__,
                      [type(n[0]).__name__ for n in y.grad_fn.next_functions], xi.grad_fn))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (y * lib.tensor([[1.0, -2.0]])).sum().backward()
        messages.append([str(w.message) for w in caught])
        logs.append(log)
    assert logs[0] == logs[1]
    assert [k for k, *_ in logs[0]] == ["pre", "full"]
    assert names[0] == names[1] == ("BackwardHookFunctionBackward", ["AddmmBackward0"], None)
    assert messages[0] == messages[1]
    assert len(messages[0]) == (0 if input_grad else 1)


def test_hook_warning_points_at_the_users_backward_line():
    m = ember.nn.Linear(3, 2)
    m.register_full_backward_hook(lambda *a: None)
    y = m(ember.ones(1, 3))
    with pytest.warns(UserWarning, match="no inputs require gradients") as record:
        y.sum().backward()
    assert record[0].filename == __file__


def test_replacements_and_their_errors():
    for lib in LIBS:
        m = lib.nn.Linear(3, 2)
        handle = m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0,))
        x = lib.ones(4, 3, requires_grad=True)
        m(x).sum().backward()
        assert float(x.grad.abs().sum()) == 0.0
        handle.remove()
        x.grad = None
        m(x).sum().backward()
        assert float(x.grad.abs().sum()) > 0  # removed: the gradient flows again

        m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                                               "grad_input, got 2, but expected 1"):
            m(lib.ones(4, 3, requires_grad=True)).sum().backward()

        m2 = lib.nn.Linear(3, 2)
        m2.register_full_backward_hook(lambda mod, gi, go: (lib.ones(4, 3),))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError, match="Backward hook for Modules where no input "
                                                   "requires gradient should always return "
                                                   "None or None for all gradients."):
                m2(lib.ones(4, 3)).sum().backward()

        m3 = lib.nn.Linear(3, 2)
        m3.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
        m3(lib.ones(4, 3, requires_grad=True)).sum().backward()
        assert m3.bias.grad.tolist() == [8.0, 8.0]


def test_two_inputs_one_requiring_grad_and_a_tuple_output():
    shapes = []
    for lib in LIBS:
        log = []
        bil = lib.nn.Bilinear(3, 3, 2)
        bil.register_full_backward_hook(
            lambda mod, gi, go: log.append(([None if g is None else tuple(g.shape) for g in gi],
                                            [tuple(g.shape) for g in go])))
        bil(lib.ones(4, 3, requires_grad=True), lib.ones(4, 3)).sum().backward()
        lstm = lib.nn.LSTM(3, 4)
        lstm.register_full_backward_hook(
            lambda mod, gi, go: log.append(([None if g is None else tuple(g.shape) for g in gi],
                                            [None if g is None else tuple(g.shape)
                                             for g in go])))
        out, _ = lstm(lib.ones(5, 1, 3, requires_grad=True))
        out.sum().backward()
        shapes.append(log)
    assert shapes[0] == shapes[1] == [([(4, 3), (4, 3)], [(4, 2)]),
                                      ([(5, 1, 3)], [(5, 1, 4), None])]


def test_bilinear_input_gradients_equal_torchs():
    logs = []
    mods = _pair(lambda lib: lib.nn.Bilinear(3, 2, 2))
    a = np.linspace(-1, 1, 12).reshape(4, 3)
    b = np.linspace(0.5, -0.5, 8).reshape(4, 2)
    for lib, m in zip(LIBS, mods):
        log = []
        m.register_full_backward_hook(_recorder(log)[0])
        m(lib.tensor(a, dtype=lib.float32, requires_grad=True),
          lib.tensor(b, dtype=lib.float32, requires_grad=True)).pow(2).sum().backward()
        logs.append(log)
    assert _same(logs[0], logs[1])


def test_gradient_flow_through_a_sequential_of_hooked_layers():
    """The learner's 'gradient flow' plot: a hook on every layer of a Sequential (whose fast
    path must then call each layer)."""
    logs = []
    mods = _pair(lambda lib: lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(),
                                               lib.nn.Linear(4, 1)))
    for lib, net in zip(LIBS, mods):
        log = []
        for name, layer in net.named_children():
            layer.register_full_backward_hook(
                lambda mod, gi, go, name=name: log.append((name, [_v(g) for g in gi],
                                                           [_v(g) for g in go])))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net(lib.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])).sum().backward()
        logs.append(log)
    assert logs[0] == logs[1]
    assert [name for name, *_ in logs[0]] == ["2", "1", "0"]


def test_global_hooks_prepend_and_no_grad():
    for lib in LIBS:
        mm = ember.nn.modules.module if lib is ember else torch.nn.modules.module
        order = []
        m = lib.nn.Linear(2, 2)
        m.register_full_backward_hook(lambda *a: order.append("second"))
        m.register_full_backward_hook(lambda *a: order.append("first"), prepend=True)
        handle = mm.register_module_full_backward_hook(lambda *a: order.append("global"))
        pre = mm.register_module_full_backward_pre_hook(lambda *a: order.append("global pre"))
        try:
            m(lib.ones(1, 2, requires_grad=True)).sum().backward()
            with lib.no_grad():
                y = m(lib.ones(1, 2, requires_grad=True))
            assert y.grad_fn is None
        finally:
            handle.remove()
            pre.remove()
        assert order == ["global pre", "global", "first", "second"]


def test_second_order_through_a_hooked_module():
    """A gradient penalty through a hooked layer: the same value and parameter gradients."""
    results = []
    mods = _pair(lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Tanh(),
                                               lib.nn.Linear(3, 1)))
    for lib, net in zip(LIBS, mods):
        seen = []
        net[0].register_full_backward_hook(lambda mod, gi, go: seen.append(_v(gi[0])))
        x = lib.tensor([[0.3, -0.7]], requires_grad=True)
        (g,) = lib.autograd.grad(net(x).sum(), x, create_graph=True)
        penalty = (g.norm() - 1) ** 2
        penalty.backward()
        results.append((_v(penalty), seen, _v(net[0].weight.grad)))
    assert results[0] == results[1]


def test_hooks_survive_copies():
    m = ember.nn.Linear(2, 2)
    m.register_full_backward_pre_hook(print)
    assert len(copy.deepcopy(m)._backward_pre_hooks) == 1
    clone = pickle.loads(pickle.dumps(ember.nn.Linear(2, 2)))
    assert len(clone._backward_hooks) == 0


# ---- the deprecated register_backward_hook: a hook on the output's last node ----------
LEGACY = [
    (lambda L: L.nn.Linear(4, 2), lambda L: [L.ones(3, 4)]),
    (lambda L: L.nn.Linear(4, 2), lambda L: [L.ones(3, 4, requires_grad=True)]),
    (lambda L: L.nn.Linear(4, 2, bias=False), lambda L: [L.ones(3, 4, requires_grad=True) * 1]),
    (lambda L: L.nn.ReLU(), lambda L: [L.ones(3, 4, requires_grad=True)]),
    (lambda L: L.nn.Tanh(), lambda L: [L.ones(3, 4, requires_grad=True) * 2]),
    (lambda L: L.nn.Sequential(L.nn.Linear(4, 3), L.nn.ReLU()),
     lambda L: [L.ones(3, 4, requires_grad=True)]),
    (lambda L: L.nn.MSELoss(), lambda L: [L.ones(3, 4, requires_grad=True), L.zeros(3, 4)]),
]


def _legacy_run(lib, make, inputs):
    m = make(lib)
    log = []
    m.register_backward_hook(
        lambda mod, gi, go: log.append(([None if g is None else tuple(g.shape) for g in gi],
                                        [None if g is None else tuple(g.shape) for g in go])))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m(*inputs(lib)).sum().backward()
    return log, [(w.category.__name__, str(w.message)) for w in caught]


@pytest.mark.parametrize("case", range(len(LEGACY)))
def test_deprecated_backward_hook_sees_the_last_nodes_gradients_with_torchs_warnings(case):
    make, inputs = LEGACY[case]
    assert _legacy_run(ember, make, inputs) == _legacy_run(torch, make, inputs)


def test_deprecated_and_full_hooks_do_not_mix():
    for lib in LIBS:
        m = lib.nn.Linear(2, 2)
        m.register_full_backward_hook(lambda *a: None)
        with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and "
                                               "full backward hooks on a single Module"):
            m.register_backward_hook(lambda *a: None)


# ---- grad_fn.register_hook: grad_inputs as next_functions lists them ------------------
def test_node_hook_gets_tensors_in_next_functions_order_and_may_replace_them():
    seen = []
    for lib in LIBS:
        fc = lib.nn.Linear(4, 2)
        with torch.no_grad():
            fc.weight.data.copy_(lib.tensor(np.arange(8.0).reshape(2, 4)))
            fc.bias.data.fill_(0.5)
        x = lib.ones(3, 4, requires_grad=True)
        y = fc(x)
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 2, gi[1] * 0, gi[2] + 1))
        y.grad_fn.register_hook(
            lambda gi, go: seen.append(([type(g).__name__ for g in gi], [_v(g) for g in gi],
                                        [_v(g) for g in go])))
        y.sum().backward()
        seen.append((_v(fc.bias.grad), _v(x.grad), _v(fc.weight.grad)))
        s = lib.ones(3, requires_grad=True).sum(0)
        s.grad_fn.register_hook(lambda gi, go: seen.append(len(gi)))
        s.backward()
        z = fc(x)
        z.grad_fn.register_hook(lambda gi, go: (gi[0],))
        with pytest.raises(RuntimeError, match="has returned an incorrect number of values "
                                               r"\(got 1, but expected 3\)"):
            z.sum().backward()
    half = len(seen) // 2
    assert seen[:half] == seen[half:]
