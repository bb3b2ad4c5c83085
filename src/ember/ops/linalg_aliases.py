"""torch's top-level names for linalg functions (torch.inverse, torch.det...): thin wrappers
that load the linalg modules on first call, so ``import ember`` does not."""

from __future__ import annotations

__all__ = ["inverse", "det", "logdet", "slogdet", "cholesky_solve", "cholesky_inverse",
           "matrix_power", "pinverse"]


def _f():
    from . import linalg_functions

    return linalg_functions


def inverse(input, *, out=None):
    return _f().inv(input)


def det(input):
    return _f().det(input)


def logdet(input):
    return _f().logdet(input)


def slogdet(input):
    return _f().torch_slogdet(input)


def cholesky_solve(input, input2, upper=False, *, out=None):
    return _f().cholesky_solve(input, input2, upper)


def cholesky_inverse(input, upper=False, *, out=None):
    return _f().cholesky_inverse(input, upper)


def matrix_power(input, n):
    from .linalg_norms import matrix_power as _power

    return _power(input, n)


def pinverse(input, rcond=1e-15):
    from .linalg_norms import pinverse as _pinverse

    return _pinverse(input, rcond)
