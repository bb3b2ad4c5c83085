"""explain(): the chain-rule trace reproduces seed 002's hand derivation step by step."""

import numpy as np
import torch

import ember


def _two_layer(T):
    x = T.tensor([[1.0, 2.0]])
    y = T.tensor([1.0])
    W1 = T.tensor([[0.1, -0.2], [0.3, 0.4]], requires_grad=True)
    W2 = T.tensor([[0.7, -0.5]], requires_grad=True)
    z1 = x @ W1
    h = T.relu(z1)
    z2 = h @ W2.T
    y_pred = T.sigmoid(z2).squeeze()
    eps = 1e-7
    loss = -(y * T.log(y_pred + eps) + (1 - y) * T.log(1 - y_pred + eps))
    return loss, y_pred, W1, W2


def test_trace_follows_the_hand_derivation():
    loss, y_pred, W1, W2 = _two_layer(ember)
    trace = ember.autograd.explain(loss, params={"W1": W1, "W2": W2})
    p = y_pred.item()
    # Hand derivation (seed 002, demo 1): dL/dy_pred = -1/y_pred, then sigmoid' = p(1-p).
    dl_dp = -1.0 / (p + 1e-7)
    sig = next(s for s in trace.steps if s.op == "SigmoidBackward0")
    assert "dy/dx = y(1 - y)" in sig.formula
    np.testing.assert_allclose(sig.grad_output.ravel(), [dl_dp], rtol=1e-5)
    np.testing.assert_allclose(sig.grad_inputs[0][1].ravel(), [dl_dp * p * (1 - p)], rtol=1e-5)
    log_steps = [s for s in trace.steps if s.op == "LogBackward0"]
    assert log_steps and all("1/x" in s.formula for s in log_steps)
    # Steps are numbered in the order the engine ran them, output side first.
    assert [s.index for s in trace.steps] == list(range(1, len(trace.steps) + 1))
    assert trace.steps[0].op == "NegBackward0"


def test_trace_runs_the_same_backward_as_torch():
    loss, _, W1, W2 = _two_layer(ember)
    trace = ember.autograd.explain(loss, params={"W1": W1, "W2": W2})
    t_loss, _, tW1, tW2 = _two_layer(torch)
    t_loss.backward()
    np.testing.assert_allclose(W1.grad.numpy(), tW1.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(W2.grad.numpy(), tW2.grad.numpy(), rtol=1e-6)
    leaves = dict(trace.leaves)
    np.testing.assert_allclose(leaves["W2"], tW2.grad.numpy(), rtol=1e-6)
    text = str(trace)
    assert "SigmoidBackward0" in text and "W1.grad" in text and "leaf W2" in text


def test_large_tensors_show_shape_and_norm():
    w = ember.ones(10, 10, requires_grad=True)
    trace = ember.autograd.explain((w * 3).sum())
    text = str(trace)
    assert "shape [10, 10], norm 30" in text
