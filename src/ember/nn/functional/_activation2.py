"""More activations of ``ember.nn.functional``: selu, celu, mish, hard*/soft* variants,
threshold, softmin, glu, prelu, rrelu, and PyTorch's in-place ``name_`` forms.

Integer inputs raise PyTorch's "not implemented for 'Long'" where PyTorch has no integer
kernel; threshold (which has one) keeps the integer dtype.
"""

from __future__ import annotations

import numpy as np

from ...ops.elementwise import _not_for
from ...tensor import Tensor
from .. import _act_ops as A
from .._ops import Elu, variant
from ._activation import (_floating, _inplace, _not_number, _softmax_dim, hardtanh, leaky_relu,
                          softmax)

# PyTorch's SELU constants (Klambauer et al., 2017).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

_Celu = variant(A.ScaledElu, "CeluBackward0")
_Softshrink = variant(A.Shrink, "SoftshrinkBackward0")
# In-place forms: PyTorch records them under another node name (the ELUs', from the result).
_EluInplace = A.inplace_elu(Elu, "EluBackward1")
_SeluInplace = A.inplace_elu(A.ScaledElu, "EluBackward1")
_CeluInplace = A.inplace_elu(A.ScaledElu, "CeluBackward1")
_ThresholdInplace = variant(A.Threshold, "ThresholdBackward1")
_RreluInplace = variant(A.RreluWithNoise, "RreluWithNoiseBackward1")


def _apply(prim, input: Tensor, inplace: bool, *args) -> Tensor:
    """``prim`` on input, written back into input when ``inplace`` (PyTorch's semantics:
    the same tensor returned, its version bumped, its grad_fn the new node)."""
    if not inplace:
        return prim.apply(input, *args)
    return _inplace(input, prim.apply(input._graph_input(), *args))


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha = 1.6733, scale = 1.0507."""
    _floating(input, "elu_cpu")
    prim = _SeluInplace if inplace else A.ScaledElu
    return _apply(prim, input, inplace, _SELU_ALPHA, _SELU_SCALE, 1.0, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):  # a str, list, None: PyTorch's parser error
        raise _not_number(alpha, "alpha", input) from None
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    _floating(input, "elu_cpu")
    prim = _CeluInplace if inplace else _Celu
    # PyTorch's backward takes 1 / alpha with alpha as a float32 (its forward: a double)
    return _apply(prim, input, inplace, float(alpha), 1.0, 1.0 / alpha,
                  1.0 / float(np.float32(alpha)))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    _floating(input, "mish_cpu")
    return _apply(A.Mish, input, inplace)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|) (composed, as PyTorch: its grad_fn is DivBackward0)."""
    return input / (input.abs() + 1)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    _floating(input, "hardsigmoid_cpu")
    return _apply(A.Hardsigmoid, input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    _floating(input, "hardswish_cpu")
    return _apply(A.Hardswish, input, inplace)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """0 where -lambd <= x <= lambd, else x."""
    try:
        lambd = float(lambd)
    except (TypeError, ValueError):  # a str, list, None: PyTorch's parser error
        raise _not_number(lambd, "lambd", input) from None
    _floating(input, "hardshrink_cpu")
    return A.Shrink.apply(input, float(lambd), False)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    try:
        lambd = float(lambd)
    except (TypeError, ValueError):  # a str, list, None: PyTorch's parser error
        raise _not_number(lambd, "lambd", input) from None
    _floating(input, "softshrink_check")
    top = float(np.finfo(input._data.dtype).max)
    if not 0 <= lambd <= top:
        from ...ops.arithmetic import type_name

        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{type_name(input._data.dtype)}, but found {lambd:g}")
    return _Softshrink.apply(input, float(lambd), True)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x) (composed, as PyTorch: SubBackward0)."""
    return input - input.tanh()


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x. On an integer input both numbers are cast to its
    type first (truncated), as PyTorch."""
    kind = input._data.dtype.kind
    if kind == "b":
        _not_for("threshold_cpu", input)
    if kind in "iu":
        threshold, value = int(threshold), int(value)
    prim = _ThresholdInplace if inplace else A.Threshold
    return _apply(prim, input, inplace, threshold, value)


