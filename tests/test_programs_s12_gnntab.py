"""Session 12, graph neural networks written from scratch (edge_index message passing: GCN,
GraphSAGE, GAT, pooling by a batch vector) and tabular/time-series training loops
(embeddings + BatchNorm1d, seeded DataLoader/samplers, ReduceLROnPlateau, LSTM/GRU
forecasters), run on ember and compared live with torch 2.13."""

import numpy as np
import pytest
from torch_compare import compare, gradcheck, run_both, same_error_case

import ember

# A small directed graph with repeated (src, dst) pairs and a node (3) with no in-edges.
EDGES = [[0, 1, 1, 2, 4, 0, 0, 2, 4], [1, 0, 2, 1, 3, 1, 1, 0, 0]]
DST = np.array(EDGES[1])


def _x(L, shape=(5, 4), seed=0, dtype=np.float32):
    return L.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


# ---- GCN normalisation and message passing, as tutorials type them ----------------------

def _gcn_layer(L):
    x = _x(L)
    ei = L.tensor(EDGES)
    n = x.size(0)
    loop = L.arange(n, dtype=L.long).unsqueeze(0).repeat(2, 1)
    ei = L.cat([ei, loop], dim=1)
    row, col = ei
    deg = L.bincount(col, minlength=n).float()
    deg2 = L.zeros(n).scatter_add_(0, col, L.ones(col.size(0)))
    deg3 = L.zeros(n).index_add_(0, col, L.ones_like(col, dtype=L.float))
    dis = deg.pow(-0.5)
    dis[dis == float("inf")] = 0
    norm = dis[row] * dis[col]
    msg = x[row] * norm.view(-1, 1)
    out = L.zeros_like(x).index_add_(0, col, msg)
    out2 = L.zeros_like(x).scatter_add_(0, col.unsqueeze(-1).expand_as(msg), msg)
    return [t.numpy() for t in (deg, deg2, deg3, norm, out, out2)] + [str(out.dtype)]


def test_gcn_normalisation_and_aggregation_match_bitwise():
    want, got = run_both(_gcn_layer)
    assert got[-1] == want[-1]
    for g, w in zip(got[:-1], want[:-1]):
        np.testing.assert_array_equal(g, w)


def test_degree_inverse_sqrt_masks_isolated_nodes_as_pytorch():
    def run(L):
        deg = L.bincount(L.tensor([1, 1, 2]), minlength=4)
        d = deg.float().pow(-0.5)
        d[d == float("inf")] = 0
        d2 = deg.float().pow(-0.5).masked_fill_(L.isinf(deg.float().pow(-0.5)), 0)
        d3 = deg.float().rsqrt().nan_to_num(posinf=0.0)
        return [str(deg.dtype), deg.tolist(), d.tolist(), d2.tolist(), d3.tolist(),
                str(deg.pow(-0.5).dtype) if deg.dtype.is_floating_point else "int"]
    want, got = run_both(run)
    assert got == want


# ---- scatter_reduce: PyTorch also takes "max" and "min" ---------------------------------

