"""Tensor: a NumPy array plus the autograd state around it. No math lives here.

Ops are attached as methods in ``ember/_methods.py``; each one is a thin call into ``ember.ops``.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _transposes, dtypes as D
from ._inplace import InplaceMixin
from ._tensor_convert import ConvertMixin
from ._tensor_hooks import HooksMixin
from ._size_device import CPU, Size, device  # noqa: F401 (re-exported)
from ._tensor_str import format_tensor
from .autograd import engine as _engine
from .autograd import function as _function
from .autograd._node_hooks import HOOKED as _HOOKED
from .autograd._inference import ACTIVE as _INF_ACTIVE, fresh_vc as _fresh_vc
from .autograd._inference import is_inference as _is_inference
from .autograd._inference import DETACHED as _INF_DETACHED, MARK as _INF_MARK
from .autograd._inference import REQUIRES_GRAD as _INF_REQUIRES_GRAD
from .autograd._inference import VERSION as _INF_VERSION


_new = object.__new__
_ONE: dict = {}  # dtype -> NumPy scalar 1 of that dtype: the seed of a 0-d loss



def _view_layout(a) -> None:
    """A view's array keeps PyTorch's strides when detached (``x[:, 5:10].detach().view(15)``
    raises as in PyTorch): noted where view() looks for shared layouts (ops/shape.py)."""
    if not a.flags.c_contiguous:
        from ._from_data import SHARED_STRIDED

        SHARED_STRIDED[id(a)] = a

class Tensor(InplaceMixin, ConvertMixin, HooksMixin):
    """An n-dimensional array that can record the operations applied to it.

    ``_data`` is the NumPy array (or a NumPy scalar for some 0-d results); ``_rg`` is
    requires_grad; ``grad_fn`` is the Node that made it (None for leaves); ``_vc`` is the
    version counter, a one-item list shared with views, created the first time it is needed.
    """

    __slots__ = ("_data", "_rg", "_grad", "grad_fn", "_vc", "_base", "_hooks",
                 "__dict__", "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor gives a Tensor
    _vmap_depth = 0  # set by ember.func.vmap: .item() on its batch entries must raise
    _done = False  # leaves are never "already backpropagated" roots (see autograd.function)

    def __init__(self, *args, **kwargs):
        from ._legacy_ctor import legacy_tensor

        legacy_tensor(self, *args, **kwargs)

    @staticmethod
    def _make(data, requires_grad: bool, grad_fn) -> "Tensor":
        """The fast internal constructor every op result goes through. (Primitive.apply,
        _methods._operator and engine._finish_plain set these same slots inline: a new slot
        goes there too.)"""
        t = _new(Tensor)
        t._data = data
        t._rg = requires_grad
        t.grad_fn = grad_fn
        t._grad = None
        t._vc = _fresh_vc() if _INF_ACTIVE[0] else None  # (an inference tensor's mark)
        t._base = None
        t._hooks = None
        return t

    @staticmethod
    def _dtype_of(np_dtype) -> D.dtype:
        return D.from_numpy_dtype(np_dtype)

    def _ensure_array(self) -> np.ndarray:
        """The data as a writable-in-place ndarray (NumPy 0-d results may be scalars)."""
        d = self._data
        if type(d) is not np.ndarray:
            d = self._data = np.asarray(d)
            if not d.flags.writeable:
                d = self._data = d.copy()
        return d

    # ---- attributes -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        # PyTorch's attribute setter is stricter than requires_grad_(): it refuses any change
        # on a non-leaf (even True) and words the dtype error differently
        if value is not True and value is not False:  # (1, None, np.bool_: refused)
            raise RuntimeError("requires_grad must be a bool")
        if value and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad is not True and requires_grad is not False:  # PyTorch's parser
            import sys

            from ._typename import arg_type_name
            from .ops._int_args import _keywords

            at = "" if "requires_grad" in _keywords(sys._getframe(1)) else " (position 1)"
            raise TypeError(f"requires_grad_(): argument 'requires_grad'{at} must be "
                            f"bool, not {arg_type_name(requires_grad)}")
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients"
            )
        if requires_grad and self._vc is not None and _is_inference(self) \
                and not _function.STATE.inference:
            raise RuntimeError(_INF_REQUIRES_GRAD)
        self._rg = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None, *, axis: int | None = None):
        if axis is not None:  # NumPy's name, which PyTorch's parser takes (not both)
            if dim is not None:
                raise TypeError("size() got an unexpected keyword argument 'axis'")
            dim = axis
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndim = property(dim)

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.dtype.itemsize

    @property
    def dtype(self) -> D.dtype:
        return D._FROM_NP[self._data.dtype]

    @property
    def device(self) -> device:
        return CPU

    is_cuda = False
    is_sparse = False
    is_quantized = False
    is_meta = False

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def get_device(self) -> int:
        return -1

    @property
    def data(self) -> "Tensor":
        """A tensor sharing this one's storage, outside autograd (changes are not tracked)."""
        d = self._data if type(self._data) is np.ndarray else self._ensure_array()
        t = _new(Tensor)  # Tensor._make inline: a soft target update reads .data twice a
        t._data = d  # parameter: two frames fewer each
        t._rg = False
        t.grad_fn = t._grad = t._base = t._hooks = None
        t._vc = _fresh_vc() if _INF_ACTIVE[0] else None
        if self._base is not None:
            _view_layout(d)
        return t

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):  # PyTorch's check (an array, list or number)
            from ._typename import arg_type_name

            raise TypeError(f"Variable data has to be a tensor, but got {arg_type_name(value)}")
        if self._rg and value._data.dtype.kind not in "fc":
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        self._data = value._data

    # the transposes (ember/_transposes.py); real tensors: the conjugate ones are the same
    T = property(_transposes.T)
    mT = property(_transposes.mT)  # noqa: N815 - PyTorch's names
    H, mH = T, mT

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents=None) -> str:
        fn = self.grad_fn
        return format_tensor(
            np.asarray(self._data), self.dtype.name,
            requires_grad=self._rg and fn is None,
            grad_fn_name=None if fn is None else type(fn).__name__,  # (name() may say more)
            # a subclass (x.as_subclass(MyTensor)) prints its class name, as in PyTorch
            prefix="tensor(" if type(self) is Tensor else type(self).__name__ + "(",
        )

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # PyTorch formats a plain 0-d Tensor as its Python number; anything else (a
        # Parameter, a subclass) by object's rule: str() for '', else its TypeError
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)

    def __contains__(self, element) -> bool:
        """``v in t``: whether any entry equals v (PyTorch's (t == v).any())."""
        if not isinstance(element, (Tensor, int, float, bool)):
            raise RuntimeError("Tensor.__contains__ only supports Tensor or scalar, but you "
                               f"passed in a {type(element)}.")
        return bool((self == element).any())

    def __reduce_ex__(self, protocol):
        from .creation import _rebuild

        return (_rebuild, (np.asarray(self._data), self._rg))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            from ._grad_checks import DEEPCOPY_NON_LEAF

            raise RuntimeError(DEEPCOPY_NON_LEAF)
        new = type(self).__new__(type(self))
        Tensor._init_from(new, np.array(self._data, copy=True), self._rg)
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    @property
    def grad(self):
        """The gradient backward accumulated into this leaf (None until then). Reading it on a
        non-leaf that does not retain its gradient warns, as PyTorch: it is never filled."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self.__dict__.get("_retains"):
            from ._grad_checks import NON_LEAF_GRAD

            warnings.warn(NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            from ._grad_checks import check_grad

            check_grad(self, value)
        self._grad = value

    @staticmethod
    def _init_from(t: "Tensor", data, requires_grad: bool) -> None:
        t._data, t._rg, t.grad_fn, t._grad = data, requires_grad, None, None
        t._vc = t._base = t._hooks = None
        if _INF_ACTIVE[0]:
            t._vc = _fresh_vc()

    # ---- autograd ---------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ember.autograd)."""
        if gradient is None and inputs is None and not create_graph and self.grad_fn is not None \
                and self._data.size == 1:
            # The usual loss.backward(): skip the argument handling of autograd.backward.
            d = self._data
            if d.ndim == 0:  # an (immutable, so shareable) NumPy scalar 1: 0.05 us, ones 0.7
                seed = _ONE.get(d.dtype)
                if seed is None:
                    seed = _ONE[d.dtype] = d.dtype.type(1)
            else:
                seed = np.ones(d.shape, d.dtype)
            if _function.STATE.anomaly or _HOOKED[0] and _engine._watched((self,)):
                _engine.run_backward((self,), (seed,), bool(retain_graph), False)
            else:
                _engine.backward_plain(self.grad_fn, seed, bool(retain_graph))
            return
        from .autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (shares storage and the version counter)."""
        t = Tensor._make(self._ensure_array(), False, None)
        if self._base is not None:
            _view_layout(t._data)
        vc = self._vc
        if (vc is _INF_MARK or vc is _INF_DETACHED) and not _function.STATE.inference:
            t._vc = _INF_DETACHED  # PyTorch lets this one be written in place (_inference.py)
        else:
            t._vc = self._shared_vc()
        return t

    def detach_(self) -> "Tensor":
        if self._base is not None and self._vc is not _INF_MARK and self._vc is not _INF_DETACHED:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        if self.grad_fn is not None:
            from .autograd._version_check import mark_detached  # (rare: imported here)

            mark_detached(self)
        self.grad_fn = None
        self._rg = False
        return self

    def _shared_vc(self) -> list:
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        elif vc is _INF_DETACHED:  # a view of a detached inference tensor: PyTorch's plain one
            return _INF_MARK
        return vc

    @property
    def _version(self) -> int:
        if self._vc is None:
            return 0
        if self._vc is _INF_MARK:
            raise RuntimeError(_INF_VERSION)
        if self._vc is _INF_DETACHED:
            return 0
        return int(self._vc[0])  # (a plain int after detach_: see _version_check.Detached)


def _wrap_dim(dim: int, ndim: int) -> int:
    """PyTorch's dim wrapping and its IndexError for out-of-range dims."""
    if type(dim) is int and -ndim <= dim < ndim:  # in range: no max() call (most ops)
        return dim if dim >= 0 else dim + ndim
    if not hasattr(dim, "__index__"):  # dim = n / 2: PyTorch's TypeError, never a float dim
        from .ops._int_args import not_int

        raise not_int(dim)
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


_function.Tensor = Tensor
