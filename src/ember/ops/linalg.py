"""Matrix products. One primitive, ``MatMul``, covers every shape case of ``torch.matmul``."""

from __future__ import annotations

import numpy as np

from .. import threads as _threads
from ..threads import matmul as _blas_matmul

from ..autograd.function import Node, Primitive
from ..tensor import Tensor
from ._shown_graph import LinearNode
from ._util import check_broadcast


def _mm(a, b):
    """a @ b: on arrays through ember's BLAS thread policy (threads.py); on Tensors (higher
    order) through NumPy's dispatch back to ember."""
    if type(a) is np.ndarray and type(b) is np.ndarray:
        if a.ndim == 2 and b.ndim == 2:
            if a.shape[1] == 1:
                # (m, 1) @ (1, n) is an outer product: each entry one rounded multiply, as in
                # the BLAS call, which costs ~3x more (7 us against 2.7 us at 200x1 @ 1x32).
                return a * b
            if _threads._one and a.size * b.shape[1] <= _threads.LARGE:
                # Small, BLAS already on one thread: threads.matmul's first case. np.dot is
                # the same BLAS call for 2-D arrays (bit-identical on 6000 random shapes and
                # layouts) without the matmul ufunc's ~0.3 us of dispatch.
                return np.dot(a, b)
        return _blas_matmul(a, b)
    return np.matmul(a, b)


_ONES: dict = {}


