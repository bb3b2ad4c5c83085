"""Recurrent layers RNN, LSTM, GRU (their one-step cells are in _rnn_cells.py).

Each layer and direction multiplies the whole input sequence by W_ih in one product, then
runs a Python loop over time steps for the recurrent part, two or three nodes a step (see
_rnn_cells.py and nn/_rnn_ops.py); an LSTM over equal-length sequences is one node per layer
and direction, as in PyTorch (_lstm_layer.py), and under no_grad the loop runs on arrays
(_rnn_plain.py). Sequences live as 2-D "packed rows" (time-major, batch
sizes per step), so padded and PackedSequence input share one path: a padded batch is
simply the case where every step has the full batch.
"""

from __future__ import annotations

import numbers
import warnings

from ... import creation as _creation
from ... import ops as _ops
from ...ops._shape_permute import Transpose, transpose as _transpose
from ...ops.join_split import Cat
from ...ops.shape import Reshape
from ...tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from ...autograd.grad_mode import STATE
from ..utils.rnn import PackedSequence
from ._lstm_layer import lstm_layer
from ._rnn_plain import bare as _bare, plain_layers
from ._rnn_cells import (STEPS, GRUCell, LSTMCell, RNNCell, RNNCellBase, StepParams,
                         check_state_dtypes, input_gates, reset_uniform, warn_projections_once)
from .linear import _empty
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

# The output's grad_fn under the name PyTorch's CPU kernels give it: the steps stacked (joined
# for two directions), one oneDNN node for a plain LSTM, an in-place transpose_ for RNN/GRU
# with batch_first. Ember's rows are already joined; a reshape does the same, so it only
# takes that node's name (its gradient is the reshape's).
_OUT_VIEWS = {name: type(f"_Out{name[:-9]}", (Reshape,), {"node_name": name})
              for name in ("StackBackward0", "CatBackward0", "MkldnnRnnLayerBackward0")}
_TransposeInPlace = type("_TransposeInPlace", (Transpose,), {"node_name": "TransposeBackward1"})


def _forward_dir(step, xg, sizes, state, p):
    """Runs one direction from the first step; sequences that end drop off the batch's tail."""
    outs, done = [], []
    start = 0
    for bs in sizes:
        if bs < state[0]._data.shape[0]:
            done.append(tuple(s[bs:] for s in state))
            state = tuple(s[:bs] for s in state)
        state = step(xg, start, start + bs, state, p)
        outs.append(state[0])
        start += bs
    if done:  # the shortest sequences ended first and sit last in the batch
        state = tuple(_ops.cat([s] + [d[k] for d in reversed(done)])
                      for k, s in enumerate(state))
    return outs, state


def _reverse_dir(step, xg, sizes, state, p):
    """Runs one direction from the last step; sequences join the batch as their last step comes."""
    full, cur = state, sizes[-1]
    if cur < full[0]._data.shape[0]:
        state = tuple(s[:cur] for s in full)
    outs, end = [], xg._data.shape[0]
    for bs in reversed(sizes):
        if bs > cur:  # the running state may be packed [h | c]: join plain rows
            state = tuple(_ops.cat([s, f[cur:bs]]) for s, f in zip(p.plain(state), full))
            cur = bs
        state = step(xg, end - bs, end, state, p)
        outs.append(state[0])
        end -= bs
    outs.reverse()
    return outs, state


def _run_layers(rnn, x: Tensor, sizes: list, states: tuple) -> tuple[Tensor, tuple]:
    """All layers and directions over packed rows x; states are (L*D, B, *) initial states."""
    mode, dirs = rnn.mode, 2 if rnn.bidirectional else 1
    step = STEPS[mode]
    finals = [[] for _ in states]
    # An LSTM over equal-length sequences records one node per layer and direction, as
    # PyTorch's CPU kernel does (_lstm_layer.py); packed input and projections go by steps.
    fused = mode == "LSTM" and rnn.proj_size == 0 and sizes[0] == sizes[-1]
    for layer in range(rnn.num_layers):
        outs = []
        for d in range(dirs):
            w = [getattr(rnn, n) for n in rnn._all_weights[layer * dirs + d]]
            if fused:
                h0, c0 = (s[layer * dirs + d] for s in states)
                out, h_last, c_last = lstm_layer(x, w, rnn.bias, h0, c0, len(sizes), d == 1)
                outs.append(out)
                finals[0].append(h_last)
                finals[1].append(c_last)
                continue
            b_ih, b_hh = (w[2], w[3]) if rnn.bias else (None, None)
            p = StepParams(mode, w[1], b_hh, w[-1] if rnn.proj_size > 0 else None, len(sizes))
            xg, p.acc = input_gates(mode, x, w[0], b_ih, b_hh, len(sizes))
            init_state = tuple(s[layer * dirs + d] for s in states)
            run = _reverse_dir if d == 1 else _forward_dir
            rows, final = run(step, xg, sizes, init_state, p)
            out = Cat.apply(0, (False,) * len(rows), *rows) if len(rows) > 1 else rows[0]
            outs.append(out[:, :p.real] if out._data.shape[1] != p.real else out)
            for k, s in enumerate(p.plain(final)):
                finals[k].append(s)
        x = outs[0] if dirs == 1 else _ops.cat(outs, 1)
        if rnn.dropout and rnn.training and layer < rnn.num_layers - 1:
            x = F.dropout(x, rnn.dropout, True)
    return x, tuple(_ops.stack(f) for f in finals)


