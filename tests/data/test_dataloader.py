"""ember.utils.data against torch.utils.data on the same data (unshuffled), plus seeded
shuffling determinism and random_split."""

import collections
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.utils import data as edata
from torch.utils import data as tdata


def plain(x):
    """A framework-neutral view of a batch: containers kept, tensors -> (dtype, array)."""
    if hasattr(x, "detach") and hasattr(x, "dtype"):
        return ("T", str(x.dtype).split(".")[-1], x.detach().numpy().tolist())
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__,) + tuple(plain(v) for v in x)
    if isinstance(x, (list, tuple)):
        return type(x)(plain(v) for v in x)
    return x


def both(build):
    """Build the same loader in both frameworks and return their batches."""
    out = []
    for mod, data in ((ember, edata), (torch, tdata)):
        out.append([plain(b) for b in build(mod, data)])
    return out


ARR = np.arange(30, dtype=np.float32).reshape(10, 3)
LABELS = np.arange(10) % 3


@pytest.mark.parametrize("batch_size,drop_last", [(4, False), (4, True), (1, False), (10, False),
                                                  (3, True)])
def test_tensor_dataset_batches_match_torch(batch_size, drop_last):
    def build(mod, data):
        ds = data.TensorDataset(mod.tensor(ARR), mod.tensor(LABELS))
        return data.DataLoader(ds, batch_size=batch_size, drop_last=drop_last)
    ours, ref = both(build)
    assert ours == ref
    loader = edata.DataLoader(edata.TensorDataset(ember.tensor(ARR)), batch_size=batch_size,
                              drop_last=drop_last)
    assert len(loader) == len(ref) == len(list(loader))


def test_subset_and_concat_of_tensor_datasets_match_torch():
    def build(mod, data):
        ds = data.TensorDataset(mod.tensor(ARR), mod.tensor(LABELS))
        sub = data.Subset(ds, [9, 2, 4, 4, 0])
        return data.DataLoader(data.ConcatDataset([sub, ds]), batch_size=4)
    ours, ref = both(build)
    assert ours == ref
    ours, ref = both(lambda m, d: d.DataLoader(d.Subset(d.TensorDataset(m.tensor(ARR)),
                                                        [9, 2, 4, 4, 0]), batch_size=3))
    assert ours == ref


Point = collections.namedtuple("Point", "x y")


class Samples:
    """A map-style dataset of mixed Python/NumPy samples (not a Dataset subclass, as allowed)."""

    def __init__(self, kind):
        self.kind = kind

    def __len__(self):
        return 7

    def __getitem__(self, i):
        if self.kind == "dict":
            return {"img": np.full((2, 2), i, np.float64), "label": i, "w": 0.5 * i,
                    "name": f"s{i}", "flag": i % 2 == 0, "f32": np.float32(i)}
        if self.kind == "tuple":
            return (np.arange(3, dtype=np.int32) + i, float(i), [i, i + 1], "a")
        if self.kind == "named":
            return Point(x=np.float32(i), y=[i, 2 * i])
        return [i, 1.5 * i]


@pytest.mark.parametrize("kind", ["dict", "tuple", "named", "list"])
@pytest.mark.parametrize("drop_last", [False, True])
def test_collate_of_structured_samples_matches_torch(kind, drop_last):
    ours, ref = both(lambda m, d: d.DataLoader(Samples(kind), batch_size=3,
                                               drop_last=drop_last))
    assert ours == ref
    assert len(ref) == (2 if drop_last else 3)


def test_default_collate_cases_match_torch():
    cases = [[1, 2, 3], [1.0, 2.5], [True, False], [1, 2.5], ["a", "b"], [b"x", b"y"],
             [np.float32(1), np.float32(2)], [np.int32(3)], [np.zeros(2), np.ones(2)],
             [(1, "a"), (2, "b")], [{"a": 1}, {"a": 2}]]
    for batch in cases:
        assert plain(edata.default_collate(batch)) == plain(tdata.default_collate(batch)), batch
    tens = [ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0])]
    assert edata.default_collate(tens).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        edata.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        edata.default_collate([object()])


def test_batch_size_none_and_custom_collate_and_samplers_match_torch():
    ours, ref = both(lambda m, d: d.DataLoader(Samples("tuple"), batch_size=None))
    assert ours == ref
    ours, ref = both(lambda m, d: d.DataLoader(Samples("list"), batch_size=2,
                                               collate_fn=lambda b: len(b)))
    assert ours == ref == [2, 2, 2, 1]
    ours, ref = both(lambda m, d: d.DataLoader(
        Samples("list"), batch_sampler=d.BatchSampler(d.SequentialSampler(range(7)), 3, False)))
    assert ours == ref
    ours, ref = both(lambda m, d: d.DataLoader(Samples("list"), sampler=[6, 0, 3], batch_size=2))
    assert ours == ref


