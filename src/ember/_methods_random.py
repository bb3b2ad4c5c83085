"""Tensor's in-place random samplers (``random_``, ``exponential_``, ``cauchy_``, ...), each
drawing what PyTorch's CPU kernel draws (``_torch_rng``), and PyTorch's signatures of
``normal_`` / ``uniform_`` / ``bernoulli_`` over ``_samplers``. Bound by
``_methods_more``.
"""

from __future__ import annotations

import numpy as np

from . import _torch_rng as _T
from ._methods_more import _overwrite
from ._rng_layout import place
from .autograd.grad_mode import STATE
from .ops.arithmetic import type_name
from ._random_checks import MISSING
from .random import _gen
from .tensor import Tensor


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


def random_(self, *args, generator=None, **kw):
    """PyTorch's three overloads: ``random_()`` spans [0, 2^mantissa] for floats and the
    dtype's non-negative range for integers; ``random_(to)`` is [0, to); ``random_(from,
    to)`` is [from, to), up to the ``random_()`` bound when ``to`` is None."""
    dt = self._data.dtype
    if len(args) > 2:
        raise TypeError(f"random_() takes 2 positional arguments but {len(args)} were given")
    given = {**dict(zip(("from", "to"), args)), **kw}
    if len(given) < len(args) + len(kw) or not given.keys() <= {"from", "to"}:
        raise _invalid("random_", args, kw)
    if not given:
        lo, hi, node = 0, _top(dt), "RandomBackward2"
    elif len(given) == 1:  # random_(n) or random_(to=n): [0, n); a lone 'from' has no overload
        if len(args) == 1:
            given = {"to": args[0]}
        if "to" not in given or given["to"] is None:
            raise _invalid("random_", args, kw)
        lo, hi, node = 0, given["to"], "RandomBackward1"
    else:
        lo, hi, node = given["from"], given["to"], "RandomBackward0"
        if hi is None:  # [from, the largest value random_() can give]
            hi = _top(dt)
    if node != "RandomBackward2" and given["to"] is not None and lo >= hi:
        # (to=None: PyTorch checks only that 'from' fits the dtype, below)
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={lo} >= to={hi}")
    if dt.kind in "iub":
        least, most = (0, 1) if dt.kind == "b" else (np.iinfo(dt).min, np.iinfo(dt).max)
        if not least <= lo <= most:
            raise RuntimeError(f"from is out of bounds for {_cname(dt)}")
        if not least <= hi - 1 <= most:
            raise RuntimeError(f"to - 1 is out of bounds for {_cname(dt)}")
    bits, n = _gen(generator).bits, self._data.size
    if node == "RandomBackward2":  # no bounds: PyTorch's full-range rule for the dtype
        vals = _T.random_full(bits, n, dt)
    else:
        vals = _T.random_from_to(bits, n, int(lo), int(hi))
    return _fill_random(self, vals.reshape(self._data.shape), node)


def _top(dt) -> int:
    """random_()'s exclusive bound: 2^mantissa + 1 for floats, the largest value + 1 else."""
    if dt.kind == "b":
        return 2
    return 2 ** (np.finfo(dt).nmant + 1) + 1 if dt.kind == "f" else int(np.iinfo(dt).max) + 1


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
    """Draws 1 with probability ``self`` (or ``p``) at every entry (checks: random.bernoulli)."""
    from .random import bernoulli as draw

    return draw(self, p, generator=generator)


def multinomial(self, num_samples=MISSING, replacement=False, *, generator=None):
    from .random import multinomial as draw  # checks its arguments in PyTorch's order

    return draw(self, num_samples, replacement, generator=generator)




# ---- normal_ / uniform_ / bernoulli_ under PyTorch's keyword names -----------------------
# The samplers bound by _methods (_samplers.py) take their bounds positionally; tutorials
# also write normal_(mean=0, std=0.01), uniform_(to=1) (or **{'from': -1}) and
# bernoulli_(p=0.3).

def _samplers():
    from ._samplers import sampler

    return sampler("normal"), sampler("uniform"), sampler("bernoulli")


_NORMAL, _UNIFORM, _BERNOULLI = _samplers()


def _too_many(name: str, most: int, given: int) -> TypeError:
    """Python's message, counted as PyTorch counts (self not included)."""
    return TypeError(f"{name}() takes from 0 to {most} positional arguments but {given} "
                     f"were given")


