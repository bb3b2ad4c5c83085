"""The mask helpers of torch.nn.modules.transformer (importable from there, as in PyTorch):
a bool mask as an additive float one, causal-mask detection, the sequence length."""

from __future__ import annotations

import warnings

import numpy as np

from ...tensor import Tensor


def _get_seq_len(src: Tensor, batch_first: bool) -> int:
    if src.dim() == 2:  # unbatched (S, E)
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _canonical_mask(mask, mask_name: str, other_type, other_name: str, target_dtype,
                    check_other: bool = True):
    """A bool mask as an additive float mask of the input's dtype (True -> -inf); float masks
    pass through. PyTorch's assertion for other dtypes, its warning for mixed mask types."""
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind not in "bf":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask._data.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=2)
    if kind == "b":
        arr = np.where(mask._data, -np.inf, 0.0).astype(target_dtype)
        return Tensor._make(arr, False, None)
    return mask


def _dtype_of(mask):
    return None if mask is None else mask._data.dtype


def _detect_is_causal_mask(mask, is_causal=None, size=None) -> bool:
    """is_causal as given; when None, whether mask equals the square subsequent mask."""
    if is_causal is not None or mask is None:
        return is_causal is True
    sz = size if size is not None else mask.shape[-2]
    if tuple(mask.shape) != (sz, sz):
        return False
    causal = np.triu(np.full((sz, sz), -np.inf), 1)
    return bool(np.all(mask._data == causal))
