"""A full float sum in ATen's CPU order, so float32 totals (and the losses printed from
them) round as PyTorch's do, to the last bit.

ATen's cascade_sum reads a contiguous tensor as 32-byte vectors (8 float32 / 4 float64
lanes, on AVX-512 machines too). The vectors are taken four at a time (four interleaved
partial sums); those groups are added in blocks of 16, block totals into a second level,
and every 16 blocks that level into a third. Leftover groups, then the levels, join the
first accumulator; leftover vectors join its first partial; the four partials are added
in order; the final scalar starts at 0, takes the elements past the last whole vector,
then the lanes in order. Fewer elements than a vector: the same four interleaved partial
sums, of scalars. NumPy's own sum is pairwise (the last bit differs).

Above GRAIN_SIZE (32768) elements PyTorch splits the sum across its threads, so the order
depends on the thread count: there ember keeps NumPy's sum (see ``use``).
"""

from __future__ import annotations

import numpy as np

GRAIN_SIZE = 32768
_ADD = np.add.reduce
_ACC = np.add.accumulate
_cat = np.concatenate
_ZERO = {c: np.zeros(1, c) for c in "fd"}  # the final sum starts at +0, as ATen's
_F16 = np.dtype(np.float16)


def use(x) -> bool:
    """Whether ``total(x)`` applies: a float32/float64 ndarray laid out densely in memory
    (any dim order), of at most GRAIN_SIZE elements."""
    return (type(x) is np.ndarray and x.dtype.char in "fd" and 0 < x.size <= GRAIN_SIZE
            and (x.flags.c_contiguous or x.flags.f_contiguous))


def full_sum(x):
    """sum(x) over every element: ``total`` where it applies, NumPy's sum otherwise (float16
    accumulated in float32 and rounded once, as PyTorch's: a half sum of 4096 squares
    overflowed to inf in half arithmetic)."""
    if use(x):
        return total(x)
    if x.dtype == _F16:
        return x.sum(dtype=np.float32).astype(_F16)
    return x.sum()


def _cascade(g: np.ndarray) -> np.ndarray:
    """ATen's multi_row_sum over the rows of g (groups of four vectors, 16 or more): blocks
    of 16 rows added in order, block totals in order into a second level that is moved to
    a third every 16 blocks (a fourth level needs more than GRAIN_SIZE elements). NumPy
    adds along an axis that is not the innermost one row by row, in order."""
    nb = len(g) // 16
    blocks = g[:nb * 16].reshape(nb, 16, -1)
    if nb >= 8:  # as 16 rows of nb * w: long inner loops, worth the copy
        blocks = _ADD(np.ascontiguousarray(blocks.transpose(1, 0, 2)), axis=0)
    else:
        blocks = _ADD(blocks, axis=1)
    ns = nb // 16
    level1 = blocks[ns * 16:]  # the block totals since the last move to the third level
    p = _ADD(level1, axis=0) if len(level1) else 0
    if nb * 16 < len(g):  # the groups past the last whole block come first
        p = _ADD(g[nb * 16:], axis=0) + p
    if ns:
        p = p + _ADD(_ADD(blocks[:ns * 16].reshape(ns, 16, -1), axis=1), axis=0)
    return p


def total(x: np.ndarray):
    """sum(x) as a NumPy scalar of x's dtype, in ATen's order (``use(x)`` must hold).
    Sums from the first term rather than +0 differ only in the sign of a zero, which the
    final sum from +0 drops."""
    a = x.reshape(-1) if x.flags.c_contiguous else x.ravel(order="K")  # memory order
    zero = _ZERO[a.dtype.char]
    lanes = 32 // a.itemsize
    n = a.size
    if n < lanes:  # four scalar partial sums: 0 + a0 + a4 + a5 + ..., then + a1 + a2 + a3
        return _ACC(_cat((zero, a[:1], a[4:], a[1:4])))[-1]
    nv = n // lanes  # whole vectors
    w = 4 * lanes  # a group of four vectors
    m = n // w  # whole groups
    if m == 0:
        vec = _ADD(a[:nv * lanes].reshape(nv, lanes), axis=0) if nv > 1 else a[:lanes]
    else:
        p = a[:w] if m == 1 else _cascade(a[:m * w].reshape(m, w)) if m >= 16 else \
            _ADD(a[:m * w].reshape(m, w), axis=0)
        if nv > 4 * m:  # partial 0, the vectors past the last whole group, partials 1-3
            p = _cat((p[:lanes], a[m * w:nv * lanes], p[lanes:]))
        vec = _ADD(p.reshape(-1, lanes), axis=0)
    if n % lanes:  # then from +0: the elements past the last whole vector, the lanes
        return _ACC(_cat((zero, a[nv * lanes:], vec)))[-1]
    return _ACC(vec)[-1] + zero[0]
