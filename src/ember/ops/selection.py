"""Ops that choose between values: clamp, maximum, minimum, where.

Each gradient goes to the input whose value was chosen; ties follow PyTorch's rules (stated in
each docstring). The choice masks are zero-derivative values, so they live on the node.
"""

from __future__ import annotations

import numpy as np

from .._typename import arg_type_name
from ..autograd._inference import refuse_saved_index
from ..autograd.function import Primitive
from ..tensor import Tensor
from ._layout import elementwise, relaid
from ._util import as_scalar, bound_array, promote, select

_F16 = np.dtype(np.float16)


class Clamp(Primitive):
    """y = min(max(x, lo), hi) for number bounds;  dy/dx = 1 where lo <= x <= hi, else 0.

    On a tie y is x itself (clamp(-0.0, min=0.0) is -0.0) and a nan x stays nan, as PyTorch.
    """

    node_name = "ClampBackward1"
    exact_grads = True

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        big = x.size >= 512  # (one test, not two calls, for the small arrays bound_array skips)
        if big:  # cached bound arrays: 12.2 -> 3.9 us at 128x128 float32, 83 -> 26 at 256x512
            lo, hi = bound_array(x, lo), bound_array(x, hi)
        # A tie must give x (clamp(-0.0, min=0.0) is -0.0): NumPy's float32/64 loops return
        # the second operand of a tie, its float16 loop the first.
        first = x.dtype is _F16
        y = x
        if lo is not None:
            y = np.maximum(y, lo) if first else np.maximum(lo, y)
        if hi is not None:
            out = y if big and y is not x else None  # reuse max's fresh array
            y = np.minimum(y, hi, out=out) if first else np.minimum(hi, y, out=out)
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.lo, ctx.hi
        if lo is None:
            keep = x <= hi
        elif hi is None:
            keep = x >= lo
        else:
            keep = (x >= lo) & (x <= hi)
        return select(keep, g), None, None  # 0, not g * 0, where g is inf or nan


class Hardtanh(Clamp):
    """y = clamp(x, lo, hi);  dy/dx = 1 where lo < x < hi, else 0: unlike clamp's, PyTorch's
    hardtanh gradient stops AT the bounds. A nan x gets 0, as in PyTorch's vectorised loop
    (its scalar loop, which takes the last few elements of a row, passes the gradient)."""

    node_name = "HardtanhBackward0"
    mask_link = "HardtanhBackwardBackward0"  # second order: see autograd/_mask_link.py

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return select((x > ctx.lo) & (x < ctx.hi), g), None, None


@elementwise
class ClampTensor(Primitive):
    """y = min(max(x, lo), hi) with tensor bounds (either may be None).

    dy/dx = 1 where lo <= x <= hi;  dy/dlo = 1 where x < lo <= hi;  dy/dhi = 1 where
    max(x, lo) > hi (so hi wins when lo > hi); each 0 elsewhere. Ties go to x, as PyTorch.
    """

    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        m = x if lo is None else np.maximum(x, lo)
        y = m if hi is None else np.minimum(m, hi)
        if ctx.needs_input_grad:  # masks of where each input's value ended up
            ctx.x_in = (True if lo is None else x >= lo) & (True if hi is None else x <= hi)
            ctx.lo_in = None if lo is None else (x < lo) & (True if hi is None else m <= hi)
            ctx.hi_in = None if hi is None else m > hi
        return y

    @staticmethod
    def backward(ctx, g):
        def pick(mask):
            return None if mask is None else np.where(mask, g, 0)

        return pick(ctx.x_in), pick(ctx.lo_in), pick(ctx.hi_in)


class Maximum(Primitive):
    """z = max(a, b);  dz/da = 1 where a > b, 1/2 where a = b, 0 where a < b (dz/db mirrored).

    Where a comparison is false both ways (a nan), both inputs get the gradient, as PyTorch.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        out = np.maximum(a, b)
        # PyTorch's layout (NumPy's when a is row-major; a test inline, not @elementwise's call)
        return out if a.flags.c_contiguous else relaid(out, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _share(g, a, b, a < b, a > b)


class Minimum(Primitive):
    """z = min(a, b);  dz/da = 1 where a < b, 1/2 where a = b, 0 where a > b (dz/db mirrored)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        out = np.minimum(a, b)
        return out if a.flags.c_contiguous else relaid(out, a, b)  # PyTorch's layout

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _share(g, a, b, a > b, a < b)


def _share(g, a, b, a_loses, b_loses):
    """The gradient of a two-way max/min: halved on ties, zero for the losing input."""
    half = np.where(a == b, g * 0.5, g)
    return np.where(a_loses, 0, half), np.where(b_loses, 0, half)


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


_PLAIN = (float, int, type(None))


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch's names
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if type(min) not in _PLAIN or type(max) not in _PLAIN:  # Python numbers skip both tests
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            if _number_bound(min, max) and _number_bound(max, min):  # Number overload
                min, max = (b.item() if isinstance(b, Tensor) else b for b in (min, max))  # noqa: A001
            else:
                return _clamp_tensor(input, min, max)
        if isinstance(min, np.generic) or isinstance(max, np.generic):  # numbers, as PyTorch
            min, max = as_scalar(min), as_scalar(max)  # noqa: A001
        _refuse_bounds(min, max)
    try:
        kind = input._data.dtype.kind
    except AttributeError:  # a str, list, number: PyTorch's parser lists the overloads
        from ._int_args import bad_arg

        raise bad_arg(input, "input", "Tensor") from None
    if kind in "iub" and any(isinstance(b, float) for b in (min, max)):
        from .elementwise import _float

        input = _float(input)
    elif input._data.dtype.kind in "iu":  # int bounds: PyTorch's checked conversion
        from ._index_write import _checked_number

        dt = input._data.dtype
        min, max = (b if type(b) is not int else _checked_number(b, dt).item()  # noqa: A001
                    for b in (min, max))
    return Clamp.apply(input, min, max)


