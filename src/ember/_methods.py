"""Tensor's methods and operators: each one is a call into ``ember.ops``.

Binding the op functions directly as methods (``Tensor.exp = ops.exp``) costs nothing per call.
"""

from __future__ import annotations

import numpy as np

from . import _lazy_methods, _storage_info, ops
from . import dtypes as D
from .autograd._inference import ACTIVE as _INF_ACTIVE, MARK as _INF_MARK
from .autograd.grad_mode import STATE
from .ops.power import PowScalar
from .ops._layout import iter_layout as _iter_layout
from .ops.selection import number_bounds_inplace
from .tensor import Tensor
from ._methods_convert import (_cast, _cast_without_storage, _cpu, _cuda, _no_accelerator, to,
                              type_)
from ._ndarray_operands import from_user, inplace_operator, is_array, numpy_computes, refuse_order
from ._new_factories import new_filled, new_full
from ._methods_write import copy_, fill_, zero_
from ._methods_add_mul import _inplace, add_, mul_


def _invert(self):
    """~t: logical not for bool, bitwise not for integers; PyTorch's operator refuses floats
    before reaching bitwise_not's kernel message."""
    kind = self._data.dtype.kind
    if kind == "b":
        return ops.logical_not(self)
    if kind not in "iu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return ops.bitwise_not(self)


def new_tensor(self, data, dtype=None, requires_grad=False, **kw):
    from ._warn import warn
    from .creation import tensor

    if isinstance(data, Tensor):  # PyTorch's nudge, naming this method
        warn("To copy construct from a tensor, it is recommended to use "
             "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
             ".requires_grad_(True), rather than tensor.new_tensor(sourceTensor).")
        data = data._ensure_array()
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad,
                  device=kw.get("device"))


_OPERANDS = (Tensor, int, float, bool, np.ndarray, np.generic)  # (a list: NotImplemented, as PyTorch)
_new = object.__new__
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _bare(out) -> Tensor:
    """A Tensor of ``out`` outside any graph, built without Tensor.__init__'s checks."""
    t = _new(Tensor)
    t._data = out
    t._rg = False
    t.grad_fn = t._grad = t._vc = t._base = t._hooks = None
    if _INF_ACTIVE[0] and STATE.inference:  # an inference tensor (autograd/_inference.py)
        t._vc = _INF_MARK
    return t


def _not_implemented_guard(fn, ufunc=None):
    """Operators return NotImplemented for operands they can't handle (Python's protocol).
    ``ufunc``: what NumPy computes for an array operand in user code (_ndarray_operands.py)."""
    def op(self, other):
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        if ufunc is not None and type(other) is not Tensor and is_array(other) and from_user():
            return numpy_computes(self, other, ufunc)
        return fn(self, other)
    op.__name__ = fn.__name__
    op.__qualname__ = op.__name__  # what TypeErrors name
    return op


def _comparison(fn, symbol: str):
    """``t == other`` & co. An array from user code: PyTorch's tensor refuses it, so ``==``
    is NumPy's elementwise answer (ember's eq), ``!=`` Python's identity fallback (True) and
    the orderings Python's TypeError (_ndarray_operands.py)."""
    def op(self, other):
        kind = type(other)
        if kind is Tensor or kind is int or kind is float:  # (the common cases first)
            return fn(self, other)
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        if symbol != "==" and is_array(other) and from_user():
            if symbol == "!=":
                return True
            refuse_order(self, other, symbol)
        return fn(self, other)
    op.__name__ = op.__qualname__ = fn.__name__
    return op


def _operator(fn, ufunc, prim, reflected=False):
    """``self <op> other`` (or ``other <op> self``) through ``fn``, without a wrapper layer.

    Two float tensors of one dtype take a shortcut past ``fn``'s promotion and checks, which
    have nothing to do for them: recording, straight to the primitive ``fn`` would call (two
    frames fewer, ~0.2 us); recording nothing, the NumPy ufunc and a bare Tensor (``x + y``
    on 64x32: 0.8 us against 1.7 us). A NumPy error (shapes that don't broadcast) goes the
    long way for PyTorch's message.
    """
    def op(self, other):
        if type(other) is Tensor:
            a = self._data
            b = other._data
            dt = a.dtype
            if dt is b.dtype and dt.kind == "f":
                if self._rg or other._rg:
                    return prim.apply(other, self) if reflected else prim.apply(self, other)
                try:
                    out = ufunc(b, a) if reflected else ufunc(a, b)
                except ValueError:
                    pass
                else:
                    if not (b if reflected else a).flags.c_contiguous:  # PyTorch's layout
                        out = _iter_layout(out, b, a) if reflected else _iter_layout(out, a, b)
                    return _bare(out)
        elif type(other) is float or type(other) is int:
            a = self._data
            if not self._rg and (a.dtype is _F32 or a.dtype is _F64):
                # A float tensor and a Python number: NumPy keeps the tensor's dtype, as
                # PyTorch does (0.01 * p.data: 0.9 us against 2.0 us through fn). _bare
                # inline: a frame fewer (a soft target update's tau * p.data).
                t = _new(Tensor)
                t._data = ufunc(other, a) if reflected else ufunc(a, other)
                t._rg = False
                t.grad_fn = t._grad = t._vc = t._base = t._hooks = None
                if _INF_ACTIVE[0] and STATE.inference:
                    t._vc = _INF_MARK
                return t
        elif not isinstance(other, _OPERANDS):
            return NotImplemented
        elif not reflected and is_array(other) and from_user():
            return numpy_computes(self, other, ufunc)  # PyTorch: NumPy's answer, wrapped
        return fn(other, self) if reflected else fn(self, other)
    op.__name__ = fn.__name__
    op.__qualname__ = op.__name__  # what TypeErrors name
    return op


