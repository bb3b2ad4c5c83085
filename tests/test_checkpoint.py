"""ember.utils.checkpoint against plain (un-checkpointed) runs and torch.utils.checkpoint:
identical gradients (dropout included), inputs that do not require grad, warnings, errors."""

import warnings

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcp

import ember
import ember.utils.checkpoint as ecp


def _block(lib, w1, w2):
    def f(x, y):
        h = lib.nn.functional.dropout(lib.tanh(x @ w1), p=0.5, training=True)
        return (h * y) @ w2
    return f


def _grads(lib, use_ckpt, reentrant):
    lib.manual_seed(0)
    rng = np.random.default_rng(1)
    w1 = lib.tensor(rng.normal(size=(4, 5)), requires_grad=True)
    w2 = lib.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    x = lib.tensor(rng.normal(size=(6, 4)), requires_grad=True)
    y = lib.tensor(rng.normal(size=(6, 5)))  # does not require grad
    f = _block(lib, w1, w2)
    lib.manual_seed(7)
    if use_ckpt:
        mod = ecp if lib is ember else tcp
        out = mod.checkpoint(f, x, y, use_reentrant=reentrant)
    else:
        out = f(x, y)
    lib.rand(3)  # the generator moves on before backward: the recompute must not see this
    (out ** 2).sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in (x, w1, w2)], y.grad


@pytest.mark.parametrize("reentrant", [True, False])
def test_gradients_identical_to_plain_run_with_dropout(reentrant):
    out0, g0, _ = _grads(ember, False, reentrant)
    out1, g1, ygrad = _grads(ember, True, reentrant)
    np.testing.assert_array_equal(out0, out1)
    for a, b in zip(g0, g1):
        np.testing.assert_array_equal(a, b)
    assert ygrad is None


def test_rng_not_preserved_gives_other_masks():
    ember.manual_seed(0)
    x = ember.ones(200, dtype=ember.float64, requires_grad=True)
    out = ecp.checkpoint(lambda a: ember.nn.functional.dropout(a, 0.5), x,
                         use_reentrant=False, preserve_rng_state=False)
    out.sum().backward()
    assert not np.array_equal(x.grad.numpy(), out.detach().numpy())
    x.grad = None
    out = ecp.checkpoint(lambda a: ember.nn.functional.dropout(a, 0.5), x,
                         use_reentrant=False)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())


def test_matches_torch_values_without_dropout():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    res = []
    for lib, mod in ((torch, tcp), (ember, ecp)):
        x, w = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = mod.checkpoint(lambda u: lib.sin(u @ w).exp(), x, use_reentrant=True)
        out.sum().backward()
        res.append((out.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
    for e, t in zip(res[1], res[0]):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_tuple_outputs_and_kwargs():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = ember.tensor([3.0, -1.0], dtype=ember.float64, requires_grad=True)
    f = lambda a, b, scale=1.0: (a * b * scale, (a + b).exp())  # noqa: E731
    p, q = ecp.checkpoint(f, x, y, use_reentrant=False, scale=2.0)
    (p.sum() + q.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * y.detach().numpy() +
                               np.exp((x + y).detach().numpy()))
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        ecp.checkpoint(f, x, y, use_reentrant=True, scale=2.0)


def _warnings(fn):
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in got]


def test_warnings_match_torch():
    for make in (lambda lib, mod: mod.checkpoint(lambda a: a * 2,
                                                 lib.ones(2, requires_grad=True)),
                 lambda lib, mod: mod.checkpoint(lambda a: a * 2, lib.ones(2),
                                                 use_reentrant=True),
                 lambda lib, mod: mod.checkpoint_sequential(
                     lib.nn.Sequential(lib.nn.Linear(2, 2)), 1,
                     lib.ones(1, 2, requires_grad=True))):
        assert _warnings(lambda: make(ember, ecp)) == _warnings(lambda: make(torch, tcp))


def test_non_reentrant_without_grad_inputs_still_trains_parameters():
    lin = ember.nn.Linear(3, 2)
    out = ecp.checkpoint(lin, ember.ones(4, 3), use_reentrant=False)
    out.sum().backward()
    assert lin.weight.grad is not None


def test_checkpoint_sequential_gradients():
    ember.manual_seed(0)
    layers = [ember.nn.Linear(4, 4), ember.nn.Tanh(), ember.nn.Dropout(0.3),
              ember.nn.Linear(4, 4), ember.nn.ReLU(), ember.nn.Linear(4, 1)]
    model = ember.nn.Sequential(*layers).double()
    x = ember.randn(5, 4, dtype=ember.float64, requires_grad=True)
    grads = []
    for seq in (False, True):
        model.zero_grad()
        x.grad = None
        ember.manual_seed(11)
        out = ecp.checkpoint_sequential(model, 3, x, use_reentrant=False) if seq else model(x)
        out.sum().backward()
        grads.append([x.grad.numpy().copy()] + [p.grad.numpy().copy()
                                                 for p in model.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