def _refuse_bounds(*bounds) -> None:
    """A bound that is no number (a str, a list; tensors were taken before): PyTorch's parser
    lists clamp's overloads."""
    for name, b in zip(("min", "max"), bounds):
        if not isinstance(b, (int, float, complex, type(None))):
            from ._int_args import bad_arg

            raise bad_arg(b, name, "Number")


def _number_bound(b, other) -> bool:
    """Beside a Python number, PyTorch reads a 0-d tensor without grad as a Number bound."""
    if not isinstance(b, Tensor):
        return True
    return type(other) in (float, int) and b._data.ndim == 0 and not b.requires_grad


def _clamp_tensor(input, lo, hi):
    _clamp_overload(input, lo, hi)
    x = input
    if lo is not None:
        x, lo = promote(x, lo)
    if hi is not None:
        x, hi = promote(x, hi)
    if isinstance(lo, Tensor) and lo._data.dtype != x._data.dtype:
        lo = lo.to(x._data.dtype)  # the upper bound widened x after lo was matched to it
    return ClampTensor.apply(x, lo, hi)


clip = clamp


def _clamp_overload(input, lo, hi) -> None:
    """PyTorch's clamp takes two tensor bounds or two number bounds, not one of each."""
    if lo is None or hi is None or isinstance(lo, Tensor) == isinstance(hi, Tensor):
        return
    from .._call_site import call_site, refusal

    overloads = ("\n * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = "
                 "None)\n * (Tensor input, Number min = None, Number max = None, *, Tensor out "
                 "= None)")
    # as written: clip or clamp_ named, keywords as keywords ("got (Tensor, max=Tensor, ...")
    name = next((n for n in ("clamp", "clip", "clamp_", "clip_") if call_site(n)), None)
    if name is not None:
        params = {k: type(v).__name__ for k, v in (("input", input), ("min", lo), ("max", hi))}
        raise TypeError(str(refusal(name, params)) + overloads)
    got = ", ".join(type(v).__name__ for v in (input, lo, hi))
    raise TypeError(f"clamp() received an invalid combination of arguments - got ({got}), but "
                    "expected one of:" + overloads)


def _two_tensors(name: str, input, other) -> None:
    """maximum/minimum take no Python scalars in PyTorch (clamp is the scalar form)."""
    for pos, (arg, v) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(v, Tensor):
            from ._arg_names import as_called

            name, method = as_called(name, Tensor)
            if pos == 2 and method:  # the method form (t.maximum(x)) counts ``other`` as 1
                pos = 1
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{arg_type_name(v)}")



def maximum(input, other):
    _two_tensors("maximum", input, other)
    a, b = promote(input, other)
    return Maximum.apply(a, b)


def minimum(input, other):
    _two_tensors("minimum", input, other)
    a, b = promote(input, other)
    return Minimum.apply(a, b)


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
        if not _WHERE_U8_WARNED[0]:
            from .._warn import warn

            _WHERE_U8_WARNED[0] = True
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
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            from ..creation import tensor

            input = tensor(input)
    if isinstance(condition, Tensor) and condition._vc is not None and (
            getattr(input, "_rg", False) or getattr(other, "_rg", False)):
        refuse_saved_index(condition)  # (PyTorch's WhereBackward0 saves the condition)
    input, other = _checked_ints(input, other), _checked_ints(other, input)
    a, b = promote(input, other)
    return Where.apply(cond, a, b)


def _checked_ints(v, t):
    """A Python int beside an integer tensor, through PyTorch's checked conversion (where
    refuses uint8 300 that arithmetic would wrap)."""
    if type(v) is int and isinstance(t, Tensor) and t._data.dtype.kind in "iu":
        from ._index_write import _checked_number

        return _checked_number(v, t._data.dtype).item()
    return v


# The C++ type PyTorch's clamp-with-number kernels name when their float result cannot go
# back into an integer or bool tensor (every other in-place op prints Long, Int, ...).
_CPP_NAMES = {"int8": "signed char", "int16": "short int", "int32": "int",
              "int64": "long int", "uint8": "unsigned char", "bool": "bool"}


def number_bounds_inplace(op):
    """``clamp_``-style method for ``op``: compute out of place, write back; with number
    bounds a refused cast names the tensor's type as PyTorch's scalar kernel does."""

    def method(self, *args, **kwargs):
        self._check_inplace()
        try:
            return self._write(op(self._graph_input(), *args, **kwargs))
        except RuntimeError as e:
            msg, cpp = str(e), _CPP_NAMES.get(np.dtype(self._data.dtype).name)
            if cpp is None or not msg.startswith("result type ") or \
                    any(isinstance(v, Tensor) for v in (*args, *kwargs.values())):
                raise
            head = msg.partition("desired output type ")[:2]
            raise RuntimeError("".join(head) + cpp) from None

    method.__name__ = op.__name__ + "_"
    return method
