"""One recurrent time step (shared by the layers in rnn.py) and the cells RNNCell, LSTMCell,
GRUCell. A step is two or three nodes: the recurrent product h W_hh^T, the fused gate math
of ``nn/_rnn_ops.py`` (which also reads the step's rows of the input gates xg; the
gradients the steps share are kept as ``nn/_rnn_grads.py`` describes), and for an
LSTM with projection the product with W_hr.

An LSTM state is kept as the step's packed output [h | c] (N x 2H): the next product reads
its first H columns and the next step its last H, so no per-step slicing is recorded.
"""

from __future__ import annotations

import math

import numpy as np

from ... import creation as _creation
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ...autograd.grad_mode import STATE
from .._rnn_grads import (COPY_STEPS, Collect, CollectWeight, RecurrentProduct, RowGrads,
                          SumGrads, transpose_array)
from .._rnn_ops import (CellGRUStep, GRUStep, LSTMCellC, LSTMCellH, LSTMStep, ReluRNNStep,
                       RNNStep, TanhRNNStep)
from ..parameter import Parameter
from .linear import _empty
from .module import Module
from ._rnn_plain import bare, input_rows, step_fn


def reset_uniform(module: Module) -> None:
    """PyTorch's init: every weight and bias uniform in +-1/sqrt(hidden_size)."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


_CHUNKS = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_KINDS = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
          "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def check_state_dtypes(states: tuple, weight: Tensor, onednn: bool) -> None:
    """PyTorch's error for a state whose dtype is not the weights' (e.g. float64 from NumPy).
    Its float32 LSTM layer runs oneDNN, which refuses any other state dtype; elsewhere h meets
    W_hh in a matmul (a c of another dtype passes there)."""
    w = weight._data.dtype
    if onednn and w == np.float32:
        if states[0]._data.dtype != w or states[-1]._data.dtype != w:  # (h, c)
            half = any(s._data.dtype == np.float16 for s in states)
            first = ("could not create a primitive descriptor for the LSTM forward propagation "
                     "primitive. Run workload with environment variable ONEDNN_VERBOSE=all to "
                     "get additional diagnostic information." if half else
                     "get_mkldnn_dtype: unsupported data type")
            raise RuntimeError(f"{first}\nHint: give (h_0, c_0) the LSTM's dtype "
                               f"{weight.dtype}, e.g. h_0.float()")
        return
    h = states[0]._data.dtype
    if h != w:
        raise RuntimeError("mat1 and mat2 must have the same dtype, but got "
                           f"{_KINDS.get(h.name, h.name)} and {_KINDS.get(w.name, w.name)}")
    return states[-1]._data.dtype != w  # an LSTM c of another dtype: see mixed_lstm_cell


_warned_projections = False


def warn_projections_once(x: Tensor) -> None:
    """PyTorch's CPU LSTM over a padded float32 batch tries oneDNN first, which has no
    projections: with proj_size > 0 it warns once per process that it falls back."""
    global _warned_projections
    if not _warned_projections and x._data.dtype == np.float32:
        _warned_projections = True
        import warnings

        warnings.warn("LSTM with projections is not supported with oneDNN. Using default "
                      "implementation.", stacklevel=4)


def mixed_lstm_cell(cell, x: Tensor, h: Tensor, c: Tensor) -> tuple:
    """PyTorch's unfused lstm_cell for a c whose dtype is not the weights': the gates in the
    weights' dtype, then c' = f c + i g and h' = o tanh(c') in the promoted dtype (float64
    for a float64 c)."""
    gates = F.linear(x, cell.weight_ih, cell.bias_ih) + F.linear(h, cell.weight_hh, cell.bias_hh)
    i, f, g, o = gates.chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


class StepParams:
    """What every step of one layer and direction uses: W_hh (and W_hr) with W^T's array and
    its SumGrads (see _transposed), b_hh (GRU adds it inside r * (W_hn h + b_hn)), the state
    widths, and xg's RowGrads (set by the caller)."""

    __slots__ = ("mode", "b_hh", "hh", "hr", "hidden", "real", "acc")

    def __init__(self, mode: str, w_hh: Tensor, b_hh, w_hr, steps: int = 1) -> None:
        self.mode, self.b_hh = mode, b_hh
        copy = steps >= COPY_STEPS
        self.hh = _transposed(w_hh, copy)
        self.hr = None if w_hr is None else _transposed(w_hr, copy)
        self.hidden, self.real = w_hh._data.shape  # real: the recurrent h's width
        self.hidden //= _CHUNKS[mode]
        self.acc = None

    def plain(self, state: tuple) -> tuple:
        """(h, c) of a possibly packed state, each of its own width."""
        h = state[0]
        if h._data.shape[1] != self.real:
            h = h[:, :self.real]
        if len(state) == 1:
            return (h,)
        c = state[1]
        width = c._data.shape[1]
        return h, (c if width == self.hidden else c[:, width - self.hidden:])