def _matmul_numpy_promoted(self, other, reflected=False):
    """``t @ array``: PyTorch's parser takes no ndarray, so NumPy computes the product, with
    NumPy's promotion (float32 @ float64 is float64, where torch.matmul refuses the mix)."""
    if type(other) is np.ndarray:  # (wrapped here: torch.matmul(t, array) is refused)
        if other.dtype != self._data.dtype:
            dt = np.result_type(self._data.dtype, other.dtype)
            self, other = self.to(D.from_numpy_dtype(dt)), other.astype(dt)
        other = Tensor._make(other, False, None)
    return ops.matmul(other, self) if reflected else ops.matmul(self, other)


def _pow(self, exponent):
    if (type(exponent) is int or type(exponent) is float) and self._data.dtype.kind == "f":
        return PowScalar.apply(self, exponent)  # ops.pow's first case, a call less (x ** 2)
    if isinstance(exponent, _OPERANDS):  # the guard of the other operators, one call less
        if type(exponent) is not Tensor and is_array(exponent) and from_user():
            return numpy_computes(self, exponent, np.power)
        return ops.pow(self, exponent)
    return NotImplemented


def _setup() -> None:
    T = Tensor
    g = _not_implemented_guard
    A = ops.arithmetic
    T.__add__ = _operator(ops.add, np.add, A.Add)
    # number + t is t.add(number), as in PyTorch (the graph lists t first; float16: _half.py)
    T.__radd__ = T.__add__
    T.__sub__ = _operator(ops.sub, np.subtract, A.Sub)
    T.__rsub__ = _operator(ops.sub, np.subtract, A.Sub, True)
    T.__mul__ = _operator(ops.mul, np.multiply, A.Mul)
    # number * t is t.mul(number), as in PyTorch: with float16, torch.mul(number, t) rounds the
    # number to float16 first and t.mul(number) does not (ops/_half.py).
    T.__rmul__ = T.__mul__
    T.__truediv__ = g(ops.div, np.true_divide)
    T.__rtruediv__ = g(lambda s, o: ops.arithmetic.rdiv(s, o))
    T.__floordiv__ = g(ops.floor_divide, np.floor_divide)
    T.__rfloordiv__ = g(lambda s, o: ops.floor_divide(o, s))
    T.__mod__ = g(ops.remainder, np.remainder)
    T.__rmod__ = g(lambda s, o: ops.remainder(o, s))
    T.__pow__ = _pow
    T.__rpow__ = g(lambda s, o: ops.pow(o, s))
    T.__matmul__ = g(_matmul_numpy_promoted, np.matmul)
    T.__rmatmul__ = g(lambda s, o: _matmul_numpy_promoted(s, o, True))
    T.__neg__ = ops.neg
    T.__pos__ = lambda s: s
    T.__abs__ = ops.abs
    T.__invert__ = _invert
    T.__and__ = g(ops.bitwise_and, np.bitwise_and)
    T.__or__ = g(ops.bitwise_or, np.bitwise_or)
    T.__xor__ = g(ops.bitwise_xor, np.bitwise_xor)
    T.__rand__ = g(ops.bitwise_and)
    T.__ror__, T.__rxor__ = g(ops.bitwise_or), g(ops.bitwise_xor)
    for name, symbol in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"),
                         ("ge", ">=")):
        setattr(T, f"__{name}__", _comparison(getattr(ops, name), symbol))
        setattr(T, name, getattr(ops, name))
    T.__getitem__ = ops.getitem
    T.__setitem__ = ops.setitem
    for name, method in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"),
                         ("floordiv", "floor_divide"), ("mod", "remainder"), ("pow", "pow"),
                         ("and", "bitwise_and"), ("or", "bitwise_or"), ("xor", "bitwise_xor")):
        setattr(T, f"__i{name}__", inplace_operator(method, name))
    T.select = ops.select
    _storage_info.bind(T)
    _bind_named_methods(T)
    _lazy_methods.bind(T)


