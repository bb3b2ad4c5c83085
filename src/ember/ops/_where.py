"""where(condition, input, other): input where condition holds, else other; where(condition)
alone: the indices where it holds. The condition is a zero-derivative value on the node."""

from __future__ import annotations

import numpy as np

from ..autograd._inference import refuse_saved_index
from ..autograd.function import Primitive
from ..tensor import Tensor
from ._layout import relaid
from ._util import promote


class Where(Primitive):
    """z = cond ? a : b;  dz/da = cond,  dz/db = not cond."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        out = np.where(cond, a, b)
        return out if cond.flags.c_contiguous else relaid(out, cond, a, b)  # PyTorch's layout

    @staticmethod
    def backward(ctx, g):
        c = ctx.cond
        return None, np.where(c, g, 0), np.where(c, 0, g)


_WHERE_U8_WARNED = [False]


_WHERE_FORMS = ("\n * (Tensor condition)\n * (Tensor condition, Tensor input, Tensor other, *, "
                "Tensor out = None)\n * (Tensor condition, Number self, Tensor other)\n * "
                "(Tensor condition, Tensor input, Number other)\n * (Tensor condition, Number "
                "self, Number other)")
_WHERE_ARGS = ("condition", "input", "other")
_NOT_VALUES = (str, list, tuple, type(None))
_UNSET = object()  # where(cond) alone (nonzero) against an argument given as None


def _where_error(condition, input, other) -> TypeError:
    """PyTorch's parser error for where: (cond) or (cond, a, b), each of a and b a tensor or
    a number; where(mask, x) with a value forgotten, a None or a list is its TypeError. The
    arguments given by keyword are read from the call (error path only)."""
    import sys

    from .._typename import arg_type_name
    from ._int_args import _ROOT, _keywords

    frame, kws = sys._getframe(2), set()
    while frame is not None and frame.f_code.co_filename.startswith(_ROOT):
        if isinstance(frame.f_locals.get("kwargs"), dict):  # a wrapper passing keywords on
            kws |= set(frame.f_locals["kwargs"])
        frame = frame.f_back
    kws |= set(_keywords(frame)) if frame is not None else set()
    given = [(n, v) for n, v in zip(_WHERE_ARGS, (condition, input, other)) if v is not _UNSET]
    got = [arg_type_name(v) for n, v in given if n not in kws] + \
        [f"{n}={arg_type_name(v)}" for n, v in given if n in kws]
    return TypeError(f"where() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:{_WHERE_FORMS}\n"
                     "Hint: pass both values, torch.where(condition, x, y), or the condition "
                     "alone for the indices where it holds.")


def where_method(self, *args, **kwargs):
    """Tensor.where(condition, other): self where condition holds, else other (PyTorch's
    parser error for a missing or None ``other``)."""
    if len(args) == 2 and not kwargs and type(args[1]) not in _NOT_VALUES:
        return where(args[0], self, args[1])
    vals = (*args, *(kwargs[k] for k in ("condition", "other")[len(args):] if k in kwargs))
    if len(vals) == 2 and len(args) + len(kwargs) == 2 and type(vals[1]) not in _NOT_VALUES:
        return where(vals[0], self, vals[1])
    from .._typename import arg_type_name

    got = [arg_type_name(v) for v in args] + [f"{k}={arg_type_name(v)}"
                                              for k, v in kwargs.items()]
    raise TypeError(f"where() received an invalid combination of arguments - got "
                    f"({', '.join(got)}), but expected one of:\n * (Tensor condition, Tensor "
                    "other)\n * (Tensor condition, Number other)\nHint: x.where(condition, y) "
                    "keeps x where condition holds and takes y elsewhere.")


def where(condition=_UNSET, input=_UNSET, other=_UNSET):
    """where(condition, input, other): input where condition holds, else other;
    where(condition) alone: the indices where it holds (nonzero(as_tuple=True))."""
    if input is _UNSET or other is _UNSET or input is None or other is None:
        if input is _UNSET and other is _UNSET and isinstance(condition, Tensor):
            from .indexing import nonzero

            return nonzero(condition, as_tuple=True)
        raise _where_error(condition, input, other)
    if isinstance(condition, Tensor):
        cond = condition._data
    elif type(condition) in _NOT_VALUES:  # a list: PyTorch wants a tensor
        raise _where_error(condition, input, other)
    else:  # (ember's own rules pass arrays and NumPy bools)
        cond = np.asarray(condition)
    if cond.dtype == np.uint8:  # old mask dtype: still accepted, with a once-only warning
        from .._config import _State

        if not _WHERE_U8_WARNED[0] or _State.warn_always:  # (TORCH_WARN_ONCE: _config)
            from .._warn import warn

            _WHERE_U8_WARNED[0] = _WHERE_U8_WARNED[0] or not _State.warn_always
            warn("where received a uint8 condition tensor. This behavior is deprecated and "
                 "will be removed in a future version of PyTorch. Use a boolean condition "
                 "instead.")
        cond = cond.astype(np.bool_)
    elif cond.dtype != np.bool_:
        from .arithmetic import type_name

        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {type_name(cond.dtype)}")
    if input.__class__ is not Tensor or other.__class__ is not Tensor:
        if type(input) in _NOT_VALUES or type(other) in _NOT_VALUES:  # a list, a str
            raise _where_error(condition, input, other)
        _where_arrays(condition, input, other)
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            from ..creation import tensor

            input = tensor(input)
    if isinstance(condition, Tensor) and condition._vc is not None and (
            getattr(input, "_rg", False) or getattr(other, "_rg", False)):
        refuse_saved_index(condition)  # (PyTorch's WhereBackward0 saves the condition)
    input, other = _checked_ints(input, other), _checked_ints(other, input)
    a, b = promote(input, other)
    return Where.apply(cond, a, b)


def _where_arrays(condition, input, other) -> None:
    """A NumPy array value from user code: PyTorch's parser error (its first line), with a hint
    in place of the one for a forgotten value."""
    from .._call_site import user_operand

    for v in (input, other):
        if isinstance(v, np.ndarray) and user_operand(v) is not None:
            first = str(_where_error(condition, input, other)).split("\nHint:")[0]
            raise TypeError(first + "\nHint: torch.from_numpy(array) makes a Tensor of an array.")


def _checked_ints(v, t):
    """A Python int beside an integer tensor, through PyTorch's checked conversion (where
    refuses uint8 300 that arithmetic would wrap)."""
    if type(v) is int and isinstance(t, Tensor) and t._data.dtype.kind in "iu":
        from ._index_write import _checked_number

        return _checked_number(v, t._data.dtype).item()
    return v


# The C++ type PyTorch's clamp-with-number kernels name when their float result cannot go
# back into an integer or bool tensor (every other in-place op prints Long, Int, ...).
