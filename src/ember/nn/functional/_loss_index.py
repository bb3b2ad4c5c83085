"""Class-index losses of ``ember.nn.functional`` (nll_loss, cross_entropy, with class
probabilities as targets too): PyTorch's argument and target checks, then one fused primitive
each (``ember/nn/_index_ops.py``). Shared argument helpers: ``_loss.py``."""

from __future__ import annotations

import numpy as np

from ...autograd._inference import refuse_saved_index
from ...ops._util import promote
from ...tensor import Tensor
from .. import _index_ops as X
from ._loss import _check_tensor, _const, _name, _no_grad_weight, _reduction


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

