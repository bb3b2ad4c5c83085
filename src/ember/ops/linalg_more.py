"""More products: addmv, addr, baddbmm, addbmm (beta * input + alpha * a product, one node
each, as PyTorch records them), vdot, cross, kron."""

from __future__ import annotations


import numpy as np

from .._fma import fma_into
from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import check_broadcast, promote, wrap_dim
from .linalg import _C_NAMES, MatMul, _check_matmul, _kind, _mm, _mm_shapes, _mT, matmul
from .shape import Reshape, _reshaped, expand

__all__ = ["addmm", "addmv", "addr", "baddbmm", "addbmm", "vdot", "cross", "kron", "chain_matmul"]


class _AddProduct(Primitive):
    """y = beta * input + alpha * P(m1, m2) for a bilinear product P (input ignored when
    beta is 0, as in PyTorch: its nan/inf do not reach y);
    dL/dinput = beta * g (summed down to input's shape),  dL/dm1, dL/dm2: alpha times P's
    own gradients (each subclass's ``grads``)."""

    half_in_f32 = True  # float16: PyTorch's BLAS-like kernels compute in float32

    @staticmethod
    def product(m1, m2):
        raise NotImplementedError

    @staticmethod
    def grads(g, m1, m2):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, inp, m1, m2, beta, alpha):
        ctx.save_for_backward(m1, m2)
        ctx.beta, ctx.alpha = beta, alpha
        if m1.dtype == np.float16 and cls.half_in_f32:  # as PyTorch: in float32, rounded once
            f32 = np.float32
            y = cls.forward(ctx, inp.astype(f32), m1.astype(f32), m2.astype(f32), beta, alpha)
            ctx.save_for_backward(m1, m2)
            return y.astype(np.float16)
        p = cls.product(m1, m2)
        if alpha != 1:
            p = p * np.asarray(alpha, p.dtype)
        if beta == 0:
            return np.broadcast_to(p, np.broadcast_shapes(p.shape, inp.shape)).copy()
        return p + (inp if beta == 1 else inp * np.asarray(beta, inp.dtype))

    @classmethod
    def backward(cls, ctx, g):
        m1, m2 = ctx.saved_tensors
        need_in, need_1, need_2 = ctx.needs_input_grad[:3]
        gi = (g if ctx.beta == 1 else g * ctx.beta) if need_in else None
        g1 = g2 = None
        if need_1 or need_2:
            ga = g if ctx.alpha == 1 else g * ctx.alpha
            g1, g2 = cls.grads(ga, m1, m2)
        return gi, (g1 if need_1 else None), (g2 if need_2 else None), None, None


class Addmm(_AddProduct):
    """P = A @ B;  dP: g @ B^T for A,  A^T @ g for B."""

    product = staticmethod(_mm)

    @classmethod
    def forward(cls, ctx, inp, m1, m2, beta, alpha):
        if cls is Addmm and beta == 1 and alpha == 1 and m1.shape[1] == 1 and m1.shape[0] > 1 \
                and m2.shape[1] > 1 and m1.dtype.char in "fd" and inp.dtype == m1.dtype:
            # k = 1: each entry one multiply-add rounded once, as PyTorch's kernel (and
            # linear_forward); a product then a sum rounds twice (as PyTorch's one-row or
            # one-column matrix-vector path does)
            ctx.save_for_backward(m1, m2)
            ctx.beta, ctx.alpha = beta, alpha
            return fma_into(np.empty((m1.shape[0], m2.shape[1]), m1.dtype), m1, m2[0], inp)
        return super().forward(ctx, inp, m1, m2, beta, alpha)

    @staticmethod
    def grads(g, a, b):
        return _mm(g, _mT(b)), _mm(_mT(a), g)


class Baddbmm(Addmm):
    """The same rule batch by batch (A @ B on stacks of matrices)."""


class Addmv(_AddProduct):
    """P = M @ v;  dP: outer(g, v) for M,  M^T @ g for v."""

    @staticmethod
    def product(m, v):
        return _mm(m, v)

    @staticmethod
    def grads(g, m, v):
        return np.expand_dims(g, 1) * np.expand_dims(v, 0), _mm(_mT(m), g)


class Addr(_AddProduct):
    """P = outer(u, v);  dP: g @ v for u,  g^T @ u for v."""

    half_in_f32 = False

    @staticmethod
    def product(u, v):
        return np.expand_dims(u, 1) * np.expand_dims(v, 0)

    @staticmethod
    def grads(g, u, v):
        return _mm(g, v), _mm(_mT(g), u)


