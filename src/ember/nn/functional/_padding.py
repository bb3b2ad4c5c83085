"""F.pad's reflect / replicate / circular modes: PyTorch's checks and each padded axis's
source positions (negative amounts crop, as in PyTorch)."""

from __future__ import annotations

import math

import numpy as np


def _source(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """For each output position along one axis, the input position it copies."""
    if mode == "circular":  # wraps within what is left after cropping, as PyTorch
        start, stop = max(-lo, 0), n - max(-hi, 0)
        if stop <= start:  # nothing left to wrap ((-4, 4) on 4): PyTorch's values are
            start = min(start, n - 1)  # uninitialised memory; any entry, never past the end
        width = max(stop - start, 1)
        return start + (np.arange(n + lo + hi) - max(lo, 0)) % width
    q = np.arange(-lo, n + hi)
    if mode == "reflect":
        q = np.abs(q)
        return np.where(q >= n, 2 * (n - 1) - q, q)
    return np.clip(q, 0, n - 1)


def _too_small(shape: tuple, k: int, outs: list, mode: str) -> str:
    sizes, got = shape[-k:], outs[-k:]
    if k == 1:
        return f"input (W: {sizes[0]}) is too small. Calculated output W: {got[0]}"
    if k == 2:
        gap = " " if mode == "replicate" else ""
        return (f"input (H: {sizes[0]}, W: {sizes[1]}{gap}) is too small. Calculated output "
                f"H: {got[0]} W: {got[1]}")
    return (f"input (D: {sizes[0]} H: {sizes[1]}, W: {sizes[2]}) is too small. Calculated "
            f"output D: {got[0]} H: {got[1]} W: {got[2]}")


def _check_edges(shape: tuple, pairs: tuple, k: int, mode: str) -> None:
    """reflect / replicate: PyTorch's empty-input, pad-size and output-size errors."""
    batched = len(shape) == k + 2
    if any(n == 0 for n in shape[1 if batched else 0:]):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{list(shape)}")
    if mode == "reflect":
        for j in range(k):  # the last axis first, as PyTorch checks them
            axis = len(shape) - 1 - j
            lo, hi = pairs[axis]
            if lo >= shape[axis] or hi >= shape[axis]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * j}: Padding size should be less than the corresponding "
                    f"input dimension, but got: padding ({lo}, {hi}) at dimension {axis} of "
                    f"input {list(shape)}")
    outs = [n + lo + hi for n, (lo, hi) in zip(shape, pairs)]
    if all(o < 1 for o in outs[-k:]):
        raise RuntimeError(_too_small(shape, k, outs, mode))
    for o in outs:
        if o < 0:
            if mode == "reflect" and k == 2:  # its output's size is computed unchecked
                raise RuntimeError("numel: integer multiplication overflow")
            raise RuntimeError(f"Trying to create tensor with negative dimension {o}: {outs}")


def _check_circular(shape: tuple, pairs: tuple, k: int) -> None:
    for axis in range(len(shape) - k, len(shape)):
        lo, hi = pairs[axis]
        if lo > shape[axis] or hi > shape[axis]:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if shape[axis] + lo + hi < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
    _check_wrap_copies(shape, pairs, k)


def _check_wrap_copies(shape: tuple, pairs: tuple, k: int) -> None:
    """PyTorch fills the wrapped edges by copying within its output, the last axis first;
    a copy whose source partly overlaps its destination (a pad beyond what cropping the
    other side leaves: (3, -2) on 4 entries) is refused by copy_ where the slices are dense
    (no non-trivial axis before the padded one). Elsewhere PyTorch copies unchecked and reads
    memory not yet written, which is not reproduced."""
    outs = [n + lo + hi for n, (lo, hi) in zip(shape, pairs)]
    for axis in range(len(shape) - 1, len(shape) - k - 1, -1):
        if math.prod(outs[:axis]) != 1:
            continue
        (lo, hi), o = pairs[axis], outs[axis]
        # (destination start, source start, length) of the left, then the right, copy
        for dst, src, m in ((0, o - lo - max(hi, 0), lo), (o - hi, max(lo, 0), hi)):
            if m > 0 and dst != src and abs(dst - src) < m:
                raise RuntimeError("unsupported operation: some elements of the input tensor "
                                   "and the written-to tensor refer to a single memory "
                                   "location. Please clone() the tensor before performing "
                                   "the operation.")


def gather_index(shape: tuple, pairs: tuple, npad: int, mode: str, value) -> tuple:
    """Checks a non-constant F.pad call; the source positions per axis (None: untouched)."""
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = npad // 2
    if k not in (1, 2, 3) or len(shape) not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {npad} is not supported for {len(shape)}D "
                                  "input tensor.")
    if mode == "circular":
        _check_circular(shape, pairs, k)
    else:
        _check_edges(shape, pairs, k, mode)
    return tuple(None if lo == hi == 0 else _source(n, lo, hi, mode)
                 for n, (lo, hi) in zip(shape, pairs))
