"""trapezoid, trapz and cumulative_trapezoid: composites of recorded ember ops (their
gradients follow), with PyTorch's argument checks and node names."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import Tensor
from ._axis_alias import dim_alias
from ._util import wrap_dim


def _trap_spacing(y: Tensor, x, dx, d: int, name: str):
    if x is not None:
        if dx is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"(Tensor, Tensor, dx={type(dx).__name__}), but expected one of:")
        if x.dim() == 1 and x.shape[0] != y.shape[d]:  # else a silently wrong integral
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        return ops.diff(x, dim=-1 if x.dim() == 1 else d)
    return 1.0 if dx is None else dx


def _trap_checks(y: Tensor, dim: int, name: str) -> int:
    """PyTorch's checks of trapezoid's y: no bools, a dim (0-d has none)."""
    try:
        y._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(y=y) from None
    if y._data.dtype == np.bool_:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if y.dim() == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return wrap_dim(dim, y.dim())


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """Integral of y along dim by the trapezoidal rule, over the points x or spacing dx."""
    from .._methods_more import _renamed  # PyTorch's nodes here: DivBackward1/MulBackward1

    d = _trap_checks(y, dim, "trapezoid")
    n = y.shape[d]
    if n == 0:  # PyTorch returns fresh zeros, outside the graph
        return y.detach().sum(d) * 0
    if x is None:  # uniform spacing: (sum(y) - (y_0 + y_last) / 2) * dx
        ends = y.narrow(d, 0, 1).squeeze(d) + y.narrow(d, n - 1, 1).squeeze(d)
        out = (y.sum(d) - ends * 0.5) * (1.0 if dx is None else dx)
    else:
        left, right = y.narrow(d, 0, n - 1), y.narrow(d, 1, n - 1)
        h = _trap_spacing(y, x, dx, d, "trapezoid")
        if h.dim() == 1 and y.dim() > 1:
            h = h.reshape((-1,) + (1,) * (y.dim() - 1 - d))
        out = ((left + right) * h).sum(d) / 2
    if out.grad_fn is not None:
        _renamed(out.grad_fn)
    return out


def trapz(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    return trapezoid(y, x, dx=dx, dim=dim)


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """Running trapezoidal integral: one fewer element along dim."""
    try:
        y._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(y=y) from None
    if y.dim() == 0:  # PyTorch slices first
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = _trap_checks(y, dim, "cumulative_trapezoid")
    n = y.shape[d]
    left, right = y.narrow(d, 0, max(n - 1, 0)), y.narrow(d, min(1, n), max(n - 1, 0))
    h = _trap_spacing(y, x, dx, d, "cumulative_trapezoid")
    if x is None:
        return ops.cumsum((left + right) * h / 2, d)
    if h.dim() == 1 and y.dim() > 1:
        h = h.reshape((-1,) + (1,) * (y.dim() - 1 - d))
    out = ops.cumsum((left + right) * h, d) / 2
    if out.grad_fn is not None:  # PyTorch divides the running sum by 2: DivBackward1
        from .._methods_more import _renamed

        _renamed(out.grad_fn)
    return out
