"""Session 14, fastbook sweep: integer draws. `randint` / `random_` over a range of 2^28 to
2^32 values take a 64-bit draw per element in PyTorch's public builds (ember took 32 bits
there: other numbers, and the stream left behind moved differently); `random_`'s overloads
(`random_(to=n)`, `random_(from, None)`) and its refusals of the others."""

import numpy as np
import pytest
import torch
from torch_compare import error_of, run_both

import ember

SPANS = [(0, 2 ** 27), (0, 2 ** 28 - 1), (0, 2 ** 28), (5, 5 + 2 ** 28), (0, 2 ** 29),
         (-2 ** 30, 2 ** 30), (0, 2 ** 31), (0, 2 ** 31 - 1), (0, 2 ** 32 - 1), (0, 2 ** 32)]


@pytest.mark.parametrize("low,high", SPANS)
def test_randint_and_random_over_wide_ranges_draw_pytorchs_numbers(low, high):
    def draws(L):
        L.manual_seed(0)
        dt = L.int32 if high <= 2 ** 31 else L.int64
        out = [L.randint(low, high, (7,)), L.zeros(3, 2, dtype=dt).random_(low, high),
               L.zeros(5, dtype=L.float64).random_(low, high)]
        g = L.Generator().manual_seed(1)
        out.append(L.randint(low, high, (4,), generator=g))
        return [t.numpy().copy() for t in out] + [L.rand(2).numpy().copy(),  # stream after
                                                  L.rand(2, generator=g).numpy().copy()]

    want, got = run_both(draws)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def _overloads(L):
    out = []
    for dt in (L.float32, L.float64, L.int64, L.int16, L.uint8, L.int8, L.float16):
        for call in (lambda t: t.random_(), lambda t: t.random_(7), lambda t: t.random_(to=7),
                     lambda t: t.random_(-3, 3), lambda t: t.random_(0, None),
                     lambda t: t.random_(100, None), lambda t: t.random_(**{"from": 3, "to": None}),
                     lambda t: t.random_(**{"from": -3, "to": 9})):
            L.manual_seed(0)
            out.append(call(L.zeros(5, dtype=dt)).numpy().copy())
    return out


def test_random_overloads_draw_pytorchs_numbers():
    want, got = run_both(_overloads)
    assert len(got) == len(want), got
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("case", [
    lambda L: L.zeros(3).random_(**{"from": 2}), lambda L: L.zeros(3).random_(to=None),
    lambda L: L.zeros(3).random_(1, 2, 3), lambda L: L.zeros(3).random_(1, foo=2),
    lambda L: L.zeros(3).random_(5, to=3), lambda L: L.zeros(3).random_(to=0),
    lambda L: L.zeros(3).random_(to=-3),
])
def test_random_argument_mistakes_raise_pytorchs_errors(case):
    assert error_of(lambda: case(ember)) == error_of(lambda: case(torch))
