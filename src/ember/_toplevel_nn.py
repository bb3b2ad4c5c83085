"""``torch.conv2d``, ``torch.dropout``, ``torch.layer_norm``, ...: the nn.functional kernels
that PyTorch also exposes at the top level, with the top-level signatures (which differ from
``F``'s: ``torch.dropout(input, p, train)``, ``torch.embedding(weight, indices)``, the int
``reduction`` of the top-level losses, the positional-only ``torch.batch_norm``).

Loaded on first use of one of these names (``ember.__getattr__``), so ``import ember`` does
not load ``ember.nn``.
"""

from __future__ import annotations

import numpy as np

from ._typename import arg_type_name
from .nn import functional as F
from .nn.functional import _loss_more as _lm
from .tensor import Tensor

# functions whose top-level signature is F's own
conv1d, conv2d, conv3d = F.conv1d, F.conv2d, F.conv3d
conv_transpose1d, conv_transpose2d = F.conv_transpose1d, F.conv_transpose2d
conv_transpose3d, conv_tbc = F.conv_transpose3d, F.conv_tbc
adaptive_avg_pool1d, pixel_shuffle, pixel_unshuffle = (F.adaptive_avg_pool1d, F.pixel_shuffle,
                                                       F.pixel_unshuffle)
cosine_similarity, pairwise_distance, pdist = F.cosine_similarity, F.pairwise_distance, F.pdist
bilinear, channel_shuffle = F.bilinear, F.channel_shuffle
native_channel_shuffle = F.channel_shuffle

_REDUCTIONS = ("none", "mean", "sum")  # at::Reduction: 0, 1, 2
# PyTorch 2.13's top-level losses, called without ``reduction``, do not reduce (their
# binding's default reads as 0), unlike ``F``'s 'mean': ember gives the same shapes.


def _reduction(value, fn: str, pos: int) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{fn}(): argument 'reduction' (position {pos}) must be int, not "
                        f"{type(value).__name__}")
    return _REDUCTIONS[value] if value in (1, 2) else "none"  # ATen: other values do not reduce


_DROPOUT_PARAMS = ("input", "p", "train")


def _float_like(v) -> bool:
    """What PyTorch's parser takes for a ``float`` argument: a Python number (bool and int
    too), a NumPy number, a one-element tensor."""
    if isinstance(v, Tensor):
        return v.numel() == 1
    return isinstance(v, (int, float, np.integer, np.floating))


def _dropout_args(name: str, args: tuple, kwargs: dict):
    """``(input, p, train)`` read as PyTorch's argument parser reads the top-level dropouts'
    single signature ``(Tensor input, float p, bool train)``, with its messages: too many
    positionals, a value given twice, the missing ones from the first missing to the end
    (its wording: "arguments" for one, "argument" for several), each argument's type in
    order (``train`` only a Python bool), then an unknown keyword; then ATen's range check
    on ``p`` (a RuntimeError; ``F.dropout``'s own check is a ValueError)."""
    if len(args) > 3:
        raise TypeError(f"{name}() takes 3 positional arguments but {len(args)} were given")
    vals = []
    for i, pname in enumerate(_DROPOUT_PARAMS):
        if i < len(args):
            if pname in kwargs:
                raise TypeError(f"{name}() got multiple values for argument '{pname}'")
            v, where = args[i], f" (position {i + 1})"
        elif pname in kwargs:
            v, where = kwargs[pname], ""
        else:
            missing = _DROPOUT_PARAMS[i:]
            plural = "s" if len(missing) == 1 else ""
            raise TypeError(f"{name}() missing {len(missing)} required positional argument"
                            f"{plural}: " + ", ".join(f'"{m}"' for m in missing))
        ok, expected = {"input": (isinstance(v, Tensor), "Tensor"),
                        "p": (_float_like(v), "float"),
                        "train": (type(v) is bool, "bool")}[pname]
        if not ok:
            raise TypeError(f"{name}(): argument '{pname}'{where} must be {expected}, not "
                            f"{arg_type_name(v)}")
        vals.append(v)
    for key in kwargs:
        if key not in _DROPOUT_PARAMS:
            raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")
    prob = float(vals[1])
    if not 0 <= prob <= 1:  # (nan fails too)
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got "
                           f"{format(prob, '.6g')}")
    return vals[0], prob, vals[2]


def dropout(*args, **kwargs) -> Tensor:
    """``torch.dropout(input, p, train)``: ``F.dropout`` with the top-level signature."""
    return F.dropout(*_dropout_args("dropout", args, kwargs))


