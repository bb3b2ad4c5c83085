"""Recurrent layers (RNN, LSTM, GRU) and their one-step cells, composed from ember ops.

Each layer and direction multiplies the whole input sequence by W_ih in one product, then
runs a Python loop over time steps for the recurrent part. Sequences live as 2-D "packed
rows" (time-major, batch sizes per step), so padded and PackedSequence input share one path:
a padded batch is simply the case where every step has the full batch.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ... import creation as _creation
from ... import ops as _ops
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .linear import _empty
from .module import Module

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# One time step: xg holds the input's gate pre-activations (x W_ih^T + biases) for the rows
# that are active at this step; state is (h,) or (h, c). Returns the new state.

def _tanh_step(xg, state, w_hh, b_hh, w_hr):
    return (_ops.tanh(xg + F.linear(state[0], w_hh)),)


def _relu_step(xg, state, w_hh, b_hh, w_hr):
    return (_ops.relu(xg + F.linear(state[0], w_hh)),)


def _lstm_step(xg, state, w_hh, b_hh, w_hr):
    h, c = state
    n = c.shape[-1]
    gates = xg + F.linear(h, w_hh)
    s = _ops.sigmoid(gates)  # i, f, o (the g block's sigmoid is unused: one op, not three)
    c = s[:, n:2 * n] * c + s[:, :n] * _ops.tanh(gates[:, 2 * n:3 * n])
    h = s[:, 3 * n:] * _ops.tanh(c)
    return (h if w_hr is None else F.linear(h, w_hr)), c


def _gru_step(xg, state, w_hh, b_hh, w_hr):
    h = state[0]
    n = h.shape[-1]
    hg = F.linear(h, w_hh, b_hh)  # b_hn must stay inside r * (W_hn h + b_hn)
    rz = _ops.sigmoid(xg[:, :2 * n] + hg[:, :2 * n])
    new = _ops.tanh(xg[:, 2 * n:] + rz[:, :n] * hg[:, 2 * n:])
    return (new + rz[:, n:] * (h - new),)  # (1 - z) * n + z * h


_STEPS = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "LSTM": _lstm_step, "GRU": _gru_step}


def _input_gates(mode: str, x: Tensor, w_ih, b_ih, b_hh) -> Tensor:
    """x W_ih^T plus the biases that can be added before the recurrence (all but GRU's b_hh)."""
    if b_ih is None:
        return F.linear(x, w_ih)
    return F.linear(x, w_ih, b_ih if mode == "GRU" else b_ih + b_hh)


def _forward_dir(step, xg, sizes, state, params):
    """Runs one direction from the first step; sequences that end drop off the batch's tail."""
    outs, done = [], []
    start = 0
    for bs in sizes:
        if bs < state[0].shape[0]:
            done.append(tuple(s[bs:] for s in state))
            state = tuple(s[:bs] for s in state)
        state = step(xg[start:start + bs], state, *params)
        outs.append(state[0])
        start += bs
    if done:  # the shortest sequences ended first and sit last in the batch
        state = tuple(_ops.cat([s] + [d[k] for d in reversed(done)])
                      for k, s in enumerate(state))
    return outs, state


def _reverse_dir(step, xg, sizes, state, params):
    """Runs one direction from the last step; sequences join the batch as their last step comes."""
    full, cur = state, sizes[-1]
    if cur < full[0].shape[0]:
        state = tuple(s[:cur] for s in full)
    outs, end = [], xg.shape[0]
    for bs in reversed(sizes):
        if bs > cur:
            state = tuple(_ops.cat([s, f[cur:bs]]) for s, f in zip(state, full))
            cur = bs
        state = step(xg[end - bs:end], state, *params)
        outs.append(state[0])
        end -= bs
    outs.reverse()
    return outs, state


def _run_layers(rnn, x: Tensor, sizes: list, states: tuple) -> tuple[Tensor, tuple]:
    """All layers and directions over packed rows x; states are (L*D, B, *) initial states."""
    step, mode = _STEPS[rnn.mode], rnn.mode
    dirs = 2 if rnn.bidirectional else 1
    finals = [[] for _ in states]
    for layer in range(rnn.num_layers):
        outs = []
        for d in range(dirs):
            w = [getattr(rnn, n) for n in rnn._all_weights[layer * dirs + d]]
            w_ih, w_hh = w[0], w[1]
            b_ih, b_hh = (w[2], w[3]) if rnn.bias else (None, None)
            w_hr = w[-1] if rnn.proj_size > 0 else None
            xg = _input_gates(mode, x, w_ih, b_ih, b_hh)
            init_state = tuple(s[layer * dirs + d] for s in states)
            run = _reverse_dir if d == 1 else _forward_dir
            rows, final = run(step, xg, sizes, init_state, (w_hh, b_hh, w_hr))
            outs.append(_ops.cat(rows) if len(rows) > 1 else rows[0])
            for k, s in enumerate(final):
                finals[k].append(s)
        x = outs[0] if dirs == 1 else _ops.cat(outs, 1)
        if rnn.dropout and rnn.training and layer < rnn.num_layers - 1:
            x = F.dropout(x, rnn.dropout, True)
    return x, tuple(_ops.stack(f) for f in finals)


def _check_int(name: str, value) -> None:
    if not isinstance(value, int):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


def _check_args(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                proj_size) -> None:
    if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", stacklevel=4)
    for name, value in (("bias", bias), ("batch_first", batch_first)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
    _check_int("input_size", input_size)
    _check_int("hidden_size", hidden_size)
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


class RNNBase(Module):
    """Shared constructor, checks and forward of RNN, LSTM and GRU (PyTorch's layout)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        _check_args(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        self._flat_weights_names, self._all_weights = [], []
        dirs = 2 if bidirectional else 1
        gate, real = _GATES[mode] * hidden_size, proj_size or hidden_size
        for layer in range(num_layers):
            for d in range(dirs):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                shapes = {"weight_ih": (gate, input_size if layer == 0 else real * dirs),
                          "weight_hh": (gate, real)}
                if bias:
                    shapes.update(bias_ih=(gate,), bias_hh=(gate,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = [k + suffix for k in shapes]
                for name, shape in zip(names, shapes.values()):
                    setattr(self, name, Parameter(_empty(shape, dtype, device)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op: there is no fused (cuDNN) weight buffer to compact."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _state_sizes(self, batch: int) -> list:
        """Expected shapes of the initial states: h (and c for LSTM)."""
        lead = self.num_layers * (2 if self.bidirectional else 1)
        sizes = [(lead, batch, self.proj_size or self.hidden_size)]
        return sizes + [(lead, batch, self.hidden_size)] if self.mode == "LSTM" else sizes

    def _check_forward(self, input: Tensor, states: tuple, batch: int, packed: bool) -> None:
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        dim = 2 if packed else 3
        if input.dim() != dim:
            raise RuntimeError(f"input must have {dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")
        lstm = self.mode == "LSTM"
        for k, (s, size) in enumerate(zip(states, self._state_sizes(batch))):
            if tuple(s.shape) != size:
                what = f"hidden[{k}]" if lstm else "hidden"
                raise RuntimeError(f"Expected {what} size {size}, got {list(s.shape)}")

    def _zero_states(self, batch: int, like: Tensor) -> tuple:
        return tuple(_creation.zeros(size, dtype=like.dtype) for size in self._state_sizes(batch))

    def _hx_states(self, hx, batched: bool) -> tuple | None:
        """hx as a tuple of batched states, after PyTorch's dimension checks."""
        if hx is None:
            return None
        want, kind = (3, "batched 3-D") if batched else (2, "unbatched 2-D")
        if self.mode == "LSTM":
            if hx[0].dim() != want or hx[1].dim() != want:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but "
                                   f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            states = (hx[0], hx[1])
        else:
            if hx.dim() != want:
                raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                                   f"{hx.dim()}-D tensor")
            states = (hx,)
        return states if batched else tuple(s.unsqueeze(1) for s in states)

    def _result(self, finals: tuple):
        return finals if self.mode == "LSTM" else finals[0]

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if input.dim() not in (2, 3):
            tail = " tensor" if self.mode.startswith("RNN") else ""
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D{tail} instead")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        states = self._hx_states(hx, batched)
        batch = input.size(batch_dim)
        if states is None:
            states = self._zero_states(batch, input)
        self._check_forward(input, states, batch, packed=False)
        x = input.transpose(0, 1) if self.batch_first else input
        steps = x.shape[0]
        if steps == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        out, finals = _run_layers(self, x.reshape(steps * batch, self.input_size),
                                  [batch] * steps, states)
        out = out.reshape(steps, batch, out.shape[-1])
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out, finals = out.squeeze(batch_dim), tuple(s.squeeze(1) for s in finals)
        return out, self._result(finals)

    def _forward_packed(self, input: PackedSequence, hx):
        data, batch_sizes, sorted_indices, unsorted_indices = input
        sizes = batch_sizes.tolist()
        if hx is None:
            states = self._zero_states(sizes[0], data)
        else:
            states = (hx[0], hx[1]) if self.mode == "LSTM" else (hx,)
            if sorted_indices is not None:  # hx follows the caller's batch order
                states = tuple(s.index_select(1, sorted_indices) for s in states)
        self._check_forward(data, states, sizes[0], packed=True)
        out, finals = _run_layers(self, data, sizes, states)
        if unsorted_indices is not None:
            finals = tuple(s.index_select(1, unsorted_indices) for s in finals)
        return PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices), \
            self._result(finals)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    Arguments as PyTorch's: (input_size, hidden_size, num_layers=1, nonlinearity='tanh',
    bias=True, batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None).
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity, args = args[3], args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; gates in PyTorch's order (i, f, g, o), optional projection
    h_t = W_hr (o * tanh(c_t)) when proj_size > 0."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit; gates (r, z, n) with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    and h' = (1 - z) * n + z * h."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


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

    reset_parameters = RNNBase.reset_parameters

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
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            zero = _creation.zeros((input.shape[0], self.hidden_size), dtype=input.dtype)
            states = (zero,) * n_states
        elif not batched:
            states = tuple(s.unsqueeze(0) for s in states)
        if mode not in _STEPS:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check_step(input, states)
        xg = _input_gates(mode, input, self.weight_ih, self.bias_ih, self.bias_hh)
        out = _STEPS[mode](xg, states, self.weight_hh, self.bias_hh, None)
        return out if batched else tuple(s.squeeze(0) for s in out)

    def _check_step(self, input: Tensor, states: tuple) -> None:
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        for k, s in enumerate(states):
            if s.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match "
                                   f"hidden{k} batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got "
                                   f"{s.shape[1]}, expected {self.hidden_size}")


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
