"""How PyTorch's argument parser names a value's type in its TypeErrors (error paths only)."""

from __future__ import annotations


def arg_type_name(v) -> str:
    """'int', 'list', 'NoneType' for builtins, the class name for tensors ('Tensor',
    'Parameter'), module-qualified for anything else ('numpy.ndarray', 'collections.deque')."""
    from .tensor import Tensor

    t = type(v)
    if isinstance(v, Tensor) or t.__module__ == "builtins":
        return t.__name__
    return f"{t.__module__}.{t.__name__}"
