"""The fused recurrent steps of ember/nn/_rnn_ops.py and _rnn_grads.py on their own: values
and gradients against the same step composed from ember's elementary ops and against float64
finite differences (first and second order), the shared gradient buffers across steps and
backward passes, and the layers' second-order gradients against PyTorch 2.13."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import torch
from nn_testutil import close, error_of, np_of

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.nn._rnn_grads import (Collect, CollectWeight, RecurrentProduct, RowGrads, SumGrads,
                                 transpose_array)
from ember.nn._rnn_ops import GRUStep, LSTMStep, RNNStep

RNG = np.random.default_rng(11)
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
H = 3


def _t(shape, dtype=np.float64, rg=True):
    return ember.tensor(RNG.standard_normal(shape).astype(dtype), requires_grad=rg)


# ---- the same steps composed from ember ops (the layers' previous implementation) --------

def composite_lstm(xg, hg, c_src, start, stop):
    n = hg.shape[1] // 4
    gates = xg[start:stop] + hg
    i, f = ember.sigmoid(gates[:, :n]), ember.sigmoid(gates[:, n:2 * n])
    g, o = ember.tanh(gates[:, 2 * n:3 * n]), ember.sigmoid(gates[:, 3 * n:])
    c = f * c_src[:, c_src.shape[1] - n:] + i * g
    return ember.cat([o * ember.tanh(c), c], 1)


def composite_gru(xg, hg, b_hh, h, start, stop):
    n = h.shape[1]
    gi, gh = xg[start:stop], (hg if b_hh is None else hg + b_hh)
    r = ember.sigmoid(gi[:, :n] + gh[:, :n])
    z = ember.sigmoid(gi[:, n:2 * n] + gh[:, n:2 * n])
    new = ember.tanh(gi[:, 2 * n:] + r * gh[:, 2 * n:])
    return (1 - z) * new + z * h


def composite_rnn(xg, hg, start, stop, relu):
    y = xg[start:stop] + hg
    return ember.relu(y) if relu else ember.tanh(y)


def _product(src, w, acc):
    """S[:, :H] W^T as the layers record it (W^T's array copied once, for the forward)."""
    return RecurrentProduct.apply(src, w, H, acc, transpose_array(w._data, True))


# Each case: (fused callable, composite callable, input shapes); xg has 3 blocks of `rows`
# and each step reads the middle one, so the row bookkeeping is exercised.

def _cases(rows):
    lo, hi = rows, 2 * rows
    return {
        "lstm_c0": (lambda xg, hg, c: LSTMStep.apply(xg, hg, c, None, lo, hi),
                    lambda xg, hg, c: composite_lstm(xg, hg, c, lo, hi),
                    [(3 * rows, 4 * H), (rows, 4 * H), (rows, H)]),
        "lstm_packed": (lambda xg, hg, c: LSTMStep.apply(xg, hg, c, None, lo, hi),
                        lambda xg, hg, c: composite_lstm(xg, hg, c, lo, hi),
                        [(3 * rows, 4 * H), (rows, 4 * H), (rows, 2 * H)]),
        "gru": (lambda xg, hg, b, h: GRUStep.apply(xg, hg, b, h, None, lo, hi),
                lambda xg, hg, b, h: composite_gru(xg, hg, b, h, lo, hi),
                [(3 * rows, 3 * H), (rows, 3 * H), (3 * H,), (rows, H)]),
        "gru_nobias": (lambda xg, hg, h: GRUStep.apply(xg, hg, None, h, None, lo, hi),
                       lambda xg, hg, h: composite_gru(xg, hg, None, h, lo, hi),
                       [(3 * rows, 3 * H), (rows, 3 * H), (rows, H)]),
        "rnn_tanh": (lambda xg, hg: RNNStep.apply(xg, hg, None, lo, hi, False),
                     lambda xg, hg: composite_rnn(xg, hg, lo, hi, False),
                     [(3 * rows, H), (rows, H)]),
        "rnn_relu": (lambda xg, hg: RNNStep.apply(xg, hg, None, lo, hi, True),
                     lambda xg, hg: composite_rnn(xg, hg, lo, hi, True),
                     [(3 * rows, H), (rows, H)]),
        "product_packed": (lambda s, w: _product(s, w, None),
                           lambda s, w: s[:, :H] @ w.t(),
                           [(rows, 2 * H), (4 * H, H)]),
        "product": (lambda s, w: _product(s, w, None),
                    lambda s, w: s @ w.t(), [(rows, H), (3 * H, H)]),
    }


CASE_NAMES = list(_cases(1))


@pytest.mark.parametrize("name", CASE_NAMES)
@pytest.mark.parametrize("rows", [1, 4])  # one sequence (an unbatched cell) and a batch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_matches_composite(name, rows, dtype):
    fused, composite, shapes = _cases(rows)[name]
    arrays = [RNG.standard_normal(s).astype(dtype) for s in shapes]
    if name == "rnn_relu":  # keep pre-activations away from relu's kink
        arrays[0] += np.sign(arrays[0]) * 0.1
    outs, grads = [], []
    for fn in (fused, composite):
        xs = [ember.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*xs)
        w = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(dtype)
        (out * ember.tensor(w)).sum().backward()
        outs.append(out)
        grads.append([x.grad for x in xs])
    assert outs[0].dtype == outs[1].dtype and tuple(outs[0].shape) == tuple(outs[1].shape)
    close(outs[0], outs[1], **TOL[dtype])
    for a, b in zip(*grads):
        assert a.dtype == b.dtype
        close(a, b, **TOL[dtype])


@pytest.mark.parametrize("name", CASE_NAMES)
@pytest.mark.parametrize("rows", [1, 3])
def test_fused_gradcheck_and_gradgradcheck(name, rows):
    fused, _, shapes = _cases(rows)[name]
    xs = [_t(s) for s in shapes]
    if name == "rnn_relu":
        xs = [ember.tensor(np_of(x) + np.sign(np_of(x)) * 0.1, requires_grad=True)
              for x in xs]
    assert gradcheck(fused, xs)
    assert gradgradcheck(fused, xs)


def _two_steps(lstm: bool, shared: bool):
    """Two steps of a recurrence reading rows 0:2 and 2:4 of one xg, as a layer runs them."""
    def fn(xg, w, h0, c0, b):
        acc_x, acc_w = (RowGrads(), SumGrads()) if shared else (None, None)
        if shared:
            xg = Collect.apply(xg, acc_x)
        wt = transpose_array(w._data, shared)
        if shared:
            w = CollectWeight.apply(w, acc_w)

        def prod(src):
            return RecurrentProduct.apply(src, w, H, acc_w, wt)

        if lstm:
            hc1 = LSTMStep.apply(xg, prod(h0), c0, acc_x, 0, 2)
            hc2 = LSTMStep.apply(xg, prod(hc1), hc1, acc_x, 2, 4)
            return hc1, hc2
        h1 = GRUStep.apply(xg, prod(h0), b, h0, acc_x, 0, 2)
        h2 = GRUStep.apply(xg, prod(h1), b, h1, acc_x, 2, 4)
        return h1, h2
    g = 4 if lstm else 3
    return fn, [_t((4, g * H)), _t((g * H, H)), _t((2, H)), _t((2, H)), _t((g * H,))]


@pytest.mark.parametrize("lstm", [True, False])
def test_shared_buffers_over_steps(lstm):
    fn, xs = _two_steps(lstm, shared=True)
    assert gradcheck(fn, xs)
    assert gradgradcheck(fn, xs)
    # the shared path gives the plain path's gradients, pass after pass (retain_graph)
    ref_fn, _ = _two_steps(lstm, shared=False)

    def loss_of(outs):
        return (outs[0] * 2).sum() + (outs[1] * outs[1]).sum()

    want = ember.autograd.grad(loss_of(ref_fn(*xs)), xs, allow_unused=True)
    loss = loss_of(fn(*xs))
    for _ in range(3):
        got = ember.autograd.grad(loss, xs, retain_graph=True, allow_unused=True)
        for a, b in zip(got, want):
            assert (a is None) == (b is None)
            if b is not None:
                close(a, b, **TOL[np.float64])


def test_row_and_sum_buffers_restart_after_an_abandoned_pass():
    rows = RowGrads()
    g = np.ones((2, 3))
    first = rows.put(np.zeros((6, 3)), 0, 2, g)
    assert first is not None and rows.put(np.zeros((6, 3)), 2, 4, 2 * g) is None
    np.testing.assert_array_equal(first[:4], np.repeat([1.0, 2.0], 6).reshape(4, 3))
    del first  # the pass stopped before Collect ran: the engine dropped the buffer
    gc.collect()
    again = rows.put(np.zeros((6, 3)), 4, 6, g)  # a new pass starts a fresh, zeroed buffer
    np.testing.assert_array_equal(again, np.vstack([np.zeros((4, 3)), g]))
    sums = SumGrads()
    h, d = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 5))
    lone = sums.put(h, d)
    assert sums.put(h, 2 * d) is None and len(sums.parts) == 1
    del lone
    gc.collect()
    fresh = sums.put(h, d)
    np.testing.assert_allclose(sums.finish(fresh), d.T @ h, rtol=1e-12)
    assert sums.parts == [] and sums.ref is None


