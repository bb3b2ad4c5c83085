"""Threads: grad mode belongs to the thread that sets it, and two threads training separate
models at the same time reach, bit for bit, the weights each reaches alone (one BLAS thread).

Python switches threads every few microseconds here (``sys.setswitchinterval``), so the two
training loops interleave inside forward, backward and optimizer steps.
"""

from __future__ import annotations

import copy
import sys
import threading

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.utils.data import DataLoader, TensorDataset

TIMEOUT = 60  # seconds: a hang fails the test instead of stalling the suite


@pytest.fixture(autouse=True)
def one_blas_thread_fast_switching():
    from ember import threads

    before, interval = threads._Pool.fixed, sys.getswitchinterval()
    ember.set_num_threads(1)
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)
    if before is None:
        threads._Pool.fixed = None  # back to the size-based policy (no public way to ask)
    else:
        ember.set_num_threads(before)


def _in_threads(*targets) -> list:
    """Run each target in its own thread, started together; their results (or errors)."""
    results = [None] * len(targets)
    start = threading.Barrier(len(targets))

    def run(i, fn):
        start.wait()
        try:
            results[i] = fn()
        except BaseException as err:  # noqa: BLE001 - reported by the caller
            results[i] = err

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread hung"
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


# ---- grad mode -----------------------------------------------------------------------------
def test_no_grad_in_one_thread_leaves_the_other_recording():
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def quiet():
        with ember.no_grad():
            entered.set()
            checked.wait(TIMEOUT)
            x = ember.ones(2, requires_grad=True)
            seen["quiet"] = (ember.is_grad_enabled(), (x * 2).requires_grad)

    def busy():
        entered.wait(TIMEOUT)
        x = ember.ones(2, requires_grad=True)
        seen["busy"] = (ember.is_grad_enabled(), (x * 2).requires_grad)
        checked.set()

    _in_threads(quiet, busy)
    assert seen == {"quiet": (False, False), "busy": (True, True)}


def test_a_new_thread_starts_with_grad_enabled():
    out = {}
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        t = threading.Thread(target=lambda: out.update(
            enabled=ember.is_grad_enabled(), inference=ember.is_inference_mode_enabled()))
        t.start()
        t.join(TIMEOUT)
    assert out == {"enabled": True, "inference": False}


@pytest.mark.parametrize("mode", ["no_grad", "set_grad_enabled", "inference_mode"])
def test_grad_mode_switches_stay_in_their_thread(mode):
    enter = {"no_grad": ember.no_grad, "set_grad_enabled": lambda: ember.set_grad_enabled(False),
             "inference_mode": ember.inference_mode}[mode]
    leaks = []

    def toggler():
        for _ in range(2000):
            with enter():
                pass

    def watcher():
        x = ember.ones(3, requires_grad=True)
        for _ in range(2000):
            if not ember.is_grad_enabled() or not (x + 1).requires_grad:
                leaks.append(1)

    _in_threads(toggler, watcher)
    assert not leaks and ember.is_grad_enabled()


# ---- concurrent training -------------------------------------------------------------------
def _setup(seed: int):
    """A model and a data set, made in this thread from ``seed``."""
    ember.manual_seed(seed)
    model = nn.Sequential(nn.Linear(12, 48), nn.ReLU(), nn.Linear(48, 48), nn.Tanh(),
                          nn.Linear(48, 3))
    return model, ember.randn(80, 12), ember.randint(0, 3, (80,))


def _train(model, x, y, seed: int, steps: int = 50) -> list[bytes]:
    """Adam on mini-batches from a DataLoader with its own generator (no shared stream)."""
    opt = ember.optim.Adam(model.parameters(), lr=5e-3)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True,
                        generator=ember.Generator().manual_seed(seed))
    done = 0
    while done < steps:
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb) + 1e-3 * sum((p * p).sum()
                                                               for p in model.parameters())
            opt.zero_grad()
            loss.backward()
            opt.step()
            with ember.no_grad():  # an evaluation in between, as training loops do
                model(xb).argmax(-1)
            done += 1
            if done == steps:
                break
    return [p.detach().numpy().tobytes() for p in model.parameters()]


def test_two_threads_train_as_if_alone():
    (model_a, xa, ya), (model_b, xb, yb) = _setup(0), _setup(1)
    alone_a = _train(copy.deepcopy(model_a), xa, ya, seed=10)
    alone_b = _train(copy.deepcopy(model_b), xb, yb, seed=11)
    assert alone_a != alone_b
    together = _in_threads(lambda: _train(model_a, xa, ya, seed=10),
                           lambda: _train(model_b, xb, yb, seed=11))
    assert together == [alone_a, alone_b]


def test_training_beside_a_thread_that_toggles_grad_mode():
    model, x, y = _setup(2)
    alone = _train(copy.deepcopy(model), x, y, seed=12)
    stop = threading.Event()

    def evaluator():
        probe = nn.Linear(12, 3)
        while not stop.is_set():
            with ember.no_grad():
                probe(x)
            with ember.inference_mode():
                probe(x).sum()

    def trainer():
        try:
            return _train(model, x, y, seed=12)
        finally:
            stop.set()

    assert _in_threads(trainer, evaluator)[0] == alone


def test_backward_in_two_threads_on_one_shared_input():
    """Separate graphs over one shared leaf: each thread's gradient is its own."""
    w = ember.randn(30, 30)
    inputs = [ember.randn(8, 30, requires_grad=True) for _ in range(2)]

    def grad_of(i):
        def run():
            for _ in range(200):
                inputs[i].grad = None
                ((inputs[i] @ w).tanh() * (i + 1)).sum().backward()
            return inputs[i].grad.numpy().copy()
        return run

    expected = []
    for i in range(2):
        expected.append(grad_of(i)())
    got = _in_threads(grad_of(0), grad_of(1))
    assert all(np.array_equal(g, e) for g, e in zip(got, expected))
