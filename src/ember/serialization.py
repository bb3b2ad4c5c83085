"""``ember.save`` / ``ember.load``: safetensors checkpoints, and PyTorch's loading rule.

A checkpoint is a safetensors file: tensors as raw little-endian bytes, and everything else
(the nesting of dicts and lists, numbers, strings, bools, None) as JSON in the header's
``__metadata__``. Loading such a file parses JSON and copies bytes, so it never runs code. A
flat dict of tensors (a model's ``state_dict``) is stored under its own keys, so PyTorch reads
it with ``safetensors.torch.load_file`` and ``load_state_dict``.

An object JSON cannot hold (a whole Module, an optimizer, a custom class, a NumPy array) is
pickled into the metadata instead, its tensors still in the safetensors data (see
``_serialization_pickle.py``). As ``torch.load`` since PyTorch 2.6, ``load`` runs such a pickle
only with ``weights_only=False``, or under ``weights_only=True`` when every global it names was
allowlisted with ``add_safe_globals`` / ``safe_globals``; otherwise it raises PyTorch's error.

``load`` also reads PyTorch's ``torch.save`` zip checkpoints (see ``_torch_checkpoint.py``):
tensors and containers through an allowlist, never run; whole objects under the same rule as
above, ``torch.X`` globals becoming ember's ``ember.X``. A plain (legacy) pickle file is refused.

Writes are atomic: the file is written to a temporary name in the same folder, flushed to disk,
then renamed over the target, so a crash mid-write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from collections import OrderedDict

import numpy as np

from . import _serialization_args as _A, _serialization_views as _V
from ._serialization_encode import _NotPlain, _encode, _encode_tensor
from .tensor import Tensor

_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
           "I8": "i1", "U8": "u1", "BOOL": "?"}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
_V._CODES.update(_CODES)
_V._DTYPES.update(_DTYPES)
_MAX_HEADER = 100 * 1024 * 1024
_FORMAT = "ember.checkpoint.v1"
_PICKLED = "ember.pickle.v1"  # metadata: the pickle (base64) and its tensors' nodes (JSON)


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be loaded (truncated, corrupted, or not ember's format)."""


