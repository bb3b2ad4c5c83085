"""Linear and Identity."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import dtypes as D
from ...ops.linalg import linear as _linear
from ...tensor import Tensor
from .. import init
from ..parameter import Parameter
from .module import Module


def _empty(shape: tuple, dtype, device) -> Tensor:
    from ...creation import _check_device

    _check_device(device)
    np_dtype = D._Defaults.float_np if dtype is None else D.to_np(dtype)
    try:
        arr = np.empty(shape, dtype=np_dtype)
    except (TypeError, ValueError):  # n / 2 or a negative count: PyTorch's words from empty()
        from ...creation import _size

        _size((shape,), "empty")
        raise
    return Tensor._make(arr, False, None)


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features).

    Initialised as PyTorch does: W ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in),
    1/sqrt(in)), and b ~ U(-1/sqrt(in), 1/sqrt(in)), drawn from ember's default generator.
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in_features), dtype, device))
        if bias:
            self.bias = Parameter(_empty((out_features,), dtype, device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return _linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
