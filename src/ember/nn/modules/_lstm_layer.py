"""One LSTM layer and direction over a padded sequence as a single graph node, as PyTorch's
CPU LSTM records it (MkldnnRnnLayerBackward0).

The per-step path (two nodes a step, _rnn_cells.py) spends most of a small layer's time on
node bookkeeping: 62 us a step for input 8, hidden 64, batch 8. Here the forward runs the
steps on arrays (the same calls as the per-step nodes, so the same bits) and keeps each
step's activations; the backward is backpropagation through time on arrays, with the
products of all steps for W_ih, W_hh and the input done as three matrix products at the end.

Output Y = [h_1 ... h_T ; c_T] ((T + 1) B x H): the layer's output rows (step order) and the
final cell state; h_T is the last step's rows (the first step's for the reverse direction).

Backward, from dY, steps in reverse order of the forward (dh_T = dc_T... start at 0 and dY):
    [dh | dc] of step t = [dY_t + dh_next | dc_next],  LSTMStep's closed form gives dG_t
    (the gate pre-activations' gradient) and dc_prev = dc f;  dh_prev = dG_t W_hh.
    dx = dG W_ih,  dW_ih = dG^T x,  dW_hh = dG^T H_prev,  db_ih = db_hh = sum of dG's rows.
For create_graph the node records the per-step path on its saved inputs and differentiates
that, so higher derivatives are the per-step path's.
"""

from __future__ import annotations

import numpy as np

from ...autograd.function import Primitive
from ...ops.linalg import _mm
from ...tensor import Tensor
from .._rnn_grads import COPY_STEPS, transpose_array
from .._rnn_ops import _lstm_arrays, lstm_cell
from ._rnn_plain import input_rows


class LSTMLayer(Primitive):
    """per step: i, f, g, o = sigma, sigma, tanh, sigma of (W_ih x_t + b_ih + W_hh h + b_hh),
    c_t = f c + i g,  h_t = o tanh(c_t);  backpropagation through time gives each step's
    gate gradient dG_t, and dW_ih = sum_t dG_t^T x_t,  dW_hh = sum_t dG_t^T h_{t-1},
    db_ih = db_hh = sum_t dG_t,  dx_t = dG_t W_ih (see the module docstring)."""

    node_name = "MkldnnRnnLayerBackward0"

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, c0, steps, reverse):
        batch, n = h0.shape
        xg = input_rows("LSTM", x, w_ih, b_ih, b_hh)
        w_t = transpose_array(w_hh, steps >= COPY_STEPS)
        y = np.empty(((steps + 1) * batch, n), xg.dtype)
        acts = [None] * steps
        h, c = h0, c0
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            rows = slice(t * batch, (t + 1) * batch)
            hc, a, tt, tc = lstm_cell(xg[rows] + _mm(h, w_t), c)
            acts[t] = (a, tt, tc, c, h)  # the step's gates, tanh values, tanh(c), c_prev, h_prev
            h, c = hc[:, :n], hc[:, n:]
            y[rows] = h
        y[steps * batch:] = c
        ctx.acts, ctx.dims = acts, (steps, reverse)
        ctx.save_for_backward(x, w_ih, w_hh, b_ih, b_hh, h0, c0)
        return y

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return _recorded_backward(ctx, g)
        x, w_ih, w_hh, b_ih, b_hh, h0, c0 = ctx.saved_tensors
        steps, reverse = ctx.dims
        batch, n = h0.shape
        acts = ctx.acts
        dg_all = np.empty((steps * batch, 4 * n), g.dtype)
        dh = np.zeros((batch, n), g.dtype)
        dc = g[steps * batch:]
        gs = np.empty((batch, 2 * n), g.dtype)
        for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
            rows = slice(t * batch, (t + 1) * batch)
            np.add(g[rows], dh, out=gs[:, :n])
            gs[:, n:] = dc
            a, tt, tc, c_prev, _ = acts[t]
            dg, dc = _lstm_arrays(gs, a, tt, tc, c_prev, n)
            dg_all[rows] = dg
            dh = _mm(dg, w_hh)
        need = ctx.needs_input_grad
        dx = _mm(dg_all, w_ih) if need[0] else None
        dw_ih = _mm(dg_all.T, x) if need[1] else None
        dw_hh = None
        if need[2]:
            h_prev = np.concatenate([acts[t][4] for t in range(steps)])
            dw_hh = _mm(dg_all.T, h_prev)
        db = dg_all.sum(axis=0) if need[3] or need[4] else None
        return (dx, dw_ih, dw_hh, db if need[3] else None,
                (db.copy() if need[3] else db) if need[4] else None,  # two leaves, two arrays
                dh if need[5] else None, dc if need[6] else None, None, None)


def _recorded_backward(ctx, g: Tensor) -> tuple:
    """create_graph: the per-step path recorded on the saved inputs, then differentiated with
    a graph, so the gradients are themselves differentiable."""
    from ... import autograd
    from ...autograd.grad_mode import enable_grad

    saved = ctx.saved_tensors
    steps, reverse = ctx.dims
    with enable_grad():
        y = per_step_layer(*saved, steps, reverse)
        wanted = [t for t, need in zip(saved, ctx.needs_input_grad) if need]
        grads = iter(autograd.grad(y, wanted, g, create_graph=True, allow_unused=True))
    return tuple(next(grads) if need else None for need in ctx.needs_input_grad) + (None, None)


def per_step_layer(x, w_ih, w_hh, b_ih, b_hh, h0, c0, steps: int, reverse: bool) -> Tensor:
    """LSTMLayer's Y through the per-step nodes (rnn.py's loop for one direction)."""
    from ... import ops
    from ._rnn_cells import STEPS, StepParams, input_gates
    from .rnn import _forward_dir, _reverse_dir

    batch = h0.shape[0]
    p = StepParams("LSTM", w_hh, b_hh, None, steps)
    xg, p.acc = input_gates("LSTM", x, w_ih, b_ih, b_hh, steps)
    run = _reverse_dir if reverse else _forward_dir
    rows, final = run(STEPS["LSTM"], xg, [batch] * steps, (h0, c0), p)
    h_rows = [p.plain((r,))[0] for r in rows]
    return ops.cat(h_rows + [p.plain(final)[1]], 0)


def lstm_layer(x: Tensor, w: list, bias: bool, h0: Tensor, c0: Tensor, steps: int,
               reverse: bool) -> tuple:
    """(output rows, h_T, c_T) of one padded layer and direction through LSTMLayer."""
    b_ih, b_hh = (w[2], w[3]) if bias else (None, None)
    y = LSTMLayer.apply(x, w[0], w[1], b_ih, b_hh, h0, c0, steps, reverse)
    rows = steps * h0.shape[0]
    out = y[:rows]
    h_last = out[:h0.shape[0]] if reverse else out[rows - h0.shape[0]:]
    return out, h_last, y[rows:]