def _col_sum(g: np.ndarray) -> np.ndarray:
    """g.sum(axis=0) of a 2-D float array as ones . g: one BLAS call, 2-4x faster than
    NumPy's reduction over the first axis at (64..256, 2..64)."""
    key = (g.shape[0], g.dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = _ONES[key] = np.ones(g.shape[0], g.dtype)
        ones.flags.writeable = False
    return np.dot(ones, g)  # np.dot: the same BLAS call as @, ~0.25 us less dispatch


def _mT(a):
    return np.swapaxes(a, -1, -2)


class MatMul(Primitive):
    """C = A @ B;  dL/dA = dL/dC @ B^T,  dL/dB = A^T @ dL/dC.

    1-D operands are treated as a row (A) or a column (B) vector and the added axis dropped;
    batch axes broadcast, and the engine sums their gradients back down.
    """

    node_name = "MmBackward0"
    saved_for = ((1,), (0,))  # A only for dL/dB, B only for dL/dA

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _mm(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a_vec, b_vec = np.ndim(a) == 1, np.ndim(b) == 1
        if a_vec and b_vec:  # dot product: g is a scalar
            return (g * b if need_a else None), (g * a if need_b else None)
        if a_vec:  # (k) @ (..., k, n) -> (..., n)
            g2 = np.expand_dims(g, -2)
            ga = _mm(g2, _mT(b)) if need_a else None
            gb = _mm(np.expand_dims(a, -1), g2) if need_b else None
            if ga is not None:
                ga = np.reshape(ga, (-1, np.shape(a)[0])).sum(axis=0) if np.ndim(ga) > 2 else \
                    np.reshape(ga, np.shape(a))
            return ga, gb
        if b_vec:  # (..., m, k) @ (k) -> (..., m)
            g2 = np.expand_dims(g, -1)
            ga = _mm(g2, np.expand_dims(b, -2)) if need_a else None
            gb = _mm(_mT(a), g2) if need_b else None
            if gb is not None:
                gb = np.reshape(gb, (-1, np.shape(b)[0])).sum(axis=0)
            return ga, gb
        ga = _mm(g, _mT(b)) if need_a else None
        gb = _mm(_mT(a), g) if need_b else None
        return ga, gb


# The same rule under the names PyTorch gives each shape case's grad_fn (set explicitly:
# a subclass would inherit MatMul's).
class Dot(MatMul):
    node_name = "DotBackward0"


class Mv(MatMul):
    node_name = "MvBackward0"


class Bmm(MatMul):
    node_name = "BmmBackward0"


class VecMat(MatMul):
    node_name = "SqueezeBackward4"


class BatchedMatMul(MatMul):
    node_name = "UnsafeViewBackward0"


class MatBatched(MatMul):
    node_name = "CloneBackward0"


class Inner(MatMul):
    node_name = "ViewBackward0"


def _node_for(na: int, nb: int):
    if na == 2 and nb > 2:
        return MatBatched
    if na > 2 or nb > 2:
        return BatchedMatMul
    return {(1, 1): Dot, (1, 2): VecMat, (2, 1): Mv}.get((na, nb), MatMul)


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
    if nb == 1 or (na == 1 and nb > 2):  # a vector against a batch is an addmv too
        x, m = (b, a) if nb == 1 else (a, b)
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{_kind(x)}, {_kind(m)}, and {_kind(x)}")
    if nb == 2 or (na <= 2 and nb <= 2):
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{_C_NAMES[a._data.dtype.name]} != {_C_NAMES[b._data.dtype.name]}")
    raise RuntimeError(f"expected scalar type {_kind(a)} but found {_kind(b)}")


def matmul(input, other):
    a = input if isinstance(input, Tensor) else Tensor._make(np.asarray(input), False, None)
    b = other if isinstance(other, Tensor) else Tensor._make(np.asarray(other), False, None)
    _check_matmul(a, b)
    if a._data.dtype != b._data.dtype:  # only an empty batched product gets here
        a = a.to(b._data.dtype)
    return _node_for(a._data.ndim, b._data.ndim).apply(a, b)


def mm(input, mat2):
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"{'self' if input._data.ndim != 2 else 'mat2'} must be a matrix")
    return matmul(input, mat2)


def bmm(input, mat2):
    for name, t in (("batch1", input), ("batch2", mat2)):
        if t._data.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    sa, sb = input._data.shape, mat2._data.shape
    if (sa[0], sa[2]) != (sb[0], sb[1]):
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    _check_same_dtype(input, mat2, 3, 3)
    return Bmm.apply(input, mat2)


def dot(input, other):
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    return matmul(input, other)


def inner(input, other):
    """Sum over the last dims: shape input.shape[:-1] + other.shape[:-1]."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(sa)} and {list(sb)}")
    if input._data.ndim == 1 and other._data.ndim == 1:
        _check_same_dtype(input, other, 1, 1)
        return Inner.apply(input, other)
    k = sa[-1]
    flat = matmul(input.reshape(-1, k), other.reshape(-1, k).t())
    return flat.reshape(sa[:-1] + sb[:-1])


def mv(input, vec):
    if input._data.ndim == 0:  # PyTorch sizes the result by input's first dim first
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    return matmul(input, vec)


def outer(input, vec2):
    """Composite: u[:, None] * v[None, :]."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def linear_forward(x: np.ndarray, w: np.ndarray, b) -> np.ndarray:
    """x @ w.T + b on arrays: Linear's forward, also run directly by nn's no_grad fast path."""
    wt = w.T  # w is 2-D: .T is np.swapaxes without its ~0.4 us Python wrapper
    if x.dtype == np.float16 and b is not None:
        # PyTorch's float16 addmm accumulates x @ w.T + b in float32 and rounds once.
        f32 = np.float32
        return (_mm(x.astype(f32), wt.astype(f32)) + b.astype(f32)).astype(np.float16)
    if x.ndim == 2 and x.shape[1] > 1 and _threads._one and x.size * wt.shape[1] <= _threads.LARGE:
        y = np.dot(x, wt)  # _mm's common case, without the call
    else:
        y = _mm(x, wt)
    if b is not None:
        y += b
    return y


class Linear(Primitive):
    """y = x @ W^T + b  (fused: one node instead of three; saves two NumPy calls and a node).

    dL/dx = g @ W,  dL/dW = g^T @ x (batch axes folded),  dL/db = sum of g over batch axes.
    As PyTorch, x is saved only for dL/dW, W only for dL/dx (an optimizer step between two
    backwards of one forward is then no error when x needs no gradient).
    """

    node_name = "AddmmBackward0"
    exact_grads = True  # the 2-D case only: the batched subclasses below say False
    _node_base = LinearNode  # next_functions as PyTorch's addmm graph (_shown_graph.py)

    @staticmethod
    def forward(ctx, x, w, b):
        need = ctx.needs_input_grad  # () when nothing is recorded
        saved = (x, w) if not need or need[0] and need[1] else (w,) if need[0] else (x,)
        ctx.save_for_backward(*saved)
        return linear_forward(x, w, b)

    @staticmethod
    def backward(ctx, g):
        need_x, need_w, need_b = ctx.needs_input_grad
        saved = ctx.saved_tensors
        x, w = saved if need_x and need_w else (saved[0], None) if need_w else (None, saved[0])
        if type(g) is np.ndarray and g.ndim == 2 and g.dtype.kind == "f":
            # The common case, a 2-D batch of arrays: no reshapes, bias gradient by BLAS.
            return ((_mm(g, w) if need_x else None), (_mm(g.T, x) if need_w else None),
                    (_col_sum(g) if need_b else None))
        gx = _mm(g, w) if need_x else None
        gw = gb = None
        if need_w:
            g2 = np.reshape(g, (-1, np.shape(g)[-1]))
            x2 = np.reshape(x, (-1, np.shape(x)[-1]))
            gw = _mm(_mT(g2), x2)
        if need_b:
            gb = np.reshape(g, (-1, np.shape(g)[-1])).sum(axis=0)
        return gx, gw, gb


class LinearNoBias(Linear):
    node_name = "MmBackward0"


class LinearVec(Linear):
    node_name = "SqueezeBackward4"
    _node_base = Node  # (their PyTorch graphs have other nodes: shown as recorded)
    exact_grads = False


class LinearView(Linear):
    node_name = "ViewBackward0"
    _node_base = Node  # (their PyTorch graphs have other nodes: shown as recorded)
    exact_grads = False


class LinearBatched(Linear):
    node_name = "UnsafeViewBackward0"
    _node_base = Node  # (their PyTorch graphs have other nodes: shown as recorded)
    exact_grads = False


def _linear_node(ndim: int, has_bias: bool):
    if ndim == 2:
        return Linear if has_bias else LinearNoBias
    if has_bias:
        return LinearView
    return LinearVec if ndim == 1 else LinearBatched


def linear(input, weight, bias=None):
    """y = input @ weight^T + bias, for input of any number of leading batch dims."""
    try:
        xd, wd = input._data, weight._data
    except AttributeError:  # a NumPy array or list fed to a layer
        bad, pos, arg = ((input, 1, "input") if not isinstance(input, Tensor) else
                         (weight, 2, "weight"))
        from .._typename import arg_type_name

        raise TypeError(f"linear(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{arg_type_name(bad)}\nHint: convert it first, e.g. "
                        "torch.from_numpy(x).float() or torch.tensor(x, dtype=torch.float32)."
                        ) from None
    if wd.ndim == 2 and xd.ndim == 2 and xd.dtype is wd.dtype and xd.shape[1] == wd.shape[1]:
        # A batch of rows, the usual case: what the checks below would accept (~0.4 us less).
        if bias is None:
            return LinearNoBias.apply(input, weight, None)
        bd = bias._data
        if bd.dtype is xd.dtype and bd.shape == (wd.shape[0],):
            return Linear.apply(input, weight, bias)
    if input._data.ndim == 0 or weight._data.ndim == 0:  # checked before dtypes, as PyTorch
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input._data.ndim}D and {weight._data.ndim}D")
    if input._data.dtype != weight._data.dtype:
        # PyTorch words it by path: addmm (with bias) or mm (without).
        first = (f"mat1 and mat2 must have the same dtype, but got {_kind(input)} and "
                 f"{_kind(weight)}" if bias is not None else
                 "expected m1 and m2 to have the same dtype, but got: "
                 f"{_C_NAMES[input._data.dtype.name]} != {_C_NAMES[weight._data.dtype.name]}")
        model = (f" (or the model with .to({input.dtype}))" if input._data.dtype.kind == "f"
                 else "")  # (a model of integers cannot learn: no hint to make one)
        raise RuntimeError(
            f"{first}\nHint: the layer's parameters are {weight.dtype}; convert the input "
            f"with .to({weight.dtype}){model}.")
    if weight._data.ndim == 1:  # a vector weight: a dot product, with no bias to add (PyTorch)
        if bias is not None:
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        return matmul(input, weight)
    if weight._data.ndim != 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{weight._data.ndim}D")
    sa, (n_out, n_in) = input._data.shape, weight._data.shape
    if sa[-1] != n_in:
        rows = int(np.prod(sa[:-1]))  # for the message only: np.prod costs ~3 us
        raise RuntimeError(_mm_shapes(f"{rows}x{sa[-1]}", f"{n_in}x{n_out}").split("\n")[0] +
                           f"\nHint: the layer expects {n_in} input features but the input's "
                           f"last dimension has {sa[-1]}.")
    if bias is not None:
        if bias._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected scalar type {_kind(input)} but found {_kind(bias)}")
        if bias._data.shape != (n_out,):  # (1, out), (N, out), 0-d...: broadcast as PyTorch
            from .linear_bias import linear_shaped_bias
            return linear_shaped_bias(input, weight, bias)
    return _linear_node(input._data.ndim, bias is not None).apply(input, weight, bias)
