"""linear, dropout, one_hot, normalize, pad."""

from __future__ import annotations

import operator

import numpy as np

from ... import ops
from ...ops.linalg import linear as _linear
from ..._rng_layout import place
from ..._torch_rng import bernoulli_scalar
from ...random import _gen
from ..._typename import arg_type_name as _tname
from ...tensor import Tensor
from .._ops import ConstantPad, DropoutMul, GatherPad, variant
from ._padding import gather_index

_index = operator.index


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ W^T + b, one fused graph node."""
    try:  # (a try costs nothing until it raises)
        return _linear(input, weight, bias)
    except RuntimeError:
        # A 1-D weight or a bias of another dtype: PyTorch's checks, or matmul + add_.
        if not (isinstance(bias, Tensor) and isinstance(weight, Tensor) and
                isinstance(input, Tensor)) or (weight._data.ndim != 1 and
                                               bias.dtype == input.dtype == weight.dtype):
            raise
        from ...ops.linear_bias import linear_other_bias

        out = linear_other_bias(input, weight, bias)
        if out is None:
            raise
        return out


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only).

    Draws from ember's default generator (``ember.manual_seed`` makes it repeatable).
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    try:
        if not training or p == 0.0 or input._data.size == 0:
            return input
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    arr = input._data
    if arr.dtype.kind in "biu":
        # PyTorch: p = 1 multiplies by a zero of the input's dtype; otherwise the noise is
        # empty_like(input), bernoulli_ fills it (drawing), and div_(1 - p) cannot write
        # the float quotient back into an integer or bool tensor.
        if p == 1.0:
            return ops.mul(input, Tensor._make(np.zeros((), arr.dtype), False, None))
        bernoulli_scalar(_gen(None).bits, arr.size, 1.0 - p)
        from ...dtypes import _c10_name
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_c10_name(arr.dtype.name)}")
    dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
    # PyTorch's mask: bernoulli_(1 - p) (a float64 uniform per element, kept where below
    # 1 - p), then divided by 1 - p in the input's dtype; p = 1 draws nothing, it multiplies
    # by zero. The mask is empty_like(input): drawn in the input's memory order.
    if p == 1.0:
        mask = np.zeros(arr.shape, dtype)
    else:
        mask = place(bernoulli_scalar(_gen(None).bits, arr.size, 1.0 - p), arr).astype(dtype)
        mask /= dtype.type(1.0 - p)
    if inplace:
        input._check_inplace()
        return input._write(DropoutMul.apply(input._graph_input(), mask))
    return DropoutMul.apply(input, mask)


def one_hot(input: Tensor, num_classes: int = -1) -> Tensor:  # noqa: A002 - PyTorch's name
    """(..., ) int64 class indices -> (..., num_classes) int64 one-hot rows."""
    if not isinstance(input, Tensor):  # a list or ndarray of actions: PyTorch's parser refuses
        raise TypeError("one_hot(): argument 'input' (position 1) must be Tensor, not "
                        f"{_tname(input)}")
    t = input._data
    if t.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if type(num_classes) is not int:  # n / 2: PyTorch's TypeError, never truncated
        from ...ops._util import as_int

        num_classes = as_int(num_classes)
    if t.size == 0 and num_classes <= 0:  # (0 as well: no class count can be inferred)
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if num_classes == -1:
        num_classes = int(t.max()) + 1
    if t.size:
        if t.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if t.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (t[..., None] == np.arange(num_classes)).astype(np.int64)
    return Tensor._make(out, False, None)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """x / max(||x||_p along dim, eps)."""
    denom = ops.clamp_min(ops.norm(input, p, dim, keepdim=True), eps).expand_as(input)
    result = input / denom
    if out is not None:
        return out.copy_(result)
    return result


def _pairs(pad, ndim: int) -> tuple:
    """F.pad's flat (last_lo, last_hi, prev_lo, ...) as ((lo, hi), ...) for every axis."""
    amounts = []
    for v in pad:
        try:
            amounts.append(_index(v))
        except TypeError:  # pad=(n / 2, ...), or a tensor of floats or of several elements:
            from ...ops._int_args import not_int  # PyTorch's TypeError, never truncated

            raise not_int(v) from None
    pad = amounts
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of "
                           f"dimension {ndim}")
    pairs = [(0, 0)] * ndim
    for k in range(len(pad) // 2):
        pairs[ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return tuple(pairs)


_NP_MODES = ("reflect", "replicate", "circular")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative amounts, crop) the last len(pad)/2 dimensions."""
    pairs = _pairs(pad, input.dim())
    if mode == "constant":
        return ConstantPad.apply(input, pairs, 0.0 if value is None else value)
    if mode not in _NP_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    k = len(pad) // 2
    if mode != "circular" and input._data.dtype == np.bool_:  # no bool kernel in PyTorch
        kind = "reflection" if mode == "reflect" else "replication"
        raise NotImplementedError(f"\"{kind}_pad{k}d\" not implemented for 'Bool'")
    index = gather_index(tuple(input.shape), pairs, len(pad), mode, value)
    name = {"reflect": f"ReflectionPad{k}DBackward0", "replicate": f"ReplicationPad{k}DBackward0",
            "circular": "CopySlices"}[mode]
    return variant(GatherPad, name).apply(input, index)
