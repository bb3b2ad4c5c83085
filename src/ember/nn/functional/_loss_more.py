"""More of ``torch.nn.functional``: ranking and embedding losses, Poisson NLL, bilinear,
pdist, channel_shuffle and the alpha dropouts.

Each is a composite of differentiable ember ops, so gradients (and higher orders) come from
those ops' rules; the checks raise PyTorch's errors with its first lines.
"""

from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...ops._util import check_broadcast
from ...tensor import Tensor
from ._loss import _reduction
from ._more import pairwise_distance


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _dims(t: Tensor) -> str:
    return f"torch.Size({list(t.shape)})"


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """reduce(max(0, -y * (x1 - x2) + margin))."""
    reduction = _reduction(reduction, size_average, reduce)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {_dims(input1)}, input2: {_dims(input2)}, target: {_dims(target)} ")
    loss = ops.clamp_min(-target * (input1 - input2) + margin, 0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """x where y == 1, max(0, margin - x) where y == -1 (other labels count for both)."""
    try:
        input._data, target._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=input, target=target) from None
    reduction = _reduction(reduction, size_average, reduce)
    check_broadcast(target.shape, input.shape)
    # PyTorch's zeros_like(input): a constant, not input * 0 (no graph node, no leaf
    # recorded through it; an infinite input gives 0, not nan, where the label drops it)
    zero = Tensor(np.zeros_like(input._data))
    below = ops.where(target != 1, ops.clamp_min(margin - input, 0), zero)
    loss = below + ops.where(target != -1, input, zero)
    return _reduce(loss, reduction)


