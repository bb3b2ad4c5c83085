"""The dicts a Module keeps its parameters, buffers and children in.

Each entry is mirrored into the owning module's instance ``__dict__``, so ``self.weight`` is
an ordinary attribute hit instead of a trip through ``Module.__getattr__`` (about 60x
slower in CPython, and paid on every forward). The mirror is kept by the dict itself, so
code that edits ``module._parameters`` directly stays consistent. Names that the module's
class already defines (methods such as ``train``) are not mirrored: for those, attribute
lookup finds the class attribute first, exactly as in PyTorch.
"""

from __future__ import annotations

from ._hooks import EPOCH

_MISSING = object()


class Registry(dict):
    """An insertion-ordered name -> value dict that mirrors itself into ``owner.__dict__``."""

    __slots__ = ("_owner",)

    def __init__(self, owner=None, items=()) -> None:
        dict.__init__(self)
        self._owner = owner
        for k, v in items:
            self[k] = v

    def _mirror(self, key, value) -> None:
        EPOCH[0] += 1  # every change passes here or through _unmirror (see _hooks.EPOCH)
        owner = self._owner
        if owner is not None and not hasattr(type(owner), key):
            owner.__dict__[key] = value

    def _unmirror(self, key) -> None:
        EPOCH[0] += 1
        owner = self._owner
        if owner is not None:
            owner.__dict__.pop(key, None)

    def __setitem__(self, key, value) -> None:
        dict.__setitem__(self, key, value)
        self._mirror(key, value)

    def __delitem__(self, key) -> None:
        dict.__delitem__(self, key)
        self._unmirror(key)

    def pop(self, key, default=_MISSING):
        if key in self:
            self._unmirror(key)
            return dict.pop(self, key)
        if default is _MISSING:
            raise KeyError(key)
        return default

    def popitem(self):
        key, value = dict.popitem(self)
        self._unmirror(key)
        return key, value

    def clear(self) -> None:
        for key in list(self):
            self._unmirror(key)
        dict.clear(self)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)

    def update(self, *args, **kwargs) -> None:
        for k, v in dict(*args, **kwargs).items():
            self[k] = v

    def __reduce__(self):
        # Pickled and deep-copied as a plain dict; Module.__setstate__ rebuilds the mirror.
        return (dict, (dict(self),))
