"""Session 10, optimizer internals as learners and researchers touch them: a differentiable
SGD step with a learned learning rate (the meta-learning pattern) and optimizer state loaded
from a differently ordered model, run on ember and compared live with torch 2.13."""

import numpy as np
import torch
from torch_compare import same as _same

import ember


# ---- differentiable=True: gradients reach a learned lr through the update --------------------

def _meta(L, kw, steps=3, lr_grad=True):
    rng = np.random.default_rng(0)
    w0 = L.tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)
    x = L.tensor(rng.standard_normal((8, 4)).astype(np.float32))
    y = L.tensor(rng.standard_normal((8, 2)).astype(np.float32))
    lr = L.tensor(0.05, requires_grad=lr_grad)
    w = w0.clone()
    opt = L.optim.SGD([w], lr=lr, differentiable=True, **kw)
    for _ in range(steps):
        g, = L.autograd.grad(((x @ w - y) ** 2).mean(), w, create_graph=True)
        w.grad = g
        opt.step()
    meta = ((x @ w - y) ** 2).mean()
    meta.backward()
    state = [(k, v.requires_grad) for k, v in opt.state[w].items()]
    lr_grad = None if lr.grad is None else lr.grad.item()
    return meta.item(), lr_grad, w0.grad.numpy().copy(), type(w.grad_fn).__name__, state


def test_differentiable_sgd_sends_gradients_to_a_learned_lr_like_pytorch():
    cases = [({}, 3), ({"weight_decay": 0.1}, 3), ({"maximize": True}, 3),
             ({"momentum": 0.9}, 1), ({"momentum": 0.9, "nesterov": True}, 1)]
    for kw, steps in cases:
        want, got = _meta(torch, kw, steps), _meta(ember, kw, steps)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-5)
        np.testing.assert_allclose(got[2], want[2], rtol=1e-5, atol=1e-6)
        assert got[3:] == want[3:], (kw, got[3:], want[3:])


def test_differentiable_sgd_with_a_constant_tensor_lr_like_pytorch():
    want, got = _meta(torch, {}, lr_grad=False), _meta(ember, {}, lr_grad=False)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-5, atol=1e-6)
    assert got[1] is want[1] is None and got[3:] == want[3:]


def _diff_on_leaves(L):
    m = L.nn.Linear(2, 1)
    opt = L.optim.SGD(m.parameters(), lr=0.1, differentiable=True)
    m(L.ones(3, 2)).sum().backward()
    opt.step()


def test_differentiable_sgd_on_leaf_parameters_errors_like_pytorch():
    _same(_diff_on_leaves)


# ---- state loaded from a model whose parameters come in another order ------------------------

def _reordered(L, cls, kw):
    L.manual_seed(0)
    m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2))
    x = L.randn(5, 3)
    first = getattr(L.optim, cls)(m.parameters(), **kw)
    m(x).sum().backward()
    first.step()
    rev = getattr(L.optim, cls)(list(m.parameters())[::-1], **kw)
    rev.load_state_dict(first.state_dict())
    rev.step()


def test_stepping_with_state_from_a_reordered_model_errors_like_pytorch():
    for cls, kw in (("Adam", {}), ("SGD", {"lr": 0.1, "momentum": 0.9}), ("RMSprop", {})):
        _same(lambda L: _reordered(L, cls, kw))
