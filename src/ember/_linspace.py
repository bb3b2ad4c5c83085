"""``linspace`` and ``logspace`` with PyTorch's values (each half counted from its own end,
so both ends are exact) and its argument checks."""

from __future__ import annotations

import math

import numpy as np

from ._torch_rng import fma64 as _fma  # a * b + c rounded once (float64)
from .creation import _check_device, _float_dtype, _leaf, _num
from .tensor import Tensor


def _check_0d(name: str, start, end) -> None:
    """linspace/logspace take Tensor ends only when 0-d (PyTorch names each Tensor end)."""
    ends = [(k, v) for k, v in (("start", start), ("end", end)) if isinstance(v, Tensor)]
    if any(v.dim() for _, v in ends):
        said = " and ".join(f"{k} with {v.dim()} dimension(s)" for k, v in ends)
        raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got "
                           f"{said}.")


def _linspace_values(start, end, steps: int, np_dtype) -> np.ndarray:
    """PyTorch's linspace: the first half counts up from start, the second half down from end
    (so both ends are exact), with the step in the dtype for floats and float64 for ints."""
    if steps <= 1:
        return np.full(steps, start, np_dtype)
    idx = np.arange(steps, dtype=np.float64)
    if np_dtype.kind == "f":
        s, e = np_dtype.type(start), np_dtype.type(end)
        step = (e - s) / np_dtype.type(steps - 1)
    else:
        s, e = float(int(start)), float(int(end))
        step = (e - s) / (steps - 1)
    lo = _fma(step, idx, s)
    hi = _fma(-step, steps - 1 - idx, e)
    return np.where(idx < steps // 2, lo, hi).astype(np_dtype)


def _check_steps(name: str, start, end, steps) -> None:
    """PyTorch's parser rejects a missing or float ``steps`` (linspace(0, 1), n / 2)."""
    if not hasattr(steps, "__index__"):
        got = ", ".join(type(a).__name__ for a in (start, end, steps)[:2 if steps is None else 3])
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:\nHint: steps is the number of points, a whole "
                        "number, e.g. torch.linspace(0, 1, steps=5).")


def _check_ends(start, end, steps: int, np_dtype) -> None:
    """PyTorch converts start (one point: a fill) or both ends (more points) to the dtype with
    its overflow check: -0.5 or 255.5 into uint8, 1e39 into float32, nan into an int are
    refused; a Bool linspace of two or more points has no kernel."""
    if steps < 1 or np_dtype.kind not in "biuf":
        return
    if np_dtype.kind == "b" and steps > 1:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    from .ops.masked import checked_value
    for v in (start, end)[:1 if steps == 1 else 2]:
        checked_value(v, np_dtype)


def linspace(start, end, steps=None, *, out=None, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    if type(requires_grad) is not bool:
        from ._rg_arg import rg_overloads

        requires_grad = rg_overloads("linspace", requires_grad)
    _check_device(device)
    if type(steps) is not int:
        _check_steps("linspace", start, end, steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    _check_0d("linspace", start, end)
    start, end, np_dtype = _num(start), _num(end), _float_dtype(dtype)
    _check_ends(start, end, int(steps), np_dtype)
    arr = _linspace_values(start, end, int(steps), np_dtype)
    return _leaf(arr, requires_grad)


def logspace(start, end, steps=None, base=10.0, *, out=None, dtype=None, device=None,
             requires_grad=False):
    if type(requires_grad) is not bool:
        from ._rg_arg import rg_overloads

        requires_grad = rg_overloads("logspace", requires_grad)
    _check_device(device)
    if type(steps) is not int:
        _check_steps("logspace", start, end, steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    _check_0d("logspace", start, end)
    start, end, steps, np_dtype = _num(start), _num(end), int(steps), _float_dtype(dtype)
    if steps == 1 and np_dtype.kind in "biuf":  # a fill with base ** start, checked
        from .ops.masked import checked_value
        value = _pow(float(base), np.array([start], np.float64))[0]
        return _leaf(checked_value(value, np_dtype).reshape(1), requires_grad)
    if np_dtype.kind == "b" and steps > 1:
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    _check_ends(start, end, steps, np_dtype)
    if np_dtype.kind in "iu" and steps > 1:
        return _leaf(_int_logspace(start, end, steps, float(base), np_dtype), requires_grad)
    return _leaf(_float_logspace(start, end, steps, float(base), np_dtype), requires_grad)


def _pow(base: float, exps: np.ndarray) -> np.ndarray:
    """base ** each exponent with the C library's pow, as PyTorch's kernel calls std::pow
    (NumPy's vectorised power differs from it in the last bit for a few in a hundred)."""
    def one(x):
        try:
            return math.pow(base, x)
        except (OverflowError, ValueError):  # C's pow gives inf or nan here
            with np.errstate(all="ignore"):
                return float(np.power(np.float64(base), np.float64(x)))
    return np.array(list(map(one, exps.tolist())), np.float64)


def _float_logspace(start, end, steps: int, base: float, np_dtype) -> np.ndarray:
    """A floating logspace as PyTorch computes it: both ends first rounded to the dtype, the
    step (end - start, in the dtype) / (steps - 1) in float64, each half of the exponents
    counted from its own end in float64, then base ** exponent (C's pow) rounded to the
    dtype. logspace(1, log2(5), 3, base=2) in float32 so ends in 4.9999995, not 5."""
    if steps == 0:
        return np.empty(0, np_dtype)
    s, e = np_dtype.type(start), np_dtype.type(end)
    with np.errstate(over="ignore", invalid="ignore"):
        step = float(np_dtype.type(e - s)) / (steps - 1)
    idx = np.arange(steps, dtype=np.float64)
    exps = np.where(idx < steps // 2, float(s) + step * idx, float(e) - step * (steps - 1 - idx))
    with np.errstate(over="ignore", invalid="ignore"):
        return _pow(base, exps).astype(np_dtype)


def _int_logspace(start, end, steps: int, base: float, np_dtype) -> np.ndarray:
    """An integer logspace: PyTorch first converts both ends to the dtype (2.5 is 2, -1 is 255
    in uint8), then steps between them in float64 (each half from its own end) and truncates
    base ** exponent into the dtype."""
    from .ops.masked import checked_value
    s, e = (float(checked_value(v, np_dtype)) for v in (start, end))
    step = (e - s) / (steps - 1)
    idx = np.arange(steps, dtype=np.float64)
    exps = np.where(idx < steps // 2, s + step * idx, e - step * (steps - 1 - idx))
    with np.errstate(over="ignore", invalid="ignore"):
        return _pow(base, exps).astype(np_dtype)
