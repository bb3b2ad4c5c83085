"""rand_like, randn_like, randint_like: drawn into a tensor laid out like ``input`` (a permuted
input's memory order, see _rng_layout), as PyTorch's do."""

from __future__ import annotations

import sys

from . import _rng_layout as _L
from ._rg_arg import rg_overloads
from ._random_checks import unknown_keyword
from .creation import _array_of, _check_device
from .random import _bad_like_kw, rand, randint, randn
from .tensor import Tensor


def _continuous_like(name, draw, fill, input, dtype, generator, requires_grad, kw, args):
    """rand_like / randn_like: ``draw`` (rand, randn) of input's shape, or, for a permuted
    input or a memory_format, ``fill`` (uniform_, normal_) in empty_like's memory order."""
    if type(requires_grad) is not bool:
        requires_grad = rg_overloads(name, requires_grad, frame=sys._getframe(1))
    _check_device(kw.get("device"), op="aten::empty_strided")
    if kw and _bad_like_kw(kw):
        raise unknown_keyword(name, (input,), args, kw)
    if _L.layout_axes(_array_of(input, name)) is not None or kw.get("memory_format"):
        return _L.fresh_like(input, dtype, requires_grad,
                             lambda t: getattr(t, fill)(generator=generator),
                             kw.get("memory_format"), name)
    return draw(input._data.shape, generator=generator, dtype=dtype or input._data.dtype,
                requires_grad=requires_grad)


def rand_like(input, *, dtype=None, generator=None, requires_grad=False, **kw) -> Tensor:
    """Drawn into empty_like(input): a permuted input's memory order (see _rng_layout)."""
    return _continuous_like("rand_like", rand, "uniform_", input, dtype, generator,
                            requires_grad, kw, locals())


def randn_like(input, *, dtype=None, generator=None, requires_grad=False, **kw) -> Tensor:
    return _continuous_like("randn_like", randn, "normal_", input, dtype, generator,
                            requires_grad, kw, locals())


def randint_like(input, low, high=None, *, dtype=None, generator=None, requires_grad=False,
                 **kw) -> Tensor:
    if type(requires_grad) is not bool:
        requires_grad = rg_overloads("randint_like", requires_grad)
    _check_device(kw.get("device"), op="aten::empty_strided")
    if kw and _bad_like_kw(kw):
        given = (input, low) if high is None else (input, low, high)
        raise unknown_keyword("randint_like", given, locals(), kw)
    if high is None:
        low, high = 0, low
    if _L.layout_axes(input._data) is not None or kw.get("memory_format"):
        return _L.fresh_like(input, dtype, requires_grad,
                             lambda t: t.random_(low, high, generator=generator),
                             kw.get("memory_format"), "randint_like")
    return randint(low, high, tuple(input._data.shape), generator=generator,
                   dtype=dtype or input._data.dtype, requires_grad=requires_grad)
