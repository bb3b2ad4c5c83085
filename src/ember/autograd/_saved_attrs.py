"""PyTorch's ``grad_fn._saved_<name>`` attributes: what a node saved for backward, by the name
PyTorch's node gives it (``_saved_self``, ``_saved_other``, ``_saved_result``, ...), as the
saved-tensor tutorials and graph drawers (torchviz's ``show_saved``) read them.

A node records which input (by position) or the output each saved array is (its ``_roles``,
see ``function._note_saved``); the name follows from that role: input 0 is ``self``, input 1
``other``, the output ``result``, unless the op's PyTorch node names its inputs otherwise
(``_INPUT_NAMES``). Ops whose saved values are not the ones PyTorch's node saves (fused
kernels) list none (``_NONE``), so a name never shows another value than PyTorch's.
A saved leaf comes back as the leaf itself (``x is y.grad_fn._saved_self``, as in PyTorch);
other tensors as new Tensors on the same array, attached to the graph where they were.
"""

from __future__ import annotations

import math

from . import function as F
from ._fused import expand

# Input names by position, where PyTorch's node does not call them self/other.
# A name ending in ".T" is saved transposed by PyTorch (linear's weight: ``mat2 = W.t()``).
_INPUT_NAMES = {
    "MatMul": ("self", "mat2"), "Bmm": ("self", "mat2"),
    "Linear": ("mat1", "mat2.T"), "LinearNoBias": ("self", "mat2.T"),
    "RPow": ("exponent",), "MseLoss": ("self", "target"), "BinaryCrossEntropy": ("self", "target"),
    "BCEWithLogits": ("self", "target"), "SmoothL1Loss": ("self", "target"),
    "Mv": ("self", "vec"), "Dot": ("self", "tensor"), "Addmm": ("self", "mat1", "mat2"),
    "_NativeLayerNorm": ("input",),
}
# Nodes whose saved arrays are not what PyTorch's node saves: no tensor names.
_NONE = {"BatchedMatMul", "Pow", "CrossEntropy", "NllLoss", "L1LossMean",
         "ScalarDiv"}
# Non-tensor fields: PyTorch's name -> the ctx attribute ember's rule keeps it in.
_FIELDS = {
    "PowBackward0": {"exponent": "p"},
    "SumBackward0": {"self_sym_sizes": "in_shape"},
    "MeanBackward0": {"self_sym_sizes": "in_shape", "self_sym_numel": "n"},
    # (no ``dim``: PyTorch shows the dim as called, -1 as 2**64 - 1; ember keeps it normalized)
    "SumBackward1": {"keepdim": "keepdim", "self_sym_sizes": "in_shape"},
    "MeanBackward1": {"keepdim": "keepdim", "self_sym_numel": "in_shape",
                      "self_sym_sizes": "in_shape"},  # (numel: the product of the sizes)
    "ViewBackward0": {"self_sym_sizes": "in_shape"},
    "SubBackward0": {"alpha": "alpha"}, "AddBackward0": {"alpha": "alpha"},
    "LeakyReluBackward0": {"negative_slope": "slope"},
}


def _tensor_slots(node) -> dict:
    """name -> (index into node._saved, role, transposed) for each saved tensor PyTorch names."""
    fn = node._fn
    if fn is None or getattr(fn, "_tensor_level", False) or fn.__name__ in _NONE:
        return {}
    names = _INPUT_NAMES.get(fn.__name__, ("self", "other"))
    out = {}
    for k, role in enumerate(node._roles):
        if role == -1:
            out.setdefault("result", (k, role, False))
        elif 0 <= role < len(names):
            name = names[role]
            out.setdefault(name.removesuffix(".T"), (k, role, name.endswith(".T")))
    return out


def saved_names(node) -> list:
    fields = [n for n, attr in _FIELDS.get(node.name(), {}).items() if attr in node.__dict__]
    return ["_saved_" + n for n in list(_tensor_slots(node)) + fields]


