"""Session 21: equivariant and message-passing graph networks as users copy them:
vgsatorras/egnn (models/egnn_clean/egnn_clean.py, models/gcl.py's GCL / GCL_rf / E_GCL /
E_GCL_vel / GCL_rf_vel, n_body_system/model.py with main_nbody.py's train(), qm9/models.py's
E_GCL_mask and EGNN head with qm9/data/collate.py and main_qm9.py's train(), models/ae.py with
main_ae.py), e3_diffusion_for_molecules' egnn/egnn_new.py and EGNN_dynamics_QM9, and
hand-written GIN / GCN / GAT layers without torch_geometric, in tests/s21_egnn_progs*.py. Each
runs on ember and on torch 2.13 and is compared live: printed lines (model reprs, losses with 4
decimals, equivariance checks, gradient norms, dtypes, shapes, warnings, errors) exactly,
values to rtol 1e-5 / atol 1e-6. Then the fixes they needed: batches of transposed samples
contiguous, an Ellipsis beside an index tensor on a strided input, torch.sparse.sum /
softmax / log_softmax and scaling of COO tensors."""

import numpy as np
import pytest
import s21_egnn_progs as A
import s21_egnn_progs_b as B
import s21_egnn_progs_c as C
import s21_egnn_progs_d as D
import s21_egnn_progs_f as F
import s21_egnn_progs_g as G
import s21_egnn_progs_i as I
from torch_compare import check_program, same, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.egnn_clean_main, A.egnn_clean_variants, B.gcl_layers, C.nbody_gnn, C.nbody_egnn,
         C.nbody_egnn_vel, C.nbody_rf_vel, C.nbody_linear_vel, D.qm9, F.gnn_layers, F.gat,
         G.ae, G.ae_rf, G.ae_egnn, I.dynamics]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


@pytest.mark.parametrize("kind", ["dataset", "tensor_dataset", "subset", "workers", "numpy",
                                  "default_collate", "stack", "images"])
def test_batch_of_transposed_samples_is_contiguous(kind):
    """NBodyDataset keeps ``torch.Tensor(loc).transpose(2, 3)`` and returns ``loc[i][frame]``
    samples; main_nbody.py then calls ``d.view(-1, d.size(2))`` on the collated batch. PyTorch's
    batch (torch.stack, or the batch gathered from a TensorDataset) is contiguous whatever the
    samples' strides; ember's np.stack / fancy index kept the transposed layout and view raised
    "view size is not compatible with input tensor's size and stride"."""
    def prog(L):
        a = np.random.default_rng(0).standard_normal((6, 3, 5)).astype(np.float32)
        t = L.from_numpy(a).transpose(1, 2)
        data = L.utils.data
        if kind == "dataset":
            b = next(iter(data.DataLoader([t[i] for i in range(6)], batch_size=4, shuffle=True,
                                          generator=L.Generator().manual_seed(3))))
        elif kind == "tensor_dataset":
            b = next(iter(data.DataLoader(data.TensorDataset(t, t + 1), batch_size=4)))[0]
        elif kind == "subset":
            ds = data.Subset(data.TensorDataset(t), [5, 0, 3, 2])
            b = next(iter(data.DataLoader(ds, batch_size=3)))[0]
        elif kind == "workers":
            b = next(iter(data.DataLoader(data.TensorDataset(t), batch_size=4, num_workers=2)))[0]
        elif kind == "numpy":
            b = next(iter(data.DataLoader([a[i].T for i in range(6)], batch_size=4)))
        elif kind == "images":  # HWC arrays permuted to CHW, the usual image pipeline
            imgs = L.from_numpy(np.random.default_rng(1).random((6, 4, 5, 3), dtype=np.float32))
            ds = data.TensorDataset(imgs.permute(0, 3, 1, 2))
            b = next(iter(data.DataLoader(ds, batch_size=3)))[0]
            return b.is_contiguous(), b.stride(), b.reshape(-1).tolist()
        elif kind == "default_collate":
            b = data.default_collate([(t[i], i) for i in range(3)])[0]
        else:
            b = L.stack([t[i] for i in range(3)], 0)
        return b.is_contiguous(), b.stride(), b.view(-1, 3).tolist()
    same(prog)


@pytest.mark.parametrize("k", range(6))
def test_index_with_ellipsis_and_index_tensor_on_strided_input(k):
    """qm9/data/collate.py's drop_zeros: ``props[:, to_keep, ...]`` with a bool mask on a
    padded batch. On an input that is not row-major, ember laid out the result by finding the
    Ellipsis with tuple.index, which compares each item with ``==``: an index array answered
    elementwise and raised "The truth value of an array ... is ambiguous"."""
    def prog(L):
        x = L.from_numpy(np.arange(60.).reshape(3, 4, 5).astype(np.float32)).transpose(0, 2)
        m = L.tensor([True, False, True, True])
        i = L.tensor([2, 0])
        y = [lambda: x[:, m, ...], lambda: x[i, ...], lambda: x[..., i], lambda: x[i, ..., i],
             lambda: x[:, i, ..., None], lambda: x[m.unsqueeze(0).expand(5, 4), ...]][k]()
        return tuple(y.shape), y.stride(), y.tolist()
    same(prog)


