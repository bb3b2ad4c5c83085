"""Loss functions of ``ember.nn.functional``: argument checks with PyTorch's messages, then
one fused primitive each (``ember/nn/_loss_ops.py``). The class-index losses (nll_loss,
cross_entropy) are in ``_loss_index.py``."""

from __future__ import annotations

import warnings

import numpy as np

from ..._typename import arg_type_name
from ...autograd.grad_mode import STATE
from ...ops._util import check_broadcast, promote
from ...ops.arithmetic import type_name
from ...tensor import Tensor
from .. import _loss_ops as L
from ..parameter import Parameter

_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}


def _name(t: Tensor) -> str:
    return _TORCH_NAMES.get(t._data.dtype.name, t._data.dtype.name)


def _legacy_reduction(size_average, reduce) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _reduction(reduction: str, size_average=None, reduce=None) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction not in ("mean", "sum", "none"):
        if reduction == "elementwise_mean":  # PyTorch's old name for 'mean', still taken
            warnings.warn("reduction='elementwise_mean' is deprecated. Please use "
                          "reduction='mean' instead.", stacklevel=3)
            return "mean"
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _check_tensor(fn: str, name: str, pos: int, value) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{arg_type_name(value)}")


def _no_grad_weight(fn: str, arg: str, w) -> None:
    if w is not None and w._rg and STATE.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to "
                           f"argument '{arg}'. This input cannot have requires_grad True.")


def _const(w: Tensor | None, dtype) -> np.ndarray | None:
    return None if w is None else np.asarray(w._data, dtype=dtype)


def _size_warning(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        from ..._warn import warn  # at the user's line, whichever loss called this

        warn(f"Using a target size ({target.size()}) that is different to the input "
             f"size ({input.size()}). This will likely lead to incorrect results due "
             "to broadcasting. Please ensure they have the same size.")


# ---- regression losses -----------------------------------------------------------------
def _pointwise(cls, name: str, input, target, reduction, param, weight=None):
    if weight is None and type(target) is Tensor and type(input) in (Tensor, Parameter):
        xd, yd = input._data, target._data
        if xd.shape == yd.shape and xd.dtype == yd.dtype and xd.dtype.kind == "f":
            return cls.apply(input, target, reduction, param)  # the common case, checked
    for value in (target, input):  # PyTorch's first step: target.size() != input.size()
        if not isinstance(value, Tensor):
            raise AttributeError(f"'{type(value).__name__}' object has no attribute 'size'")
    _size_warning(input, target)
    x, y = promote(input, target)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{name.replace('_loss', '')}_cpu\" not implemented for "
                                  f"'{_name(x)}'")
    check_broadcast(x._data.shape, y._data.shape)
    if weight is None:
        return cls.apply(x, y, reduction, param)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = cls.apply(x, y, "none", param) * weight
    if reduction == "none":
        return loss
    if reduction == "sum" or name == "huber_loss":
        return loss.sum() if reduction == "sum" else loss.mean()
    return loss.sum() / weight.sum()


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(x - y)^2, reduced."""
    reduction = _reduction(reduction, size_average, reduce)
    return _pointwise(L.MseLoss, "mse_loss", input, target, reduction, None, weight)


_L1 = {"mean": L.L1LossMean, "sum": L.L1LossSum, "none": L.L1LossNone}


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|x - y|, reduced."""
    reduction = _reduction(reduction, size_average, reduce)
    if isinstance(input, Tensor) and isinstance(target, Tensor) and weight is None:
        kinds = (input._data.dtype.kind, target._data.dtype.kind)
        if "f" not in kinds or "b" in kinds:
            return _integer_l1(input, target, reduction)
    return _pointwise(_L1[reduction], "l1_loss", input, target, reduction, None, weight)