class Stream(tdata.IterableDataset):
    def __iter__(self):
        return iter(range(11))


class EStream(edata.IterableDataset):
    def __iter__(self):
        return iter(range(11))


@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset_matches_torch(drop_last):
    got = [plain(b) for b in edata.DataLoader(EStream(), batch_size=4, drop_last=drop_last)]
    ref = [plain(b) for b in tdata.DataLoader(Stream(), batch_size=4, drop_last=drop_last)]
    assert got == ref


def test_loader_option_errors_match_torch():
    ds = list(range(5))
    cases = [dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
             dict(batch_size=None, drop_last=True), dict(num_workers=-1),
             dict(persistent_workers=True)]
    for kw in cases:
        with pytest.raises(ValueError) as e_t:
            tdata.DataLoader(ds, **kw)
        with pytest.raises(ValueError) as e_o:
            edata.DataLoader(ds, **kw)
        assert str(e_o.value) == str(e_t.value)
    loader = edata.DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after"):
        loader.batch_size = 3


def test_num_workers_runs_simulated_workers():
    # workers are simulated in the main process, silently (as PyTorch's run silently); their
    # order and seeding are compared with PyTorch in tests/test_programs_data_io.py
    loader = edata.DataLoader(edata.TensorDataset(ember.tensor(ARR)), batch_size=4,
                              num_workers=2)
    batches = list(loader)
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]


def order(loader):
    return [int(i) for b in loader for i in b[0].tolist()]


def test_seeded_shuffling_is_reproducible():
    ds = edata.TensorDataset(ember.arange(50))
    ember.manual_seed(0)
    a = order(edata.DataLoader(ds, batch_size=8, shuffle=True))
    ember.manual_seed(0)
    b = order(edata.DataLoader(ds, batch_size=8, shuffle=True))
    ember.manual_seed(1)
    c = order(edata.DataLoader(ds, batch_size=8, shuffle=True))
    assert a == b != c
    assert sorted(a) == list(range(50)) and a != list(range(50))
    loader = edata.DataLoader(ds, batch_size=8, shuffle=True)
    ember.manual_seed(0)
    e1, e2 = order(loader), order(loader)
    assert e1 == a and e2 != e1            # each epoch a new order
    g = [order(edata.DataLoader(ds, batch_size=5, shuffle=True,
                                generator=ember.Generator().manual_seed(s))) for s in (7, 7, 8)]
    assert g[0] == g[1] != g[2]


def test_random_sampler_options():
    gen = ember.Generator().manual_seed(3)
    draws = list(edata.RandomSampler(range(5), replacement=True, num_samples=40, generator=gen))
    assert len(draws) == 40 and set(draws) <= set(range(5)) and len(set(draws)) == 5
    long = list(edata.RandomSampler(range(5), num_samples=12, generator=gen))
    assert len(long) == 12 and sorted(long[:10]) == sorted(list(range(5)) * 2)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        edata.RandomSampler(range(5), num_samples=0)
    w = list(edata.WeightedRandomSampler([0.0, 1.0, 0.0], 6, generator=gen))
    assert w == [1] * 6


@pytest.mark.parametrize("lengths,sizes", [([3, 7], [3, 7]), ([0.3, 0.3, 0.4], [3, 3, 4]),
                                           ([0.5, 0.5], [5, 5]), ([0.33, 0.33, 0.34], [4, 3, 3])])
def test_random_split_sizes_match_torch(lengths, sizes):
    parts = edata.random_split(range(10), lengths, generator=ember.Generator().manual_seed(0))
    ref = tdata.random_split(range(10), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [len(p) for p in ref] == sizes
    assert sorted(i for p in parts for i in p) == list(range(10))
    again = edata.random_split(range(10), lengths, generator=ember.Generator().manual_seed(0))
    assert [list(p) for p in parts] == [list(p) for p in again]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        edata.random_split(range(10), [3, 3])


def test_dataset_helpers():
    ds = edata.TensorDataset(ember.tensor(ARR), ember.tensor(LABELS))
    x, y = ds[2]
    assert x.tolist() == ARR[2].tolist() and y.item() == LABELS[2] and len(ds) == 10
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        edata.TensorDataset(ember.zeros(3), ember.zeros(4))
    both_ = ds + ds
    assert len(both_) == 20 and both_[-1][1].item() == LABELS[-1]
    st = edata.StackDataset(a=list(range(3)), b="xyz")
    assert st[1] == {"a": 1, "b": "y"} and len(st) == 3
    assert edata.get_worker_info() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [len(b) for b in edata.DataLoader(ds, batch_size=6)] == [2, 2]
