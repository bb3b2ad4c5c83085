"""Variable-length sequences for the recurrent layers (``torch.nn.utils.rnn``).

A PackedSequence stores the sequences of a batch time-major, one row per (step, sequence)
that exists: step t holds batch_sizes[t] rows, the sequences sorted longest first. Packing
and padding are each a single differentiable gather of rows (the padding value is appended
as one extra row that every padded position points to), so gradients flow back to the
padded input or the packed data with no special rule; around it, PyTorch's sort, transpose
and unsort steps, so grad_fn shows PyTorch's names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from ... import creation as _creation
from ... import ops as _ops
from ...ops.indexing import AdvancedIndex
from ...tensor import Tensor


class _PackPadded(AdvancedIndex):
    """data = padded[t, b] over the live (step, sequence) pairs; AdvancedIndex's rule."""
    node_name = "PackPaddedSequenceBackward0"


class _PadCopy(AdvancedIndex):
    """Padded rows gathered from [rows; padding]; PyTorch copies into slices of a new
    tensor, hence its node name."""
    node_name = "CopySlices"


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def _long(values) -> Tensor:
    return Tensor._make(np.array(values, dtype=np.int64), False, None)


def _bool(values) -> Tensor:
    return Tensor._make(np.asarray(values, dtype=np.bool_), False, None)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation (None stays None)."""
    if permutation is None:
        return None
    perm = np.asarray(permutation.detach().numpy(), dtype=np.int64)
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size)
    return _long(inverse)


class PackedSequence(_PackedFields):
    """(data, batch_sizes, sorted_indices, unsorted_indices): made by pack_padded_sequence or
    pack_sequence and accepted by RNN, LSTM and GRU in place of a padded batch."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), sorted_indices)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data: Tensor) -> PackedSequence:
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """data.to(...); the index tensors stay on the CPU, as PyTorch keeps batch_sizes."""
        return self._with_data(self.data.to(*args, **kwargs))

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self._with_data(self.data.cpu(*args, **kwargs))

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self._with_data(self.data.cuda(*args, **kwargs))

    def pin_memory(self) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self._with_data(self.data.double())

    def float(self) -> PackedSequence:
        return self._with_data(self.data.float())

    def half(self) -> PackedSequence:
        return self._with_data(self.data.half())

    def long(self) -> PackedSequence:
        return self._with_data(self.data.long())

    def int(self) -> PackedSequence:
        return self._with_data(self.data.int())

    def short(self) -> PackedSequence:
        return self._with_data(self.data.short())

    def char(self) -> PackedSequence:
        return self._with_data(self.data.char())

    def byte(self) -> PackedSequence:
        return self._with_data(self.data.byte())

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        lengths = lengths.detach().numpy()
    return np.asarray(lengths).astype(np.int64).reshape(-1)


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """batch_sizes[t] = how many (sorted, decreasing) lengths exceed t."""
    return (lengths[None, :] > np.arange(lengths[0])[:, None]).sum(1)


