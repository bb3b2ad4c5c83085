"""Convolutions' argument handling, as PyTorch's: stride/padding/dilation tuples, 'same'
and 'valid' padding, and the shape, group and dtype checks in PyTorch's order (_conv.py)."""

from __future__ import annotations

import operator

import numpy as np

from ...ops.arithmetic import type_name
from ...ops.linalg import _C_NAMES
from ..._typename import arg_type_name as _type_name
from ...tensor import Tensor

_index = operator.index


def _ntuple(v, n: int, name: str) -> tuple:
    try:
        vals = (_index(v),) * n if isinstance(v, (int, np.integer)) else tuple(map(_index, v))
    except TypeError:  # stride=n / 2: PyTorch's TypeError, never truncated
        from ...ops._int_args import not_int

        raise not_int(v if not isinstance(v, (tuple, list)) else next(
            a for a in v if not hasattr(a, "__index__"))) from None
    if len(vals) == 1 and n > 1:
        vals = vals * n
    if len(vals) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the convolution dimensions, but got {name}="
                           f"{list(vals)}")
    return vals


def _padding(padding, n: int, k: tuple, stride: tuple, dilation: tuple) -> tuple:
    """((lo, hi) per spatial dim); 'same' puts the odd extra on the high side, as PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: {padding!r}")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [d * (kk - 1) for d, kk in zip(dilation, k)]
        if any(t % 2 for t in total):  # PyTorch's TORCH_WARN_ONCE for uneven 'same' padding
            from ..._config import warn_once

            warn_once("Using padding='same' with even kernel lengths and odd dilation may "
                      "require a zero-padded copy of the input be created")
        return tuple((t // 2, t - t // 2) for t in total)
    pads = _ntuple(padding, n, "padding")
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in pads)


_LOWER = _C_NAMES  # C++ type names, as in PyTorch's messages


def _check_conv(x: Tensor, w: Tensor, b: Tensor | None, groups: int, n: int,
                pads: tuple = ()) -> None:
    name = f"conv{n}d"
    if x.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    ws = list(w.shape)
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size [{ws}] instead")
    shape = list(x.shape) if x.dim() == n + 2 else [1] + list(x.shape)
    for i, (lo, hi) in enumerate(pads):  # uneven 'same': PyTorch pads the extra first
        shape[2 + i] += hi - lo
    if shape[1] != ws[1] * groups:
        hint = (f"\nHint: dimension 1 of the input holds the channels; the layer was built "
                f"with in_channels={ws[1] * groups}.")
        if n == 2 and len(shape) == 4 and shape[3] == ws[1] * groups:
            hint = ("\nHint: the input looks channels-last (N, H, W, C); PyTorch's layers "
                    "take (N, C, H, W): pass x.permute(0, 3, 1, 2).")
        raise RuntimeError(f"Given groups={groups}, weight of size {ws}, expected input{shape} "
                           f"to have {ws[1] * groups} channels, but got {shape[1]} channels "
                           "instead" + hint)
    xt, wt = x._data.dtype, w._data.dtype
    if b is not None and b._data.dtype != xt:  # PyTorch compares the bias first
        raise RuntimeError(f"Input type ({_LOWER.get(xt.name, xt.name)}) and bias type "
                           f"({_LOWER.get(b._data.dtype.name, b._data.dtype.name)}) should be "
                           "the same")
    if xt != wt:
        raise RuntimeError(f"expected scalar type {type_name(xt)} but found {type_name(wt)}")
    if b is not None and (b.dim() != 1 or b.shape[0] != ws[0]):
        raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with "
                           f"{ws[0]} elements, but got bias of size {list(b.shape)} instead")


def check_ranks(x, w, n: int, name: str, stride, padding=None) -> None:
    """PyTorch's first checks of a convolution: the input's rank, then the weight's. A weight
    of too many dims is the rank error only where PyTorch's stride has one entry to expand
    (conv1d) or a padding string takes another path; else its stride error comes first."""
    try:
        x._data, w._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=x, weight=w) from None
    if x.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(x.shape)}")
    if w.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")
    same = isinstance(padding, str) and padding == "same"
    if w.dim() > n + 2 and (n == 1 or same):  # (unbatched: named as PyTorch sees it,
        # batched by one; its padding='same' path words the weight without a space)
        shape = list(x.shape) if x.dim() == n + 2 else [1, *x.shape]
        raise RuntimeError(f"Expected {w.dim()}-dimensional input for {w.dim()}-dimensional "
                           f"weight{'' if same else ' '}{list(w.shape)}, but got {len(shape)}-"
                           f"dimensional input of size {shape} instead")
    if w.dim() != n + 2:  # the stride PyTorch's parser made n long, for w.dim() - 2 dims
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{w.dim() - 2} values to match the convolution dimensions, but got "
                           f"stride={list(_ntuple(stride, n, 'stride'))}")




def _not_a_tensor(n: int, args: tuple) -> TypeError:
    """conv{n}d given an array or list (an image straight from NumPy): the parser's refusal,
    naming the arguments given: all seven from nn.Conv (its stride is a tuple), else trailing
    defaults are taken as not given."""
    args, trim = list(args), not isinstance(args[3], tuple)
    while trim and len(args) > 2 and type(args[-1]) in (int, type(None)) \
            and args[-1] == (None, 1, 0, 1, 1)[len(args) - 3]:
        args.pop()
    got = ", ".join(_type_name(a) for a in args)
    return TypeError(f"conv{n}d() received an invalid combination of arguments - got ({got}), "
                     "but expected one of:\nHint: convert the input with torch.from_numpy(x) "
                     "or torch.tensor(x) first.")
