"""Determinism: the same seed gives the same bits.

Training an MLP (dropout, DataLoader shuffling, Adam) twice after ``ember.manual_seed(0)`` gives
identical weights, bit for bit, with one BLAS thread; DataLoader shuffling and random_split
follow their generator; distributions sample from ember's generator, so ``manual_seed`` (or
``set_rng_state``) fixes their draws and NumPy's global random state plays no part.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.utils.data import DataLoader, TensorDataset, random_split


@pytest.fixture(autouse=True)
def one_blas_thread():
    """One BLAS thread for bit-identical products; ember's own policy again afterwards."""
    from ember import threads

    before = threads._Pool.fixed
    ember.set_num_threads(1)
    yield
    if before is None:
        threads._Pool.fixed = None  # back to the size-based policy (no public way to ask)
    else:
        ember.set_num_threads(before)


def _train(seed: int | None, steps: int = 50) -> tuple[list[bytes], list[float]]:
    """50 Adam steps of a small classifier; every random draw comes from ember's generator
    (seeded here unless ``seed`` is None)."""
    if seed is not None:
        ember.manual_seed(seed)
    x = ember.randn(96, 10)
    y = ember.randint(0, 4, (96,))
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 64),
                          nn.Tanh(), nn.Linear(64, 4))
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    losses = []
    while len(losses) < steps:
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if len(losses) == steps:
                break
    return [p.detach().numpy().tobytes() for p in model.parameters()], losses


def test_same_seed_same_training_bit_for_bit():
    weights, losses = _train(0)
    ember.rand(1000)  # consume the stream in between; manual_seed must start it afresh
    np.random.seed(123), np.random.rand(10)  # NumPy's global state must play no part
    again, losses_again = _train(0)
    assert again == weights
    assert losses_again == losses


def test_another_seed_trains_differently():
    weights, losses = _train(0, steps=5)
    other, other_losses = _train(1, steps=5)
    assert other != weights and other_losses != losses


def test_saved_rng_state_replays_the_training():
    ember.manual_seed(0)
    ember.rand(5)
    state = ember.get_rng_state()
    weights, _ = _train(None)
    ember.set_rng_state(state)
    again, _ = _train(None)
    assert again == weights
    assert _train(None)[0] != weights  # the stream moved on: a third run differs


# ---- DataLoader --------------------------------------------------------------------------
def _orders(loader: DataLoader, epochs: int = 3) -> list[list[int]]:
    return [[int(i) for (batch,) in loader for i in batch] for _ in range(epochs)]


def _loader(seed: int | None) -> DataLoader:
    gen = None if seed is None else ember.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(ember.arange(20)), batch_size=6, shuffle=True,
                      generator=gen)


def test_dataloader_shuffle_follows_its_generator():
    first = _orders(_loader(7))
    assert first == _orders(_loader(7))
    assert sorted(first[0]) == list(range(20)) and first[0] != list(range(20))
    assert first[0] != first[1]  # each epoch is a new permutation
    assert first != _orders(_loader(8))


def test_dataloader_generator_leaves_the_global_stream_alone():
    ember.manual_seed(3)
    expected = ember.rand(4).tolist()
    ember.manual_seed(3)
    _orders(_loader(7))
    assert ember.rand(4).tolist() == expected


def test_dataloader_without_generator_follows_manual_seed():
    ember.manual_seed(5)
    first = _orders(_loader(None))
    ember.manual_seed(5)
    assert _orders(_loader(None)) == first
    ember.manual_seed(6)
    assert _orders(_loader(None)) != first


def test_random_split_follows_its_generator():
    data = TensorDataset(ember.arange(30))

    def split(seed):
        parts = random_split(data, [10, 20], generator=ember.Generator().manual_seed(seed))
        return [list(p.indices) for p in parts]

    assert split(2) == split(2)
    assert split(2) != split(3)
    assert sorted(split(2)[0] + split(2)[1]) == list(range(30))


# ---- distributions -------------------------------------------------------------------------
def _distributions():
    D = ember.distributions
    logits = ember.tensor([[0.0, 1.0, -float("inf"), 2.0], [3.0, -1.0, 0.5, 0.0]])
    return {
        "Categorical": D.Categorical(logits=logits),
        "Categorical(probs)": D.Categorical(probs=ember.tensor([0.1, 0.2, 0.3, 0.4])),
        "Normal": D.Normal(ember.tensor([0.0, 5.0]), ember.tensor([1.0, 0.1])),
        "Bernoulli": D.Bernoulli(probs=ember.tensor([0.2, 0.5, 0.9])),
        "Independent(Normal)": D.Independent(D.Normal(ember.zeros(3), ember.ones(3)), 1),
    }


@pytest.mark.parametrize("name", sorted(_distributions()))
def test_distribution_samples_follow_manual_seed(name):
    def draws(seed):
        ember.manual_seed(seed)
        d = _distributions()[name]
        np.random.seed(seed + 100)  # NumPy's global state: must not matter
        out = [d.sample().numpy().tobytes(), d.sample((5,)).numpy().tobytes()]
        if d.has_rsample:
            out.append(d.rsample((3,)).detach().numpy().tobytes())
        return out

    first = draws(0)
    assert draws(0) == first
    assert draws(1) != first


def test_categorical_draws_replay_from_a_saved_state():
    d = _distributions()["Categorical"]
    ember.manual_seed(11)
    ember.rand(7)
    state = ember.get_rng_state()
    first = d.sample((50,)).numpy().copy()
    ember.rand(3)
    ember.set_rng_state(state)
    assert np.array_equal(d.sample((50,)).numpy(), first)
    assert not np.isinf(d.logits.numpy()[[0], first[:, 0]]).any()  # the mask holds
