"""PyTorch's other names for ops (``multiply`` for ``mul``, ``clip`` for ``clamp``) as
functions of their own name.

ember binds an alias to the very function of its op, so Python's own argument errors named
the op: ``torch.multiply(a, b, alpha=2)`` said "mul() got an unexpected keyword argument
'alpha'" where PyTorch says "multiply() ...". Here each alias, at the top level and as a
Tensor method, becomes a copy of its function (the same code, defaults and closure; no extra
call) under the alias's name. Wrappers around the op (out=, old overloads) are copied down
to the op itself, as the innermost function is the one whose name Python's errors give."""

from __future__ import annotations

import types

# alias -> the op ember runs for it (the name its function carries)
ALIASES = {
    "absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin",
    "arcsinh": "asinh", "arctan": "atan", "arctan2": "atan2", "arctanh": "atanh",
    "clip": "clamp", "divide": "div", "fix": "trunc", "ger": "outer", "greater": "gt",
    "greater_equal": "ge", "less": "lt", "less_equal": "le", "moveaxis": "movedim",
    "multiply": "mul", "negative": "neg", "not_equal": "ne", "subtract": "sub",
    "swapaxes": "transpose", "swapdims": "transpose",
    "conj_physical": "conj", "is_neg": "is_conj", "resolve_conj": "conj",
    "resolve_neg": "conj", "concat": "cat", "concatenate": "cat",
}

# Tensor methods bound to functions of another name: the name PyTorch's errors give them,
# "Tensor.x" for the methods PyTorch writes in Python (torch/_tensor.py), else "x"
METHODS = {
    "float": "float32", "double": "float64", "half": "float16", "long": "int64",
    "int": "int32", "short": "int16", "byte": "uint8", "char": "int8", "numpy": "numpy",
    **{f"Tensor.{n}": n for n in (
        "norm", "unflatten", "unique", "unique_consecutive", "lu", "is_shared",
        "share_memory_", "register_post_accumulate_grad_hook", "storage", "storage_type",
        "resize", "resize_as", "solve", "lstsq", "eig", "symeig")},
}


def renamed(fn, name: str, op: str):
    """A copy of ``fn`` called ``name``; the functions of its closure called ``op`` (what it
    wraps) copied the same way. Anything but a plain function is returned as it is."""
    if not isinstance(fn, types.FunctionType):
        return fn
    cells = fn.__closure__
    if cells:
        cells = tuple(_cell(c, name, op) for c in cells)
    new = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, cells)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__dict__.update(fn.__dict__)
    new.__qualname__, new.__doc__, new.__module__ = name, fn.__doc__, fn.__module__
    new.__name__ = name.rpartition(".")[2]
    if isinstance(getattr(fn, "__wrapped__", None), types.FunctionType):
        new.__wrapped__ = renamed(fn.__wrapped__, name, op)
    return new


def _cell(cell, name: str, op: str):
    try:
        value = cell.cell_contents
    except ValueError:  # an empty cell
        return cell
    if isinstance(value, types.FunctionType) and value.__name__ == op:
        return types.CellType(renamed(value, name, op))
    return cell


def _is_op(fn, op: str) -> bool:
    return isinstance(fn, types.FunctionType) and fn.__name__ == op


def install_methods(tensor_cls) -> None:
    """Rename the alias methods bound on ``tensor_cls`` (again after a lazy group binds)."""
    for alias, op in ALIASES.items():
        method = tensor_cls.__dict__.get(alias)
        if _is_op(method, op):
            setattr(tensor_cls, alias, renamed(method, alias, op))
    for qualname, op in METHODS.items():
        name = qualname.rpartition(".")[2]
        method = getattr(tensor_cls, name, None)  # (numpy is the mixin's)
        if _is_op(method, op) and method.__qualname__ != qualname:
            setattr(tensor_cls, name, renamed(method, qualname, op))


def install(namespace: dict, tensor_cls) -> None:
    """Rename the aliases bound in ember's top level ``namespace`` and on ``tensor_cls``."""
    for alias, op in ALIASES.items():
        fn = namespace.get(alias)
        if _is_op(fn, op):
            namespace[alias] = renamed(fn, alias, op)
    install_methods(tensor_cls)
