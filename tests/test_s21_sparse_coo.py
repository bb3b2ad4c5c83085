"""Sparse COO tensors as graph programs use them (tkipf/pygcn, Diego999/pyGAT):
torch.sparse_coo_tensor / torch.sparse.FloatTensor, their repr, _indices/_values/indices/
values/_nnz/is_coalesced/coalesce/to_dense/t, products with dense matrices (torch.spmm,
torch.sparse.mm, Tensor.mm/matmul/@) with their gradient into the dense side, the
once-per-process warnings and PyTorch's errors; each compared live with torch 2.13."""

import os
import subprocess
import sys
import warnings

import pytest
from torch_compare import same, same_error_case

I = [[0, 1, 1, 0], [2, 0, 2, 2]]  # (0, 2) repeated: uncoalesced


def _a(L, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return L.sparse_coo_tensor(L.tensor(I), L.tensor([1., 2, 3, 4]), (2, 3), **kw)


CASES = {
    "repr": lambda L: repr(_a(L)),
    "repr_grad": lambda L: repr(_a(L, requires_grad=True)),
    "repr_f64_inferred_size": lambda L: repr(L.sparse_coo_tensor(
        L.tensor(I), L.tensor([1., 2, 3, 4], dtype=L.float64))),
    "repr_int_values": lambda L: repr(L.sparse_coo_tensor(L.tensor(I), L.tensor([1, 2, 3, 4]),
                                                          (2, 3))),
    "repr_hybrid": lambda L: repr(L.sparse_coo_tensor(L.tensor([[0, 1]]),
                                                      L.tensor([[1., 2], [3, 4]]), (2, 2))),
    "repr_empty": lambda L: repr(L.sparse_coo_tensor(L.zeros(2, 0, dtype=L.long), L.zeros(0),
                                                     (2, 3))),
    "float_indices": lambda L: repr(L.sparse_coo_tensor(L.tensor([[0., 1]]), L.tensor([1., 2]),
                                                        (2,))),
    "lists": lambda L: repr(L.sparse_coo_tensor(I, [1., 2, 3, 4], (2, 3)).to_dense()),
    "coalesce": lambda L: repr(_a(L).coalesce()),
    "coalesced_values": lambda L: (_a(L).coalesce().indices().tolist(),
                                   _a(L).coalesce().values().tolist()),
    "is_coalesced": lambda L: (_a(L).is_coalesced(), _a(L).coalesce().is_coalesced(),
                               _a(L).t().is_coalesced(), L.sparse_coo_tensor(
                                   L.tensor([[0], [1]]), L.tensor([1.]), (2, 3)).is_coalesced()),
    "meta": lambda L: (_a(L).is_sparse, str(_a(L).layout), str(_a(L).dtype), tuple(_a(L).shape),
                       _a(L)._nnz(), _a(L)._indices().tolist(), _a(L)._values().tolist()),
    "to_dense": lambda L: repr(_a(L).to_dense()),
    "t": lambda L: repr(_a(L).t()),
    "spmm": lambda L: repr(L.spmm(_a(L), L.ones(3, 2))),
    "sparse_mm": lambda L: repr(L.sparse.mm(_a(L), L.arange(6.).view(3, 2))),
    "matmul_ops": lambda L: (repr(_a(L) @ L.ones(3, 2)), repr(_a(L).matmul(L.ones(3))),
                             repr(_a(L).mm(L.ones(3, 1)))),
    "legacy_float_tensor": lambda L: repr(L.sparse.FloatTensor(
        L.tensor(I), L.tensor([1., 2, 3, 4], dtype=L.float64), L.Size([2, 3]))),
}


@pytest.mark.parametrize("name", CASES)
def test_sparse_coo_like_pytorch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(CASES[name])


def test_spmm_gradient_reaches_the_dense_side():
    def run(L):
        x = L.arange(6.).view(3, 2).requires_grad_()
        y = L.spmm(_a(L), x) + L.sparse.mm(_a(L), x) + _a(L) @ x
        (y * L.tensor([[1., 2], [3, 4]])).sum().backward()
        return repr(y), repr(x.grad)
    same(run)


ERRORS = {
    "nnz_mismatch": lambda L: L.sparse_coo_tensor(L.tensor(I), L.tensor([1., 2, 3]), (2, 3)),
    "1d_indices": lambda L: L.sparse_coo_tensor(L.tensor([0, 1]), L.tensor([1., 2]), (2,)),
    "size_too_long": lambda L: L.sparse_coo_tensor(L.tensor(I), L.tensor([1., 2, 3, 4]),
                                                   (2, 3, 4)),
    "uncoalesced_indices": lambda L: _a(L).indices(),
    "uncoalesced_values": lambda L: _a(L).values(),
    "spmm_shapes": lambda L: L.spmm(_a(L), L.ones(2, 2)),
    "sparse_mm_shapes": lambda L: L.sparse.mm(_a(L), L.ones(4, 2)),
    "matmul_shapes": lambda L: _a(L).matmul(L.ones(2, 2)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_sparse_coo_errors_like_pytorch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error_case(ERRORS[name])


_WARN_SCRIPT = """
import sys, warnings
warnings.simplefilter("always")
L = __import__(sys.argv[1])
seen = []
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    for _ in range(2):
        i, v = L.tensor([[0, 1], [1, 0]]), L.tensor([1., 2.])
        L.sparse.FloatTensor(i, v, L.Size([2, 2]))
        seen.append(len(w))
        L.sparse_coo_tensor(i, v, (2, 2), check_invariants=False)
        seen.append(len(w))
        L.sparse_coo_tensor(i, v, (2, 2))
        seen.append(len(w))
print(seen)
for x in w:
    print(x.category.__name__, str(x.message).split(" (Triggered internally")[0])
"""


def test_sparse_warnings_once_per_process_like_pytorch():
    """The legacy constructor's deprecation and sparse_coo_tensor's invariant-check notice
    are TORCH_WARN_ONCE: a fresh process of each library, the same warnings at the same calls."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = [subprocess.run([sys.executable, "-c", _WARN_SCRIPT, lib], capture_output=True,
                          text=True, env=env, check=True).stdout for lib in ("torch", "ember")]
    assert out[1] == out[0]