def dropout_(*args, **kwargs) -> Tensor:
    return F.dropout(*_dropout_args("dropout_", args, kwargs), inplace=True)


def alpha_dropout(*args, **kwargs) -> Tensor:
    return F.alpha_dropout(*_dropout_args("alpha_dropout", args, kwargs))


def alpha_dropout_(*args, **kwargs) -> Tensor:
    return F.alpha_dropout(*_dropout_args("alpha_dropout_", args, kwargs), inplace=True)


def feature_alpha_dropout(*args, **kwargs) -> Tensor:
    return F.feature_alpha_dropout(*_dropout_args("feature_alpha_dropout", args, kwargs))


def feature_alpha_dropout_(*args, **kwargs) -> Tensor:
    return F.feature_alpha_dropout(*_dropout_args("feature_alpha_dropout_", args, kwargs),
                                   inplace=True)


def feature_dropout(*args, **kwargs) -> Tensor:
    return _lm.feature_dropout(*_dropout_args("feature_dropout", args, kwargs))


def feature_dropout_(*args, **kwargs) -> Tensor:
    return _lm.feature_dropout(*_dropout_args("feature_dropout_", args, kwargs), inplace=True)


def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Weight first; padding_idx -1 means none (ATen's convention)."""
    return F.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enable: bool = True) -> Tensor:
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enabled: bool = True) -> Tensor:
    return F.group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    return F.rms_norm(input, normalized_shape, weight, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled) -> Tensor:
    """All nine arguments positional, weight and bias before the running statistics."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled) -> Tensor:
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def _stride(stride):
    return None if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else stride


def max_pool1d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
               ceil_mode: bool = False) -> Tensor:
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
               ceil_mode: bool = False) -> Tensor:
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode: bool = False):
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                        return_indices=True)


def avg_pool1d(input: Tensor, kernel_size, stride=(), padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode,
                        count_include_pad)


def constant_pad_nd(input: Tensor, pad, value: float = 0) -> Tensor:
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    return F.pad(input, tuple(pad), "constant", value)


def kl_div(input: Tensor, target: Tensor, reduction: int = 0, *, log_target: bool = False):
    """reduction 1 is a plain mean (no 'batchmean' warning here, as in PyTorch)."""
    red = _reduction(reduction, "kl_div", 3)
    loss = F.kl_div(input, target, reduction="none", log_target=log_target)
    return loss if red == "none" else (loss.mean() if red == "mean" else loss.sum())


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None,
                                     pos_weight=None, reduction: int = 0) -> Tensor:
    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction(reduction, "binary_cross_entropy_with_logits",
                                                    5), pos_weight=pos_weight)


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction: int = 0):
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction(reduction, "margin_ranking_loss", 5))


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction: int = 0):
    return F.hinge_embedding_loss(input, target, margin,
                                  reduction=_reduction(reduction, "hinge_embedding_loss", 4))


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, reduction: int = 0):
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction(reduction, "cosine_embedding_loss", 5))


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, reduction: int = 0):
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction(reduction, "triplet_margin_loss", 8))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction(reduction, "poisson_nll_loss", 6))


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("F", "Tensor", "annotations")]


def max_pool3d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
               ceil_mode: bool = False) -> Tensor:
    return F.max_pool3d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def adaptive_max_pool1d(input: Tensor, output_size) -> tuple:
    """(values, indices), always: the top-level spelling has no return_indices switch."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def frobenius_norm(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    from ._config import warn_once
    from .ops.linalg_norms import vector_norm

    warn_once("at::frobenius_norm is deprecated and it is just left for JIT compatibility. It "
              "will be removed in a future PyTorch release. Please use `linalg.vector_norm(A, "
              "2., dim, keepdim)` instead")

    return vector_norm(input, 2, dim, keepdim)


def nuclear_norm(input: Tensor, dim=(-2, -1), keepdim: bool = False) -> Tensor:
    from ._config import warn_once
    from .ops.linalg_norms import matrix_norm

    warn_once("at::nuclear_norm is deprecated and it is just left for JIT compatibility. It "
              "will be removed in a future PyTorch release. Please use `linalg.matrix_norm(A, "
              "'nuc', dim, keepdim)` instead")

    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = (-2, -1), dim
    return matrix_norm(input, "nuc", tuple(dim), keepdim)
