"""The checks and PyTorch-worded errors of matrix products (what matmul, mm, bmm, dot,
mv and the layers say about shapes and dtypes they cannot multiply); error paths only."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._util import check_broadcast


_C_NAMES = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "float16": "c10::Half", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool"}


def _kind(t: Tensor) -> str:
    """PyTorch's ScalarType name: Float, Double, Long..."""
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "float16": "Half", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}[t._data.dtype.name]


def _mm_shapes(left: str, right: str) -> str:
    return (f"mat1 and mat2 shapes cannot be multiplied ({left} and {right})\n"
            "Hint: the inner sizes must agree (A is m x k, B is k x n); check the layer's "
            "in_features against the input's last dimension.")


def _check_matmul(a: Tensor, b: Tensor, name="matmul") -> None:
    """PyTorch's error for operands ``matmul`` cannot multiply, as each of its paths words it."""
    sa, sb = a._data.shape, b._data.shape
    if len(sa) == 0 or len(sb) == 0:
        raise RuntimeError(
            f"both arguments to {name} need to be at least 1D, but they are {len(sa)}D and "
            f"{len(sb)}D"
        )
    k_a, k_b = sa[-1], (sb[0] if len(sb) == 1 else sb[-2])
    if len(sb) <= 2:  # PyTorch folds a's batch into rows: mm, mv or dot
        if k_a != k_b:
            rows = int(np.prod(sa[:-1]))  # for the message only: np.prod costs ~3 us
            if len(sa) == 1 and len(sb) == 1:
                if a._data.dtype != b._data.dtype:
                    _check_same_dtype(a, b, 1, 1)  # dot compares dtypes first
                raise RuntimeError(
                    f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to "
                    f"have the same number of elements, but got {sa[0]} and {sb[0]} elements "
                    "respectively")
            if len(sb) == 1:
                raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k_a}), "
                                   f"vec ({sb[0]})")
            raise RuntimeError(_mm_shapes(f"{rows}x{k_a}", f"{sb[0]}x{sb[1]}"))
        _check_same_dtype(a, b, len(sa), len(sb))
        return
    batch_a = sa[:-2] if len(sa) > 2 else ()
    check_broadcast(batch_a, sb[:-2])
    if k_a != k_b:
        batch = int(np.prod(np.broadcast_shapes(batch_a, sb[:-2])))
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {k_a}] but got: [{batch}, {k_b}].")
    if len(sa) > 1 and not (k_a and sa[-2] and sb[-1] and
                            np.prod(np.broadcast_shapes(batch_a, sb[:-2]))):
        return  # PyTorch's bmm returns zeros before comparing dtypes (matmul casts to b's)
    _check_same_dtype(a, b, len(sa), len(sb))


def _check_same_dtype(a: Tensor, b: Tensor, na: int, nb: int) -> None:
    if a._data.dtype.kind == "b" and (nb > 2 or a._data.dtype == b._data.dtype):
        # PyTorch has no bool kernels; a batched product names bmm before comparing dtypes
        name = ("bmm" if nb > 2 else "dot" if na == 1 and nb == 1 else
                "addmv_impl_cpu" if nb == 1 else "addmm_impl_cpu_")
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")
    if a._data.dtype == b._data.dtype:
        return
    if na == 1 and nb == 1:
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{_kind(a)} and {_kind(b)}")
    if max(na, nb) > 2 and not _folds(a, b):  # the operands broadcast to a bmm
        raise RuntimeError(f"expected scalar type {_kind(a)} but found {_kind(b)}")
    if min(na, nb) == 1 and (nb == 1 or max(na, nb) > 2):  # mv: the vector named first
        x, m = (b, a) if nb == 1 else (a, b)
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{_kind(x)}, {_kind(m)}, and {_kind(x)}")
    m1, m2 = (a, b) if na >= nb or max(na, nb) <= 2 else (b, a)  # folded b.mT is mm's m1
    raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                       f"{_C_NAMES[m1._data.dtype.name]} != {_C_NAMES[m2._data.dtype.name]}")


def _folds(a: Tensor, b: Tensor) -> bool:
    """PyTorch matmul's choice (should_fold) between folding the larger operand's batch into
    matrix rows (mm / mv) and broadcasting both to a bmm: it folds a batched operand against
    a matrix or vector when the smaller one requires grad, or (unless ``a`` is the matrix)
    when the larger one, read as ``b.mT`` when ``b`` is larger, views as rows without a copy."""
    na, nb = a.ndim, b.ndim
    big, small = (a, b) if na >= nb else (b, a)
    if not (big.ndim >= 3 and small.ndim <= 2):
        return False
    if small.requires_grad:
        return True
    if na == 2:
        return False
    d = big._data
    if d.size == 0:
        return True
    shape, strides = list(d.shape), list(d.strides)
    if big is b:  # b.mT
        shape[-2:], strides[-2:] = shape[:-3:-1], strides[:-3:-1]
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))
