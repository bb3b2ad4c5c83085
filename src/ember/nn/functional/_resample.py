"""One recorded node for a separable resize (interpolate's upsample_* ops).

A plan is ((axis, taps, n_in, n_out), ...), applied in order; each tap is (idx, w, rows):
output positions ``rows`` (None: all) of that axis add x[idx] * w (w None: weight 1). Taps
are summed in order, so a resize rounds as a sum of its taps does. The node is named as
PyTorch's (UpsampleBilinear2DBackward0, ...), and so is its own backward under create_graph.
"""

from __future__ import annotations

import functools

import numpy as np

from ...autograd.function import Primitive
from ...tensor import Tensor


def _at(ndim, axis, index):
    sl = [slice(None)] * ndim
    sl[axis] = index
    return tuple(sl)


def _weights(w, ndim, axis):
    view = [1] * ndim
    view[axis] = -1
    return w.reshape(view)


def _resample(x, taps, n_out, axis):
    out = None
    for idx, w, rows in taps:
        term = np.take(x, idx, axis=axis)
        if w is not None:
            term = term * _weights(w, x.ndim, axis)
        if rows is None:
            out = term if out is None else out + term
        else:
            if out is None:
                shape = list(x.shape)
                shape[axis] = n_out
                out = np.zeros(shape, x.dtype)
            out[_at(x.ndim, axis, rows)] += term
    return out


def _resample_t(g, taps, n_in, axis):
    """The adjoint: each tap's share of g added back at its input positions."""
    shape = list(g.shape)
    shape[axis] = n_in
    out = np.zeros(shape, g.dtype)
    for idx, w, rows in taps:
        part = g if rows is None else np.take(g, rows, axis=axis)
        if w is not None:
            part = part * _weights(w, g.ndim, axis)
        # idx never decreases along an axis: sum each run of equal indices (np.add.at, 5x
        # slower, would give the same sums in the same order)
        first, starts = np.unique(idx, return_index=True)
        out[_at(g.ndim, axis, first)] += np.add.reduceat(part, starts, axis=axis)
    return out


def _forward_arrays(x, plan, opmath=False):
    dt = x.dtype
    if opmath and dt == np.float16:  # PyTorch's 2-d kernels: half in float32, rounded once
        x = x.astype(np.float32)
    for axis, taps, n_in, n_out in plan:
        x = _resample(x, taps, n_out, axis)
    return x.astype(dt, copy=False)


def _adjoint_arrays(g, plan, opmath=False):
    dt = g.dtype
    if opmath and dt == np.float16:
        g = g.astype(np.float32)
    for axis, taps, n_in, n_out in reversed(plan):
        g = _resample_t(g, taps, n_in, axis)
    return g.astype(dt, copy=False)


def _keep_channels_last(x, y):
    """y laid out channels-last (NHWC / NDHWC) when x is, as PyTorch's resize keeps it."""
    if x.ndim not in (4, 5) or x.flags.c_contiguous:
        return y
    order = (0, *range(2, x.ndim), 1)
    if not x.transpose(order).flags.c_contiguous:
        return y
    return np.ascontiguousarray(y.transpose(order)).transpose(np.argsort(order))


class _Resample(Primitive):
    """y = the plan's taps applied axis by axis;  dL/dx = the adjoint (R^T per axis) of dL/dy,
    linear, so under create_graph it is itself recorded (the class's ``adjoint``)."""

    adjoint = None

    @staticmethod
    def forward(ctx, x, plan, opmath=False):
        ctx.plan, ctx.opmath = plan, opmath
        return _keep_channels_last(x, _forward_arrays(x, plan, opmath))

    @classmethod
    def backward(cls, ctx, g):
        if isinstance(g, Tensor):
            return cls.adjoint.apply(g, ctx.plan, ctx.opmath), None, None
        return _adjoint_arrays(g, ctx.plan, ctx.opmath), None, None


class _Adjoint(Primitive):
    """g -> the adjoint of the resize; its own gradient is the resize again."""

    forward_cls = None

    @staticmethod
    def forward(ctx, g, plan, opmath=False):
        ctx.plan, ctx.opmath = plan, opmath
        return _adjoint_arrays(g, plan, opmath)

    @classmethod
    def backward(cls, ctx, gg):
        if isinstance(gg, Tensor):
            return cls.forward_cls.apply(gg, ctx.plan, ctx.opmath), None, None
        return _forward_arrays(gg, ctx.plan, ctx.opmath), None, None


@functools.lru_cache(maxsize=None)
def _classes(name: str):
    fwd = type(f"_{name}", (_Resample,), {"node_name": f"{name}Backward0"})
    adj = type(f"_{name}Adjoint", (_Adjoint,), {"node_name": f"{name}BackwardBackward0"})
    fwd.adjoint, adj.forward_cls = adj, fwd
    return fwd


def resample(input: Tensor, plan: tuple, name: str, opmath: bool = False) -> Tensor:
    """``input`` resized by ``plan`` as one node, shown as PyTorch's ``name + 'Backward0'``
    (e.g. 'UpsampleNearest2D'); ``opmath``: a half input is resized in float32."""
    return _classes(name).apply(input, plan, opmath)
