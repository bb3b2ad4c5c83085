"""Sparse COO tensors, as far as graph programs use them (pygcn's adjacency, pyGAT's
SpecialSpmmFunction): ``torch.sparse_coo_tensor`` / ``torch.sparse.FloatTensor`` build one,
it prints as PyTorch's, answers ``_indices()``/``_values()``/``indices()``/``values()``/
``_nnz()``/``is_coalesced()``/``coalesce()``/``to_dense()``/``t()``, multiplies dense
matrices (``torch.spmm``, ``torch.mm``, ``matmul``, ``@``), scales by a number (``*``, ``/``,
``torch.mul``/``div``: still COO) and sums (``.sum()``, ``torch.sparse.sum``).

NumPy has no sparse arrays, so a ``SparseCooTensor`` is an ember Tensor whose array is the
dense matrix the COO triple stands for (repeated coordinates summed, as PyTorch's to_dense
and products do), with the triple kept beside it: products with dense tensors are the dense
products, which is what PyTorch computes. Values that require grad while grad mode is on are
refused (ember tracks no gradient into a sparse tensor); inside a custom Function's forward,
where grad mode is off, they are accepted as PyTorch accepts them.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as D
from ._tensor_str import _body_str, _close, _default_dtype_name
from .tensor import Tensor

_ONCE = {"invariants": False, "legacy": False}

_INVARIANTS = (
    "Sparse invariant checks are implicitly disabled. Memory errors (e.g. SEGFAULT) will occur "
    "when operating on a sparse tensor which violates the invariants, but checks incur "
    "performance overhead. To silence this warning, explicitly opt in or out. See "
    "`torch.sparse.check_sparse_tensor_invariants.__doc__` for guidance. ")
_LEGACY = ("torch.sparse.SparseTensor(indices, values, shape, *, device=) is deprecated.  "
           "Please use torch.sparse_coo_tensor(indices, values, shape, dtype=, device=).")


def _warn_once(key: str, message: str) -> None:
    """PyTorch's TORCH_WARN_ONCE: the first call in the process warns."""
    if not _ONCE[key]:
        _ONCE[key] = True
        from ._warn import warn

        warn(message)


def _as_tensor(x, dtype=None):
    import importlib

    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else x.to(dtype)
    return importlib.import_module(__package__).as_tensor(x, dtype=dtype)