def _cosine_embedding_checks(x1: Tensor, x2: Tensor, target: Tensor) -> None:
    td = target.dim()
    if td > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if x1.dim() != td + 1 or x2.dim() != td + 1:
        raise RuntimeError(f"{td}D target tensor expects {td + 1}D input tensors, but found "
                           f"inputs with sizes {list(x1.shape)} and {list(x2.shape)}.")


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1."""
    reduction = _reduction(reduction, size_average, reduce)
    _cosine_embedding_checks(input1, input2, target)
    eps = 1e-12  # PyTorch's constant: keeps zero vectors finite
    dot = (input1 * input2).sum(-1)
    mag = ((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps)
    cos = dot / ops.sqrt(mag)
    zero = cos * 0
    loss = ops.where(target == 1, 1 - cos, zero) + \
        ops.where(target == -1, ops.clamp_min(cos - margin, 0), zero)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d the p-norm distance; swap: d(a, n) becomes
    min(d(a, n), d(p, n))."""
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    da, dp, dn = anchor.dim(), positive.dim(), negative.dim()
    if not da == dp == dn:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {da}D, positive {dp}D, and negative {dn}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(ops.clamp_min(margin + d_pos - d_neg, 0), reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,
                     full: bool = False, size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """exp(x) - y x (log_input) or x - y log(x + eps); full adds Stirling's term
    y log y - y + log(2 pi y) / 2 where y > 1."""
    if reduction == "elementwise_mean" and size_average is None and reduce is None:
        raise ValueError(f"{reduction} is not a valid value for reduction")  # no old name here
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = ops.exp(input) - target * input
    else:
        loss = input - target * ops.log(input + eps)
    if full:
        y = target  # the term's gradient reaches the target, as in PyTorch
        big = y > 1
        safe = ops.where(big, y, y * 0 + 1)  # y log y and log y are nan/inf below 1
        stirling = safe * ops.log(safe) - safe + 0.5 * ops.log(2 * math.pi * safe)
        loss = loss + ops.where(big, stirling, stirling * 0)
    return _reduce(loss, reduction)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]."""
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, got {weight.dim()}D")
    s1, s2 = tuple(input1.shape), tuple(input2.shape)
    if len(s1) != len(s2):
        raise RuntimeError("bilinear(): input dimensions do not match: got "
                           f"{len(s1)} and {len(s2)}")
    for d, (a, b) in enumerate(zip(s1[:-1], s2[:-1])):
        if a != b:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: "
                               f"got {a} and {b}")
    for k, size in ((1, s1[-1]), (2, s2[-1])):
        if size != weight.shape[k]:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{size} but expected {weight.shape[k]}")
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError("bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[-1]} but expected {weight.shape[0]}")
    out = ops.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances between every pair of rows i < j, in row-major pair order."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if input._data.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    from ...ops.distance import Pdist

    return Pdist.apply(input, float(p))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, g * k, *) -> channels reordered as (N, k, g, *): interleaves the g groups."""
    if input.dim() <= 2:
        raise RuntimeError("channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    from ._more import ChannelShuffle

    return ChannelShuffle.apply(input, (n, groups, c // groups, *rest),
                                (0, 2, 1, *range(3, 3 + len(rest))), (n, c, *rest),
                                lambda g: channel_shuffle(g, c // groups))


_SELU_ALPHA = 1.7580993408473766  # -SELU(-inf) = scale * alpha


def _bernoulli_noise(arr: np.ndarray, p: float, feature: bool) -> np.ndarray:
    """PyTorch's noise: ``empty_like(input)`` (or (N, C, 1, ...) for feature dropout) in the
    input's dtype, ``bernoulli_(1 - p)``: a float64 uniform per element in the noise's memory
    order (the input's, see _rng_layout), 1 where u < 1 - p."""
    from ... import _torch_rng as _T
    from ..._rng_layout import place
    from ...random import default_generator

    shape = arr.shape[:2] + (1,) * (arr.ndim - 2) if feature else arr.shape
    n = int(np.prod(shape, dtype=np.int64))
    keep = _T.bernoulli_scalar(default_generator.bits, n, 1.0 - p)
    return (keep.reshape(shape) if feature else place(keep, arr)).astype(arr.dtype)


def _alpha_noise(input: Tensor, p: float, feature: bool) -> tuple:
    """PyTorch's alpha-dropout affine on the Bernoulli(1 - p) noise, each step rounded in the
    input's dtype: a = 1 / sqrt((alpha^2 p + 1)(1 - p)), b = (noise - 1) * (alpha a) +
    alpha a p, then noise * a; the output is input * (noise * a) + b."""
    arr = input._data
    dt = arr.dtype.type
    noise = _bernoulli_noise(arr, p, feature)
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    offset = (noise - dt(1)) * dt(_SELU_ALPHA * a) + dt(_SELU_ALPHA * a * p)
    return noise * dt(a), offset


def _dropout_impl(input: Tensor, p: float, training: bool, inplace: bool, alpha: bool,
                  feature: bool) -> Tensor:
    """PyTorch's _dropout_impl: nothing drawn when p == 0, not training or empty; p == 1
    multiplies by zero; otherwise Bernoulli(1 - p) noise, divided by 1 - p (plain and feature
    dropout) or the alpha affine above, then input * noise (+ b)."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if feature and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0.0 or input._data.size == 0:
        return input
    arr = input._data
    if p == 1.0:
        scale, offset = np.zeros((), arr.dtype), None
    elif alpha:
        scale, offset = _alpha_noise(input, p, feature)
    else:
        scale = _bernoulli_noise(arr, p, feature) / arr.dtype.type(1 - p)
        offset = None
    if inplace:
        input._check_inplace()
    src = input._graph_input() if inplace else input
    out = src * Tensor._make(scale, False, None)
    if offset is not None:
        out = out + Tensor._make(offset, False, None)
    return input._write(out) if inplace else out


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: keeps the mean and variance of its input."""
    return _dropout_impl(input, p, training, inplace, alpha=True, feature=False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dimension 1)."""
    return _dropout_impl(input, p, training, inplace, alpha=True, feature=True)


def feature_dropout(input: Tensor, p: float, train: bool, inplace: bool = False) -> Tensor:
    """``torch.feature_dropout``: zero whole channels with probability p, scale by 1/(1-p)."""
    return _dropout_impl(input, p, train, inplace, alpha=False, feature=True)
