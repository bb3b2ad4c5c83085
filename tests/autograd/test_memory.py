"""Long runs: memory stays flat, and keeping graphs alive across steps is reported once."""

import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import ember
from ember.autograd import function as F


def _step(w1, w2, x, y):
    h = (x @ w1).relu()
    loss = ((h @ w2 - y) ** 2).mean()
    w1.grad = w2.grad = None
    loss.backward()
    with ember.no_grad():
        w1.add_(w1.grad, alpha=-0.01)
        w2.add_(w2.grad, alpha=-0.01)
    return loss


def test_training_memory_is_flat():
    rng = np.random.default_rng(0)
    w1 = ember.tensor(rng.normal(size=(2, 32)) * 0.3, dtype=ember.float32, requires_grad=True)
    w2 = ember.tensor(rng.normal(size=(32, 1)) * 0.3, dtype=ember.float32, requires_grad=True)
    x = ember.tensor(rng.normal(size=(64, 2)), dtype=ember.float32)
    y = ember.tensor(rng.normal(size=(64, 1)), dtype=ember.float32)
    for _ in range(200):
        _step(w1, w2, x, y)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(2000):
        _step(w1, w2, x, y)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 200_000, f"memory grew by {grown} bytes over 2000 steps"


def test_summing_losses_without_item_warns_once():
    F._STALE["count"] = 0
    w = ember.tensor([1.0], requires_grad=True)
    total = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(F.STALE_LIMIT + 20):
            loss = (w * 2).sum()
            loss.backward()
            total = total + loss  # the bug: keeps every graph alive
    hits = [c for c in caught if issubclass(c.category, ResourceWarning)]
    assert len(hits) == 1 and "loss.item()" in str(hits[0].message)


def test_item_accumulation_does_not_warn():
    F._STALE["count"] = 0
    w = ember.tensor([1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = 0.0
        for _ in range(F.STALE_LIMIT + 20):
            loss = (w * 2).sum()
            loss.backward()
            total += loss.item()
    assert total == pytest.approx(2.0 * (F.STALE_LIMIT + 20))
