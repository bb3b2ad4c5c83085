"""A scripted function's argument checks, as TorchScript makes them at each call.

TorchScript types every argument: an annotated one has its annotation, an unannotated one
without a default is a Tensor. So ``@torch.jit.script def f(x, n): ...`` called as ``f(t, 2)``
fails in PyTorch; the same call fails here with PyTorch's message. Only the simple types are
checked (Tensor, int, float, bool, str and Optional of them); containers pass unchecked.
"""

from __future__ import annotations

import inspect
import typing

from ..tensor import Tensor

_SIMPLE = {int: "int", float: "float", bool: "bool", str: "str"}


def _type_name(tp) -> str:
    if tp is Tensor or getattr(tp, "__name__", None) == "Tensor":
        return "Tensor"
    if tp in _SIMPLE:
        return _SIMPLE[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union and len(args) == 2 and type(None) in args:
        return _type_name(next(a for a in args if a is not type(None))) + "?"
    if origin is list and args:
        return _type_name(args[0]) + "[]"
    if origin is tuple and args:
        return "(" + ", ".join(_type_name(a) for a in args) + ")"
    if origin is dict and args:
        return f"Dict({_type_name(args[0])}, {_type_name(args[1])})"
    return getattr(tp, "__name__", str(tp))


def _accepts(tp, value) -> bool | None:
    """True/False for the types checked, None for the others (not checked)."""
    if tp is Tensor:
        return isinstance(value, Tensor)
    if tp is float:  # TorchScript converts ints, bools and one-element tensors
        return isinstance(value, (float, int)) or isinstance(value, Tensor) and value.numel() == 1
    if tp is int:
        return isinstance(value, int) or isinstance(value, Tensor) and value.numel() == 1 \
            and not value.is_floating_point()
    if tp is bool:
        return isinstance(value, (bool, int))
    if tp is str:
        return isinstance(value, str)
    args = typing.get_args(tp)
    if typing.get_origin(tp) is typing.Union and len(args) == 2 and type(None) in args:
        return True if value is None else _accepts(next(a for a in args if a is not type(None)),
                                                   value)
    return None


class Schema:
    """The declaration ``f(Tensor x, float gamma) -> Tensor`` and its checks."""

    def __init__(self, fn) -> None:
        sig = inspect.signature(fn)
        try:
            hints = typing.get_type_hints(fn)
        except Exception:  # an annotation naming what the function's module lacks
            hints = {}
        self.name = fn.__name__
        self.params = []  # (name, type or None when unchecked, inferred, has default)
        parts = []
        for p in sig.parameters.values():
            inferred = p.name not in hints and p.default is p.empty
            tp = Tensor if inferred else hints.get(p.name)
            self.params.append((p.name, tp, inferred, p.default is not p.empty))
            text = f"{_type_name(tp) if tp is not None else 'Tensor'} {p.name}"
            parts.append(text if p.default is p.empty else f"{text}={p.default!r}")
        ret = hints.get("return", Tensor)
        ret_name = "NoneType" if ret is type(None) else _type_name(ret)
        self.decl = f"{self.name}({', '.join(parts)}) -> {ret_name}"

    @classmethod
    def of(cls, fn):
        """None where TorchScript's rules do not apply (``*args``, builtins)."""
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return None
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values()):
            return None
        return cls(fn)

    def __repr__(self) -> str:
        return self.decl

    def check(self, args: tuple, kwargs: dict) -> None:
        n = len(self.params)
        if len(args) + len(kwargs) > n:
            raise RuntimeError(f"{self.name}() expected at most {n} argument(s) but received "
                               f"{len(args) + len(kwargs)} argument(s). Declaration: {self.decl}")
        for pos, (name, tp, inferred, has_default) in enumerate(self.params):
            if pos < len(args):
                value = args[pos]
            elif name in kwargs:
                value = kwargs[name]
            elif has_default:
                continue
            else:
                raise RuntimeError(f"{self.name}() is missing value for argument '{name}'. "
                                   f"Declaration: {self.decl}")
            if tp is None or _accepts(tp, value) is not False:
                continue
            tname = "Tensor (inferred)" if inferred else _type_name(tp)
            lines = [f"{self.name}() Expected a value of type '{tname}' for argument '{name}' "
                     f"but instead found type '{type(value).__name__}'."]
            if inferred:
                lines.append(f"Inferred '{name}' to be of type 'Tensor' because it was not "
                             "annotated with an explicit type.")
            lines += [f"Position: {pos}", f"Value: {value!r}", f"Declaration: {self.decl}"]
            if tp is Tensor:
                lines.append(f"Cast error details: Unable to cast {value!r} to Tensor")
            raise RuntimeError("\n".join(lines))
