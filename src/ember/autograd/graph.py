"""``torch.autograd.graph``: the graph's nodes and edges, and hooks on the backward pass.

* ``Node`` is the type every ``grad_fn`` (and the ``AccumulateGrad`` of a leaf) is an
  instance of; ``GradientEdge``/``get_gradient_edge`` name the place where a tensor's gradient
  arrives, and ``autograd.grad`` accepts such edges as inputs.
* ``register_multi_grad_hook`` calls one function with the gradients of several tensors, once
  per backward pass, after all of them that will be computed have been ("all"), or with the
  first one ("any").
* ``saved_tensors_hooks(pack, unpack)``: while it is active, each value an op saves for
  backward goes through ``pack`` when the op runs, and what ``pack`` returned goes through
  ``unpack`` each time backward reads it. ``Primitive.apply`` already tested a thread-local
  flag once anomaly mode had ever been on (``function.WATCH_EVER``); the hooks share that one
  test, so the ordinary path pays nothing new. Ops save raw arrays: ``pack`` receives the
  input or output Tensor an array belongs to (a Tensor wrapping it for derived values such as
  masks), and backward receives ``unpack``'s Tensor's array.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import engine
from . import function as _function
from .function import AccumulateGrad, GradientEdge
from .grad_mode import STATE

__all__ = ["Node", "GradientEdge", "get_gradient_edge", "increment_version",
           "register_multi_grad_hook", "saved_tensors_hooks", "save_on_cpu",
           "disable_saved_tensors_hooks"]


class Node(abc.ABC):
    """The type of every ``grad_fn`` and of a leaf's ``AccumulateGrad`` (a virtual base:
    ember's node classes are registered with it, as PyTorch's C++ nodes are)."""

    @abc.abstractmethod
    def name(self) -> str:
        """The node's name, e.g. ``MulBackward0``."""

    @property
    @abc.abstractmethod
    def next_functions(self) -> tuple:
        """((node, output_nr), ...): where each input's gradient goes."""


Node.register(_function.Node)
Node.register(AccumulateGrad)


def get_gradient_edge(tensor) -> GradientEdge:
    """The edge of ``tensor``'s gradient: its ``grad_fn``, or its AccumulateGrad if a leaf."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    node = tensor.grad_fn if tensor.grad_fn is not None else AccumulateGrad(tensor)
    return GradientEdge(node, 0)


def edge_key(edge: GradientEdge):
    """The engine's capture key for an edge (as ``autograd._capture_map`` keys tensors)."""
    node = edge.node
    return id(node.variable) if isinstance(node, AccumulateGrad) else node


def increment_version(tensor) -> None:
    """Bump the version counter(s), as an in-place write would (views share theirs)."""
    from ..tensor import Tensor

    if isinstance(tensor, Tensor):
        tensor = (tensor,)
    elif not isinstance(tensor, Iterable):
        raise RuntimeError("increment_version expect a Iterable[Tensor] as input")
    for t in tensor:
        t._bump()


# ---- register_multi_grad_hook ------------------------------------------------------------
class _MultiHandle:
    """Removes every per-tensor hook of one ``register_multi_grad_hook`` call."""

    def __init__(self, handles: tuple) -> None:
        self.handles = handles

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def __enter__(self) -> "_MultiHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class _MultiGrad:
    """The shared state of one multi-grad hook in the current backward pass. As PyTorch's,
    "all" calls ``fn`` inside the hook of the last of its tensors that this pass reaches
    (which ones it reaches is known at the first hook: _ordered.will_run); the first hook
    seen also queues this object to be reset when the pass ends (engine._POST)."""

    def __init__(self, fn: Callable, keys: tuple, mode: str) -> None:
        self.fn, self.mode, self.keys = fn, mode, keys  # keys: grad_fn or id(leaf)
        self.grads: list = [None] * len(keys)
        self.queued = False
        self.waiting = 0

    def hook_for(self, i: int) -> Callable:
        def hook(grad):
            if not self.queued:
                from ._ordered import will_run

                self.queued = True
                engine._POST.append(self)
                if self.mode == "any":
                    self.fn(grad)
                self.waiting = sum(map(will_run, self.keys))
            self.grads[i] = grad
            self.waiting -= 1
            if self.mode == "all" and self.waiting == 0:
                self.fn(list(self.grads))
        return hook

    def fire(self, stored: bool) -> None:  # the pass ended: ready for the next one
        self.grads = [None] * len(self.grads)
        self.queued = False