def _packed_lstm_dims(states: tuple, want: list) -> None:
    """PyTorch's LSTM hands the (h, c) of a PackedSequence to its kernel unchecked (GRU and RNN
    check the sizes first): two states wanted, then each read at dim 2, so an unbatched 2-D
    pair fails there with an IndexError."""
    if len(states) != 2:
        raise RuntimeError("lstm expects two hidden states")
    for s in states:
        n = s.dim()
        if n == 0:
            raise IndexError("Dimension specified as 2 but tensor has no dimensions")
        if n < 3:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, "
                             f"{n - 1}], but got 2)")
    for k, (s, size) in enumerate(zip(states, want)):  # only the batch wrong: the gates' sum
        got = tuple(s.shape)
        if len(got) == 3 and got[1] != size[1] and got[::2] == size[::2]:
            a, b = (got[1], size[1]) if k == 0 else (size[1], got[1])
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension 0")


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

    reset_parameters = reset_uniform

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
        check_state_dtypes(states, w, lstm and not packed and not self.proj_size)

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
        if batched and hx is not None and self.mode == "LSTM" and len(hx) != 2:
            raise RuntimeError("lstm expects two hidden states")
        if input._data.shape[1 if self.batch_first else 0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        if self.proj_size:
            warn_projections_once(input)
        if not STATE.enabled:  # nothing to record: the same loop on arrays (_rnn_plain.py)
            return self._forward_plain(input._data, states, batched, batch_dim)
        x = input.transpose(0, 1) if self.batch_first else input
        steps = x.shape[0]
        out, finals = _run_layers(self, x.reshape(steps * batch, self.input_size),
                                  [batch] * steps, states)
        if self.bidirectional:
            name = "CatBackward0"
        elif self.mode == "LSTM" and self.proj_size == 0:
            name = "MkldnnRnnLayerBackward0"
        else:
            name = "StackBackward0"
        out = _OUT_VIEWS[name].apply(out, (steps, batch, out.shape[-1]))
        if self.batch_first:
            out = _transpose(out, 0, 1,
                             _cls=Transpose if self.mode == "LSTM" else _TransposeInPlace)
        if not batched:
            out, finals = out.squeeze(batch_dim), tuple(s.squeeze(1) for s in finals)
        return out, self._result(finals)

    def _forward_plain(self, x, states: tuple, batched: bool, batch_dim: int):
        """forward's no-grad path: the arrays of its graph path, without nodes."""
        if self.batch_first:
            x = x.transpose(1, 0, 2)
        steps, batch = x.shape[:2]
        out, finals = plain_layers(self, x.reshape(steps * batch, self.input_size),
                                   [batch] * steps, tuple(s._data for s in states))
        out = out.reshape(steps, batch, out.shape[-1])
        if self.batch_first:
            out = out.transpose(1, 0, 2)
        if not batched:
            out, finals = out.squeeze(batch_dim), tuple(s.squeeze(1) for s in finals)
        return _bare(out), self._result(tuple(_bare(s) for s in finals))

    def _forward_packed(self, input: PackedSequence, hx):
        data, batch_sizes, sorted_indices, unsorted_indices = input
        sizes = batch_sizes.tolist()
        if hx is None:
            states = self._zero_states(sizes[0], data)
        else:
            states = (hx[0], hx[1]) if self.mode == "LSTM" and sorted_indices is not None \
                else tuple(hx) if self.mode == "LSTM" else (hx,)
            if sorted_indices is not None:  # hx follows the caller's batch order
                states = tuple(s.index_select(1, sorted_indices) for s in states)
            if self.mode == "LSTM":
                _packed_lstm_dims(states, self._state_sizes(sizes[0]))
        self._check_forward(data, states, sizes[0], packed=True)
        if STATE.enabled:
            out, finals = _run_layers(self, data, sizes, states)
            if out.grad_fn is not None and type(out.grad_fn).__name__ != "CatBackward0":
                out = _OUT_VIEWS["CatBackward0"].apply(out, out.shape)  # PyTorch joins the rows
        else:  # nothing to record (_rnn_plain.py)
            out, finals = plain_layers(self, data._data, sizes, tuple(s._data for s in states))
            out, finals = _bare(out), tuple(_bare(s) for s in finals)
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
