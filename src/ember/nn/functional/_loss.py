"""Loss functions of ``ember.nn.functional``: argument checks with PyTorch's messages, then
one fused primitive each (``ember/nn/_loss_ops.py``)."""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd._inference import refuse_saved_index
from ...autograd.grad_mode import STATE
from ...ops._util import check_broadcast, promote
from ...ops.arithmetic import type_name
from ...tensor import Tensor
from .. import _index_ops as X
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
                        f"{type(value).__name__}")


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


# ---- class-index losses ----------------------------------------------------------------
def _target_shape_hint(x_shape: tuple, t_shape: tuple) -> str:
    if len(t_shape) == 2 and t_shape[1] == 1:
        return (f"\nHint: the target has shape {list(t_shape)}; pass target.squeeze(1) for "
                "one class index per row.")
    return (f"\nHint: targets are class indices of shape [{x_shape[0]}], or class "
            f"probabilities of the input's shape {list(x_shape)}; got {list(t_shape)} (for "
            "one-hot rows of another width, pass target.argmax(1)).")


def _check_index_target(xd: np.ndarray, td: np.ndarray, target: Tensor) -> None:
    nd = xd.ndim
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd == 1:
        if td.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if td.ndim == 1 and td.shape[0] != 1:
            raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                             f"{td.shape[0] if td.ndim else 0}")
    elif td.ndim == 0 or xd.shape[0] != td.shape[0]:
        raise ValueError(f"Expected input batch_size ({xd.shape[0]}) to match target "
                         f"batch_size ({td.shape[0] if td.ndim else 0}).")
    elif nd == 2 and td.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported" +
                           _target_shape_hint(xd.shape, td.shape))
    elif nd == 4 and td.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {td.ndim}")
    elif nd > 2 and td.shape != xd.shape[:1] + xd.shape[2:]:
        if nd == 4:
            raise RuntimeError(f"size mismatch (got input: {list(xd.shape)} , target: "
                               f"{list(td.shape)}")
        raise RuntimeError(f"Expected target size {list(xd.shape[:1] + xd.shape[2:])}, got "
                           f"{list(td.shape)}")
    if td.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_name(target)}"
                           "\nHint: class-index targets must be integers: pass target.long().")


def _index_spec(input: Tensor, target: Tensor, weight, ignore_index: int, reduction: str,
                eps: float, fn: str) -> X.IndexSpec:
    """Validate a class-index target and precompute the per-row arrays the primitive uses."""
    xd, td = input._data, target._data
    if weight is None and xd.ndim == 2 and td.ndim == 1 and td.dtype == np.int64 and \
            0 < td.shape[0] == xd.shape[0] and not 0 <= ignore_index < xd.shape[1]:
        # The common case, checked with one reduction: as unsigned, negative targets (and
        # so ignore_index) are huge, so all are in [0, C) exactly when the max is below C.
        M, C = xd.shape
        if int(td.view(np.uint64).max()) < C:
            spec = X.IndexSpec()
            spec.t, spec.flat, spec.eps = td, X.row_starts(M, C) + td, float(eps)
            spec.valid = spec.wc = spec.w_row = None
            spec.reduction, spec.out_shape, spec.denom = reduction, td.shape, M
            return spec
    _check_index_target(xd, td, target)
    C = xd.shape[0] if xd.ndim == 1 else xd.shape[1]
    dtype = xd.dtype
    if weight is not None and (weight._data.ndim != 1 or weight._data.shape[0] != C):
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if weight is not None and weight._data.dtype != dtype:  # NumPy would just promote
        raise RuntimeError(f"expected scalar type {_name(input)} but found {_name(weight)}")
    _no_grad_weight(fn, "weight", weight)
    t = td.reshape(-1).astype(np.int64, copy=False)
    M = t.shape[0]
    valid = None
    if M:
        lo, hi = int(t.min()), int(t.max())
        if lo <= ignore_index <= hi:
            keep = t != ignore_index
            valid = keep.astype(dtype)
            t = np.where(keep, t, 0)
            lo, hi = int(t.min()), int(t.max())
        if lo < 0 or hi >= C:
            raise IndexError(f"Target {_first_bad(td, C, ignore_index)} is out of bounds.\n"
                             f"Hint: the input has {C} classes, so targets must lie in "
                             f"[0, {C - 1}]: check that labels start at 0 and that the last "
                             "layer has one output per class.")
    spec = X.IndexSpec()
    spec.t, spec.flat, spec.valid, spec.eps = t, np.arange(0, M * C, C) + t, valid, float(eps)
    spec.wc = _const(weight, dtype)
    spec.w_row = valid if spec.wc is None else (
        spec.wc[t] if valid is None else spec.wc[t] * valid)
    spec.reduction, spec.out_shape = reduction, td.shape
    spec.denom = M if spec.w_row is None else spec.w_row.sum()
    return spec


