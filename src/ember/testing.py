"""ember.testing: PyTorch's ``torch.testing`` (assert_close, make_tensor, and the deprecated
assert_allclose), with its default tolerances and the first lines of its failure messages."""

from __future__ import annotations

import collections.abc as _abc
import math
import warnings

import numpy as np

from . import dtypes as _dt
from .tensor import Tensor

__all__ = ["assert_close", "make_tensor", "assert_allclose"]

# (rtol, atol) by dtype, as PyTorch; dtypes not listed (integers, bool) compare exactly.
_TOLS = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
         np.dtype(np.float64): (1e-7, 1e-7)}


class _Mismatch(AssertionError):
    pass


def _tols(dtypes, rtol, atol) -> tuple:
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {missing}.")
    if rtol is not None:
        return rtol, atol
    pairs = [_TOLS.get(np.dtype(d), (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _is_tensor_like(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray))


def _array(x) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, Tensor) else x)


def _check_attrs(actual, expected, check_dtype, check_stride) -> None:
    def fail(attr, a, e):
        raise _Mismatch(f"The values for attribute '{attr}' do not match: {a} != {e}.")

    ta, te = (x if isinstance(x, Tensor) else Tensor._make(np.asarray(x), False, None)
              for x in (actual, expected))
    if ta.shape != te.shape:
        fail("shape", ta.shape, te.shape)
    if check_dtype and ta.dtype != te.dtype:
        fail("dtype", ta.dtype, te.dtype)
    if check_stride and ta.stride() != te.stride():
        fail("stride()", ta.stride(), te.stride())


def _py(v):
    """A NumPy scalar as Python prints it in PyTorch's messages (int or float)."""
    return v.item() if hasattr(v, "item") else v


def _close_mask(a, e, rtol, atol, equal_nan) -> np.ndarray:
    if a.dtype.kind not in "fc":
        return a == e
    with np.errstate(invalid="ignore", over="ignore"):
        ok = (a == e) | np.isfinite(e) & (np.abs(a - e) <= atol + rtol * np.abs(e))
    if equal_nan:
        ok |= np.isnan(a) & np.isnan(e)
    return ok


def _diffs(a, e):
    """|a - e| and |a - e| / |e| in the common dtype (bools as integers)."""
    if a.dtype == np.bool_:
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(all="ignore"):
        if a.dtype.kind in "ui":  # relative differences in the default float dtype
            diff = np.abs(a.astype(np.int64) - e.astype(np.int64))
            f = _dt.get_default_dtype().np
            return diff, diff.astype(f) / np.abs(e).astype(f)
        diff = np.abs(a - e)
        return diff, diff / np.abs(e)


def _compare_arrays(a, e, rtol, atol, equal_nan, scalar: bool) -> None:
    common = _dt.result_type(a, e)
    a, e = a.astype(common, copy=False), e.astype(common, copy=False)
    ok = _close_mask(a, e, rtol, atol, equal_nan)
    if bool(np.all(ok)):
        return
    exact = rtol == 0 and atol == 0
    word = "equal" if exact else "close"
    diff, rel = _diffs(a, e)
    tol_a = "" if exact else f" (up to {atol} allowed)"
    tol_r = "" if exact else f" (up to {rtol} allowed)"
    if scalar:
        raise _Mismatch(f"Scalars are not {word}!\n\nExpected {_py(e.reshape(()))} but got "
                        f"{_py(a.reshape(()))}.\nAbsolute difference: {_py(diff.reshape(()))}"
                        f"{tol_a}\nRelative difference: {_py(rel.reshape(()))}{tol_r}")
    bad = ~ok.reshape(-1)
    diff, rel = np.where(bad, diff.reshape(-1), 0), np.where(bad, rel.reshape(-1), 0)
    i, j = int(np.argmax(diff)), int(np.argmax(rel))  # argmax stops at the first nan
    idx_i, idx_j = (tuple(int(k) for k in np.unravel_index(n, a.shape)) for n in (i, j))
    n_bad, total = int(bad.sum()), bad.size
    raise _Mismatch(f"Tensor-likes are not {word}!\n\nMismatched elements: {n_bad} / {total} "
                    f"({100 * n_bad / total:.1f}%)\nGreatest absolute difference: "
                    f"{_py(diff[i])} at index {idx_i}{tol_a}\nGreatest relative difference: "
                    f"{_py(rel[j])} at index {idx_j}{tol_r}")


def _compare_scalars(actual, expected, rtol, atol, equal_nan, check_dtype) -> None:
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    arrs = [np.asarray(v, np.float64 if isinstance(v, float) else None)
            for v in (actual, expected)]
    rtol, atol = _tols([arr.dtype for arr in arrs], rtol, atol)
    _compare_arrays(arrs[0], arrs[1], rtol, atol, equal_nan, scalar=True)


def _compare(actual, expected, path, opts) -> None:
    try:
        _compare_here(actual, expected, path, opts)
    except _Mismatch as err:
        if not path or getattr(err, "located", False):
            raise
        where = "".join(f"[{k!r}]" for k in path)
        located = _Mismatch(f"{err}\n\nThe failure occurred for item {where}")
        located.located = True
        raise located from None


