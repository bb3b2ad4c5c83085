"""Tensor's ``uniform_``, ``normal_`` and ``bernoulli_`` with positional bounds, each drawing
what PyTorch's CPU kernel draws, to the elements in memory order (``_rng_layout``);
``_methods_random`` wraps them in PyTorch's keyword names."""

from __future__ import annotations

import numpy as np

from .tensor import Tensor


def sampler(kind):
    def method(self, a=None, b=None, *, generator=None):
        from . import _rng_layout as _L, _torch_rng as _T, random as R

        self._check_inplace()
        if kind != "bernoulli" and self._data.dtype.kind != "f":  # continuous draws only
            from .ops.arithmetic import type_name

            kernel = "check_uniform_bounds" if kind == "uniform" else "normal_kernel_cpu"
            raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                      f"'{type_name(self._data.dtype)}'")
        arr = self._ensure_array()
        shape, n = arr.shape, arr.size
        # the draws go to the elements in memory order (TensorIterator's), see _rng_layout
        if kind == "uniform":
            vals = R.uniform_array((n,), 0.0 if a is None else a, 1.0 if b is None else b,
                                   arr.dtype, generator)
        elif kind == "normal":  # not contiguous: one scalar draw per element, any size
            m, s, gen = 0.0 if a is None else a, 1.0 if b is None else b, R._gen(generator)
            vals = (R.normal_array((n,), m, s, arr.dtype, generator) if arr.flags.c_contiguous
                    else _T._normal_small(gen, gen.bits, n, m, s).astype(arr.dtype))
        else:  # p a float: float64 uniforms; p a tensor: uniforms in its precision
            p, bits = 0.5 if a is None else a, R._gen(generator).bits
            if isinstance(p, Tensor):
                vals = _T.bernoulli_tensor(bits, _L.in_order(np.broadcast_to(p._data, shape),
                                                              arr))
            else:
                vals = _T.bernoulli_scalar(bits, n, float(p))
        arr[...] = vals if vals.shape == shape else _L.place(vals, arr)
        self._bump()
        return self

    method.__name__ = kind + "_"
    return method
