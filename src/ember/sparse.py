"""``torch.sparse`` and the sparse constructors, for a library without sparse tensors.

NumPy, which holds ember's tensors, has no sparse arrays. COO tensors (``sparse_coo_tensor``,
the legacy ``torch.sparse.FloatTensor``) are dense-backed, see ``ember._sparse_coo``; what
PyTorch also runs on dense tensors runs here (``torch.sparse.mm``/``addmm`` and
``torch.spmm`` of two dense matrices are plain products); building any other sparse layout
raises NotImplementedError in PyTorch's words for a backend without the operator, with the dense
spelling of the same computation as a hint. Loaded on first use (``torch.sparse`` or one of
the names below), so ``import ember`` pays nothing for it.
"""

from __future__ import annotations

_HINT = (
    "Hint: use a dense matrix instead: torch.zeros(n, m).index_put_((row, col), values, "
    "accumulate=True) equals torch.sparse_coo_tensor(torch.stack([row, col]), values, "
    "(n, m)).to_dense(), and A @ x then equals torch.sparse.mm(A, x); to aggregate messages "
    "along edges, out.index_add_(0, dst, messages) needs no matrix at all.")


def _no_sparse(op: str) -> NotImplementedError:
    return NotImplementedError(f"Could not run 'aten::{op}' with arguments from the "
                               "'SparseCPU' backend: ember has only COO tensors with every dim "
                               f"sparse (sparse_coo_tensor, to_sparse()).\n{_HINT}")


def _constructor(name: str, op: str):
    def make(*args, **kwargs):
        raise _no_sparse(op)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"``torch.{name}``: refused (ember has COO sparse tensors only)."
    return make


sparse_compressed_tensor = _constructor("sparse_compressed_tensor",
                                        "_sparse_compressed_tensor_unsafe")
sparse_csr_tensor = _constructor("sparse_csr_tensor", "sparse_csr_tensor")
sparse_csc_tensor = _constructor("sparse_csc_tensor", "sparse_csc_tensor")
sparse_bsr_tensor = _constructor("sparse_bsr_tensor", "sparse_bsr_tensor")
sparse_bsc_tensor = _constructor("sparse_bsc_tensor", "sparse_bsc_tensor")


def _to_sparse_method(name: str):
    def method(self, *args, **kwargs):
        if name in ("to_sparse", "to_sparse_coo"):  # the plain COO form (_sparse_coo.py)
            from ._sparse_coo import from_dense

            out = from_dense(self, args, kwargs)
            if out is not None:
                return out
        raise _no_sparse(name if name == "to_sparse" else "_" + name)

    method.__name__ = method.__qualname__ = name
    return method


def _sparse_only(name: str, layout: str):
    def method(self):
        raise RuntimeError(f"{name} expected {layout} layout but got Strided")

    method.__name__ = method.__qualname__ = name
    return method


# Tensor methods (bound with _methods_extra's group)
METHODS = {name: _to_sparse_method(name)
           for name in ("to_sparse", "to_sparse_coo", "to_sparse_csr", "to_sparse_csc",
                        "to_sparse_bsr", "to_sparse_bsc")}
METHODS.update({name: _sparse_only(name, layout) for name, layout in (
    ("indices", "sparse coordinate tensor"), ("values", "sparse tensor"),
    ("coalesce", "sparse coordinate tensor"), ("is_coalesced", "sparse coordinate tensor"))})


def mm(mat1, mat2, reduce="sum"):
    """``torch.sparse.mm``: a COO matrix times a dense one, or ``torch.mm`` of two dense."""
    from . import mm as dense_mm

    if getattr(mat1, "is_sparse", False):
        from ._sparse_coo import mm as sparse_mm

        return sparse_mm(mat1, mat2)

    return dense_mm(mat1, mat2)


def addmm(mat, mat1, mat2, beta=1.0, alpha=1.0):
    """``torch.sparse.addmm`` of dense matrices: ``torch.addmm``'s result, as in PyTorch."""
    from . import addmm as dense_addmm

    return dense_addmm(mat, mat1, mat2, beta=beta, alpha=alpha)


def spmm(input, mat2):
    """``torch.spmm``: a COO matrix times a dense one, or ``torch.mm`` of two dense."""
    return mm(input, mat2)


def sum(input, dim=None, dtype=None):  # noqa: A001 - PyTorch's name
    """``torch.sparse.sum``: of a COO tensor, its sum (``_sparse_reduce``); of a dense tensor,
    PyTorch's refusal (it coalesces)."""
    if getattr(input, "is_sparse", False):
        from ._sparse_reduce import sparse_sum

        return sparse_sum(input, dim, dtype)
    if dim is None:
        raise RuntimeError("coalesce expected sparse coordinate tensor layout but got Strided")
    raise _no_sparse("_indices")


def softmax(input, dim, *, dtype=None):
    """``torch.sparse.softmax`` of a COO tensor over its stored entries (_sparse_reduce)."""
    from ._sparse_reduce import softmax as sparse_softmax

    return sparse_softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """``torch.sparse.log_softmax`` of a COO tensor over its stored entries."""
    from ._sparse_reduce import log_softmax as sparse_log_softmax

    return sparse_log_softmax(input, dim, dtype=dtype)


def __getattr__(name):
    if name in ("sparse_coo_tensor", "FloatTensor"):
        # COO tensors live in _sparse_coo (loaded here, on first use)
        from . import _sparse_coo

        return {"sparse_coo_tensor": _sparse_coo.sparse_coo_tensor,
                "FloatTensor": _sparse_coo.legacy_float_tensor}[name]
    if name == "torch":
        # PyTorch's torch/sparse/__init__.py imports torch, so ``torch.sparse.torch`` is the
        # package itself; programs reach torch.eye through it (torch.sparse.torch.eye(10)).
        import importlib

        return importlib.import_module(__package__)
    if name.startswith("__"):
        raise AttributeError(f"module 'ember.sparse' has no attribute '{name}'")
    raise AttributeError(f"module 'ember.sparse' has no attribute '{name}' (ember has COO "
                         "tensors only: torch.sparse.mm, addmm, sum, softmax and log_softmax)")
