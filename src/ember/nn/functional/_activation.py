"""Activation functions of ``ember.nn.functional``."""

from __future__ import annotations

import warnings

from ... import ops
from ...ops.elementwise import Relu, _float
from ...ops.softmax import LogSoftmax, Softmax, _prep
from ...tensor import Tensor
from .._ops import Elu, Gelu, GeluTanh, LeakyRelu, LogSigmoid, Silu

_relu_apply = Relu.apply


def _inplace(input: Tensor, result: Tensor) -> Tensor:
    """Write an out-of-place result back into ``input`` (PyTorch's ``inplace=True``)."""
    input._check_inplace()
    return input._write(result)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    if inplace:
        return input.relu_()
    return _relu_apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    x = input._graph_input() if inplace else input
    out = LeakyRelu.apply(_float(x), float(negative_slope))
    return _inplace(input, out) if inplace else out


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    x = input._graph_input() if inplace else input
    out = Elu.apply(_float(x), float(alpha))
    return _inplace(input, out) if inplace else out


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi the standard normal CDF); approximate='tanh' uses the tanh formula."""
    if approximate == "none":
        return Gelu.apply(_float(input))
    if approximate == "tanh":
        return GeluTanh.apply(_float(input))
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    x = input._graph_input() if inplace else input
    out = Silu.apply(_float(x))
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
    return LogSigmoid.apply(_float(input))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    if inplace:
        return input.clamp_(min_val, max_val)
    return ops.clamp(input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


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
    x, d = _prep(input, dim, dtype)
    return LogSoftmax.apply(x, d)
