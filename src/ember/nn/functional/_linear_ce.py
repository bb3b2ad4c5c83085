"""``F.linear_cross_entropy`` and ``nn.LinearCrossEntropyOptions`` (new in PyTorch 2.13).

The loss of a classifier head in one call: ``cross_entropy(linear(x, W, b), target)``. By
default (``options=None``) that is literally what runs, so the graph is linear's and
cross-entropy's. With options, PyTorch switches to a "chunked" path meant for LLM heads,
which never holds all the logits at once and computes the gradients together with the loss;
its backward only scales them. ember runs that path as one node (``_Chunked``) with the same
contract: gradients computed in the forward, a second backward refused unless
``allow_retain_graph``, no double backward. NumPy computes the logits in one piece, so the
chunk size changes nothing here (it is still resolved, for PyTorch's errors).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ... import dtypes as D
from ..._warn import warn
from ...autograd.function import Primitive
from ...ops._matmul_checks import _C_NAMES
from ...tensor import Tensor

_TWICE = ("linear_cross_entropy chunked backward called twice; retain_graph=True / double "
          "backward are not supported.")


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """Settings of the chunked path (see the module docstring): ``allow_retain_graph`` (allow
    a second backward of 'mean'/'sum'), ``batch_chunk_size`` or ``chunking_method``
    ('auto', 'aspect_ratio', 'aspect_ratio:N' or None), ``acc_policy`` and ``acc_dtype``
    (precision choices of PyTorch's kernels; validated, no effect on NumPy's float math)."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in {"auto", "accurate", "balanced", "compact"}:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            factor = factor if sep else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        size = self.batch_chunk_size
        if not (size is None or isinstance(size, int) and size > 0):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {size!r}")
        accs = [D._NAMES[n] for n in ("float16", "bfloat16", "float32", "float64")]
        if self.acc_dtype is not None and self.acc_dtype not in accs:
            raise ValueError(
                "acc_dtype must be one of {None, torch.float16, torch.bfloat16, torch.float32, "
                f"torch.float64}}, got {self.acc_dtype!r}. Pass acc_dtype=None to let the op "
                "pick automatically.")

    def _chunk_size(self, rows: int, in_features: int, num_classes: int, dtype) -> int:
        """The rows per chunk PyTorch would use; raises its error when an explicit size and
        an explicit method disagree. 'auto' is PyTorch's CPU pick: 'aspect_ratio' for half
        precision, 'aspect_ratio:2' otherwise."""
        method = self.chunking_method
        if method == "auto":
            method = (None if self.batch_chunk_size is not None else
                      "aspect_ratio" if dtype == np.float16 else "aspect_ratio:2")
        size = rows if self.batch_chunk_size is None else min(self.batch_chunk_size, rows)
        if method is None:
            return size
        factor = int(method.partition(":")[2] or 1)
        target = -(-rows // -(-num_classes // in_features))  # rows / ceil(classes / features)
        chunk = min((1 << (target - 1).bit_length()) // factor, rows)
        if self.batch_chunk_size is not None and self.batch_chunk_size != chunk:
            raise ValueError(
                f"batch_chunk_size (={self.batch_chunk_size}) and chunking_method ('{method}') "
                f"give different chunk sizes ({self.batch_chunk_size} vs {chunk}); pass only "
                "one.")
        return chunk


class _Chunked(Primitive):
    """loss_i = w[t_i] (logsumexp(z_i) - z_i[t_i]),  z = x W^T + b, reduced by 'mean' (over the
    kept rows' weights w[t_i]) or 'sum'; ignored rows count 0.
    With p = softmax(z):  dL/dz_i = c_i (p_i - onehot(t_i)),  c_i = w[t_i] / sum_kept w[t_j]
    ('mean') or w[t_i] ('sum'); then dL/dx = g dz W,  dL/dW = g dz^T x,  dL/db = g sum_i dz_i,
    all but the factor g (a number) computed in the forward, as PyTorch's chunked path does."""

    node_name = "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_defaultBackward"

    @staticmethod
    def forward(ctx, x, w, b, t, cw, reduction, ignore_index, allow_twice):
        per_row, (dz, kept) = _rows_and_dz(x, w, b, t, cw, ignore_index)
        loss = per_row.sum()
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                loss = loss / kept  # (every row ignored: 0 / 0 = nan, as the reference path)
                dz /= kept
        need = ctx.needs_input_grad  # () when nothing is recorded: no gradients to make
        if need:
            ctx.grads = (dz @ w if need[0] else None, dz.T @ x if need[1] else None,
                         dz.sum(0) if need[2] and b is not None else None)
            ctx.allow_twice, ctx.spent = allow_twice, False
        return np.asarray(loss, x.dtype)

    @staticmethod
    def backward(ctx, g):
        if ctx.spent and not ctx.allow_twice:
            raise RuntimeError(_TWICE)
        ctx.spent = True
        return tuple(None if a is None else a * g for a in ctx.grads) + (None,) * 5


class _ChunkedNone(Primitive):
    """reduction='none': loss_i as in ``_Chunked``; backward recomputes from the saved p:
    dL/dz_i = g_i w[t_i] (p_i - onehot(t_i)), then dL/dx = dz W, dL/dW = dz^T x,
    dL/db = sum_i dz_i (a second backward is allowed, as in PyTorch)."""

    node_name = ("GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_no_"
                 "reduction_defaultBackward")

    @staticmethod
    def forward(ctx, x, w, b, t, cw, ignore_index):
        per_row, (dz, _) = _rows_and_dz(x, w, b, t, cw, ignore_index)
        ctx.save_for_backward(x, w)
        ctx.dz, ctx.has_bias = dz, b is not None
        return per_row

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        dz = ctx.dz * g[:, None]
        need = ctx.needs_input_grad
        return ((dz @ w if need[0] else None), (dz.T @ x if need[1] else None),
                (dz.sum(0) if need[2] and ctx.has_bias else None), None, None, None)


def _rows_and_dz(x, w, b, t, cw, ignore_index):
    """(per-row losses, (the per-row weighted dL/dz, the kept rows' total weight))."""
    z = x @ w.T
    if b is not None:
        z += b
    kept = t != ignore_index
    safe = np.where(kept, t, 0)
    bad = kept & ((t < 0) | (t >= z.shape[1]))  # (an ignored row may hold any value)
    if bad.any():
        v = int(t[bad][0])
        raise RuntimeError(f"index {v} is out of bounds for dimension 1 with size {z.shape[1]}")
    m = z.max(1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(1, keepdims=True)
    rows = np.arange(len(t))
    wt = (np.ones(len(t), z.dtype) if cw is None else cw[safe].astype(z.dtype)) * kept
    per_row = (np.log(s[:, 0]) + m[:, 0] - z[rows, safe]) * wt
    p = e / s
    p[rows, safe] -= 1.0
    p *= wt[:, None]
    return per_row.astype(z.dtype), (p, wt.sum())


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,
                         linear_bias: Tensor | None = None, weight: Tensor | None = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options=None) -> Tensor:
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...). linear_weight
    may be (C, d_1, ..., d_K, in_features): a K-dimensional loss over (N, C, d_1, ...)."""
    from . import cross_entropy, linear

    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError("expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.dim()}")
    batch, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(
            "expected equal input and linear_weight last dimensions (in_features), got "
            f"{in_features} and {linear_weight.shape[-1]}, respectively")
    classes, out = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out):
        raise RuntimeError(f"expected linear_bias shape {(classes, *out)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out and not batch:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
            f"requires batched input, (N, {in_features}), got unbatched input with shape "
            f"{tuple(input.shape)}")
    logits_shape = (*batch, classes, *out)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    if options is not None:
        chunked = (not out and reduction in ("mean", "sum", "none") and label_smoothing == 0.0
                   and target.dtype == D.int64)
        if chunked:
            return _chunked(input, linear_weight, target, linear_bias, weight, reduction,
                            ignore_index, options)
        bias_shape = None if linear_bias is None else tuple(linear_bias.shape)
        warn("linear_cross_entropy: ``options`` ignored; chunked path needs reduction in "
             "{'mean','sum','none'}, label_smoothing == 0, target.dtype == int64, "
             f"out_features == (). Got reduction={reduction!r}, label_smoothing="
             f"{label_smoothing}, target.dtype={target.dtype}, out_features={out}, "
             f"tracing=False, linear_bias.shape={bias_shape}.")
    if out:
        linear_weight = linear_weight.reshape((math.prod(out, start=classes), in_features))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(math.prod(out, start=classes))
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=ignore_index, label_smoothing=label_smoothing)


def _chunked(x, w, t, b, cw, reduction, ignore_index, options) -> Tensor:
    """The chunked path's checks, then its node (a 1-D input as a batch of one)."""
    one = x.dim() == 1
    if one:
        x, t = x.unsqueeze(0), t.unsqueeze(0)
    options._chunk_size(x.shape[0], x.shape[1], w.shape[0], x._data.dtype)
    if x.dtype != w.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{_C_NAMES[x._data.dtype.name]} != {_C_NAMES[w._data.dtype.name]}")
    if t.dim() != 1 or t.shape[0] != x.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                         f"batch_size ({t.shape[0] if t.dim() else 1}).")
    if reduction == "none":
        out = _ChunkedNone.apply(x, w, b, t, cw, ignore_index)
    else:
        out = _Chunked.apply(x, w, b, t, cw, reduction, ignore_index,
                             options.allow_retain_graph)
    return out.squeeze(0) if one else out
