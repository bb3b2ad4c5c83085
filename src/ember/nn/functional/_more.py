"""kl_div, cosine_similarity, pairwise_distance, gumbel_softmax, scaled_dot_product_attention,
pixel_shuffle, pixel_unshuffle: composites of existing ops (their gradients come with them),
plus one primitive, the norm clamp of cosine_similarity.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import ops
from ...autograd.function import Primitive
from ...ops._shown_graph import as_node as _as_node
from ...ops._util import check_broadcast, wrap_dim
from ...random import default_generator
from ...tensor import Tensor
from ._loss import _reduction


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Pointwise target * (log target - input) (input holds log-probabilities; with
    log_target, target does too), then reduced; 'batchmean' divides the sum by the batch size.
    """
    try:
        input._data, target._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=input, target=target) from None
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns "
                      "with the KL div math definition.'mean' will be changed to behave the "
                      "same as 'batchmean' in the next major release.", stacklevel=2)
    elif reduction == "elementwise_mean":  # the old name: a deprecation warning, then 'mean'
        reduction = _reduction(reduction)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if input._data.dtype.kind != "f" or target._data.dtype.kind != "f":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        loss = ops.xlogy(target, target) - target * input
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    total = loss.sum()
    if reduction == "batchmean" and input.dim() != 0:
        return total / input.shape[0]
    return total


