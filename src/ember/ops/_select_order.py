"""Which of tied entries kthvalue returns, as PyTorch's CPU kernel picks it. PyTorch copies a
row into (value, index) pairs and runs a median-of-three quickselect (the classic
Numerical-Recipes "select", nan counting as the largest) on it; among equal values the index
it returns is that partitioning's, not a stable sort's. This replays the selection step for
step; it runs per row in Python, so kthvalue calls it only for rows with ties at the k-th
value."""

from __future__ import annotations

import numpy as np


def _gt(a, b) -> bool:
    """a > b with nan above every number."""
    return (a != a and b == b) or a > b


def _select_index(vals: list, k: int) -> int:
    """The original index of the element the quickselect leaves at (0-based) position k."""
    arr, idx = list(vals), list(range(len(vals)))

    def swap(a, b):
        arr[a], arr[b] = arr[b], arr[a]
        idx[a], idx[b] = idx[b], idx[a]

    lo, hi = 0, len(arr) - 1
    while hi > lo:
        if hi == lo + 1:
            if _gt(arr[lo], arr[hi]):
                swap(lo, hi)
            break
        swap(lo + (hi - lo) // 2, lo + 1)  # median of three: arr[lo] becomes the pivot
        if _gt(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if _gt(arr[lo], arr[hi]):
            swap(lo, hi)
        if _gt(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, piv = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while _gt(piv, arr[i]):
                i += 1
            j -= 1
            while _gt(arr[j], piv):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return idx[k]


def kth_indices(rows: np.ndarray, k: int) -> np.ndarray:
    """(m, n) values -> (m,) int64: PyTorch's index of each row's k-th smallest (1-based k)."""
    order = np.argsort(rows, axis=1, kind="stable")
    out = order[:, k - 1].copy()
    kth = np.take_along_axis(rows, out[:, None], 1)
    same = (rows == kth) | (np.isnan(rows) & np.isnan(kth)) if rows.dtype.kind == "f" \
        else rows == kth
    for r in np.flatnonzero(same.sum(1) > 1):  # only ties leave a choice
        out[r] = _select_index(rows[r].tolist(), k - 1)
    return out