# ---- saving ---------------------------------------------------------------------------------
def _header_and_blob(obj, pickle_module=None, pickle_protocol=None) -> tuple[bytes, list]:
    tensors: dict = {}
    nodes: dict = {}
    try:
        structure, meta = _encode(obj, "", tensors), {"format": _FORMAT}
        _V.collect_nodes(structure, nodes)
    except _NotPlain:  # a Module, an optimizer, a custom class...: pickled, tensors kept out
        meta = None
    if meta is None:  # outside the except: a pickling error must not chain onto _NotPlain
        import base64

        from ._serialization_pickle import dumps

        tensors, nodes = {}, {}

        def ref(t) -> str:
            node = _encode_tensor(t, str(len(nodes)), tensors)
            if "__tensor__" in node:
                nodes[node["__tensor__"]] = node
                return node["__tensor__"]
            return node["__same__"]

        blob = dumps(obj, ref, pickle_module, pickle_protocol)
        meta = {"format": _PICKLED, "pickle": base64.b64encode(blob).decode("ascii")}
    tensors.pop("\0memo", None)
    storages = _V.views(tensors, nodes)  # fills the nodes of views in (storage, strides...)
    if meta["format"] == _PICKLED:
        meta["tensors"] = json.dumps(nodes)
    else:
        meta["structure"] = json.dumps(structure)
    header, chunks, offset = {}, [], 0
    for name, t in [*tensors.items(), *storages.items()]:
        arr = np.asarray(t if isinstance(t, np.ndarray) else t._data)
        arr = arr if arr.flags.c_contiguous else arr.copy(order="C")  # keeps 0-d as 0-d
        if arr.dtype not in _CODES:
            raise TypeError(f"ember.save: unsupported dtype {arr.dtype} for tensor '{name}'")
        data = arr.astype(_DTYPES[_CODES[arr.dtype]], copy=False).tobytes()
        header[name] = {"dtype": _CODES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = meta
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # safetensors aligns the data section to 8 bytes
    return struct.pack("<Q", len(raw)) + raw, chunks


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Write ``obj`` to the path ``f``, atomically. Tensors, state_dicts and nested containers
    are stored pickle-free; anything else (a whole model) is pickled, as ``torch.save`` does.

    ``f`` may also be a binary file object (``io.BytesIO``); that write is not atomic.
    """
    _A.check_save_target(f)
    head, chunks = _header_and_blob(obj, pickle_module, pickle_protocol)
    if not _A.is_path(f):  # a file object: written as PyTorch's writer does, in memoryviews
        f.write(memoryview(head))
        for c in chunks:
            f.write(memoryview(c))
        return
    path = os.fspath(f)
    if path.endswith(os.sep):  # 'checkpoints/': no file name
        raise RuntimeError("[enforce fail at inline_container.cc:720] . invalid file name: "
                           + path)
    parent = path.rpartition(os.sep)[0]  # as PyTorch cuts it (the temporary file needs it too)
    if parent and not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")
    if os.path.isdir(path):  # a save_dir without the file name: PyTorch's zip writer says
        raise RuntimeError("[enforce fail at inline_container.cc:747] . open file failed "
                           "with strerror: Is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(head)
            for c in chunks:
                out.write(c)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# ---- loading --------------------------------------------------------------------------------
def _fail(path, what) -> CheckpointError:
    return CheckpointError(f"cannot load '{path}': {what}")


def _sniff(path, data: bytes) -> None:
    # A safetensors header length like 640 (0x280) also starts with b"\x80\x02"; its JSON
    # header's "{" right after the 8-byte length tells the two apart.
    if data[8:9] == b"{":
        return
    if data[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"):
        raise _fail(path, "it is a plain pickle file (PyTorch's legacy format), which ember "
                          "does not read. Convert it with PyTorch: "
                          "safetensors.torch.save_file(torch.load(p), 'model.safetensors').")


def _read_header(path, data: bytes) -> tuple[dict, int]:
    if len(data) < 8:
        raise _fail(path, f"the file is truncated ({len(data)} bytes; a checkpoint starts with "
                          "an 8-byte header length)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or 8 + n > len(data):
        raise _fail(path, f"the header claims {n} bytes but the file has {len(data) - 8} after "
                          "the length field: the file is truncated or not a safetensors file")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _fail(path, f"the header is not valid JSON ({e}): the file is corrupted") from None
    if not isinstance(header, dict):
        raise _fail(path, "the header is not a JSON object")
    return header, 8 + n


def _tensor_from(path, name, info, data: bytes, start: int):
    try:
        code, shape, (a, b) = info["dtype"], info["shape"], info["data_offsets"]
        dt = np.dtype(_DTYPES[code])
        shape = tuple(int(s) for s in shape)
    except (KeyError, TypeError, ValueError):
        raise _fail(path, f"tensor '{name}' has a malformed entry {info!r}") from None
    if any(s < 0 for s in shape) or not (0 <= a <= b <= len(data) - start):
        raise _fail(path, f"tensor '{name}' points outside the file (offsets {a}..{b}, data "
                          f"section {len(data) - start} bytes): the file is truncated")
    count = int(np.prod(shape, dtype=np.int64))
    if count * dt.itemsize != b - a:
        raise _fail(path, f"tensor '{name}' has {b - a} bytes but shape {list(shape)} of "
                          f"{code} needs {count * dt.itemsize}")
    arr = np.frombuffer(data, dtype=dt, count=count, offset=start + a).reshape(shape)
    return arr.astype(dt.newbyteorder("="), copy=True)


def _decode_tensor(path, node, tensors: dict):
    name = node["__tensor__"]
    if "storage" in node:
        arr = _V.view_array(path, node, tensors, _fail)
    elif name in tensors:
        arr = tensors[name]
    else:
        raise _fail(path, f"the structure refers to a missing tensor '{name}'")
    t = Tensor._make(arr, False, None)
    if node.get("parameter"):
        from .nn.parameter import Parameter

        t = Parameter(t, requires_grad=bool(node.get("requires_grad")))
    elif node.get("requires_grad"):
        t.requires_grad_(True)
    tensors.setdefault("\0memo", {})[name] = t
    return t


def _decode_key(path, key, tensors: dict):
    if isinstance(key, dict) and "__key__" in key:
        return _decode(path, key["__key__"], tensors)
    return key


_TAGGED = {
    "__float__": lambda path, v, ts: float(v),
    "__size__": lambda path, v, ts: __import__("ember")._size_device.Size(v),
    "__device__": lambda path, v, ts: __import__("ember")._size_device.device(v),
    "__dtype__": lambda path, v, ts: getattr(__import__("ember"), v),
    "__complex__": lambda path, v, ts: complex(*(_decode(path, x, ts) for x in v)),
    "__bytes__": lambda path, v, ts: bytes.fromhex(v),
    "__set__": lambda path, v, ts: {_decode(path, x, ts) for x in v},
    "__frozenset__": lambda path, v, ts: frozenset(_decode(path, x, ts) for x in v),
    "__same__": lambda path, v, ts: ts["\0memo"][v],
}


def _decode(path, node, tensors: dict):
    if isinstance(node, dict):
        if "__tensor__" in node:
            return _decode_tensor(path, node, tensors)
        for tag, fn in _TAGGED.items():
            if tag in node:
                try:
                    return fn(path, node[tag], tensors)
                except (KeyError, TypeError, ValueError, AttributeError) as err:
                    raise _fail(path, f"malformed {tag} entry ({err})") from None
        if "__dict__" in node:
            return {_decode_key(path, k, tensors): _decode(path, v, tensors)
                    for k, v in node["__dict__"]}
        if "__odict__" in node:
            out = OrderedDict((_decode_key(path, k, tensors), _decode(path, v, tensors))
                              for k, v in node["__odict__"])
            for k, v in _decode(path, node.get("__attrs__", {"__dict__": []}), tensors).items():
                setattr(out, k, v)
            return out
        if "__list__" in node:
            return [_decode(path, v, tensors) for v in node["__list__"]]
        if "__tuple__" in node:
            return tuple(_decode(path, v, tensors) for v in node["__tuple__"])
        raise _fail(path, f"unknown structure entry {sorted(node)}")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    raise _fail(path, f"unexpected structure value of type {type(node).__name__}")


def _load_torch(path, data: bytes):
    import pickle
    import zipfile

    from ._torch_checkpoint import load_torch_zip

    try:
        return load_torch_zip(data)
    except pickle.UnpicklingError as err:
        if str(err).startswith("it refers to "):  # a global beyond tensors and containers:
            from ._serialization_pickle import load_torch_restricted  # PyTorch's rule decides

            return load_torch_restricted(data)
        raise _fail(path, f"it is a PyTorch checkpoint (torch.save), but {err}") from None
    except (zipfile.BadZipFile, KeyError, EOFError, ValueError) as err:
        raise _fail(path, f"it is a zip file but not a readable PyTorch checkpoint ({err}): "
                          "the file is truncated or corrupted") from None


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Read a checkpoint from path (or file) ``f``: one written by ``ember.save`` (or any
    safetensors file), or PyTorch's ``torch.save`` zip format.

    As ``torch.load`` (PyTorch 2.6+), ``weights_only`` is True unless set otherwise (or through
    ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``): tensors, Parameters, containers and numbers load,
    and a pickled object (a whole model) loads only if its globals were marked safe with
    ``add_safe_globals`` / ``safe_globals``; otherwise PyTorch's error says how. With
    ``weights_only=False`` the pickle runs as it would in PyTorch: only for trusted files."""
    from ._serialization_pickle import resolve_weights_only

    weights_only = resolve_weights_only(weights_only, pickle_module)
    _A.warn_pickle_args(pickle_load_args, weights_only)
    _A.check_load_source(f)
    if not _A.is_path(f):
        path, data = getattr(f, "name", "<file object>"), f.read()
    else:
        path = os.fspath(f)
        with open(path, "rb") as fh:
            data = fh.read()
    if not data:
        raise _nothing_to_load(f, weights_only, mmap)
    _A.check_pickle_args(pickle_load_args, weights_only)
    _A.check_mmap_source(f, mmap)
    result = _load_data(path, data, weights_only, pickle_module)
    if map_location is not None or data[:4] == b"PK\x03\x04":  # a GPU checkpoint's tags
        from ._map_location import check

        check(map_location, data)  # CPU-only: a storage restored off the CPU fails
    return result


def _nothing_to_load(f, weights_only, mmap) -> Exception:
    """PyTorch's error for an empty file, or a file object already read to its end (the
    common ``torch.save(sd, buf)`` then ``torch.load(buf)`` without ``buf.seek(0)``): not a
    zip, so mmap is refused; otherwise its unpickler runs out of input (the weights-only one
    raises a bare EOFError, pickle's own says 'Ran out of input')."""
    if mmap:
        f_name = f"{f}, " if isinstance(f, str) else ""
        return RuntimeError("mmap can only be used with files saved with "
                            f"`torch.save({f_name}_use_new_zipfile_serialization=True), please "
                            "torch.save your checkpoint with this option in order to use mmap.")
    hint = ("\n(ember: nothing to load: the file object is at its end; after torch.save(obj, "
            "buf), call buf.seek(0) before torch.load(buf))" if hasattr(f, "read") else
            "\n(ember: nothing to load: the file is empty, 0 bytes)")
    return EOFError(hint) if weights_only else EOFError("Ran out of input" + hint)


def _load_data(path, data: bytes, weights_only: bool, pickle_module):
    if data[:4] == b"PK\x03\x04":  # torch.save's zip format
        if not weights_only:
            from ._serialization_pickle import load_torch_whole

            return load_torch_whole(data, pickle_module)
        return _load_torch(path, data)  # read by an allowlist, never run (see there)
    _sniff(path, data)
    header, start = _read_header(path, data)
    meta = header.pop("__metadata__", None) or {}
    tensors = {name: _tensor_from(path, name, info, data, start)
               for name, info in header.items()}
    if meta.get("format") == _PICKLED:
        from ._serialization_pickle import load_pickled

        return load_pickled(path, meta, tensors, weights_only, pickle_module)
    if meta.get("format") != _FORMAT:
        # A plain safetensors file (e.g. from PyTorch): a flat dict of tensors.
        return {k: Tensor._make(v, False, None) for k, v in tensors.items()}
    try:
        structure = json.loads(meta["structure"])
    except (KeyError, TypeError, json.JSONDecodeError):
        raise _fail(path, "the metadata's structure is missing or corrupted") from None
    return _decode(path, structure, tensors)


# torch.serialization's allowlist API, for weights_only=True loads of pickled objects
from ._serialization_pickle import (  # noqa: E402
    add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals)

__all__ = ["save", "load", "CheckpointError", "add_safe_globals", "clear_safe_globals",
           "get_safe_globals", "safe_globals"]
