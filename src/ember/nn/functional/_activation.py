"""Activation functions of ``ember.nn.functional``."""

from __future__ import annotations

import warnings

import numpy as np

from ... import ops
from ...ops.elementwise import Relu, _not_for
from ...ops.selection import Hardtanh
from ...ops.softmax import LogSoftmax, Softmax, _prep
from ...tensor import Tensor
from .._ops import Elu, Gelu, GeluTanh, LeakyRelu, LogSigmoid, Silu, variant

_relu_apply = Relu.apply
_hardtanh_apply = Hardtanh.apply
_leaky_relu_inplace = variant(LeakyRelu, "LeakyReluBackward1")


def _not_number(value, arg: str, input) -> Exception:
    """On the error path of ``float(value)``: PyTorch's parser error for ``value`` (a str,
    list, None, array) given where a Number is wanted (the input's type is checked first), or
    the exception being handled where ``value`` is a number."""
    import sys

    from ...ops._int_args import bad_arg, not_tensor

    if not isinstance(input, Tensor):
        return not_tensor(input)
    if isinstance(value, (int, float, np.number, Tensor)):
        return sys.exc_info()[1]
    return bad_arg(value, arg, "Number")


def _floating(input: Tensor, kernel: str) -> Tensor:
    """``input``, or PyTorch's error for an activation with only floating-point kernels
    (integer and bool tensors are refused, not converted)."""
    try:
        kind = input._data.dtype.kind
    except AttributeError:  # a str, list, number: PyTorch's parser error, off the hot path
        from ...ops._int_args import not_tensor

        raise not_tensor(input) from None
    if kind != "f":
        _not_for(kernel, input)
    return input


def _inplace(input: Tensor, result: Tensor) -> Tensor:
    """Write an out-of-place result back into ``input`` (PyTorch's ``inplace=True``)."""
    input._check_inplace()
    return input._write(result)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    if inplace:
        return input.relu_()
    try:
        dt = input._data.dtype
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import not_tensor

        raise not_tensor(input) from None
    if dt == np.bool_:  # (torch.relu itself takes bools; F.relu does not)
        raise RuntimeError("Boolean inputs not supported for relu")
    return _relu_apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    try:
        slope = float(negative_slope)
    except (TypeError, ValueError):  # a str, list, None: PyTorch's parser error
        raise _not_number(negative_slope, "negative_slope", input) from None
    if inplace:  # PyTorch names the in-place node LeakyReluBackward1
        _floating(input, "leaky_relu_cpu")
        out = _leaky_relu_inplace.apply(input._graph_input(), slope)
        return _inplace(input, out)
    return LeakyRelu.apply(_floating(input, "leaky_relu_cpu"), slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    if inplace:  # PyTorch's in-place ELU is a node of its own (EluBackward1, from the result)
        from ._activation2 import elu_

        return elu_(input, alpha)
    try:
        a = float(alpha)
    except (TypeError, ValueError):  # a str, list, None: PyTorch's parser error
        raise _not_number(alpha, "alpha", input) from None
    return Elu.apply(_floating(input, "elu_cpu"), a)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi the standard normal CDF); approximate='tanh' uses the tanh formula."""
    if approximate == "none":
        return Gelu.apply(_floating(input, "GeluKernelImpl"))
    if approximate == "tanh":
        return GeluTanh.apply(_floating(input, "GeluKernelImpl"))
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    _floating(input, "silu_cpu")
    x = input._graph_input() if inplace else input
    out = Silu.apply(x)
    return _inplace(input, out) if inplace else out


def tanh(input: Tensor) -> Tensor:
    return ops.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    return ops.sigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold."""
    return ops.softplus(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x)."""
    return LogSigmoid.apply(_floating(input, "log_sigmoid_cpu"))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val), whose gradient is 0 at the bounds themselves."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    try:
        dt = input._data.dtype
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import not_tensor

        raise not_tensor(input) from None
    if dt == np.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input._data.dtype.kind in "iu":  # PyTorch converts the bounds to the integer type
        min_val, max_val = int(min_val), int(max_val)
    x = input._graph_input() if inplace else input
    out = _hardtanh_apply(x, min_val, max_val)
    return _inplace(input, out) if inplace else out


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6), as PyTorch (an integer input stays integer)."""
    return hardtanh(input, 0, 6, inplace)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    x, d = _prep(input, dim, dtype)
    return Softmax.apply(x, d)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """x - logsumexp(x) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    x, d = _prep(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(x, d)
