"""Matrix products. One primitive, ``MatMul``, covers every shape case of ``torch.matmul``."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import promote


def _mT(a):
    return np.swapaxes(a, -1, -2)


class MatMul(Primitive):
    """C = A @ B;  dL/dA = dL/dC @ B^T,  dL/dB = A^T @ dL/dC.

    1-D operands are treated as a row (A) or a column (B) vector and the added axis dropped;
    batch axes broadcast, and the engine sums their gradients back down.
    """

    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a_vec, b_vec = np.ndim(a) == 1, np.ndim(b) == 1
        if a_vec and b_vec:  # dot product: g is a scalar
            return (g * b if need_a else None), (g * a if need_b else None)
        if a_vec:  # (k) @ (..., k, n) -> (..., n)
            g2 = np.expand_dims(g, -2)
            ga = np.matmul(g2, _mT(b)) if need_a else None
            gb = np.matmul(np.expand_dims(a, -1), g2) if need_b else None
            if ga is not None:
                ga = np.reshape(ga, (-1, np.shape(a)[0])).sum(axis=0) if np.ndim(ga) > 2 else \
                    np.reshape(ga, np.shape(a))
            return ga, gb
        if b_vec:  # (..., m, k) @ (k) -> (..., m)
            g2 = np.expand_dims(g, -1)
            ga = np.matmul(g2, np.expand_dims(b, -2)) if need_a else None
            gb = np.matmul(_mT(a), g2) if need_b else None
            if gb is not None:
                gb = np.reshape(gb, (-1, np.shape(b)[0])).sum(axis=0)
            return ga, gb
        ga = np.matmul(g, _mT(b)) if need_a else None
        gb = np.matmul(_mT(a), g) if need_b else None
        return ga, gb


def _check_matmul(a: Tensor, b: Tensor, name="matmul") -> None:
    sa, sb = a._data.shape, b._data.shape
    if len(sa) == 0 or len(sb) == 0:
        raise RuntimeError(
            f"both arguments to {name} need to be at least 1D, but they are {len(sa)}D and "
            f"{len(sb)}D"
        )
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        if len(sa) == 1 and len(sb) == 1:
            raise RuntimeError(
                "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same "
                "number of elements, but got {} and {} elements respectively".format(
                    sa[0], sb[0], sa[0], sb[0])
            )
        if len(sa) == 1:
            raise RuntimeError(
                f"size mismatch, got input ({sa[0]}), mat ({sa[0]}x{k_a}), vec ({sb[0]})"
                if len(sb) == 1 else
                f"mat1 and mat2 shapes cannot be multiplied (1x{sa[0]} and "
                f"{'x'.join(map(str, sb[-2:]))})"
            )
        left = f"{int(np.prod(sa[:-1]))}x{k_a}" if len(sb) <= 2 else "x".join(map(str, sa[-2:]))
        right = "x".join(map(str, sb[-2:])) if len(sb) >= 2 else f"{sb[0]}x1"
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({left} and {right})\n"
            "Hint: the inner sizes must agree (A is m x k, B is k x n); check the layer's "
            "in_features against the input's last dimension."
        )


def matmul(input, other):
    a, b = promote(input, other)
    _check_dtypes(input, other, a, b)
    _check_matmul(a, b)
    return MatMul.apply(a, b)


def _check_dtypes(x, y, a, b) -> None:
    if isinstance(x, Tensor) and isinstance(y, Tensor) and x._data.dtype != y._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {x.dtype.name} != "
            f"{y.dtype.name}".replace("float32", "float").replace("float64", "double")
            .replace("int64", "long int")
        )


def mm(input, mat2):
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"{'self' if input._data.ndim != 2 else 'mat2'} must be a matrix")
    return matmul(input, mat2)


def bmm(input, mat2):
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if input._data.shape[0] != mat2._data.shape[0]:
        raise RuntimeError("batch1 and batch2 must have same number of batches, got "
                           f"{input._data.shape[0]} and {mat2._data.shape[0]}")
    return matmul(input, mat2)


def dot(input, other):
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{input.dtype.name.capitalize()} and {other.dtype.name.capitalize()}".replace(
                "Float32", "Float").replace("Float64", "Double").replace("Int64", "Long")
        )
    return matmul(input, other)


inner = dot


def mv(input, vec):
    return matmul(input, vec)


def outer(input, vec2):
    """Composite: u[:, None] * v[None, :]."""
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


class Linear(Primitive):
    """y = x @ W^T + b  (fused: one node instead of three; saves two NumPy calls and a node).

    dL/dx = g @ W,  dL/dW = g^T @ x (batch axes folded),  dL/db = sum of g over batch axes.
    """

    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        y = np.matmul(x, _mT(w))
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = np.matmul(g, w) if need_x else None
        gw = gb = None
        if need_w:
            g2 = np.reshape(g, (-1, np.shape(g)[-1]))
            x2 = np.reshape(x, (-1, np.shape(x)[-1]))
            gw = np.matmul(_mT(g2), x2)
        if need_b:
            gb = np.reshape(g, (-1, np.shape(g)[-1])).sum(axis=0)
        return gx, gw, gb


def linear(input, weight, bias=None):
    if input._data.dtype != weight._data.dtype:
        _check_dtypes(input, weight, input, weight)
    if input._data.shape[-1:] != weight._data.shape[-1:]:
        sa = input._data.shape
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({int(np.prod(sa[:-1]))}x{sa[-1]} and "
            f"{weight._data.shape[1]}x{weight._data.shape[0]})\n"
            f"Hint: the layer expects {weight._data.shape[1]} input features but the input's "
            f"last dimension has {sa[-1]}."
        )
    if weight._data.ndim == 1 or input._data.ndim == 0:
        out = matmul(input, weight.t() if weight._data.ndim == 2 else weight)
        return out if bias is None else out + bias
    return Linear.apply(input, weight, bias)
