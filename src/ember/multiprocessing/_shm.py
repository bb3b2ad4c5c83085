"""Shared memory for tensors: ``share_memory_()`` and passing tensors between processes.

Memory comes from *arenas*: anonymous files (``memfd_create``) mapped MAP_SHARED. They have no
name in /dev/shm, so nothing can leak there and Python's resource_tracker is not involved; the
kernel frees an arena when the last process maps it no more. One arena holds many tensors
(bump allocation, never reused), so a model with its optimizer state costs a few descriptors,
not two per tensor. A forked child sees the same pages; to reach a spawned child, or any
process through a Queue, an arena is pickled as a duplicate of its file descriptor
(multiprocessing's ``DupFd``, as PyTorch's "file_descriptor" strategy does).

Moving a tensor in place: NumPy cannot re-point an array at other memory, so every ember
Tensor viewing the old memory gets a new array at the same offset and strides in the arena
(found by a scan of live objects, skipped when the memory has no other user). NumPy arrays the
user took out with ``.numpy()`` keep the old memory; PyTorch leaves them dangling.
"""

from __future__ import annotations

import gc
import mmap
import os
import sys
import threading
import weakref
from multiprocessing import reduction

import numpy as np

from ..tensor import Tensor

_ARENA_BYTES = 1 << 24  # virtual size; memfd pages cost memory only once written
_ALIGN = 64


class _Arena(mmap.mmap):
    """A MAP_SHARED mapping of a memfd; ``fd`` is kept open to pass it to other processes."""

    def __new__(cls, fd: int, size: int, key: tuple):
        self = super().__new__(cls, fd, size)
        self.fd, self.key = fd, key
        weakref.finalize(self, os.close, fd)
        return self


_lock = threading.Lock()
_state = {"arena": None, "pos": 0, "serial": 0}
_received: "weakref.WeakValueDictionary[tuple, _Arena]" = weakref.WeakValueDictionary()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    _state["arena"] = None  # the parent keeps handing out its free space: not ours to use


os.register_at_fork(after_in_child=_after_fork_in_child)


def _anonymous_fd() -> int:
    """A file descriptor of a new file no path names: a memfd on Linux; elsewhere (macOS, the
    BSDs have no memfd_create) a temporary file unlinked at once, which serves the same."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("ember_shm", os.MFD_CLOEXEC)
    import tempfile

    fd, path = tempfile.mkstemp(prefix="ember_shm_")
    os.unlink(path)
    return fd


def _new_arena(size: int) -> _Arena:
    fd = _anonymous_fd()
    os.ftruncate(fd, size)
    _state["serial"] += 1
    return _Arena(fd, size, (os.getpid(), _state["serial"]))


def _alloc(nbytes: int) -> tuple[_Arena, int]:
    """(arena, byte offset) of ``nbytes`` fresh shared bytes."""
    size = max(_ALIGN, -(-nbytes // _ALIGN) * _ALIGN)
    with _lock:
        arena = _state["arena"]
        if arena is None or _state["pos"] + size > len(arena):
            arena = _state["arena"] = _new_arena(max(size, _ARENA_BYTES))
            _state["pos"] = 0
        at = _state["pos"]
        _state["pos"] = at + size
    return arena, at


def _addr(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _owner(a: np.ndarray):
    """The object at the end of a NumPy array's base chain, and the last array on it."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a, a.base


def arena_of(a) -> _Arena | None:
    if type(a) is not np.ndarray:
        return None
    base = _owner(a)[1]
    return base if isinstance(base, _Arena) else None


def _in_arena(arena: _Arena, offset: int, like: np.ndarray) -> np.ndarray:
    return np.ndarray(like.shape, like.dtype, buffer=arena, offset=offset, strides=like.strides)


def _group_by_root(tensors) -> dict:
    """id(root array) -> [root, tensors on it] for the tensors not shared yet."""
    roots: dict[int, list] = {}
    for t in tensors:
        d = t._ensure_array()
        if arena_of(d) is not None:
            continue  # already shared: a no-op, as in PyTorch
        root = _owner(d)[0]
        if not (root.flags.c_contiguous or root.flags.f_contiguous):
            raise RuntimeError("share_memory_(): ember cannot move this tensor's memory to "
                               "shared memory (its NumPy base array is not contiguous); "
                               "share a .clone() of it instead")
        users = roots.setdefault(id(root), [root, []])[1]
        if all(t is not u for u in users):
            users.append(t)
    return roots


