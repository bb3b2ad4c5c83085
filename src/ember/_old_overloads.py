"""PyTorch's deprecated positional-scalar overloads, still common in old optimizers and posts.

``x.add(alpha, other)``, ``torch.add(x, alpha, other)``, ``x.addcmul_(value, t1, t2)`` (and
sub/addcdiv, in place or not) still run in PyTorch, with one deprecation warning per process
(one for all of them, as PyTorch's argument parser warns once). They mean the keyword forms
``add(other, alpha=alpha)`` and ``addcmul(t1, t2, value=value)``.
"""

from __future__ import annotations

import numbers

from ._warn import warn
from .tensor import Tensor

_WARNED = [False]

# name -> (keyword, the tensors after it); the old form puts the keyword's number first.
_SCALAR_FIRST = {"add": ("alpha", ("other",)), "sub": ("alpha", ("other",)),
                 "addcmul": ("value", ("tensor1", "tensor2")),
                 "addcdiv": ("value", ("tensor1", "tensor2"))}


def _signatures(name: str, method: bool) -> tuple[str, str]:
    key, tensors = _SCALAR_FIRST[name.rstrip("_")]
    ts = ", ".join(f"Tensor {t}" for t in tensors)
    if method:
        return (f"{name}(Number {key}, {ts})", f"{name}({ts}, *, Number {key} = 1)")
    return (f"{name}(Tensor input, Number {key}, {ts}, *, Tensor out = None)",
            f"{name}(Tensor input, {ts}, *, Number {key} = 1, Tensor out = None)")


def _convert(name: str, method: bool, args: tuple, kwargs: dict) -> tuple:
    """The new-style positional args for the old ones (after self/input), warning once."""
    key, tensors = _SCALAR_FIRST[name.rstrip("_")]
    n = len(tensors)
    args += tuple(kwargs.pop(t) for t in tensors[len(args) - 1:] if t in kwargs)
    if len(args) != n + 1 or not isinstance(args[0], numbers.Number) or \
            isinstance(args[0], bool) or key in kwargs or \
            not all(isinstance(t, Tensor) for t in args[1:]):
        first = n if method else n + 1
        given = len(args) if method else len(args) + 1
        raise TypeError(f"{name}() takes {first} positional argument{'s' * (first != 1)} but "
                        f"{given} were given")
    if not _WARNED[0]:
        _WARNED[0] = True
        old, new = _signatures(name, method)
        warn(f"This overload of {name} is deprecated:\n\t{old}\nConsider using one of the "
             f"following signatures instead:\n\t{new}")
    kwargs[key] = args[0]
    return args[1:]


def scalar_first(name: str, args: tuple, number):
    """For a method written with ``*old`` (``Tensor.add_``): the tensors and the number of
    its old-style call ``args`` (the number first), with ``number`` the keyword's value."""
    key = _SCALAR_FIRST[name.rstrip("_")][0]
    kwargs = {} if number == 1 and type(number) is int else {key: number}
    tensors = _convert(name, True, args, kwargs)
    return tensors, kwargs[key]


def _wrap(fn, name: str, method: bool):
    n = len(_SCALAR_FIRST[name.rstrip("_")][1])
    first_tensor = _SCALAR_FIRST[name.rstrip("_")][1][0]

    def call(*args, **kwargs):  # self / input may come as a keyword: add(input=x, other=y)
        if len(args) > n + 1 or (kwargs and len(args) > 1 and first_tensor in kwargs):
            args = args[:1] + _convert(name, method, args[1:], kwargs)  # x.add(2, other=y)
        return fn(*args, **kwargs)

    call.__name__, call.__qualname__, call.__doc__ = name, name, fn.__doc__
    return call


def install(T, namespace: dict) -> None:
    """Accept the old overloads on the Tensor methods and the top-level functions."""
    for name in _SCALAR_FIRST:
        for method_name in (name, name + "_"):
            if method_name != "add_":  # (add_ takes them itself: see _methods_add_mul.add_)
                _rebind(vars(T), lambda k, v: setattr(T, k, v), method_name, True)
        _rebind(namespace, namespace.__setitem__, name, False)


def _rebind(table, set_, name: str, method: bool) -> None:
    """Wrap ``table[name]``; its aliases (subtract is sub) stay the same function."""
    fn = table[name]
    wrapped = _wrap(fn, name, method)
    for key, value in list(table.items()):
        if value is fn:
            set_(key, wrapped)
