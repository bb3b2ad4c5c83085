"""AffineTransform (y = loc + scale * x), the transform behind every location-scale
family built as a TransformedDistribution; a name of ``transforms`` as in PyTorch."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import ops
from ..creation import full
from ..tensor import Size, Tensor
from . import constraints
from .transforms import Transform


class AffineTransform(Transform):
    """y = loc + scale * x;  log|dy/dx| = log|scale| (summed over ``event_dim`` dims)."""

    bijective = True

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.loc, self.scale = loc, scale
        self._event_dim = event_dim

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def domain(self):
        if self._event_dim == 0:
            return constraints.real
        return constraints.independent(constraints.real, self._event_dim)

    codomain = domain

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self._event_dim, cache_size=cache_size)

    def __eq__(self, other):
        if not isinstance(other, AffineTransform):
            return False
        return _same(self.loc, other.loc) and _same(self.scale, other.scale)

    __hash__ = object.__hash__

    @property
    def sign(self):
        s = self.scale
        if isinstance(s, numbers.Real):
            return 1 if float(s) > 0 else -1 if float(s) < 0 else 0
        return s.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        shape = tuple(x.shape)
        s = self.scale
        if isinstance(s, numbers.Real):
            result = full(shape, math.log(abs(s)), dtype=x.dtype)
        else:
            result = ops.abs(s).log()
        n = self._event_dim
        if n:
            result = result.reshape(tuple(result.shape)[:-n] + (-1,)).sum(-1)
            shape = shape[:-n]
        return result.expand(shape)

    def forward_shape(self, shape):
        return Size(np.broadcast_shapes(tuple(shape), _shape(self.loc), _shape(self.scale)))

    inverse_shape = forward_shape


def _shape(v):
    return tuple(v.shape) if isinstance(v, Tensor) else ()


def _same(a, b):
    if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
        return a == b
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return bool((a == b).all())
    return False
