"""ember.autograd.graph against torch.autograd.graph (PyTorch 2.13): Node, GradientEdge,
register_multi_grad_hook, increment_version, saved_tensors_hooks and friends; the
anomaly_mode alias module."""

import numpy as np
import pytest
import torch
import torch.autograd.graph as tgraph

import ember
import ember.autograd.graph as egraph

LIBS = ((ember, egraph), (torch, tgraph))
X, WV = [0.3, -1.2, 2.0], [1.5, 0.5, -0.7]


def _leaves(lib):
    return (lib.tensor(X, dtype=lib.float64, requires_grad=True),
            lib.tensor(WV, dtype=lib.float64, requires_grad=True))


def _each(fn):
    """fn(lib, graph) on ember and torch; asserts both returned the same thing."""
    got = [fn(lib, g) for lib, g in LIBS]
    assert got[0] == got[1], got
    return got[0]


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return type(e).__name__, str(e)
    return None


# ---- Node and GradientEdge -----------------------------------------------------------------
@pytest.mark.parametrize("write", ["index", "view"])
def test_copy_slices_name_and_repr(write):
    """CopySlices is a C++ node in PyTorch: name() says torch::autograd::, repr does not."""
    def run(lib):
        x = lib.tensor(X, requires_grad=True)
        y = x * 1
        if write == "index":
            y[0] = 5.0
        else:
            y[1:].mul_(2)
        return y.grad_fn.name(), type(y.grad_fn).__name__, repr(y).split("grad_fn=")[1]

    assert run(ember) == run(torch)


def test_node_isinstance():
    def run(lib, g):
        x, w = _leaves(lib)
        y = (x * w).sin()
        edge = g.get_gradient_edge(x)
        return (isinstance(y.grad_fn, g.Node), isinstance(x.grad_fn, g.Node),
                isinstance(edge.node, g.Node), edge.node.name(), edge.output_nr,
                isinstance(3, g.Node), y.grad_fn.name(), type(y.grad_fn.next_functions))
    assert _each(run)[:4] == (True, False, True, "torch::autograd::AccumulateGrad")


def test_gradient_edge_fields_and_grad_through_edges():
    def run(lib, g):
        x, w = _leaves(lib)
        y = (x * w).sin()
        e = g.get_gradient_edge(y)
        assert e.node is y.grad_fn and e.output_nr == 0 and e.ownership_token is None
        (gy,) = lib.autograd.grad(y.sum(), e, retain_graph=True)
        gx, gw = lib.autograd.grad((y * 2).sum(), [g.get_gradient_edge(x), w])
        unused = lib.autograd.grad((x * 2).sum(), [g.get_gradient_edge(w)], allow_unused=True,
                                   retain_graph=True)
        materialize = _err(lambda: lib.autograd.grad((x * 2).sum(), [g.get_gradient_edge(w)],
                                                     materialize_grads=True))
        return (type(e).__name__, g.GradientEdge._fields, gy.tolist(),
                np.round(gx.numpy(), 12).tolist(), np.round(gw.numpy(), 12).tolist(),
                unused, materialize)
    _each(run)


def test_backward_inputs_as_edges():
    def run(lib, g):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        (y * 3).sum().backward(inputs=[g.get_gradient_edge(y)])  # not a leaf: nothing stored
        first = x.grad
        (x * 3).sum().backward(inputs=[g.get_gradient_edge(x)])
        return first, x.grad.tolist()
    assert _each(run) == (None, [3.0, 3.0])


def test_get_gradient_edge_error():
    _each(lambda lib, g: _err(lambda: g.get_gradient_edge(lib.ones(2))))


# ---- register_multi_grad_hook ---------------------------------------------------------------
def _grads(gs):
    return [None if v is None else v.tolist() for v in gs]


