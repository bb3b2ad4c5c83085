"""torch.linalg's norms and the functions built on the SVD: vector_norm, matrix_norm, norm,
pinv, lstsq, matrix_rank, cond, and matrix_power (repeated products)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._axis_alias import numpy_names
from . import _linalg_common as C
from ._linalg_common import mT, return_type
from .norms import check_norm_dtype, norm as _vector_norm

LstsqResult = return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
_INF = math.inf
_LAST_TWO = (-2, -1)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None,
                out=None, axis=None, keepdims=None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over ``dim`` (every element when None)."""
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names("linalg_vector_norm", dim, keepdim, axis, keepdims)
    C.check_bools("linalg_vector_norm", keepdim=keepdim)
    if ord is None or isinstance(ord, str):  # PyTorch's parser wants a Number
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    return _vector_norm(x, ord, dim, keepdim, dtype)


def _norm_dims(A: Tensor, dim) -> tuple:
    nd = A._data.ndim
    if len(dim) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(d) for d in dim))
    d0, d1 = (int(d) % nd for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    return d0, d1


def matrix_norm(A: Tensor, ord="fro", dim=_LAST_TWO, keepdim: bool = False, *, dtype=None,
                out=None, axis=None, keepdims=None) -> Tensor:
    """'fro', 'nuc', 2/-2 (largest/smallest singular value), 1/-1 (max/min column sum of
    |A|), inf/-inf (max/min row sum), over the two dims ``dim``."""
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names("linalg_matrix_norm", dim, keepdim, axis, keepdims, _LAST_TWO)
    C.check_bools("linalg_matrix_norm", True, keepdim=keepdim)
    C.check_matrix(A, "linalg.matrix_norm")
    check_norm_dtype(A, dtype, "linalg.matrix_norm")
    if dtype is not None:
        A = A.to(dtype)
    if A._data.dtype != np.float16 or ord in ("nuc", 2, -2):  # half: refused by the SVD only
        C.check_float(A, "linalg.matrix_norm")
    if ord not in ("fro", "nuc", 2, -2, 1, -1, _INF, -_INF):  # (checked before dim)
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    d0, d1 = _norm_dims(A, dim)
    if ord == "fro":
        return _vector_norm(A, 2, (d0, d1), keepdim, None)
    if ord in ("nuc", 2, -2):
        from .linalg_functions import svdvals

        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        r = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
    elif ord in (1, -1, _INF, -_INF):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(summed, keepdim=True)
        r = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
        return r if keepdim else r.squeeze((d0, d1))
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return r


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None,
         out=None, axis=None, keepdims=None) -> Tensor:
    """A vector norm (1 dim, or a 1-D input) or a matrix norm (2 dims, or a 2-D input with
    ``ord``); with neither ord nor dim, the 2-norm of all elements."""
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names("linalg_norm", dim, keepdim, axis, keepdims)
    C.check_bools("linalg_norm", True, keepdim=keepdim)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) > 2:
            raise RuntimeError("linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dims)}")
        if len(dims) == 1 and isinstance(ord, str):  # 'fro'/'nuc' are matrix norms
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dims[0]}")
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    nd = A._data.ndim
    if nd not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {nd}D.")
    if nd == 2 or isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)


class Pinv(Primitive):
    """P = A^+ (singular values at or below the cutoff treated as 0; the rank is taken as
    fixed):  dL/dA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)."""

    node_name = "LinalgPinvBackward0"

    @staticmethod
    def forward(ctx, a, atol, rtol):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        smax = s[..., :1] if s.shape[-1] else s
        cut = np.maximum(np.asarray(atol, s.dtype), rtol * smax)
        inv = np.where(s > cut, 1 / np.where(s > cut, s, 1), 0).astype(a.dtype)
        p = np.matmul(mT(vh) * inv[..., None, :], mT(u))
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, g):
        a, p = ctx.saved_tensors
        pt, gt = mT(p), mT(g)
        ga = -np.matmul(pt, np.matmul(g, pt))
        ap, pa = np.matmul(a, p), np.matmul(p, a)
        ga = ga + np.matmul(gt - np.matmul(ap, gt), np.matmul(p, pt))
        ga = ga + np.matmul(np.matmul(pt, p), gt - np.matmul(gt, pa))
        return ga, None, None


