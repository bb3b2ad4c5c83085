"""layer_norm, batch_norm, group_norm (one fused node each) and rms_norm (a composite, as in
PyTorch)."""

from __future__ import annotations

import math

import numpy as np

from ...autograd.function import NULL_CTX, Primitive
from ...ops.arithmetic import type_name
from ...tensor import Tensor


def _stats(x, axes: tuple, eps: float):
    """Mean and 1/sqrt(biased variance + eps) over ``axes`` (kept), on arrays or Tensors."""
    n = math.prod(x.shape[a] for a in axes)
    mean = np.sum(x, axis=axes, keepdims=True) / n
    xc = x - mean
    var = np.sum(xc * xc, axis=axes, keepdims=True) / n
    return mean, 1.0 / np.sqrt(var + eps), var


def _array_stats(x: np.ndarray, axes: tuple, eps: float):
    """_stats on an array with fewer temporaries: mean, r, biased variance, and x - mean.
    A float16 input is worked on in float32 (PyTorch's CPU kernels accumulate half in float
    and round the output once; in float16 the squares of entries near 100 overflow)."""
    if x.dtype == np.float16:
        x = x.astype(np.float32)
    n = math.prod(x.shape[a] for a in axes)
    mean = x.sum(axis=axes, keepdims=True)
    mean /= max(n, 1)  # an empty batch: mean 0 and variance 0 over nothing (no 0/0 nan)
    xc = x - mean
    var = (xc * xc).sum(axis=axes, keepdims=True)
    var /= max(n, 1)
    rstd = var + eps
    np.sqrt(rstd, out=rstd)
    np.divide(1.0, rstd, out=rstd)
    return mean, rstd, var, xc


class NativeNorm(Primitive):
    """y = xhat * w + b,  xhat = (x - mu) * r,  r = 1 / sqrt(var + eps), with mu and var the
    mean and biased variance over the m entries of the statistic axes S (or fixed running
    statistics: then mu and r are constants). With gh = g * w:

        dL/dx = r * (gh - sum_S(gh) / m - xhat * sum_S(gh * xhat) / m)   (batch statistics)
        dL/dx = r * gh                                                    (fixed statistics)
        dL/dw = sum_P(g * xhat),  dL/db = sum_P(g)   (P: the axes w is broadcast over)

    ``stat_axes`` is None for fixed statistics; ``param_axes`` is P; ``view`` is w's shape
    when broadcast against x. The caller computes mu, r and xc = x - mu (it needs the
    statistics for running stats); xc is a fresh array this rule may overwrite. ``work``,
    when not None, is the shape x is viewed as for all of this (group norm's groups).
    """

    shown_args = (0, 1, 2)  # input, weight, bias: PyTorch lists them even when None

    @staticmethod
    def forward(ctx, x, w, b, mean, rstd, stat_axes, param_axes, view, eps, xc, work):
        if work is not None:
            y = NativeNorm.forward(ctx, x.reshape(work), w, b, mean, rstd, stat_axes,
                                   param_axes, view, eps, xc, None)
            ctx.shape = x.shape
            ctx.save_for_backward(x, w)  # x itself, not the grouped view (roles, versions)
            return y.reshape(x.shape)
        if ctx is NULL_CTX and (w is None or w.dtype == x.dtype) and (
                b is None or b.dtype == x.dtype):
            # Nothing recorded: normalise, scale and shift in place (fewer temporaries).
            xc *= rstd
            if w is not None:
                xc *= w.reshape(view)
            if b is not None:
                xc += b.reshape(view)
            return xc.astype(x.dtype, copy=False)  # (float16 input: worked on in float32)
        xhat = xc * rstd
        ctx.save_for_backward(x, w)
        ctx.xhat, ctx.mean, ctx.rstd = xhat, mean, rstd
        ctx.axes = (stat_axes, param_axes, view, eps)
        if w is not None:
            y = xhat * w.reshape(view)
            if b is not None:
                y += b.reshape(view)
        else:  # (a new array: xhat is kept for backward, and an in-place op on the output,
            # e.g. InstanceNorm2d then ReLU(inplace=True), must not change it)
            y = xhat.copy() if b is None else xhat + b.reshape(view)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        shape = ctx.__dict__.get("shape")
        if shape is not None:  # group norm: compute on the grouped view
            work = ctx.xhat.shape
            gx, gw, gb = NativeNorm._grads_as_inputs(ctx, np.reshape(g, work),
                                                      np.reshape(x, work), w)
            return (None if gx is None else np.reshape(gx, shape),
                    None if gw is None else np.reshape(gw, w.shape),
                    None if gb is None else np.reshape(gb, w.shape if w is not None else (-1,)),
                    ) + (None,) * 9
        return NativeNorm._grads_as_inputs(ctx, g, x, w) + (None,) * 9

    @staticmethod
    def _grads_as_inputs(ctx, g, x, w):
        """_grads, each in its input's dtype: a float16 input was worked on in float32 (no
        cast, and no pass over the three, for any other input)."""
        if x.dtype != np.float16:
            return NativeNorm._grads(ctx, g, x, w)
        wf = w
        if isinstance(g, np.ndarray):  # PyTorch: the half upstream and weight used in float
            g = g.astype(np.float32)
            wf = None if w is None else np.asarray(w, dtype=np.float32)
        grads = NativeNorm._grads(ctx, g, x, wf)
        return tuple(_as_dtype(d, t) for d, t in zip(grads, (x, w, None)))

    @staticmethod
    def _grads(ctx, g, x, w):
        stat_axes, param_axes, view, eps = ctx.axes
        xhat, rstd = ctx.xhat, ctx.rstd
        if isinstance(x, Tensor) and stat_axes is not None:  # create_graph: r depends on x
            mean, rstd, _ = _stats(x, stat_axes, eps)
            xhat = (x - mean) * rstd
        elif isinstance(x, Tensor):
            xhat = (x - ctx.mean) * rstd
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = gw = gb = None
        if need_x:
            gh = g if w is None else g * np.reshape(w, view)
            if stat_axes is None:
                gx = gh * rstd
            else:
                m = math.prod(x.shape[a] for a in stat_axes)
                gx = (gh - np.sum(gh, axis=stat_axes, keepdims=True) / m
                      - xhat * (np.sum(gh * xhat, axis=stat_axes, keepdims=True) / m)) * rstd
        if need_w:
            gw = np.sum(g * xhat, axis=param_axes)
        if need_b:
            gb = np.sum(g, axis=param_axes)
        return gx, gw, gb


