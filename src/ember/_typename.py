"""How PyTorch's argument parser names a value's type in its TypeErrors (error paths only)."""

from __future__ import annotations


# ember's Python classes that are C types in PyTorch, under their tp_name there
_TORCH_C_TYPES = {"Size": "torch.Size", "dtype": "torch.dtype", "device": "torch.device",
                  "layout": "torch.layout", "memory_format": "torch.memory_format",
                  "Generator": "torch._C.Generator", "finfo": "torch.finfo",
                  "iinfo": "torch.iinfo"}


def class_name(t: type) -> str:
    """The type's C-level name (tp_name), which PyTorch's messages print: 'int' for builtins,
    the bare name for a class defined in Python ('Foo', 'Fraction': a heap type), otherwise
    module-qualified ('numpy.ndarray', 'collections.deque'). ember's own stand-ins for
    PyTorch's C types are named as PyTorch names those ('torch.Size', 'torch.dtype')."""
    mod = t.__module__
    if (mod == "ember" or mod.startswith("ember.")) and t.__name__ in _TORCH_C_TYPES:
        return _TORCH_C_TYPES[t.__name__]
    if mod == "builtins" or t.__flags__ & 512:  # Py_TPFLAGS_HEAPTYPE
        return t.__name__
    return f"{t.__module__}.{t.__name__}"


def arg_type_name(v) -> str:
    """'int', 'list', 'NoneType' for builtins, the class name for tensors ('Tensor',
    'Parameter'), module-qualified for anything else ('numpy.ndarray', 'collections.deque')."""
    from .tensor import Tensor

    return type(v).__name__ if isinstance(v, Tensor) else class_name(type(v))


def torch_class_repr(cls: type) -> str:
    """``str(cls)`` as PyTorch's messages show it: ember's classes under their torch module
    ("<class 'torch.distributions.transformed_distribution.TransformedDistribution'>")."""
    mod = cls.__module__
    if mod == "ember" or mod.startswith("ember."):
        mod = "torch" + mod[len("ember"):]
    return f"<class '{mod}.{cls.__qualname__}'>"