def test_multi_grad_hook_all_any_and_remove():
    def run(lib, g):
        calls = []
        a, b, c = (lib.tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
        h = g.register_multi_grad_hook((a, b, c), lambda gs: calls.append(_grads(gs)))
        (a * 2 + b * 3).sum().backward()
        h2 = g.register_multi_grad_hook((a, b), lambda v: calls.append(("any", v.tolist())),
                                        mode="any")
        (a * 2 + b * 3).sum().backward()
        h.remove()
        h2.remove()
        (a * 2 + b * 3).sum().backward()  # removed: nothing more
        return calls
    calls = _each(run)
    assert calls[0] == [[2.0, 2.0], [3.0, 3.0], None]


def test_multi_grad_hook_non_leaves_and_autograd_grad():
    def run(lib, g):
        calls = []
        x = lib.tensor([1.0, -1.0], requires_grad=True)
        y, z = x * 2, x * 3
        g.register_multi_grad_hook((y, z), lambda gs: calls.append(_grads(gs)))
        (y * 5 + z * 7).sum().backward(retain_graph=True)
        lib.autograd.grad((y * 5).sum(), x)  # fires for autograd.grad too
        return calls
    assert _each(run) == [[[5.0, 5.0], [7.0, 7.0]], [[5.0, 5.0], None]]


def test_multi_grad_hook_errors():
    _each(lambda lib, g: _err(lambda: g.register_multi_grad_hook(
        (lib.ones(2, requires_grad=True),), print, mode="foo")))
    _each(lambda lib, g: _err(lambda: g.register_multi_grad_hook((lib.ones(2),), print)))


# ---- increment_version ----------------------------------------------------------------------
def test_increment_version():
    def run(lib, g):
        t = lib.zeros(3)
        view = t[1:]
        seen = [t._version]
        g.increment_version(t)
        seen.append(t._version)
        g.increment_version([t, view])
        seen += [t._version, view._version]
        return seen, _err(lambda: g.increment_version(3))
    assert _each(run)[0] == [0, 1, 3, 3]


def test_increment_version_trips_the_saved_tensor_check():
    def run(lib, g):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # saves its output
        g.increment_version(y)
        return _err(lambda: y.sum().backward())[0]
    assert _each(run) == "RuntimeError"


# ---- saved_tensors_hooks --------------------------------------------------------------------
def _logging_hooks(log):
    def pack(t):
        log.append(("pack", tuple(t.shape), t.requires_grad, t.grad_fn is not None))
        return t.clone()

    def unpack(t):
        log.append(("unpack", tuple(t.shape)))
        return t
    return pack, unpack


def test_saved_tensors_hooks_pack_and_unpack_calls():
    def run(lib, g):
        log = []
        x, w = _leaves(lib)
        with g.saved_tensors_hooks(*_logging_hooks(log)):
            y = (x * w).tanh().sum()  # mul saves x and w; tanh saves its output
        packed = list(log)
        log.clear()
        y.backward()
        return packed, log, np.round(x.grad.numpy(), 12).tolist()
    packed, unpacked, _ = _each(run)
    assert packed == [("pack", (3,), True, False)] * 2 + [("pack", (3,), True, True)]
    assert len(unpacked) == 3


def test_unpack_result_is_what_backward_uses():
    def run(lib, g):
        x, w = _leaves(lib)
        with g.saved_tensors_hooks(lambda t: t, lambda p: p * 2):
            y = (x * w).sum()
        y.backward()
        return x.grad.tolist()
    assert _each(run) == [2 * v for v in WV]


def test_hooks_with_create_graph_and_custom_function():
    def run(lib, g):
        log = []
        x, _ = _leaves(lib)

        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a * 2

            @staticmethod
            def backward(ctx, grad):
                (a,) = ctx.saved_tensors
                return grad * a

        with g.saved_tensors_hooks(*_logging_hooks(log)):
            r = Twice.apply(x).sum()
            y = (x ** 3).sum()
        r.backward()
        (gx,) = lib.autograd.grad(y, x, create_graph=True)
        (hx,) = lib.autograd.grad(gx.sum(), x)
        return log[:2], np.round(x.grad.numpy(), 12).tolist(), np.round(hx.numpy(), 12).tolist()
    _each(run)


def test_innermost_hooks_win_and_no_grad_saves_nothing():
    def run(lib, g):
        log = []
        x, _ = _leaves(lib)
        with g.saved_tensors_hooks(lambda t: log.append("outer") or t, lambda p: p):
            with g.saved_tensors_hooks(lambda t: log.append("inner") or t, lambda p: p):
                x.exp()
            with lib.no_grad():
                x.exp()
        x.exp()  # outside: no hooks
        return log
    assert _each(run) == ["inner"]


def test_saved_hooks_errors():
    def bad_unpack(lib, g):
        x, w = _leaves(lib)
        with g.saved_tensors_hooks(lambda t: 3, lambda p: p):
            y = (x * w).sum()
        return _err(y.backward)

    def disabled(lib, g):
        with g.disable_saved_tensors_hooks("no hooks here"):
            return _err(lambda: g.saved_tensors_hooks(print, print).__enter__())
    assert _each(bad_unpack)[0] == "TypeError"
    assert _each(disabled) == ("RuntimeError", "no hooks here")


def test_save_on_cpu():
    def run(lib, g):
        x, w = _leaves(lib)
        with g.save_on_cpu():
            y = (x * w).exp().sum()
        y.backward()
        return np.round(x.grad.numpy(), 12).tolist()
    _each(run)


def test_hooks_leave_no_trace_after_the_block():
    from ember.autograd.grad_mode import STATE

    with egraph.saved_tensors_hooks(lambda t: t, lambda p: p):
        assert STATE.watch
    assert not STATE.watch and STATE.saved_hooks == ()
    y = ember.ones(2, requires_grad=True).exp()
    assert type(y.grad_fn._saved) is tuple  # recorded as usual


# ---- aliases --------------------------------------------------------------------------------
def test_anomaly_mode_module():
    import torch.autograd.anomaly_mode as tam

    import ember.autograd.anomaly_mode as eam

    assert eam.__all__ == [n for n in ("detect_anomaly", "set_detect_anomaly") if hasattr(tam, n)]
    assert eam.detect_anomaly is ember.autograd.detect_anomaly
    assert ember.autograd.anomaly_mode is eam
    with eam.detect_anomaly():
        x = ember.tensor([0.0], requires_grad=True)
        y = x.sqrt()  # (NaN is checked in backward only, as in PyTorch)
        with pytest.raises(RuntimeError, match="returned nan values"):
            (y * 0).sum().backward()
