"""More Tensor methods: ``*_as`` forms, legacy ``new``, predicates, in-place view and
comparison ops, index-writing ops (the in-place random samplers: ``_methods_random``).
Bound by ``_methods``.
"""

from __future__ import annotations

import sys as _sys

import numpy as np

from . import ops
from .autograd._inference import is_inference as _is_inference
from .autograd.function import Primitive
from .autograd.grad_mode import STATE
from .ops import _scatter_views as SV, index_more as IM
from .ops import strided_more as SM
from .ops.arithmetic import type_name
from ._ndarray_operands import from_user, inplace_operator, is_array, numpy_computes
from .ops.cumulative import _NO_DIM, scan_dim
from .tensor import Tensor


# ---- small methods ---------------------------------------------------------------------
def need_tensor(name: str, other) -> None:
    """PyTorch's parser error for a ``*_as(other)`` method given something else."""
    if not isinstance(other, Tensor):
        from ._typename import arg_type_name

        raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not "
                        f"{arg_type_name(other)}")


def type_as(self, other):
    need_tensor("type_as", other)
    return self.to(other.dtype)


def view_as(self, other):
    need_tensor("view_as", other)
    return self.view(other.shape)


def reshape_as(self, other):
    need_tensor("reshape_as", other)
    return self.reshape(other.shape)