def _tolerances(A: Tensor, atol, rtol) -> tuple:
    m, n = A._data.shape[-2:]
    if isinstance(atol, Tensor) or isinstance(rtol, Tensor):
        raise NotImplementedError("ember: Tensor atol/rtol are not supported; pass floats")
    eps = float(np.finfo(A._data.dtype).eps)
    if rtol is None:
        rtol = eps * max(m, n) if not atol else 0.0
    return float(atol or 0.0), float(rtol)


def pinv(A: Tensor, rcond=None, hermitian: bool = False, *, atol=None, rtol=None,
         out=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse, by the SVD. ``rcond`` is the older spelling of
    ``rtol`` (PyTorch still takes it, alone)."""
    try:
        A._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(A=A) from None
    C.check_bools("linalg_pinv", True, hermitian=hermitian)
    if rcond is not None:
        atol, rtol = _old_tol("linalg_pinv", "rcond", rcond, atol, rtol)
    if A._data.ndim < 2 or A._data.dtype.kind != "f" or A._data.dtype == np.float16:
        kind = {"float32": "Float", "float64": "Double"}.get(A._data.dtype.name)
        from .arithmetic import type_name

        raise RuntimeError(f"linalg.pinv({kind or type_name(A._data.dtype)}"
                           f"{{{list(A._data.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    atol, rtol = _tolerances(A, atol, rtol)
    return Pinv.apply(A, atol, rtol)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    return pinv(input, rtol=rcond)


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """The least-squares solution of A X = B (A^+ B), with the other fields of PyTorch's
    CPU ``driver``: gelsy (default) the rank; gels the residuals, no rank; gelsd/gelss the
    rank, residuals and singular values. Residuals (|A X - B|^2 per column) are filled only
    for tall (m > n) inputs of full rank (gels: for any tall input)."""
    C.check_driver("linalg_lstsq", driver)
    # PyTorch's checks in its order: the dtype test comes last (at the LAPACK call)
    if A._data.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B._data.ndim < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError("torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {C.type_name(A._data.dtype)} and "
                           f"other's dtype {C.type_name(B._data.dtype)}")
    if driver is None:
        driver = "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    vec = B._data.ndim == A._data.ndim - 1
    b = B.unsqueeze(-1) if vec else B
    if b._data.shape[-2] != A._data.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match "
                           f"other.size({-1 if vec else -2})")
    if A._data.dtype not in (np.float32, np.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")
    x = pinv(A, rtol=rcond) @ b
    dt = A._data.dtype
    empty = C.as_tensor(np.zeros((0,), dt))
    rank = matrix_rank(A.detach(), rtol=rcond)
    m, n = A._data.shape[-2:]
    residuals = x.reshape(-1)[:0] if x._rg else empty  # (in the graph even when empty)
    if m > n and (driver == "gels" or driver != "gelsy" and bool(np.all(rank._data == n))):
        residuals = (A @ x - b).pow(2).sum(-2)  # a vector B keeps its column: (..., 1)
    sv = empty
    if driver in ("gelsd", "gelss"):
        sv = C.as_tensor(np.linalg.svd(A._data, compute_uv=False).astype(dt))
    if driver == "gels":
        rank = C.as_tensor(np.zeros((0,), np.int64))
    from ._shown_graph import as_node  # one LinalgLstsqBackward0 node, as PyTorch shows

    x, residuals = (as_node(t, "LinalgLstsqBackward0") for t in (x, residuals))
    return LstsqResult(x.squeeze(-1) if vec else x, residuals, rank, sv)


def _old_tol(name: str, old: str, value, atol, rtol) -> tuple:
    """PyTorch's older single tolerance (pinv's rcond: relative; matrix_rank's tol:
    absolute), accepted only without atol/rtol."""
    if atol is not None or rtol is not None:
        given = "".join(f"{k}={type(v).__name__}, " for k, v in
                        (("atol", atol), ("rtol", rtol)) if v is not None)
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"(Tensor, {given}{old}={type(value).__name__}), but expected one of:")
    return (0.0, value) if old == "rcond" else (value, 0.0)


def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None,
                out=None) -> Tensor:
    """The number of singular values above max(atol, rtol * the largest); ``tol`` is the
    older spelling of ``atol``."""
    C.check_bools("linalg_matrix_rank", True, hermitian=hermitian)
    if tol is not None:
        atol, rtol = _old_tol("linalg_matrix_rank", "tol", tol, atol, rtol)
    C.check_matrix(A, "torch.linalg.matrix_rank", "input")
    if A._data.dtype.kind != "f" or A._data.dtype == np.float16:
        raise RuntimeError("This function doesn't handle types other than float and double")
    atol, rtol = _tolerances(A, atol, rtol)
    s = np.linalg.svd(A._data, compute_uv=False)
    smax = s[..., :1] if s.shape[-1] else s
    cut = np.maximum(atol, rtol * smax)
    return C.as_tensor(np.sum(s > cut, axis=-1).astype(np.int64))


def cond(A: Tensor, p=None, *, out=None) -> Tensor:
    """The condition number |A|_p |A^-1|_p: for p None/2/-2 and 'nuc' from the singular
    values (any shape); for 'fro', 1/-1, inf/-inf from the inverse (square only), inf where A
    is singular."""
    if p not in (None, "fro", "nuc", 2, -2, 1, -1, _INF, -_INF):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p in (None, 2, -2, "nuc"):
        from .linalg_functions import svdvals

        s = svdvals(A)
        if p == "nuc":
            return s.sum(-1) * s.reciprocal().sum(-1)
        # PyTorch's graph: narrow the largest and smallest, divide, squeeze (SqueezeBackward1)
        big, small = s.narrow(-1, 0, 1), s.narrow(-1, -1, 1)
        return (small / big if p == -2 else big / small).squeeze(-1)
    r, c = A._data.shape[-2:]
    if r != c:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but "
                           f"they are {r} by {c} matrices")
    from .linalg_functions import inv_ex
    from .selection import where

    inverse, info = inv_ex(A)
    value = matrix_norm(A, p) * matrix_norm(inverse, p)
    return where(C.as_tensor(info._data > 0), C.as_tensor(np.asarray(_INF, value._data.dtype)),
                 value)


def _exponent(n) -> int:
    """n as PyTorch's parser takes an int: no float (2.5 or 2.0), bool or 1-element tensor."""
    if isinstance(n, np.integer) or (isinstance(n, Tensor) and n._data.ndim == 0
                                     and n._data.dtype.kind in "iu"):
        return int(n)
    from ._int_args import not_int

    raise not_int(n)


def linalg_matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """A^n by repeated squaring (n < 0: the inverse's power; n = 0: the identity).
    (Named as PyTorch's parser names it in a TypeError: torch.matrix_power and the method
    call it under their own names.)"""
    C.check_matrix(A, "linalg.matrix_power")
    C.check_square(A, "linalg.matrix_power")
    if type(n) is not int:
        n = _exponent(n)
    if n == 0:
        eye = np.broadcast_to(np.eye(A._data.shape[-1], dtype=A._data.dtype), A._data.shape)
        eye = C.as_tensor(eye.copy())
        return A * 0 + eye if A.requires_grad else eye  # recorded, as PyTorch (zero grad)
    if n < 0:
        from .linalg_functions import inv

        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


matrix_power = linalg_matrix_power