def _coo(L, hybrid=False, dtype=None):
    idx = L.tensor([[0, 0, 2, 1, 0, 3], [1, 1, 0, 2, 2, 2]])
    vals = np.random.default_rng(0).standard_normal((6, 2) if hybrid else 6).astype(np.float32)
    v = L.from_numpy(vals) if dtype is None else L.tensor([1, 2, 3, 4, -1, 5])
    return L.sparse_coo_tensor(idx, v, (4, 3, 2) if hybrid else (4, 3), check_invariants=False)


SPARSE_CASES = {
    "sum_all": lambda L: L.sparse.sum(_coo(L)),
    "sum_rows": lambda L: L.sparse.sum(_coo(L), dim=1),
    "sum_rows_dense": lambda L: L.sparse.sum(_coo(L), dim=1).to_dense(),
    "sum_cols_neg": lambda L: L.sparse.sum(_coo(L), dim=[-2]),
    "sum_both": lambda L: L.sparse.sum(_coo(L), dim=(0, 1)),
    "sum_none_dims": lambda L: L.sparse.sum(_coo(L), dim=()),
    "sum_dtype": lambda L: L.sparse.sum(_coo(L), dim=1, dtype=L.float64),
    "sum_int": lambda L: L.sparse.sum(_coo(L, dtype="int"), dim=0),
    "sum_int_all": lambda L: L.sparse.sum(_coo(L, dtype="int")),
    "sum_hybrid_sparse": lambda L: L.sparse.sum(_coo(L, True), dim=1),
    "sum_hybrid_dense": lambda L: L.sparse.sum(_coo(L, True), dim=2),
    "sum_hybrid_all_sparse": lambda L: L.sparse.sum(_coo(L, True), dim=(0, 1)),
    "sum_hybrid_mixed": lambda L: L.sparse.sum(_coo(L, True), dim=(0, 2)),
    "sum_bad_dim": lambda L: L.sparse.sum(_coo(L), dim=3),
    "sum_twice": lambda L: L.sparse.sum(_coo(L), dim=(1, 1)),
    "softmax_rows": lambda L: L.sparse.softmax(_coo(L), dim=1),
    "softmax_cols": lambda L: L.sparse.softmax(_coo(L), 0),
    "softmax_f64": lambda L: L.sparse.softmax(_coo(L), -1, dtype=L.float64),
    "log_softmax_rows": lambda L: L.sparse.log_softmax(_coo(L), dim=1),
    "softmax_hybrid_sparse": lambda L: L.sparse.softmax(_coo(L, True), 1),
    "softmax_hybrid_dense": lambda L: L.sparse.softmax(_coo(L, True), 2),
    "softmax_int": lambda L: L.sparse.softmax(_coo(L, dtype="int"), 1),
    "softmax_bad_dim": lambda L: L.sparse.softmax(_coo(L), 2),
    "softmax_dense": lambda L: L.sparse.softmax(L.ones(2, 2), 1),
    "mul_number": lambda L: _coo(L) * 2,
    "rmul_number": lambda L: 0.5 * _coo(L, dtype="int"),
    "div_number": lambda L: _coo(L, dtype="int") / 4,
    "torch_div": lambda L: L.div(_coo(L), 2.0),
    "torch_mul": lambda L: L.mul(_coo(L, True), 3),
    "mul_method_coalesced": lambda L: _coo(L).coalesce().mul(2).is_coalesced(),
    "div_method": lambda L: _coo(L).div(8),
    "sum_method": lambda L: _coo(L).sum(),
    "sum_method_dim": lambda L: _coo(L).sum(1),
    "sum_method_dtype": lambda L: _coo(L, dtype="int").sum(dim=0, dtype=L.float32),
    "softmax_empty": lambda L: L.sparse.softmax(L.sparse_coo_tensor(
        L.zeros(2, 0, dtype=L.long), L.zeros(0), (2, 3), check_invariants=False), 1),
}


@pytest.mark.parametrize("case", sorted(SPARSE_CASES))
def test_sparse_sum_and_softmax_of_coo(case):
    """GCN code takes an adjacency's degrees with ``torch.sparse.sum(adj, dim=1).to_dense()``
    and sparse GAT code normalises attention with ``torch.sparse.softmax(att, dim=1)`` after
    ``torch.div(att, scale)``; ember refused the first two on COO tensors ("Could not run
    'aten::_indices'", no sparse.softmax), and a COO tensor times or over a number, or its
    ``.sum(dim)``, came back dense. Compared with PyTorch: reprs (indices, values, size, nnz,
    dtype, layout) and errors."""
    def prog(L):
        out = SPARSE_CASES[case](L)
        if isinstance(out, bool):
            return out
        vals = out.coalesce().values() if getattr(out, "is_sparse", False) else out
        return repr(out), str(out.dtype), np.round(vals.numpy().astype(np.float64), 5).tolist()
    same(prog)
