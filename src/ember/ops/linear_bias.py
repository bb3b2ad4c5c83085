"""``F.linear`` with a bias of another shape than ``(out_features,)``: ``(1, out)`` from
``bias + sigma * eps_out.t()`` (Lapan's NoisyFactorizedLinear), a per-row ``(N, out)`` or a
0-d bias. PyTorch takes one of three paths, and each has its own errors and node:

* 2-D input: ``addmm(bias, x, W^T)``, the bias expanded to ``(N, out)`` (AddmmBackward0);
* contiguous input of other ranks, a bias that is 1-D or holds just ``out`` values: the input
  flattened to rows, the same addmm, viewed back (ViewBackward0);
* otherwise ``matmul(x, W^T).add_(bias)``: broadcasting, in place (AddBackward0).

The bias gradient is the output gradient summed down to the bias's own shape."""

from __future__ import annotations

import numpy as np

from .linalg import Linear, LinearView


def _sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """g summed over the axes a bias of ``shape`` was broadcast along."""
    if g.ndim < len(shape):  # a 1-D input's output against a (1, out) bias
        g = g.reshape((1,) * (len(shape) - g.ndim) + g.shape)
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


class _BiasShaped(Linear):
    """y = x @ W^T + b for b broadcast to y;  dL/db = dL/dy summed to b's shape."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.b_shape = np.shape(b)
        y = Linear.forward(ctx, x, w, None)
        return (y.reshape(-1, y.shape[-1]) + b).reshape(y.shape)  # b fits the rows, 1-D x too

    @staticmethod
    def backward(ctx, g):
        gx, gw, gb = Linear.backward(ctx, g)
        if gb is not None:
            gb = _sum_to(np.asarray(g), ctx.b_shape).reshape(ctx.b_shape)
        return gx, gw, gb


class AddmmBias(_BiasShaped):
    exact_grads = False


class AddmmBiasView(_BiasShaped):
    node_name = LinearView.node_name
    _node_base = LinearView._node_base
    exact_grads = False


def _takes_addmm(input, bias) -> bool:
    """PyTorch's choice of the addmm path for ``linear`` with a bias: a 2-D input, or a
    contiguous one with a bias that is 1-D or has just one dimension longer than 1 ((3, 1),
    (1, 1, 2)); a 0-d bias, (1, 1) or a full (rows, out) one is added in place instead."""
    nd = input._data.ndim
    if nd == 2:
        return True
    b = bias._data.shape
    return input.is_contiguous() and (len(b) == 1 or sum(n != 1 for n in b) == 1)


def linear_shaped_bias(input, weight, bias):
    """``linear`` for a bias whose shape is not ``(out_features,)`` (see the module doc)."""
    from .linalg import linear

    shape, n_out = input._data.shape, weight._data.shape[0]
    rows = int(np.prod(shape[:-1]))
    if _takes_addmm(input, bias):
        bias.detach().expand(rows, n_out)  # PyTorch's expand errors for a bias that won't fit
        node = AddmmBias if len(shape) == 2 else AddmmBiasView
        return node.apply(input, weight, bias)
    return linear(input, weight).add_(bias)


def linear_other_bias(input, weight, bias):
    """``linear`` where the fused path refused a bias: a 1-D weight (Godoy's
    ``F.linear(x, weight=torch.ones(11), bias=torch.tensor(0))``) or a bias of another dtype.
    On PyTorch's addmm path (``_takes_addmm``) the bias's dtype is checked against the
    weight's first, then that the weight is a matrix; elsewhere PyTorch computes
    ``matmul(x, W^T).add_(bias)`` in place, so an int 0-d bias keeps the float result.
    Returns None where the caller's own error is PyTorch's."""
    from .linalg import _kind, linear

    if input._data.ndim == 0 or weight._data.ndim == 0:  # refused before any path is taken
        return None
    if _takes_addmm(input, bias):
        if bias._data.dtype != weight._data.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{_kind(bias)} and {_kind(weight)}")
        if weight._data.ndim == 1:
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        return None
    return linear(input, weight).add_(bias)