def test_middle_output_only_and_two_training_steps_match_torch():
    e = ember.nn.LSTM(4, 3, dtype=ember.float64)
    t = torch.nn.LSTM(4, 3, dtype=torch.float64)
    t.load_state_dict({k: torch.from_numpy(np_of(v)) for k, v in e.state_dict().items()})
    x = RNG.standard_normal((6, 2, 4))
    for _ in range(2):  # the second pass must not see the first's buffers
        for m in (e, t):
            m.zero_grad()
        ex = ember.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        e(ex)[0][2].sum().backward()  # steps after 2 get no gradient at all
        t(tx)[0][2].sum().backward()
        close(ex.grad, tx.grad, **TOL[np.float64])
        for (k, p), q in zip(e.named_parameters(), t.parameters()):
            close(p.grad, q.grad, **TOL[np.float64])


@pytest.mark.parametrize("name,kw", [("LSTM", {}), ("LSTM", {"proj_size": 2}), ("GRU", {}),
                                     ("RNN", {}), ("RNN", {"nonlinearity": "relu"})])
def test_layer_second_order_matches_torch(name, kw):
    # d/dparams of |d out / d x|^2: the fused rules' create_graph path against PyTorch's.
    e = getattr(ember.nn, name)(4, 3, num_layers=2, dtype=ember.float64, **kw)
    t = getattr(torch.nn, name)(4, 3, num_layers=2, dtype=torch.float64, **kw)
    t.load_state_dict({k: torch.from_numpy(np_of(v)) for k, v in e.state_dict().items()})
    x = RNG.standard_normal((4, 2, 4))
    w = RNG.standard_normal((4, 2, 2 if "proj_size" in kw else 3))
    results = []
    for lib, m in ((ember, e), (torch, t)):
        xx = lib.tensor(x, requires_grad=True)
        out = m(xx)[0]
        (gx,) = lib.autograd.grad((out * lib.tensor(w)).sum(), xx, create_graph=True)
        (gx * gx).sum().backward()
        results.append([gx] + [p.grad for p in m.parameters()])
    for a, b in zip(*results):
        if a is None:  # relu's mask is constant: ember leaves the biases unconnected, where
            assert not b.any()  # PyTorch's threshold_backward gives them zeros
        else:
            close(a, b, **TOL[np.float64])


