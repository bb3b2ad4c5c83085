"""Matrix products. One primitive, ``MatMul``, covers every shape case of ``torch.matmul``."""

from __future__ import annotations

import numpy as np

from .. import _aten_sum, threads as _threads
from .._fma import fma_into
from .._np_raw import dot as _dot
from ..threads import matmul as _blas_matmul

from ..autograd.function import Node, Primitive
from ..tensor import Tensor
from ._matmul_checks import (_C_NAMES, _check_matmul, _check_same_dtype,  # noqa: F401
                             _kind, _mm_shapes)
from ._shown_graph import LinearNode, LinearViewNode


# np.dot zero-fills its output before the BLAS call; from about 12,000 float32 entries on
# (48 KB) that costs more than np.matmul's ufunc dispatch (measured crossover on this BLAS).
DOT_OUT_MAX = 12288


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
                # layouts) without the matmul ufunc's ~0.3 us of dispatch, but it zero-fills
                # its output first: from DOT_OUT_MAX entries on, that costs more (~1 us at
                # 128x128).
                if a.shape[0] * b.shape[1] < DOT_OUT_MAX:
                    return _dot(a, b)
                return np.matmul(a, b)
        elif a.ndim > 2 and b.ndim > 2 and 0 < a.shape[-2] * a.shape[-1] * b.shape[-1] < 400 \
                and a.dtype.kind == "f":
            return _small_bmm(a, b)
        return _blas_matmul(a, b)
    return np.matmul(a, b)