def sum_to_size(self, *size):
    """Sum ``self`` down to ``size`` (which must expand to self's shape)."""
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    size = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
    shape = self._data.shape
    lead = len(shape) - len(size)
    if lead < 0 or any(s not in (1, n) for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    dims = tuple(range(lead)) + tuple(lead + k for k, s in enumerate(size)
                                      if s == 1 and shape[lead + k] != 1)
    if not dims:
        return self
    out = self.sum(dims, keepdim=True)
    return out.reshape(size) if lead else out


def new(self, *args, **kwargs):
    """Legacy constructor: ``x.new(2, 3)`` (uninitialised; zeros here), ``x.new(data)``,
    ``x.new(torch.Size)`` and ``x.new(tensor)`` (same dtype: shares its memory), with
    ``torch.FloatTensor(...)``'s rules for this tensor's dtype."""
    from ._legacy_ctor import legacy_array, refuse_none_data

    if args and args[0] is None:  # x.new(None): no sequence (x.new() is the empty tensor)
        refuse_none_data(args, kwargs)
    data, rest = (args[0], args[1:]) if args else (None, ())
    return type(self)._make(legacy_array(self.dtype, data, rest, True), False, None)


def _options(np_dtype) -> str:
    from .ops.linalg import _C_NAMES

    return (f"TensorOptions(dtype={_C_NAMES[np.dtype(np_dtype).name]}, device=cpu, "
            "layout=Strided, requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


def is_same_size(self, other) -> bool:
    try:
        return self._data.shape == other._data.shape
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from .ops._int_args import first_not_tensor

        raise first_not_tensor(other=other) from None


def is_nonzero(self) -> bool:
    n = self._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(self._data.reshape(-1)[0] != 0)


def pin_memory(self, device=None):
    """PyTorch without an accelerator refuses; so does ember (CPU only)."""
    raise RuntimeError("Cannot access accelerator device when none is available.")


def share_memory_(self):
    """Move this tensor's memory (and that of the tensors viewing it) to shared memory, in
    place, so processes forked or sent it see one copy (see ember.multiprocessing._shm)."""
    from .multiprocessing import _shm

    _shm.share_tensors([self])
    return self


def is_shared(self) -> bool:
    shm = _sys.modules.get("ember.multiprocessing._shm")  # not loaded: nothing is shared
    return shm is not None and shm.arena_of(self._data) is not None


def register_post_accumulate_grad_hook(self, hook):
    """``hook(tensor)`` runs after backward has accumulated this leaf's ``.grad``."""
    from .autograd import engine
    from .autograd.function import _RemovableHandle

    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not self._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    entry = engine.PostAccumulate(self, hook)
    engine.HOOKED[0] = True
    if self._hooks is None:
        self._hooks = []
    self._hooks.append(entry)
    return _RemovableHandle(self._hooks, entry)


# ---- in-place view ops -----------------------------------------------------------------
def _view_inplace(name: str):
    op = getattr(ops, name)

    def method(self, *args, **kwargs):
        base = self._base
        if base is not None and self._rg and STATE.enabled and base._rg and base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")  # (first: before t_'s own check)
        if name == "t" and self._data.ndim > 2:
            raise RuntimeError("t_() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._data.ndim}D")
        self._check_inplace()
        out = op(self, *args, **kwargs)
        self._data = out._data
        if out.grad_fn is not None:
            self.grad_fn = _renamed(out.grad_fn)
        self._bump()
        return self

    method.__name__ = name + "_"
    method.__qualname__ = method.__name__  # what TypeErrors name
    return method


_INPLACE_NAMES: dict = {}


def _renamed(node):
    """PyTorch numbers the in-place forms' nodes apart (SqueezeBackward0 -> 3, TBackward0 ->
    1): the same node under that name (a subclass made once per name)."""
    cls = type(node)
    sub = _INPLACE_NAMES.get(cls)
    if sub is None:
        name = cls.__name__
        k = int(name[-1]) + (3 if name.startswith("Squeeze") else 1)
        sub = _INPLACE_NAMES[cls] = type(name[:-1] + str(k), (cls,), {"__slots__": ()})
    node.__class__ = sub
    return node


# ---- in-place comparisons: recorded with a zero gradient, as PyTorch ------------------------
class _Overwrite(Primitive):
    """y = values that do not depend on x (a comparison, a random draw);  dL/dx = 0."""

    @staticmethod
    def forward(ctx, x, values):
        y = np.asarray(values).astype(x.dtype)
        # zero_ passes one 0-d zero: the result (and so the gradient x gets) has x's shape,
        # which writing through a view (CopySlices) needs
        return y if y.shape == x.shape else np.broadcast_to(y, x.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


_NODES: dict = {}


def _overwrite(node_name: str):
    cls = _NODES.get(node_name)
    if cls is None:
        cls = _NODES[node_name] = type(node_name, (_Overwrite,), {"node_name": node_name})
    return cls


def _compare_inplace(name: str, node: str):
    op = getattr(ops, name)

    def method(self, other):
        self._check_inplace()
        res = op(self, other)
        if STATE.enabled and self._rg:
            tag = "1" if isinstance(other, type(self)) else "0"
            res = _overwrite(node + "Backward" + tag).apply(self._graph_input(), res._data)
        return self._write(res)

    method.__name__ = name + "_"
    method.__qualname__ = method.__name__  # what TypeErrors name
    return method


def _inplace(op, name=None):
    def method(self, *args, **kwargs):
        self._check_inplace()
        return self._write(op(self._graph_input(), *args, **kwargs))

    method.__name__ = name or op.__name__ + "_"
    method.__qualname__ = method.__name__  # what TypeErrors name
    return method


def _same_dtype_inplace(name: str):
    op = getattr(ops, name)

    def method(self, dim=_NO_DIM, *, dtype=None, axis=_NO_DIM):
        dim = scan_dim(name + "_", dim, axis)
        if dtype is not None:
            from . import dtypes as D

            want = D.to_np(dtype)
            if want != self._data.dtype:
                from .ops.linalg import _C_NAMES as C

                raise RuntimeError(f"Bad in-place call: input tensor dtype {C[self.dtype.name]} "
                                   f"and output tensor dtype {C[want.name]} should match")
        return _inplace(op)(self, dim)

    method.__name__ = name + "_"
    method.__qualname__ = method.__name__  # what TypeErrors name
    return method


def float_power_(self, exponent):
    if not (isinstance(exponent, Tensor) or ops.power.is_scalar(exponent)):
        ops.power._refuse_pow("float_power", self, exponent)  # (the parser, before the dtype)
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype "
                           f"{type_name(self._data.dtype)} but the operation's result requires "
                           "dtype Double")
    return _inplace(ops.float_power)(self, exponent)


def _shift_operator(fn, reflected=False, ufunc=None):
    def op(self, other):
        if not isinstance(other, (type(self), int, bool, np.integer, np.ndarray, float)):
            return NotImplemented
        if ufunc is not None and is_array(other) and from_user():
            return numpy_computes(self, other, ufunc)  # (_ndarray_operands.py)
        return fn(other, self) if reflected else fn(self, other)

    return op


def masked_scatter_(self, mask, source):
    """In place the mask expands to self's shape (it may not be larger, unlike the out-of-place
    form, which broadcasts both)."""
    if mask._data.ndim > self._data.ndim:
        raise RuntimeError(f"expand(CPUBoolType{{{list(mask._data.shape)}}}, size="
                           f"{list(self._data.shape)}): the number of sizes provided "
                           f"({self._data.ndim}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({mask._data.ndim})")
    return _inplace(IM.masked_scatter, "masked_scatter_")(self, mask, source)


# ---- binding -----------------------------------------------------------------------------
_COMPARE = (("eq", "Eq"), ("ne", "Ne"), ("lt", "Lt"), ("le", "Le"), ("gt", "Gt"), ("ge", "Ge"),
            ("greater", "Gt"), ("greater_equal", "Ge"), ("less", "Lt"), ("less_equal", "Le"),
            ("not_equal", "Ne"))


def bind(T) -> None:
    """Install these methods on Tensor (called once from ``_methods``)."""
    from ._methods_random import (bernoulli, bernoulli_, cauchy_, exponential_, geometric_,
                                  log_normal_, multinomial, normal_, random_, uniform_)

    for f in (type_as, view_as, reshape_as, sum_to_size, new, is_nonzero, pin_memory,
              share_memory_, register_post_accumulate_grad_hook, float_power_, random_,
              exponential_, cauchy_, log_normal_, geometric_, bernoulli, multinomial,
              normal_, uniform_, bernoulli_):
        setattr(T, f.__name__, f)
    T.is_cpu = property(lambda self: True)
    T.is_signed = lambda self: self.dtype.is_signed
    T.is_same_size = is_same_size
    T.is_inference = _is_inference
    T.is_pinned = lambda self, device=None: False
    T.is_shared = is_shared
    T.output_nr = property(lambda self: 0)
    for name in ("squeeze", "unsqueeze", "t", "transpose", "swapaxes", "swapdims"):
        setattr(T, name + "_", _view_inplace(name))
    for name, node in _COMPARE:
        setattr(T, name + "_", _compare_inplace(name, node))
    for name in ("logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
                 "bitwise_or", "bitwise_xor", "bitwise_not", "nan_to_num"):
        setattr(T, name + "_", _inplace(getattr(ops, name), name + "_"))
    T.cumsum_, T.cumprod_ = _same_dtype_inplace("cumsum"), _same_dtype_inplace("cumprod")
    lsh, rsh = SM.bitwise_left_shift, SM.bitwise_right_shift
    T.bitwise_left_shift, T.bitwise_right_shift = lsh, rsh
    T.bitwise_left_shift_ = _inplace(lsh, "bitwise_left_shift_")
    T.bitwise_right_shift_ = _inplace(rsh, "bitwise_right_shift_")
    T.__lshift__ = _shift_operator(lsh, ufunc=np.left_shift)
    T.__rshift__ = _shift_operator(rsh, ufunc=np.right_shift)
    T.__rlshift__, T.__rrshift__ = _shift_operator(lsh, True), _shift_operator(rsh, True)
    T.__ilshift__ = inplace_operator("bitwise_left_shift", "lshift")
    T.__irshift__ = inplace_operator("bitwise_right_shift", "rshift")
    T.renorm, T.renorm_ = SM.renorm, _inplace(SM.renorm, "renorm_")
    T.scatter_reduce = SM.scatter_reduce_method
    T.scatter_reduce_ = _inplace(SM.scatter_reduce_inplace, "scatter_reduce_")
    T.unfold, T.as_strided = SM.unfold, SM.as_strided
    for name in ("index_add", "index_copy", "index_fill", "index_put", "masked_scatter", "put"):
        fn = getattr(IM, name)
        setattr(T, name, fn)
        setattr(T, name + "_", _inplace(fn, name + "_"))
    T.index_put = IM.index_put_method
    T.index_put_ = _inplace(IM.index_put_inplace, "index_put_")
    T.masked_scatter_ = masked_scatter_
    T.select_scatter, T.slice_scatter = SV.select_scatter, SV.slice_scatter
    T.fill_diagonal_ = SV.fill_diagonal_