class SparseCooTensor(Tensor):
    """A COO tensor: ``_sp_indices`` (int64, sparse_dim x nnz), ``_sp_values`` (nnz), and
    ``_data``, the dense array they stand for."""

    is_sparse = True
    _sp_coalesced = False

    @property
    def layout(self):
        from ._memory_format import sparse_coo

        return sparse_coo

    def _nnz(self) -> int:
        return int(self._sp_values.shape[0])

    def sparse_dim(self) -> int:
        return int(self._sp_indices.shape[0])

    def dense_dim(self) -> int:
        return self.dim() - self.sparse_dim()

    def _indices(self):
        return self._sp_indices

    def _values(self):
        return self._sp_values

    def indices(self):
        if not self._sp_coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._sp_indices

    def values(self):
        if not self._sp_coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._sp_values

    def is_coalesced(self) -> bool:
        return self._sp_coalesced

    def coalesce(self):
        """Coordinates sorted (row-major) and repeats summed, as PyTorch's coalesce."""
        if self._sp_coalesced:
            return self
        idx = self._sp_indices._data
        shape = self.shape[:idx.shape[0]]
        flat = np.ravel_multi_index(tuple(idx), shape) if idx.shape[1] else idx[0]
        keys, inverse = np.unique(flat, return_inverse=True)
        vals = self._sp_values._data
        summed = np.zeros((keys.shape[0],) + vals.shape[1:], dtype=vals.dtype)
        np.add.at(summed, inverse.reshape(-1), vals)
        new_idx = np.stack(np.unravel_index(keys, shape)).astype(np.int64).reshape(
            idx.shape[0], -1)
        return _build(Tensor._make(new_idx, False, None), Tensor._make(summed, False, None),
                      tuple(self.shape), coalesced=True)

    def to_dense(self, dtype=None, *, masked_grad=None):
        out = Tensor._make(self._data.copy(), False, None)
        return out if dtype is None else out.to(dtype)

    def t(self):
        if self.sparse_dim() != 2 or self.dense_dim() != 0:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, "
                               f"but self is {self.sparse_dim()} sparse and {self.dense_dim()} "
                               "dense")
        idx = self._sp_indices._data[::-1].copy()
        return _build(Tensor._make(idx, False, None), self._sp_values,
                      tuple(self.shape)[::-1], coalesced=False)

    def mm(self, mat2):
        return mm(self, mat2)

    def mul(self, other):
        """By a number: the values scaled, the indices kept (as PyTorch's sparse mul);
        by a tensor, the dense product."""
        if isinstance(other, (bool, int, float)):
            from .ops.arithmetic import mul as dense_mul

            return _build(self._sp_indices, dense_mul(self._sp_values, other),
                          tuple(self.shape), self._sp_coalesced)
        return Tensor.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        """By a number: the values divided, the indices kept (integers become floats)."""
        if rounding_mode is None and isinstance(other, (bool, int, float)):
            from .ops.arithmetic import div as dense_div

            return _build(self._sp_indices, dense_div(self._sp_values, other),
                          tuple(self.shape), self._sp_coalesced)
        return Tensor.div(self, other, rounding_mode=rounding_mode)

    def __mul__(self, other):
        return self.mul(other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self.div(other)

    def sum(self, dim=None, keepdim=False, dtype=None):
        """``torch.sparse.sum``'s result (a 0-d dense tensor over every dim, else COO)."""
        if keepdim:
            return Tensor.sum(self, dim, keepdim, dtype=dtype)
        from ._sparse_reduce import sparse_sum

        return sparse_sum(self, dim, dtype)

    matmul = __matmul__ = mm

    def __repr__(self, *, tensor_contents=None):
        dtype_name = str(self.dtype).split(".")[-1]
        sufs = [f"size={tuple(self.shape)}", f"nnz={self._nnz()}"]
        if dtype_name not in (_default_dtype_name(), "int64", "bool"):
            sufs.append(f"dtype=torch.{dtype_name}")
        sufs.append("layout=torch.sparse_coo")
        if self.requires_grad:
            sufs.append("requires_grad=True")
        idx, vals = self._sp_indices._data, self._sp_values._data
        idx_str = _body_str(idx, 22, False) if idx.size else f"[], size={idx.shape}"
        val_str = _body_str(vals, 21, np.issubdtype(vals.dtype, np.inexact)) \
            if vals.size else f"[], size={vals.shape}"
        text = ("tensor(indices=tensor(" + idx_str + "),\n       values=tensor(" + val_str
                + "),\n       " + sufs[0])
        return _close(text, sufs[1:], 7)

    __str__ = __repr__


def mm(sparse: SparseCooTensor, dense):
    """sparse @ dense: the dense product (PyTorch's addmm kernel and its shape check)."""
    from . import matmul

    if isinstance(dense, Tensor) and dense.dim() in (1, 2) and sparse.dim() == 2 \
            and dense.shape[0] != sparse.shape[1]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {sparse.shape[1]}, "
                           f"got {dense.shape[0]}")
    return matmul(Tensor._make(sparse._data, False, None), dense)


