"""Tensors that ``ember.save`` stores as views of a shared storage, as torch.save keeps them.

Tensors sharing memory with another saved tensor, part of a larger storage, or not contiguous,
are saved as (storage, dtype, shape, byte strides, byte offset) over their whole storage, which
is written once as raw bytes; loading rebuilds them as NumPy views of one buffer, so they share
memory again and keep their strides and storage offsets (a saved slice of a larger tensor keeps
all of it, as in torch.save). Everything else is saved compactly, tensor by tensor.
"""

from __future__ import annotations

import numpy as np

_CODES: dict = {}  # filled by serialization (dtype -> safetensors code)
_DTYPES: dict = {}


def _root_bytes(root: np.ndarray):
    """The bytes of the memory block an owning array holds, in memory order (or None)."""
    if not (root.flags.c_contiguous or root.flags.f_contiguous):
        return None
    return root.reshape(-1, order="A").view(np.uint8)


def views(tensors: dict, nodes: dict) -> dict:
    """Tensors that share memory with another saved tensor, or are not contiguous, are saved
    as views of their whole storage, saved once (as torch.save keeps storages): they load
    sharing memory again, with their strides and offsets. Returns {storage name: bytes}."""
    from ._storage import _root
    from ._storage_info import _address

    groups: dict = {}
    for name, t in tensors.items():
        arr = np.asarray(t._data)
        root = _root(arr)
        groups.setdefault(id(root), (root, []))[1].append((name, arr))
    storages = {}
    for root, members in groups.values():
        arr = members[0][1]
        if len(members) == 1 and (arr.size == 0 or arr.flags.c_contiguous
                                  and arr.size == root.size):
            continue  # a whole storage alone (a slice keeps all its storage, as in torch.save)
        raw = _root_bytes(root)
        if raw is None or root.dtype not in _CODES:
            continue
        sname = f"__storage__.{len(storages)}"
        storages[sname] = raw
        for name, arr in members:
            del tensors[name]
            nodes[name].update(storage=sname, dtype=_CODES[arr.dtype], shape=list(arr.shape),
                               offset=_address(arr) - _address(root), strides=list(arr.strides))
    return storages


def collect_nodes(node, nodes: dict) -> None:
    """The tensor nodes of an encoded structure, by tensor name."""
    if isinstance(node, dict):
        if "__tensor__" in node:
            nodes[node["__tensor__"]] = node
        for v in node.values():
            collect_nodes(v, nodes)
    elif isinstance(node, list):
        for v in node:
            collect_nodes(v, nodes)


def view_array(path, node, tensors: dict, fail) -> np.ndarray:
    """A tensor saved as a view of a storage: the same bytes, shape, strides and offset."""
    sname = node["storage"]
    if sname not in tensors:
        raise fail(path, f"the structure refers to a missing storage '{sname}'")
    raw = tensors[sname]
    try:
        dt = np.dtype(_DTYPES[node["dtype"]]).newbyteorder("=")
        shape, strides = tuple(node["shape"]), tuple(node["strides"])
        arr = np.ndarray(shape, dt, buffer=raw, offset=int(node["offset"]), strides=strides)
    except (KeyError, TypeError, ValueError) as err:
        raise fail(path, f"tensor '{node.get('__tensor__')}' is a malformed view of "
                          f"'{sname}' ({err})") from None
    if arr.dtype.byteorder == "=" and np.dtype("<f4").isnative:
        return arr
    raise fail(path, "views of storages are only read on little-endian machines")
