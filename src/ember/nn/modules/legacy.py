"""PyTorch's legacy module names: Container (deprecated; Module does all it did) and NLLLoss2d
(NLLLoss under its old name for image-shaped inputs)."""

from __future__ import annotations

import warnings
from typing import Any

from .loss import NLLLoss
from .module import Module


def _deprecated() -> None:
    warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented "
                  "in `nn.Module`. Subclass that instead.", FutureWarning, stacklevel=3)


class Container(Module):
    """Deprecated: a Module whose keyword arguments become its submodules. Warns when made
    directly or subclassed (as PyTorch: a subclass's instances do not warn again)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        _deprecated()
        super().__init_subclass__(**kwargs)

    def __init__(self, **kwargs: Any) -> None:
        if type(self) is Container:
            _deprecated()
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)


def _nll2d_deprecated() -> None:
    from ..._warn import warn  # at the user's line

    warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in "
         "replacement and see https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss "
         "for more details.", FutureWarning)


class NLLLoss2d(NLLLoss):
    """NLLLoss (kept under its old name; the same arguments, the same loss). Deprecated: warns
    when made directly or subclassed (as PyTorch's @deprecated class)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        _nll2d_deprecated()
        super().__init_subclass__(**kwargs)

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:
        if type(self) is NLLLoss2d:
            _nll2d_deprecated()
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