_threshold = threshold  # (threshold_ below has an argument of that name)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return softmax(-input, dim, dtype=dtype)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), with a and b the first and second halves of x along ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    from ...tensor import _wrap_dim

    d = _wrap_dim(dim, input.dim())
    size = input.shape[d]
    if size % 2:  # (PyTorch checks the size before the dtype)
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {size}")
    _floating(input, "glu_cpu")
    return A.Glu.apply(input, d)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight * x, with one weight, or one per channel (dim 1)."""
    try:
        input._data, weight._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=input, weight=weight) from None
    if input._data.dtype != weight._data.dtype:
        from ...ops.arithmetic import type_name

        raise RuntimeError(f"prelu: Type promoting not supported. Got "
                           f"{type_name(input._data.dtype)} and {type_name(weight._data.dtype)}")
    _floating(input, "prelu_cpu")
    n = weight.numel()
    if n != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if channels != n:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
    if weight.dim() > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    nd = input.dim()
    if weight.dim() != nd:  # as PyTorch, a view of x's rank: (1, n, 1, ...) broadcasts on dim 1
        weight = weight.reshape((1, n) + (1,) * (nd - 2) if nd > 1 else (1,) * nd)
    return A.Prelu.apply(input, weight)


def _rrelu_noise(input: Tensor, lower: float, upper: float, training: bool,
                 generator=None) -> np.ndarray:
    """The slope of each element: 1 where kept, else U(lower, upper) (training) or their mean
    (eval). Training follows PyTorch's serial kernel: for each x <= 0 in C order (nan is
    kept), one uniform_real_distribution<double>(lower, upper) draw, u * (upper - lower) +
    lower with lower and upper first rounded to the input's precision, cast to its dtype.
    Eval keeps only x > 0, as PyTorch's leaky_relu kernel."""
    x = input._data
    if training:
        from ..._torch_rng_more import uniform_double
        from ...random import _gen

        hit = np.asarray(x <= 0)
        lo, hi = (float(x.dtype.type(v)) for v in (lower, upper))
        noise = np.ones(x.shape, x.dtype)
        noise[hit] = uniform_double(_gen(generator).bits, int(hit.sum()), lo, hi).astype(x.dtype)
        return noise
    return np.where(x > 0, np.ones((), x.dtype), np.asarray((lower + upper) / 2, x.dtype))


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """x where x > 0, else x * r: r ~ U(lower, upper) per element in training, (lower +
    upper) / 2 in eval."""
    return _rrelu(input, lower, upper, training, inplace)


def _rrelu(input: Tensor, lower: float, upper: float, training: bool, inplace: bool,
           generator=None) -> Tensor:
    """rrelu drawing from ``generator`` (torch.rrelu's argument) or the default one."""
    try:
        lower, upper = float(lower), float(upper)  # noqa: PLW2901
    except (TypeError, ValueError):  # a str, list, None: PyTorch's parser error
        bad = upper if isinstance(lower, (int, float, np.number, Tensor)) else lower
        raise _not_number(bad, "upper" if bad is upper else "lower", input) from None
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _floating(input, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")
    noise = _rrelu_noise(input, lower, upper, training, generator)
    prim = _RreluInplace if inplace else A.RreluWithNoise
    return _apply(prim, input, inplace, noise)


# ---- in-place forms (torch.nn.functional.relu_ etc.) ----------------------------------------
def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):  # a str, list, None: PyTorch's parser error
        raise _not_number(alpha, "alpha", input) from None
    _floating(input, "elu_cpu")
    return _apply(_EluInplace, input, True, alpha)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, inplace=True)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)
