"""torch.utils.data against PyTorch 2.13: TensorDataset, DataLoader (batching, drop_last,
batch_size=None, dict/str/NumPy samples, samples of different sizes, iterable datasets,
conflicting sampler arguments), samplers, Subset/ConcatDataset, random_split by lengths and
fractions, default_collate's dtypes. Same exception type and first line, or same results."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from parity_util import same_ending


def cases(T):
    U = T.utils.data
    X = T.arange(10).float().reshape(5, 2); Y = T.arange(5)
    ds = U.TensorDataset(X, Y)
    def plain(t):
        return t.tolist() if hasattr(t, "tolist") else t

    def batches(dl):
        return [[plain(t) for t in b] if isinstance(b, (list, tuple)) else plain(b)
                for b in dl]

    class DictDS(U.Dataset):
        def __len__(s): return 4
        def __getitem__(s, i):
            return {"x": T.tensor([float(i)]), "y": i, "name": f"n{i}", "arr": np.array([i, i])}
    class Short(U.Dataset):
        def __len__(s): return 3
        def __getitem__(s, i): return T.ones(i + 1)
    class It(U.IterableDataset):
        def __iter__(s): return iter(range(5))
    return {
      "tensords_len": lambda: len(ds),
      "tensords_item": lambda: [t.tolist() for t in ds[1]],
      "tensords_mismatch": lambda: U.TensorDataset(X, T.arange(4)),
      "loader_basic": lambda: batches(U.DataLoader(ds, batch_size=2)),
      "loader_drop_last": lambda: batches(U.DataLoader(ds, batch_size=2, drop_last=True)),
      "loader_len": lambda: len(U.DataLoader(ds, batch_size=2)),
      "loader_len_drop": lambda: len(U.DataLoader(ds, batch_size=2, drop_last=True)),
      "loader_none_batch": lambda: batches(U.DataLoader(ds, batch_size=None))[:2],
      "loader_dict": lambda: [sorted(b.keys()) for b in U.DataLoader(DictDS(), batch_size=2)],
      "loader_dict_vals": lambda: [(b["y"].tolist(), b["name"], b["arr"].tolist(), b["x"].shape)
                                   for b in U.DataLoader(DictDS(), batch_size=3)],
      "loader_ragged": lambda: batches(U.DataLoader(Short(), batch_size=3)),
      "loader_collate_fn": lambda: [len(b) for b in U.DataLoader(Short(), batch_size=2,
                                                                 collate_fn=lambda b: b)],
      "loader_iterable": lambda: batches(U.DataLoader(It(), batch_size=2)),
      "loader_iterable_len": lambda: len(U.DataLoader(It(), batch_size=2)),
      "loader_iterable_shuffle": lambda: U.DataLoader(It(), shuffle=True),
      "loader_sampler_and_shuffle": lambda: U.DataLoader(ds, sampler=U.SequentialSampler(ds),
                                                         shuffle=True),
      "loader_batch_sampler_conflict": lambda: U.DataLoader(
          ds, batch_sampler=U.BatchSampler(U.SequentialSampler(ds), 2, False), batch_size=3),
      "loader_bad_batch": lambda: U.DataLoader(ds, batch_size=0),
      "loader_neg_workers": lambda: U.DataLoader(ds, num_workers=-1),
      "batch_sampler": lambda: list(U.BatchSampler(U.SequentialSampler(range(5)), 2, False)),
      "batch_sampler_drop": lambda: list(U.BatchSampler(range(5), 2, True)),
      "subset": lambda: [U.Subset(ds, [4, 0])[i][1].item() for i in range(2)],
      "concat": lambda: (len(U.ConcatDataset([ds, ds])), U.ConcatDataset([ds, ds])[7][1].item()),
      "concat_neg": lambda: U.ConcatDataset([ds, ds])[-1][1].item(),
      "random_split_len": lambda: [len(s) for s in U.random_split(range(10), [7, 3])],
      "random_split_frac": lambda: [len(s) for s in U.random_split(range(10), [0.7, 0.3])],
      "random_split_frac_round": lambda: [len(s) for s in U.random_split(range(10),
                                                                         [0.33, 0.33, 0.34])],
      "random_split_bad": lambda: U.random_split(range(10), [7, 4]),
      "default_collate_nums": lambda: U.default_collate([1, 2, 3]).dtype,
      "default_collate_floats": lambda: U.default_collate([1.0, 2.0]).dtype,
      "default_collate_bools": lambda: U.default_collate([True, False]).dtype,
      "default_collate_np": lambda: U.default_collate([np.array([1.0]), np.array([2.0])]).dtype,
      "default_collate_np_f32": lambda: U.default_collate([np.float32(1), np.float32(2)]).dtype,
      "default_collate_tuples": lambda: [t.tolist()
                                         for t in U.default_collate([(1, 2.0), (3, 4.0)])],
      "default_collate_none": lambda: U.default_collate([None, None]),
      "weighted_sampler_len": lambda: len(list(U.WeightedRandomSampler([0.1, 0.9], 5))),
      "weighted_sampler_bad": lambda: list(U.WeightedRandomSampler([0.1, -0.9], 5)),
      "random_sampler_len": lambda: sorted(U.RandomSampler(range(4))),
      "random_sampler_replacement": lambda: len(list(U.RandomSampler(range(4), replacement=True,
                                                                     num_samples=7))),
      "subset_random": lambda: sorted(U.SubsetRandomSampler([3, 1, 2])),
      "get_worker_info": lambda: U.get_worker_info(),
    }


@pytest.mark.parametrize("name", list(cases(torch)))
def test_data_sweep(name):
    same_ending(cases(ember)[name], cases(torch)[name])