def _drawn(self, draw, node: str):
    """``draw(tensor)`` fills a tensor in place. On a tensor in a graph, PyTorch records the
    fill as ``node`` (gradient zero: the values do not depend on the old ones), so the draw
    goes to a scratch tensor with self's strides (the samplers follow memory order, and
    draw contiguous and strided tensors differently) whose values are then recorded."""
    self._check_inplace()
    arr = self._ensure_array()
    span = 1 + sum((n - 1) * st for n, st in zip(arr.shape, arr.strides)) // arr.itemsize
    view = np.lib.stride_tricks.as_strided(np.empty(max(span, 1), arr.dtype), arr.shape,
                                           arr.strides)
    scratch = Tensor._make(view, False, None)
    draw(scratch)
    return self._write(_overwrite(node).apply(self._graph_input(), scratch._data))


def _bounds(fn: str, names: tuple, values: tuple, keyword_first: bool = False) -> list:
    """Bounds PyTorch's parser reads as floats: a 0-d tensor that needs no grad is read as
    its number; any other tensor is its TypeError (named by position unless the call gave
    it as a keyword)."""
    out = []
    for pos, (name, v) in enumerate(zip(names, values), 1):
        if isinstance(v, Tensor):
            if v._data.ndim or v._rg:
                keyword = keyword_first and pos == 1
                if not keyword:
                    from ._call_site import call_site

                    site = call_site(fn)
                    keyword = site is not None and name in site[2]
                where = "" if keyword else f" (position {pos})"
                raise TypeError(f"{fn}(): argument '{name}'{where} must be float, not Tensor")
            v = v._data.item()
        out.append(v)
    return out


def normal_(self, mean=0.0, std=1.0, *more, generator=None):
    """Fills self with draws from N(mean, std^2) (PyTorch's stream and order)."""
    if more:
        raise _too_many("normal_", 2, 2 + len(more))
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        mean, std = _bounds("normal_", ("mean", "std"), (mean, std))
    if STATE.enabled and self._rg:
        return _drawn(self, lambda t: _NORMAL(t, mean, std, generator=generator),
                      "NormalBackward0")
    return _NORMAL(self, mean, std, generator=generator)


def uniform_(self, from_=None, to=1.0, *more, generator=None, **kw):
    """Fills self with draws from U[from, to); ``from`` is a keyword Python reserves."""
    if more:
        raise _too_many("uniform_", 2, 2 + len(more))
    if kw:
        if "from" not in kw or len(kw) > 1:
            bad = next(k for k in kw if k != "from")
            raise TypeError(f"uniform_() got an unexpected keyword argument '{bad}'")
        if from_ is not None:
            raise TypeError("uniform_() got multiple values for argument 'from'")
        from_ = kw["from"]
    if isinstance(from_, Tensor) or isinstance(to, Tensor):
        from_, to = _bounds("uniform_", ("from", "to"), (from_, to), keyword_first=bool(kw))
    lo = 0.0 if from_ is None else from_
    if STATE.enabled and self._rg:
        return _drawn(self, lambda t: _UNIFORM(t, lo, to, generator=generator),
                      "UniformBackward0")
    return _UNIFORM(self, lo, to, generator=generator)


def _invalid(name: str, args, kw) -> TypeError:
    """PyTorch's refusal of arguments that fit none of a method's overloads (first line)."""
    named = [f"{k}={type(v).__name__}" for k, v in kw.items()]
    got = (", ".join([type(a).__name__ for a in args] + named) if args else  # PyTorch's format
           "".join(n + ", " for n in named))
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:")


def _check_p(p) -> None:
    """PyTorch's checks of a probability (a number or a tensor of them) for bernoulli_."""
    if isinstance(p, (int, float)):
        if not 0 <= p <= 1:  # nan fails too; C++ prints the double as %g
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    elif hasattr(p, "_data") and p._data.size:
        q = p._data
        if not (q.min() >= 0 and q.max() <= 1):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")


def bernoulli_(self, *args, generator=None, **kw):
    """Fills self with 1 at probability p (a number or a tensor of probabilities), else 0."""
    if len(args) + len(kw) <= 1 and kw.keys() <= {"p"}:
        p = args[0] if args else kw.get("p", 0.5)
        self._check_inplace()  # PyTorch refuses a leaf before it looks at p
        _check_p(p)
        if STATE.enabled and self._rg:
            node = "BernoulliBackward1" if isinstance(p, Tensor) else "BernoulliBackward2"
            return _drawn(self, lambda t: _BERNOULLI(t, p, generator=generator), node)
        return _BERNOULLI(self, p, generator=generator)
    raise _invalid("bernoulli_", args, kw)
