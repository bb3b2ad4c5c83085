"""Session 21: graph neural networks from scratch as users copy them: tkipf/pygcn (GCN over a
sparse COO adjacency built by torch.sparse.FloatTensor, torch.spmm) and Diego999/pyGAT (dense
GAT with masked softmax, SpGAT with the SpecialSpmmFunction custom autograd.Function over
torch.sparse_coo_tensor), in tests/s21_gnn_progs*.py, on a seeded 12-node random graph. Each
runs on ember and on torch 2.13 and is compared live: printed lines (losses and accuracies
with 4 decimals, sparse reprs, warnings) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s21_gnn_progs as A
import s21_gnn_progs_b as B
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.pygcn, A.pygcn_legacy_sparsemm, B.gat, B.spgat, B.special_spmm]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
