"""Weight initialisation (``torch.nn.init``): in place, outside autograd, returning the tensor.

Random draws come from ember's default generator (or ``generator``), so ``ember.manual_seed``
makes them repeatable; the streams differ from PyTorch's, the distributions do not.
"""

from __future__ import annotations

import functools
import math
import numbers
import threading
import warnings

import numpy as np

from .._rng_layout import place
from .._torch_rng import _normal_small
from ..random import _gen, normal_array, randperm, uniform_array
from ..tensor import Tensor

# ``nn.utils.skip_init`` builds a module with every fill below turned into a no-op (PyTorch
# builds it on the meta device, where fills do nothing and draw no random numbers).
_SKIP = threading.local()


# The attributes PyTorch's fills read on their argument, in order: handed ``None`` (a layer
# built with bias=False, in a CleanRL-style ``layer_init``) or a NumPy array, reading them
# raises Python's own AttributeError, naming the first one missing as PyTorch's does.
_READS = {"uniform_": ("uniform_",), "normal_": ("normal_",), "trunc_normal_": ("is_meta",),
          "constant_": ("fill_",), "ones_": ("fill_",), "zeros_": ("zero_",),
          "xavier_uniform_": ("dim",), "xavier_normal_": ("dim",),
          "kaiming_uniform_": ("shape", "dim"), "kaiming_normal_": ("shape", "dim")}


def _skippable(fill):
    reads = _READS.get(fill.__name__, ("ndimension",))

    @functools.wraps(fill)
    def run(tensor, *args, **kwargs):
        if getattr(_SKIP, "on", False):
            return tensor
        if not isinstance(tensor, Tensor):
            for attr in reads:
                getattr(tensor, attr)
        return fill(tensor, *args, **kwargs)
    return run

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
               "conv_transpose2d", "conv_transpose3d")


def _write(tensor: Tensor, values) -> Tensor:
    """Store ``values`` into the tensor's own storage (a no_grad in-place write)."""
    arr = tensor._ensure_array()
    arr[...] = values
    tensor._bump()
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale of weights feeding ``nonlinearity`` (tanh 5/3, relu sqrt 2, ...)."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


@_skippable
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from U(a, b)."""
    vals = uniform_array((tensor._data.size,), a, b, _dtype(tensor, "check_uniform_bounds"),
                         generator)
    return _write(tensor, place(vals, tensor._data))  # in memory order, as Tensor.uniform_


@_skippable
def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from N(mean, std^2)."""
    if not std >= 0:  # Tensor.normal_'s check, before any draw
        raise RuntimeError(f"normal expects std >= 0.0, but found std {float(std):g}")
    if not tensor._data.flags.c_contiguous:  # Tensor.normal_: scalar draws, memory order
        gen = _gen(generator)
        vals = _normal_small(gen, gen.bits, tensor._data.size, mean, std).astype(_dtype(tensor))
        return _write(tensor, place(vals, tensor._data))
    return _write(tensor, normal_array(tensor.shape, mean, std, _dtype(tensor), generator))


def _dtype(tensor: Tensor, kernel: str = "normal_kernel_cpu"):
    """The dtype PyTorch draws in: the tensor's own. Integer and bool tensors have no
    continuous-draw kernel, so PyTorch refuses them, naming the kernel (as Tensor.normal_)."""
    dt = tensor._data.dtype
    if dt.kind != "f":
        from ..ops.arithmetic import type_name
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{type_name(dt)}'")
    return dt


