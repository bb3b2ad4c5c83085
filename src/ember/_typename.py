"""How PyTorch's argument parser names a value's type in its TypeErrors (error paths only)."""

from __future__ import annotations


def class_name(t: type) -> str:
    """'int' for builtins, module-qualified for anything else ('numpy.ndarray')."""
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def arg_type_name(v) -> str:
    """'int', 'list', 'NoneType' for builtins, the class name for tensors ('Tensor',
    'Parameter'), module-qualified for anything else ('numpy.ndarray', 'collections.deque')."""
    from .tensor import Tensor

    return type(v).__name__ if isinstance(v, Tensor) else class_name(type(v))
