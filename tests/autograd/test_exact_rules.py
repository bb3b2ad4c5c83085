"""Rules that claim exact gradients (Primitive.exact_grads) let the engine skip fitting their
gradients to the inputs' shapes and dtypes. tests/conftest.py checks every claim during every
test; here: the checker catches a false claim, the cases around the claiming rules that could
break one (broadcasting next to them, 0-d, empty, other dtypes), and the gradients that enter
a walk from outside a rule (root gradients, hooks) being brought to the exact shape/dtype."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
import exact_rules
from ember.autograd.function import Primitive

F_E, F_T = ember.nn.functional, torch.nn.functional


class _Liar(Primitive):
    """y = x * 1 with a gradient left in a broadcast shape, while claiming exactness."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return (np.broadcast_to(g, (2,) + g.shape),)


def test_the_checker_catches_a_false_claim():
    exact_rules.install()
    x = ember.ones(3, requires_grad=True)
    _Liar.apply(x * 1).sum().backward()
    caught = list(exact_rules.VIOLATIONS)
    exact_rules.VIOLATIONS.clear()
    assert caught and "input 0" in caught[0] and "(2, 3)" in caught[0]


CASES = {
    "tanh_after_broadcast": lambda T, F, x, b: (x + b).tanh(),
    "relu_of_0d": lambda T, F, x, b: (x.sum() * b.sum()).relu(),
    "log_softmax_then_broadcast": lambda T, F, x, b: F.log_softmax(x, dim=-1) * b,
    "softmax_dim0": lambda T, F, x, b: F.softmax(x, dim=0) + b,
    "gather_rows": lambda T, F, x, b: x.gather(1, T.tensor([[1], [0], [2]])) * b[:1],
    "reshape_views": lambda T, F, x, b: x.reshape(-1).unsqueeze(0).squeeze(0) * 2,
    "neg_scalar": lambda T, F, x, b: -(x.mean()),
    "mean_other_dtype": lambda T, F, x, b: x.mean(dtype=T.float64) * 3,
    "sum_other_dtype": lambda T, F, x, b: x.sum(1, dtype=T.float64) * b.double(),
    "sum_keepdim_broadcast": lambda T, F, x, b: x.sum(0, keepdim=True) * x,
    "linear_2d": lambda T, F, x, b: F.linear(x, x[:2], b[:2]).tanh(),
    "linear_1d_and_3d": lambda T, F, x, b: F.linear(x[0], x, b).sum() + F.linear(
        x.unsqueeze(0), x, b).sum(),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_around_exact_rules_match_torch(name, dtype):
    rng = np.random.default_rng(5)
    xa = rng.standard_normal((3, 3)).astype(dtype)
    ba = rng.standard_normal(3).astype(dtype)
    grads = []
    for T, F in ((ember, F_E), (torch, F_T)):
        x = T.tensor(xa, requires_grad=True)
        b = T.tensor(ba, requires_grad=True)
        out = CASES[name](T, F, x, b)
        (out * out).sum().backward()
        grads.append([np.asarray(t.grad.detach().numpy()) for t in (x, b) if t.grad is not None])
    assert len(grads[0]) == len(grads[1])
    for e, t in zip(*grads):
        assert e.shape == t.shape and e.dtype == t.dtype
        np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-5)


def test_empty_and_0d_inputs():
    for shape in [(0, 3), ()]:
        x = ember.ones(shape, requires_grad=True)
        y = x.tanh().relu().reshape(shape).neg().sum()
        y.backward()
        assert x.grad.shape == x.shape and x.grad.dtype == x.dtype


def test_a_root_gradient_of_another_dtype_is_cast_as_pytorch_does():
    grads = []
    for T in (ember, torch):
        x = T.tensor([0.25, -0.5, 0.1], requires_grad=True)  # tanh unsaturated: no 1 - y^2
        y = (x * 2).tanh()                                   # cancellation of its last bits
        y.backward(T.tensor([1.0, 2.0, 3.0], dtype=T.float64))
        grads.append(x.grad)
    assert grads[0].dtype == ember.float32 and grads[1].dtype == torch.float32
    np.testing.assert_allclose(grads[0].numpy(), grads[1].numpy(), rtol=1e-6)


def test_a_hook_may_not_change_its_gradients_size_or_dtype():
    """PyTorch's errors (the walk relies on gradients keeping their tensor's shape/dtype)."""
    def shrink(g):
        return g.sum(0, keepdim=True)

    def widen(g):
        return g.double()

    for hook in (shrink, widen):
        msgs = []
        for T in (ember, torch):
            x = T.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
            h = x.tanh()
            h.register_hook(hook)
            with pytest.raises(RuntimeError) as info:
                h.relu().sum().backward()
            msgs.append(str(info.value).splitlines()[0])
        assert msgs[0] == msgs[1]
