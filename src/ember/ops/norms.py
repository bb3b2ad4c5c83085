"""Vector norms: torch.norm / Tensor.norm for p = 0, 1, 2, 'fro', any p, and +-inf."""

from __future__ import annotations

import numpy as np

from .._aten_norm import norm2, rows
from ..autograd.function import NULL_CTX, Primitive
from ._layout import reduced
from .arithmetic import type_name
from ._util import keep_reduced as _keep
from .extrema import _reduced_axes as _axes


class Norm(Primitive):
    """y = (sum |x|^p)^(1/p) over axes;  dy/dx = sign(x) |x|^(p-1) / y^(p-1).

    As PyTorch, the gradient is 0 where y = 0 (and, for p < 1, where x = 0) instead of nan.
    p = 2: dy/dx = x / y, rounded as PyTorch's g * (x / y).
    p = +-inf: y = max (min) |x|;  dy/dx = sign(x)/k at the k entries where |x| = y, else 0.
    """

    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        if x.dtype == np.float16:  # PyTorch computes a half norm in float32, rounds once
            y = Norm.forward(NULL_CTX, x.astype(np.float32), p, axes, keepdim).astype(x.dtype)
            if ctx.needs_input_grad and p in (np.inf, -np.inf):
                a = np.abs(x)
                ctx.mask = a == np.max(a, axis=axes, keepdims=True) if p > 0 else \
                    a == np.min(a, axis=axes, keepdims=True)
                ctx.count = np.sum(ctx.mask, axis=axes, keepdims=True)
            ctx.save_for_backward(x, y)
            ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
            return y
        a = np.abs(x)
        if p in (np.inf, -np.inf):
            y = (np.max if p > 0 else np.min)(a, axis=axes, keepdims=True)
            if ctx.needs_input_grad:  # the entries at the extreme share its gradient
                mask = a == y
                ctx.mask, ctx.count = mask, np.sum(mask, axis=axes, keepdims=True)
            y = y if keepdim else np.squeeze(y, axis=axes) if axes is not None else y.reshape(())
        elif p == 2:  # in ATen's order where it reads dense runs (_aten_norm.py)
            y = norm2(x, axes, keepdim)
            if y is None:
                y = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
        elif p == 1:
            y = _sum_in_order(x, a, axes, keepdim)
        else:
            y = _sum_in_order(x, a ** p, axes, keepdim) ** (1.0 / p)
        y = reduced(np.asarray(y, dtype=x.dtype), x)
        ctx.save_for_backward(x, y)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _norm_grad(ctx, x, y, g)


def _sum_in_order(x: np.ndarray, terms: np.ndarray, axes, keepdim: bool):
    """sum of ``terms`` (|x| or |x|^p) over axes as ATen's norm kernel for p other than 2
    adds them: one at a time, in the order _aten_norm.rows gives (its generic loop, also on
    dense runs), so 1-norms and p-sums round as PyTorch's. NumPy's pairwise sum where rows
    declines (runs longer than ATen's grain, which it splits across threads)."""
    got = rows(terms, axes)
    if got is None:
        return np.sum(terms, axis=axes, keepdims=keepdim)
    r, shape, _ = got
    y = (np.add.accumulate(r[0])[-1:] if r.shape[0] == 1
         else np.add.reduce(np.ascontiguousarray(r.T), axis=0)).reshape(shape)
    if keepdim:
        nd = x.ndim
        gone = range(nd) if axes is None else [a % nd for a in axes]
        y = y.reshape([1 if a in gone else x.shape[a] for a in range(nd)])
    return y


def _norm_grad(ctx, x, y, g) -> tuple:
    """Norm's rule: (dy/dx * g, None, None, None)."""
    p = ctx.p
    y, g = _keep(y, ctx.axes, ctx.keepdim), _keep(g, ctx.axes, ctx.keepdim)
    if p in (np.inf, -np.inf):
        return (np.sign(x) * (g * ctx.mask / ctx.count), None, None, None)
    nonzero = y != 0
    safe_y = np.where(nonzero, y, 1)
    if p == 2:  # PyTorch's order: g * (x / y), the quotient 0 where y = 0
        return (g * np.where(nonzero, x / safe_y, 0), None, None, None)
    if p == 1:
        return (np.sign(x) * g, None, None, None)
    a = np.abs(x)
    elem = np.sign(x) * np.where(a == 0, 0, np.where(a == 0, 1, a) ** (p - 1))
    return (elem * (g / safe_y ** (p - 1) * nonzero), None, None, None)