def _first_bad(td: np.ndarray, C: int, ignore_index: int) -> int:
    flat = td.reshape(-1)
    bad = flat[((flat < 0) | (flat >= C)) & (flat != ignore_index)]
    return int(bad[0])


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-x[target] (x holds log-probabilities), weighted and reduced."""
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensor("nll_loss_nd", "input", 1, input)
    _check_tensor("nll_loss_nd", "target", 2, target)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for '{_name(input)}'")
    spec = _index_spec(input, target, weight, ignore_index, reduction, 0.0, "nll_loss_forward")
    if input._rg and target._vc is not None:  # (an inference target)
        refuse_saved_index(target)
    name = X.index_node_name(input._data.ndim, reduction, 0.0)
    cls = X.NllLoss if name == "NllLossBackward0" else X.variant(X.NllLoss, name)
    return cls.apply(input, spec)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax + nll_loss in one primitive; targets are class indices or, when shaped
    like the input, class probabilities."""
    if size_average is None and reduce is None and label_smoothing == 0.0 and \
            reduction in ("mean", "sum") and type(target) is Tensor and isinstance(input, Tensor):
        xd = input._data
        if xd.ndim == 2 and xd.dtype.kind == "f" and target._data.ndim == 1:
            # Class indices with the default options: the checks below would all pass.
            if weight is not None:
                _check_tensor("cross_entropy_loss", "weight", 3, weight)
            spec = _index_spec(input, target, weight, ignore_index, reduction, 0.0,
                               "nll_loss_forward")
            if input._rg and target._vc is not None:  # (an inference target)
                refuse_saved_index(target)
            return X.CrossEntropy.apply(input, spec)
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensor("cross_entropy_loss", "input", 1, input)
    _check_tensor("cross_entropy_loss", "target", 2, target)
    if weight is not None:
        _check_tensor("cross_entropy_loss", "weight", 3, weight)
    if not label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    label_smoothing = max(label_smoothing, 0.0)  # PyTorch smooths only when it is positive
    if input._data.dtype.kind != "f":
        if input._data.shape == target._data.shape and target._data.dtype.kind != "f":
            # (y, y) for (logits, labels): PyTorch reads same shapes as probabilities first
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {_name(target)}")
        raise NotImplementedError("\"log_softmax_lastdim_kernel_impl\" not implemented for "
                                  f"'{_name(input)}'")
    if input._data.shape == target._data.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction,
                                    float(label_smoothing))
    spec = _index_spec(input, target, weight, ignore_index, reduction, label_smoothing,
                       "nll_loss_forward")
    if input._rg and target._vc is not None:  # (an inference target)
        refuse_saved_index(target)
    name = X.index_node_name(input._data.ndim, reduction, spec.eps)
    cls = X.CrossEntropy if name == "NllLossBackward0" else X.variant(X.CrossEntropy, name)
    return cls.apply(input, spec)


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, eps):
    if target._data.dtype.kind != "f":
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {_name(target)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    x, y = promote(input, target)
    if weight is not None:
        C = x._data.shape[0] if x._data.ndim == 1 else x._data.shape[1]
        if weight.numel() != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or "
                               f"no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        wd = weight._data.dtype
        wider = wd.kind == "f" and wd.itemsize > x._data.dtype.itemsize
        weight = weight.to(x.dtype)
    cls = X.CrossEntropyProb if reduction == "mean" else X.CrossEntropyProbSum
    loss = cls.apply(x, y, weight, reduction, eps)
    # PyTorch multiplies by the weight last: a wider float weight widens the result
    return loss.to(wd) if weight is not None and wider else loss

