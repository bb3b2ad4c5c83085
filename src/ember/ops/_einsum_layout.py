"""How PyTorch lays out an einsum's result, for ops/einsum.py: a two-operand contraction
goes through one bmm (``_pair_plan``, ``_pair_product``), a product with no label contracted
through mul's TensorIterator (``_mul_layout``)."""

from __future__ import annotations

import functools

import numpy as np

from ._layout import iter_layout


def _mul_layout(y: np.ndarray, subs: tuple, out: str, xs) -> np.ndarray:
    """A two-operand product with no label contracted is PyTorch's mul of the operands
    permuted to the output's labels: laid out by TensorIterator, where the first operand's
    strides decide (NumPy's einsum lets a row-major operand win)."""
    if y.ndim < 2 or not all(len(set(sub)) == len(sub) and set(sub) <= set(out)
                             for sub in subs):
        return y
    views = [np.transpose(x, [sub.index(c) for c in out if c in sub])[
        tuple(slice(None) if c in sub else None for c in out)] for sub, x in zip(subs, xs)]
    return iter_layout(y, *views)


@functools.lru_cache(maxsize=256)
def _pair_plan(subs: tuple, out: str, shapes: tuple):
    """How PyTorch lays out a two-operand einsum that contracts with bmm (None: an
    elementwise product, left to NumPy). The labels both operands carry at size > 1 and the
    output lacks go through one bmm, whose result holds the output dims in memory as: those
    of both operands, then the left's only, then the right's only (each by output position);
    the operands trade places when all of the right's come first in the output and no other
    label was summed apart (so 'ij,jk->ki' is row-major, while 'bihd,bjhd->bijh' is not and
    .view() on it raises there). Returns (memory order of the output dims, their sizes, and
    per operand (its index, the equation reducing it to its bmm labels or None, its 3-d
    shape)); the memory order is None where it is the output's own (row-major)."""
    sizes = [dict(zip(sub, shape)) for sub, shape in zip(subs, shapes)]
    big = [{c for c, n in sz.items() if n != 1} for sz in sizes]
    contracted = (set(subs[0]) | set(subs[1])) - set(out)
    summed = sorted(contracted & big[0] & big[1])
    if not summed or len(out) < 2:
        return None
    pos = range(len(out))
    both = [p for p in pos if out[p] in big[0] and out[p] in big[1]]
    lo = [p for p in pos if out[p] in big[0] and out[p] not in big[1]]
    ro = [p for p in pos if out[p] not in big[0]]
    left, right = 0, 1
    if lo and ro and not contracted - set(summed) and ro[-1] < lo[0]:
        left, right, lo, ro = 1, 0, ro, lo
    order = tuple(both + lo + ro)
    n_of = {c: n for sz in sizes for c, n in sz.items() if n != 1}

    def prod(labels):
        return int(np.prod([n_of.get(c, 1) for c in labels], dtype=np.int64))

    lab = {k: "".join(out[p] for p in k_dims) for k, k_dims in (("b", both), ("l", lo), ("r", ro))}
    s_lab = "".join(summed)
    ops = []
    for k, labels, shape3 in ((left, lab["b"] + lab["l"] + s_lab,
                               (prod(lab["b"]), prod(lab["l"]), prod(s_lab))),
                              (right, lab["b"] + s_lab + lab["r"],
                               (prod(lab["b"]), prod(s_lab), prod(lab["r"])))):
        labels = "".join(c for c in labels if c in big[k])
        ops.append((k, None if subs[k] == labels else subs[k] + "->" + labels, shape3))
    return (None if order == tuple(pos) else order), tuple(n_of.get(out[p], 1) for p in order), \
        tuple(ops)


def _pair_product(plan, xs) -> np.ndarray:
    """The bmm of ``_pair_plan``: each operand reduced to its bmm labels (diagonals taken,
    labels of its own summed, size-1 dims dropped) and one np.matmul: the result in memory
    order (einsum() asks for that order and permutes the result, a view as in PyTorch)."""
    _, mem_shape, ((ka, eqa, sa), (kb, eqb, sb)) = plan
    a = (xs[ka] if eqa is None else np.einsum(eqa, xs[ka])).reshape(sa)
    b = (xs[kb] if eqb is None else np.einsum(eqb, xs[kb])).reshape(sb)
    return np.matmul(a, b).reshape(mem_shape)
