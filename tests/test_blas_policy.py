"""ember's BLAS thread policy (ember/threads.py): one thread for small products, the
measured faster setting for large ones, a fixed count after set_num_threads."""

from __future__ import annotations

import numpy as np
import pytest

from ember import threads


@pytest.fixture(autouse=True)
def policy_state():
    saved = (threads._Pool.fixed, dict(threads._Pool.stats), threads._Pool.cores)
    threads._Pool.fixed = None
    threads._Pool.stats.clear()
    yield
    threads._Pool.fixed, stats, threads._Pool.cores = saved
    threads._Pool.stats.clear()
    threads._Pool.stats.update(stats)


def test_choose_tries_each_setting_then_keeps_the_faster():
    st = [None, None, 0]
    assert threads._choose(st) == 0  # one thread first
    st[0] = 1.0
    assert threads._choose(st) == 1  # then all cores
    st[1] = 4.0  # all cores 4x slower
    picks = [threads._choose(st) for _ in range(400)]
    tries = picks.count(1)
    assert picks[0] == 1  # a second sample of the slower setting at once
    assert 1 <= tries <= 1 + 400 // (threads.PROBE_EVERY * 4) + 1
    assert picks[1:threads.PROBE_EVERY * 4] == [0] * (threads.PROBE_EVERY * 4 - 1)


def test_choose_follows_a_change_of_the_faster_setting():
    st = [2.0, 1.0, 5]
    assert threads._choose(st) == 1  # all cores faster
    st[0], st[1] = 1.0, 3.0
    assert threads._choose(st) == 0


def test_small_products_run_on_one_thread_and_are_not_timed():
    a, b = np.ones((64, 64), np.float32), np.ones((64, 64), np.float32)
    np.testing.assert_array_equal(threads.matmul(a, b), a @ b)
    assert threads._Pool.current == 1 and not threads._Pool.stats


def test_large_products_are_timed_per_shape():
    threads._Pool.cores = 2
    a, b = np.ones((256, 128), np.float32), np.ones((128, 128), np.float32)
    assert a.size * b.shape[1] > threads.LARGE
    for _ in range(3):
        np.testing.assert_array_equal(threads.matmul(a, b), a @ b)
    st = threads._Pool.stats[((256, 128), (128, 128))]
    assert st[0] is not None and st[1] is not None


def test_a_fixed_count_replaces_the_policy():
    threads._Pool.fixed = 1
    a, b = np.ones((256, 128), np.float32), np.ones((128, 128), np.float32)
    threads.matmul(a, b)
    assert threads._Pool.current == 1 and not threads._Pool.stats
