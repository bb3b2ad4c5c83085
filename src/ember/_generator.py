"""``torch.Generator``: the seeded stream behind every sampler in ``random.py``.

A Mersenne Twister seeded as PyTorch seeds it, whose state reads and writes as PyTorch's
5056-byte ``CPUGeneratorImplState``, so states pass between ember and PyTorch. The samplers
that turn its output into values stay in ``random.py``, which re-exports this class
(``ember.random.Generator``, its ``__module__``); it lives apart only to keep that file short.
"""

from __future__ import annotations

import os
import struct

import numpy as np

from . import _torch_rng as _T
from ._random_checks import generator_device_error
from .tensor import Tensor

_DEFAULT_SEED = 67280421310721  # a new Generator()'s seed, as in PyTorch
_STATE_BYTES = 5056  # sizeof(CPUGeneratorImplState): PyTorch's layout, kept byte for byte


class Generator:
    """A seeded random stream (``torch.Generator``)."""

    def __init__(self, device="cpu"):
        from .tensor import device as Device

        d = device if isinstance(device, Device) else Device(device)
        if d.type != "cpu":  # PyTorch's errors on a CPU-only build
            raise generator_device_error(d.type)
        self.device = d
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        if not isinstance(seed, int):  # PyTorch 2.13 also refuses NumPy integers here
            raise TypeError("an integer is required")
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF  # a negative seed wraps, as in PyTorch
        self._bits = None  # made on the first draw: numpy.random alone takes ~10 ms to import
        self._rng = None
        self._next_normal = None  # the second value of a scalar Box-Muller pair
        return self

    @property
    def bits(self):
        """The Mersenne Twister (NumPy's MT19937 bit generator) behind this stream."""
        if self._bits is None:
            self._bits = _T.mt19937(self._seed)
        return self._bits

    @property
    def rng(self) -> np.random.Generator:
        """NumPy's samplers on this stream, for draws PyTorch's rules do not cover."""
        if self._rng is None:
            self._rng = np.random.Generator(self.bits)
        return self._rng

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The stream's state as PyTorch's 5056-byte CPUGeneratorImplState (a uint8 tensor):
        interchangeable with ``torch.get_rng_state()``'s."""
        st = self.bits.state["state"]
        key, pos = st["key"], int(st["pos"])
        # PyTorch counts (left, next): the next draw regenerates the block when left is 1.
        # A twister whose block is used up (pos 624) was either just seeded (next 0) or has
        # drawn all 624 words (next 624); only the key tells them apart.
        if pos == 624 and np.array_equal(key, _T.mt19937(self._seed).state["state"]["key"]):
            left, nxt = 1, 0
        else:
            left, nxt = 625 - pos, pos
        cached = self._next_normal
        blob = b"".join([struct.pack("<QiiQ", self._seed, left, 1, nxt),
                         key.astype("<u8").tobytes(),
                         struct.pack("<dddi4x", 0.0, cached or 0.0, 0.0, cached is not None),
                         struct.pack("<f?3x", 0.0, False)])
        return Tensor._make(np.frombuffer(blob, np.uint8).copy(), False, None)

    def set_state(self, new_state: Tensor) -> "Generator":
        """Restore a state from ``get_state()``, ember's or PyTorch's."""
        if not isinstance(new_state, Tensor):  # e.g. np.random.get_state()'s tuple
            from ._typename import arg_type_name

            raise TypeError(f"expected a torch.ByteTensor, but got {arg_type_name(new_state)}")
        blob = new_state._data
        if blob.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if blob.size != _STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but "
                               f"found the input RNG state size to be {blob.size}")
        raw = np.ascontiguousarray(blob).reshape(-1).tobytes()
        seed, left, _, nxt = struct.unpack_from("<QiiQ", raw, 0)
        key = np.frombuffer(raw, "<u8", 624, 24).astype(np.uint32)
        _, normal_y, _, has_normal = struct.unpack_from("<dddi", raw, 24 + 624 * 8)
        self.manual_seed(seed)
        self.bits.state = {"bit_generator": "MT19937",
                           "state": {"key": key, "pos": 624 if left == 1 else nxt}}
        self._next_normal = normal_y if has_normal else None
        return self


Generator.__module__ = "ember.random"  # its public home (reprs, pickles), as before the split
