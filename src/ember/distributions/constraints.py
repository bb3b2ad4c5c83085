"""Constraints on parameters and values, named and printed as PyTorch's."""

from __future__ import annotations

import numpy as np


def _arr(bound):
    """A bound as NumPy: a float, or a Tensor's array (Uniform's bounds are its parameters)."""
    data = getattr(bound, "_data", None)
    return bound if data is None else np.asarray(data)


def _array_checked(check):
    """Wrap a check written on arrays: a Tensor value gets a bool Tensor back, as in PyTorch."""
    def wrapped(self, v):
        data = getattr(v, "_data", None)
        result = check(self, v if data is None else np.asarray(data))
        if data is None:
            return result
        from ..tensor import Tensor
        return Tensor._make(np.asarray(result, dtype=bool), False, None)
    return wrapped


class Constraint:
    event_dim = 0
    is_discrete = False

    def check(self, value) -> np.ndarray:
        raise NotImplementedError

    def holds(self, value) -> bool:
        """Whether check(value) is true everywhere (subclasses answer faster when they can)."""
        return bool(np.asarray(self.check(value)).all())

    def __repr__(self) -> str:
        return type(self).__name__[1:] + "()"


class _Real(Constraint):
    def check(self, v):
        return v == v  # False only for nan

    def holds(self, v):
        # One reduction: a nan makes the sum nan. So can +inf with -inf, hence the recheck.
        if v.dtype.kind not in "fc":
            return True
        total = np.add.reduce(v, axis=None)
        return bool(total == total) or super().holds(v)


class _Dependent(Constraint):
    """A constraint that depends on other parameters: never checked as an argument. Its
    is_discrete / event_dim are unknown unless given (PyTorch raises on reading them)."""

    def __init__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        self._is_discrete, self._event_dim = is_discrete, event_dim

    @property
    def is_discrete(self):
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self):
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        """dependent(is_discrete=..., event_dim=...): a copy with those known."""
        if is_discrete is NotImplemented:
            is_discrete = self._is_discrete
        if event_dim is NotImplemented:
            event_dim = self._event_dim
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, v):
        raise ValueError("Cannot determine validity of dependent constraint")


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, v):
        return v > _arr(self.lower_bound)

    def __repr__(self):
        return f"{type(self).__name__[1:]}(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def check(self, v):
        return v >= _arr(self.lower_bound)


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, v):
        return v < _arr(self.upper_bound)

    def __repr__(self):
        return f"LessThan(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    """lower_bound <= v <= upper_bound."""

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, v):
        return (v >= _arr(self.lower_bound)) & (v <= _arr(self.upper_bound))

    def __repr__(self):
        return (f"{type(self).__name__[1:]}(lower_bound={self.lower_bound}, "
                f"upper_bound={self.upper_bound})")


class _HalfOpenInterval(_Interval):
    """lower_bound <= v < upper_bound."""

    def check(self, v):
        return (v >= _arr(self.lower_bound)) & (v < _arr(self.upper_bound))


class _Boolean(Constraint):
    is_discrete = True

    def check(self, v):
        return (v == 0) | (v == 1)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, v):
        return ((v == 0) | (v == 1)).all(-1) & (v.sum(-1) == 1)


class _Simplex(Constraint):
    event_dim = 1

    @_array_checked
    def check(self, v):
        return np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, v):
        return (v % 1 == 0) & (v >= _arr(self.lower_bound)) & (v <= _arr(self.upper_bound))

    def holds(self, v):
        scalar = not hasattr(self.upper_bound, "_data")  # Binomial's bound is a Tensor
        if scalar and v.dtype.kind in "iu":  # whole numbers: the range, as two reductions
            return v.size == 0 or bool(v.min() >= self.lower_bound
                                       and v.max() <= self.upper_bound)
        return super().holds(v)

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, v):
        return (v % 1 == 0) & (v >= self.lower_bound)

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Multinomial(Constraint):
    """Nonnegative counts summing to at most ``upper_bound`` (PyTorch's weaker check)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, v):
        return (v >= 0).all(-1) & (v.sum(-1) <= self.upper_bound)


class _IndependentConstraint(Constraint):
    def __init__(self, base, n):
        self.base, self.reinterpreted_batch_ndims = base, n
        self.base_constraint = base  # PyTorch's attribute name
        self.event_dim = base.event_dim + n
        self.is_discrete = base.is_discrete

    def check(self, v):
        ok = self.base.check(v)
        for _ in range(self.reinterpreted_batch_ndims):
            ok = ok.all(-1)
        return ok

    def __repr__(self):
        return f"IndependentConstraint({self.base!r}, {self.reinterpreted_batch_ndims})"


class _MixtureSameFamily(Constraint):
    """The component support, holding for every component (PyTorch's
    MixtureSameFamilyConstraint)."""

    def __init__(self, base_constraint):
        self.base_constraint = base_constraint
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim

    @_array_checked
    def check(self, v):
        ok = np.asarray(self.base_constraint.check(np.expand_dims(v, -1 - self.event_dim)))
        keep = np.ndim(v) - self.event_dim
        return ok.reshape(ok.shape[:keep] + (-1,)).all(-1)

    def __repr__(self):
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"



def _check_dim(dim, ndim):
    if not -ndim <= dim < ndim:
        raise AssertionError(f"dim {dim} out of range for value with {ndim} dimensions")


class _Cat(Constraint):
    """``cseq[i]`` on the i-th block (of ``lengths[i]`` entries) along ``dim``."""

    def __init__(self, cseq, dim=0, lengths=None):
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("All elements of cseq must be Constraint instances")
        self.cseq = list(cseq)
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise AssertionError(
                f"lengths ({len(self.lengths)}) must match cseq ({len(self.cseq)})")
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        return max(c.event_dim for c in self.cseq)

    @_array_checked
    def check(self, v):
        v = np.asarray(v)
        _check_dim(self.dim, v.ndim)
        bounds = np.cumsum([0] + self.lengths)
        parts = [np.asarray(c.check(np.take(v, np.arange(a, b), axis=self.dim)))
                 for c, a, b in zip(self.cseq, bounds[:-1], bounds[1:])]
        return np.concatenate(parts, self.dim)


class _Stack(Constraint):
    """``cseq[i]`` on the i-th slice along ``dim``."""

    def __init__(self, cseq, dim=0):
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("All elements of cseq must be Constraint instances")
        self.cseq = list(cseq)
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim

    @_array_checked
    def check(self, v):
        v = np.asarray(v)
        _check_dim(self.dim, v.ndim)
        slices = [np.take(v, i, axis=self.dim) for i in range(v.shape[self.dim])]
        return np.stack([np.asarray(c.check(s)) for s, c in zip(slices, self.cseq)], self.dim)


dependent = _Dependent()
real = _Real()
real_vector = _IndependentConstraint(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
one_hot = _OneHot()
simplex = _Simplex()
integer_interval = _IntegerInterval
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
interval = _Interval
half_open_interval = _HalfOpenInterval
independent = _IndependentConstraint
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_greater_than = _IntegerGreaterThan
multinomial = _Multinomial
mixture_same_family = _MixtureSameFamily


def is_dependent(constraint) -> bool:
    return isinstance(constraint, _Dependent)
cat = _Cat
stack = _Stack

# PyTorch's class name for the mixture constraint; the matrix constraints and
# dependent_property live in constraints_matrix (this module's size).
MixtureSameFamilyConstraint = _MixtureSameFamily
from .constraints_matrix import (  # noqa: E402,F401
    corr_cholesky, dependent_property, lower_cholesky, lower_triangular, positive_definite,
    positive_semidefinite, square, symmetric)