class Addbmm(_AddProduct):
    """P = sum over the batch of A_i @ B_i;  dP: g @ B_i^T for A_i,  A_i^T @ g for B_i."""

    half_in_f32 = False  # PyTorch rounds after each batch's addmm there

    @staticmethod
    def product(a, b):
        return _mm(a, b).sum(axis=0)

    @staticmethod
    def grads(g, a, b):
        g3 = np.expand_dims(g, 0)
        return _mm(g3, _mT(b)), _mm(_mT(a), g3)


def _same_dtypes(msg, *ts) -> None:
    if len({t._data.dtype for t in ts}) > 1:
        raise RuntimeError(msg)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat1 @ mat2), one AddmmBackward0 node."""
    for name, t in (("mat1", mat1), ("mat2", mat2)):
        if t._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t._data.ndim}-D tensor")
    (n, k), (k2, m) = mat1._data.shape, mat2._data.shape
    if k != k2:
        raise RuntimeError(_mm_shapes(f"{n}x{k}", f"{k2}x{m}"))
    if mat1._data.dtype != mat2._data.dtype:
        raise RuntimeError("mat1 and mat2 must have the same dtype, but got "
                           f"{_kind(mat1)} and {_kind(mat2)}")
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError("self and mat2 must have the same dtype, but got "
                           f"{_kind(input)} and {_kind(mat2)}")
    if input._data.shape != (n, m):
        expand(input, (n, m))  # PyTorch's expand message when input does not broadcast
    return Addmm.apply(input, mat1, mat2, beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    if mat._data.ndim != 2 or vec._data.ndim != 1 or input._data.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, "
                           f"{mat._data.ndim}, {vec._data.ndim}")
    (r, c), n, si = mat._data.shape, vec._data.shape[0], input._data.shape
    if c != n or (si and si[0] not in (1, r)):
        size = si[0] if si else 1
        raise RuntimeError(f"size mismatch, got input ({size}), mat ({r}x{c}), vec ({n})")
    _same_dtypes("addmv input tensors must have the same dtype, but got "
                 f"{_kind(input)}, {_kind(mat)}, and {_kind(vec)}", input, mat, vec)
    return Addmv.apply(input, mat, vec, beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got "
                               f"{v._data.ndim}-D")
    input, vec1 = promote(input, vec1)
    input, vec2 = promote(input, vec2)
    vec1, _ = promote(vec1, vec2)
    shape = (vec1._data.shape[0], vec2._data.shape[0])
    if input._data.shape != shape:
        expand(input, shape)  # PyTorch's expand message when input does not broadcast
    return Addr.apply(input, vec1, vec2, beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t._data.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    sa, sb = batch1._data.shape, batch2._data.shape
    if (sb[0], sb[1]) != (sa[0], sa[2]):
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    _same_dtypes(f"Input dtypes must be the same, got: input {_c_name(input)}, batch1: "
                 f"{_c_name(batch1)}, batch2: {_c_name(batch2)}", input, batch1, batch2)
    shape = (sa[0], sa[1], sb[2])
    if input._data.shape != shape:
        expand(input, shape)
    return Baddbmm.apply(input, batch1, batch2, beta, alpha)


def _c_name(t: Tensor) -> str:
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "float16": "c10::Half"}.get(t._data.dtype.name, t._data.dtype.name)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t._data.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    sa, sb = batch1._data.shape, batch2._data.shape
    if sa[0] != sb[0]:
        raise RuntimeError("batch1 and batch2 must have same number of batches, got "
                           f"{sa[0]} and {sb[0]}")
    if sa[2] != sb[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({sa[1]}x{sa[2]} and "
                           f"{sb[1]}x{sb[2]})")
    if batch1._data.dtype != batch2._data.dtype:
        raise RuntimeError("mat1 and mat2 must have the same dtype, but got "
                           f"{_kind(batch1)} and {_kind(batch2)}")
    if input._data.dtype != batch1._data.dtype:
        raise RuntimeError("self and mat2 must have the same dtype, but got "
                           f"{_kind(input)} and {_kind(batch1)}")
    shape = (sa[1], sb[2])
    if input._data.shape != shape:
        expand(input, shape)
    return Addbmm.apply(input, batch1, batch2, beta, alpha)


class Vdot(MatMul):
    node_name = "VdotBackward0"


def vdot(input, other):
    """The dot product of two vectors (complex conjugation aside, which ember has no use for)."""
    try:
        ndims = input._data.ndim, other._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input, other=other) from None
    if ndims != (1, 1):
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    _check_matmul(input, other)  # dot's size and dtype messages, which vdot shares
    return Vdot.apply(input, other)


class LinalgCross(Primitive):
    """y = a x b along ``axis``;  dL/da = b x g,  dL/db = g x a."""

    @staticmethod
    def forward(ctx, a, b, axis):
        ctx.save_for_backward(a, b)
        ctx.axis = axis
        return np.cross(a, b, axis=axis)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        if isinstance(g, Tensor):
            def cr(x, y):
                return LinalgCross.apply(x, y, ctx.axis)
        else:
            def cr(x, y):
                return np.cross(x, y, axis=ctx.axis)
        return (cr(b, g) if need_a else None), (cr(g, a) if need_b else None), None


_CROSS_WARNING = (
    "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the "
    "dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will change "
    "to agree with that of linalg.cross in a future release.")


def cross(input, other, dim=None, *, out=None):
    """The cross product of 3-vectors along ``dim`` (None: the first dim of size 3, with
    PyTorch's deprecation warning); the other dims broadcast."""
    try:
        na, nb = input._data.ndim, other._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input, other=other) from None
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    if dim is None:
        if 3 not in input._data.shape:  # input's own dims, as PyTorch looks
            raise RuntimeError("no dimension of size 3 in input")
        dim = input._data.shape.index(3)
        from .._config import warn_once  # once per process (or always), as PyTorch

        warn_once(_CROSS_WARNING, stacklevel=4)
    if na != nb:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, na)
    sa, sb = input._data.shape, other._data.shape
    if sa[d] != 3 or sb[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{sa[d]} and {sb[d]}")
    check_broadcast(sa, sb)
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected scalar type {_kind(input)} but found {_kind(other)}")
    return LinalgCross.apply(input, other, d)


class UnsafeView(Reshape):
    node_name = "UnsafeViewBackward0"


def kron(input, other, *, out=None):
    """The Kronecker product: block (i, j, ...) is input[i, j, ...] * other. Composite: the
    two reshaped to interleaved singleton dims, multiplied, and flattened pairwise."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        from ._int_args import first_not_tensor  # (x.kron(b): position 1)

        raise first_not_tensor(input=input, other=other)
    a, b = promote(input, other)
    n = max(a._data.ndim, b._data.ndim)
    sa = (1,) * (n - a._data.ndim) + a._data.shape
    sb = (1,) * (n - b._data.ndim) + b._data.shape
    wide = a.reshape([s for k in sa for s in (k, 1)]) * b.reshape(
        [s for k in sb for s in (1, k)])
    return _reshaped(wide, tuple(x * y for x, y in zip(sa, sb)), UnsafeView)


_CHAIN_WARNING = (
    "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
    "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
    "multiple parameters.")


def chain_matmul(*matrices, out=None):
    """The product of matrices, multiplied in the cheapest order (as linalg.multi_dot)."""
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    from .._config import warn_once  # once per process (or always), as PyTorch

    warn_once(_CHAIN_WARNING, stacklevel=4)
    for t in matrices:
        if t._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    return _multi_dot(list(matrices))




def _multi_dot(ts: list) -> Tensor:
    for i, t in enumerate(ts[1:], 1):
        if t._data.dtype != ts[0]._data.dtype:
            raise RuntimeError(
                "multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_C_NAMES[ts[0]._data.dtype.name]} and tensor {i} "
                f"{_C_NAMES[t._data.dtype.name]}")
    for i in range(len(ts) - 1):
        a, b = ts[i]._data.shape, ts[i + 1]._data.shape
        if a[-1] != b[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(a)} "
                               f"and {list(b)} cannot be multiplied")
    # Vector ends (linalg.multi_dot) as a row and a column, dropped from the result.
    shape = ts[0]._data.shape[:-1] + ts[-1]._data.shape[1:]
    ts = list(ts)
    if ts[0]._data.ndim == 1:
        ts[0] = ts[0].unsqueeze(0)
    if ts[-1]._data.ndim == 1:
        ts[-1] = ts[-1].unsqueeze(1)
    dims = [t._data.shape[0] for t in ts] + [ts[-1]._data.shape[1]]
    split = _chain_order(dims)

    def product(i, j):  # ts[i] @ ... @ ts[j]
        if i == j:
            return ts[i]
        k = split[i][j]
        return matmul(product(i, k), product(k + 1, j))

    return _reshaped(product(0, len(ts) - 1), shape)  # a view in PyTorch (ViewBackward0)


def _chain_order(dims: list) -> list:
    """The classic matrix-chain dynamic programme: split[i][j] = where ts[i..j] is best cut."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split
