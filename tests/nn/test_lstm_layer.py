"""The one-node LSTM layer (nn/modules/_lstm_layer.py): PyTorch's node name, the per-step
path's forward bits, gradients against the per-step path, PyTorch 2.13 and float64 finite
differences, second order through its recorded create_graph route, and which inputs take it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import np_of

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.nn.modules._lstm_layer import LSTMLayer, per_step_layer

RNG = np.random.default_rng(5)


def _inputs(steps=4, batch=3, n_in=5, n=4, dtype=np.float64, bias=True):
    def t(*shape):
        return ember.tensor(RNG.standard_normal(shape).astype(dtype) * 0.5, requires_grad=True)
    b = (t(4 * n), t(4 * n)) if bias else (None, None)
    return [t(steps * batch, n_in), t(4 * n, n_in), t(4 * n, n), *b, t(batch, n), t(batch, n)]


def _names(fn) -> set:
    seen, stack = set(), [fn]
    while stack:
        f = stack.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        yield type(f).__name__
        stack += [e for e, _ in getattr(f, "next_functions", ())]


def test_graph_has_pytorchs_node():
    m = ember.nn.LSTM(3, 4)
    out, (h, c) = m(ember.randn(5, 2, 3))
    assert "MkldnnRnnLayerBackward0" in set(_names(out.grad_fn))
    assert "MkldnnRnnLayerBackward0" in set(_names(c.grad_fn))
    t = torch.nn.LSTM(3, 4)
    assert type(t(torch.randn(5, 2, 3))[0].grad_fn).__name__ == "MkldnnRnnLayerBackward0"


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_forward_bits_and_gradients_as_per_step_path(reverse, bias, dtype):
    args = _inputs(dtype=dtype, bias=bias)
    fused = LSTMLayer.apply(*args, 4, reverse)
    steps = per_step_layer(*args, 4, reverse)
    assert np.array_equal(fused.detach().numpy(), steps.detach().numpy())
    w = ember.tensor(RNG.standard_normal(tuple(fused.shape)).astype(dtype))
    leaves = [a for a in args if a is not None]
    g1 = ember.autograd.grad((fused * w).sum(), leaves)
    g2 = ember.autograd.grad((steps * w).sum(), leaves)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), **tol)


@pytest.mark.parametrize("reverse", [False, True])
def test_gradcheck_and_gradgradcheck(reverse):
    args = _inputs(steps=3, batch=2, n_in=2, n=2)
    fn = lambda *a: LSTMLayer.apply(*a, 3, reverse)  # noqa: E731
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


@pytest.mark.parametrize("layers,bidir,batch_first", [(1, False, False), (2, True, True),
                                                      (3, False, True)])
def test_training_step_matches_torch(layers, bidir, batch_first):
    e = ember.nn.LSTM(5, 6, num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    t = torch.nn.LSTM(5, 6, num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    t.load_state_dict({k: torch.from_numpy(np_of(v)) for k, v in e.state_dict().items()})
    x = RNG.standard_normal((3, 7, 5) if batch_first else (7, 3, 5)).astype(np.float32)
    grads = []
    for lib, m in ((ember, e), (torch, t)):
        xx = lib.tensor(x, requires_grad=True)
        out, (h, c) = m(xx)
        (out.square().sum() + h.sum() * 0.5 + (c * c).sum()).backward()
        grads.append([xx.grad] + [p.grad for p in m.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_allclose(np_of(a), b.numpy(), rtol=2e-5, atol=2e-6)


def test_packed_and_projected_layers_keep_the_per_step_path():
    m = ember.nn.LSTM(3, 4, proj_size=2)
    assert "MkldnnRnnLayerBackward0" not in set(_names(m(ember.randn(5, 2, 3))[0].grad_fn))
    seqs = [ember.randn(n, 3) for n in (4, 2)]
    packed = ember.nn.utils.rnn.pack_sequence(seqs)
    out = ember.nn.LSTM(3, 4)(packed)[0].data
    assert "MkldnnRnnLayerBackward0" not in set(_names(out.grad_fn))
