"""gaussian_nll_loss, soft_margin_loss, multi_margin_loss, multilabel_margin_loss,
multilabel_soft_margin_loss and triplet_margin_with_distance_loss.

Composites of differentiable ember ops (gradients come from their rules); the checks raise
PyTorch's errors with its first lines.
"""

from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...autograd.function import Primitive
from ...autograd.grad_mode import STATE
from ...ops._util import check_broadcast
from ...ops.arithmetic import type_name
from ...tensor import Tensor
from ._activation import logsigmoid
from ._loss import _no_grad_weight, _reduction
from ._loss_more import _reduce
from ._more import _as_node, pairwise_distance


class _ClampPassThrough(Primitive):
    """y = max(x, eps) with dy/dx = 1 (PyTorch clamps the variance under no_grad)."""

    @staticmethod
    def forward(ctx, x, eps):
        return np.maximum(x, np.asarray(eps, x.dtype))

    @staticmethod
    def backward(ctx, g):
        return g, None


def _var_fitted(input: Tensor, var: Tensor) -> Tensor:
    """PyTorch's rules: var as input, or missing the last dim, or one mismatched size-1 dim."""
    if tuple(var.shape) == tuple(input.shape):
        return var
    if tuple(input.shape[:-1]) == tuple(var.shape):
        return var.unsqueeze(-1)
    if input.dim() == var.dim() and \
            sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1:
        return var
    raise ValueError("var is of incorrect size")


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """(log max(var, eps) + (x - y)^2 / max(var, eps)) / 2, plus log(2 pi) / 2 if full."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._make(np.full(input.shape, var, input._data.dtype), False, None)
    elif not isinstance(var, Tensor):  # PyTorch calls torch.any(var < 0) on it
        raise TypeError(f"any() received an invalid combination of arguments - got "
                        f"({type(var < 0).__name__}), but expected one of:\n"
                        " * (Tensor input, *, Tensor out = None)\n"
                        " * (Tensor input, tuple of ints dim = None, bool keepdim = False, *, "
                        "Tensor out = None)\n"
                        " * (Tensor input, int dim, bool keepdim = False, *, Tensor out = None)")
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = _var_fitted(input, var)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = _ClampPassThrough.apply(var, eps)
    loss = 0.5 * (ops.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """reduce(log(1 + exp(-y x)))."""
    try:
        input._data, target._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=input, target=target) from None
    reduction = _reduction(reduction, size_average, reduce)
    if target._rg and STATE.enabled:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")
    check_broadcast(input.shape, target.shape)
    from ._loss import _in_dtype_of  # PyTorch writes the loss in the input's dtype

    loss = _in_dtype_of(_reduce(ops.log1p(ops.exp(-target * input)), reduction), input)
    return _as_node(loss, "SoftMarginLossBackward0")


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """reduce(mean over classes of -(y log s(x) + (1 - y) log s(-x)) [* weight])."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.dim() - 1) / input.shape[-1]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def _class_targets(fn: str, input: Tensor, target: Tensor) -> tuple:
    """input as (N, C) (a vector is one sample) and the int64 target array."""
    try:
        input._data, target._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=input, target=target) from None
    if input.dim() > 2 or input.numel() == 0 and input.dim() != 2:
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size,"
                           f" but got: {list(input.shape)}")
    if target._data.dtype != np.int64:
        raise RuntimeError("expected scalar type Long but found "
                           f"{type_name(target._data.dtype)}")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    return x, np.asarray(target._data)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Per sample: sum over j != y of w[y] * max(0, margin - x[y] + x[j])^p, divided by
    the number of classes C."""
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _no_grad_weight("multi_margin_loss", "weight", weight)
    x, t = _class_targets("multi_margin_loss", input, target)
    n, c = x.shape
    if input.dim() == 2 and t.shape != (n,):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{n}], but got "
            f"{list(t.shape)}. Input has shape {list(input.shape)}.")
    tshape, t = t.shape, t.reshape(n)
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight.shape)}")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    picked = x.gather(1, Tensor._make(t[:, None], False, None))
    z = ops.clamp_min(margin - picked + x, 0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[Tensor._make(t, False, None)].unsqueeze(1)
    others = (np.arange(c) != t[:, None]).astype(x._data.dtype)
    loss = (z * Tensor._make(others, False, None)).sum(1) / c
    if input.dim() != 2 and reduction == "none":
        loss = loss.reshape(tshape)  # PyTorch: the target's shape, () or (1,)
    return _as_node(_reduce(loss, reduction), "MultiMarginLossBackward0")


def _label_counts(t: np.ndarray, c: int) -> np.ndarray:
    """(N, C): how often each class is listed before the first -1 of its row."""
    listed = np.cumprod(t != -1, axis=1).astype(bool)
    counts = np.zeros(t.shape[:1] + (c,), np.int64)
    rows = np.nonzero(listed)
    np.add.at(counts, (rows[0], t[rows]), 1)
    return counts


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Per sample: sum over listed labels j and unlisted classes i of
    max(0, 1 - (x[j] - x[i])), divided by C (labels end at the first -1)."""
    reduction = _reduction(reduction, size_average, reduce)
    x, t = _class_targets("multilabel_margin_loss", input, target)
    if t.shape != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(input.shape)}")
    n, c = x.shape
    t = t.reshape(n, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    counts = _label_counts(t, c)
    dtype = x._data.dtype
    pairs = (counts[:, :, None] * (counts[:, None, :] == 0)).astype(dtype)
    hinge = ops.clamp_min(1 - x.unsqueeze(2) + x.unsqueeze(1), 0)
    loss = (hinge * Tensor._make(pairs, False, None)).sum((1, 2)) / c
    if input.dim() != 2:
        loss = loss.reshape(())
    return _as_node(_reduce(loss, reduction), "MultilabelMarginLossBackward0")


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d any distance (pairwise_distance by default);
    swap: d(a, n) becomes min(d(a, n), d(p, n))."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    da, dp, dn = anchor.dim(), positive.dim(), negative.dim()
    if not da == dp == dn:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {da}D, positive {dp}D, and negative {dn}D inputs")
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = ops.minimum(d_neg, dist(positive, negative))
    return _reduce(ops.clamp_min(margin + d_pos - d_neg, 0), reduction)