def _transposed(w: Tensor, copy: bool) -> tuple:
    """(W, its SumGrads or None, W^T's array): RecurrentProduct's arguments after S and k.
    W goes through CollectWeight when its gradient is summed over several steps."""
    acc = None
    if copy and w._rg and STATE.enabled:
        acc = SumGrads()
        return CollectWeight.apply(w, acc), acc, transpose_array(w._data, copy)
    return w, acc, transpose_array(w._data, copy)


def _product(src: Tensor, k: int, wt: tuple) -> Tensor:
    return RecurrentProduct.apply(src, wt[0], k, wt[1], wt[2])


def input_gates(mode: str, x: Tensor, w_ih, b_ih, b_hh, steps: int = 1) -> tuple:
    """x W_ih^T plus the biases that can be added before the recurrence (all but GRU's b_hh),
    and the RowGrads its steps share (None when no gradient is recorded or one step reads
    all of xg)."""
    if b_ih is None:
        xg = F.linear(x, w_ih)
    else:
        xg = F.linear(x, w_ih, b_ih if mode == "GRU" else b_ih + b_hh)
    if xg.grad_fn is None or steps == 1:
        return xg, None
    acc = RowGrads()
    return Collect.apply(xg, acc), acc


# One time step on rows start:stop of xg; state is (h,) or, for LSTM, (h source, c source),
# possibly the same packed [h | c] tensor. Returns the new state.

def _lstm_step(xg, start, stop, state, p):
    hg = _product(state[0], p.real, p.hh)
    hc = LSTMStep.apply(xg, hg, state[1], p.acc, start, stop)
    if p.hr is None:
        return hc, hc
    return _product(hc, p.hidden, p.hr), hc


def _gru_step(xg, start, stop, state, p):
    h = state[0]
    hg = _product(h, p.real, p.hh)
    return (GRUStep.apply(xg, hg, p.b_hh, h, p.acc, start, stop),)


def _tanh_step(xg, start, stop, state, p):
    hg = _product(state[0], p.real, p.hh)
    return (RNNStep.apply(xg, hg, p.acc, start, stop, False),)


def _relu_step(xg, start, stop, state, p):
    hg = _product(state[0], p.real, p.hh)
    return (RNNStep.apply(xg, hg, p.acc, start, stop, True),)


STEPS = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "LSTM": _lstm_step, "GRU": _gru_step}


def _cell_step(kind):
    """A cell's step: the layer's step with its last node named as PyTorch's (_rnn_ops.py)."""
    def step(xg, start, stop, state, p):
        hg = _product(state[0], p.real, p.hh)
        if kind is CellGRUStep:
            return (kind.apply(xg, hg, p.b_hh, state[0], p.acc, start, stop),)
        return (kind.apply(xg, hg, p.acc, start, stop, kind is ReluRNNStep),)
    return step


_CELL_STEPS = dict(STEPS, RNN_TANH=_cell_step(TanhRNNStep), RNN_RELU=_cell_step(ReluRNNStep),
                   GRU=_cell_step(CellGRUStep))


