"""Recurrent layers and cells with nothing to record: the same loop on arrays.

Under no_grad (acting with a recurrent policy every environment step, evaluation) a layer's
nodes only cost time: a one-step LSTM call went through ~13 nodes and Tensor ops, 63 us at
batch 1 against PyTorch's 52 us. This path runs the steps on arrays with the functions the
fused step nodes run (``lstm_cell``, ``gru_cell``, ``rnn_cell`` in nn/_rnn_ops.py), the same
products and the same order of additions, so both paths give the same bits
(tests/test_rnn_plain.py compares them).
"""

from __future__ import annotations

import numpy as np

from ...ops.linalg import _mm, linear_forward
from ...tensor import Tensor
from .. import functional as F
from .._rnn_grads import COPY_STEPS, transpose_array
from .._rnn_ops import gru_cell, lstm_cell, rnn_cell


def bare(a: np.ndarray) -> Tensor:
    """A result Tensor outside any graph."""
    return Tensor._make(a, False, None)


def step_fn(mode: str, w_hh: np.ndarray, b_hh, w_hr, copy: bool):
    """The step ``(xg rows, state) -> state`` of one layer and direction, on arrays; state is
    (h, c) for LSTM, else (h,). ``copy``: W^T copied C-ordered, as the graph path does."""
    w_t = transpose_array(w_hh, copy)
    if mode == "LSTM":
        n = w_hh.shape[0] // 4
        hr_t = None if w_hr is None else transpose_array(w_hr, copy)

        def lstm(rows, state):
            hc = lstm_cell(rows + _mm(state[0], w_t), state[1])[0]
            h = hc[:, :n] if hr_t is None else _mm(hc[:, :n], hr_t)
            return h, hc[:, n:]
        return lstm
    if mode == "GRU":
        def gru(rows, state):
            h = state[0]
            gh = _mm(h, w_t)
            return (gru_cell(rows, gh if b_hh is None else gh + b_hh, h)[0],)
        return gru
    relu = mode == "RNN_RELU"
    return lambda rows, state: (rnn_cell(rows + _mm(state[0], w_t), relu),)


def input_rows(mode: str, x: np.ndarray, w_ih: np.ndarray, b_ih, b_hh) -> np.ndarray:
    """x W_ih^T plus the biases added before the recurrence (all but GRU's b_hh)."""
    if b_ih is None:
        return linear_forward(x, w_ih, None)
    return linear_forward(x, w_ih, b_ih if mode == "GRU" else b_ih + b_hh)


def _forward_dir(step, xg: np.ndarray, sizes: list, state: tuple) -> tuple:
    """From the first step; sequences that end drop off the batch's tail (packed rows)."""
    outs, done, start = [], [], 0
    for bs in sizes:
        if bs < state[0].shape[0]:
            done.append(tuple(s[bs:] for s in state))
            state = tuple(s[:bs] for s in state)
        state = step(xg[start:start + bs], state)
        outs.append(state[0])
        start += bs
    if done:  # the shortest sequences ended first and sit last in the batch
        state = tuple(np.concatenate([s] + [d[k] for d in reversed(done)])
                      for k, s in enumerate(state))
    return outs, state


def _reverse_dir(step, xg: np.ndarray, sizes: list, state: tuple) -> tuple:
    """From the last step; sequences join the batch as their last step comes."""
    full, cur = state, sizes[-1]
    if cur < full[0].shape[0]:
        state = tuple(s[:cur] for s in full)
    outs, end = [], xg.shape[0]
    for bs in reversed(sizes):
        if bs > cur:
            state = tuple(np.concatenate([s, f[cur:bs]]) for s, f in zip(state, full))
            cur = bs
        state = step(xg[end - bs:end], state)
        outs.append(state[0])
        end -= bs
    outs.reverse()
    return outs, state


def plain_layers(rnn, x: np.ndarray, sizes: list, states: tuple) -> tuple:
    """All layers and directions of ``rnn`` over packed rows x (sum(sizes) x input); states
    are (L*D, B, *) arrays. Returns (output rows, final states stacked as (L*D, B, *))."""
    mode, dirs = rnn.mode, 2 if rnn.bidirectional else 1
    copy = len(sizes) >= COPY_STEPS
    finals: list = [[] for _ in states]
    for layer in range(rnn.num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            w = [getattr(rnn, name)._data for name in rnn._all_weights[k]]
            b_ih, b_hh = (w[2], w[3]) if rnn.bias else (None, None)
            w_hr = w[-1] if rnn.proj_size > 0 else None
            step = step_fn(mode, w[1], b_hh, w_hr, copy)
            xg = input_rows(mode, x, w[0], b_ih, b_hh)
            run = _reverse_dir if d == 1 else _forward_dir
            rows, final = run(step, xg, sizes, tuple(s[k] for s in states))
            outs.append(np.concatenate(rows) if len(rows) > 1 else rows[0])
            for j, s in enumerate(final):
                finals[j].append(s)
        x = outs[0] if dirs == 1 else np.concatenate(outs, 1)
        if rnn.dropout and rnn.training and layer < rnn.num_layers - 1:
            x = F.dropout(bare(x), rnn.dropout, True)._data
    # one layer and direction: a copy with a new axis (np.stack's ~3 us of checks saved);
    # a copy because the output rows may be views of the same step's array
    return x, tuple(np.stack(f) if len(f) > 1 else f[0][None].copy() for f in finals)
