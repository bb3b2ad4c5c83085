"""NumPy's dispatch protocols on Tensor: ``np.exp(t)`` calls ``ember.exp(t)``.

This is what lets every backward rule in ``ember/ops`` be plain NumPy and still build a graph
when ``create_graph=True``: the engine hands the rule Tensors instead of arrays, and each NumPy
call inside the rule comes back here. Functions with no ember counterpart fall back to NumPy on
the raw data (as ``np.asarray(t)`` would), so plotting libraries keep working.

User code (any caller outside ember) gets what PyTorch's Tensor gets, which has no
``__array_function__`` but an ``__array_wrap__``: NumPy's own implementation runs on the tensor
(np.concatenate([t, t]) an ndarray, np.linspace(t0, t1, n) a Tensor, np.mean(t) the tensor
method's TypeError), and a ufunc outside UFUNCS gives a Tensor (np.isnan(t): uint8).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from . import ops
from .tensor import Tensor


def _div(a, b):
    """a / b; a NumPy number over a tensor is the reflected operator (PyTorch's MulBackward0)."""
    return ops.div(a, b) if isinstance(a, Tensor) else ops.arithmetic.rdiv(b, a)


def _sum(x, axis=None, dtype=None, keepdims=False, **kw):
    return ops.sum(_t(x), axis, keepdims)


def _t(x):
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x), False, None)


def _expand_dims(a, axis):
    return ops.unsqueeze(_t(a), axis)


def _reshape(a, shape, *args, **kw):
    return ops.reshape(_t(a), shape if isinstance(shape, (tuple, list)) else (shape,))


def _where(cond, a, b):
    c = cond._data if isinstance(cond, Tensor) else np.asarray(cond)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return Tensor._make(np.where(c, a, b), False, None)
    return ops.where(Tensor._make(c, False, None), a if isinstance(a, Tensor) else _t(a),
                     b if isinstance(b, Tensor) else _t(b))


def _matmul(a, b, **kw):
    return ops.matmul(_t(a), _t(b))


def _transpose(a, axes=None):
    a = _t(a)
    if axes is None:
        axes = tuple(range(a.ndim - 1, -1, -1))
    return ops.permute(a, tuple(int(x) for x in axes))


UFUNCS = {
    np.add: lambda a, b: ops.add(a, b), np.subtract: lambda a, b: ops.sub(a, b),
    np.multiply: lambda a, b: ops.mul(a, b), np.true_divide: _div,
    np.negative: lambda a: ops.neg(a), np.power: lambda a, b: ops.pow(a, b),
    np.exp: lambda a: ops.exp(a), np.log: lambda a: ops.log(a), np.sqrt: lambda a: ops.sqrt(a),
    np.sin: lambda a: ops.sin(a), np.cos: lambda a: ops.cos(a), np.tanh: lambda a: ops.tanh(a),
    np.tan: lambda a: ops.tan(a), np.log1p: lambda a: ops.log1p(a),
    np.expm1: lambda a: ops.expm1(a), np.log2: lambda a: ops.log2(a),
    np.log10: lambda a: ops.log10(a), np.abs: lambda a: ops.abs(a),
    np.sign: lambda a: ops.sign(a), np.maximum: lambda a, b: ops.maximum(_t(a), _t(b)),
    np.minimum: lambda a, b: ops.minimum(_t(a), _t(b)), np.matmul: _matmul,
    np.floor: lambda a: ops.floor(a), np.trunc: lambda a: ops.trunc(a),
    np.ceil: lambda a: ops.ceil(a), np.square: lambda a: ops.square(a),
    np.greater: lambda a, b: ops.gt(a, b), np.less: lambda a, b: ops.lt(a, b),
    np.greater_equal: lambda a, b: ops.ge(a, b), np.less_equal: lambda a, b: ops.le(a, b),
    np.equal: lambda a, b: ops.eq(a, b), np.not_equal: lambda a, b: ops.ne(a, b),
    np.logical_and: lambda a, b: ops.logical_and(_t(a), b),
    np.logical_not: lambda a: ops.logical_not(a),
    # `np.float32(7) // t`, `np.int64(7) % t`: a NumPy number on the left is a Python number
    # to PyTorch (its reflected operator), so the result is a Tensor of the tensor's dtype
    np.floor_divide: lambda a, b: ops.floor_divide(a, b),
    np.remainder: lambda a, b: ops.remainder(a, b),
}