def _as_dtype(grad, like):
    """A gradient (worked on in float32 for a float16 input) in its input's dtype."""
    if isinstance(grad, np.ndarray) and like is not None and grad.dtype != like.dtype:
        return grad.astype(like.dtype)
    return grad


def _check_dtypes(x: Tensor, kernel: str, bias_last: bool = True, **others) -> None:
    """PyTorch's CPU rules: a float input. Its parameters (and statistics) are checked by the
    first one given: of the input's dtype, every other must be too ("expected scalar type
    Half but found Float"); of another, it is the mixed kernel, for which all of them must be
    float32 ("... expect parameter to have scalar type of Float") and the input reduced
    (a float64 input with float32 parameters: "all inputs must share same datatype")."""
    dt = x._data.dtype
    if dt.kind != "f":
        if kernel != "batch_norm" and any(t is not None and t._data.dtype != dt
                                          for t in others.values()):
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(dt)}\'')
    given = [t._data.dtype for t in others.values() if t is not None]
    if not given:
        return
    if given[0] == dt:
        if any(d != dt for d in given):  # (training batch norm checks bias after the stats)
            order = sorted(others, key=lambda k: k == "bias") if bias_last else list(others)
            for d in [others[k]._data.dtype for k in order if others[k] is not None]:
                if d != dt:
                    raise RuntimeError(f"expected scalar type {type_name(dt)} but found "
                                       f"{type_name(d)}")
        return
    if any(d != np.float32 for d in given):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    if dt != np.float16:
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dimensions, then scale and shift."""
    if isinstance(normalized_shape, int):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple "
                        "of ints, not int")
    shape = tuple(int(s) for s in normalized_shape)
    x = input._data
    k, nd = len(shape), x.ndim
    if k == 0 or nd < k or x.shape[nd - k:] != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(x.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and p._data.shape != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(p.shape)} and normalized_shape = "
                               f"{list(shape)}")
    if x.dtype.kind != "f" or (weight is not None and weight._data.dtype != x.dtype) or (
            bias is not None and bias._data.dtype != x.dtype):
        _check_dtypes(input, "LayerNormKernelImpl", weight=weight, bias=bias)
    axes = _LAST_AXES.get((nd, k))
    if axes is None:
        axes = _LAST_AXES[(nd, k)] = (tuple(range(nd - k, nd)), tuple(range(nd - k)))
    # PyTorch normalises a contiguous copy: the result is row-major whatever x's layout
    mean, rstd, _, xc = _array_stats(x if x.flags.c_contiguous else np.ascontiguousarray(x),
                                     axes[0], eps)
    return _NativeLayerNorm.apply(input, weight, bias, mean, rstd, axes[0], axes[1], shape,
                                  eps, xc, None)


_LAST_AXES: dict = {}  # (ndim, k) -> (the last k axes, the others)


class _NativeLayerNorm(NativeNorm):
    node_name = "NativeLayerNormBackward0"


class _NativeBatchNorm(NativeNorm):
    node_name = "NativeBatchNormBackward0"


class _NativeGroupNorm(NativeNorm):
    node_name = "NativeGroupNormBackward0"


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample's channel groups (C / num_groups channels and all spatial
    positions each), then scale and shift per channel."""
    if input.dim() < 2:
        raise RuntimeError("Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    x = input._data
    n, c = x.shape[:2]
    if c % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(x.shape)} and "
                           f"num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.dim() != 1 or p.shape[0] != c):
            shown = weight if weight is not None else p  # (PyTorch prints weight's shape)
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape "
                               f"{list(shown.shape)} and input of shape {list(x.shape)}")
    _check_dtypes(input, "GroupNormKernelImpl", weight=weight, bias=bias)
    work = (n, num_groups, c // num_groups, math.prod(x.shape[2:]))
    mean, rstd, _, xc = _array_stats(x.reshape(work), (2, 3), eps)
    return _NativeGroupNorm.apply(input, weight, bias, mean, rstd, (2, 3), (0, 3),
                                  (num_groups, c // num_groups, 1), eps, xc, work)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2 over the trailing dims) + eps) * weight; eps defaults to the dtype's
    machine epsilon. Built from differentiable ops (PyTorch's grad_fn is MulBackward0 too)."""
    shape = [int(normalized_shape)] if isinstance(normalized_shape, int) else \
        [int(s) for s in normalized_shape]
    k = len(shape)
    if input.dim() < k or list(input.shape[input.dim() - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    dt = input._data.dtype
    if weight is not None and weight._data.dtype != dt:
        _warn_rms_mismatch(dt, weight._data.dtype)
    # PyTorch's composite works on half in float32 (eps then float32's too), multiplies by
    # the weight there and ends in the input's dtype (type_as: a ToCopyBackward0 node)
    x = input.float() if dt == np.float16 else input
    if eps is None:
        eps = float(np.finfo(x._data.dtype).eps)
    dims = tuple(range(-k, 0))
    out = x * (x * x).mean(dims, keepdim=True).add(eps).rsqrt()
    if weight is not None:
        out = out * weight
    return out if out._data.dtype == dt else out.to(input.dtype)


_RMS_WARNED = []  # PyTorch's TORCH_WARN_ONCE: one warning a process, whatever the dtypes
_TYPE_META = {"float16": "c10::Half", "float32": "float", "float64": "double"}


def _warn_rms_mismatch(dt, wdt) -> None:
    from ..._config import _State
    from ..._warn import warn

    if _RMS_WARNED and not _State.warn_always:
        return
    if not _State.warn_always:
        _RMS_WARNED.append(True)
    warn(f"Mismatch dtype between input and weight: input dtype = "
         f"{_TYPE_META.get(dt.name, dt.name)}, weight dtype = "
         f"{_TYPE_META.get(wdt.name, wdt.name)}, Cannot dispatch to fused implementation.")


def _check_channels(c: int, **tensors) -> None:
    for name, t in tensors.items():
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _update_running(buf: Tensor, stat: np.ndarray, momentum: float) -> None:
    """buf = (1 - momentum) * buf + momentum * stat, in place and untracked."""
    arr = buf._ensure_array()
    if arr.dtype == np.float16:  # PyTorch: worked out in float, rounded to half once
        arr[...] = (arr.astype(np.float32) * (1.0 - momentum) + momentum * stat).astype(
            np.float16)
    else:
        arr *= 1.0 - momentum
        arr += (momentum * stat).astype(arr.dtype, copy=False)
    buf._bump()


def _keeps_layout(x: np.ndarray) -> bool:
    """Channels-last (4-D) or channels-last-3d (5-D): PyTorch's suggested formats kept."""
    return (x.ndim == 4 and x.transpose(0, 2, 3, 1).flags.c_contiguous) or (
        x.ndim == 5 and x.transpose(0, 2, 3, 4, 1).flags.c_contiguous)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and spatial dims, then scale and shift.

    Training: the batch's statistics, and the running ones (when given) move toward them by
    ``momentum``, the variance unbiased (n / (n - 1)). Evaluation: the running statistics.
    """
    if training:
        size = input.shape
        if math.prod(size[:1] + size[2:]) == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {size!r}")
    c = input.shape[1] if input.dim() > 1 else 1
    _check_channels(c, running_mean=running_mean, running_var=running_var, weight=weight,
                    bias=bias)
    _check_dtypes(input, "batch_norm", training, weight=weight, bias=bias,
                  running_mean=running_mean, running_var=running_var)
    x = input._data
    if not x.flags.c_contiguous and not _keeps_layout(x):
        # PyTorch's result is laid out in the input's suggested memory format: row-major
        # unless channels-last (a 3-D input transposed back from (B, C, T) is not viewable)
        x = np.ascontiguousarray(x)
    stat_axes = (0,) + tuple(range(2, x.ndim))
    view = (c,) + (1,) * (x.ndim - 2)
    if training:
        mean, rstd, var, xc = _array_stats(x, stat_axes, eps)
        n = x.size // c if c else 0  # (an empty batch of instance_norm has no channels)
        if running_mean is not None and n:  # PyTorch: an empty batch leaves them alone
            _update_running(running_mean, mean.reshape(-1), momentum)
        if running_var is not None and n:
            _update_running(running_var, var.reshape(-1) * (n / max(n - 1, 1)), momentum)
        if x.dtype == np.float16 and not any(
                t is not None and t.dtype != input.dtype
                for t in (weight, bias, running_mean, running_var)):
            # PyTorch keeps the batch's mean and 1/std in the parameters' dtype, half unless
            # one of them is float (mixed): rounded, then used for y and its gradient
            mean, rstd = (a.astype(np.float16).astype(np.float32) for a in (mean, rstd))
            xc = x.astype(np.float32) - mean
        return _NativeBatchNorm.apply(input, weight, bias, mean, rstd, stat_axes, stat_axes,
                                      view, eps, xc, None)
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    mean, var = running_mean._data.reshape(view), running_var._data.reshape(view)
    if x.dtype == np.float16:  # worked on in float32, as PyTorch does (see _array_stats)
        mean, var = mean.astype(np.float32), var.astype(np.float32)
    rstd = 1.0 / np.sqrt(var + eps)
    return _NativeBatchNorm.apply(input, weight, bias, mean, rstd, None, stat_axes, view, eps,
                                  x - mean, None)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each sample's channels over their spatial positions: batch_norm on the
    (1, N * C, *spatial) view, as PyTorch computes it; running statistics (when given) move
    toward the batch average of the per-instance ones."""
    size = input.shape
    if use_input_stats and math.prod(size[2:]) == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{size!r}")
    n, c = size[0], size[1]
    flat = input.reshape((1, n * c) + tuple(size[2:]))
    rep = [None if t is None else t.repeat(n) for t in (weight, bias)]
    stats = [None if t is None else Tensor._make(np.tile(t._data, n), False, None)
             for t in (running_mean, running_var)]
    out = batch_norm(flat, stats[0], stats[1], rep[0], rep[1], use_input_stats, momentum, eps)
    for buf, tiled in zip((running_mean, running_var), stats):
        if buf is not None and use_input_stats:
            arr = buf._ensure_array()
            arr[...] = tiled._data.reshape(n, c).mean(axis=0)
            buf._bump()
    return out.reshape(size)