class Dist(Primitive):
    """y = ||a - b||_p over all (broadcast) entries;  with d = a - b, dy/da = dy/dd (Norm's
    rule above) and dy/db = -dy/dd."""

    node_name = "DistBackward0"

    @staticmethod
    def forward(ctx, a, b, p):
        y = Norm.forward(ctx, a - b, p, None, False)
        ctx.save_for_backward(a, b, y)  # (a - b again in backward: double backward sees a, b)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        gd = _norm_grad(ctx, a - b, y, g)[0]
        need_a, need_b = ctx.needs_input_grad[:2]
        return (gd if need_a else None), (-gd if need_b else None), None


class NormZero(Primitive):
    """y = number of nonzero x over axes;  PyTorch gives no gradient (None) for it."""

    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        return reduced(np.sum(x != 0, axis=axes, keepdims=keepdim).astype(x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        return (None, None, None)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm over ``dim`` (all elements when None); 'fro' is p = 2."""
    if isinstance(p, str) and p != "fro":  # 'nuc' (and unknown orders): a matrix norm
        from .linalg_norms import matrix_norm

        dims = tuple(range(input._data.ndim)) if dim is None else \
            (dim,) if isinstance(dim, int) else tuple(dim)
        return matrix_norm(input, p, dims, keepdim, dtype=dtype)
    check_norm_dtype(input, dtype, "linalg.vector_norm")
    x = input if dtype is None else input.to(dtype)
    if isinstance(p, str) and dim is not None and not isinstance(dim, int) and len(dim) > 2:
        _fro_over_many_dims(x._data, dim)
    if x._data.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {type_name(x._data.dtype)}")
    axes = _axes(x._data, dim)
    if p in ("fro", None):
        p = 2
    if p in (float("inf"), float("-inf")):
        _check_inf_norm(x._data, axes)
    if p == 0:
        return NormZero.apply(x, axes, bool(keepdim))
    return Norm.apply(x, float(p), axes, bool(keepdim))


def check_norm_dtype(x, dtype, name: str) -> None:
    """PyTorch's checks of a norm's ``dtype=``, before anything else: the input floating,
    the dtype floating, and the input's dtype reaching it without narrowing (float16 ->
    float32 is taken, float64 -> float32 is refused)."""
    if dtype is None:
        return
    from .. import dtypes as D

    src, want = x._data.dtype, np.dtype(D.to_np(D.to_dtype(dtype)))
    if src.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {type_name(src)}")
    if want.kind != "f":
        raise RuntimeError(f"{name}: dtype should be floating point or complex, but got "
                           f"{type_name(want)}")
    if np.promote_types(src, want) != want:
        raise RuntimeError(f"{name}: the dtype of the input ({type_name(src)}) should be "
                           "convertible without narrowing to the specified dtype "
                           f"({type_name(want)})")


def _fro_over_many_dims(x: np.ndarray, dim) -> None:
    """PyTorch's Frobenius norm ('fro', norm's default p) is a matrix norm when ``dim`` is a
    sequence: more than two dims is its error, not the 2-norm over all of them (p=2 or None
    is the vector norm, which takes any number)."""
    if x.dtype.kind not in "fc":
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as "
                           f"input. Got {type_name(x.dtype)}")
    raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                       + " ".join(str(d) for d in dim))


def _check_inf_norm(x: np.ndarray, axes) -> None:
    """PyTorch's errors for an inf-norm over nothing (max has no identity)."""
    if axes is None and x.size == 0:
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                           "because the operation does not have an identity")
    for a in axes or ():
        if x.shape[a] == 0:  # PyTorch's message lacks the space before "because"
            raise RuntimeError(f"linalg.vector_norm cannot compute the inf norm on the "
                               f"dimension {a}because this dimension is empty and the "
                               "operation does not have an identity")
