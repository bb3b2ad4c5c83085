"""Session 10, the data side of training scripts (DataLoader, samplers, collate, workers,
random_split) and the mistakes learners make there, run on ember and compared live with
torch 2.13."""

import numpy as np
import torch
from torch_compare import same as _same

import ember


# ---- default_collate / stack given a NumPy array next to a tensor ------------------------

def test_collate_of_a_tensor_and_an_array_is_stacks_type_error():
    D = lambda L: L.utils.data  # noqa: E731
    _same(lambda L: D(L).default_collate([L.zeros(2), np.zeros(2)]))
    _same(lambda L: D(L).default_collate([L.zeros(2), [1.0, 2.0]]))
    _same(lambda L: D(L).default_collate([L.zeros(2), 3]))
    _same(lambda L: L.stack([L.zeros(2), np.zeros(2)]))
    _same(lambda L: L.cat([L.zeros(2), np.float32(1)]))
    _same(lambda L: L.broadcast_tensors(L.zeros(2), np.zeros(2)))


def test_collate_of_complex_arrays_refuses_as_from_numpy_does():
    # PyTorch batches these; ember has no complex tensors, so it must refuse as soon as it
    # collates (not hand back a tensor that fails when printed)
    for batch in ([np.complex64(1), np.complex64(2)], [np.zeros(2, np.complex128)] * 2):
        assert torch.utils.data.default_collate(batch).is_complex()
        arr = np.stack(batch)
        try:
            ember.from_numpy(arr)
        except TypeError as err:
            want = str(err)
        try:
            ember.utils.data.default_collate(batch)
        except TypeError as err:
            assert str(err) == want
        else:
            raise AssertionError("complex batch was collated")


# ---- prefetch_factor -----------------------------------------------------------------------

def test_prefetch_factor_default_and_checks():
    DL = lambda L, **kw: L.utils.data.DataLoader(L.arange(6), batch_size=2, **kw)  # noqa: E731
    _same(lambda L: DL(L, num_workers=2).prefetch_factor)
    _same(lambda L: DL(L).prefetch_factor)
    _same(lambda L: DL(L, num_workers=2, prefetch_factor=-1))
    _same(lambda L: DL(L, num_workers=2, prefetch_factor=0).prefetch_factor)
    _same(lambda L: next(iter(DL(L, num_workers=2, prefetch_factor=0))))


# ---- a generator that is no torch.Generator (a seed, NumPy's Generator) --------------------

def test_wrong_generator_types_are_refused_like_pytorch():
    D = lambda L: L.utils.data  # noqa: E731
    for bad in (0, 3, np.random.default_rng(0)):
        _same(lambda L: D(L).random_split(range(10), [8, 2], generator=bad))
        _same(lambda L: list(D(L).DataLoader(range(5), shuffle=True, generator=bad)))
        _same(lambda L: list(D(L).RandomSampler(range(5), generator=bad)))
        _same(lambda L: list(D(L).SubsetRandomSampler([1, 2, 3], generator=bad)))
        _same(lambda L: list(D(L).WeightedRandomSampler([0.2, 0.8], 3, generator=bad)))
        _same(lambda L: L.randperm(4, generator=bad))
        _same(lambda L: L.multinomial(L.ones(3), 2, generator=bad))


def test_random_split_with_float_lengths_not_fractions():
    _same(lambda L: L.utils.data.random_split(range(10), [7.0, 3.0]))
    _same(lambda L: L.randperm(10.0, generator=L.Generator()))
    g = lambda L: L.Generator().manual_seed(0)  # noqa: E731
    _same(lambda L: [s.indices for s in L.utils.data.random_split(range(10), [7, 3],
                                                                  generator=g(L))])
