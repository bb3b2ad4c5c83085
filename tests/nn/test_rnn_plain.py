"""The recurrent layers' no-grad path (nn/modules/_rnn_plain.py): the same bits as the graph
path for every layer configuration, packed input and cell; PyTorch's values under no_grad;
results outside any graph that share no memory with one another."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from nn_testutil import np_of

import ember

RNG = np.random.default_rng(11)
R = ember.nn.utils.rnn


def _states(s):
    return s if isinstance(s, tuple) else (s,)


def _both(module, *args):
    """(graph path, no-grad path) results of one call."""
    with_graph = module(*args)
    with ember.no_grad():
        plain = module(*args)
    return with_graph, plain


def _same(a, b) -> bool:
    a, b = a.detach().numpy(), b.numpy()
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


CONFIGS = [c for c in itertools.product(
    ["LSTM", "GRU", "RNN_tanh", "RNN_relu"], [1, 2], [False, True], [False, True], [0, 3],
    [True, False], [1, 5]) if not (c[4] and c[0] != "LSTM")]


@pytest.mark.parametrize("kind,layers,bidir,batch_first,proj,bias,steps", CONFIGS)
def test_same_bits_as_graph_path(kind, layers, bidir, batch_first, proj, bias, steps):
    name, _, act = kind.partition("_")
    kw = dict(num_layers=layers, bidirectional=bidir, batch_first=batch_first, bias=bias)
    if proj:
        kw["proj_size"] = proj
    if act:
        kw["nonlinearity"] = act
    m = getattr(ember.nn, name)(6, 7, **kw)
    shape = (4, steps, 6) if batch_first else (steps, 4, 6)
    x = ember.tensor(RNG.standard_normal(shape).astype(np.float32))
    for args in ((x,), (x[0] if batch_first else x[:, 0],)):  # batched, unbatched
        (o1, s1), (o2, s2) = _both(m, *args)
        assert _same(o1, o2)
        assert all(_same(a, b) for a, b in zip(_states(s1), _states(s2)))
        assert o2.grad_fn is None and not o2.requires_grad


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidir", [False, True])
def test_packed_same_bits(name, bidir):
    m = getattr(ember.nn, name)(4, 5, num_layers=2, bidirectional=bidir)
    seqs = [ember.tensor(RNG.standard_normal((n, 4)).astype(np.float32)) for n in (3, 5, 1, 4)]
    packed = R.pack_sequence(seqs, enforce_sorted=False)
    (o1, s1), (o2, s2) = _both(m, packed)
    assert _same(o1.data, o2.data)
    assert np.array_equal(o1.batch_sizes.numpy(), o2.batch_sizes.numpy())
    assert all(_same(a, b) for a, b in zip(_states(s1), _states(s2)))


@pytest.mark.parametrize("name,act", [("LSTMCell", None), ("GRUCell", None),
                                      ("RNNCell", "tanh"), ("RNNCell", "relu")])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_same_bits(name, act, bias, batched):
    kw = {"nonlinearity": act} if act else {}
    cell = getattr(ember.nn, name)(5, 6, bias=bias, **kw)
    lead = (3,) if batched else ()
    x = ember.tensor(RNG.standard_normal(lead + (5,)).astype(np.float32))
    h = ember.tensor(RNG.standard_normal(lead + (6,)).astype(np.float32))
    for hx in (None, (h, h * 0.5) if name == "LSTMCell" else h):
        a, b = _both(cell, x, hx)
        assert all(_same(u, v) for u, v in zip(_states(a), _states(b)))


def test_dropout_between_layers_draws_as_graph_path():
    m = ember.nn.LSTM(4, 5, num_layers=3, dropout=0.5)
    x = ember.tensor(RNG.standard_normal((6, 2, 4)).astype(np.float32))
    ember.manual_seed(3)
    o1, _ = m(x)
    ember.manual_seed(3)
    with ember.no_grad():
        o2, _ = m(x)
    assert _same(o1, o2)
    with ember.no_grad():
        o3, _ = m(x)
    assert not np.array_equal(o2.numpy(), o3.numpy())  # dropout is live in training mode


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_matches_torch_under_no_grad(name, batch_first):
    e = getattr(ember.nn, name)(8, 16, num_layers=2, batch_first=batch_first)
    t = getattr(torch.nn, name)(8, 16, num_layers=2, batch_first=batch_first)
    t.load_state_dict({k: torch.from_numpy(np_of(v)) for k, v in e.state_dict().items()})
    x = RNG.standard_normal((3, 9, 8)).astype(np.float32)
    with ember.no_grad():
        eo, es = e(ember.tensor(x))
    with torch.no_grad():
        to, ts = t(torch.tensor(x))
    np.testing.assert_allclose(eo.numpy(), to.numpy(), rtol=1e-5, atol=1e-6)
    for a, b in zip(_states(es), _states(ts)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
        assert tuple(a.shape) == tuple(b.shape)


def test_results_share_no_memory():
    """Writing into h_n or c_n must not change the output (PyTorch returns separate tensors)."""
    m = ember.nn.LSTM(3, 4)
    x = ember.tensor(RNG.standard_normal((1, 2, 3)).astype(np.float32))
    with ember.no_grad():
        out, (h, c) = m(x)
    before = out.numpy().copy()
    h.zero_()
    c.zero_()
    assert np.array_equal(out.numpy(), before)


def test_errors_unchanged_under_no_grad():
    m = ember.nn.GRU(3, 4)
    with ember.no_grad(), pytest.raises(RuntimeError, match="larger than 0"):
        m(ember.zeros(0, 2, 3))
    with ember.no_grad(), pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal"):
        m(ember.zeros(2, 2, 5))
