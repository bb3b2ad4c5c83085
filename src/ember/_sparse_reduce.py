"""``torch.sparse.sum`` and ``torch.sparse.softmax`` / ``log_softmax`` of a COO tensor
(``_sparse_coo.SparseCooTensor``), as graph code uses them: the degrees of an adjacency
(``torch.sparse.sum(adj, dim=1).to_dense()``) and attention normalised over a row's stored
entries. Both work on the coalesced (indices, values) pair, as PyTorch's kernels do.

sum: the dims summed over may be sparse or dense ones. Summing every dim gives a 0-d dense
tensor; summing every sparse dim of a hybrid tensor gives a dense tensor of the dense dims;
otherwise the result is a coalesced COO tensor of the dims kept (entries whose kept sparse
coordinates agree added together), ``dim=()`` a coalesced copy.

softmax over a sparse dim d: the stored entries that agree on every other sparse coordinate
form one group and softmax(v)_i = exp(v_i - m) / sum_group exp(v_j - m), m the group's max
(absent entries count as -inf, so they take no share); over a dense dim, the plain softmax of
the values along it. log_softmax is v_i - m - log(sum_group exp(v_j - m)). The result keeps
the coalesced indices. Gradients: ember keeps none through COO values (see _sparse_coo).
"""

from __future__ import annotations

import numpy as np

from . import dtypes as D
from .tensor import Tensor


def _dims(dim, ndim: int) -> list:
    """``dim`` (None, an int, a sequence, a 0-d tensor) as sorted non-negative dims, with
    PyTorch's errors for one out of range or given twice (ops._util.dims, in order)."""
    from .ops._util import dims

    if dim is None:
        return list(range(ndim))
    if isinstance(dim, Tensor):
        dim = dim.tolist()
    return sorted(dims(dim, ndim, in_order=True))


def _values(t, dtype):
    c = t.coalesce()
    vals = c._sp_values._data
    if dtype is not None:
        vals = vals.astype(D.to_np(dtype))
    return c._sp_indices._data, vals


def _coo(indices: np.ndarray, values: np.ndarray, size: tuple, coalesced: bool):
    from ._sparse_coo import _build

    return _build(Tensor._make(np.ascontiguousarray(indices, dtype=np.int64), False, None),
                  Tensor._make(np.ascontiguousarray(values), False, None), size, coalesced)


def sparse_sum(t, dim=None, dtype=None):
    """``torch.sparse.sum(t, dim, dtype)`` of a COO tensor (see the module docstring)."""
    from . import sum as dense_sum

    ndim, sdim = t.dim(), t.sparse_dim()
    dims = _dims(dim, ndim) if dim is None or dim != () else []
    idx, vals = _values(t, dtype)
    if len(dims) == ndim:  # PyTorch sums in the values' dtype, ints as int64
        return dense_sum(Tensor._make(vals, False, None))
    dense_axes = tuple(1 + d - sdim for d in dims if d >= sdim)
    if dense_axes:
        vals = vals.sum(axis=dense_axes, dtype=vals.dtype if vals.dtype.kind == "f" else None)
    kept = [d for d in range(sdim) if d not in dims]
    if not kept:  # every sparse dim summed: a dense tensor of the dense dims
        return dense_sum(Tensor._make(vals, False, None), 0)
    size = tuple(t.shape[d] for d in kept) + tuple(
        t.shape[d] for d in range(sdim, ndim) if d not in dims)
    return _coo(idx[kept], vals, size, coalesced=not dims).coalesce()


def _check_softmax(t, dim, dtype, name: str):
    if not getattr(t, "is_sparse", False):
        raise NotImplementedError(
            f"Could not run 'aten::_sparse_{name}' with arguments from the 'CPU' backend. This "
            "could be because the operator doesn't exist for this backend, or was omitted "
            "during the selective/custom build process (if using custom build). If you are a "
            "Facebook employee using PyTorch on mobile, please visit "
            "https://fburl.com/ptmfixes for possible resolutions. "
            f"'aten::_sparse_{name}' is only available for these backends: [Meta, SparseCPU, "
            "BackendSelect, Python, FuncTorchDynamicLayerBackMode, Functionalize, Conjugate, "
            "Negative, ZeroTensor, ADInplaceOrView, AutogradOther, AutogradCPU, AutogradCUDA, "
            "AutogradHIP, AutogradXLA, AutogradMPS, AutogradIPU, AutogradXPU, AutogradHPU, "
            "AutogradVE, AutogradLazy, AutogradMTIA, AutogradMAIA, AutogradPrivateUse1, "
            "AutogradPrivateUse2, AutogradPrivateUse3, AutogradMeta, AutogradNestedTensor, "
            "Tracer, AutocastCPU, AutocastMTIA, AutocastMAIA, AutocastXPU, AutocastMPS, "
            "AutocastCUDA, FuncTorchBatched, BatchedNestedTensor, FuncTorchVmapMode, Batched, "
            "VmapMode, FuncTorchGradWrapper, PythonTLSSnapshot, FuncTorchDynamicLayerFrontMode, "
            "PreDispatch, PythonDispatcher].")
    d = _dims(dim, t.dim())[0]
    idx, vals = _values(t, dtype)
    if vals.dtype.kind not in "f":
        dname = str(D.from_numpy_dtype(vals.dtype)).split(".")[-1]
        raise NotImplementedError(f"\"{name}\" not implemented for '{D._c10_name(dname)}'")
    return d, idx, vals


def _softmax(t, dim, dtype, log: bool):
    name = "log_softmax" if log else "softmax"
    d, idx, vals = _check_softmax(t, dim, dtype, name)
    sdim = t.sparse_dim()
    if d >= sdim:  # a dense dim: the values' own softmax along it
        axis = 1 + d - sdim
        m = vals.max(axis=axis, keepdims=True) if vals.size else vals
        e = np.exp(vals - m)
        s = e.sum(axis=axis, keepdims=True)
        out = (vals - m - np.log(s)) if log else e / s
    else:
        others = [k for k in range(sdim) if k != d]
        if others and idx.shape[1]:
            key = np.ravel_multi_index(tuple(idx[others]), tuple(t.shape[k] for k in others))
        else:
            key = np.zeros(idx.shape[1], dtype=np.int64)
        groups, inv = np.unique(key, return_inverse=True)
        inv = inv.reshape(-1)
        m = np.full((groups.shape[0],) + vals.shape[1:], -np.inf, dtype=vals.dtype)
        np.maximum.at(m, inv, vals)
        e = np.exp(vals - m[inv])
        s = np.zeros_like(m)
        np.add.at(s, inv, e)
        out = (vals - m[inv] - np.log(s[inv])) if log else e / s[inv]
    return _coo(idx, out.astype(vals.dtype, copy=False), tuple(t.shape), coalesced=True)


def softmax(input, dim, *, dtype=None):
    """``torch.sparse.softmax(input, dim, dtype=None)`` of a COO tensor (module docstring)."""
    return _softmax(input, dim, dtype, log=False)


def log_softmax(input, dim, *, dtype=None):
    """``torch.sparse.log_softmax(input, dim, dtype=None)`` of a COO tensor."""
    return _softmax(input, dim, dtype, log=True)