def _bind_named_methods(T) -> None:
    plain = """abs add sub mul div neg pow reciprocal remainder fmod floor_divide float_power
        exp log log2 log10 log1p expm1 sqrt rsqrt sin cos tan tanh sigmoid relu softplus clamp
        clip maximum minimum sign floor ceil trunc round isnan isinf isfinite nan_to_num square
        sum mean prod var std amax amin max min argmax argmin logsumexp norm cumsum cumprod all
        any count_nonzero matmul mm bmm dot mv outer inner reshape view flatten unflatten
        squeeze unsqueeze permute transpose swapaxes swapdims t movedim expand expand_as repeat
        contiguous flip fliplr flipud narrow split chunk tensor_split unbind clone gather
        scatter scatter_add index_select masked_fill masked_select nonzero take equal
        allclose isclose logical_and logical_or logical_xor logical_not sort argsort topk
        unique softmax log_softmax bitwise_and bitwise_or bitwise_xor bitwise_not
        greater greater_equal less less_equal not_equal where broadcast_to var_mean std_mean
        rsub
        tril triu diag diagonal diag_embed trace roll rot90 tile repeat_interleave moveaxis
        take_along_dim kron cross vdot addmv addr baddbmm addbmm
        ravel hsplit vsplit dsplit diagflat diagonal_scatter
        asin acos atan sinh cosh asinh acosh atanh exp2 logit frac sinc deg2rad rad2deg erf
        erfc erfinv lgamma digamma atan2 hypot logaddexp logaddexp2 xlogy copysign fmax fmin
        nansum nanmean median nanmedian cummax cummin logcumsumexp diff multiply divide
        true_divide subtract negative absolute fix sgn clamp_min clamp_max arccos arcsin arctan
        arccosh arcsinh arctanh arctan2
        hardshrink prelu
        positive signbit isposinf isneginf isreal heaviside nextafter ldexp gcd lcm frexp
        mvlgamma""".split()
    for name in plain:
        setattr(T, name, getattr(ops, name))
    T.where = ops.selection.where_method  # (PyTorch's error for a missing other)
    T.split = ops.join_split.split_method  # its size is named split_size
    T.to, T.type, T.cpu, T.cuda = to, type_, _cpu, _cuda
    T.xpu, T.ipu, T.mtia = (_no_accelerator(k) for k in ("xpu", "ipu", "mtia"))
    for name, target in (("float", "float32"), ("double", "float64"), ("half", "float16"),
                         ("long", "int64"), ("int", "int32"), ("bool", "bool"),
                         ("short", "int16"), ("byte", "uint8"), ("char", "int8")):
        setattr(T, name, _cast(target))
    for name in ("bfloat16", "cfloat", "cdouble", "chalf"):
        setattr(T, name, _cast_without_storage(name))
    T.add_, T.mul_, T.zero_, T.fill_, T.copy_ = add_, mul_, zero_, fill_, copy_
    for name in """sub div pow neg abs exp log sqrt sigmoid tanh relu clamp clip
            masked_fill scatter scatter_add floor ceil round sin cos reciprocal
            tril triu addmv addr baddbmm addbmm
            asin acos atan sinh cosh asinh acosh atanh exp2 logit frac sinc deg2rad rad2deg
            erf erfc erfinv lgamma digamma atan2 hypot xlogy copysign multiply divide
            true_divide subtract negative absolute fix sgn clamp_min clamp_max arccos arcsin
            arctan arccosh arcsinh arctanh arctan2
            heaviside nextafter ldexp gcd lcm mvlgamma
            sign trunc tan log2 log10 log1p expm1 rsqrt square remainder fmod
            floor_divide""".split():
        setattr(T, name + "_", _inplace(getattr(ops, name)))
    for name in ("clamp", "clip", "clamp_min", "clamp_max"):  # PyTorch's scalar-kernel error
        setattr(T, name + "_", number_bounds_inplace(getattr(ops, name)))
    for name in ("masked_fill", "masked_fill_"):  # the parser's refusal, worded as the method
        setattr(T, name, ops.masked.as_method(name, getattr(T, name), name.endswith("_")))
    for name in ("scatter", "scatter_", "scatter_add", "scatter_add_"):  # bad-args message
        setattr(T, name, ops.gather_scatter.as_method(name, getattr(T, name)))
    T.gather = ops.gather_scatter.gather_method  # its refusal names 'index' position 2
    T.polygamma = ops.special_fns._polygamma_method
    T.polygamma_ = _inplace(ops.special_fns._polygamma_method)
    T.tile, T.take_along_dim = ops.shape_more.tile_method, ops.shape_more.take_along_dim_method
    T.repeat_interleave = ops.shape_more.repeat_interleave_method
    for name in ("lerp", "addcmul", "addcdiv", "addmm"):
        setattr(T, name, getattr(ops, name))
        setattr(T, name + "_", _inplace(getattr(ops, name)))
    T.new_tensor, T.new_full = new_tensor, new_full
    T.new_zeros, T.new_ones, T.new_empty = (new_filled(0, "new_zeros"), new_filled(1, "new_ones"),
                                            new_filled(0, "new_empty"))
    from ._samplers import sampler as _sampler

    T.uniform_ = _sampler("uniform")
    T.normal_ = _sampler("normal")
    T.bernoulli_ = _sampler("bernoulli")
    for name in ("inverse", "det", "logdet", "slogdet", "cholesky_solve", "cholesky_inverse",
                 "matrix_power", "pinverse"):
        setattr(T, name, getattr(ops, name))


_setup()