def _compare_here(actual, expected, path, opts) -> None:
    rtol, atol, equal_nan, check_dtype, check_stride = opts
    if _is_tensor_like(actual) and _is_tensor_like(expected):
        _check_attrs(actual, expected, check_dtype, check_stride)
        a, e = _array(actual), _array(expected)
        r, t = _tols([a.dtype, e.dtype], rtol, atol)
        if a.ndim == 0:  # 0-d: compared as Python numbers (differences in float64)
            a, e = np.asarray(a.item()), np.asarray(e.item())
        _compare_arrays(a, e, r, t, equal_nan, scalar=a.ndim == 0)
    elif _scalar(actual) and _scalar(expected):
        _compare_scalars(actual, expected, rtol, atol, equal_nan, check_dtype)
    elif actual is None and expected is None:
        return
    elif _seq(actual) and _seq(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}")
        for k, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + [k], opts)
    elif isinstance(actual, _abc.Mapping) and isinstance(expected, _abc.Mapping):
        _compare_mappings(actual, expected, path, opts)
    else:
        raise TypeError(f"No comparison pair was able to handle inputs of type "
                        f"{_type_str(actual)} and {_type_str(expected)}.")


def _type_str(x) -> str:
    return "<class 'torch.Tensor'>" if isinstance(x, Tensor) else str(type(x))


def _scalar(x) -> bool:
    return isinstance(x, (int, float, complex, np.number, np.bool_))


def _seq(x) -> bool:
    return isinstance(x, _abc.Sequence) and not isinstance(x, (str, bytes))


def _compare_mappings(actual, expected, path, opts) -> None:
    ka, ke = set(actual), set(expected)
    if ka != ke:
        missing, extra = sorted(ke - ka, key=repr), sorted(ka - ke, key=repr)
        lines = ["The keys of the mappings do not match:"]
        if missing:
            lines.append(f"Missing keys in the actual mapping: {missing}")
        if extra:
            lines.append(f"Additional keys in the actual mapping: {extra}")
        raise _Mismatch("\n".join(lines))
    for k in expected:
        _compare(actual[k], expected[k], path + [k], opts)


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close: for each element,
    |actual - expected| <= atol + rtol * |expected| (defaults by dtype, as PyTorch). Works on
    ember tensors, NumPy arrays, numbers, and nested sequences and mappings of them."""
    opts = (rtol, atol, equal_nan, check_dtype, check_stride)
    try:
        _compare(actual, expected, [], opts)
    except _Mismatch as err:
        text = str(err)
        if msg is not None:
            text = msg(text) if callable(msg) else msg
        raise AssertionError(text) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan: bool = True,
                    msg: str = "") -> None:
    """Deprecated in PyTorch since 1.12 (a FutureWarning); assert_close without the dtype
    check, nan equal to nan by default."""
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be "
                  "removed in a future release. Please use `torch.testing.assert_close()` "
                  "instead. You can find detailed upgrade instructions in "
                  "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning,
                  stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = Tensor._make(np.asarray(actual), False, None)
    if not isinstance(expected, Tensor):
        expected = Tensor._make(np.asarray(expected, actual._data.dtype), False, None)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_dtype=False, msg=msg or None)


def _shape_of(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], _abc.Sequence):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def _bounds(dtype, low, high, lowest, above, default) -> tuple:
    """[low, high) after PyTorch's checks, clamped to what the dtype holds."""
    low = default[0] if low is None else low
    high = default[1] if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype.is_floating_point:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                      "complex types is deprecated since 2.1 and will be removed in 2.3. Use "
                      "`torch.full(...)` instead.", FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= above:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, "
                         f"{high}), but {dtype} only supports [{lowest}, {above})")
    low, high = min(max(low, lowest), above), min(max(high, lowest), above)
    if not dtype.is_floating_point:  # integer draws: [ceil(low), ceil(high))
        return math.ceil(low), math.ceil(high)
    return low, high


def _draw(dtype, shape, low, high) -> np.ndarray:
    from .random import _rng

    rng, np_dt = _rng(None), _dt.to_np(dtype)
    if np_dt.kind == "b":
        low, high = _bounds(dtype, low, high, 0, 2, (0, 2))
        return rng.integers(low, high, size=shape).astype(np.bool_)
    if np_dt.kind in "iu":
        info = np.iinfo(np_dt)
        above = info.max + (np_dt != np.int64)
        low, high = _bounds(dtype, low, high, info.min, above, (-9, 10))
        return rng.integers(low, high, size=shape).astype(np_dt)
    info = np.finfo(np_dt)
    low, high = _bounds(dtype, low, high, float(info.min), float(info.max), (-9, 9))
    # PyTorch's uniform_ on the global generator (so a seeded gradgradcheck, which draws its
    # grad_outputs here, leaves the stream where PyTorch does); halved past finfo.max
    from .random import uniform_array

    if high - low >= float(info.max):
        return uniform_array(shape, low / 2, high / 2, np_dt) * np_dt.type(2)
    return uniform_array(shape, low, high, np_dt)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """A tensor of ``shape`` drawn from ember's generator, with PyTorch's ranges: floats
    uniform in [low, high) (default [-9, 9)), integers in [low, high) (default [-9, 10),
    clamped to the dtype), random bools. ``exclude_zero`` replaces zeros by 1 (the dtype's
    smallest normal float for floats); ``noncontiguous`` keeps every other element of a
    tensor twice as wide in the last dimension (when it has more than one element)."""
    dtype = _dt.to_dtype(dtype)
    shape = _shape_of(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous} and "
                         f"memory_format={memory_format}")
    if requires_grad and not dtype.is_floating_point:
        raise ValueError("`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    wide = shape[:-1] + (2 * shape[-1],) if noncontiguous else shape
    data = _draw(dtype, wide, low, high)
    if exclude_zero:
        kind = data.dtype.kind
        data[data == 0] = np.finfo(data.dtype).tiny if kind == "f" else 1
    t = Tensor._make(data, False, None)
    if noncontiguous:
        t = t[..., 1::2]
    if requires_grad is not False:  # (PyTorch sets the attribute: its check of a bool)
        t.requires_grad = requires_grad
    return t
