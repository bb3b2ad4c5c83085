"""NumPy's ``axis=`` for ``dim=``: PyTorch's argument parser takes ``axis`` as another name
for ``dim`` in every native function and Tensor method (``x.squeeze(axis=-1)``,
``torch.unsqueeze(x, axis=0)``, ``x.sort(axis=1)``), and refuses both given together."""

from __future__ import annotations

import functools
import inspect


def numpy_names(name: str, dim, keepdim, axis, keepdims, no_dim=None) -> tuple:
    """(dim, keepdim) from NumPy's ``axis=`` / ``keepdims=``, which PyTorch's parser takes as
    other names of a reduction's ``dim`` / ``keepdim``. A name given twice (``x.sum(0,
    axis=1)``) is the parser's TypeError, which names 'axis' whenever axis was given.
    ``no_dim``: the caller's default for dim (an explicit ``dim=None`` alongside axis, or
    ``keepdim=False`` alongside keepdims, cannot be told from the default and is taken)."""
    if axis is not None and not _is(dim, no_dim) or keepdims is not None and keepdim is not False:
        bad = "axis" if axis is not None else "keepdims"
        raise TypeError(f"{name}() got an unexpected keyword argument '{bad}'")
    return (dim if axis is None else axis), (keepdim if keepdims is None else keepdims)


def _is(dim, default) -> bool:
    """Whether dim is the default (an int default such as cat's 0 by value: a dim given as
    0 alongside axis cannot be told from it)."""
    return dim is default or type(default) is int and type(dim) is int and dim == default


def dim_alias(fn, name: str | None = None):
    """``fn`` also taking ``axis=`` for its ``dim`` keyword (not both, as PyTorch)."""
    name = name or fn.__name__
    code = inspect.unwrap(fn).__code__
    params = code.co_varnames[:code.co_argcount]
    at = params.index("dim") if "dim" in params else None  # dim's place, when positional

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if "axis" in kwargs:
            if "dim" in kwargs or at is not None and len(args) > at:
                raise TypeError(f"{name}() got an unexpected keyword argument 'axis'")
            kwargs["dim"] = kwargs.pop("axis")
        return fn(*args, **kwargs)

    op.__wrapped_dim_alias__ = True
    return op


# ops whose own signature has no axis (those with one, sum / mean / cat / cumsum / cummax ...,
# check it themselves; install() leaves any with an axis parameter alone)
# (squeeze and gather, on hot paths, take axis themselves: a wrapper is a call more)
NAMES = ("unsqueeze", "sort", "topk", "index_select", "median", "nanmedian",
         "mode", "nansum", "count_nonzero", "chunk", "repeat_interleave", "diff", "unbind",
         "narrow", "select", "argsort", "tensor_split")


def _has_axis(fn) -> bool:
    try:
        return "axis" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def install(namespace: dict) -> None:
    """Wrap the ops named in NAMES found in ``namespace`` (ember.ops' globals) in place."""
    for name in NAMES:
        fn = namespace.get(name)
        if fn is not None and not getattr(fn, "__wrapped_dim_alias__", False) \
                and not _has_axis(fn):
            namespace[name] = dim_alias(fn, name)
    # the Tensor methods bound from other functions than the ops of the same name
    from . import shape_more

    shape_more.repeat_interleave_method = dim_alias(shape_more.repeat_interleave_method,
                                                    "repeat_interleave")
