"""Graph nodes and the two kinds of differentiable function.

* ``Primitive`` is what ember's own ops are (see ``ember/ops``): ``forward(ctx, *arrays)`` and
  ``backward(ctx, grad)`` are written as NumPy formulas on raw arrays, so a first-order backward
  pays nothing for being inside a framework. For ``create_graph=True`` the engine runs the very
  same ``backward`` on Tensors: Tensor implements NumPy's operator and dispatch protocols, so
  ``grad * np.exp(x)`` then records graph nodes of its own.
* ``Function`` is PyTorch's ``torch.autograd.Function`` for users: ``forward`` and ``backward``
  receive Tensors.

Calling ``apply`` records a ``Node`` (the ``grad_fn``) only when grad mode is on and some input
requires grad; otherwise it costs the forward NumPy call plus a thin wrapper.
"""

from __future__ import annotations

from itertools import count as _count

from ._inference import ACTIVE as _INF_ACTIVE, MARK as _INF_MARK
from ._torch_errors import _torch_error
from ._stale import STALE_LIMIT, _STALE, _stale_graph_used  # noqa: F401 (re-exported)
from .grad_mode import STATE

# Filled in by ember.tensor to avoid an import cycle (Tensor needs ops, ops need Function).
Tensor = None
_new = object.__new__
_FREED = "freed"
# Whether anomaly mode or saved-tensor hooks were ever turned on (by any thread). Until then
# apply skips reading the per-thread flag, a thread-local lookup (~30 ns) on every recorded op.
WATCH_EVER = False
_OUT_ROLE = (-1,)  # the roles of a node that saved only its output
# Each node's creation number (``Node._seq``), as PyTorch's sequence_nr: its backward runs
# ready nodes newest first (_ordered.py). Steps of 4 leave room for the nodes PyTorch records
# inside one of ember's fused nodes (Linear's TBackward0: one below its AddmmBackward0).
_next_seq = _count(4, 4).__next__
SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Node:
    """One recorded op: PyTorch's ``grad_fn``. It is also the ``ctx`` its rule saw in forward.

    ``next_edges[i]`` is where input i's gradient goes: the input's own Node, the input Tensor
    itself when it is a leaf that requires grad, or None. ``_shape``/``_dtype`` describe the output,
    so the engine can sum a broadcast gradient back to this node's shape (the one place
    broadcasting is undone). ``_uses`` counts the nodes ever created with this one as an
    edge: a node used once is ready as soon as its one consumer has run, with no dependency
    count (engine._walk_plain). (``+= 1`` on an int attribute runs no Python code and no
    eval-breaker check between its read and write, so under the GIL threads cannot lose a
    count.) ``_seq`` numbers nodes in creation order (PyTorch's sequence_nr).
    """

    __slots__ = ("next_edges", "needs_input_grad", "_shape", "_dtype", "_saved", "_roles",
                 "_versions", "_uses", "_seq", "__dict__", "__weakref__")
    # Rarely set: class-level defaults, so recording an op does not store them (each store
    # skipped is ~15 ns on every op); setting one puts it in the node's __dict__.
    _pre_hooks = _hooks = _trace = None
    _done = False
    _exact = False  # Primitive.exact_grads of _fn
    _fn = None  # the Function/Primitive class this node records
    _rule = None  # _fn.backward for Primitive nodes (looked up once per class, not per call)
    # The order PyTorch's nodes send this node's gradients on (_ordered.py). None: the
    # edges' own. Else a tuple of items: an edge index, or (offset, items) for a node that
    # PyTorch records where ember's fused node records one, created ``offset`` places
    # before it (Linear: (2, 0, (1, (1,))): bias, input, then TBackward0 with the weight).
    _push = None

    def save_for_backward(self, *values) -> None:
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(SECOND_BACKWARD)
        return saved

    def mark_non_differentiable(self, *args) -> None:  # accepted for PyTorch compatibility
        pass

    def set_materialize_grads(self, value: bool) -> None:
        pass

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        out = []
        edges = self.next_edges
        for i in self._shown():  # (an argument that was not a tensor: PyTorch has no edge)
            e = edges[i]
            if e is None or isinstance(e, Node):
                out.append((e, 0))
            else:
                out.append((AccumulateGrad(e), 0))
        return tuple(out)

    def _shown(self) -> list:
        """The argument positions next_functions lists (see Primitive.shown_args)."""
        shown = getattr(self._fn, "shown_args", None)
        return [i for i, need in enumerate(self.needs_input_grad)
                if need is not None or shown is not None and i in shown]

    def _torch_grads(self, in_grads: tuple) -> tuple:
        """The rule's per-argument gradients as PyTorch's per-edge grad_inputs."""
        return tuple(in_grads[i] for i in self._shown())

    def _from_torch_grads(self, grads: tuple, in_grads: tuple) -> tuple:
        out = list(in_grads)
        for i, g in zip(self._shown(), grads):
            out[i] = g
        return tuple(out)

    @property
    def metadata(self) -> dict:
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self.__dict__["_metadata"] = {}
        return d

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    # register_hook/register_prehook (PyTorch's) and PyTorch's _saved_* attributes (these
    # are properties, added below: a __getattr__ would slow every node attribute read)
    from ._node_hooks import _add_prehook, register_hook, register_prehook
    from ._saved_attrs import node_dir as __dir__


