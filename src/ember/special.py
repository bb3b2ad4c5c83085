"""ember.special: PyTorch's ``torch.special`` namespace.

Most names are ember's existing ops under their SciPy-style names (expit = sigmoid, gammaln =
lgamma, psi = digamma, multigammaln = mvlgamma, ...); the functions torch has only here are
primitives in ``ember.ops.special_more``, with PyTorch's derivatives (and its 'not
implemented' errors for zeta's first argument and gammainc's ``input``). bessel_j0/bessel_j1
are not differentiable, as in PyTorch; nor are the orthogonal polynomials, Airy Ai and the
Bessel Y/I/K functions (``ember.ops.special_cephes_api``: PyTorch's Cephes algorithms).
"""

from __future__ import annotations

import functools
import math
import numbers

import ember as _e

from .ops import special_cephes_api as _more
from .ops import special_more as _m
from .ops import special_fns as _sf
from .tensor import Tensor

__all__ = [
    "bessel_j0", "bessel_j1", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2",
    "expit", "expm1", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log1p",
    "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
    "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta",
    *_more.FUNCTIONS,
]
globals().update(_more.FUNCTIONS)



def _tensor_input(fn):
    """PyTorch's TypeError for a non-tensor input, named special_<fn> as its parser does."""
    name = f"special_{fn.__name__}"

    @functools.wraps(fn)
    def checked(input, *args, **kwargs):
        _sf._check_input(input, name)
        return fn(input, *args, **kwargs)

    return checked


def _tensor_or_number(fn):
    """PyTorch's parser refusal for special_<fn>(input, other): each operand a Tensor or a
    number, at least one a Tensor (two floats or a list: its TypeError, not a result)."""
    name = f"special_{fn.__name__}"

    @functools.wraps(fn)
    def checked(input, other):
        pair = (input, other)
        if not (any(isinstance(v, Tensor) for v in pair)
                and all(isinstance(v, (Tensor, numbers.Number)) for v in pair)):
            from ._typename import arg_type_name

            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"({', '.join(arg_type_name(v) for v in pair)}), but expected "
                            "one of:")
        return fn(input, other)

    return checked


# torch.special's own names appear in PyTorch's argument errors ("special_gammaln(): ...").
def digamma(input: Tensor) -> Tensor:
    return _sf.digamma(input, _name="special_digamma")


def psi(input: Tensor) -> Tensor:
    return _sf.digamma(input, _name="special_psi")


def gammaln(input: Tensor) -> Tensor:
    return _sf.lgamma(input, _name="special_gammaln")


def erf(input: Tensor) -> Tensor:
    return _sf.erf(input, _name="special_erf")


def erfc(input: Tensor) -> Tensor:
    return _sf.erfc(input, _name="special_erfc")


def erfinv(input: Tensor) -> Tensor:
    return _sf.erfinv(input, _name="special_erfinv")


def polygamma(n: int, input: Tensor) -> Tensor:
    return _sf.polygamma(n, input, _name="special_polygamma")


@_tensor_input
def expit(input: Tensor) -> Tensor:
    return _e.sigmoid(input)


@_tensor_input
def exp2(input: Tensor) -> Tensor:
    return _e.exp2(input)


@_tensor_input
def expm1(input: Tensor) -> Tensor:
    return _e.expm1(input)


@_tensor_input
def log1p(input: Tensor) -> Tensor:
    return _e.log1p(input)


@_tensor_input
def sinc(input: Tensor) -> Tensor:
    return _e.sinc(input)


@_tensor_input
def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    return _e.round(input, decimals=decimals)


@_tensor_input
def i0(input: Tensor) -> Tensor:
    return _e.i0(input)


@_tensor_input
def logit(input: Tensor, eps: float | None = None) -> Tensor:
    return _e.logit(input, eps)


@_tensor_or_number
def xlogy(input, other) -> Tensor:
    return _e.xlogy(input, other)


@_tensor_input
def multigammaln(input: Tensor, p: int) -> Tensor:
    return _e.mvlgamma(input, p, _name="special_multigammaln")


@_tensor_input
def logsumexp(input: Tensor, *args, **kwargs) -> Tensor:
    return _e.logsumexp(input, *args, _name="special_logsumexp", **kwargs)


@_tensor_input
def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _e.softmax(input, dim, dtype=dtype)


@_tensor_input
def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _e.log_softmax(input, dim, dtype=dtype)


@_tensor_input
def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF, (1 + erf(x / sqrt 2)) / 2, composed as PyTorch does (so it
    also rounds to 0 below about -8.3 in float64)."""
    return (1 + erf(_e.ops.elementwise._float(input) * math.sqrt(0.5))) * 0.5


@_tensor_input
def ndtri(input: Tensor) -> Tensor:
    return _m.unary(_m.SpecialNdtri, input)


@_tensor_input
def log_ndtr(input: Tensor) -> Tensor:
    return _m.unary(_m.SpecialLogNdtr, input)


@_tensor_input
def i0e(input: Tensor) -> Tensor:
    return _m.unary(_m.SpecialI0E, input)


@_tensor_input
def i1(input: Tensor) -> Tensor:
    return _m.unary(_m.SpecialI1, input)


@_tensor_input
def i1e(input: Tensor) -> Tensor:
    return _m.unary(_m.SpecialI1E, input)


@_tensor_input
def erfcx(input: Tensor) -> Tensor:
    return _m.unary(_m.SpecialErfcx, input)


@_tensor_input
def entr(input: Tensor) -> Tensor:
    return _m.unary(_m.SpecialEntr, input)


@_tensor_input
def bessel_j0(input: Tensor) -> Tensor:
    return _m.bessel_j(0, input)


@_tensor_input
def bessel_j1(input: Tensor) -> Tensor:
    return _m.bessel_j(1, input)


_XLOG1PY = (_m.SpecialXlog1Py, _m.SpecialXlog1PyScalarSelf, _m.SpecialXlog1PyScalarOther)
_ZETA = (_m.SpecialZeta, _m.SpecialZetaScalarSelf, _m.SpecialZetaScalarOther)


@_tensor_or_number
def xlog1py(input, other) -> Tensor:
    """input * ln(1 + other), 0 where input is 0; either operand may be a number."""
    return _m.binary(_XLOG1PY, input, other)


@_tensor_or_number
def zeta(input, other) -> Tensor:
    """The Hurwitz zeta function sum_k (other + k)^-input; either operand may be a number."""
    return _m.binary(_ZETA, input, other)


def _igamma(cls, name: str, input: Tensor, other: Tensor) -> Tensor:
    for pos, (arg, t) in enumerate((("input", input), ("other", other)), start=1):
        if not isinstance(t, Tensor):
            from ._typename import arg_type_name

            raise TypeError(f"special_{name}(): argument '{arg}' (position {pos}) must be "
                            f"Tensor, not {arg_type_name(t)}")
    a, x = _e.ops._util.promote(input, other)
    if a._data.dtype.kind != "f":
        _e.ops.elementwise._not_for(f"{cls.which}_cpu", a)
    return cls.apply(a, x)


def gammainc(input: Tensor, other: Tensor) -> Tensor:
    """The regularised lower incomplete gamma function P(input, other); differentiable in
    ``other`` only (as PyTorch)."""
    return _igamma(_m.Igamma, "gammainc", input, other)


def gammaincc(input: Tensor, other: Tensor) -> Tensor:
    """The regularised upper incomplete gamma function Q(input, other) = 1 - P."""
    return _igamma(_m.Igammac, "gammaincc", input, other)
