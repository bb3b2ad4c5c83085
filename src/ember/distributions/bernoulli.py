"""Bernoulli over {0, 1}, from probs or logits."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..autograd.grad_mode import enable_grad
from ..ops.arithmetic import type_name
from ..tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .normal import broadcast_all


def _bce_with_logits(logits, target):
    """softplus(x) - x*t: stable for large |x|, and its gradient sigmoid(x) - t is exact at
    x = 0 too (relu + log1p(exp(-|x|)) gave -t there)."""
    return ops.softplus(logits) - logits * target


def _refuse_target(logits, value):
    """PyTorch's error for integer or bool actions (MultiBinary samples as long): the float
    result cannot be cast into them."""
    if value._data.dtype.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError(f"result type {type_name(logits._data.dtype)} can't be cast to the "
                       f"desired output type {type_name(value._data.dtype)}\n"
                       "Hint: pass value.float().")


class Bernoulli(ExponentialFamily):  # as PyTorch (kl_divergence dispatch)
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            self._param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            self._param = self.logits
        super().__init__(self._param.shape, validate_args=validate_args)

    def __getattr__(self, name):
        if name == "probs":  # grad enabled even under no_grad, as PyTorch's lazy_property
            with enable_grad():
                value = ops.sigmoid(self.__dict__["logits"])
        elif name == "logits":
            p = self.__dict__["probs"]
            eps = float(np.finfo(p._data.dtype).eps)
            with enable_grad():
                pc = ops.clamp(p, min=eps, max=1 - eps)
                value = ops.log(pc) - ops.log1p(-pc)
        else:
            raise AttributeError(name)
        self.__dict__[name] = value
        return value

    @property
    def param_shape(self):
        return self._param.shape

    def expand(self, batch_shape, _instance=None):
        from ._util import expand_binary

        return expand_binary(self, Bernoulli, batch_shape, _instance)

    def enumerate_support(self, expand=True):
        """[0., 1.] in the parameter's dtype, shaped (2,) + (1,) * len(batch_shape)."""
        arr = np.arange(2, dtype=self._param._data.dtype)
        values = Tensor._make(arr.reshape((2,) + (1,) * len(self.batch_shape)), False, None)
        return values.expand((2,) + tuple(self.batch_shape)) if expand else values

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        m = (self.probs >= 0.5).to(self.probs.dtype)
        return ops.where(self.probs == 0.5, m * float("nan"), m)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def _sample(self, sample_shape=()):
        """PyTorch's rule: ``bernoulli(probs.expand(shape))``, a uniform per element in probs'
        precision, in C order, 1 where u < p."""
        from ..random import bernoulli

        shape = self._extended_shape(sample_shape)
        return bernoulli(self.probs.detach().expand(shape).contiguous())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        vt, lt = value._data.dtype, logits._data.dtype
        if vt != lt:  # PyTorch's BCE promotes both, then writes into the value's dtype
            if vt.kind != "f":
                _refuse_target(logits, value)
            if vt.itemsize > lt.itemsize:  # computed in the wider float, given in value's
                logits = logits.to(value.dtype)
            return (-_bce_with_logits(logits, value.to(logits.dtype))).to(value.dtype)
        return -_bce_with_logits(logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)
