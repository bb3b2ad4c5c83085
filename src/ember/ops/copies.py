"""The ``*_copy`` functions (``torch.permute_copy``, ``torch.select_copy``, ...): each view
op's result as a fresh, C-contiguous tensor that shares no memory with its input.

Each runs the view op, copies its values, and hands the copy the view's graph node renamed as
PyTorch names it (``PermuteBackward0_copy``): the gradient is the view's own rule (permute
back, slice back, sum the expanded copies), so first and higher-order gradients match the view.
``out=`` stores the values; as in PyTorch it works when the input requires grad too, and then
``out``'s grad_fn is a node whose backward raises ("derivative ... is not implemented").
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..autograd.grad_mode import STATE
from ..tensor import Tensor

__all__ = ["alias_copy", "as_strided_copy", "detach_copy", "diagonal_copy", "expand_copy",
           "permute_copy", "select_copy", "slice_copy", "split_copy", "split_with_sizes_copy",
           "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy", "unfold_copy",
           "unsqueeze_copy", "view_copy", "values_copy", "indices_copy", "ccol_indices_copy",
           "crow_indices_copy", "col_indices_copy", "row_indices_copy"]

_RENAMED: dict = {}  # a view's node class -> its "<name>_copy" subclass


def _renamed(cls):
    new = _RENAMED.get(cls)
    if new is None:
        new = _RENAMED[cls] = type(cls.__name__ + "_copy", (cls,), {"__slots__": ()})
    return new


def _copy_of(view: Tensor, input: Tensor) -> Tensor:
    """A contiguous copy of ``view`` (a view of ``input``) that takes over its graph node."""
    data = np.array(view._data, copy=True, order="C")
    node = view.grad_fn
    if node is None or node is input.grad_fn:  # no new node was recorded for the view
        # (only if a view op returned its input itself, which none of ember's does today)
        return view.clone() if view._rg else Tensor._make(data, False, None)
    node.__class__ = _renamed(type(node))
    return Tensor._make(data, True, node)


class NotImplementedNode(Primitive):
    """PyTorch's grad_fn for results it has no derivative for (detach_copy, any ``out=`` of a
    *_copy op given an input that requires grad, ldl, histogramdd, scatter's reduce=):
    ``apply(*inputs, data, op)`` records data as depending on the inputs; backward raises."""

    node_name = "NotImplemented"  # as its repr shows (PyTorch's name() adds torch::autograd::)

    @staticmethod
    def forward(ctx, *args):
        ctx.op = args[-1]
        return args[-2]

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"derivative for aten::{ctx.op} is not implemented")


def _write_out(name: str, result: Tensor, input: Tensor, out) -> Tensor:
    """``out=``: out takes result's values (same dtype required, resized with PyTorch's
    warning when its shape differs)."""
    from .._out import _same_dtype_error, write_out

    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out._data.dtype != result._data.dtype:
        raise _same_dtype_error("mm", result._data.dtype, out._data.dtype)
    # an out that requires grad is refused (PyTorch's TensorList outs of split_copy and
    # split_with_sizes_copy skip this check and are written to; unbind_copy's is checked)
    if STATE.enabled and out._rg and name not in ("split_copy", "split_with_sizes_copy"):
        op = name + "()" if name == "unbind_copy" else f"aten::{name}()"
        raise RuntimeError(f"{op}: functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    from ..autograd.grad_mode import no_grad

    with no_grad():
        write_out(name, result.detach(), out)
    if STATE.enabled and input._rg:
        made = NotImplementedNode.apply(input, out._data, name)
        out._rg, out.grad_fn = True, made.grad_fn
    return out


def _single(name: str, view_fn):
    def op(input, *args, out=None, **kwargs):
        if name == "permute_copy" and len(args) > 1:  # Python's message, with our name
            raise TypeError(f"permute_copy() takes 2 positional arguments but {len(args) + 1} "
                            "were given")
        try:
            input._data  # noqa: B018 - the types first, as PyTorch's parser
        except AttributeError:  # a str, list, number: PyTorch's parser error
            from ._int_args import first_not_tensor

            raise first_not_tensor(input=input) from None
        result = _copy_of(view_fn(input, *args, **kwargs), input)
        return result if out is None else _write_out(name, result, input, out)

    op.__name__ = op.__qualname__ = name
    op.__code__ = op.__code__.replace(co_name=name, co_qualname=name)  # errors name it
    op.__doc__ = f"``torch.{name[:-5]}``'s result as a new contiguous tensor (see module doc)."
    return op


# ATen's out-overload names, as PyTorch's size error spells them
_OUT_NAMES = {"split_copy": "split_copy_Tensor_out()",
              "split_with_sizes_copy": "split_with_sizes_copy_out",
              "unbind_copy": "unbind_copy_int_out"}


def _many(name: str, views_fn):
    def op(input, *args, out=None, **kwargs):
        try:
            input._data  # noqa: B018 - the types first, as PyTorch's parser
        except AttributeError:  # a str, list, number: PyTorch's parser error
            from ._int_args import first_not_tensor

            raise first_not_tensor(input=input) from None
        results = [_copy_of(v, input) for v in views_fn(input, *args, **kwargs)]
        if out is None:
            return tuple(results)
        if not isinstance(out, (list, tuple)) or len(out) != len(results):
            raise RuntimeError(f"{_OUT_NAMES[name]} expected an out= argument of size "
                               f"{len(results)}, got size "
                               f"{len(out) if isinstance(out, (list, tuple)) else 1}")
        for r, o in zip(results, out):
            _write_out(name, r, input, o)
        return None

    op.__name__ = op.__qualname__ = name
    op.__code__ = op.__code__.replace(co_name=name, co_qualname=name)  # errors name it
    op.__doc__ = f"``torch.{name[:-5]}``'s pieces, each a new contiguous tensor."
    return op


def _slice(input, dim=0, start=None, end=None, step=1):
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    from ._util import wrap_dim

    if input.dim() == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = wrap_dim(dim, input.dim())
    return input[(slice(None),) * d + (slice(start, end, step),)]


def _view(input, *shape):
    from ..dtypes import dtype as _dtype

    if len(shape) != 1 or not isinstance(shape[0], (list, tuple, _dtype)):
        got = ", ".join(["Tensor"] + [type(s).__name__ for s in shape])
        raise TypeError(f"view_copy() received an invalid combination of arguments - got "
                        f"({got}), but expected one of:\n (Tensor self, tuple of ints size)\n"
                        " (Tensor self, torch.dtype dtype)")
    return input.view(shape[0])


alias_copy = _single("alias_copy", lambda x: x[...])
as_strided_copy = _single("as_strided_copy", lambda x, size, stride, storage_offset=None:
                          x.as_strided(size, stride, storage_offset))
diagonal_copy = _single("diagonal_copy", lambda x, offset=0, dim1=0, dim2=1:
                        x.diagonal(offset, dim1, dim2))
expand_copy = _single("expand_copy", lambda x, size, *, implicit=False: x.expand(size))
permute_copy = _single("permute_copy", lambda x, dims: x.permute(dims))
select_copy = _single("select_copy", lambda x, dim, index: x.select(dim, index))
slice_copy = _single("slice_copy", _slice)
squeeze_copy = _single("squeeze_copy", lambda x, dim=None: x.squeeze() if dim is None
                       else x.squeeze(dim))
t_copy = _single("t_copy", lambda x: x.t())
transpose_copy = _single("transpose_copy", lambda x, dim0, dim1: x.transpose(dim0, dim1))
unfold_copy = _single("unfold_copy", lambda x, dimension, size, step:
                      x.unfold(dimension, size, step))
unsqueeze_copy = _single("unsqueeze_copy", lambda x, dim: x.unsqueeze(dim))
view_copy = _single("view_copy", _view)
split_copy = _many("split_copy", lambda x, split_size, dim=0: x.split(split_size, dim))
split_with_sizes_copy = _many("split_with_sizes_copy", lambda x, split_sizes, dim=0:
                              x.split_with_sizes(split_sizes, dim))
unbind_copy = _many("unbind_copy", lambda x, dim=0: x.unbind(dim))


def detach_copy(input, *, out=None):
    """A copy of ``input``'s values; when it requires grad the result does too, with
    PyTorch's NotImplemented node (its backward raises)."""
    try:
        data = np.array(input._data, copy=True, order="C")
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if STATE.enabled and input._rg:
        result = NotImplementedNode.apply(input, data, "detach_copy")
    else:
        result = Tensor._make(data, False, None)
    return result if out is None else _write_out("detach_copy", result, input, out)


def _sparse_only(name: str, layout: str):
    def op(input, *, out=None):
        raise RuntimeError(f"{name[:-5]} expected {layout} layout but got Strided")

    op.__name__ = op.__qualname__ = name
    op.__code__ = op.__code__.replace(co_name=name, co_qualname=name)  # errors name it
    op.__doc__ = "Sparse tensors only (ember has none): PyTorch's error for a dense tensor."
    return op


values_copy = _sparse_only("values_copy", "sparse tensor")
indices_copy = _sparse_only("indices_copy", "sparse coordinate tensor")
ccol_indices_copy = _sparse_only("ccol_indices_copy", "sparse column compressed tensor")
crow_indices_copy = _sparse_only("crow_indices_copy", "sparse row compressed tensor")
col_indices_copy = _sparse_only("col_indices_copy", "sparse row compressed tensor")
row_indices_copy = _sparse_only("row_indices_copy", "sparse column compressed tensor")
