"""searchsorted and bucketize: where values would go in sorted boundaries, with PyTorch's
comparisons, checks, dtypes and its once-a-process warning for non-contiguous tensors. No
gradient."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def _binary_search(seq: np.ndarray, val: np.ndarray, right: bool) -> np.ndarray:
    """For each val (rows of val matching the rows of seq), the first position whose entry is
    not below val (right: not at or below it), with PyTorch's comparisons: a position moves
    right while not (entry >= val) (right: not (entry > val))."""
    n = seq.shape[-1]
    lo = np.zeros(val.shape, np.int64)
    hi = np.full(val.shape, n, np.int64)
    rows = np.broadcast_to(seq, val.shape[:-1] + (n,)) if seq.ndim > 1 else seq
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        ent = np.take_along_axis(rows, np.minimum(mid, n - 1), -1) if seq.ndim > 1 else \
            seq[np.minimum(mid, n - 1)]
        go = ~(ent > val) if right else ~(ent >= val)
        lo = np.where(active & go, mid + 1, lo)
        hi = np.where(active & ~go, mid, hi)


def _warn_non_contiguous(boundaries, values, sorter) -> None:
    """PyTorch copies a non-contiguous value, boundary or sorter tensor to a contiguous one
    and says so, once a process (TORCH_WARN_ONCE), after its checks and only for a
    non-empty input."""
    from .._config import warn_once

    for t, what in ((values, "input value"), (boundaries, "boundary"), (sorter, "sorter")):
        if t is not None and not t.is_contiguous():
            warn_once(f"torch.searchsorted(): {what} tensor is non-contiguous, this will lower "
                      "the performance due to extra data copy when converting non-contiguous "
                      f"tensor to contiguous, please use contiguous {what} tensor if possible. "
                      "This message will only appear once per program.")


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False,
                 right: bool = False, side=None, out=None, sorter=None) -> Tensor:
    """Where each input value would go in the sorted last dim of sorted_sequence."""
    seq = sorted_sequence._data
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    scalar = not isinstance(input, Tensor)
    val = np.asarray(input._data if not scalar else input)
    if sorter is not None:
        s = sorter._data
        if s.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(seq.shape)}and got sorter "
                               f"tensor {list(s.shape)}")
        seq = np.take_along_axis(seq, s, -1)
    if seq.ndim > 1 and val.ndim == 0:
        raise RuntimeError(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's "
            "dim(0) numel(1)")
    if seq.ndim > 1 and (val.ndim != seq.ndim or val.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq.shape)} and input value tensor {list(val.shape)}")
    if val.size:
        _warn_non_contiguous(sorted_sequence, None if scalar else input, sorter)
    common = np.result_type(seq.dtype, val.dtype)
    if scalar and not (isinstance(input, float) and seq.dtype.kind in "iub"):
        common = seq.dtype  # a Python number takes the boundaries' dtype (it is weak)
    pos = _binary_search(seq.astype(common, copy=False), val.astype(common, copy=False),
                         bool(right))
    result = Tensor._make(pos.astype(np.int32 if out_int32 else np.int64), False, None)
    return out.copy_(result) if out is not None else result


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False, out=None) -> Tensor:
    """The bucket of each input value among the 1-d sorted boundaries (searchsorted)."""
    if boundaries._data.ndim != 1:
        raise RuntimeError("boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)