_FRESH_VERSION = {"GRU": 2, "LSTM": 1}


class RNNCellBase(Module):
    """One time step of a recurrent layer: weight_ih, weight_hh (and bias_ih, bias_hh)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate = num_chunks * hidden_size
        self.weight_ih = Parameter(_empty((gate, input_size), dtype, device))
        self.weight_hh = Parameter(_empty((gate, hidden_size), dtype, device))
        if bias:
            self.bias_ih = Parameter(_empty((gate,), dtype, device))
            self.bias_hh = Parameter(_empty((gate,), dtype, device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    reset_parameters = reset_uniform

    def _step(self, mode: str, input: Tensor, hx, n_states: int) -> tuple:
        """PyTorch's checks, then one step; returns the new state tuple (batched as given)."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        states = None if hx is None else ((hx,) if n_states == 1 else tuple(hx))
        for k, s in enumerate(states or ()):
            if s.dim() not in (1, 2):
                what = "hidden" if n_states == 1 else f"hx[{k}]"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.dim()}D "
                                 "instead")
        batched = input.dim() == 2
        if n_states == 2 and batched and isinstance(hx, Tensor):  # (h, c) given as one tensor
            raise TypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, "
                            "not Tensor")
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            zero = _creation.zeros((input.shape[0], self.hidden_size), dtype=input.dtype)
            states = (zero,) * n_states
        elif not batched:
            states = tuple(s.unsqueeze(0) for s in states)
        if mode not in STEPS:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        if batched and len(states) != n_states and n_states == 2:  # (h, c, extra)
            raise RuntimeError("lstm_cell expects two hidden states")
        if self._check_step(input, states):
            out = mixed_lstm_cell(self, input, *states)
        elif not STATE.enabled:  # nothing to record: the step on arrays (_rnn_plain.py)
            out = self._plain_step(mode, input._data, tuple(s._data for s in states))
        else:
            p = StepParams(mode, self.weight_hh, self.bias_hh, None)
            xg = input_gates(mode, input, self.weight_ih, self.bias_ih, self.bias_hh)[0]
            out = _CELL_STEPS[mode](xg, 0, xg._data.shape[0], states, p)
            if mode == "LSTM":  # h and c of the packed [h | c], under PyTorch's names
                h = self.hidden_size
                out = (LSTMCellH.apply(out[0], (slice(None), slice(0, h))),
                       LSTMCellC.apply(out[0], (slice(None), slice(h, 2 * h))))
        # PyTorch's cells finish h' (GRU) and c' (LSTM) with in-place ops, so they start at
        # version 2 and 1: the numbers an in-place change of the state later reports
        if mode in _FRESH_VERSION:
            out[-1]._vc = [_FRESH_VERSION[mode]]
        return out if batched else tuple(s.squeeze(0) for s in out)

    def _plain_step(self, mode: str, x, states: tuple) -> tuple:
        b_ih, b_hh = self.bias_ih, self.bias_hh
        b_ih, b_hh = (None, None) if b_ih is None else (b_ih._data, b_hh._data)
        step = step_fn(mode, self.weight_hh._data, b_hh, None, False)
        out = step(input_rows(mode, x, self.weight_ih._data, b_ih, b_hh), states)
        return tuple(bare(s) for s in out)

    def _check_step(self, input: Tensor, states: tuple) -> None:
        if input._data.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        n = input._data.shape[0]
        for k, s in enumerate(states):
            shape = s._data.shape
            if shape[0] != n:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match "
                                   f"hidden{k} batch size {s.shape[0]}")
            if shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got "
                                   f"{s.shape[1]}, expected {self.hidden_size}")
        return check_state_dtypes(states, self.weight_hh, False)


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act 'tanh' or 'relu'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        mode = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}.get(self.nonlinearity, "?")
        return self._step(mode, input, hx, 1)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        return self._step("LSTM", input, hx, 2)


class GRUCell(RNNCellBase):
    """One GRU step; returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step("GRU", input, hx, 1)[0]
