"""Categorical over {0, ..., K-1}, from probs or logits (-inf logits act as masks)."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..autograd.grad_mode import enable_grad
from ..tensor import Size, Tensor
from . import constraints
from ._fused import CatEntropy, NormLogits, PickLast
from .distribution import Distribution


def _nan(shape, ref):
    return Tensor._make(np.full(tuple(shape), np.nan, dtype=ref._data.dtype), False, None)


def _in_range(idx, n):
    return idx.min() >= 0 and idx.max() < n


def _finfo(t):
    return np.finfo(t._data.dtype)


class Categorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True
    _fused = False  # True when built from floating-point logits (entropy is then one node)
    _probs_shown = False  # the fused entropy used probs without caching them (repr, expand)

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            # Normalise so that logsumexp(logits) == 0 (a row of -inf gives nan, as in PyTorch).
            self._fused = logits._data.dtype.kind == "f"
            if self._fused:
                self.logits = NormLogits.apply(logits)
            else:
                self.logits = logits - ops.logsumexp(logits, dim=-1, keepdim=True)
            param = self.logits
        self._param = param
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)

    def __repr__(self):
        if self._probs_shown:  # PyTorch's entropy caches probs, so its repr lists them
            self.probs  # noqa: B018
        return super().__repr__()

    def __getattr__(self, name):
        # probs and logits are derived from each other on first use, as in PyTorch.
        # Built with grad enabled even under no_grad (e.g. inside sample), as PyTorch's
        # lazy_property: the cached value keeps its graph for later losses.
        if name == "probs":
            with enable_grad():
                value = ops.softmax(self.__dict__["logits"], -1)
        elif name == "logits":
            p = self.__dict__["probs"]
            eps = float(_finfo(p).eps)
            with enable_grad():
                value = ops.log(ops.clamp(p, min=eps, max=1 - eps))
        else:
            raise AttributeError(name)
        self.__dict__[name] = value
        return value

    @property
    def param_shape(self):
        return self._param.shape

    def expand(self, batch_shape, _instance=None):
        from ._util import checked_instance

        new = checked_instance(self, Categorical, _instance)
        batch_shape = Size(batch_shape)
        shape = tuple(batch_shape) + (self._num_events,)
        if self._probs_shown:
            self.probs  # noqa: B018 - PyTorch's entropy cached them: expand carries them too
        for name in ("probs", "logits"):  # whichever exist so far, as PyTorch
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(shape)
                new._param = new.__dict__[name]
        new._fused = self._fused and "logits" in self.__dict__
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return _nan(self.batch_shape, self.probs)  # probs: PyTorch's takes their dtype

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return _nan(self.batch_shape, self.probs)

    def _sample(self, sample_shape=()):
        """PyTorch's rule: ``multinomial(probs_2d, sample_shape.numel(), True).T``, reshaped to
        sample_shape + batch_shape (one float64 uniform per draw, row by row)."""
        from ..random import _gen, multinomial_array

        m = 1
        for d in sample_shape:
            m *= int(d)
        probs_2d = self.probs._data.reshape(-1, self._num_events)
        if m <= 0:  # PyTorch's multinomial refuses it
            raise RuntimeError("cannot sample n_sample <= 0 samples")
        draws = multinomial_array(probs_2d, m, True, _gen(None).bits)
        if m == 1:  # (batch, 1): its transpose is already in batch order
            return Tensor._make(draws.reshape(self._extended_shape(sample_shape)), False, None)
        return Tensor._make(np.ascontiguousarray(draws.T).reshape(
            self._extended_shape(sample_shape)), False, None)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        idx = value._data
        if (idx.shape == self._batch_shape and idx.dtype.kind in "iu" and idx.size
                and (self._validate_args or _in_range(idx, self._num_events))):
            # The common case, one node: pick each row's entry (indices already checked).
            return PickLast.apply(self.logits, np.asarray(idx, dtype=np.int64))
        v = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(v.shape, self.logits.shape)
        v = v.expand(shape[:-1] + (1,))
        logits = self.logits.expand(shape)
        return logits.gather(-1, v).squeeze(-1)

    def entropy(self):
        if self._fused:  # built from float logits: probs = softmax(logits), one fused node
            self._probs_shown = True
            return CatEntropy.apply(self._param)
        # Clamp -inf logits to the most negative finite float: their p log p is then 0, not nan.
        logits = ops.clamp(self.logits, min=float(_finfo(self.logits).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        n = self._num_events
        values = Tensor._make(np.arange(n, dtype=np.int64).reshape((n,) + (1,) * len(
            self.batch_shape)), False, None)
        return values.expand((n,) + tuple(self.batch_shape)) if expand else values