from . import _saved_attrs  # noqa: E402  (imported by Node's body above already)

_saved_attrs.add_properties(Node)


from ._graph_types import AccumulateGrad, GradientEdge, _RemovableHandle  # noqa: E402,F401


_CPP_NODES = {"CopySlices"}  # PyTorch's C++-defined nodes: name() adds torch::autograd::


def _cpp_name(self) -> str:
    return "torch::autograd::" + type(self).__name__


def _node_class(cls, name: str):
    body = {"__slots__": (), "_fn": cls, "_exact": cls.exact_grads,
            "_rule": staticmethod(cls.backward)}
    if name in _CPP_NODES:
        body["name"] = _cpp_name
    return type(name, (getattr(cls, "_node_base", Node),), body)


def _init_node(node, edges: tuple) -> None:
    node.next_edges = edges
    need = []
    for e in edges:
        if e is None:
            need.append(False)
        else:
            need.append(True)
            if isinstance(e, Node):
                e._uses += 1
            if e._done:
                _stale_graph_used()
    node.needs_input_grad = tuple(need)
    node._saved = node._roles = node._versions = ()
    node._uses = 0
    node._seq = _next_seq()


def _edges(args) -> tuple | None:
    """Each input's gradient destination, or None when no input requires grad."""
    edges, any_rg = [], False
    for a in args:
        if isinstance(a, Tensor) and a._rg:
            any_rg = True
            edges.append(a.grad_fn or a)
        else:
            edges.append(None)
    return tuple(edges) if any_rg else None


class _NullCtx:
    """The ctx a forward sees when nothing is recorded: saving and attributes go nowhere."""

    __slots__ = ()
    needs_input_grad = ()

    def save_for_backward(self, *values):
        pass

    def mark_non_differentiable(self, *args):
        pass

    def set_materialize_grads(self, value):
        pass

    def __setattr__(self, name, value):
        pass


NULL_CTX = _NullCtx()


class Primitive:
    """Base of ember's ops: forward and backward on NumPy arrays (see the module docstring).

    ``backward`` returns one gradient per input of ``forward`` (None where not needed); it may
    return gradients in the broadcast shape, the engine sums them down.
    Rules must save only their inputs, their output, or values whose derivative is zero
    (masks, indices): for higher-order gradients the engine swaps saved inputs and outputs for
    Tensors that remember their graph.
    """

    node_name = None  # e.g. "MulBackward0"; defaults to ClassName + "Backward0"
    # The argument positions next_functions lists when they are not tensors (None: only the
    # tensors): PyTorch wraps a number in x * 2 as a tensor, and lists optional tensors.
    shown_args = None
    # True when backward, given a gradient of the output's exact shape and dtype, returns
    # gradients of each input's exact shape and dtype (no broadcasting to undo): the engine
    # then skips comparing them (~0.15 us per edge). A forward can set ``ctx._exact = False``
    # for a call where that does not hold (a reduction told another dtype).
    # tests/autograd/test_exact_rules.py checks every rule that claims it.
    exact_grads = False
    # For each saved input (by position), the inputs whose gradients use it, e.g. mul's
    # ((1,), (0,)): a saved input no needed gradient uses is not version-checked, as PyTorch
    # saves it only when needed (x * w, then w changed in place, with x needing no grad, is
    # no error; see _version_check.check_versions). None: every saved input is checked.
    saved_for = None
    _node_cls = Node
    _tensor_level = False  # backward runs on arrays (Function, for users, runs on Tensors)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._node_cls = _node_class(cls, cls.node_name or cls.__name__ + "Backward0")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        # The hottest function in ember, so it stays flat: Node set-up and Tensor._make are
        # written out here (each call saved is ~0.1 us, and every op pays them).
        arrays = []
        record = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if a._rg:
                    record = True
            else:
                arrays.append(a)
        try:  # free in Python 3.11 unless raised; turns NumPy's errors into PyTorch's
            if not record or not STATE.enabled:
                result = _new(Tensor)
                result._data = cls.forward(NULL_CTX, *arrays, **kwargs)
                result._rg = False
                result.grad_fn = result._grad = result._vc = result._base = result._hooks = None
                if _INF_ACTIVE[0] and STATE.inference:  # an inference tensor (_inference.py)
                    result._vc = _INF_MARK
                return result
            node = _new(cls._node_cls)
            edges, need = [], []
            for a in args:
                if isinstance(a, Tensor):
                    if a._rg:
                        e = a.grad_fn
                        if e is None:
                            e = a
                        else:
                            e._uses += 1
                            if e._done:
                                _stale_graph_used()
                        edges.append(e)
                        need.append(True)
                    else:
                        edges.append(None)
                        need.append(False)
                else:  # not a tensor (a dim, a flag): None, so next_functions leaves it out
                    edges.append(None)
                    need.append(None)
            node.next_edges = tuple(edges)
            node.needs_input_grad = tuple(need)
            node._saved = node._roles = node._versions = ()
            node._uses = 0
            node._seq = _next_seq()
            out = cls.forward(node, *arrays, **kwargs)
        except ValueError as err:
            raise _torch_error(err, arrays) from None
        node._shape = out.shape
        node._dtype = out.dtype
        result = _new(Tensor)
        result._data = out
        result._rg = True
        result.grad_fn = node
        result._grad = result._vc = result._base = result._hooks = None
        saved = node._saved
        if saved:
            if saved[0] is out and len(saved) == 1:  # the output alone (relu, tanh, softmax):
                vc = result._vc = [0]                 # _note_saved's first case, inline
                node._roles, node._versions = _OUT_ROLE, [(vc, 0, -1)]
            else:
                _note_saved(node, args, arrays, out, result)
        if WATCH_EVER and STATE.watch:
            _watched_forward(node, out, args, result)
        return result


