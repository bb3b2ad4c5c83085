"""Sequential's cached inference plan (nn/modules/_fastpath.py): every change a user can make
after the first no_grad call must be seen by the next one. Each case compares the fast path
with the layer-by-layer path (which never uses the plan) and with real PyTorch doing the same
thing to the same model."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import ember
from nn_testutil import copy_weights, np_of

RNG = np.random.default_rng(11)
X = RNG.standard_normal((5, 3)).astype(np.float32)


def _models():
    e = ember.nn.Sequential(ember.nn.Linear(3, 8), ember.nn.ReLU(), ember.nn.Linear(8, 8),
                            ember.nn.Tanh(), ember.nn.Dropout(0.5), ember.nn.Linear(8, 2))
    t = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
                            torch.nn.Tanh(), torch.nn.Dropout(0.5), torch.nn.Linear(8, 2))
    copy_weights(e, t)
    return e.eval(), t.eval()


def _layer_by_layer(seq, x):
    for m in seq:
        x = m(x)
    return x


def _check(e, t, x=X):
    """Fast path == layer-by-layer bit for bit, and == PyTorch to float32 rounding."""
    with ember.no_grad(), torch.no_grad():
        fast = e(ember.tensor(x))
        slow = _layer_by_layer(e, ember.tensor(x))
        ref = t(torch.tensor(x))
    assert np.array_equal(np_of(fast), np_of(slow))
    np.testing.assert_allclose(np_of(fast), ref.numpy(), rtol=1e-5, atol=1e-6)
    return np_of(fast)


def _hook(model):
    model[3].register_forward_hook(lambda m, a, out: out * 3)


def _pre_hook_then_remove(model):
    model[0].register_forward_pre_hook(lambda m, a: (a[0] * 2,)).remove()


def _new_weight_data(model):
    model[2].weight.data = model[2].weight.data * 0.5


def _in_place_weight(model):
    with torch.no_grad() if isinstance(model, torch.nn.Module) else ember.no_grad():
        model[0].weight.mul_(-1.0)


def _replace_child(model):
    model[1] = type(model[3])()  # ReLU -> Tanh


def _append(model):
    model.append(type(model[3])())


def _train_mode(model):
    model.train()  # Dropout now drops: compared on its mask-free statistics below


def _patch_instance_forward(model):
    model[3].forward = lambda x: x * 0.25


def _replace_parameter(model):
    p = type(model[5].bias)
    model[5].bias = p(model[5].bias.detach() + 1.0)


CHANGES = [_hook, _pre_hook_then_remove, _new_weight_data, _in_place_weight, _replace_child,
           _append, _patch_instance_forward, _replace_parameter]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
def test_a_change_after_the_first_call_is_seen(change):
    e, t = _models()
    before = _check(e, t)
    change(e)
    change(t)
    after = _check(e, t)
    assert not np.array_equal(before, after) or change is _pre_hook_then_remove


def test_switching_to_train_mode_runs_dropout():
    e, _ = _models()
    x = ember.tensor(np.ones((2000, 3), np.float32))
    with ember.no_grad():
        e(x)
        e[4].p = 1.0  # every activation dropped: the last Linear sees zeros
        e.train()
        out = e(x)
    assert np.allclose(np_of(out), np_of(e[5].bias))


def test_patching_the_class_forward_is_seen():
    e, _ = _models()
    with ember.no_grad():
        e(ember.tensor(X))
        original = ember.nn.Tanh.forward
        ember.nn.Tanh.forward = lambda self, x: x * 0 + 7
        try:
            out = e(ember.tensor(X))
            slow = _layer_by_layer(e, ember.tensor(X))
        finally:
            ember.nn.Tanh.forward = original
    assert np.array_equal(np_of(out), np_of(slow))
    h = ember.tensor(np.full((5, 8), 7, np.float32))
    assert np.allclose(np_of(out), np_of(e[5](h)))


def test_another_dtype_or_width_gets_its_own_plan_and_errors_stay_pytorchs():
    e, t = _models()
    _check(e, t)
    e64, t64 = e.double(), t.double()
    _check(e64, t64, X.astype(np.float64))
    with ember.no_grad(), pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot"):
        e64(ember.ones(2, 4, dtype=ember.float64))
    with ember.no_grad(), pytest.raises(RuntimeError, match="same dtype"):
        e64(ember.ones(2, 3))


def test_direct_edit_of_a_hook_dict_is_seen():
    e, t = _models()
    _check(e, t)
    e[1]._forward_hooks[12345] = lambda m, a, out: out + 1
    t[1]._forward_hooks[12345] = lambda m, a, out: out + 1
    _check(e, t)


def test_copies_and_pickles_carry_no_stale_plan():
    e, _ = _models()
    with ember.no_grad():
        e(ember.tensor(X))
        twin = copy.deepcopy(e)
        thawed = pickle.loads(pickle.dumps(e))
        e[0].weight.mul_(2.0)  # changes the original only
        for other in (twin, thawed):
            assert "_plan" not in vars(other) or vars(other)["_plan"] is not vars(e)["_plan"]
            out = other(ember.tensor(X))
            assert np.array_equal(np_of(out), np_of(_layer_by_layer(other, ember.tensor(X))))
            assert not np.array_equal(np_of(out), np_of(e(ember.tensor(X))))


# ---- the same plan with grad on: each layer's primitive applied directly ----------------
def _graph_names(t):
    """The names of the nodes on the input's path, output first. (PyTorch's TBackward0 for
    weight.t() inside F.linear, an edge into the parameter, is not on it.)"""
    names, node = [], t.grad_fn
    while node is not None:
        names.append(node.name())
        nxt = [f for f, _ in node.next_functions if f is not None and f.name() not in
               ("torch::autograd::AccumulateGrad", "TBackward0")]
        node = nxt[0] if nxt else None
    return names


@pytest.mark.parametrize("layers", [
    "Linear(3, 8), ReLU(), Linear(8, 8), Tanh(), Dropout(0.5), Linear(8, 2)",
    "Linear(3, 8, bias=False), Sigmoid(), Identity(), Linear(8, 2)",
    "ReLU(), Linear(3, 2), ReLU(inplace=True), Linear(2, 2)",
    "Linear(3, 8), Sigmoid(), ReLU(), Linear(8, 8), ReLU(), ReLU(), Linear(8, 2)",
    "Linear(3, 8), Identity(), Tanh(), Tanh(), Linear(8, 8), Dropout(0.5), ReLU()",
])
def test_recorded_chain_is_pytorchs_graph_and_gradients(layers):
    e = eval(f"Sequential({layers})", vars(ember.nn)).eval()
    t = eval(f"Sequential({layers})", vars(torch.nn)).eval()
    copy_weights(e, t)
    xe = ember.tensor(X, requires_grad=True)
    xt = torch.tensor(X, requires_grad=True)
    out_e, out_t = e(xe), t(xt)
    assert _graph_names(out_e) == _graph_names(out_t)
    np.testing.assert_allclose(np_of(out_e), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out_e ** 2).sum().backward()
    (out_t ** 2).sum().backward()
    np.testing.assert_allclose(np_of(xe.grad), xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    for pe, pt in zip(e.parameters(), t.parameters()):
        np.testing.assert_allclose(np_of(pe.grad), pt.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("layers", [
    "Linear(3, 8), ReLU(), Linear(8, 8), Tanh(), Linear(8, 2)",  # activations over Linears
    "Linear(3, 8), Sigmoid(), ReLU(), Linear(8, 8), ReLU(), ReLU(), Tanh(), Linear(8, 2)",
])
def test_recorded_chain_is_the_layer_by_layer_chain_bit_for_bit(layers):
    """A ReLU or Tanh right after a Linear is computed over the Linear's output array (no
    node saves it); one after a Sigmoid, Tanh or ReLU must not be (those save their outputs).
    Values, first and second-order gradients equal the module-by-module calls exactly."""
    e = eval(f"Sequential({layers})", vars(ember.nn)).eval()
    x = RNG.standard_normal((6, 3)).astype(np.float32) * 3
    results = []
    for run in (e, lambda v: _layer_by_layer(e, v)):
        for p in e.parameters():
            p.grad = None
        xe = ember.tensor(x, requires_grad=True)
        out = run(xe)
        (gx,) = ember.autograd.grad((out ** 2).sum(), xe, create_graph=True)
        (gx ** 2).sum().backward()
        results.append([np_of(out), np_of(gx), np_of(xe.grad)]
                       + [np_of(p.grad) for p in e.parameters()])
    for fast, slow in zip(*results):
        np.testing.assert_array_equal(fast, slow)


def test_recorded_chain_under_saved_tensor_hooks_packs_the_layer_by_layer_values():
    """Saved-tensor hooks get the same tensors, in the same order, as module-by-module calls,
    and what they hold is still right after backward: the Linear outputs overwritten by the
    activations after them are packed by no node."""
    e = ember.nn.Sequential(ember.nn.Linear(3, 8), ember.nn.ReLU(), ember.nn.Linear(8, 8),
                            ember.nn.Tanh(), ember.nn.Linear(8, 2))
    packs = []
    for run in (e, lambda v: _layer_by_layer(e, v)):
        held = []
        with ember.autograd.graph.saved_tensors_hooks(lambda v: held.append(v) or v,
                                                      lambda v: v):
            out = run(ember.tensor(X, requires_grad=True))
        out.sum().backward()
        packs.append([np_of(v) for v in held])
    assert len(packs[0]) == len(packs[1]) > 0
    for fast, slow in zip(*packs):
        np.testing.assert_array_equal(fast, slow)


def test_recorded_chain_sees_hooks_and_supports_higher_order():
    e, t = _models()
    xe = ember.tensor(X, requires_grad=True)
    xt = torch.tensor(X, requires_grad=True)
    e(xe)  # the plan exists now
    for m in (e, t):
        m[2].register_forward_hook(lambda mod, a, out: out * 2)
    out_e, out_t = e(xe), t(xt)
    np.testing.assert_allclose(np_of(out_e), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    (ge,) = ember.autograd.grad(out_e.sum(), xe, create_graph=True)
    (gt,) = torch.autograd.grad(out_t.sum(), xt, create_graph=True)
    (gge,) = ember.autograd.grad((ge ** 2).sum(), xe)
    (ggt,) = torch.autograd.grad((gt ** 2).sum(), xt)
    np.testing.assert_allclose(np_of(gge), ggt.numpy(), rtol=1e-4, atol=1e-6)


def test_non_matrix_inputs_take_the_layer_by_layer_path():
    e, t = _models()
    for shape in [(3,), (2, 5, 3)]:
        x = RNG.standard_normal(shape).astype(np.float32)
        out_e = e(ember.tensor(x, requires_grad=True))
        out_t = t(torch.tensor(x, requires_grad=True))
        slow = _layer_by_layer(e, ember.tensor(x, requires_grad=True))
        assert _graph_names(out_e) == _graph_names(slow)
        assert np.array_equal(np_of(out_e), np_of(slow))
        np.testing.assert_allclose(np_of(out_e), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_setting_an_attribute_to_its_value_keeps_the_plan():
    """model.eval() every step on an eval model changes nothing, so the plan stays."""
    e, t = _models()
    _check(e, t)
    plan = vars(e)["_plan"]
    e.eval()
    _check(e, t)
    assert vars(e)["_plan"] is plan
    e.train()
    t.train()
    with ember.no_grad():
        e(ember.tensor(X))
    assert vars(e)["_plan"] is not plan  # a real change: planned again


def test_a_hooked_sequential_and_a_subclass_still_use_the_plan_for_their_layers():
    """Hooks on the container itself (or a subclass calling super().forward) go through
    Module.__call__; forward then still runs the layers by plan, with grad on and off."""
    e, t = _models()
    seen = []
    e.register_forward_hook(lambda m, a, out: seen.append(1))
    t.register_forward_hook(lambda m, a, out: None)
    _check(e, t)
    xe, xt = ember.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    out_e, out_t = e(xe), t(xt)
    assert _graph_names(out_e) == _graph_names(out_t) and seen == [1, 1]
    assert "_plan" in vars(e)
