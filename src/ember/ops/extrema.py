"""max, min, amax, amin, argmax, argmin: reductions that pick entries instead of adding them.

The gradient of a picked value goes back to the entry (or entries) it was picked from; the
masks saying which are computed in forward and kept on the node (zero-derivative values).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..return_types import make as make_return_type
from ..tensor import Tensor
from ._axis_alias import numpy_names
from ._layout import reduced
from ._numpy_method_call import ABSENT, numpy_call
from ._util import dims, keep_reduced as _keep
from .selection import maximum as _maximum, minimum as _minimum


def _return_type(name: str) -> type:
    """PyTorch's ``torch.return_types.<name>``: a (values, indices) tuple with its repr."""
    return make_return_type(name, ("values", "indices"))


RETURN_TYPES = {n: _return_type(n) for n in ("max", "min", "sort", "topk", "kthvalue", "mode",
                                             "median", "nanmedian", "cummax", "cummin")}


def values_indices(values, indices, name: str):
    """The (values, indices) result of op ``name``, as PyTorch returns and prints it."""
    return RETURN_TYPES[name](values, indices)


def _reduced_axes(x: np.ndarray, dim):
    """amax's dims: () or None mean all; a 0-d input reduces nothing."""
    if dim is None or isinstance(dim, (tuple, list)) and len(dim) == 0:
        return None
    axes = dims(dim, x.ndim)
    return () if x.ndim == 0 else axes


class Amax(Primitive):
    """y = max over axes;  dy/dx = 1/k at the k entries equal to the max (ties share), else 0.

    ``nan_peak`` (full ``max()``/``min()``, as PyTorch): a nan result counts as equal to the nan
    entries, so they get the gradient; otherwise a nan result gives nan gradients (amax).
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim, use_min, nan_peak=False):
        y = (np.min if use_min else np.max)(x, axis=axes, keepdims=True)
        if ctx.needs_input_grad:  # the masks are only for backward
            mask = x == y
            if nan_peak and x.dtype.kind == "f":
                mask |= np.isnan(x) & np.isnan(y)
            ctx.mask, ctx.count = mask, np.sum(mask, axis=axes, keepdims=True)
            ctx.axes, ctx.keepdim, ctx.ndim = axes, keepdim, np.ndim(x)
        return reduced(y if keepdim else (np.squeeze(y, axis=axes) if axes is not None
                                          else y.reshape(())), x)

    @staticmethod
    def backward(ctx, g):
        g = _keep(g, ctx.axes, ctx.keepdim) if ctx.axes is not None else np.reshape(
            g, (1,) * ctx.ndim)
        return (g * ctx.mask / ctx.count, None, None, None, None)


# The same rule under the names PyTorch gives each spelling (they show in printed grad_fns).
_AMAX = {"amax": Amax, "amin": type("Amin", (Amax,), {}),
         "max": type("MaxAll", (Amax,), {"node_name": "MaxBackward1"}),
         "min": type("MinAll", (Amax,), {"node_name": "MinBackward1"}),
         "aminmax": type("Aminmax", (Amax,), {"node_name": "AminmaxBackward0"})}


def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names('amax', dim, keepdim, axis, keepdims, ())
    return _extreme(input, dim, keepdim, False, "amax")


def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names('amin', dim, keepdim, axis, keepdims, ())
    return _extreme(input, dim, keepdim, True, "amin")


def _extreme(input, dim, keepdim, use_min, name):
    if keepdim is not False and keepdim is not True:  # amax(x, 0, 1): PyTorch wants a bool
        _refuse_keepdim(input, dim, keepdim)
    try:
        x = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import not_tensor

        raise not_tensor(input) from None
    axes = _reduced_axes(x, dim)
    _check_nonempty(x, axes, name)
    nan_peak = name in ("max", "min")
    return _AMAX[name].apply(input, axes, bool(keepdim), use_min, nan_peak)


def _check_nonempty(x, axes, name, hint=True) -> None:
    """PyTorch's errors for max-like reductions over nothing."""
    if x.size:
        return
    if axes is None:
        raise (RuntimeError if hint else IndexError)(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            + (" Specify the reduction dim with the 'dim' argument." if hint else ""))
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