@pytest.mark.parametrize("reduce", ["max", "min"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_takes_max_and_min_as_amax_and_amin(reduce, include_self):
    # PyTorch's forward takes the old names (amax's values), its backward refuses them
    def run(L, dtype=np.float64, name=reduce):
        s = np.random.default_rng(1).standard_normal((len(DST), 3))
        x = np.random.default_rng(2).standard_normal((5, 3))
        x[1] = s[0]  # a tie with self
        x, s = L.tensor(x.astype(dtype), requires_grad=True), L.tensor(s.astype(dtype))
        idx = L.tensor(DST).view(-1, 1).expand(len(DST), 3)
        out = x.scatter_reduce(0, idx, s, reduce=name, include_self=include_self)
        out2 = x.detach().scatter_reduce_(0, idx, s, name, include_self=include_self)
        return out.detach().numpy(), out2.numpy(), out.grad_fn.name()
    for dtype in (np.float64, np.float32):
        want, got = run_both(lambda L: run(L, dtype))
        new, _ = run_both(lambda L: run(L, dtype, "a" + reduce))  # torch's amax/amin
        assert got[2] == want[2]
        for g, w, a in zip(got[:2], want[:2], new[:2]):
            np.testing.assert_array_equal(g, w)
            np.testing.assert_array_equal(w, a)

    def backward(L):
        x = L.ones(5, requires_grad=True)
        x.scatter_reduce(0, L.tensor([0, 1, 1]), L.ones(3), reduce, include_self=include_self
                         ).sum().backward()
    same_error_case(backward)


def test_scatter_reduce_refuses_other_names_and_a_missing_reduce():
    def call(L, reduce):
        return L.ones(5).scatter_reduce(0, L.tensor([0, 1, 1]), L.ones(3), reduce=reduce)
    for reduce in ["add", "multiply", "Max", "avg"]:
        same_error_case(lambda L: call(L, reduce))
    # index_reduce does not take the aliases
    same_error_case(lambda L: L.ones(5).index_reduce(0, L.tensor([0, 1]), L.ones(2), "max"))
    same_error_case(lambda L: L.ones(5).scatter_reduce(0, L.tensor([0]), L.ones(1)))
    same_error_case(lambda L: L.ones(5).scatter_reduce_(0, L.tensor([0]), L.ones(1)))
    same_error_case(lambda L: L.scatter_reduce(L.ones(5), 0, L.tensor([0]), L.ones(1)))


# ---- gradients through the aggregations, with repeated indices --------------------------

def _aggregations():
    idx = DST

    def ia(L, x, s):
        return x.index_add(0, L.tensor(idx), s, alpha=1.5)

    def ia_(L, x, s):
        return (x * 1).index_add_(0, L.tensor(idx), s)

    def sa(L, x, s):
        return x.scatter_add(0, L.tensor(idx).view(-1, 1).expand(len(idx), 3), s)

    def ip(L, x, s):
        return (x * 1).index_put_((L.tensor(idx),), s, accumulate=True)

    def sr(red, inc):
        def f(L, x, s):
            i = L.tensor(idx).unsqueeze(1).expand(-1, 3)
            return x.scatter_reduce(0, i, s, reduce=red, include_self=inc)
        return f

    def ir(red, inc):
        def f(L, x, s):
            return x.index_reduce(0, L.tensor(idx), s, red, include_self=inc)
        return f

    out = [ia, ia_, sa, ip]
    out += [sr(r, i) for r in ("sum", "mean", "amax", "amin", "prod") for i in (True, False)]
    out += [ir(r, i) for r in ("mean", "amax", "amin", "prod") for i in (True, False)]
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("k", range(22))
def test_aggregation_gradients_with_repeated_indices_match_pytorch(k):
    fn = _aggregations()[k]
    x = np.random.default_rng(0).standard_normal((5, 3))
    s = np.random.default_rng(1).standard_normal((len(DST), 3))
    s[6] = s[5]  # tied messages to one node (amax/amin share the gradient)
    s[2, 1] = 0.0  # a zero message (prod's gradient of the others)
    compare(fn, x, s, rtol=1e-12, atol=1e-13)
    compare(fn, x.astype(np.float32), s.astype(np.float32), rtol=1e-6, atol=1e-6)


# ---- GraphSAGE (mean of neighbours) and GAT (softmax over incoming edges) ----------------

def _sage_gat(L):
    L.manual_seed(0)
    x = _x(L).requires_grad_()
    src, dst = L.tensor(EDGES)
    agg = L.zeros_like(x).scatter_reduce(0, dst.unsqueeze(-1).expand(-1, 4), x[src],
                                         reduce="mean", include_self=False)
    lin = L.nn.Linear(4, 6, bias=False)
    att = L.randn(1, 2, 3)
    h = lin(x).view(-1, 2, 3)
    loop = L.arange(5)
    s2, d2 = L.cat([L.tensor(EDGES), L.stack([loop, loop])], dim=1)
    e = L.nn.functional.leaky_relu((h[s2] * att).sum(-1) + (h[d2] * att).sum(-1), 0.2)
    emax = L.full((5, 2), float("-inf")).scatter_reduce(
        0, d2.unsqueeze(-1).expand_as(e), e, reduce="amax", include_self=True)
    e = (e - emax[d2]).exp()
    den = L.zeros(5, 2).scatter_add_(0, d2.unsqueeze(-1).expand_as(e), e)
    alpha = e / (den[d2] + 1e-16)
    out = L.zeros(5, 2, 3).index_add_(0, d2, h[s2] * alpha.unsqueeze(-1)).mean(1)
    (agg.sum() + (out ** 2).sum()).backward()
    return [t.detach().numpy() for t in (agg, alpha, out, x.grad, lin.weight.grad)]


def test_graphsage_and_gat_layers_match_pytorch():
    want, got = run_both(_sage_gat)
    np.testing.assert_array_equal(got[0], want[0])  # a mean of gathered rows: exact
    for g, w in zip(got[1:], want[1:]):
        # exp of float32: NumPy's and PyTorch's vectorised exp differ by an ulp at times
        np.testing.assert_allclose(g, w, rtol=2e-6, atol=1e-7)


# ---- dense adjacency, unique, stable sort, pooling by a batch vector ---------------------

def test_dense_adjacency_unique_sort_and_pooling_match_pytorch():
    def run(L):
        ei = L.tensor(EDGES)
        A = L.zeros(5, 5).index_put_((ei[0], ei[1]), L.ones(ei.size(1)), accumulate=True)
        B = L.zeros(5, 5)
        B[ei[0], ei[1]] = 1
        vals, inv, cnt = L.unique(ei[1], return_inverse=True, return_counts=True)
        u2 = L.unique(ei, dim=1, return_inverse=True, return_counts=True)
        k = L.tensor([3, 1, 2, 1, 3, 0, 1])
        srt = L.sort(k, stable=True, descending=True)
        perm = (ei[1] * 5 + ei[0]).argsort(stable=True)
        batch = L.tensor([0, 0, 0, 1, 1, 2, 2, 2])
        h = _x(L, (8, 3))
        s = L.zeros(3, 3).index_add_(0, batch, h)
        mx = L.zeros(3, 3).scatter_reduce(0, batch.unsqueeze(1).expand(-1, 3), h,
                                          reduce="amax", include_self=False)
        mean = s / L.bincount(batch).unsqueeze(1)
        return [t.numpy() for t in (A, B, vals, inv, cnt, *u2, *srt, perm, s, mx, mean,
                                    B.nonzero().t())]
    want, got = run_both(run)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


def test_node_classification_accuracy_with_masks_matches_pytorch():
    def run(L):
        pred = L.tensor([0, 0, 1, 0, 1, 1, 1, 0])
        y = L.tensor([0, 1, 1, 0, 1, 0, 1, 0])
        mask = L.zeros(8, dtype=L.bool)
        mask[[1, 2, 5, 6, 7]] = True
        correct = pred[mask].eq(y[mask]).sum()
        return [correct.item(), type(correct.item()).__name__, str(correct.dtype),
                (correct / int(mask.sum())).item(), str(correct / mask.sum()),
                (pred[~mask] == y[~mask]).float().mean().item(), int(mask.sum())]
    want, got = run_both(run)
    assert got == want


# ---- index_put_: PyTorch's argument parser ------------------------------------------------

@pytest.mark.parametrize("case", [
    lambda L: L.zeros(3, 3).index_put_(L.tensor([0, 1]), L.tensor(1.)),  # a bare tensor
    lambda L: L.zeros(3, 3).index_put(L.tensor([0, 1]), L.tensor(1.)),
    lambda L: L.zeros(3, 3).index_put_(0, L.tensor(1.)),
    lambda L: L.zeros(3, 3).index_put_([0, 1], L.tensor(1.)),
    lambda L: L.zeros(3, 3).index_put_((None, L.tensor([0, 1])), L.tensor(1.)),
    lambda L: L.zeros(3, 3).index_put_((L.tensor([0]), 1), L.tensor(1.)),
    lambda L: L.zeros(3, 3).index_put_((L.tensor([0, 1]),), 1.0),
    lambda L: L.index_put(L.zeros(3, 3), [0, 1], L.tensor(1.)),
    lambda L: L.index_put(L.zeros(3, 3), L.tensor([0, 1]), L.tensor(1.)),
    lambda L: L.index_put(L.zeros(3, 3), (L.tensor([0, 1]),), 1.0),
])
def test_index_put_refuses_what_pytorchs_parser_refuses(case):
    same_error_case(case)


def test_index_put_takes_a_list_of_index_tensors():
    def run(L):
        a = L.zeros(3, 3).index_put_([L.tensor([0, 0]), L.tensor([1, 1])], L.tensor(2.),
                                     accumulate=True)
        b = L.index_put(L.zeros(3), (L.tensor([2, 2]),), L.tensor([1., 3.]), True)
        return a.tolist(), b.tolist()
    want, got = run_both(run)
    assert got == want


# ---- sparse tensors: COO ones only (tests/test_s21_sparse_coo.py); what PyTorch runs on dense
# ones runs here -----------------------------------------------------------------------------

def test_sparse_constructors_raise_a_clear_pytorch_worded_error():
    cases = [lambda: ember.sparse_csr_tensor(ember.tensor([0, 1]), ember.tensor([0]),
                                             ember.ones(1)),
             lambda: ember.ones(2, 2).to_sparse(1), lambda: ember.ones(2, 2).to_sparse_csr()]
    for case in cases:
        with pytest.raises(NotImplementedError) as info:
            case()
        first = str(info.value).splitlines()[0]
        assert first.startswith("Could not run 'aten::") and "'SparseCPU' backend" in first
        assert "ember has only COO tensors with every dim sparse" in first
        assert "index_put_" in str(info.value)  # the hint spells the dense equivalent


def test_the_hints_dense_adjacency_equals_pytorchs_sparse_to_dense():
    import torch

    ei, vals = np.array(EDGES), np.arange(1.0, 10.0, dtype=np.float32)
    want = torch.sparse_coo_tensor(torch.tensor(ei), torch.tensor(vals), (5, 5)).to_dense()
    got = ember.zeros(5, 5).index_put_((ember.tensor(ei[0]), ember.tensor(ei[1])),
                                       ember.tensor(vals), accumulate=True)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    x = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    np.testing.assert_allclose(ember.sparse.mm(got, ember.tensor(x)).numpy(),
                               torch.sparse.mm(want.to_sparse(), torch.tensor(x)).numpy(),
                               rtol=1e-6, atol=1e-6)


def test_sparse_functions_on_dense_tensors_match_pytorch():
    def run(L):
        a, b = _x(L, (3, 3)).requires_grad_(), _x(L, (3, 2), seed=1)
        out = L.sparse.mm(a, b) + L.spmm(a, b) + L.sparse.addmm(b, a, b, beta=0.5, alpha=2.)
        out.sum().backward()
        return (out.detach().numpy(), a.grad.numpy(), out.layout == L.sparse_coo,
                out.layout == L.strided, str(L.sparse_coo), str(L.sparse_csr), out.is_sparse)
    want, got = run_both(run)
    assert got[2:] == want[2:]
    for g, w in zip(got[:2], want[:2]):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
    same_error_case(lambda L: L.spmm(L.ones(2, 3), L.ones(3)))
    same_error_case(lambda L: L.sparse.sum(L.ones(2, 3)))
    for name in ("indices", "values", "coalesce", "is_coalesced"):
        same_error_case(lambda L: getattr(L.ones(2, 3), name)())


# ---- tabular loops: seeded loaders, samplers, splits, plateau scheduler -------------------

def test_seeded_loaders_samplers_and_splits_draw_pytorchs_indices():
    def run(L):
        from importlib import import_module
        data = import_module(f"{L.__name__}.utils.data")
        ds = data.TensorDataset(L.arange(20).float().view(-1, 1), L.arange(20))
        tr, va = data.random_split(ds, [16, 4], generator=L.Generator().manual_seed(0))
        a, b, c = data.random_split(range(10), [0.5, 0.3, 0.2],
                                    generator=L.Generator().manual_seed(1))
        dl = data.DataLoader(tr, batch_size=5, shuffle=True, drop_last=True,
                             generator=L.Generator().manual_seed(123))
        epochs = [[yb.tolist() for _, yb in dl] for _ in range(2)]
        y = (L.arange(20) % 3 == 0).long()
        w = (1.0 / L.bincount(y).float())[y]
        ws = list(data.WeightedRandomSampler(w, 20, replacement=True,
                                             generator=L.Generator().manual_seed(3)))
        wn = list(data.WeightedRandomSampler(L.tensor([0.1, 0.9, 0.4, 0.0]), 3,
                                             replacement=False,
                                             generator=L.Generator().manual_seed(2)))
        ss = data.SubsetRandomSampler(list(range(0, 20, 2)),
                                      generator=L.Generator().manual_seed(5))
        sub = [yb.tolist() for _, yb in data.DataLoader(ds, batch_size=3, sampler=ss)]
        return (list(tr.indices), list(va.indices), list(a), list(b), list(c), epochs, ws, wn,
                sub, len(dl))
    want, got = run_both(run)
    assert got == want


def test_reduce_lr_on_plateau_follows_pytorch():
    def run(L):
        opt = L.optim.SGD(L.nn.Linear(2, 2).parameters(), lr=0.1)
        sch = L.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5, min_lr=1e-3,
                                                     threshold=0.01, cooldown=1)
        out = []
        for v in [1.0, 0.995, 0.99, 0.98, 0.99, 1.2, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]:
            sch.step(v)
            out.append((opt.param_groups[0]["lr"], sch.num_bad_epochs, sch.best,
                        sch.get_last_lr()))
        return out
    want, got = run_both(run)
    assert got == want


def _tabular_epochs(L):
    import copy
    L.manual_seed(0)
    n = 64
    cats = L.randint(0, 5, (n, 2))
    cont = L.randn(n, 3)
    cont = (cont - cont.min(0).values) / (cont.max(0).values - cont.min(0).values)
    y = ((cont[:, 0] + (cats[:, 0] == 2).float()) > 0.6).long()
    embs = L.nn.ModuleList([L.nn.Embedding(5, 3), L.nn.Embedding(5, 2)])
    head = L.nn.Sequential(L.nn.Linear(8, 8), L.nn.ReLU(), L.nn.BatchNorm1d(8),
                           L.nn.Dropout(0.2), L.nn.Linear(8, 2))
    params = list(embs.parameters()) + list(head.parameters())
    opt = L.optim.Adam(params, lr=1e-2)
    data = L.utils.data
    dl = data.DataLoader(data.TensorDataset(cats, cont, y), batch_size=16, shuffle=True,
                         generator=L.Generator().manual_seed(1))
    losses, best = [], None
    for _ in range(3):
        head.train()
        for i, (c, x, t) in enumerate(dl):
            h = L.cat([e(c[:, k]) for k, e in enumerate(embs)] + [x], 1)
            loss = L.nn.functional.cross_entropy(head(h), t) / 2
            loss.backward()
            if (i + 1) % 2 == 0:  # gradient accumulation over two batches
                opt.step()
                opt.zero_grad()
            losses.append(loss.item())
        best = copy.deepcopy(head.state_dict())
    head.eval()
    with L.no_grad():
        h = L.cat([e(cats[:, k]) for k, e in enumerate(embs)] + [cont], 1)
        acc = (head(h).argmax(1) == y).float().mean().item()
    return losses, acc, {k: v.numpy() for k, v in best.items()}


def test_tabular_training_loop_tracks_pytorch():
    want, got = run_both(_tabular_epochs)
    # float32 exp and BatchNorm's batch statistics can each differ from PyTorch's by an ulp
    # (PyTorch's CPU batch-norm reduction order depends on its thread count)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)
    assert got[1] == want[1]
    assert list(got[2]) == list(want[2])
    for k in want[2]:
        assert got[2][k].dtype == want[2][k].dtype
        np.testing.assert_allclose(got[2][k], want[2][k], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_sliding_window_forecaster_tracks_pytorch(cell):
    def run(L):
        L.manual_seed(0)
        t = L.arange(0, 80, dtype=L.float32)
        s = L.sin(t * 0.1) + 0.1 * L.randn(80)
        s = (s - s.min()) / (s.max() - s.min())
        X = s.unfold(0, 12, 1)[:-1].unsqueeze(-1)
        Y = s[12:].unsqueeze(-1)
        X2 = L.stack([s[i:i + 12] for i in range(len(s) - 12)]).unsqueeze(-1)
        rnn = getattr(L.nn, cell)(1, 8, num_layers=2, batch_first=True)
        fc = L.nn.Linear(8, 1)
        opt = L.optim.Adam(list(rnn.parameters()) + list(fc.parameters()), lr=0.01)
        losses = []
        for _ in range(4):
            opt.zero_grad()
            out, _ = rnn(X)
            loss = L.nn.functional.mse_loss(fc(out[:, -1, :]), Y)
            loss.backward()
            L.nn.utils.clip_grad_norm_(rnn.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
        with L.no_grad():
            w = X[:1].clone()
            roll = []
            for _ in range(3):
                p = fc(rnn(w)[0][:, -1])
                roll.append(p.item())
                w = L.cat([w[:, 1:, :], p.unsqueeze(1)], dim=1)
        return bool(L.equal(X, X2)), tuple(X.shape), losses, roll
    want, got = run_both(run)
    assert got[:2] == want[:2]
    # sigmoid/tanh of float32 can differ from PyTorch's by an ulp, carried through 4 steps
    np.testing.assert_allclose(got[2], want[2], rtol=1e-5)
    np.testing.assert_allclose(got[3], want[3], rtol=1e-5, atol=1e-6)


# ---- segment_reduce: pooling by a CSR pointer (PyG's segment over ptr) -------------------

SEG_LENGTHS = [2, 0, 3, 1]


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "prod", "amax", "amin"])
@pytest.mark.parametrize("initial", [None, 0.5])
def test_segment_reduce_values_and_gradients_match_pytorch(reduce, initial):
    def fn(L, x):
        lengths = L.tensor(SEG_LENGTHS)
        offsets = L.tensor(np.concatenate([[0], np.cumsum(SEG_LENGTHS)]))
        a = L.segment_reduce(x, reduce, lengths=lengths, initial=initial)
        b = L.segment_reduce(x, reduce, offsets=offsets, initial=initial)
        return a, b
    x = np.random.default_rng(0).standard_normal((6, 3))
    x[3] = x[2]  # a tie (max/min share the gradient)
    x[4, 1] = 0.0  # a zero (prod's exclusive product)
    compare(fn, x, rtol=1e-12, atol=1e-13)
    compare(fn, x.astype(np.float32))
    if reduce not in ("max", "min", "amax", "amin"):  # (ties make max/min non-smooth)
        gradcheck(lambda L, t: fn(L, t)[0], x)


def test_segment_reduce_along_an_inner_axis_with_batched_lengths_matches_pytorch():
    def fn(L, x):
        return L.segment_reduce(x, "max", lengths=L.tensor([[1, 3], [4, 0]]), axis=1)
    x = np.random.default_rng(1).standard_normal((2, 4, 3))
    compare(fn, x, rtol=1e-12, atol=1e-13)
    gradcheck(lambda L, t: L.segment_reduce(t, "mean", lengths=L.tensor([[1, 3], [2, 2]]),
                                            axis=1), x)


@pytest.mark.parametrize("case", [
    lambda L: L.segment_reduce(L.ones(4), "avg", lengths=L.tensor([4])),
    lambda L: L.segment_reduce(L.ones(4), "sum"),
    lambda L: L.segment_reduce(L.ones(4), "sum", lengths=L.tensor([2., 2.])),
    lambda L: L.segment_reduce(L.tensor([1, 2]), "sum", lengths=L.tensor([2])),
    lambda L: L.segment_reduce(L.ones(4, 2), "sum", lengths=L.tensor([2, 2]), axis=1),
    lambda L: L.segment_reduce(L.ones(4), "sum", lengths=L.tensor([1, 2])),
    lambda L: L.segment_reduce(L.ones(4), "sum", lengths=L.tensor([-1, 5])),
])
def test_segment_reduce_errors_match_pytorch(case):
    same_error_case(case)


def test_segment_reduce_nan_and_empty_segments_match_pytorch():
    def run(L):
        nan = L.tensor([1., float("nan"), 3.])
        return (L.segment_reduce(nan, "max", lengths=L.tensor([2, 1])).tolist(),
                L.segment_reduce(nan.double(), "mean", lengths=L.tensor([2, 0, 1])).tolist(),
                L.segment_reduce(L.ones(3), "sum", lengths=L.tensor([1, 1]), unsafe=True).tolist(),
                L.segment_reduce(L.ones(3), "min", lengths=L.tensor([0, 3])).tolist(),
                str(L.segment_reduce(L.ones(2).half(), "mean", lengths=L.tensor([2])).dtype))
    want, got = run_both(run)
    assert str(got) == str(want)  # (nan != nan: compared as printed)
