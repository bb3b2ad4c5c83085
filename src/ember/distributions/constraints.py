"""Constraints on parameters and values, named and printed as PyTorch's."""

from __future__ import annotations

import numpy as np


class Constraint:
    event_dim = 0

    def check(self, value) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__[1:] + "()"


class _Real(Constraint):
    def check(self, v):
        return v == v  # False only for nan


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, v):
        return v > self.lower_bound

    def __repr__(self):
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _UnitInterval(Constraint):
    def check(self, v):
        return (v >= 0) & (v <= 1)

    def __repr__(self):
        return "Interval(lower_bound=0.0, upper_bound=1.0)"


class _Boolean(Constraint):
    def check(self, v):
        return (v == 0) | (v == 1)


class _Simplex(Constraint):
    event_dim = 1

    def check(self, v):
        return np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6)


class _IntegerInterval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, v):
        ok = (v >= self.lower_bound) & (v <= self.upper_bound)
        if getattr(v, "dtype", None) is not None and v.dtype.kind in "iu":
            return ok  # integers are whole numbers: skip the remainder
        return ok & (v % 1 == 0)

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IndependentConstraint(Constraint):
    def __init__(self, base, n):
        self.base, self.reinterpreted_batch_ndims = base, n
        self.event_dim = base.event_dim + n

    def check(self, v):
        ok = self.base.check(v)
        for _ in range(self.reinterpreted_batch_ndims):
            ok = ok.all(-1)
        return ok

    def __repr__(self):
        return f"IndependentConstraint({self.base!r}, {self.reinterpreted_batch_ndims})"


real = _Real()
positive = _GreaterThan(0.0)
unit_interval = _UnitInterval()
boolean = _Boolean()
simplex = _Simplex()
integer_interval = _IntegerInterval
greater_than = _GreaterThan
independent = _IndependentConstraint
