"""``ember.nn.functional`` (``torch.nn.functional``): layers and losses as plain functions."""

from ._activation import (elu, gelu, hardtanh, leaky_relu, log_softmax, logsigmoid, relu,
                          relu6, sigmoid, silu, softmax, softplus, tanh)
from ._activation2 import (celu, celu_, elu_, glu, hardshrink, hardsigmoid, hardswish,
                           hardtanh_, leaky_relu_, mish, prelu, relu_, rrelu, rrelu_, selu,
                           selu_, softmin, softshrink, softsign, tanhshrink, threshold,
                           threshold_)
from ._loss_more import (alpha_dropout, bilinear, channel_shuffle, cosine_embedding_loss,
                         feature_alpha_dropout, hinge_embedding_loss, margin_ranking_loss,
                         pdist, poisson_nll_loss, triplet_margin_loss)
from ._loss import (binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss,
                    l1_loss, mse_loss, smooth_l1_loss)
from ._loss_index import cross_entropy, nll_loss
from ._conv import conv1d, conv2d, conv3d
from ._ctc import ctc_loss
from ._conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d
from ._dropout_nd import dropout1d, dropout2d, dropout3d
from ._embedding import embedding
from ._embedding_bag import embedding_bag
from ._misc import dropout, linear, normalize, one_hot, pad
from ._interp import interpolate
from ._more import (cosine_similarity, gumbel_softmax, kl_div, pairwise_distance, pixel_shuffle,
                    pixel_unshuffle, scaled_dot_product_attention)
from ._norm import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from ._affine_grid import affine_grid
from ._grid import grid_sample
from ._pool import (adaptive_avg_pool2d, adaptive_avg_pool3d, avg_pool2d, avg_pool3d, max_pool2d,
                    max_pool3d)
from ._pool1d import adaptive_avg_pool1d, avg_pool1d, max_pool1d

from ._fold import fold, unfold
from ._loss_more2 import (gaussian_nll_loss, multi_margin_loss, multilabel_margin_loss,
                          multilabel_soft_margin_loss, soft_margin_loss,
                          triplet_margin_with_distance_loss)
from ._pool_more import (adaptive_max_pool1d, adaptive_max_pool2d, local_response_norm,
                         lp_pool1d, lp_pool2d, max_pool1d_with_indices, max_pool2d_with_indices,
                         max_unpool1d, max_unpool2d)
from ._pool_fractional import (adaptive_max_pool3d, adaptive_max_pool3d_with_indices,
                               fractional_max_pool2d, fractional_max_pool2d_with_indices,
                               fractional_max_pool3d, fractional_max_pool3d_with_indices)
from ._pool3d_more import (adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,
                           lp_pool3d, max_pool3d_with_indices, max_unpool3d)
from ._deprecated import upsample, upsample_bilinear, upsample_nearest
from ._conv_tbc import conv_tbc
from ._mha import multi_head_attention_forward
from ._loss_more import channel_shuffle as native_channel_shuffle
__all__ = [
    "fold", "unfold", "gaussian_nll_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "soft_margin_loss", "triplet_margin_with_distance_loss",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "local_response_norm", "lp_pool1d",
    "lp_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "max_unpool1d",
    "max_unpool2d",
    "conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
    "affine_grid", "grid_sample",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "dropout",
    "elu", "gelu", "hardtanh", "huber_loss", "l1_loss", "leaky_relu", "linear", "log_softmax",
    "logsigmoid", "mse_loss", "nll_loss", "normalize", "one_hot", "pad", "relu", "relu6",
    "sigmoid", "silu", "smooth_l1_loss", "softmax", "softplus", "tanh",
    "batch_norm", "embedding", "layer_norm", "rms_norm",
    "adaptive_avg_pool2d", "avg_pool2d", "conv1d", "conv2d", "max_pool2d", "embedding_bag",
    "conv_transpose1d", "conv_transpose2d", "adaptive_avg_pool1d", "avg_pool1d", "max_pool1d",
    "group_norm", "instance_norm",
    "celu", "celu_", "elu_", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh_",
    "leaky_relu_", "mish", "prelu", "relu_", "rrelu", "rrelu_", "selu", "selu_", "softmin",
    "softshrink", "softsign", "tanhshrink", "threshold", "threshold_",
    "cosine_similarity", "gumbel_softmax", "interpolate", "kl_div", "pairwise_distance",
    "pixel_shuffle", "pixel_unshuffle", "scaled_dot_product_attention",
    "alpha_dropout", "bilinear", "channel_shuffle", "cosine_embedding_loss",
    "feature_alpha_dropout", "hinge_embedding_loss", "margin_ranking_loss", "pdist",
    "poisson_nll_loss", "triplet_margin_loss",
    "dropout1d", "dropout2d", "dropout3d", "ctc_loss",
    "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "lp_pool3d", "max_pool3d_with_indices", "max_unpool3d",
    "upsample", "upsample_bilinear", "upsample_nearest", "conv_tbc",
    "multi_head_attention_forward", "native_channel_shuffle", "linear_cross_entropy",
]


def __getattr__(name):  # PyTorch 2.13's linear_cross_entropy, loaded on first use
    if name == "linear_cross_entropy":
        from ._linear_ce import linear_cross_entropy

        return linear_cross_entropy
    raise AttributeError(f"module 'ember.nn.functional' has no attribute '{name}'")

# PyTorch's Python-level functionals live in torch.nn.functional itself, so their typename
# reads 'torch.nn.functional.relu' (nn.Sequential(F.relu) says "... is not a Module
# subclass"): ours are defined in private submodules and take their public home's name.
for _f in [globals()[_n] for _n in __all__ if _n in globals()]:
    if callable(_f) and getattr(_f, "__module__", "").startswith(__name__ + "."):
        try:
            _f.__module__ = __name__
        except (AttributeError, TypeError):  # a builtin or a class without a settable name
            pass
del _f
