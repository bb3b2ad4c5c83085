"""Calling a graph node, ``y.grad_fn(g)`` (espnet's CTC ``builtin2`` path, autograd
tutorials that show one chain-rule step): the node's backward formula on g, one gradient
per next_functions entry (the Tensor alone where there is one), differentiable where the
formula uses saved tensors that require grad. Against PyTorch 2.13 live; ember had no
``Node.__call__`` (TypeError: not callable)."""

import numpy as np
import pytest

from torch_compare import run_both, same_error_case


def _show(r):
    if isinstance(r, tuple):
        return [_show(t) for t in r]
    if r is None:
        return None
    return (tuple(r.shape), r.requires_grad, np.round(r.detach().numpy(), 6).tolist())


def _xw(L):
    return (L.tensor([1.0, 2.0], requires_grad=True), L.tensor([3.0, 4.0], requires_grad=True))


FORMS = {
    "mul_number": lambda L, x, w: x * 3,
    "mul": lambda L, x, w: x * w,
    "add": lambda L, x, w: x + w,
    "sub": lambda L, x, w: x - w,
    "div": lambda L, x, w: x / w,
    "sum": lambda L, x, w: (x * w).sum(),
    "mean": lambda L, x, w: x.mean(),
    "exp": lambda L, x, w: x.exp(),
    "tanh": lambda L, x, w: x.tanh(),
    "matmul": lambda L, x, w: x[None] @ w[:, None],
    "linear": lambda L, x, w: L.nn.functional.linear(x[None], w[None], None),
}


@pytest.mark.parametrize("grad_mode", [True, False], ids=["grad", "no_grad"])
@pytest.mark.parametrize("form", list(FORMS))
def test_node_call(form, grad_mode):
    def run(L):
        y = FORMS[form](L, *_xw(L))
        with L.set_grad_enabled(grad_mode):
            return _show(y.grad_fn(L.ones_like(y)))
    want, got = run_both(run)
    assert got == want


def test_node_call_ctc_like_espnet():
    """espnet2/asr/ctc.py builtin2: ctc_grad = loss.grad_fn(torch.ones_like(loss))."""
    def run(L):
        rng = np.random.default_rng(0)
        logits = L.tensor(rng.standard_normal((6, 2, 5)).astype(np.float32), requires_grad=True)
        lp = logits.log_softmax(2)
        loss = L.nn.functional.ctc_loss(lp, L.tensor([[1, 2], [3, 3]]), L.tensor([6, 5]),
                                        L.tensor([2, 2]), reduction="none")
        grad = loss.grad_fn(L.ones_like(loss))
        return _show(grad)
    want, got = run_both(run)
    assert got[0][:2] == want[0][:2]  # shape and requires_grad
    np.testing.assert_allclose(got[0][2], want[0][2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda L, y: y.grad_fn(L.ones(3)),
    lambda L, y: y.grad_fn(),
    lambda L, y: y.grad_fn(L.ones(2), L.ones(2)),
], ids=["wrong_shape", "no_gradient", "two_gradients"])
def test_node_call_errors(call):
    same_error_case(lambda L: call(L, FORMS["mul"](L, *_xw(L))))