def _build(indices: Tensor, values: Tensor, size: tuple, coalesced: bool,
           requires_grad: bool = False) -> SparseCooTensor:
    vals = values._data
    dense = np.zeros(size, dtype=np.asarray(vals).dtype)
    if indices._data.shape[1]:
        np.add.at(dense, tuple(indices._data), vals)
    t = Tensor._make(dense, requires_grad, None)
    t.__class__ = SparseCooTensor
    t._sp_indices, t._sp_values, t._sp_coalesced = indices, values, coalesced
    return t


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None,
                      pin_memory=False, requires_grad=False, check_invariants=None,
                      is_coalesced=None, _legacy=False):
    """``torch.sparse_coo_tensor(indices, values, size)``: a COO tensor (see the module)."""
    from .autograd.grad_mode import is_grad_enabled

    if type(requires_grad) is not bool:
        from ._rg_arg import rg_overloads

        rg_overloads("sparse_coo_tensor", requires_grad, False)
    if not _legacy and check_invariants is None:
        _warn_once("invariants", _INVARIANTS)
    indices = _as_tensor(indices, D.int64)  # (PyTorch converts float indices too)
    values = _as_tensor(values, dtype)
    sparse_dim, dense_dim = indices.shape[0], values.dim() - 1
    if size is not None and len(size) != sparse_dim + dense_dim:
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) "
                           f"= {len(size)}, sparse_dim = {sparse_dim}, dense_dim = {dense_dim}")
    if indices.dim() != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(indices.shape)}")
    if values.dim() == 0:
        raise RuntimeError("values must be at least one-dimensional")
    if values.requires_grad and is_grad_enabled():
        raise NotImplementedError("sparse_coo_tensor: ember tracks no gradient into a sparse "
                                  "tensor's values; build the dense matrix with index_put_ "
                                  "(accumulate=True) instead")
    idx = indices._data
    nnz = idx.shape[1]
    if values.shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{nnz}, nnz from values: {values.shape[0]}")
    if size is None:
        size = tuple(int(m) + 1 for m in idx.max(axis=1)) if nnz else (0,) * idx.shape[0]
        size = size + tuple(values.shape[1:])
    size = tuple(int(s) for s in size)
    # PyTorch leaves these unchecked unless asked (check_invariants=True gives this message);
    # a dense array cannot hold an index past the size, so it is refused here either way
    for d in range(idx.shape[0]):
        if nnz and (idx[d].max() >= size[d] or idx[d].min() < 0):
            bad = idx[d].max() if idx[d].max() >= size[d] else idx[d].min()
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is "
                               f"{size[d]} but found index {bad}")
    return _build(indices, values, size, bool(is_coalesced) or nnz <= 1,
                  requires_grad=requires_grad)


def legacy_float_tensor(*args, device=None):
    """``torch.sparse.FloatTensor(indices, values, size)`` (deprecated; warns once)."""
    if len(args) != 3:
        raise TypeError("torch.sparse.FloatTensor: ember supports only the "
                        "(indices, values, size) form")
    _warn_once("legacy", _LEGACY)
    indices, values, size = args
    return sparse_coo_tensor(indices, values, size, _legacy=True)  # (keeps values' dtype)


def from_dense(t: Tensor, args: tuple, kwargs: dict):
    """``t.to_sparse()`` / ``t.to_sparse_coo()``: every dim sparse, coalesced (the nonzero
    entries' coordinates in row-major order, as PyTorch lists them); None for what ember does
    not make (a hybrid ``sparse_dim``, another layout, a 0-d tensor, a tensor that requires
    grad under grad mode: PyTorch records ToSparseBackward1 there)."""
    from ._memory_format import sparse_coo
    from .autograd.grad_mode import is_grad_enabled

    if isinstance(t, SparseCooTensor):
        return t
    a = t._data
    given = dict(kwargs)
    if args:
        given["sparse_dim"] = args[0]
    if a.ndim == 0 or len(args) > 1 or set(given) - {"sparse_dim", "layout"} \
            or given.get("sparse_dim") not in (None, a.ndim) \
            or given.get("layout") not in (None, sparse_coo) \
            or t.requires_grad and is_grad_enabled():
        return None
    where = np.nonzero(a)
    indices = Tensor._make(np.stack(where).astype(np.int64), False, None)
    values = Tensor._make(a[where], False, None)
    return _build(indices, values, a.shape, True)