FUNCTIONS = {
    np.sum: _sum, np.expand_dims: _expand_dims, np.reshape: _reshape, np.where: _where,
    np.swapaxes: lambda a, x, y: ops.transpose(_t(a), x, y),
    np.transpose: _transpose,
    np.broadcast_to: lambda a, shape, **kw: ops.expand(_t(a), tuple(shape)),
    np.take_along_axis: lambda a, idx, axis: ops.gather(
        _t(a), axis, idx if isinstance(idx, Tensor) else Tensor._make(
            np.asarray(idx, np.int64), False, None)),
    np.flip: lambda a, axis=None: ops.flip(_t(a), axis if axis is not None else tuple(
        range(np.ndim(a._data)))),
    np.cumsum: lambda a, axis=None, **kw: ops.cumsum(_t(a), axis) if axis is not None else
    ops.cumsum(_t(a).reshape(-1), 0),  # NumPy's axis=None runs over the flattened array
    np.split: lambda a, idx, axis=0: list(_split(_t(a), idx, axis)),
    np.ndim: lambda a: a._data.ndim, np.shape: lambda a: a._data.shape,
    np.squeeze: lambda a, axis=None: ops.squeeze(_t(a), axis),
    np.concatenate: lambda xs, axis=0, **kw: ops.cat([_t(x) for x in xs], axis),
    np.tile: lambda a, reps: ops.repeat(_t(a), reps),
    np.zeros_like: lambda a, *args, **kw: Tensor._make(np.zeros_like(a._data), False, None),
    np.ones_like: lambda a, *args, **kw: Tensor._make(np.ones_like(a._data), False, None),
}


# NumPy runs these through the Tensor's own method, or on np.asarray(t) wrapped back by
# __array_wrap__: PyTorch gets a Tensor (np.argmax(q) is tensor(2), np.clip(t, -1, 1) a Tensor)
_AS_TENSOR = (np.clip, np.argmax, np.argmin, np.round, np.around, np.argsort)


def _split(a, bounds, axis):
    bounds = [0] + [int(b) for b in bounds] + [a.shape[axis]]
    return [ops.narrow(a, axis, s, e - s) for s, e in zip(bounds[:-1], bounds[1:])]


def _raw(x):
    if isinstance(x, Tensor):
        return x.numpy()
    if isinstance(x, (list, tuple)):
        return type(x)(_raw(i) for i in x)
    return x


def _wrapped(out):
    """What PyTorch's ``Tensor.__array_wrap__`` makes of NumPy's result: a Tensor sharing the
    array, a bool array first cast to uint8 (``np.isnan(t)`` is a uint8 Tensor there)."""
    if isinstance(out, np.generic):  # a reduction to one number: a 0-d Tensor there
        out = np.asarray(out)
    if not isinstance(out, np.ndarray):
        return out
    return Tensor._make(out.astype(np.uint8) if out.dtype == np.bool_ else out, False, None)


def _from_user(depth=2):
    """Whether the call came from user code: the caller's caller (``depth`` frames up) is
    outside ember (ember's own rules keep NumPy's arrays). A lazily bound method's first call
    (``t << a``) runs under _lazy_methods' stand-in: looked past."""
    frame = sys._getframe(depth)
    name = frame.f_globals.get("__name__", "")
    while name == "ember._lazy_methods":
        frame = frame.f_back
        name = frame.f_globals.get("__name__", "")
    return not name.startswith("ember")


def _no_out(kwargs):
    """No output array given (NumPy's own code passes ``out=None`` positionally)."""
    out = kwargs.get("out")
    return out is None or all(o is None for o in (out if isinstance(out, tuple) else (out,)))


_WRAP_WARNING = ("__array_wrap__ must accept context and return_scalar arguments (positionally) "
                 "in the future. (Deprecated NumPy 2.0)")


def _warn_wrap(stacklevel):
    """NumPy 2's DeprecationWarning on PyTorch's one-argument ``Tensor.__array_wrap__``, which
    it gives each time it wraps a result in a tensor (shown by default for a user's own line:
    ``np.isnan(t)`` in a script). (A NumPy number's operator on a tensor, which reaches the
    ufuncs of UFUNCS with the tensor second, gives none: PyTorch's reflected operator.)"""
    warnings.warn(_WRAP_WARNING, DeprecationWarning, stacklevel=stacklevel + 1)


