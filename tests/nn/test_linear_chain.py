"""A recorded Sequential chain Linear, ReLU/Tanh, ..., Linear is one node (nn/modules/_chain.py)
until something looks inside the graph. These tests check that nothing can tell: values and
gradients bit for bit against the layer-by-layer path, and graph, hooks, saved tensors,
errors and higher-order gradients against PyTorch."""

import numpy as np
import pytest
import torch

import ember

ACTS = ("ReLU", "Tanh")


def build(lib, act, sizes, dtype="float32", seed=0):
    """The same Sequential in ember or torch, with seeded weights of the given dtype."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = lib.nn.Linear(a, b)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(rng.standard_normal((b, a)) * 0.5))
            lin.bias.copy_(lib.tensor(rng.standard_normal(b) * 0.1))
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(getattr(lib.nn, act)())
    return lib.nn.Sequential(*layers).to(getattr(lib, dtype))


def data(lib, sizes, dtype="float32", grad=False, seed=1):
    x = np.random.default_rng(seed).standard_normal((5, sizes[0]))
    return lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=grad)


def fused(out) -> bool:
    return "_chain" in out.grad_fn.__dict__


def _arrays(ts):
    return [None if t is None else t.detach().numpy().copy() for t in ts]


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("sizes", [[3, 8, 2], [4, 16, 16, 2], [5, 6, 7, 8, 3]])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xgrad", [False, True])
def test_bits_of_the_layer_by_layer_path(act, sizes, dtype, xgrad):
    results = []
    for chain in (True, False):
        m = build(ember, act, sizes, dtype)
        x = data(ember, sizes, dtype, xgrad)
        out = m(x) if chain else m._layer_by_layer(x)
        assert fused(out) is chain
        (out * out).sum().backward()
        results.append(_arrays([out] + [p.grad for p in m.parameters()]
                               + ([x.grad] if xgrad else [])))
    for a, b in zip(*results):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8))


def _names(fn, depth=6):
    """PyTorch's graph as the names along each next_functions path."""
    if fn is None or depth == 0:
        return None
    return (fn.name(), tuple(_names(f, depth - 1) for f, _ in fn.next_functions))


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("xgrad", [False, True])
def test_graph_as_torch_before_and_after_backward(act, xgrad):
    sizes = [4, 8, 8, 2]
    graphs = {}
    for lib in (ember, torch):
        out = build(lib, act, sizes)(data(lib, sizes, grad=xgrad))
        before = _names(out.grad_fn)
        out2 = build(lib, act, sizes)(data(lib, sizes, grad=xgrad))
        out2.sum().backward()
        graphs[lib.__name__] = (before, _names(out2.grad_fn), type(out.grad_fn).__name__)
    assert graphs["ember"] == graphs["torch"]