def _note_saved(node, args, arrays, out, result) -> None:
    """Record which input (or the output) each saved array is, and that tensor's version.

    Roles let the engine rebuild saved values as Tensors for ``create_graph``; versions let it
    detect a saved tensor modified in place before backward (PyTorch's error, not a wrong grad).
    """
    saved = node._saved  # (the output alone, relu's and tanh's case, apply handles inline)
    n = len(saved)
    if n == 1:  # shortcut: the first input (pow)
        owner = args[0] if args else None
        if owner is not None and saved[0] is arrays[0] and isinstance(owner, Tensor):
            vc = owner._vc
            if vc is None:
                vc = owner._vc = [0]
            node._roles, node._versions = (0,), [(vc, vc[0], 0)]
            return
    elif n == 2 and len(args) > 1 and saved[0] is arrays[0] and saved[1] is arrays[1]:
        a, b = args[0], args[1]  # the first two inputs (linear's x and W, mul's a and b)
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            va, vb = a._vc, b._vc
            if va is None:
                va = a._vc = [0]
            if vb is None:
                vb = b._vc = [0]
            node._roles, node._versions = (0, 1), [(va, va[0], 0), (vb, vb[0], 1)]
            return
    roles, versions = [], []
    for s in saved:
        if s is out:
            role, owner = -1, result
        else:
            role, owner = -2, None
            i = 0
            for a in arrays:
                if s is a:
                    owner = args[i]
                    if isinstance(owner, Tensor):
                        role = i
                        break
                    owner = None
                i += 1
        roles.append(role)
        if owner is not None:
            vc = owner._vc
            if vc is None:
                vc = owner._vc = [0]
            elif vc.__class__ is not list and _unsaved_inference(node, role):
                continue  # (vc[0] below refuses an inference tensor PyTorch would save)
            versions.append((vc, vc[0], role))
    node._roles = tuple(roles)
    node._versions = versions


def _unsaved_inference(node, role) -> bool:
    """An inference tensor saved here that no needed gradient reads (``x * 2``'s x): PyTorch
    would not have saved it, so it is no error."""
    from ._version_check import _unused

    return _unused(node, role)


def _watched_forward(node, out, args, result) -> None:
    """A recorded op while anomaly mode or saved-tensor hooks are on in this thread."""
    if STATE.anomaly:
        from .anomaly import check_forward

        check_forward(node, out)
    if STATE.saved_hooks and node._saved:
        from .graph import pack_saved

        pack_saved(node, args, result)


# The user-facing Function (on Tensors) lives beside: imported last, as it builds on the above.
from ._user_function import Function, _FunctionCtx, once_differentiable  # noqa: E402,F401

# PyTorch's names for a custom Function's node/ctx class (isinstance checks, type hints)
BackwardCFunction = FunctionCtx = _FunctionCtx
