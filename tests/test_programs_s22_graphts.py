"""Session 22: graph and spatio-temporal models as users type them: WangYueFt/dgcnn (knn by
topk of pairwise distances, get_graph_feature, DGCNN, PointNet, cal_loss with label smoothing,
main.py's loop), nnzhan/Graph-WaveNet (nconv by einsum, gcn over supports and the adaptive
adjacency, gated dilated TCN, skip connections, masked metrics, StandardScaler, sym_adj /
asym_adj, the torch.svd aptinit path) and FelixOpolka/STGCN-PyTorch (TimeBlock, STGCNBlock,
the normalized adjacency, main.py's loop), in tests/s22_graphts_progs*.py. Each runs on ember
and on torch 2.13 and is compared live: printed lines exactly, values to rtol 1e-5 / atol 1e-6.
Plus the one gap they found: conv with a higher-rank weight than its input's named the
unbatched input as given, where PyTorch names it batched by one."""

import pytest
import s22_graphts_progs as A
import s22_graphts_progs_b as B
import s22_graphts_progs_c as C
from torch_compare import check_program, same_error_case, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.dgcnn_pieces, A.dgcnn_train, A.pointnet_train, B.gwnet_pieces,
         B.gwnet_doubletransition, B.gwnet_aptonly, B.gwnet_no_gcn, C.stgcn_main]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


@pytest.mark.parametrize("case", [
    lambda L: L.nn.functional.conv1d(L.randn(4, 7), L.randn(6, 4, 1, 2)),
    lambda L: L.nn.functional.conv1d(L.randn(2, 4, 7), L.randn(6, 4, 1, 2)),
    lambda L: L.nn.functional.conv1d(L.randn(4, 7), L.randn(6, 4, 1, 1, 2)),
    lambda L: L.nn.functional.conv_transpose1d(L.randn(4, 7), L.randn(4, 6, 1, 2)),
    lambda L: L.nn.Conv1d(4, 6, kernel_size=(1, 2))(L.randn(4, 7)),
    lambda L: L.nn.Conv1d(4, 6, kernel_size=(1, 2), dilation=2)(L.randn(2, 4, 3, 7)),
])
def test_conv_weight_rank_above_unbatched_input(case):
    """A Conv1d built with a (1, k) kernel (Graph-WaveNet's gate_convs) given an unbatched
    input: PyTorch batches it before the rank check and names it [1, C, L]."""
    same_error_case(case)