def _check_lengths(lengths: np.ndarray, batch: int, steps: int) -> None:
    if lengths.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.size} (batch_size={batch})")
    if batch and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if np.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                           "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                           "pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    if batch and lengths[0] > steps:  # PyTorch reads past the input here; we refuse
        raise RuntimeError(f"Expected all lengths to be at most the padded length {steps}, "
                           f"but got {int(lengths[0])}")


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T x B x * or B x T x *) of sequences with the given lengths."""
    dims = np.ndim(lengths.detach().numpy() if isinstance(lengths, Tensor) else lengths)
    if dims > 1 and not enforce_sorted:  # PyTorch sorts first; its indices are then 2-D
        raise IndexError("index_select(): Index is supposed to be a vector")
    if dims != 1:
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{dims}D cpu Long tensor")
    lens = _lengths_array(lengths)
    order = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
    if input.dim() < 2:
        raise RuntimeError("Cannot pack empty tensors.")
    if order is not None:  # sort the batch first, as PyTorch (an IndexSelectBackward0 step);
        # fewer lengths than sequences keep only those rows there, so here too
        input = input.index_select(0 if batch_first else 1, _long(order))
    batch, steps = (input.shape[0], input.shape[1]) if batch_first else input.shape[1::-1]
    _check_lengths(lens, batch, steps)
    sizes = _batch_sizes(lens)
    # Row (t, b) of the packed data is element (t, b) of the sorted padded input.
    t = np.repeat(np.arange(sizes.size), sizes)
    b = np.concatenate([np.arange(n) for n in sizes]) if sizes.size else t
    data = _PackPadded.apply(input, (b, t) if batch_first else (t, b))
    return PackedSequence(data, _long(sizes), None if order is None else _long(order), None)


def _pad_rows(rows: Tensor, index: np.ndarray, padding_value) -> Tensor:
    """rows gathered by index, where index == len(rows) means the padding value."""
    pad = _creation.full((1,) + tuple(rows.shape[1:]), padding_value, dtype=rows.dtype)
    return _PadCopy.apply(_ops.cat([rows, pad]), (index,))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """Inverse of pack_padded_sequence: (padded batch, lengths as an int64 tensor)."""
    sizes = np.asarray(sequence.batch_sizes.detach().numpy(), dtype=np.int64)
    steps = sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and "
                             f"max sequence length being {steps}")
        steps = total_length
    batch = int(sizes[0])
    lengths = (sizes[:, None] > np.arange(batch)[None, :]).sum(0)  # sorted order
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    t, b = np.arange(steps)[:, None], np.arange(batch)[None, :]
    index = np.where(t < lengths[None, :], starts[np.minimum(t, sizes.size - 1)] + b,
                     sizes.sum())
    # PyTorch's steps (and grad_fn names): pad time-major, transpose, then unsort the batch
    padded = _pad_rows(sequence.data, index, padding_value)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        perm = np.asarray(sequence.unsorted_indices.detach().numpy(), dtype=np.int64)
        padded = padded.index_select(0 if batch_first else 1, _long(perm))
        lengths = lengths[perm]
    return padded, _long(lengths)


def _as_sequences(sequences) -> tuple:
    if isinstance(sequences, Tensor):
        return tuple(sequences.unbind(0))
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    return tuple(sequences)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences (L_i x *) into T x B x * (B x T x * if batch_first), padding each to
    the longest with padding_value on padding_side ('right' or 'left')."""
    seqs = _as_sequences(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError("Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    for i, s in enumerate(seqs):
        if not isinstance(s, Tensor):  # (a list of token-id lists: PyTorch's parser error)
            from ..._typename import arg_type_name

            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{arg_type_name(s)}")
    first = seqs[0]
    if first.dim() == 0:  # (PyTorch slices its sizes for the trailing dims)
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    trailing = tuple(first.shape[1:])
    if any(s.dim() == 0 or tuple(s.shape[1:]) != trailing for s in seqs):
        seqs = tuple(_fit_slot(s, trailing) for s in seqs)
    lengths = np.array([s.shape[0] for s in seqs], dtype=np.int64)
    steps = int(lengths.max())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(steps)[:, None]
    if padding_side == "left":
        t = t - (steps - lengths)[None, :]
    live = (t >= 0) & (t < lengths[None, :])
    index = np.where(live, starts[None, :] + t, lengths.sum())
    rows = _ops.cat([s.to(first.dtype) for s in seqs])
    return _pad_rows(rows, index.T if batch_first else index, padding_value)


def _fit_slot(s: Tensor, trailing: tuple) -> Tensor:
    """``s`` broadcast to its slot (len, *trailing), as PyTorch's copy into the padded
    output broadcasts it; its errors where that fails. The slot's length is s's first size
    (a 0-d s has none: PyTorch's own error)."""
    if s.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dst = (s.shape[0],) + trailing
    nd = max(len(dst), s.dim())
    a, b = (1,) * (nd - len(dst)) + dst, (1,) * (nd - s.dim()) + tuple(s.shape)
    out = []
    for d, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {d}")
        out.append(y if x == 1 else x)
    if tuple(out) != dst:
        raise RuntimeError(f"output with shape {list(dst)} doesn't match the broadcast shape "
                           f"{out}")
    return s.expand(dst)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list:
    """The list of unpadded sequences of a (right-)padded batch. Time-major input is
    transposed in place, as PyTorch does: the caller's tensor is batch-major afterwards."""
    padded = padded_sequences if batch_first else padded_sequences.transpose_(0, 1)
    steps = np.arange(padded.shape[1])
    # a boolean mask, as PyTorch (grad_fn IndexBackward0)
    return [seq[_bool(steps < n)]
            for seq, n in zip(padded, _lengths_array(lengths), strict=True)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i x *): pad_sequence, then pack_padded_sequence."""
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences in a PackedSequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
