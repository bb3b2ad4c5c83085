"""Tensor's conversions to Python and NumPy values (item, tolist, numpy, float(t), int(t),
bool(t), an index), as a mixin of ``Tensor`` (tensor.py's size)."""

from __future__ import annotations

import sys
import warnings

import numpy as np

from .autograd.grad_mode import STATE as _GRAD

_COPY_GUIDE = "https://numpy.org/devdocs/numpy_2_0_migration_guide.html#adapting-to-changes-in-the-copy-keyword"


def _no_copy_keyword(copy: bool) -> None:
    """PyTorch's ``Tensor.__array__(self, dtype=None)`` takes no ``copy``: NumPy 2, asked for
    np.array(t) (copy=True) or np.array(t, copy=False), warns that it cannot pass it, calls
    again without it and then cannot promise copy=False (np.asarray(t) passes none)."""
    warnings.warn("__array__ implementation doesn't accept a copy keyword, so passing "
                  "copy=False failed. __array__ must implement 'dtype' and 'copy' keyword "
                  f"arguments. To learn more, see the migration guide {_COPY_GUIDE}",
                  DeprecationWarning, stacklevel=3)
    if not copy:
        raise ValueError("Unable to avoid copy while creating an array as requested.\nIf "
                         "using `np.array(obj, copy=False)` replace it with `np.asarray(obj)` "
                         "to allow a copy when needed (no behavior change in NumPy 1.x).\nFor "
                         f"more details, see {_COPY_GUIDE}.")


class ConvertMixin:
    __slots__ = ()

    def item(self):
        if self._vmap_depth:
            from .func import _item_in_vmap
            _item_in_vmap()
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar\n"
                "Hint: .item() reads one number; use .tolist() for all of them, or reduce "
                "first (e.g. .sum() or .mean())."
            )
        return self._data.item()

    def tolist(self):
        return np.asarray(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        # (PyTorch refuses only while grad mode is on: under no_grad the array is handed out)
        if self._rg and not force and _GRAD.enabled:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._ensure_array()

    def __array__(self, dtype=None, copy=None):
        if copy is not None and not sys._getframe(1).f_globals.get(
                "__name__", "").startswith("ember"):
            _no_copy_keyword(copy)  # user code: what NumPy does with PyTorch's signature
        a = self.numpy()
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __float__(self) -> float:
        if self._rg and _GRAD.enabled:  # float(loss) for logging: PyTorch's once-per-process
            from ._config import warn_once  # nudge (with grad mode on, as there)

            warn_once("Converting a tensor with requires_grad=True to a scalar may lead to "
                      "unexpected behavior.\nConsider using tensor.detach() first.")
        if self._vmap_depth:
            from .func import _item_in_vmap
            _item_in_vmap()
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def _scalar(self, kind: str):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.item() if self._data.ndim == 0 else self._data.reshape(()).item()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no values' if self._data.size == 0 else 'more than one value'} is ambiguous"
            )
        return bool(self._data.reshape(()).item()) if self._data.ndim else bool(self._data)
