"""The JSON structure ``ember.save`` writes for a plain object (``_encode``).

Tensors, numbers, strings, None, and exact dicts, OrderedDicts, lists, tuples and sets of
them become JSON nodes, the tensors collected by name for the safetensors data section.
Anything else raises ``_NotPlain``, and ``serialization.py`` pickles the object instead. The
reading side (``_decode``) stays in ``serialization.py``; this half lives apart only to keep
that file short.
"""

from __future__ import annotations

import math
from collections import OrderedDict

from .tensor import Tensor


def _encode_tensor(obj, path: str, tensors: dict):
    """A tensor's node: its data goes into ``tensors`` once (the same tensor saved twice loads
    as one object, as pickle's memo gives); Parameters come back as Parameters."""
    memo = tensors.setdefault("\0memo", {})
    if id(obj) in memo:
        return {"__same__": memo[id(obj)][0]}
    name = path or "tensor"
    while name in tensors:  # {"a.b": x, "a": {"b": y}} would collide
        name += "_"
    tensors[name] = obj
    memo[id(obj)] = (name, obj)  # obj kept alive so its id is not reused
    node = {"__tensor__": name, "requires_grad": bool(obj.requires_grad)}
    from .nn.parameter import Parameter

    if isinstance(obj, Parameter):
        node["parameter"] = True
    return node


def _encode(obj, path: str, tensors: dict):
    """JSON-able structure for ``obj``; tensors are collected into ``tensors`` by name."""
    if isinstance(obj, Tensor):
        return _encode_tensor(obj, path, tensors)
    cls = type(obj)
    if obj is None or cls is bool or cls is str:
        return obj
    from . import dtypes as _dt
    from ._size_device import Size, device

    if isinstance(obj, Size):
        return {"__size__": [int(v) for v in obj]}
    if isinstance(obj, device):
        return {"__device__": str(obj)}
    if isinstance(obj, _dt.dtype):
        return {"__dtype__": str(obj).rsplit(".", 1)[-1]}
    if cls is complex:
        return {"__complex__": [_encode(obj.real, "", tensors), _encode(obj.imag, "", tensors)]}
    if cls is bytes:
        return {"__bytes__": obj.hex()}
    # Exact types only: a namedtuple, defaultdict, Counter, dict subclass, frozenset or NumPy
    # scalar is pickled, so it loads back as itself, and weights_only refuses it as PyTorch does.
    if cls is set:
        return {"__set__": [_encode(v, path, tensors) for v in obj]}
    if cls is int:
        return obj
    if cls is float:
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if cls is dict or cls is OrderedDict:
        items = []
        for k, v in obj.items():
            if isinstance(k, Tensor):
                raise _NotPlain  # pickled: tensor keys are hashed by identity
            key = k if type(k) is str or type(k) is int else \
                {"__key__": _encode(k, "", tensors)}
            items.append([key, _encode(v, f"{path}.{k}" if path else str(k), tensors)])
        # A state_dict is an OrderedDict: it loads back as one, as from torch.load, with its
        # _metadata (the modules' versions) and any other attributes.
        if cls is dict:
            return {"__dict__": items}
        node = {"__odict__": items}
        attrs = getattr(obj, "__dict__", None)
        if attrs:
            node["__attrs__"] = _encode(dict(attrs), "", tensors)
        return node
    if cls is list or cls is tuple:
        kind = "__tuple__" if cls is tuple else "__list__"
        return {kind: [_encode(v, f"{path}.{i}" if path else str(i), tensors)
                       for i, v in enumerate(obj)]}
    raise _NotPlain


class _NotPlain(Exception):
    """Raised by _encode for an object JSON cannot hold: the checkpoint pickles it instead."""