class MaxDim(Primitive):
    """y = x at the arg-max along a dim;  dy/dx = 1 at that index, 0 elsewhere."""

    node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim, idx):
        ctx.zero_d = zero_d = np.ndim(x) == 0  # (ctx is write-only in forward)
        if zero_d:  # a single entry: itself
            return np.array(x, copy=True)
        ctx.idx, ctx.dim, ctx.keepdim, ctx.n = idx, dim, keepdim, np.shape(x)[dim]
        y = np.take_along_axis(x, idx, axis=dim)
        return reduced(y if keepdim else y.squeeze(dim), x)

    @staticmethod
    def backward(ctx, g):
        if ctx.zero_d:
            return (g, None, None, None)
        g = g if ctx.keepdim else np.expand_dims(g, ctx.dim)
        shape = [1] * np.ndim(ctx.idx)
        shape[ctx.dim] = ctx.n
        hit = np.arange(ctx.n).reshape(shape) == ctx.idx  # one-hot at the chosen index
        return (np.where(hit, g, 0), None, None, None)


class MinDim(MaxDim):
    node_name = "MinBackward0"


def _max_min(input, dim, keepdim, use_min, other=None):
    if other is not None:
        return (_minimum if use_min else _maximum)(input, other)
    name = "min" if use_min else "max"
    if dim is None:
        return _extreme(input, None, False, use_min, name)
    d = dims(dim, input._data.ndim)[0]
    x = input._data
    if x.ndim == 0:
        values = (MinDim if use_min else MaxDim).apply(input, 0, keepdim, None)
        return values_indices(values, Tensor._make(np.array(0), False, None), name)
    _check_nonempty(x, (d,), name)
    # (the methods with keepdims: np.expand_dims(np.argmax(...)) cost ~2 us more, per DQN
    # target's max(dim=1))
    idx = (x.argmin if use_min else x.argmax)(axis=d, keepdims=True)
    values = (MinDim if use_min else MaxDim).apply(input, d, bool(keepdim), idx)
    indices = idx if keepdim else idx.squeeze(d)
    return values_indices(values, Tensor._make(indices.astype(np.int64), False, None), name)


def _one_dim(name: str, dim, keepdim_given: bool = False) -> None:
    """max/min reduce one dim (amax/amin take several): PyTorch's parser refuses a tuple,
    worded from the call as written (torch.max(x, dim=(1, 2)): "got (Tensor, dim=tuple)");
    the method with a keepdim fails on its one overload with both: "argument 'dim' must be
    int" ("(position 1)" when dim is positional)."""
    if not isinstance(dim, (tuple, list)):
        return
    from .._call_site import call_site, refusal

    kind = type(dim).__name__
    overloads = ("\n * (Tensor input)\n * (Tensor input, Tensor other)\n * (Tensor input, "
                 "int dim, bool keepdim = False)\nHint: "
                 f"torch.a{name}(x, dim=(...)) reduces over several dims.")
    site = call_site(name)
    if site is not None and site[0] and keepdim_given:
        at = "" if "dim" in site[2] else " (position 1)"
        raise TypeError(f"{name}(): argument 'dim'{at} must be int, not {kind}")
    if site is not None:
        params = {"input": "Tensor", "dim": kind}
        if keepdim_given:
            params["keepdim"] = "bool"
        raise TypeError(str(refusal(name, params)) + overloads)
    raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                    f"{kind}), but expected one of:" + overloads)


class _Unset:
    """The default of max/min's dim and keepdim: PyTorch's overloads without a dim take no
    keepdim and none takes a None dim, so x.max(keepdim=True) and x.max(dim=None) are refused
    while x.max() and x.max(0) are not."""

    __slots__ = ()

    def __bool__(self):
        return False

    def __repr__(self):
        return "False"


_UNSET = _Unset()


def max(input, dim=_UNSET, keepdim=_UNSET, *, other=None,  # noqa: A001
        axis=None, keepdims=None, out=ABSENT):
    if out is not ABSENT:  # np.max(tensor) / np.amax(tensor): NumPy's call
        raise numpy_call("max", None if dim is _UNSET else dim, axis, None, keepdims, out, False)
    dim, keepdim, other = _extreme_args("max", input, dim, keepdim, other, axis, keepdims)
    return _max_min(input, dim, keepdim, False, other)


def min(input, dim=_UNSET, keepdim=_UNSET, *, other=None,  # noqa: A001
        axis=None, keepdims=None, out=ABSENT):
    if out is not ABSENT:  # np.min(tensor) / np.amin(tensor): NumPy's call
        raise numpy_call("min", None if dim is _UNSET else dim, axis, None, keepdims, out, False)
    dim, keepdim, other = _extreme_args("min", input, dim, keepdim, other, axis, keepdims)
    return _max_min(input, dim, keepdim, True, other)


