"""torch.arange: its dtype rules, its errors, and the float kernel's rounding (re-exported by
creation.py)."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes as D
from ._torch_rng import fma64 as _fma  # a * b + c rounded once (float64)
from .creation import _check_device, _leaf, _num
from .tensor import Tensor


def _arange_float(start: float, step: float, n: int, np_dtype) -> np.ndarray:
    """start + i * step as PyTorch's CPU kernel computes it: in float64, in blocks of one
    32-byte vector whose first value is rounded to the dtype (so float32 output matches)."""
    idx = np.arange(n, dtype=np.float64)
    vals = _fma(step, idx, start)
    width = 32 // np_dtype.itemsize
    nvec = n // (2 * width) * 2 * width
    if nvec:
        base = _fma(step, idx[:nvec:width], start).astype(np_dtype).astype(np.float64)
        vals[:nvec] = _fma(np.arange(width)[None, :], step, base[:, None]).reshape(-1)
    return vals.astype(np_dtype)


def _arange_refused(one: bool, given: tuple, kw: dict) -> TypeError:
    """PyTorch's parser error for an arange argument that is no Number: the end alone
    named, else the types given listed (positional, then keywords)."""
    import sys

    from ._typename import arg_type_name as tn
    from .ops._int_args import _ROOT, _call_args, _keywords

    if one:
        return TypeError(f"arange(): argument 'end' (position 1) must be Number, not "
                         f"{tn(given[1])}")
    caller = sys._getframe(2)
    while caller.f_back is not None and caller.f_code.co_filename.startswith(_ROOT):
        caller = caller.f_back  # past the out= wrapper: the user's call
    names = _keywords(caller)
    got = [tn(v) for v in given[:(_call_args(caller) or 3) - len(names)]] + \
        [f"{k}={'torch.dtype' if k == 'dtype' else tn(kw[k])}" for k in names]
    return TypeError(f"arange() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:")


def arange(start, end=None, step=1, *, out=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); int64 unless an argument is a float."""
    if type(requires_grad) is not bool:
        from ._rg_arg import rg_overloads

        requires_grad = rg_overloads("arange", requires_grad)
    _check_device(device)
    one = end is None
    if one:
        start, end = 0, start
    vals = [_num(v) for v in (start, end, step)]
    if dtype is None:
        floating = any(isinstance(v, (float, np.floating)) for v in vals)
        dtype = D._Defaults.float_np if floating else np.int64
    np_dtype = D.to_np(dtype)
    if np_dtype == np.bool_:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    integral = np_dtype.kind in "iu"
    try:
        xs, xe, xst = (int(v) for v in vals) if integral else (float(v) for v in vals)
    except (TypeError, ValueError):  # arange('a'), arange(0, 'a'): the parser's error
        if not all(isinstance(v, (int, float, np.number)) for v in vals):
            raise _arange_refused(one, (start, end, step), locals()) from None
        raise
    if xst == 0:  # PyTorch's words differ when only the integer cast made the step 0
        raise (RuntimeError if vals[2] == 0 else ValueError)("step must be nonzero")
    if not (math.isfinite(xs) and math.isfinite(xe)):
        raise RuntimeError(f"unsupported range: {xs:g} -> {xe:g}")
    if (xst > 0 and xe < xs) or (xst < 0 and xe > xs):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if np_dtype == np.int64:  # PyTorch sizes int64 ranges on the truncated bounds
        n = -(-(xe - xs) // xst)
    else:
        n = math.ceil((float(vals[1]) - float(vals[0])) / float(vals[2]))
    if integral:
        arr = (xs + xst * np.arange(n, dtype=np.int64)).astype(np_dtype)
    else:
        arr = _arange_float(xs, xst, n, np_dtype)
    return _leaf(arr, requires_grad)
