"""A Tensor and a NumPy array in one operator, as PyTorch 2.13 runs it.

PyTorch's Tensor operators take no ndarray. ``t * a`` returns NotImplemented, so Python asks
the array (``a.__rmul__(t)``): NumPy computes on ``t.numpy()`` with NumPy's own promotion
(float32 * an int64 array is float64, a 0-d float64 array makes float64) and hands its result
to ``Tensor.__array_wrap__``: a new Tensor (a bool result as uint8) and NumPy 2's
DeprecationWarning, never a graph. A tensor that requires grad cannot be read that way
(``numpy()``'s RuntimeError). Then, from the same protocol:

- in-place operators give NotImplemented, so ``t += a`` rebinds ``t`` to ``t + a`` (a new
  tensor: the old one, and anything sharing it, is unchanged);
- the array on the left (``a * t``) is refused: NumPy defers to the tensor, whose reflected
  operator refuses the array (Python's TypeError), except ``a / t``, which PyTorch computes as
  ``t.reciprocal() * a`` (the product then NumPy's, as above);
- ``<``, ``<=``, ``>``, ``>=`` are refused either way round; ``t != a`` falls back to Python's
  identity test (True); ``t == a`` compares elementwise (ember's ``eq``, as PyTorch's).

Only user code goes this way. ember's own rules pass arrays to Tensor operators on purpose
(a ``create_graph`` backward multiplies a Tensor gradient by a saved array) and keep their
graph, so each entry point asks ``from_user`` (_numpy_protocol's) first; it runs only when an ndarray operand
has been seen, never on the Tensor-Tensor or Tensor-number paths.
"""

from __future__ import annotations

import sys

import numpy as np

from ._numpy_protocol import _from_user as from_user, _warn_wrap, _wrapped
from ._typename import class_name
from .autograd.grad_mode import STATE

_GRAD_MESSAGE = ("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                 "instead.")

# each operator's ufunc (what NumPy's reflected operator calls) and Python's symbol
SYMBOLS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
           np.floor_divide: "//", np.remainder: "%", np.power: "**", np.matmul: "@",
           np.bitwise_and: "&", np.bitwise_or: "|", np.bitwise_xor: "^", np.left_shift: "<<",
           np.right_shift: ">>"}
_ORDERING = {np.less: "<", np.less_equal: "<=", np.greater: ">", np.greater_equal: ">="}


def is_array(x) -> bool:
    """An ndarray operand (NumPy scalars, ``np.float64(2)``, are numbers to PyTorch). A
    matrix or masked array answers with its own reflected operator first: ember keeps its
    answer for those. (numpy.ma is looked up, not imported: touching np.ma at import costs
    ~7 ms of `import ember`; no masked array exists until a program imports it.)"""
    if type(x) is np.ndarray:
        return True
    if not isinstance(x, np.ndarray) or isinstance(x, np.matrix):
        return False
    ma = sys.modules.get("numpy.ma")
    return ma is None or not isinstance(x, ma.MaskedArray)


def numpy_computes(t, a: np.ndarray, ufunc):
    """``t <op> a``: NumPy's answer on t's array, wrapped as PyTorch's __array_wrap__ does.
    Called from a Tensor operator called by user code (the warning points at their line)."""
    if t._rg and STATE.enabled:  # (t.numpy()'s check)
        raise RuntimeError(_GRAD_MESSAGE)
    out = ufunc(np.asarray(t._data), a)
    _warn_wrap(3)
    return _wrapped(out)


def refuse_order(t, a, symbol: str):
    """``t < a`` (and ``a > t``, which NumPy hands back to the tensor): Python's TypeError."""
    raise TypeError(f"'{symbol}' not supported between instances of "
                    f"'{class_name(type(t))}' and '{class_name(type(a))}'")


def array_on_left(ufunc, inputs, kwargs):
    """What ``a <op> t`` (an array on the left, a Tensor on the right, in user code) gives
    in PyTorch, or None when this is not such an operator (``np.add(a, t)`` called by name:
    NumPy's ufunc, handled by the caller). NumPy reaches the tensor's __array_ufunc__ for both,
    so the user's bytecode tells them apart: BINARY_OP or COMPARE_OP is the operator."""
    from opcode import opmap  # (here: dis/opcode would add ~2-9 ms to `import ember`)

    frame = sys._getframe(2)
    code = frame.f_code.co_code[frame.f_lasti]
    _BINARY_OP, _COMPARE_OP = opmap["BINARY_OP"], opmap["COMPARE_OP"]
    a, t = inputs
    if code == _COMPARE_OP:
        if not a.ndim:  # (np.float64(2) < t: NumPy made a 0-d array of its number)
            return None
        if ufunc in _ORDERING:
            refuse_order(a, t, _ORDERING[ufunc])
        if ufunc is np.not_equal:
            return True  # Python's fallback for !=: the two are different objects
        return None  # (==: elementwise, ember's eq)
    if code != _BINARY_OP or ufunc not in SYMBOLS:
        return None
    symbol = SYMBOLS[ufunc] + ("=" if kwargs.get("out") is not None else "")
    if ufunc is np.true_divide:  # PyTorch's __rtruediv__: t.reciprocal() * a
        recip = t.reciprocal()
        if recip._rg and STATE.enabled:
            raise RuntimeError(_GRAD_MESSAGE)
        out = np.multiply(np.asarray(recip._data), a)
        _warn_wrap(1)  # (raised inside PyTorch's _tensor.py there: hidden by default)
        return _wrapped(out)
    if symbol in ("+", "+="):  # Python tries the array's sequence concatenation last
        raise TypeError("Concatenation operation is not implemented for NumPy arrays, use "
                        "np.concatenate() instead. Please do not rely on this error; it may "
                        "not be given on all Python implementations.")
    if symbol == "**":
        symbol = "** or pow()"
    raise TypeError(f"unsupported operand type(s) for {symbol}: '{class_name(type(a))}' and "
                    f"'{class_name(type(t))}'")


def inplace_operator(method: str, name: str):
    """``t <name>= other`` as ``t.<method>_(other)`` (``t //= 2`` is ``t.floor_divide_(2)``);
    an array from user code gets NotImplemented, so Python computes ``t <op> other`` instead
    and rebinds (see the module docstring)."""
    method = method + "_"

    def op(self, other):
        if isinstance(other, np.ndarray) and is_array(other) and from_user():
            return NotImplemented
        return getattr(self, method)(other)

    op.__name__ = op.__qualname__ = f"__i{name}__"
    return op