def _extreme_args(name: str, input, dim, keepdim, other, axis, keepdims) -> tuple:
    """max's and min's (dim, keepdim, other) as PyTorch's overloads read them."""
    keepdim_given = keepdim is not _UNSET
    if dim is None or (dim is _UNSET and keepdim is not _UNSET and axis is None):
        _refuse_dim(name, dim, keepdim, other)
    if dim is _UNSET:
        dim = None
    if keepdim is _UNSET:
        keepdim = False
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names(name, dim, keepdim, axis, keepdims)
    if keepdim is not False and keepdim is not True:  # max(x, y, True), max(x, 0, 1)
        _refuse_keepdim(input, dim, keepdim)
    if isinstance(dim, Tensor):  # max(x, y): y is ``other``, and no keepdim goes with it
        if keepdim is not False:
            _refuse_keepdim(input, dim, keepdim)
        dim, other = None, dim
    _one_dim(name, dim, keepdim_given)
    return dim, keepdim, other


def _refuse_dim(name: str, dim, keepdim, other) -> None:
    """A None dim (x.max(dim=None)) or a keepdim without a dim (x.max(keepdim=True),
    torch.max(x, other=y, keepdim=False)) fits none of PyTorch's overloads: its parser's
    TypeError, worded from the call as written. The method with a None dim and a keepdim
    fails on its one overload with both: "argument 'dim' must be int"."""
    from .._call_site import call_site, refusal

    if dim is None and keepdim is not _UNSET:
        site = call_site(name)
        if site and site[0]:
            at = " (position 1)" if site[1] >= 1 else ""
            raise TypeError(f"{name}(): argument 'dim'{at} must be int, not NoneType")
    params = {"input": "Tensor", "dim": "NoneType"}
    if keepdim is not _UNSET:
        params["keepdim"] = type(keepdim).__name__
    if other is not None:
        params["other"] = type(other).__name__
    raise refusal(name, params)


def _refuse_keepdim(input, dim, keepdim) -> None:
    """PyTorch's parser refuses a keepdim that is no bool, and a keepdim beside a Tensor
    ``other`` (max(x, y, True)): the error of the one overload that takes that many
    arguments, or the list of overloads."""
    from ._int_args import bad_arg, bad_keepdim

    if isinstance(dim, Tensor):
        raise bad_arg(dim, "dim", "int")
    raise bad_keepdim(keepdim, dim, input._data.ndim)


def _arg(fn, input, dim, keepdim):
    try:
        x = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import not_tensor

        raise not_tensor(input) from None
    if type(keepdim) is not bool:  # (0, None, numpy.bool: PyTorch's parser refuses them)
        from ._int_args import bad_keepdim

        raise bad_keepdim(keepdim, dim, x.ndim)
    if dim is None and not keepdim and x.size and x.dtype.kind in "fiu":
        # The usual q.argmax() of a greedy action: a NumPy int64 scalar as the 0-d result
        # (Tensor allows that), by the array's method (np.argmax's dispatch costs 0.8 us),
        # without the checks below that cannot fail here: 1.7 -> 0.7 us.
        i = x.argmax() if fn is np.argmax else x.argmin()
        return Tensor._make(np.int64(i), False, None)
    name = "argmin" if fn is np.argmin else "argmax"
    if x.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        _check_nonempty(x, None, name, hint=False)
        r = np.asarray(fn(x))
        if keepdim:
            r = r.reshape((1,) * x.ndim)
    else:
        d = dims(dim, x.ndim)[0]
        if x.ndim:
            _check_nonempty(x, (d,), name)
        if not x.ndim:
            r = np.asarray(0)
        else:  # the array's method: np.argmax's dispatch costs ~0.8 us more
            r = reduced((x.argmax if fn is np.argmax else x.argmin)(axis=d,
                                                                    keepdims=bool(keepdim)), x)
    return Tensor._make(np.asarray(r, dtype=np.int64), False, None)


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    if axis is None and keepdims is None and type(input) is Tensor:
        x = input._data
        if dim is None and keepdim is False:  # q.argmax() of a greedy action: _arg's first case,
            if x.size and x.dtype.kind in "fiu":  # a frame less (an RL loop, every step)
                return Tensor._make(np.int64(x.argmax()), False, None)
        elif type(dim) is int and type(keepdim) is bool and type(x) is np.ndarray \
                and x.ndim == 2 and -2 <= dim < 2 and x.size and x.dtype.kind in "fiu" \
                and x.flags.c_contiguous:
            # q.argmax(1) of a batch of Q-values (DQN's targets, every update): _arg's
            # result where none of its checks can fail (2.1 -> 0.9 us alone)
            return Tensor._make(x.argmax(axis=dim, keepdims=keepdim), False, None)
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names('argmax', dim, keepdim, axis, keepdims)
    return _arg(np.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names('argmin', dim, keepdim, axis, keepdims)
    return _arg(np.argmin, input, dim, keepdim)
