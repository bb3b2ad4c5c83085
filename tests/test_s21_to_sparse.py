"""``Tensor.to_sparse()`` / ``to_sparse_coo()`` of a dense tensor: the COO form PyTorch
makes (every dim sparse, coalesced, nonzero coordinates in row-major order), printed and
multiplied as PyTorch's; against PyTorch 2.13 live. (Hybrid ``sparse_dim``, 0-d tensors and
other layouts are still refused: README, Differences.)"""

import warnings

import pytest

from torch_compare import run_both

CASES = ["x.to_sparse()", "x.to_sparse().is_coalesced()", "L.tensor([[0, 1], [2, 0]]).to_sparse()",
         "L.zeros(2, 3).to_sparse()", "L.tensor([1., 0, 2]).to_sparse()", "x.to_sparse_coo()",
         "x.to_sparse(2)", "x.to_sparse(layout=L.sparse_coo)", "x.to_sparse().to_dense()",
         "x.to_sparse() @ L.ones(2, 1)", "L.spmm(x.to_sparse(), L.eye(2))",
         "x.to_sparse()._nnz()", "x.to_sparse().to_sparse()._nnz()",
         "L.ones(2, 2, 2).to_sparse()._indices().shape", "x.to_sparse()._values()",
         "L.tensor([[0., -0.5], [0., 0.]], dtype=L.float64).to_sparse()"]


@pytest.mark.parametrize("case", CASES)
def test_to_sparse(case):
    fn = eval(f"lambda L, x: {case}")

    def run(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return str(fn(L, L.tensor([[0., 2.], [3., 0.]])))
    want, got = run_both(run)
    assert got == want
