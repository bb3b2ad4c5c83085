"""Flatten parameters into one vector and back (``torch.nn.utils.parameters_to_vector``)."""

from __future__ import annotations

from typing import Iterable

from ...ops.shape import cat
from ...tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters, flattened and concatenated (differentiable, a new tensor)."""
    parameters = list(parameters)
    for p in parameters:
        _check_device(p)
    return cat([p.view(-1) for p in parameters])  # view: a non-contiguous one fails


def _check_device(p) -> None:
    """PyTorch reads each item's .device first: a None (no .grad) or a Module passed in place
    of its parameters() fails there with AttributeError."""
    if not isinstance(p, Tensor):
        p.device  # noqa: B018 - raises the AttributeError PyTorch's device check raises


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Point each parameter's data at its slice of ``vec`` (they then share storage)."""
    if not isinstance(vec, Tensor):
        from ..modules.module import _typename

        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    flat = vec._ensure_array()
    pointer = 0
    for param in parameters:
        _check_device(param)
        n = param.numel()
        if flat[pointer:pointer + n].size != n:  # a vector too short: PyTorch's view error
            raise RuntimeError(f"shape '{list(param.shape)}' is invalid for input of size "
                               f"{flat[pointer:pointer + n].size}")
        param.data = Tensor._make(flat[pointer:pointer + n].reshape(param.shape), False, None)
        pointer += n