def _small_bmm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A batched product of matrices with fewer than 400 multiply-adds each, as PyTorch's bmm
    computes it (its kernel for small matrices): each entry sums its k products one at a time
    from 0, in float32 for float16. BLAS orders and fuses the sum otherwise, and the last bit
    that changes shows in printed values (d2l's attention weights print 2. against 2.0000).
    Costs 3-10x the BLAS call (2-60 us), as PyTorch's own loop does."""
    acc = np.float32 if a.dtype == np.float16 else a.dtype
    k = a.shape[-1]
    if k <= 16:  # one broadcast multiply-add per k: ~4x faster than accumulate at k <= 16
        out = np.multiply(a[..., :, 0, None], b[..., None, 0, :], dtype=acc)
        for j in range(1, k):
            out += np.multiply(a[..., :, j, None], b[..., None, j, :], dtype=acc)
    else:
        terms = np.multiply(a[..., :, :, None], b[..., None, :, :], dtype=acc)  # (.., n, k, m)
        out = np.add.accumulate(terms, axis=-2)[..., -1, :]  # accumulate: strictly in order
    out += 0  # the sum starts at +0: a sum of -0.0 terms is +0.0 there
    return out.astype(a.dtype, copy=False)


_ONES: dict = {}


def _col_sum(g: np.ndarray) -> np.ndarray:
    """g.sum(axis=0) of a 2-D float array as ones . g: one BLAS call, 2-4x faster than
    NumPy's reduction over the first axis at (64..256, 2..64). A single column (a regression
    head's bias) is one whole sum, as PyTorch adds it: in ATen's order (+1.7 us at 256x1;
    BLAS's order put 50-75% of them a bit apart, and SGD runs parted at the first step)."""
    if g.shape[1] == 1 and _aten_sum.use(g):
        return np.asarray(_aten_sum.total(g)).reshape(1)
    key = (g.shape[0], g.dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = _ONES[key] = np.ones(g.shape[0], g.dtype)
        ones.flags.writeable = False
    # the same BLAS call as @, ~0.25 us less dispatch (a Tensor g, in a create_graph
    # backward, dispatches back to ember)
    return _dot(ones, g) if type(g) is np.ndarray else np.dot(ones, g)


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
        if type(a) is np.ndarray and type(b) is np.ndarray and type(g) is np.ndarray \
                and a.ndim > 2 and b.ndim == 2:  # (attributes, not np.ndim: ~0.3 us each)
            # PyTorch folds (..., m, k) @ (k, n) into one (B m, k) @ (k, n) mm, and so its
            # gradients: dL/dB one product over all B m rows (a sum per batch, then across,
            # rounds differently), dL/dA one (B m, n) @ (n, k) product (BLAS blocks it so)
            g2 = g.reshape(-1, g.shape[-1])
            ga = _mm(g2, b.T).reshape(a.shape) if need_a else None
            gb = _mm(a.reshape(-1, a.shape[-1]).T, g2) if need_b else None
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


def _not_tensor(**given) -> TypeError:
    from ._int_args import first_not_tensor  # (error paths only)

    return first_not_tensor(**given)


def _array(value, input, other) -> Tensor:
    """A NumPy array operand from NumPy's side (``np.matmul(t, a)``) or ember's own code, as a
    Tensor; from the user's ``torch.matmul(t, a)`` PyTorch's TypeError, as for other
    non-tensors."""
    if type(value) is not np.ndarray:
        raise _not_tensor(input=input, other=other)
    from .._call_site import user_operand  # (arrays only: not the Tensor path)

    if user_operand(value) is not None:
        raise _not_tensor(input=input, other=other)
    return Tensor._make(value, False, None)


def matmul(input, other):
    a = input if isinstance(input, Tensor) else _array(input, input, other)
    b = other if isinstance(other, Tensor) else _array(other, input, other)
    _check_matmul(a, b)
    if a._data.dtype != b._data.dtype:  # only an empty batched product gets here
        a = a.to(b._data.dtype)
    return _node_for(a._data.ndim, b._data.ndim).apply(a, b)


def linear_forward(x: np.ndarray, w: np.ndarray, b) -> np.ndarray:
    """x @ w.T + b on arrays: Linear's forward, also run directly by nn's no_grad fast path."""
    wt = w.T  # w is 2-D: .T is np.swapaxes without its ~0.4 us Python wrapper
    if x.dtype == np.float16 and b is not None:
        # PyTorch's float16 addmm accumulates x @ w.T + b in float32 and rounds once.
        f32 = np.float32
        return (_mm(x.astype(f32), wt.astype(f32)) + b.astype(f32)).astype(np.float16)
    if x.shape[-1] == 1 and b is not None and x.ndim > 1 and x.size > 1 and wt.shape[1] > 1 \
            and x.dtype.char in "fd":
        # One input feature: PyTorch's addmm makes each entry one multiply-add rounded once
        # (its kernel's FMA); a product then a sum rounds twice (1 ulp on ~20% of entries).
        # One row or one output is PyTorch's matrix-vector path: rounded twice there too.
        if x.dtype.char == "f":  # float64 products are exact; one BLAS call (k = 1) is
            # ~2 us faster than a broadcast multiply at 200x32; then one sum, rounded once
            y = _dot(x.reshape(-1, 1).astype(np.float64), wt.astype(np.float64))
            y += b
            return y.astype(np.float32).reshape(x.shape[:-1] + wt.shape[1:])
        return fma_into(np.empty(x.shape[:-1] + wt.shape[1:], x.dtype), x, wt[0], b)
    if x.ndim == 2 and x.shape[1] > 1 and _threads._one and x.size * wt.shape[1] <= _threads.LARGE:
        # _mm's common case, without the call
        y = _dot(x, wt) if x.shape[0] * wt.shape[1] < DOT_OUT_MAX else np.matmul(x, wt)
    else:
        y = _mm(x, wt)
    if b is not None:
        y += b
    return y


class Linear(Primitive):
    """y = x @ W^T + b;  dL/dx = g @ W,  dL/dW = g^T @ x,  dL/db = sum of g over the batch
    (batch axes folded; without a bias, no b).

    Fused: one node instead of three; saves two NumPy calls and a node. As PyTorch, x is saved only for dL/dW, W only for dL/dx (an optimizer step between two
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
    _node_base = LinearViewNode  # next_functions as PyTorch's view of addmm
    exact_grads = False


# PyTorch: view(x) (3 before), TBackward0 (2), addmm (1), then this view: the bias, then
# the weight, then the input's gradient go on (autograd/_ordered.py).
LinearView._node_cls._push = ((1, (2, (3, (0,)), (2, (1,)))),)


class LinearBatched(Linear):
    node_name = "UnsafeViewBackward0"
    _node_base = LinearViewNode  # next_functions as PyTorch's view of mm
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
        if input._data.ndim > 2 and not input._data.flags.c_contiguous:
            # PyTorch folds only a contiguous input into one addmm; a strided one is
            # matmul(x, W^T) then add_(b): AddBackward0 over UnsafeViewBackward0, and
            # float16 rounds twice (open_clip's attention out_proj after a transpose)
            return matmul(input, weight.t()).add_(bias)
    return _linear_node(input._data.ndim, bias is not None).apply(input, weight, bias)


# the matrix-product functions with their own checks (moved for size; ops.* and the
# methods find them here as before)
from .products import bmm, dot, ger, inner, mm, mv, outer  # noqa: E402,F401