def _integer_l1(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    """l1_loss of integer (or bool) tensors as PyTorch's composite (x - y).abs() computes it:
    bools cannot be subtracted, and an integer mean has no dtype."""
    diff = (input - target).abs()  # (raises PyTorch's bool-subtraction error)
    if reduction == "mean":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {type_name(diff._data.dtype)}")
    return diff.sum() if reduction == "sum" else diff


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Squared below ``beta`` (scaled by 1/(2 beta)), absolute above."""
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:  # exactly the L1 loss (and recorded as it, as in PyTorch)
        return _pointwise(_L1[reduction], "smooth_l1_loss", input, target, reduction, None)
    return _pointwise(L.SmoothL1Loss, "smooth_l1_loss", input, target, reduction, float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Squared below ``delta``, delta * (|d| - delta/2) above."""
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    loss = _pointwise(L.HuberLoss, "huber_loss", input, target, reduction, float(delta),
                      weight)
    return _in_dtype_of(loss, input)


def _in_dtype_of(result: Tensor, like: Tensor) -> Tensor:
    """PyTorch computes some losses into an output of ``like``'s dtype: the promoted result
    is cast there, and a float result cannot go into an integer or bool output."""
    want, got = like._data.dtype, result._data.dtype
    if want == got:
        return result
    if want.kind != "f":
        raise RuntimeError(f"result type {type_name(got)} can't be cast to the desired output "
                           f"type {type_name(want)}")
    return result.to(want)


# ---- binary cross-entropy --------------------------------------------------------------
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-(y log x + (1 - y) log(1 - x)) for probabilities x, logs clamped at -100."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the "
                         f"input size ({input.size()}) is deprecated. Please ensure they have "
                         "the same size.")
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {_name(target)} but expected {_name(input)}")
    _no_grad_weight("binary_cross_entropy", "weight", weight)
    x = input._data
    t = target._data  # PyTorch checks the target first (a NaN fails either check)
    if not np.all((t >= 0) & (t <= 1)):
        raise RuntimeError("all elements of target should be between 0 and 1\nHint: BCELoss "
                           "targets are probabilities: 0/1 labels or soft labels in [0, 1].")
    if not np.all((x >= 0) & (x <= 1)):
        raise RuntimeError("all elements of input should be between 0 and 1\nHint: BCELoss "
                           "takes probabilities: apply torch.sigmoid to the output first, or "
                           "use BCEWithLogitsLoss on the raw scores (more stable).")
    w = _const(weight, x.dtype)
    if w is not None:
        from ...ops.shape_more import broadcast_shapes  # PyTorch's _infer_size message

        shape = tuple(broadcast_shapes(target.shape, weight.shape))
        if shape != x.shape:  # the kernel writes into input's shape (TensorIterator's check)
            raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}")
        w = np.broadcast_to(w, shape)
    return L.BinaryCrossEntropy.apply(input, target, w, reduction)


def _float_target(input: Tensor, target: Tensor) -> None:
    """PyTorch computes into the target's dtype: an integer or bool target fails there."""
    kind = target._data.dtype.kind
    if kind not in "iub":
        return
    hint = ("\nHint: targets for BCEWithLogitsLoss are probabilities: pass target.float() "
            "(class indices belong to cross_entropy).")
    if kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead." + hint)
    raise RuntimeError(f"result type {type_name(input._data.dtype)} can't be cast to the "
                       f"desired output type {type_name(target._data.dtype)}" + hint)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable formula (logits x)."""
    try:
        input._data, target._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=input, target=target) from None
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{_name(input)}'")
    _float_target(input, target)
    fn = "binary_cross_entropy_with_logits"
    _no_grad_weight(fn, "weight", weight)
    _no_grad_weight(fn, "pos_weight", pos_weight)
    if pos_weight is not None:  # PyTorch multiplies pos_weight by the target first
        check_broadcast(pos_weight._data.shape, target._data.shape)
    x, y = promote(input, target)
    dt = x._data.dtype
    loss = L.BCEWithLogits.apply(x, y, _const(weight, dt), _const(pos_weight, dt), reduction)
    return _in_dtype_of(loss, target)  # PyTorch's formula builds on the target in place
