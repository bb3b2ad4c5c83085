"""Top-level type helpers (result_type, promote_types, can_cast, is_signed, ...), small
creation functions (scalar_tensor, empty_strided, the deprecated range, fill), window
functions, and the top-level spellings of in-place methods (``torch.relu_(t)`` is
``t.relu_()``). Loaded on first use (``ember.__getattr__``).
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from .._rg_arg import rg_bool, rg_overloads
from .._typename import arg_type_name
from .. import dtypes as D
from ..autograd._inference import is_inference as _is_inference
from ..tensor import Tensor
from ._util import as_scalar, is_scalar


def _const(a, requires_grad: bool = False) -> Tensor:
    return Tensor._make(np.asarray(a), requires_grad, None)


def _arg(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data if isinstance(x._data, np.ndarray) else np.asarray(x._data)
    return None


def result_type(tensor, other) -> D.dtype:
    """The dtype PyTorch's promotion gives ``tensor op other`` (numbers are weak)."""
    a, b = _arg(tensor), _arg(other)
    if a is None and b is None:
        if not (is_scalar(tensor) and is_scalar(other)):
            raise TypeError("result_type() received an invalid combination of arguments - got "
                            f"({type(tensor).__name__}, {type(other).__name__}), but expected "
                            "one of:")
        cat = builtins.max(D.scalar_category(tensor), D.scalar_category(other))
        return (D.bool_, D.int64, D.get_default_dtype())[cat]
    if a is not None and b is not None:
        return D.from_numpy_dtype(D.result_type(a, b))
    arr, num = (a, other) if a is not None else (b, tensor)
    if not is_scalar(num):
        raise TypeError("result_type() received an invalid combination of arguments - got "
                        f"({type(tensor).__name__}, {type(other).__name__}), but expected "
                        "one of:")
    return D.from_numpy_dtype(D.scalar_result_type(arr, as_scalar(num)))


def promote_types(type1, type2) -> D.dtype:
    """The smallest dtype both promote to (tensor-tensor promotion, both with dimensions)."""
    t1, t2 = D.to_dtype(type1), D.to_dtype(type2)
    one = np.empty(1, D.to_np(t1))
    return D.from_numpy_dtype(D.result_type(one, np.empty(1, D.to_np(t2))))


def can_cast(from_, to) -> bool:
    """PyTorch's casting rule: no cast to a lower category (float -> int, int -> bool)."""
    f, t = D.to_dtype(from_), D.to_dtype(to)
    return D.category(D.to_np(f)) <= D.category(D.to_np(t))


def _need_tensor(fn: str, x, name: str = "input", pos: int = 1) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{arg_type_name(x)}")


def is_complex(input: Tensor) -> bool:
    _need_tensor("is_complex", input)
    return False  # ember has no complex dtypes


def is_signed(input: Tensor) -> bool:
    _need_tensor("is_signed", input)
    return input.dtype.is_signed


def is_nonzero(input: Tensor) -> bool:
    """The truth value of a one-element tensor (PyTorch's errors for any other size)."""
    _need_tensor("is_nonzero", input)
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(np.asarray(input._data).reshape(()) != 0)


def is_same_size(input: Tensor, other: Tensor) -> bool:
    _need_tensor("is_same_size", input)
    _need_tensor("is_same_size", other, "other", 2)
    return tuple(input.shape) == tuple(other.shape)


def is_inference(input: Tensor) -> bool:
    """Whether ``input`` was made inside ``inference_mode`` (or is a view of such a tensor)."""
    _need_tensor("is_inference", input)
    return _is_inference(input)