def register_multi_grad_hook(tensors, fn: Callable, *, mode: str = "all") -> _MultiHandle:
    """``fn(grads)`` once per backward pass that reaches any of ``tensors`` (None for those
    it does not reach), after all their gradients; with ``mode="any"``, ``fn(grad)`` with the
    first of them to be computed."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    for t in tensors:
        if not t.requires_grad:
            raise AssertionError("Expected gradient function to be set")
    state = _MultiGrad(fn, tuple(t.grad_fn or id(t) for t in tensors), mode)
    return _MultiHandle(tuple(t.register_hook(state.hook_for(i)) for i, t in enumerate(tensors)))


# ---- saved-tensor hooks --------------------------------------------------------------------
class saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Context manager: values saved for backward in its block go through ``pack_hook`` when
    saved and through ``unpack_hook`` when backward reads them. The innermost one wins."""

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self) -> None:
        if STATE.saved_hooks_disabled is not None:
            raise RuntimeError(STATE.saved_hooks_disabled)
        _function.WATCH_EVER = True
        STATE.saved_hooks = STATE.saved_hooks + ((self.pack_hook, self.unpack_hook),)
        STATE.watch = True

    def __exit__(self, *exc: Any) -> None:
        STATE.saved_hooks = STATE.saved_hooks[:-1]
        STATE.watch = STATE.anomaly or bool(STATE.saved_hooks)


class save_on_cpu(saved_tensors_hooks):  # noqa: N801
    """Keep a copy of each saved tensor in CPU memory. ember is CPU only, so this only
    copies (as PyTorch does for a CPU tensor); ``pin_memory`` has no effect."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__(lambda t: (t.device, t.clone()), lambda packed: packed[1])


class disable_saved_tensors_hooks:  # noqa: N801
    """Context manager (and decorator): entering ``saved_tensors_hooks`` inside raises
    ``RuntimeError(error_message)``."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        self._prev = STATE.saved_hooks_disabled
        STATE.saved_hooks_disabled = self.error_message

    def __exit__(self, *exc: Any) -> None:
        STATE.saved_hooks_disabled = self._prev

    def __call__(self, fn: Callable) -> Callable:
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with disable_saved_tensors_hooks(self.error_message):
                return fn(*args, **kwargs)
        return wrapper


_PASS, _ARRAY, _TENSOR = 0, 1, 2  # how a saved entry was packed


class _PackedSaved(tuple):
    """``node._saved`` of an op recorded under saved-tensor hooks: (kind, packed) pairs, read
    back through the unpack hook. Rules unpack ``ctx.saved_tensors`` by iteration or index,
    which both come here; iteration unpacks in ``order`` (PyTorch's, see pack_saved)."""

    def __new__(cls, items: tuple, unpack: Callable, order=None):
        self = super().__new__(cls, items)
        self.unpack, self.order = unpack, order
        return self

    def _read(self, item):
        kind, value = item[0], item[1]
        if kind == _PASS:
            return value
        from ..tensor import Tensor

        t = (item[2] if len(item) > 2 else self.unpack)(value)  # (a SavedTensor's own hooks)
        if not isinstance(t, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but "
                            f"got result of type {type(t).__name__}")
        return t if kind == _TENSOR else t._data

    def __iter__(self):
        get = super().__getitem__
        if self.order is None:
            return (self._read(get(i)) for i in range(len(self)))
        values = [None] * len(self)
        for i in self.order:
            values[i] = self._read(get(i))
        return iter(values)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self)[i]
        return self._read(super().__getitem__(i))


def pack_one(node, k: int, owner, pack: Callable, unpack: Callable) -> None:
    """``SavedTensor.register_hooks``: entry ``k`` of ``node._saved`` (whose Tensor is
    ``owner``) packed now by ``pack``, read back through ``unpack``; the others unchanged."""
    saved = node._saved
    if isinstance(saved, _PackedSaved):
        items, fallback, order = list(tuple.__iter__(saved)), saved.unpack, saved.order
    else:
        items, fallback, order = [(_PASS, v) for v in saved], None, None
    kind = _TENSOR if node._roles[k] == -3 else _ARRAY
    items[k] = (kind, pack(owner), unpack)
    node._saved = _PackedSaved(tuple(items), fallback, order)


def pack_saved(node, args, result) -> None:
    """Pass what ``node`` saved through the innermost pack hook (see the module docstring).
    Roles (function._note_saved) say which Tensor each saved array is: -1 the output,
    i >= 0 input i, -3 a Tensor a user Function saved itself."""
    from ..tensor import Tensor

    from ._version_check import _unused

    pack, unpack = STATE.saved_hooks[-1]
    saved, roles = node._saved, node._roles
    order = getattr(node._fn, "pack_order", None)  # (PyTorch's node saves in another order)
    if order is not None and len(order) != len(saved):
        order = None
    items = [None] * len(saved)
    for k in range(len(saved)) if order is None else order:
        value, role = saved[k], roles[k]
        if role >= 0 and _unused(node, role):  # PyTorch saves (and packs) no such input
            items[k] = (_PASS, value)
        elif role == -3:
            items[k] = (_TENSOR, pack(value)) if isinstance(value, Tensor) else (_PASS, value)
        elif isinstance(value, (np.ndarray, np.generic)):
            owner = result if role == -1 else args[role] if role >= 0 else \
                Tensor._make(value, False, None)
            items[k] = (_ARRAY, pack(owner))
        else:
            items[k] = (_PASS, value)
    node._saved = _PackedSaved(tuple(items), unpack, order)
