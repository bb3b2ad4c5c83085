"""Data pipelines and checkpoints, compared with live PyTorch: simulated DataLoader workers
(sharding, seeding, order, errors), StackDataset batching, generic datasets, and torch.save
round trips that keep Parameters, shared storages, strides and more Python types."""

import io
import math
import random
import warnings

import numpy as np
import pytest
import torch

import ember


def _tolist(x):
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return (str(x.dtype).rsplit(".", 1)[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return {k: _tolist(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_tolist(v) for v in x]
    return x


def _shard_cls(L):
    D = L.utils.data

    class Shard(D.IterableDataset):
        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            info = D.get_worker_info()
            lo, hi = self.start, self.end
            if info is not None:
                per = int(math.ceil((hi - lo) / info.num_workers))
                lo = self.start + info.id * per
                hi = min(lo + per, self.end)
            return iter(range(lo, hi))
    return Shard


@pytest.mark.parametrize("nw", [0, 1, 2, 3])
@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_worker_sharding_order(nw, drop_last):
    def run(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Shard = _shard_cls(L)
            return [b.tolist() for b in L.utils.data.DataLoader(
                Shard(3, 10), batch_size=2, num_workers=nw, drop_last=drop_last)]
    assert run(ember) == run(torch)


def test_iterable_without_sharding_repeats_per_worker():
    def run(L):
        D = L.utils.data

        class NoShard(D.IterableDataset):
            def __iter__(self):
                return iter(range(5))
        return ([b.tolist() for b in D.DataLoader(NoShard(), batch_size=2, num_workers=2)],
                list(D.DataLoader(NoShard(), batch_size=None, num_workers=2)))
    assert run(ember) == run(torch)


def test_worker_init_fn_shards_dataset_copy():
    def run(L):
        D = L.utils.data
        Shard = _shard_cls(L)

        class Plain(D.IterableDataset):
            def __init__(self):
                self.start, self.end = 0, 7

            def __iter__(self):
                return iter(range(self.start, self.end))

        def init(wid):
            info = D.get_worker_info()
            ds = info.dataset
            ds.start, ds.end = wid * 4, min(wid * 4 + 4, 7)
        main = Plain()
        out = [b.tolist() for b in D.DataLoader(main, batch_size=3, num_workers=2,
                                                worker_init_fn=init)]
        return out, (main.start, main.end), D.get_worker_info(), Shard is not None
    assert run(ember) == run(torch)


def _aug_run(L, **kw):
    D = L.utils.data

    class Aug(D.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = D.get_worker_info()
            wid = -1 if info is None else info.id
            return (L.tensor([float(i), float(wid)]), L.rand(1), L.randint(0, 100, (1,)),
                    np.random.rand(), random.random(), -1 if info is None else info.seed)
    L.manual_seed(0)
    g = kw.pop("gen", None)
    if g is not None:
        kw["generator"] = L.Generator().manual_seed(g)
    dl = D.DataLoader(Aug(), **kw)
    out = [[_tolist(b) for b in dl] for _ in range(2)]
    out.append(L.rand(2).tolist())  # workers do not draw from the main stream
    return out


@pytest.mark.parametrize("kw", [
    dict(batch_size=2, num_workers=2), dict(batch_size=2, num_workers=2, shuffle=True),
    dict(batch_size=2, num_workers=2, shuffle=True, gen=5),
    dict(batch_size=3, num_workers=2, persistent_workers=True),
    dict(batch_size=None, num_workers=2), dict(batch_size=4, num_workers=2, drop_last=True)])
def test_map_style_worker_seeding_matches(kw):
    a, b = _aug_run(ember, **dict(kw)), _aug_run(torch, **dict(kw))
    assert a[:-1] == b[:-1]
    np.testing.assert_allclose(a[-1], b[-1])


def test_worker_numpy_seed_and_init_fn_seed():
    def run(L):
        D = L.utils.data

        class NP(D.Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                return np.random.rand(), L.rand(()).item()

        def init(wid):
            np.random.seed(D.get_worker_info().seed % 2 ** 32)
        L.manual_seed(3)
        return [_tolist(b) for b in D.DataLoader(NP(), batch_size=2, num_workers=2,
                                                 worker_init_fn=init)]
    assert run(ember) == run(torch)


def test_worker_error_message():
    def run(L):
        D = L.utils.data
        ds = [L.ones(2), L.ones(3), L.ones(2), L.ones(2)]
        try:
            list(D.DataLoader(ds, batch_size=2, num_workers=2))
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e).splitlines()[0]
    assert run(ember) == run(torch)


def test_worker_info_fields():
    def run(L):
        D = L.utils.data

        class Info(D.Dataset):
            def __len__(self):
                return 2

            def __getitem__(self, i):
                w = D.get_worker_info()
                try:
                    w.id = 5
                except Exception as e:  # noqa: BLE001
                    err = (type(e).__name__, str(e))
                return (w.id, w.num_workers, type(w.dataset).__name__, err, w.rng, w.worker_method,
                        repr(w).split("(")[0])
        return list(D.DataLoader(Info(), batch_size=None, num_workers=2))
    assert run(ember) == run(torch)


def test_stack_dataset_getitems_and_errors():
    def run(L):
        D = L.utils.data
        ds = D.TensorDataset(L.arange(10.).reshape(5, 2), L.arange(5))
        out = [_tolist(D.StackDataset(a=ds, b=range(5)).__getitems__([0, 3])),
               _tolist(D.StackDataset(ds, ds).__getitems__([1])),
               _tolist(list(D.DataLoader(D.StackDataset(x=ds, y=list("abcde")), batch_size=2)))]
        try:
            D.StackDataset()
        except ValueError as e:
            out.append(str(e))
        return out
    assert run(ember) == run(torch)


def test_generic_and_abstract_datasets():
    for L in (ember, torch):
        D = L.utils.data
        assert D.Dataset[int] is not None and D.Sampler[int] is not None
        assert D.IterableDataset[int] is not None and D.DataLoader[int] is not None
    msgs = []
    for L in (ember, torch):
        with pytest.raises(TypeError) as e:
            L.utils.data.IterableDataset()
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def _roundtrip(L, obj):
    buf = io.BytesIO()
    L.save(obj, buf)
    buf.seek(0)
    return L.load(buf)


def test_save_keeps_views_sharing_and_strides():
    def run(L):
        a = L.arange(12.).reshape(3, 4)
        a2, t2, row2, col2, e2, same = _roundtrip(
            L, [a, a.t(), a[1], a[:, 1::2], L.ones(3, 1).expand(3, 4), a])
        a2[1, 1] = 100.
        return ([(x.stride(), x.storage_offset(), x.tolist()) for x in (a2, t2, row2, col2, e2)],
                same is a2)
    assert run(ember) == run(torch)


def test_save_keeps_parameters_and_types():
    def run(L):
        sd = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(2)).state_dict()
        obj = {"p": L.nn.Parameter(L.ones(2)), "q": L.nn.Parameter(L.ones(2),
                                                                   requires_grad=False),
               "size": L.Size([2, 3]), "dt": L.float64, "dev": L.device("cpu"),
               "c": 1 + 2j, "b": b"xy", "s": {1, 2}, (1, 2): "tuple key", "sd": sd}
        out = _roundtrip(L, obj)
        return ([type(out[k]).__name__ for k in ("p", "q", "size", "dt", "dev", "c", "b", "s")],
                out["p"].requires_grad, out["q"].requires_grad, tuple(out["size"]),
                str(out["dt"]).rsplit(".")[-1], str(out["dev"]), out["c"], out["b"], out["s"],
                out[(1, 2)], type(out["sd"]).__name__, dict(out["sd"]._metadata))
    assert run(ember) == run(torch)


def test_torch_file_loads_views_shared_in_ember(tmp_path):
    a = torch.arange(12.).reshape(3, 4)
    torch.save({"a": a, "t": a.t(), "row": a[2], "p": torch.nn.Parameter(torch.ones(2))},
               tmp_path / "x.pt")
    outs = []
    for L in (ember, torch):
        o = L.load(tmp_path / "x.pt")
        o["a"][2, 0] = -1.
        outs.append([(k, type(v).__name__, v.stride(), v.storage_offset(), v.tolist())
                     for k, v in o.items()])
    assert outs[0] == outs[1]