def saved_attr(node, attr: str):
    expand(node)  # a fused node shows the saved tensors of the node PyTorch has there
    name = attr[len("_saved_"):]
    field = _FIELDS.get(node.name(), {}).get(name)
    if field is not None and field in node.__dict__:
        value = node.__dict__[field]
        if name.endswith("numel") and isinstance(value, tuple):
            return math.prod(value)
        return tuple(value) if name.endswith("sizes") else value
    slot = _tensor_slots(node).get(name)
    if slot is None:
        raise AttributeError(f"'{type(node).__name__}' object has no attribute '{attr}'")
    if node._saved is F._FREED:
        raise RuntimeError(F.SECOND_BACKWARD)
    k, role, transposed = slot
    if role >= 0:
        from ._version_check import _unused

        if _unused(node, role):
            return None  # PyTorch saves it only for a gradient that is needed
    value = node._saved[k]
    if isinstance(value, F.Tensor):  # (what saved-tensor hooks packed)
        return value
    t = _owner(node, value, role)
    return t.t() if transposed else t


def _owner(node, value, role: int):
    """The Tensor a saved array ``value`` of ``node`` is (the leaf itself for a saved leaf)."""
    if isinstance(value, F.Tensor):
        return value
    edge = node.next_edges[role] if role >= 0 else node
    T = F.Tensor
    if isinstance(edge, T) and edge._data is value:
        return edge  # the leaf itself
    if isinstance(edge, F.Node):
        return T._make(value, True, edge)
    return T._make(value, False, None)


class SavedTensor:
    """``grad_fn._raw_saved_<name>``: one saved tensor, whose ``register_hooks(pack,
    unpack)`` packs it now and unpacks it when backward reads it (PyTorch's per-tensor form
    of ``saved_tensors_hooks``)."""

    def __init__(self, node, name: str) -> None:
        self._node, self._name = node, name
        self._hooked = False

    def register_hooks(self, pack_hook, unpack_hook) -> None:
        if not (callable(pack_hook) and callable(unpack_hook)):
            raise TypeError("Both pack_hook and unpack_hook must be callable")
        node = self._node
        if node._saved is F._FREED:
            raise RuntimeError(F.SECOND_BACKWARD)
        if self._hooked:
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have "
                               "already been set. Hint: only one pair of hooks is allowed "
                               "at a time.")
        k, role, _ = _tensor_slots(node)[self._name]
        from .graph import pack_one

        pack_one(node, k, _owner(node, node._saved[k], role), pack_hook, unpack_hook)
        self._hooked = True


def raw_saved_attr(node, attr: str):
    expand(node)
    name = attr[len("_raw_saved_"):]
    if name not in _tensor_slots(node):
        raise AttributeError(f"'{type(node).__name__}' object has no attribute '{attr}'")
    return SavedTensor(node, name)


def add_properties(cls) -> None:
    """A ``_saved_<name>`` property on ``cls`` for every name some node may have; on a node
    without that name it raises AttributeError, as a missing attribute does."""
    names = {"self", "other", "result"} | {n.removesuffix(".T") for v in _INPUT_NAMES.values()
                                           for n in v}
    names |= {n for fields in _FIELDS.values() for n in fields}
    for name in sorted(names):
        attr = "_saved_" + name
        setattr(cls, attr, property(lambda node, attr=attr: saved_attr(node, attr)))
        if name not in {n for fields in _FIELDS.values() for n in fields}:  # tensors only
            raw = "_raw_saved_" + name
            setattr(cls, raw, property(lambda node, raw=raw: raw_saved_attr(node, raw)))


def node_dir(node):  # Node.__dir__: the _saved_* names this node has
    own = {n for n in object.__dir__(node)  # (every node has every name's property)
           if not n.startswith(("_saved_", "_raw_saved_")) and n != "_saved"}
    names = saved_names(node)
    raw = ["_raw" + n for n in names if n[len("_saved_"):] in _tensor_slots(node)]
    return sorted(own | set(names) | set(raw))
