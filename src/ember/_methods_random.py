"""Tensor's in-place random samplers (``random_``, ``exponential_``, ``cauchy_``, ...), each
drawing what PyTorch's CPU kernel draws (``_torch_rng``). Bound by ``_methods_more``.
"""

from __future__ import annotations

import numpy as np

from . import _torch_rng as _T
from ._methods_more import _overwrite
from ._rng_layout import place
from .autograd.grad_mode import STATE
from .ops.arithmetic import type_name
from .random import _gen


def _fill_random(self, values, node: str):
    """Write sampled ``values`` (in draw order, shaped row-major) to self's elements in memory
    order, as PyTorch's TensorIterator does; recorded (zero gradient) on a tensor in a graph."""
    self._check_inplace()
    values = place(np.asarray(values).reshape(-1), self._data)
    if STATE.enabled and self._rg:
        return self._write(_overwrite(node).apply(self._graph_input(), values))
    arr = self._ensure_array()
    arr[...] = values
    self._bump()
    return self


def random_(self, from_=None, to=None, *, generator=None, **kw):
    """Integers drawn uniformly from [from, to); ``random_(to)`` is [0, to); ``random_()``
    spans [0, 2^mantissa] for floats and the dtype's non-negative range for integers."""
    from_ = kw.pop("from", from_)
    dt = self._data.dtype
    if to is None and from_ is not None:
        lo, hi, node = 0, from_, "RandomBackward1"
    elif to is None:
        lo, node = 0, "RandomBackward2"
        hi = 2 if dt == np.bool_ else (2 ** (np.finfo(dt).nmant + 1) + 1 if dt.kind == "f"
                                      else int(np.iinfo(dt).max) + 1)
    else:
        lo, hi, node = from_, to, "RandomBackward0"
        if lo >= hi:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={lo} >= to={hi}")
    if dt.kind in "iu":
        info, cname = np.iinfo(dt), _cname(dt)
        if not info.min <= lo <= info.max:
            raise RuntimeError(f"from is out of bounds for {cname}")
        if not info.min <= hi - 1 <= info.max:
            raise RuntimeError(f"to - 1 is out of bounds for {cname}")
    bits, n = _gen(generator).bits, self._data.size
    if node == "RandomBackward2":  # no bounds: PyTorch's full-range rule for the dtype
        vals = _T.random_full(bits, n, dt)
    else:
        vals = _T.random_from_to(bits, n, int(lo), int(hi))
    return _fill_random(self, vals.reshape(self._data.shape), node)


def _cname(dt) -> str:
    from .ops.linalg import _C_NAMES

    return _C_NAMES[np.dtype(dt).name]


def _positive(name: str, what: str, value) -> None:
    if not value > 0:  # C++ prints the double as %g: -1, not -1.0
        raise RuntimeError(f"{name} expects {what} > 0.0, but found {what}={float(value):g}")


def _continuous(self, name: str, cname: bool) -> None:
    """PyTorch's error for a continuous distribution drawn into an integer or bool tensor."""
    dt = self._data.dtype
    if dt.kind != "f":
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_cname(dt) if cname else type_name(dt)}")


def exponential_(self, lambd=1.0, *, generator=None):
    """PyTorch's rule: -1 / lambd * log1p(-u) per element, u a float64 uniform."""
    _continuous(self, "Exponential", False)
    _positive("exponential_", "lambda", lambd)
    
    vals = _T.exponential(_gen(generator).bits, self._data.size, lambd, self._data.dtype)
    return _fill_random(self, vals.reshape(self._data.shape), "ExponentialBackward0")


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """PyTorch's rule: median + sigma * tan(pi * (u - 0.5)) per element, u a float64 uniform."""
    _continuous(self, "Cauchy", True)
    _positive("cauchy_", "sigma", sigma)
    from ._torch_rng_more import cauchy

    vals = cauchy(_gen(generator).bits, self._data.size, median, sigma, self._data.dtype)
    return _fill_random(self, vals.reshape(self._data.shape), "CauchyBackward0")


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """PyTorch's rule: exp(z * std + mean) per element, z a scalar (double) normal draw."""
    if self._data.dtype.kind != "f":
        raise NotImplementedError(f"\"log_normal_cpu\" not implemented for "
                                  f"'{type_name(self._data.dtype)}'")
    _positive("log_normal_", "std", std)
    from ._torch_rng_more import log_normal

    gen = _gen(generator)
    vals = log_normal(gen, gen.bits, self._data.size, mean, std, self._data.dtype)
    return _fill_random(self, vals.reshape(self._data.shape), "LogNormalBackward0")


def geometric_(self, p, *, generator=None):
    """PyTorch's rule: ceil(log(u) / log1p(-p)) per element, u a float64 uniform."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    from ._torch_rng_more import geometric

    vals = geometric(_gen(generator).bits, self._data.size, p, self._data.dtype)
    return _fill_random(self, vals.reshape(self._data.shape), "GeometricBackward0")


def bernoulli(self, p=None, *, generator=None):
    """Draws 1 with probability ``self`` (or ``p``) at every entry."""
    from .random import bernoulli as draw

    if p is None:
        if self._data.dtype.kind != "f":
            raise NotImplementedError('"bernoulli_tensor_cpu_p_" not implemented for '
                                      f"'{type_name(self._data.dtype)}'")
        probs = self._data
        if probs.size and not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return draw(self, p, generator=generator)


def multinomial(self, num_samples, replacement=False, *, generator=None):
    from .random import multinomial as draw  # checks its arguments in PyTorch's order

    return draw(self, num_samples, replacement, generator=generator)


