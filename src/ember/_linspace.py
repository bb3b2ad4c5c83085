"""``linspace`` and ``logspace`` with PyTorch's values (each half counted from its own end,
so both ends are exact) and its argument checks."""

from __future__ import annotations

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


def linspace(start, end, steps=None, *, out=None, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    _check_device(device)
    if type(steps) is not int:
        _check_steps("linspace", start, end, steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    _check_0d("linspace", start, end)
    arr = _linspace_values(_num(start), _num(end), int(steps), _float_dtype(dtype))
    return _leaf(arr, requires_grad)


def logspace(start, end, steps=None, base=10.0, *, out=None, dtype=None, device=None,
             requires_grad=False):
    _check_device(device)
    if type(steps) is not int:
        _check_steps("logspace", start, end, steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    _check_0d("logspace", start, end)
    exps = _linspace_values(_num(start), _num(end), int(steps), np.dtype(np.float64))
    return _leaf(np.power(float(base), exps).astype(_float_dtype(dtype)), requires_grad)
