"""Argument checks with PyTorch's parser and foreach messages, PyTorch's grad_fn names, and
the node of ops PyTorch records without a derivative: shared by the _foreach*.py modules."""

from __future__ import annotations

import numbers

import numpy as np

from ._typename import arg_type_name
from .autograd.function import Primitive
from .autograd.grad_mode import STATE
from .tensor import Tensor

# PyTorch's grad_fn names for the out-of-place ops, by overload (L tensor list, S number,
# SL list of numbers, T 0-dim tensor); the irregular numbering is theirs
_NODE = {
    "add": ("0List", "1Scalar", "1ScalarList", "0Tensor"), "sub": ("0List", "1Scalar",
    "1ScalarList", ""), "mul": ("0List", "1Scalar", "1ScalarList", "0Tensor"),
    "div": ("0", "1Scalar", "1ScalarList", "0Tensor"),
    "clamp_min": ("1List", "0Scalar", "0ScalarList", ""),
    "clamp_max": ("1List", "0Scalar", "0ScalarList", ""),
    "maximum": ("0List", "0", "1", ""), "minimum": ("0List", "0", "1", ""),
    "pow": ("0", "0Scalar", "1", ""), "lerp": ("1List", "0Scalar", "0ScalarList", ""),
    "addcmul": ("", "0Scalar", "0ScalarList", ""), "addcdiv": ("", "0Scalar", "0ScalarList", "")}
_KINDS = ("L", "S", "SL", "T")
_RENAMED: dict = {}


def _camel(name: str) -> str:
    return "".join(w.capitalize() for w in name.replace("1p", "1_p").split("_"))


def _node_name(op: str, kind: str) -> str:
    return f"Foreach{_camel(op)}Backward{_NODE[op][_KINDS.index(kind)]}"


def _rename(tensors, name: str) -> None:
    """Show each result's grad_fn under PyTorch's name for this foreach op (a subclass of its
    node class that differs only in its name)."""
    for t in tensors:
        node = t.grad_fn
        if node is None:
            continue
        cls = type(node)
        sub = _RENAMED.get((cls, name))
        if sub is None:
            sub = _RENAMED[(cls, name)] = type(name, (cls,), {
                "__slots__": (), "name": lambda self, _n=name: _n})
        node.__class__ = sub


# ---- argument checks, with PyTorch's parser and foreach messages --------------------------

def _invalid(fn: str, args, kwargs) -> TypeError:
    got = [arg_type_name(a) for a in args] + [f"{k}={arg_type_name(v)}" for k, v in kwargs.items()]
    return TypeError(f"{fn}() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:\n(ember: foreach ops take "
                     "lists (or tuples) of tensors, not single tensors or generators; the "
                     "operand after them is a tensor list, a number or a list of numbers, "
                     "and alpha= goes only with a tensor list)")


def _is_list(x) -> bool:
    return isinstance(x, (list, tuple))


def _elements(x, pos: int):
    """The parser's check that a list holds only tensors (argument ``pos`` counts from 0)."""
    for t in x:
        if not isinstance(t, Tensor):
            break
    else:
        return x
    for i, t in enumerate(x):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument {pos}, but got "
                            f"{arg_type_name(t)}")
    return x


def _tensor_list(fn: str, x, pos: int, name: str):
    """A single-overload op's list argument."""
    if not _is_list(x):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos + 1}) must be tuple of "
                        f"Tensors, not {arg_type_name(x)}")
    return _elements(x, pos)


def _is_number(x) -> bool:
    if type(x) is float or type(x) is int:  # (the ABC check below costs ~0.3 us)
        return True
    return isinstance(x, (numbers.Number, np.bool_)) and not isinstance(x, Tensor)


def _nonempty(self) -> None:
    if not self:
        raise RuntimeError("Tensor list must have at least one tensor.")


def _same_len(a, b) -> None:
    if len(a) != len(b):
        raise RuntimeError("Tensor lists must have the same number of tensors, got "
                           f"{len(a)} and {len(b)}")


def _scalars_len(self, scalars) -> None:
    if len(self) != len(scalars):
        raise RuntimeError("Tensor list must have same number of elements as scalar list.")


def _check_writable(self) -> None:
    """In-place: every tensor is checked before any is written (PyTorch's autograd layer
    refuses a leaf that requires grad before its kernel runs)."""
    if STATE.enabled:
        for t in self:
            t._check_inplace()


def _split(fn: str, args, kwargs, names, nmax: int):
    """(positional arguments up to nmax, keyword ones by name), or the parser's refusal."""
    slots = max(names.values()) + 1
    if not kwargs and len(args) == nmax == slots:  # the common call: all positional
        return args
    if len(args) > nmax or any(k not in names for k in kwargs):
        raise _invalid(fn, args, kwargs)
    got = list(args) + [None] * (slots - len(args))
    for k, v in kwargs.items():
        i = names[k]
        if i < len(args):
            raise _invalid(fn, args, kwargs)
        got[i] = v
    return got


def _scalar_arg(fn, x, args, kwargs, tensor_ok: bool, list_ok: bool = True):
    """An operand that may be a Scalar, a ScalarList or a 0-dim Tensor read as a Scalar:
    (kind, value) with kind "S" (repeat value) or "SL"; None when x is a tensor list."""
    if _is_number(x):
        return "S", x
    if isinstance(x, Tensor) and not tensor_ok:
        if x._data.ndim:
            raise _invalid(fn, args, kwargs)
        return "S", x.item()
    if list_ok and _is_list(x) and all(_is_number(v) for v in x):
        return "SL", list(x)
    if _is_list(x):
        return None
    raise _invalid(fn, args, kwargs)


class _NoDerivative(Primitive):
    """y = value (the op's result, computed without a graph), recorded as PyTorch records a
    foreach op it defines no derivative for: backward raises its error naming ``op``."""

    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, x, s, value, op):
        ctx.op = op
        return value

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"derivative for {ctx.op} is not implemented")


_NoDerivative._node_cls.name = lambda self: "torch::autograd::NotImplemented"  # a C++ node