class NormFloor(Primitive):
    """y = max(n, eps);  dy/dn = 1 (a floor on the value only: the gradient passes as if
    unclamped, which is what PyTorch's cosine_similarity does to its norms)."""

    @staticmethod
    def forward(ctx, n, eps):
        return np.maximum(n, np.asarray(eps, n.dtype))

    @staticmethod
    def backward(ctx, g):
        return g * 1, None


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps)) along dim (inputs broadcast)."""
    x1, x2 = _float_pair(x1, x2)
    check_broadcast(x1.shape, x2.shape)
    shape = ops.broadcast_shapes(x1.shape, x2.shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    d = wrap_dim(dim, len(shape))
    n1 = NormFloor.apply(ops.norm(x1, 2, d, keepdim=True), eps)
    n2 = NormFloor.apply(ops.norm(x2, 2, d, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


def _float_pair(x1, x2):
    from ... import dtypes as D

    try:
        dt = D.result_type(x1._data, x2._data)  # PyTorch: int64 with float32 is float32
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(x1=x1, x2=x2) from None
    if dt.kind != "f":
        from ...ops.arithmetic import type_name

        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{type_name(dt)}")
    return x1.to(dt), x2.to(dt)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension (inputs broadcast)."""
    try:
        x1._data, x2._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(x1=x1, x2=x2) from None
    nd = max(x1.dim(), x2.dim())
    return ops.norm(x1 - x2 + eps, p, nd - 1 if nd else None, keepdim=keepdim)


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1); hard: the one-hot of its argmax in
    the forward pass with the soft sample's gradient (straight-through). As PyTorch, g is
    -log(e) with e = empty_like(logits).exponential_() (one float64 uniform per element, in
    C order, cast to the logits' dtype before the log)."""
    from ..._torch_rng import exponential

    arr = logits._data
    if arr.dtype.kind != "f":  # integer logits (e.g. an argmax passed by mistake)
        from ..._methods_random import _continuous

        _continuous(logits, "Exponential", False)  # PyTorch's exponential_ refuses them
    d = wrap_dim(dim, arr.ndim)
    draws = -np.log(exponential(default_generator.bits, arr.size, 1.0, arr.dtype)
                    ).reshape(arr.shape)
    noisy = (logits + Tensor._make(draws, False, None)) / tau
    soft = ops.softmax(noisy, d)
    if not hard:
        return soft
    idx = np.argmax(soft._data, axis=d) if soft._data.ndim else np.zeros((), np.int64)
    one = (np.expand_dims(idx, d) == _arange_along(arr.shape, d)) if arr.ndim else \
        np.ones((), bool)
    one_hot = Tensor._make(one.astype(arr.dtype), False, None)
    return one_hot - soft.detach() + soft


def _arange_along(shape, d):
    view = [1] * len(shape)
    view[d] = shape[d]
    return np.arange(shape[d]).reshape(view)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v, scale = 1/sqrt(E) by default. A bool mask keeps the
    True positions; a float mask is added; is_causal keeps j <= i. Rows with nothing kept give
    zeros (PyTorch's safe softmax), not nan. enable_gqa: key's and value's heads (dim -3)
    are each repeated to query's."""
    attn_mask = _check_sdpa_inputs(query, key, value, attn_mask)
    _check_flash_mask_rank(query, key, value, attn_mask, dropout_p, enable_gqa)
    flash = _flash_cpu_ok(query, key, value, attn_mask, dropout_p, enable_gqa)
    if SDP_OFF:  # a kernel switched off by nn.attention.sdpa_kernel / backends.cuda
        flash = _pick_sdp_kernel(flash)
    if is_causal and attn_mask is not None and not flash:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if enable_gqa and query.dim() >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:  # PyTorch's message, cut short as it is there
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               "heads in ")
        key = key.repeat_interleave(hq // hk, -3) if hk != hq else key
        value = value.repeat_interleave(hq // hv, -3) if hv != hq else value
    half = query._data.dtype == np.float16
    if half:  # PyTorch's CPU kernels work on half in float32 and round the output once
        query, key, value = query.float(), key.float(), value.float()
    L, S = query.shape[-2], key.shape[-2]
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if half and not flash:  # the math kernel scales q and k each by sqrt(scale)
        root = math.sqrt(s)
        scores = ops.matmul(query * root, (key * root).transpose(-2, -1))
    else:
        scores = ops.matmul(query, key.transpose(-2, -1)) * s
    if attn_mask is not None:
        _check_mask(scores.shape, attn_mask.shape)
    keep = np.tril(np.ones((L, S), bool)) if is_causal else None
    if attn_mask is not None and attn_mask._data.dtype == np.bool_:
        keep = attn_mask._data if keep is None else keep & attn_mask._data
    elif attn_mask is not None:
        scores = scores + attn_mask
    if keep is not None:
        scores = ops.masked_fill(scores, Tensor._make(~keep, False, None), -math.inf)
    dead = np.all(np.isneginf(scores._data), axis=-1, keepdims=True)
    if dead.any():  # rows with every score -inf: zero weights and gradients, not nan
        dead_t = Tensor._make(dead, False, None)
        weights = ops.masked_fill(ops.softmax(ops.masked_fill(scores, dead_t, 0.0), -1),
                                  dead_t, 0.0)
    else:
        weights = ops.softmax(scores, -1)
        if half and flash:
            weights = _flash_half_weights(scores._data, weights)
    if dropout_p > 0.0:
        from ._misc import dropout

        weights = dropout(weights, dropout_p, True)
    out = ops.matmul(weights, value)
    if half:  # (the math kernel's output.to(half): a ToCopyBackward0 node)
        out = out.half()
    # PyTorch's CPU flash kernel's node, where that kernel runs
    return _as_node(out, "ScaledDotProductFlashAttentionForCpuBackward0") if flash else out


def _flash_half_weights(scores: np.ndarray, weights: Tensor) -> Tensor:
    """The weights PyTorch's CPU flash kernel applies to a float16 value: it rounds the
    unnormalised exp(s - max) to half before the product with v (accumulated in float) and
    divides by the float sum after. Only the values change (a constant is added): the
    gradient is softmax's."""
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    eff = e.astype(np.float16).astype(np.float32) / e.sum(axis=-1, keepdims=True)
    return weights + Tensor._make(eff - weights._data, False, None)


def _check_sdpa_inputs(query, key, value, attn_mask):
    """PyTorch's checks, in its order: ranks, then q/k/v dtypes, then the mask's dtype (bool,
    float32 or the query's; an int mask is a mistake, not a bool one). A float32 mask for a
    half or double query is cast to it, as PyTorch's kernels do."""
    from ...ops.linalg import _C_NAMES

    if min(t.dim() for t in (query, key, value)) < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.dim()} key.dim: {key.dim()} and "
                           f"value.dim: {value.dim()} instead.")
    dts = [t._data.dtype for t in (query, key, value)]
    if dts[0] != dts[1] or dts[0] != dts[2]:
        q, k, v = (_C_NAMES[d.name] for d in dts)
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {q} key.dtype: {k} and value.dtype: {v} instead.")
    if attn_mask is None:
        return None
    md = attn_mask._data.dtype
    if md == dts[0] or md == np.bool_:
        return attn_mask
    if md != np.float32:
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {_C_NAMES[md.name]} and  "
                           f"query.dtype: {_C_NAMES[dts[0].name]} instead.")
    return attn_mask.to(dts[0]) if dts[0].kind == "f" else attn_mask


def _check_flash_mask_rank(q, k, v, mask, dropout_p, gqa) -> None:
    """PyTorch's CPU flash-kernel check reads the mask's size(-2) once the 4-D, no-dropout,
    equal-batch-and-heads checks pass (a mask that requires grad skips it): a 1-D or 0-D mask
    there is an IndexError, though the math kernel would broadcast it."""
    if mask is None or mask.dim() >= 2 or mask.requires_grad or dropout_p > 0.0:
        return
    if any(t.dim() != 4 or t.numel() == 0 for t in (q, k, v)):
        return
    h, hk = q.shape[1], k.shape[1]
    if len({q.shape[0], k.shape[0], v.shape[0]}) != 1 or hk != v.shape[1] or \
            (h % hk if gqa else hk != h):
        return
    if mask.dim() == 0:
        raise IndexError("Dimension specified as -2 but tensor has no dimensions")
    raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got -2)")


