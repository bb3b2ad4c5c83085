"""i0 and matrix_exp (primitives with stated derivatives), torch.gradient, and the legacy
``torch.cholesky`` / ``torch.qr`` / ``torch.svd`` spellings over ``ember.linalg``.

Loaded on first use (``ember.__getattr__``).
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as D
from .. import ops
from ..autograd.function import Primitive
from ..tensor import Tensor
from ._linalg_common import return_type
from ._util import wrap_dim

_svd_t = return_type("svd", ("U", "S", "V"))
_qr_t = return_type("qr", ("Q", "R"))


def _series_i1(x: np.ndarray) -> np.ndarray:
    """I1(x) in float64 (special_bessel's series/asymptotic form: bounded work for any x,
    inf beyond float64's range, nan for nan). A power series summed to max|x| + 40 terms
    hung on x = 1e30 and raised on nan."""
    from .special_bessel import i1_64

    return i1_64(x)


def _i1(x):
    if isinstance(x, Tensor):
        return I1.apply(x)
    return _series_i1(x).astype(x.dtype, copy=False)


def _i0(x):
    if isinstance(x, Tensor):
        return I0.apply(x)
    return np.i0(x).astype(x.dtype, copy=False)


class I0(Primitive):
    """y = I0(x), the modified Bessel function of the first kind, order 0;  dy/dx = I1(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.i0(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * _i1(x),)


class I1(Primitive):
    """y = I1(x);  dy/dx = I0(x) - I1(x) / x  (= 1/2 at x = 0)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _series_i1(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        zero = x == 0
        ratio = np.where(zero, 0.5, _i1(x) / np.where(zero, 1, x))
        return (g * (_i0(x) - ratio),)


def i0(input: Tensor, *, out=None) -> Tensor:
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    x = input if input.is_floating_point() else input.to(D.get_default_dtype())
    return I0.apply(x)


# Pade(13) coefficients and the 1-norm bound below which it is exact to double precision
# (Higham, "The scaling and squaring method for the matrix exponential revisited", 2005)
_B13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
        129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
        40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def _expm(a: np.ndarray) -> np.ndarray:
    """exp of each square matrix in a batch: scaling and squaring with a Pade(13) approximant
    (computed in float64, so float32 inputs lose nothing to the approximation)."""
    work = a.astype(np.float64)
    norm = np.max(np.abs(work).sum(-2), axis=-1, initial=0.0) if work.size else np.zeros(1)
    s = int(max(0, math.ceil(math.log2(max(float(np.max(norm)), 1e-300) / _THETA13))))
    work = work / (2.0 ** s)
    b = _B13
    eye = np.broadcast_to(np.eye(a.shape[-1]), work.shape)
    a2 = work @ work
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = work @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4
                + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r.astype(a.dtype, copy=False)


def _block_adjoint(a, g):
    """d<G, exp(A)>/dA = the upper-right block of exp([[A^T, G], [0, A^T]])."""
    n = a.shape[-1]
    at = ops.transpose(a, -2, -1) if isinstance(a, Tensor) else np.swapaxes(a, -2, -1)
    if isinstance(a, Tensor) or isinstance(g, Tensor):
        at, g = (t if isinstance(t, Tensor) else Tensor._make(t, False, None) for t in (at, g))
        top = ops.cat([at, g], -1)
        bottom = ops.cat([at * 0, at], -1)
        return MatrixExp.apply(ops.cat([top, bottom], -2))[..., :n, n:]
    top = np.concatenate([at, g], -1)
    bottom = np.concatenate([np.zeros_like(at), at], -1)
    return _expm(np.concatenate([top, bottom], -2))[..., :n, n:]


class MatrixExp(Primitive):
    """Y = exp(A) = sum_k A^k / k!;  dL/dA = the upper-right block of
    exp([[A^T, dL/dY], [0, A^T]]) (the Frechet derivative's adjoint)."""

    node_name = "LinalgMatrixExpBackward0"  # torch.matrix_exp is linalg.matrix_exp there

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _expm(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return (_block_adjoint(a, g),)


def matrix_exp(A: Tensor) -> Tensor:
    try:
        A._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(A=A) from None
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 "
                           "dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError("linalg.matrix_exp: A must be batches of square matrices, but they "
                           f"are {A.shape[-2]} by {A.shape[-1]} matrices")
    if A._data.dtype.kind != "f":
        from ._linalg_common import check_float

        check_float(A, "linalg.matrix_exp")
    return MatrixExp.apply(A)


def _deprecated(name: str, hint: str) -> None:
    from .._config import warn_once

    warn_once(f"torch.{name} is deprecated in favor of torch.linalg.{name} and will be "
              f"removed in a future PyTorch release.\n{hint}", stacklevel=4)


def cholesky(input: Tensor, upper: bool = False, *, out=None) -> Tensor:
    from . import linalg_functions as lf

    lf.C.check_bools("cholesky", upper=upper)  # the parser's refusal comes before the warning
    _deprecated("cholesky", "L = torch.cholesky(A)\nshould be replaced with\n"
                "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\n"
                "should be replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform "
                "will produce equivalent results for all valid (symmetric positive definite) "
                "inputs.")
    from ._linalg_common import LinAlgError, square_float

    square_float(input, "cholesky")  # PyTorch's old spelling names itself in its errors
    try:
        return lf.cholesky(input, upper=upper)
    except LinAlgError as err:
        raise LinAlgError(str(err).replace("linalg.cholesky:", "cholesky:", 1)) from None


def qr(input: Tensor, some: bool = True, *, out=None):
    from . import linalg_functions as lf

    lf.C.check_bools("qr", some=some)
    _deprecated("qr", "The boolean parameter 'some' has been replaced with a string parameter "
                "'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\n"
                "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')")
    q, r = lf.qr(input, "reduced" if some else "complete")
    return _qr_t(q, r)


def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None):
    """U, S, V with input = U diag(S) V^T (V, not V^T); without compute_uv, U and V are zero
    matrices of the full sizes."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    from . import linalg_functions as lf

    lf.C.check_bools("svd", some=some, compute_uv=compute_uv)
    if input.dim() < 2:  # the old spelling's own words
        raise RuntimeError("linalg.svd: input should have at least 2 dimensions, but has "
                           f"{input.dim()} dimensions instead")
    if not compute_uv:
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        s = lf.svdvals(input)
        dt = input._data.dtype
        return _svd_t(Tensor._make(np.zeros(batch + (m, m), dt), False, None), s,
                      Tensor._make(np.zeros(batch + (n, n), dt), False, None))
    u, s, vh = lf.svd(input, full_matrices=not some)
    return _svd_t(u, s, vh.transpose(-2, -1))


def _one_gradient(f: Tensor, d: int, h, edge_order: int) -> Tensor:
    n = f.shape[d]
    if n < edge_order + 1:
        raise RuntimeError("torch.gradient expected each dimension size to be at least "
                           "edge_order+1")
    mid = (f.narrow(d, 2, n - 2) - f.narrow(d, 0, n - 2)) / (2 * h)
    if edge_order == 1:
        first = (f.narrow(d, 1, 1) - f.narrow(d, 0, 1)) / h
        last = (f.narrow(d, n - 1, 1) - f.narrow(d, n - 2, 1)) / h
    else:
        first = (-1.5 * f.narrow(d, 0, 1) + 2 * f.narrow(d, 1, 1) - 0.5 * f.narrow(d, 2, 1)) / h
        last = (0.5 * f.narrow(d, n - 3, 1) - 2 * f.narrow(d, n - 2, 1)
                + 1.5 * f.narrow(d, n - 1, 1)) / h
    return ops.cat([first, mid, last], d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple:
    """Central differences inside, one-sided (first or second order) at the edges, with a
    uniform spacing per dimension (a number, or one number per dimension) or coordinates
    (a tuple of 1-D tensors, one per dimension)."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if input._data.dtype == np.bool_:  # PyTorch subtracts neighbours, which bools refuse
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    dims = list(range(input.dim())) if dim is None else (
        [wrap_dim(dim, input.dim())] if isinstance(dim, int)
        else [wrap_dim(d, input.dim()) for d in dim])
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims) and dim is None:
            raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar, or "
                               f"a list of length equal to 'self.dim() = {input.dim()}', since "
                               f"dim argument was not given, but got a list of length "
                               f"{len(spacing)}")
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                               f"it's spacing and dim arguments to have the same length, but "
                               f"got a spacing argument of length {len(spacing)} and a dim "
                               f"argument of length {len(dims)}.")
        steps = list(spacing)
    else:
        steps = [spacing] * len(dims)
    f = input if input.is_floating_point() else input.to(D.get_default_dtype())
    if any(isinstance(h, Tensor) for h in steps):
        if isinstance(spacing, Tensor):
            arg = "" if dim is None else f"dim={type(dim).__name__}, "
            raise TypeError(f"gradient() received an invalid combination of arguments - got "
                            f"(Tensor, {arg}spacing=Tensor), but expected one of:")
        for i, h in enumerate(steps):
            if not isinstance(h, Tensor):
                raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                                f"{type(h).__name__}")
        return tuple(_coord_gradient(f, d, x, edge_order) for d, x in zip(dims, steps))
    return tuple(_one_gradient(f, d, float(h), edge_order) for d, h in zip(dims, steps))