@_skippable
def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """N(mean, std^2) restricted to [a, b], sampled as PyTorch 2.13 does (the same draws).

    When [a, b] holds more than 30% of the mass: normal draws, with every value outside
    [a, b] replaced from a fresh full-size draw until none is. Otherwise rejection from
    U(a, b) against the normal density relative to its peak on [a, b]: a candidate is kept
    when log(U(0, 1)) <= its log density; rejected ones are redrawn (full-size draws)."""
    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=3)
    wide = cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3
    dt = _dtype(tensor, "normal_kernel_cpu" if wide else "check_uniform_bounds")
    shape = tensor.shape
    if wide:
        lo, hi = dt.type(a), dt.type(b)
        result = normal_array(shape, mean, std, dt, generator)
        while True:
            outside = (result < lo) | (result > hi)
            if not outside.any():
                return _write(tensor, result)
            result = np.where(outside, normal_array(shape, mean, std, dt, generator), result)
    mode = max(a, min(mean, b))
    log_peak = dt.type(-0.5 * ((mode - mean) / std) ** 2)

    def log_density(x: np.ndarray) -> np.ndarray:  # -0.5 ((x - mean) / std)^2 - log_peak
        z = (x - dt.type(mean)) / dt.type(std)
        return z * z * dt.type(-0.5) - log_peak

    def rejected(x: np.ndarray) -> np.ndarray:
        return np.log(uniform_array(shape, 0.0, 1.0, dt, generator)) > log_density(x)

    result = uniform_array(shape, a, b, dt, generator)
    pending = rejected(result)
    while pending.any():
        candidates = uniform_array(shape, a, b, dt, generator)
        result = np.where(pending, candidates, result)
        pending = np.where(pending, rejected(candidates), pending)
    return _write(tensor, result)


def _number(val, fn: str, position: str):
    """``val`` as a number, refused as PyTorch's Tensor.fill_ / mul_ refuse it (a 1-element
    tensor is a number; ``None``, strings and lists are not, and would otherwise become nan
    or a NumPy error)."""
    if isinstance(val, Tensor):
        if val._data.ndim and fn == "fill_":
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {val._data.ndim} dimensions.")
        return val.item()
    if isinstance(val, (numbers.Number, np.bool_)):
        return val
    from .._typename import arg_type_name
    if fn == "fill_":
        raise TypeError(f"fill_() received an invalid combination of arguments - got "
                        f"({arg_type_name(val)}), but expected one of:")
    raise TypeError(f"{fn}(): argument 'other' ({position}) must be Tensor, not "
                    f"{arg_type_name(val)}")


@_skippable
def constant_(tensor: Tensor, val: float) -> Tensor:
    return _write(tensor, _number(val, "fill_", ""))


@_skippable
def ones_(tensor: Tensor) -> Tensor:
    return _write(tensor, 1)


@_skippable
def zeros_(tensor: Tensor) -> Tensor:
    return _write(tensor, 0)


@_skippable
def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (2-D tensors only)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor.shape))


@_skippable
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


@_skippable
def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=4)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


@_skippable
def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """U(-b, b), b = gain * sqrt(3 / fan) (He et al., 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


@_skippable
def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """N(0, std^2), std = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


@_skippable
def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a normal one, times gain."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = normal_array((rows, cols), 0.0, 1.0, _dtype(tensor), generator)
    if flat.dtype == np.float16:  # PyTorch's CPU QR has no half kernel (after the draw)
        raise NotImplementedError("\"geqrf_cpu\" not implemented for 'Half'")
    gain = _number(gain, "mul_", "position 1")  # checked where PyTorch multiplies by it
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # makes the decomposition unique (uniform over rotations)
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tensor.shape))


@_skippable
def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The identity of a convolution: zeros, and 1 at the kernel's centre linking output
    channel i to input channel i (within each of ``groups`` groups). 3-, 4- or 5-D."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    shape = tuple(tensor.shape)
    if shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = shape[0] // groups
    values = np.zeros(shape)
    centre = tuple(n // 2 for n in shape[2:])
    for g in range(groups):
        for d in range(min(per_group, shape[1])):
            values[(g * per_group + d, d) + centre] = 1
    return _write(tensor, values)


@_skippable
def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """N(0, std^2) draws with ceil(sparsity * rows) entries of each column set to zero (at
    random rows), as Martens (2010). 2-D only. The rows come from the default generator,
    as in PyTorch (``generator`` draws the values)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    zeros = math.ceil(sparsity * rows)
    values = normal_array((rows, cols), 0.0, std, _dtype(tensor), generator)
    for col in range(cols):
        values[randperm(rows)._data[:zeros], col] = 0
    return _write(tensor, values)


def _deprecated(fill):
    """The old name (no trailing underscore) of ``fill``: warns, then fills."""
    old, new = fill.__name__[:-1], fill.__name__

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new}`.",
                      FutureWarning, stacklevel=2)
        return fill(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = old
    deprecated_init.__doc__ = f"Deprecated: use ``nn.init.{new}``."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
