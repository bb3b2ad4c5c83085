"""Ops that choose between values: clamp, maximum, minimum (where: _where.py).

Each gradient goes to the input whose value was chosen; ties follow PyTorch's rules (stated in
each docstring). The choice masks are zero-derivative values, so they live on the node.
"""

from __future__ import annotations

import numpy as np

from .._typename import arg_type_name
from ..autograd.function import Primitive
from ..tensor import Tensor
from ._layout import elementwise, relaid
from ._util import as_scalar, bound_array, promote, select
from ._where import Where, where, where_method  # noqa: F401  (where's home until session 21)

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


_CPP_NAMES = {"int8": "signed char", "int16": "short int", "int32": "int",
              "int64": "long int", "uint8": "unsigned char", "bool": "bool"}


def number_bounds_inplace(op):
    """``clamp_``-style method for ``op``: compute out of place, write back; with number
    bounds a refused cast names the tensor's type as PyTorch's scalar kernel does (also for a
    0-d tensor without grad beside a Python number, which PyTorch reads as a Number)."""

    def method(self, *args, **kwargs):
        self._check_inplace()
        try:
            return self._write(op(self._graph_input(), *args, **kwargs))
        except RuntimeError as e:
            msg, cpp = str(e), _CPP_NAMES.get(np.dtype(self._data.dtype).name)
            bounds = [args[i] if i < len(args) else kwargs.get(n)
                      for i, n in enumerate(("min", "max"))]
            if cpp is None or not msg.startswith("result type ") or not all(
                    _number_bound(b, o) for b, o in zip(bounds, bounds[::-1]) if b is not None):
                raise
            head = msg.partition("desired output type ")[:2]
            raise RuntimeError("".join(head) + cpp) from None

    method.__name__ = op.__name__ + "_"
    return method