def _coord_gradient(f: Tensor, d: int, x: Tensor, edge_order: int) -> Tensor:
    """Second-order differences on the non-uniform grid x along d: at interior point i with
    h1 = x[i]-x[i-1], h2 = x[i+1]-x[i],
    f'(i) = (-h2/(h1(h1+h2))) f[i-1] + ((h2-h1)/(h1 h2)) f[i] + (h1/(h2(h1+h2))) f[i+1];
    edges one-sided, first order or (edge_order=2) the three-point Lagrange derivative."""
    if x.dim() != 1:
        raise RuntimeError("torch.gradient expected each element of spacing to have one "
                           f"dimension, but got an element with {x.dim()} dimensions!")
    n = f.shape[d]
    if n < edge_order + 1:
        raise RuntimeError("torch.gradient expected each dimension size to be at least "
                           "edge_order+1")
    if x.shape[0] != n:
        raise RuntimeError(f"torch.gradient expected the coordinates along dim {d} to have "
                           f"{n} elements, but got {x.shape[0]}")
    x = x if x.is_floating_point() else x.to(f.dtype)
    shape = [1] * f.dim()
    shape[d] = -1
    h = x.diff().view(shape)
    h1, h2 = h.narrow(d, 0, n - 2), h.narrow(d, 1, n - 2)
    mid = (-h2 / (h1 * (h1 + h2)) * f.narrow(d, 0, n - 2)
           + (h2 - h1) / (h1 * h2) * f.narrow(d, 1, n - 2)
           + h1 / (h2 * (h1 + h2)) * f.narrow(d, 2, n - 2))
    if edge_order == 1:
        first = (f.narrow(d, 1, 1) - f.narrow(d, 0, 1)) / h.narrow(d, 0, 1)
        last = (f.narrow(d, n - 1, 1) - f.narrow(d, n - 2, 1)) / h.narrow(d, n - 2, 1)
    else:
        a, b = h.narrow(d, 0, 1), h.narrow(d, 1, 1)
        first = (-(2 * a + b) / (a * (a + b)) * f.narrow(d, 0, 1)
                 + (a + b) / (a * b) * f.narrow(d, 1, 1) - a / (b * (a + b)) * f.narrow(d, 2, 1))
        a, b = h.narrow(d, n - 3, 1), h.narrow(d, n - 2, 1)
        last = (b / (a * (a + b)) * f.narrow(d, n - 3, 1) - (a + b) / (a * b) * f.narrow(d, n - 2, 1)
                + (2 * b + a) / (b * (a + b)) * f.narrow(d, n - 1, 1))
    return ops.cat([first, mid, last], d)