def test_no_grad_forward_records_nothing():
    m = ember.nn.GRU(4, 3)
    with ember.no_grad():
        out, h = m(ember.randn(5, 2, 4))
    assert out.grad_fn is None and h.grad_fn is None and not out.requires_grad


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
@pytest.mark.parametrize("steps", [2, 5])  # W read directly / through CollectWeight
def test_weight_changed_in_place_before_backward_raises(name, steps):
    e, t = getattr(ember.nn, name)(4, 3), getattr(torch.nn, name)(4, 3)
    t.load_state_dict({k: torch.from_numpy(np_of(v)) for k, v in e.state_dict().items()})
    x = RNG.standard_normal((steps, 2, 4)).astype(np.float32)

    def run(lib, m):
        out = m(lib.tensor(x))[0].sum()
        with lib.no_grad():
            m.weight_hh_l0.mul_(2)
        out.backward()

    # the same error; which saved tensor it names (W or a view of W) and the version numbers
    # (load_state_dict's copies count in PyTorch) differ
    got, want = error_of(lambda: run(ember, e)), error_of(lambda: run(torch, t))
    assert got[0] is want[0] is RuntimeError
    assert got[1].split(": [")[0] == want[1].split(": [")[0]
    assert "modified by an inplace operation" in got[1]


@pytest.mark.parametrize("large", [1, 120, 1 << 21])  # chunks of 1 step, 2 steps, all
def test_weight_gradient_chunks_match_torch(monkeypatch, large):
    monkeypatch.setattr(ember.threads, "LARGE", large)
    e = ember.nn.GRU(4, 3, dtype=ember.float64)
    t = torch.nn.GRU(4, 3, dtype=torch.float64)
    t.load_state_dict({k: torch.from_numpy(np_of(v)) for k, v in e.state_dict().items()})
    x = RNG.standard_normal((7, 2, 4))
    w = RNG.standard_normal((7, 2, 3))
    (e(ember.tensor(x))[0] * ember.tensor(w)).sum().backward()
    (t(torch.tensor(x))[0] * torch.tensor(w)).sum().backward()
    close(e.weight_hh_l0.grad, t.weight_hh_l0.grad, **TOL[np.float64])
