"""``torch.utils.deterministic.fill_uninitialized_memory``: scripts that turn on deterministic
algorithms set it (often to False, for speed). ember records it: its ``empty`` tensors are
zero-filled whatever the flag (PyTorch fills them with NaN / the largest integer while
deterministic algorithms are on; see README's Differences)."""

import sys
import types


class _Deterministic(types.ModuleType):
    _fill = True

    @property
    def fill_uninitialized_memory(self) -> bool:
        return type(self)._fill

    @fill_uninitialized_memory.setter
    def fill_uninitialized_memory(self, mode) -> None:
        if not isinstance(mode, bool):  # PyTorch's binding refuses ints too
            raise RuntimeError(f"expected a bool, but got {type(mode).__name__}")
        type(self)._fill = mode


sys.modules[__name__].__class__ = _Deterministic