def typename(obj) -> str:
    from ..nn.modules.module import _typename

    return _typename(obj)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=False,
                  requires_grad: bool = False) -> Tensor:
    """A 0-d tensor of the number s, in the default float dtype unless dtype says otherwise."""
    if type(requires_grad) is not bool:
        requires_grad = rg_bool("scalar_tensor", requires_grad)
    if isinstance(s, Tensor):
        s = s.item()
    np_dtype = D._Defaults.float_np if dtype is None else D.to_np(dtype)
    return _const(np.asarray(s, np_dtype), requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor viewing its own buffer with the given element strides."""
    from .._new_factories import check_strided

    check_strided(size, stride, "empty_strided")
    if type(requires_grad) is not bool:
        requires_grad = rg_bool("empty_strided", requires_grad)
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality "
                           f"of strides ({len(stride)})")
    np_dtype = D._Defaults.float_np if dtype is None else D.to_np(dtype)
    if 0 in size:
        return _const(np.empty(size, np_dtype), requires_grad)
    extent = 1 + builtins.sum((n - 1) * st for n, st in zip(size, stride))
    buf = np.empty(extent, np_dtype)
    view = np.lib.stride_tricks.as_strided(buf, size, [st * buf.itemsize for st in stride])
    return _const(view, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, layout=None,  # noqa: A001
          device=None, requires_grad: bool = False) -> Tensor:
    """Deprecated: start..end inclusive, in the default float dtype."""
    if type(requires_grad) is not bool:  # (the parser's error: before the warning)
        rg_bool("range", requires_grad, False)
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(math.floor((end - start) / step)) + 1
    np_dtype = D._Defaults.float_np if dtype is None else D.to_np(dtype)
    return _const((start + np.arange(n, dtype=np.float64) * step).astype(np_dtype),
                  requires_grad)


def fill(input: Tensor, value) -> Tensor:
    """A new tensor like input, every element ``value`` (a number or a 0-d tensor, which then
    receives the gradient)."""
    return input.clone().fill_(value)


def _window_args(fn: str, window_length: int, dtype) -> np.dtype:
    if window_length < 0:
        raise RuntimeError(f"{fn} requires non-negative window_length, got "
                           f"window_length={window_length}")
    np_dtype = D._Defaults.float_np if dtype is None else D.to_np(dtype)
    if np_dtype.kind != "f":
        from .indexing import _C_NAMES

        raise RuntimeError(f"{fn} expects floating point dtypes, got: TensorOptions(dtype="
                           f"{_C_NAMES.get(np_dtype.name, np_dtype.name)}, device=cpu, "
                           "layout=Strided (default), requires_grad=false (default), "
                           "pinned_memory=false, memory_format=(nullopt))")
    return np_dtype


def _window(fn: str, window_length: int, periodic: bool, dtype, requires_grad, shape):
    """Evaluate shape(n) on a symmetric window of n points, n = length (+1 if periodic, the
    extra point then dropped)."""
    if type(requires_grad) is not bool:  # (the parser's words, from hann_window's own frame)
        import sys

        requires_grad = rg_overloads(fn, requires_grad, frame=sys._getframe(1))
    np_dtype = _window_args(fn, window_length, dtype)
    if window_length <= 1:
        return _const(np.ones(window_length, np_dtype), requires_grad)
    n = window_length + 1 if periodic else window_length
    w = shape(n)[:window_length]
    return _const(w.astype(np_dtype), requires_grad)


def _cosine_sum(coefs):
    def shape(n):
        k = 2 * np.pi * np.arange(n) / (n - 1)
        return builtins.sum(c * (-1) ** i * np.cos(i * k) for i, c in enumerate(coefs))
    return shape


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                device=None, requires_grad: bool = False) -> Tensor:
    return _window("hann_window", window_length, periodic, dtype, requires_grad,
                   _cosine_sum((0.5, 0.5)))


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype=None, layout=None, device=None,
                   requires_grad: bool = False) -> Tensor:
    return _window("hamming_window", window_length, periodic, dtype, requires_grad,
                   _cosine_sum((alpha, beta)))


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    return _window("blackman_window", window_length, periodic, dtype, requires_grad,
                   _cosine_sum((0.42, 0.5, 0.08)))


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad,
                   lambda n: 1 - np.abs(2 * np.arange(n) / (n - 1) - 1))


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    def shape(n):
        r = 2 * np.arange(n) / (n - 1) - 1
        return np.i0(beta * np.sqrt(np.clip(1 - r * r, 0, None))) / np.i0(beta)
    return _window("kaiser_window", window_length, periodic, dtype, requires_grad, shape)


# torch.<name>_(t, ...) is t.<name>_(...) for these in-place methods
INPLACE = ("abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_",
           "arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_",
           "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "detach_", "erf_",
           "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_", "gcd_",
           "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_", "neg_",
           "negative_", "rad2deg_", "reciprocal_", "relu_", "round_", "rsqrt_", "sigmoid_",
           "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_",
           "zero_")


def _inplace_alias(name: str):
    def fn(input: Tensor, *args, **kwargs) -> Tensor:
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torch.{name}(t, ...)``: the same as ``t.{name}(...)``."
    return fn


globals().update({_n: _inplace_alias(_n) for _n in INPLACE})


def i0_(input: Tensor) -> Tensor:
    from .misc_prims import i0

    input._check_inplace()
    return input._write(i0(input._graph_input()))
