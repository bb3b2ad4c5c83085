"""``torch.utils.hooks``: the handle every ``register_*_hook`` returns (module, tensor,
autograd node and optimizer hooks alike), under the name user code imports it by
(``from torch.utils.hooks import RemovableHandle``)."""

from __future__ import annotations

import weakref
from typing import Any

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Returned by ``register_*_hook``: ``remove()`` (or leaving a ``with`` block) unhooks.

    Module hooks live in dicts keyed by the handle's ``id``; ``extra_dict`` lists other dicts
    (e.g. the "with kwargs" flags) to clean up alongside. Tensor and node hooks live in
    plain lists (the backward loop reads them in order): ``_in_list`` makes a handle that
    removes its function from such a list.
    """

    next_id: int = 0

    def __init__(self, hooks_dict: dict, *, extra_dict=None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        extras = [] if extra_dict is None else (
            [extra_dict] if isinstance(extra_dict, dict) else list(extra_dict))
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)
        self._list = None

    @classmethod
    def _in_list(cls, hooks: list, fn) -> "RemovableHandle":
        self = cls.__new__(cls)
        self.hooks_dict_ref, self.extra_dict_ref = (lambda: None), ()
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        self._list, self._fn = hooks, fn
        return self

    def remove(self) -> None:
        if self._list is not None:
            if self._fn in self._list:
                self._list.remove(self._fn)
            return
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()
