"""Which of tied entries topk returns, and its order under sorted=False, and the order of
tied entries from sort(stable=False) of more than 16, as PyTorch's CPU kernel gives them. PyTorch fills a row of (value, index) pairs and runs the C++ standard
library on it, comparing values only: ``std::partial_sort`` when ``k * 64 <= n``, else
``std::nth_element`` (then ``std::sort`` of the first k - 1 when sorted). Neither is stable,
so among equal values (or under sorted=False) the result is the library's: this module
replays libstdc++'s algorithms (introselect, introsort, heap select) step for step. It runs
per row in Python, so topk calls it only for rows where the answer depends on it."""

from __future__ import annotations

import numpy as np


def torch_topk_rows(rows: np.ndarray, k: int, largest: bool, sorted_: bool) -> np.ndarray:
    """(m, n) values -> (m, k) int64 indices, PyTorch's topk along the last axis."""
    out = np.empty((rows.shape[0], k), np.int64)
    for r, row in enumerate(rows):
        vals = row.tolist()
        comp = _comparator(vals, largest)
        q = list(range(len(vals)))
        n = len(q)
        if k * 64 <= n:
            _heap_select(q, 0, k, n, comp)
            _sort_heap(q, 0, k, comp)
        else:
            _introselect(q, 0, k - 1, n, 2 * _lg(n), comp)
            if sorted_:
                _sort(q, 0, k - 1, comp)
        out[r] = q[:k]
    return out


def torch_sort_rows(rows: np.ndarray, descending: bool) -> np.ndarray:
    """(m, n) values -> (m, n) int64 indices: PyTorch's sort with ``stable=False``, which is
    ``std::sort`` (introsort, then insertion sort) of (value, index) pairs by value."""
    out = np.empty(rows.shape, np.int64)
    for r, row in enumerate(rows):
        vals = row.tolist()
        q = list(range(len(vals)))
        _sort(q, 0, len(q), _comparator(vals, descending))
        out[r] = q
    return out


def _comparator(vals: list, largest: bool):
    """PyTorch's value comparison for (value, index) pairs, by index into ``vals``: NaN
    counts as the largest value."""
    if largest:
        def comp(i, j):
            a, b = vals[i], vals[j]
            return (a != a and b == b) or a > b
    else:
        def comp(i, j):
            a, b = vals[i], vals[j]
            return (a == a and b != b) or a < b
    return comp


def _lg(n: int) -> int:
    return n.bit_length() - 1  # floor(log2 n), as std::__lg


def _move_median_to_first(q, result, a, b, c, comp):
    if comp(q[a], q[b]):
        if comp(q[b], q[c]):
            m = b
        elif comp(q[a], q[c]):
            m = c
        else:
            m = a
    elif comp(q[a], q[c]):
        m = a
    elif comp(q[b], q[c]):
        m = c
    else:
        m = b
    q[result], q[m] = q[m], q[result]


def _unguarded_partition_pivot(q, first, last, comp):
    mid = first + (last - first) // 2
    _move_median_to_first(q, first, first + 1, mid, last - 1, comp)
    lo, hi, pivot = first + 1, last, q[first]
    while True:
        while comp(q[lo], pivot):
            lo += 1
        hi -= 1
        while comp(pivot, q[hi]):
            hi -= 1
        if not lo < hi:
            return lo
        q[lo], q[hi] = q[hi], q[lo]
        lo += 1


def _unguarded_linear_insert(q, last, comp):
    val = q[last]
    nxt = last - 1
    while comp(val, q[nxt]):
        q[last] = q[nxt]
        last = nxt
        nxt -= 1
    q[last] = val


def _insertion_sort(q, first, last, comp):
    for i in range(first + 1, last):
        if comp(q[i], q[first]):
            val = q[i]
            q[first + 1:i + 1] = q[first:i]
            q[first] = val
        else:
            _unguarded_linear_insert(q, i, comp)


def _introselect(q, first, nth, last, depth, comp):
    while last - first > 3:
        if depth == 0:
            _heap_select(q, first, nth + 1, last, comp)
            q[first], q[nth] = q[nth], q[first]
            return
        depth -= 1
        cut = _unguarded_partition_pivot(q, first, last, comp)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(q, first, last, comp)


def _sort(q, first, last, comp):
    if last - first < 2:
        return
    _introsort_loop(q, first, last, 2 * _lg(last - first), comp)
    if last - first > 16:
        _insertion_sort(q, first, first + 16, comp)
        for i in range(first + 16, last):
            _unguarded_linear_insert(q, i, comp)
    else:
        _insertion_sort(q, first, last, comp)


def _introsort_loop(q, first, last, depth, comp):
    while last - first > 16:
        if depth == 0:
            _heap_select(q, first, last, last, comp)
            _sort_heap(q, first, last, comp)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(q, first, last, comp)
        _introsort_loop(q, cut, last, depth, comp)
        last = cut


# ---- heaps (max-heaps under comp, rooted at first) ------------------------------------------

def _adjust_heap(q, first, hole, length, value, comp):
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if comp(q[first + child], q[first + child - 1]):
            child -= 1
        q[first + hole] = q[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        q[first + hole] = q[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and comp(q[first + parent], value):
        q[first + hole] = q[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    q[first + hole] = value


def _make_heap(q, first, last, comp):
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(q, first, parent, length, q[first + parent], comp)
        if parent == 0:
            return
        parent -= 1


def _pop_heap(q, first, last, result, comp):
    value = q[result]
    q[result] = q[first]
    _adjust_heap(q, first, 0, last - first, value, comp)


def _heap_select(q, first, middle, last, comp):
    _make_heap(q, first, middle, comp)
    for i in range(middle, last):
        if comp(q[i], q[first]):
            _pop_heap(q, first, middle, i, comp)


def _sort_heap(q, first, last, comp):
    while last - first > 1:
        last -= 1
        _pop_heap(q, first, last, last, comp)