def _excess_refs(entry: list) -> int:
    """References to entry's root array beyond the entry and the tensors holding it directly."""
    return sys.getrefcount(entry[0]) - sum(u._data is entry[0] for u in entry[1])


_BASE_REFS = _excess_refs([np.zeros(1), []])  # the count when nothing else refers to it


def _has_other_users(entry: list) -> bool:
    # A view (a Tensor's or the user's) refers to its root array: then the slow scan.
    return any(u._data is not entry[0] for u in entry[1]) or _excess_refs(entry) > _BASE_REFS


def share_tensors(tensors) -> None:
    """Move the memory of each tensor (and of every Tensor viewing it) to shared memory."""
    roots = _group_by_root(tensors)
    if not roots:
        return
    if any(_has_other_users(entry) for entry in roots.values()):
        for obj in gc.get_objects():
            # (getattr: a half-built Tensor, one whose subclass __init__ raised, has no data;
            # type(), not isinstance: a weakref.proxy whose object died raises ReferenceError
            # when asked its __class__)
            if issubclass(type(obj), Tensor) and type(getattr(obj, "_data", None)) is np.ndarray:
                entry = roots.get(id(_owner(obj._data)[0]))
                if entry is not None and all(obj is not u for u in entry[1]):
                    entry[1].append(obj)
    for root, users in roots.values():
        arena, at = _alloc(root.nbytes)
        moved = _in_arena(arena, at, root)
        moved[...] = root
        start = _addr(root)
        for u in users:
            # Views stay NumPy views of the moved root, so storage_offset, untyped_storage
            # and save's view detection (all read the base chain) still see one storage.
            u._data = moved if u._data is root else _in_arena(moved, _addr(u._data) - start,
                                                               u._data)


# ---- pickling (multiprocessing's ForkingPickler: Process arguments, Queues, Pipes) ----------
def _reduce_arena(arena: _Arena):
    return _rebuild_arena, (arena.key, len(arena), reduction.DupFd(arena.fd))


def _rebuild_arena(key: tuple, size: int, dupfd) -> _Arena:
    fd = dupfd.detach()  # always take the descriptor, so the sender's copy is released
    known = _received.get(key)
    if known is not None:
        os.close(fd)
        return known
    arena = _received[key] = _Arena(fd, size, key)
    return arena


_NON_LEAF = ("Cowardly refusing to serialize non-leaf tensor which requires_grad, since "
             "autograd does not support crossing process boundaries.  If you just want to "
             "transfer the data, call detach() on the tensor before serializing (e.g., "
             "putting it on the queue).")


def _reduce_tensor(t: Tensor):
    """As PyTorch: a tensor sent to another process is first moved to shared memory."""
    if t._rg and t.grad_fn is not None:
        raise RuntimeError(_NON_LEAF)
    share_tensors([t])
    d = t._data
    root, arena = _owner(d)
    at = _addr(root) - _addr(np.frombuffer(arena, np.uint8, count=0))
    where = (at, root.shape, root.strides, root.dtype)  # the storage: rebuilt once per process
    return _rebuild_tensor, (type(t), arena, where, _addr(d) - _addr(root), d.shape, d.strides,
                             d.dtype, t._rg)


_roots: "weakref.WeakValueDictionary[tuple, np.ndarray]" = weakref.WeakValueDictionary()


def _rebuild_tensor(cls, arena, where, offset, shape, strides, dtype, requires_grad):
    # Tensors received from one storage view one root array here too (as PyTorch's storage
    # cache gives): their storage_offset, untyped_storage and view relations match the sender's.
    key = (arena.key, where[0], where[1], where[2], where[3].str)
    root = _roots.get(key)
    if root is None:
        root = _roots[key] = np.ndarray(where[1], where[3], buffer=arena, offset=where[0],
                                        strides=where[2])
    data = np.ndarray(shape, dtype, buffer=root, offset=offset, strides=strides)
    t = Tensor._make(data, False, None)
    if cls is not Tensor:
        from ..nn.parameter import Parameter

        if issubclass(cls, Parameter):
            return cls(t, requires_grad=requires_grad)
    t._rg = requires_grad
    return t


def register() -> None:
    from ..nn.parameter import Parameter

    reduction.ForkingPickler.register(_Arena, _reduce_arena)
    for cls in (Tensor, Parameter):
        reduction.ForkingPickler.register(cls, _reduce_tensor)
