"""More transforms (PyTorch's names): Power, Softplus, Abs, Softmax, StickBreaking, Reshape,
Independent. Each states its map and log|dy/dx| (over its own event dims)."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..tensor import Size, Tensor
from . import constraints
from .independent import _sum_rightmost
from .transforms import Transform, _dtype_finfo

__all__ = ["PowerTransform", "SoftplusTransform", "AbsTransform", "SoftmaxTransform",
           "StickBreakingTransform", "ReshapeTransform", "IndependentTransform",
           "CatTransform", "StackTransform"]


class PowerTransform(Transform):
    """y = x ** exponent on (0, inf);  log|dy/dx| = log|exponent * y / x|."""

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        from .normal import broadcast_all

        (self.exponent,) = broadcast_all(exponent)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    @property
    def sign(self):
        return self.exponent.sign()

    def __eq__(self, other):
        if not isinstance(other, PowerTransform):
            return False
        return bool((self.exponent == other.exponent).all())

    __hash__ = object.__hash__

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return Size(np.broadcast_shapes(tuple(shape), tuple(self.exponent.shape)))

    inverse_shape = forward_shape


class SoftplusTransform(Transform):
    """y = log(1 + e^x);  x = log(-expm1(-y)) + y;  log|dy/dx| = -softplus(-x)."""

    codomain = constraints.positive
    bijective = True
    sign = 1

    def __eq__(self, other):
        return isinstance(other, SoftplusTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return ops.softplus(x)

    def _inverse(self, y):
        return (-ops.expm1(-y)).log() + y

    def log_abs_det_jacobian(self, x, y):
        return -ops.softplus(-x)


class AbsTransform(Transform):
    """y = |x| (not injective: the inverse returns y itself)."""

    codomain = constraints.positive

    def __eq__(self, other):
        return isinstance(other, AbsTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


def _need_dims(shape, n=1):
    if len(shape) < n:
        raise ValueError("Too few dimensions on input")


class SoftmaxTransform(Transform):
    """y = softmax(x) over the last dim (not bijective; the inverse is log y)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def __eq__(self, other):
        return isinstance(other, SoftmaxTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        e = (x - x.max(-1, True)[0]).exp()
        return e / e.sum(-1, True)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        _need_dims(shape)
        return shape

    inverse_shape = forward_shape


def _stick_offset(x):
    """K - k for k = 0..K-1 (K = x.shape[-1]): centres the sigmoid of each break."""
    k = x.shape[-1]
    return Tensor._make(np.arange(k, 0, -1, dtype=x._data.dtype), False, None)


class StickBreakingTransform(Transform):
    """R^K -> simplex in R^(K+1): z_k = sigmoid(x_k - log(K - k)), y_k = z_k prod_{j<k}(1-z_j),
    y_K = prod (1 - z_j);  log|det J| = sum(-x' + logsigmoid(x') + log y_k), x' the shifted x."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def __eq__(self, other):
        return isinstance(other, StickBreakingTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        fi = _dtype_finfo(x)
        z = ops.clamp(ops.sigmoid(x - _stick_offset(x).log()), min=float(fi.tiny),
                      max=float(1 - fi.eps))
        rest = (1 - z).cumprod(-1)
        one = Tensor._make(np.ones(tuple(x.shape[:-1]) + (1,), x._data.dtype), False, None)
        return ops.cat([z, one], -1) * ops.cat([one, rest], -1)

    def _inverse(self, y):
        crop = y[..., :-1]
        offset = _stick_offset(crop)
        sf = ops.clamp(1 - crop.cumsum(-1), min=float(_dtype_finfo(y).tiny))
        return crop.log() - sf.log() + offset.log()

    def log_abs_det_jacobian(self, x, y):
        x = x - _stick_offset(x).log()
        from ..nn import functional as F

        return (-x + F.logsigmoid(x) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        _need_dims(shape)
        return shape[:-1] + (shape[-1] + 1,)  # a tuple stays a tuple, as PyTorch

    def inverse_shape(self, shape):
        _need_dims(shape)
        return shape[:-1] + (shape[-1] - 1,)


class ReshapeTransform(Transform):
    """Reshapes the rightmost ``in_shape`` dims to ``out_shape``; log|det J| = 0."""

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size: int = 0):
        self.in_shape, self.out_shape = Size(in_shape), Size(out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    def _call(self, x):
        batch = tuple(x.shape)[:x.dim() - len(self.in_shape)]
        return x.reshape(batch + tuple(self.out_shape))

    def _inverse(self, y):
        batch = tuple(y.shape)[:y.dim() - len(self.out_shape)]
        return y.reshape(batch + tuple(self.in_shape))

    def log_abs_det_jacobian(self, x, y):
        batch = tuple(x.shape)[:x.dim() - len(self.in_shape)]
        return x.new_zeros(batch)

    @staticmethod
    def _swap(shape, old, new):
        _need_dims(shape, len(old))
        cut = len(shape) - len(old)
        if tuple(shape)[cut:] != tuple(old):
            raise ValueError(f"Shape mismatch: expected {Size(tuple(shape)[cut:])} but got "
                             f"{old}")
        return Size(tuple(shape)[:cut] + tuple(new))

    def forward_shape(self, shape):
        return self._swap(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._swap(shape, self.out_shape, self.in_shape)


class IndependentTransform(Transform):
    """``base_transform`` with ``reinterpreted_batch_ndims`` more rightmost dims as event dims
    (log|det J| summed over them)."""

    def __init__(self, base_transform, reinterpreted_batch_ndims: int, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return IndependentTransform(self.base_transform, self.reinterpreted_batch_ndims,
                                    cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(self.base_transform.domain,
                                       self.reinterpreted_batch_ndims)

    @property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain,
                                       self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _call(self, x):
        if x.dim() < self.domain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform(x)

    def _inverse(self, y):
        if y.dim() < self.codomain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return _sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y),
                              self.reinterpreted_batch_ndims)

    def __repr__(self):
        return f"{type(self).__name__}({self.base_transform!r}, " \
               f"{self.reinterpreted_batch_ndims})"

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)


from .transforms_join import CatTransform, StackTransform  # noqa: E402,F401
