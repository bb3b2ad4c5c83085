"""OneHotCategorical: a Categorical whose draws are one-hot vectors (event_shape (K,))."""

from __future__ import annotations

import numpy as np

from ..tensor import Size, Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution


def _one_hot(idx: np.ndarray, k: int, dtype) -> Tensor:
    return Tensor._make(np.eye(k, dtype=dtype)[idx], False, None)


class OneHotCategorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        from ._util import checked_instance

        new = checked_instance(self, type(self), _instance)
        batch_shape = Size(batch_shape)
        cat = self._categorical
        shape = tuple(batch_shape) + (cat._num_events,)
        name = "probs" if "probs" in cat.__dict__ else "logits"
        new._categorical = Categorical(**{name: cat.__dict__[name].expand(shape)},
                                       validate_args=False)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self._categorical.probs

    @property
    def mode(self):
        probs = self._categorical.probs
        idx = np.asarray(probs.argmax(-1)._data)
        return _one_hot(idx, probs.shape[-1], probs._data.dtype)

    @property
    def variance(self):
        p = self._categorical.probs
        return p * (1 - p)

    def _sample(self, sample_shape=()):
        probs = self._categorical.probs
        idx = np.asarray(self._categorical.sample(sample_shape)._data)
        return _one_hot(idx, self._categorical._num_events, probs._data.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.max(-1)[1])

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self.event_shape[0]
        eye = np.eye(n, dtype=self._param._data.dtype)
        values = Tensor._make(eye.reshape((n,) + (1,) * len(self.batch_shape) + (n,)),
                              False, None)
        return values.expand((n,) + tuple(self.batch_shape) + (n,)) if expand else values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """Samples are one-hot; rsample passes gradients to probs as if it returned probs
    (the straight-through estimator: sample + probs - probs.detach())."""

    has_rsample = True

    def rsample(self, sample_shape=()):
        samples = self._sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())

    def sample(self, sample_shape=()):
        return self._sample(sample_shape)