# divmod(np.float32(2), t) reaches NumPy's ufunc with a tensor on its right, where PyTorch's
# tensor answers through its own __rdivmod__ (no wrap, no warning); the bitwise operators
# (np.int64(2) & t) are told from a call of the ufunc by the user's bytecode (_REFLECTED)
_OPERATORS = frozenset((np.divmod,))


# the tensor's reflected operator for a NumPy number on the left (np.int64(2) & t)
_REFLECTED = {np.bitwise_and: "__rand__", np.bitwise_or: "__ror__", np.bitwise_xor: "__rxor__",
              np.left_shift: "__rlshift__", np.right_shift: "__rrshift__"}


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method == "__call__" and len(inputs) == 2 and type(inputs[0]) is not Tensor \
            and isinstance(inputs[1], Tensor) and _from_user():
        from ._ndarray_operands import array_on_left, is_array

        if ufunc in _REFLECTED and isinstance(inputs[0], np.generic) and not kwargs:
            from opcode import opmap  # (here: opcode adds ms to `import ember`)

            frame = sys._getframe(1)  # the operator as written (not np.bitwise_and(n, t))
            if frame.f_code.co_code[frame.f_lasti] == opmap["BINARY_OP"]:
                return getattr(inputs[1], _REFLECTED[ufunc])(inputs[0])

        # a <op> t with an array a (0-d included: np.array(0.5) * t is PyTorch's TypeError):
        # PyTorch's answer, if an operator. (A NumPy number reaches here as itself from an
        # arithmetic operator, np.float64(2) * t, and as a 0-d array from a comparison,
        # np.float64(2) < t: array_on_left leaves that one to ember.)
        if is_array(inputs[0]):
            result = array_on_left(ufunc, inputs, kwargs)
            if result is not None:
                return result
    # np.exp(t), np.add(t, 1) from user code: with the tensor first this is a call of the
    # ufunc (the tensor's own operators answer t * x), so NumPy's answer as PyTorch gets it
    # (below: NumPy's float32 math and promotion, the wrap and its warning, numpy()'s
    # refusal of a tensor that requires grad); ember's rules keep their ops
    mapped = method == "__call__" and not kwargs and (ufunc in UFUNCS or ufunc is np.divide)
    if mapped and not (isinstance(inputs[0], Tensor) and _from_user()):
        return UFUNCS[ufunc](*inputs) if ufunc in UFUNCS else _div(*inputs)
    out = getattr(ufunc, method)(*(_raw(i) for i in inputs), **kwargs)
    # any other ufunc called on a tensor (np.isnan(t), np.arctan2(t, 1), np.maximum.reduce(t)):
    # NumPy hands PyTorch's result to the tensor's __array_wrap__, so the user gets a Tensor
    if (method not in ("at", "outer") and ufunc not in _OPERATORS and _no_out(kwargs)
            and _from_user()):
        _warn_wrap(2)
        return _wrapped(out)
    return out


def array_function(self, func, types, args, kwargs):
    impl = getattr(func, "_implementation", None)
    if impl is not None and _from_user():
        # user code: PyTorch's Tensor has no __array_function__, so NumPy runs its own code on
        # the tensor: np.mean(t) calls t.mean(axis=None, dtype=None, out=None) (PyTorch's
        # TypeError), np.linspace(t0, t1, n) and np.cumprod(t) end in __array_wrap__ (a Tensor:
        # helper_functions.plot_decision_boundary's grid), np.stack([t, t]) in an ndarray
        return impl(*args, **kwargs)
    if func in FUNCTIONS:  # ember's own rules: the Tensor (and its graph) carries on
        return FUNCTIONS[func](*args, **kwargs)
    if func in _AS_TENSOR:  # (a Tensor among the arguments: the result wraps in one)
        out = func(*_raw(args), **{k: _raw(v) for k, v in kwargs.items()})
        return Tensor._make(np.asarray(out), False, None)
    return func(*_raw(args), **{k: _raw(v) for k, v in kwargs.items()})


def array_wrap(self, array, context=None, return_scalar=False):
    """NumPy's last step for a result computed from a tensor (np.cumprod(t), np.ptp(t) when the
    tensor's own method refuses NumPy's keywords): a Tensor, as PyTorch's __array_wrap__."""
    _warn_wrap(2)
    return _wrapped(np.asarray(array))


Tensor.__array_ufunc__ = array_ufunc
Tensor.__array_wrap__ = array_wrap
Tensor.__array_function__ = array_function
