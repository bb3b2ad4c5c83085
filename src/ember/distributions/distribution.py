"""Distribution: the base class, with PyTorch's shapes, sampling and argument validation."""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Size, Tensor


def _tensor_desc(t) -> str:
    """How PyTorch's messages name a checked value: its class (a Parameter says so)."""
    return f"{type(t).__name__} of shape {tuple(t.shape)}"


def _check_sample_shape(shape) -> None:
    """What PyTorch's torch.Size(sample_shape) raises for an entry that is no integer."""
    for i, d in enumerate(shape):
        if not hasattr(type(d), "__index__"):
            raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                            f"'{type(d).__name__}')")


class Distribution:
    """``batch_shape`` indexes independent distributions; ``event_shape`` is one draw's shape."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    support = None
    # PyTorch validates by default (__debug__); an instance built with validate_args=None
    # reads this class attribute, so set_default_validate_args reaches it later too
    _validate_args = __debug__

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_params()

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in [True, False]:
            raise ValueError
        Distribution._validate_args = value

    def _check_params(self) -> None:
        for name, constraint in self.arg_constraints.items():
            value = self.__dict__.get(name)
            if value is None:
                continue  # a property, or lazily derived (probs from logits, ...)
            if not constraint.holds(np.asarray(value._data)):
                raise ValueError(
                    f"Expected parameter {name} ({_tensor_desc(value)}) of distribution "
                    f"{self!r} to satisfy the constraint {constraint!r}, but found invalid "
                    f"values:\n{value}")

    def _validate_sample(self, value) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        self._check_value_shape(value.shape)
        support = self.support
        if not support.holds(np.asarray(value._data)):
            raise ValueError(
                f"Expected value argument ({_tensor_desc(value)}) to be within the support "
                f"({support!r}) of the distribution {self!r}, but found invalid values:\n"
                f"{value}")

    def _check_value_shape(self, shape) -> None:
        """PyTorch's checks: value ends with event_shape and broadcasts with the rest."""
        event = self._event_shape
        expected = self._batch_shape + event
        if shape == expected:
            return
        if shape[len(shape) - len(event):] != event:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{Size(shape)!r} vs {event!r}.")
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{Size(shape)!r} vs {Size(expected)!r}.")

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        for d in sample_shape:
            if type(d) is not int:
                _check_sample_shape(sample_shape)
                break
        return tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape)

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape) if self.has_rsample else self._sample(sample_shape)

    def sample_n(self, n: int):
        """sample((n,)), with PyTorch's deprecation warning."""
        from .._warn import warn

        warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.", FutureWarning)
        return self.sample((n,))

    def rsample(self, sample_shape=()):
        raise NotImplementedError  # bare, as PyTorch's

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    # What a family does not define raises NotImplementedError, as in PyTorch
    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        from .._typename import torch_class_repr

        raise NotImplementedError(f"{torch_class_repr(type(self))} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def perplexity(self):
        return self.entropy().exp()

    def expand(self, batch_shape, _instance=None):
        raise NotImplementedError

    def __repr__(self) -> str:
        params = []
        for k in self.arg_constraints:
            if k in self.__dict__:
                v = self.__dict__[k]
                params.append(f"{k}: {v if v.numel() == 1 else v.shape}")
        return f"{type(self).__name__}({', '.join(params)})"