def _check_mask(shape, mask_shape) -> None:
    """PyTorch adds the mask into the scores in place: it must broadcast to their shape."""
    check_broadcast(shape, mask_shape)
    if tuple(ops.broadcast_shapes(shape, mask_shape)) != tuple(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                           f"{list(ops.broadcast_shapes(shape, mask_shape))}")


# The kernels scaled_dot_product_attention may use (torch.backends.cuda.enable_*_sdp and
# torch.nn.attention.sdpa_kernel set them); SDP_OFF holds the names switched off.
SDP_ENABLED = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}
SDP_OFF = set()


def _pick_sdp_kernel(flash: bool) -> bool:
    """On CPU only the flash and math kernels exist: flash where it applies and is on, else
    math; PyTorch's errors where neither may run."""
    if SDP_ENABLED["flash"] and (flash or not SDP_ENABLED["math"]):
        if flash:
            return True
        import warnings

        warnings.warn("Flash attention kernel not used because:")
        raise RuntimeError("No available kernel.  Aborting execution.")
    if SDP_ENABLED["math"]:
        return False
    raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This is "
                       "likely due to turning off both the math kernel and the fused kernels.")


def _flash_cpu_ok(q, k, v, mask, dropout_p, gqa=False) -> bool:
    """Whether PyTorch's CPU flash kernel takes this call (4-D, no dropout, one head size,
    equal batches and heads, or under enable_gqa key's and value's equal and dividing
    query's). It applies an explicit mask and is_causal together, where the math fallback
    refuses the pair."""
    if any(t.dim() != 4 or t.stride(-1) != 1 for t in (q, k, v)) or dropout_p > 0.0:
        return False
    if q._data.dtype.kind != "f" or min(q.shape[-2], k.shape[-2]) == 0:
        return False
    if len({q.shape[0], k.shape[0], v.shape[0]}) != 1 or \
            len({q.shape[-1], k.shape[-1], v.shape[-1]}) != 1:
        return False
    h = q.shape[1]
    if k.shape[1] != v.shape[1] or (h % k.shape[1] if gqa else k.shape[1] != h):
        return False
    if mask is None:
        return True
    want = (*q.shape[:2], q.shape[-2], k.shape[-2])[4 - mask.dim():]
    return mask.dim() in (2, 4) and all(m in (1, w) for m, w in zip(mask.shape, want))


class _Rearrange(Primitive):
    """y = x reshaped to ``mid``, axes permuted by ``perm``, reshaped to ``out`` (a copy);
    dL/dx = the inverse rearrangement of dL/dy, which under create_graph is recorded as the
    inverse op (pixel_unshuffle for pixel_shuffle), as PyTorch records it."""

    @staticmethod
    def forward(ctx, x, mid, perm, out, inverse):
        ctx.in_shape, ctx.perm, ctx.inverse = x.shape, perm, inverse
        t = x.reshape(mid).transpose(perm)
        ctx.t_shape = t.shape
        return np.ascontiguousarray(t).reshape(out)

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return ctx.inverse(g), None, None, None, None
        t = g.reshape(ctx.t_shape).transpose(np.argsort(ctx.perm))
        return np.ascontiguousarray(t).reshape(ctx.in_shape), None, None, None, None


class PixelShuffle(_Rearrange):
    pass


class PixelUnshuffle(_Rearrange):
    pass


class ChannelShuffle(_Rearrange):
    pass


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): channel blocks spread over r x r pixels."""
    r = int(upscale_factor)
    shape = _check_pixel(input, "pixel_shuffle")
    *lead, c, h, w = shape
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           "divisible by the square of upscale_factor, but input.size(-3)="
                           f"{c} is not divisible by {r * r}")
    n = len(lead)
    return PixelShuffle.apply(input, (*lead, c // (r * r), r, r, h, w),
                              (*range(n), n, n + 3, n + 1, n + 4, n + 2),
                              (*lead, c // (r * r), h * r, w * r),
                              lambda g: pixel_unshuffle(g, r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of pixel_shuffle."""
    r = int(downscale_factor)
    shape = _check_pixel(input, "pixel_unshuffle")
    *lead, c, h, w = shape
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    for name, size, axis in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({axis})={size} is not "
                               f"divisible by {r}")
    n = len(lead)
    return PixelUnshuffle.apply(input, (*lead, c, h // r, r, w // r, r),
                                (*range(n), n, n + 2, n + 4, n + 1, n + 3),
                                (*lead, c * r * r, h // r, w // r),
                                lambda g: pixel_shuffle(g, r))


def _check_pixel(input, name):
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {input.dim()} dimension(s)")
    return tuple(input.shape)
