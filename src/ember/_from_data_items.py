"""Reading the items of a nested list for ``torch.tensor(...)``: tensors inside a list as
PyTorch reads them (numbers, or sequences past the depth its first items set), and NumPy
float32/float16 items under an integer dtype (refused, as PyTorch's ``__index__`` read)."""

from __future__ import annotations

import numpy as np

from .autograd.grad_mode import STATE as GRAD
from .tensor import Tensor

_SEQ = (list, tuple)


def _tensors_to_scalars(data, int_target: bool, depth=None, pending=None):
    """Tensors inside a list act as Python scalars in PyTorch: they must hold one element, an
    integer one for an integer or bool result, and one that requires grad gets float()'s
    once-a-process warning (``torch.tensor(log_probs)``). PyTorch reads the nesting depth
    from the first items only (a tensor there counts as a number); a later tensor where that
    depth leaves dims to fill is read as the sequence it is: ``torch.tensor([obs_array,
    obs_tensor])``. ``depth``: the dims left at this item; ``pending``: where an error
    PyTorch raises only after reading the list's shape is put."""
    if depth is None:
        depth = _lead_depth(data)
    if isinstance(data, Tensor):
        kind = data._data.dtype.kind
        if depth > 0 and data._data.ndim:
            if int_target and kind not in "biu":  # (after the shape checks, as PyTorch)
                pending.append(TypeError("only integer tensors of a single element can be "
                                         "converted to an index"))
            if data._data.ndim > depth:  # its items would stand where numbers belong
                if int_target:
                    raise TypeError("only integer tensors of a single element can be "
                                    "converted to an index")
                raise ValueError("only one element tensors can be converted to Python scalars")
            return data._data.tolist()
        bad = data._data.size != 1 or (int_target and kind not in "biu")
        if data._rg and GRAD.enabled and not (bad and int_target):  # (float(): warns first)
            from ._config import warn_once  # (lazy: ember._config loads on demand)

            warn_once("Converting a tensor with requires_grad=True to a scalar may lead to "
                      "unexpected behavior.\nConsider using tensor.detach() first.")
        if bad:
            if int_target:  # (PyTorch's words depend on the result's dtype)
                raise TypeError("only integer tensors of a single element can be converted to "
                                "an index")
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data._data.reshape(()).item()
    if isinstance(data, _SEQ):
        return [_tensors_to_scalars(x, int_target, depth - 1, pending) for x in data]
    return data


def _float_items_under_int(data) -> str | None:
    """PyTorch reads an integer element through ``__index__``: a NumPy float32 / float16
    number (or an array of them) in the list has none (np.float64 is a Python float)."""
    if isinstance(data, (np.float32, np.float16)):
        return type(data).__name__
    if isinstance(data, np.ndarray):
        return data.dtype.name if data.dtype in (np.float32, np.float16) and data.size else None
    if isinstance(data, _SEQ):
        for x in data:
            bad = _float_items_under_int(x)
            if bad:
                return bad
    return None


def _lead_depth(data) -> int:
    """How many dims PyTorch reads from the first items of nested lists (a tensor there, as
    a number, ends the count; an array adds its own dims)."""
    d = 0
    while isinstance(data, _SEQ):
        d += 1
        if not data:
            break
        data = data[0]
    if isinstance(data, np.ndarray):
        d += data.ndim
    return d