def test_saved_tensors_as_torch():
    sizes = [3, 6, 6, 2]
    got = {}
    for lib in (ember, torch):
        out = build(lib, "ReLU", sizes)(data(lib, sizes))
        fn = out.grad_fn
        relu = fn.next_functions[1][0]
        got[lib.__name__] = [fn._saved_mat1.detach().numpy(), fn._saved_mat2.detach().numpy(),
                             relu._saved_result.detach().numpy()]
    for a, b in zip(got["ember"], got["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_saved_attribute_expands_first():
    sizes = [3, 6, 6, 2]
    m = build(ember, "ReLU", sizes)
    out = m(data(ember, sizes))
    assert fused(out)
    mat2 = out.grad_fn._saved_mat2  # PyTorch's addmm saves W^T
    assert not fused(out)
    np.testing.assert_array_equal(mat2.detach().numpy(), m[4].weight.detach().numpy().T)


def _hooked_run(lib, act, where):
    """Backward with hooks on inner nodes (reached through next_functions) or on the
    output tensor; returns the order the hooks fired in and the gradients they saw."""
    sizes = [4, 8, 8, 2]
    m = build(lib, act, sizes)
    out = m(data(lib, sizes))
    seen = []
    if where == "inner":
        fn = out.grad_fn
        act_node = fn.next_functions[1][0]
        lin_node = act_node.next_functions[0][0]
        act_node.register_hook(lambda gi, go: seen.append(("act", gi[0].numpy().copy())))
        lin_node.register_prehook(lambda go: seen.append(("lin", go[0].numpy().copy())))
        m[2].weight.register_hook(lambda g: seen.append(("w2", g.numpy().copy())))
    elif where == "output":
        out.register_hook(lambda g: seen.append(("out", g.numpy().copy())))
        out.retain_grad()
    else:
        out.grad_fn.register_hook(lambda gi, go: seen.append(("fn", gi[1].numpy().copy())))
    (out * out).sum().backward()
    return seen + [("grad", p.grad.numpy().copy()) for p in m.parameters()]


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("where", ["inner", "output", "node"])
def test_hooks_as_torch(act, where):
    e, t = _hooked_run(ember, act, where), _hooked_run(torch, act, where)
    assert [k for k, _ in e] == [k for k, _ in t]
    for (_, a), (_, b) in zip(e, t):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _error_of(fn):
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - the type and message are compared
        return type(err).__name__, str(err).splitlines()[0]
    return None


@pytest.mark.parametrize("change", ["w1", "w2", "w3", "b2", "x"])
@pytest.mark.parametrize("xgrad", [False, True])
def test_in_place_change_before_backward_as_torch(change, xgrad):
    """PyTorch's version error naming the changed tensor, or no error where its nodes did
    not save it (W1 when x needs no gradient; a bias)."""
    sizes = [3, 5, 5, 2]

    def run(lib):
        m = build(lib, "ReLU", sizes)
        x = data(lib, sizes)
        x_in = x.clone().requires_grad_() if xgrad else x
        out = m(x_in)
        with lib.no_grad():
            t = {"w1": m[0].weight, "w2": m[2].weight, "w3": m[4].weight, "b2": m[2].bias,
                 "x": x_in}[change]
            t.add_(1.0)
        return _error_of(lambda: out.sum().backward())

    assert run(ember) == run(torch)


def test_second_backward_error_as_torch():
    sizes = [3, 5, 5, 2]

    def run(lib):
        out = build(lib, "Tanh", sizes)(data(lib, sizes))
        loss = out.sum()
        loss.backward()
        return _error_of(loss.backward), _names(out.grad_fn)

    assert run(ember) == run(torch)


@pytest.mark.parametrize("act", ACTS)
def test_double_backward_as_torch(act):
    """A gradient penalty (WGAN-GP): create_graph through the chain, then backward again."""
    sizes = [3, 8, 8, 1]
    got = {}
    for lib in (ember, torch):
        m = build(lib, act, sizes, "float64")
        x = data(lib, sizes, "float64", grad=True)
        (gx,) = lib.autograd.grad(m(x).sum(), x, create_graph=True)
        ((gx.norm(2, dim=1) - 1) ** 2).mean().backward()
        got[lib.__name__] = _arrays([gx] + [p.grad for p in m.parameters()])
    for a, b in zip(got["ember"], got["torch"]):
        assert (a is None) == (b is None)  # the last bias: no path from the penalty
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_autograd_grad_and_retain_graph_as_torch():
    sizes = [4, 8, 8, 2]
    got = {}
    for lib in (ember, torch):
        m = build(lib, "ReLU", sizes, "float64")
        out = m(data(lib, sizes, "float64"))
        loss = (out ** 2).sum()
        (g2,) = lib.autograd.grad(loss, [m[2].weight], retain_graph=True)
        loss.backward(retain_graph=True)
        loss.backward()
        got[lib.__name__] = _arrays([g2] + [p.grad for p in m.parameters()])
    for a, b in zip(got["ember"], got["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_not_fused_where_unfused_differs():
    """A frozen layer, anomaly mode, saved-tensor hooks and a shared weight record layer by
    layer (and still match PyTorch)."""
    sizes = [3, 5, 5, 2]
    m = build(ember, "ReLU", sizes)
    x = data(ember, sizes)
    assert fused(m(x))
    m[0].weight.requires_grad_(False)
    assert not fused(m(x))
    m[0].weight.requires_grad_(True)
    with ember.autograd.detect_anomaly():
        assert not fused(m(x))
    with ember.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        assert not fused(m(x))
    shared = ember.nn.Linear(4, 4)
    assert not fused(ember.nn.Sequential(shared, ember.nn.ReLU(), shared)(data(ember, [4])))
    assert fused(m(x))


def test_explain_and_graph_tools_see_torch_nodes():
    sizes = [3, 4, 4, 2]
    m = build(ember, "ReLU", sizes)
    out = m(data(ember, sizes))
    trace = ember.autograd.explain((out * out).sum(), params=dict(m.named_parameters()))
    ops = [s.op for s in trace.steps]
    assert ops.count("AddmmBackward0") == 3 and ops.count("ReluBackward0") == 2
    m.zero_grad()
    ref = m._layer_by_layer(data(ember, sizes))
    ref_trace = ember.autograd.explain((ref * ref).sum(), params=dict(m.named_parameters()))
    assert ops == [s.op for s in ref_trace.steps]


def test_the_plan_marks_only_chains():
    nn = ember.nn
    x = data(ember, [3])

    def chain(*mods):
        seq = nn.Sequential(*mods)
        seq(x)
        return seq.__dict__["_plan"].chain is not None

    assert chain(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert chain(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    assert not chain(nn.Linear(3, 4))
    assert not chain(nn.Linear(3, 4), nn.ReLU())
    assert not chain(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))
    assert not chain(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 2))
    assert not chain(nn.Linear(3, 4), nn.ReLU(), nn.ReLU(), nn.Linear(4, 2))
    assert not chain(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 2))


def _firing_order(lib):
    """Two chains on one input: PyTorch runs the newer chain's nodes first (by creation
    number); every node's hook records when it ran."""
    sizes = [3, 4, 4, 2]
    x = data(lib, sizes, grad=True)
    y1 = build(lib, "ReLU", sizes, seed=0)(x)
    y2 = build(lib, "Tanh", sizes, seed=1)(x)
    loss = (y1 * y2).sum()
    order, seen, stack = [], set(), [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        stack.extend(f for f, _ in fn.next_functions)
        if fn.name() == "TBackward0" or "AccumulateGrad" in fn.name():  # (ember shows them)
            continue
        label = f"{fn.name()}#{len(seen)}"
        fn.register_hook(lambda gi, go, label=label: order.append(label))
    loss.backward()
    return order


def test_node_order_across_two_chains_as_torch():
    assert _firing_order(ember) == _firing_order(torch)
