"""``torch.autograd.Function`` for users: forward and backward written on Tensors (see
function.py for the array-level Primitive that ember's own ops use).

Both of PyTorch's styles work: ``forward(ctx, *args)``, or ``forward(*args)`` with a separate
``setup_context(ctx, inputs, output)``. A forward may return a tuple: backward then gets one
gradient per output (zeros for an output that got none, or one marked non-differentiable).
The engine's nodes have one output each, so several differentiable outputs share one node
through a packed (flat, concatenated) gradient: each output's own node (named like the
Function's) places its gradient in its slot, and the Function's node splits them again.
"""

from __future__ import annotations

import functools

import numpy as np

from . import function as F
from ._function_ctx import _FunctionCtx
from .function import _edges, _init_node
from .grad_mode import STATE


class Function:
    """PyTorch's ``torch.autograd.Function``: subclass it with static ``forward(ctx, *args)``
    and ``backward(ctx, *grad_outputs)``, both on Tensors, then call ``MyFn.apply(...)``."""

    _node_cls = _FunctionCtx
    _tensor_level = True

    def __init__(self, *args, **kwargs):  # old-style MyFn()(x) code makes one first
        from .._warn import warn

        warn(f"{self.__class__} should not be instantiated. Methods on autograd functions are "
             "all static, so you should invoke them on the class itself. Instantiating an "
             "autograd function will raise an error in a future version of PyTorch.",
             DeprecationWarning)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._node_cls = type(cls.__name__ + "Backward", (_FunctionCtx,),
                             {"__slots__": (), "_fn": cls})

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        if ctx.__dict__.get("_jvp_cut"):  # forward AD's reverse passes: the tangent is known
            return tuple(None for _ in ctx.__dict__.get("_is_var", (0,)))
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    generate_vmap_rule = False

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("To use autograd.Function with vmap, you must either override "
                                  "the vmap staticmethod or set generate_vmap_rule=True.")

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        from .grad_mode import no_grad

        new_style = cls.setup_context is not Function.setup_context
        if kwargs or new_style and len(args) < _arity(cls):
            args, kwargs = _bind(cls, args, kwargs, new_style), {}
        edges = _edges(args) if STATE.enabled else None
        node = cls._node_cls.__new__(cls._node_cls)
        _init_node(node, edges or tuple(None for _ in args))
        node.__dict__["_is_var"] = tuple(isinstance(a, F.Tensor) for a in args)
        if F.Tensor._vmap_depth and cls.setup_context is Function.setup_context:
            raise RuntimeError(
                "In order to use an autograd.Function with functorch transforms (vmap, grad, "
                "jvp, jacrev, ...), it must override the setup_context staticmethod. For more "
                "details, please see https://pytorch.org/docs/main/notes/extending.func.html")
        if (F.Tensor._vmap_depth and not cls.generate_vmap_rule
                and cls.vmap is Function.vmap):  # (ember's vmap is a loop: it never calls vmap)
            raise RuntimeError(
                f"You tried to vmap over {cls.__name__}, but it does not have vmap support. "
                "Please override and implement the vmap staticmethod or set "
                "generate_vmap_rule=True. For more details, please see "
                "https://pytorch.org/docs/main/notes/extending.func.html")
        with no_grad():
            if new_style:  # forward without ctx
                out = cls.forward(*args, **kwargs)
                cls.setup_context(node, args, out)
            else:
                out = cls.forward(node, *args, **kwargs)
        dirty = node.__dict__.get("_dirty")
        if dirty:
            _mark_dirty(args, dirty, edges is not None)
        if edges is None:
            return out
        if isinstance(out, tuple):
            return _record_outputs(cls, node, args, out)
        if not isinstance(out, F.Tensor):  # (a list, a number: handed back untouched)
            return out
        result = _record(node, args, out)
        _finish(node, args, (out,), (result,))
        if cls.backward is Function.backward and cls.jvp is not Function.jvp:
            from .forward_ad import custom_jvp  # forward AD through the user's jvp

            result = custom_jvp(node, args, result)
        if dirty and id(out) in dirty:
            return _rebind_dirty(out, result)
        for a in args:  # an input returned as-is, or a view of one: a view of that input
            if isinstance(a, F.Tensor) and np.may_share_memory(a._data, out._data):
                return result._as_fn_view(a, (node, 0, cls.__name__))
        return result


def _arity(cls) -> int:
    """How many arguments a ctx-less forward takes (cached on the class)."""
    n = cls.__dict__.get("_forward_arity")
    if n is None:
        import inspect

        n = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                for p in inspect.signature(cls.forward).parameters.values())
        cls._forward_arity = n
    return n


def _bind(cls, args, kwargs, new_style) -> tuple:
    """Keyword arguments become positional ones, as PyTorch binds them to forward's
    signature: with its defaults filled in for a ctx-less forward; a forward(ctx, ...) gets
    positions only up to the last one given, and a gap is PyTorch's error."""
    import inspect

    sig = inspect.signature(cls.forward)
    if new_style:
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.args
    names = list(sig.parameters)[1:]
    given = dict(zip(names, args), **kwargs)
    last = max((names.index(k) for k in given if k in names), default=-1)
    for i, name in enumerate(names[:last + 1]):
        if name not in given:
            raise TypeError(f"forward() missing required argument: '{name}' (position {i})")
    for k in kwargs:
        if k not in names:
            raise TypeError(f"forward() got an unexpected keyword argument '{k}'")
    return tuple(given[n] for n in names[:last + 1])


def _mark_dirty(args, dirty, recording) -> None:
    """PyTorch's checks and version bump for inputs marked dirty (modified in place)."""
    for a in args:
        if isinstance(a, F.Tensor) and id(a) in dirty:
            if recording and a._rg and a.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                   "in-place operation.")
            a._bump()


def _rebind_dirty(out, result):
    """A dirty input returned as an output stays the same tensor object, moved to the
    Function's node (as an in-place op moves its tensor)."""
    out.grad_fn, out._rg = result.grad_fn, True
    return out


def _record(node, args, out):
    """The output tensor of ``node``, noting the saved tensors' versions for the in-place
    check (users save Tensors; they are kept as given)."""
    node._shape, node._dtype = out._data.shape, out._data.dtype
    saved = node._saved
    node._roles = tuple(-3 for _ in saved)
    node._versions = []
    for i, t in enumerate(saved):
        if t is not None and not isinstance(t, F.Tensor):
            raise TypeError("save_for_backward can only save variables, but argument "
                            f"{i} is of type {type(t).__name__}")
        if isinstance(t, F.Tensor):
            if t._vc is None:
                t._vc = [0]
            node._versions.append((t._vc, t._vc[0], -3))
    return F.Tensor._make(out._data, True, node)


def _finish(node, args, raws, results) -> None:
    """Link saved outputs (see saved_tensors), then pass the saved tensors through the
    saved-tensor pack hook, if one is active."""
    _link_saved_outputs(node, raws, results)
    if F.WATCH_EVER and STATE.anomaly:  # where it was created, for a failing backward
        from .anomaly import check_forward

        check_forward(node, None)
    if F.WATCH_EVER and STATE.saved_hooks and node._saved:
        from .graph import pack_saved

        pack_saved(node, args, next(r for r in results if isinstance(r, F.Tensor) and r._rg))


def _link_saved_outputs(node, raws, results) -> None:
    """Remember which saved tensors are outputs of this forward (see saved_tensors)."""
    saved = node._saved
    if not saved or saved is F._FREED:
        return
    links = {}
    for i, t in enumerate(saved):
        for raw, res in zip(raws, results):
            if t is raw and res is not raw:
                links[i] = (res._data, res.grad_fn)
                res._vc = raw._vc  # one tensor to the user: in-place writes must be seen
    if links:
        node.__dict__["_saved_outputs"] = links


def _record_outputs(cls, node, args, outs: tuple) -> tuple:
    """Several outputs: float ones not marked non-differentiable get a grad_fn."""
    skip = node.__dict__.get("_non_diff", ())
    diff = [k for k, o in enumerate(outs) if isinstance(o, F.Tensor) and id(o) not in skip
            and o._data.dtype.kind in "fc"]
    if not diff:
        return outs
    metas = [(o._data.shape, o._data.dtype) if isinstance(o, F.Tensor) else None for o in outs]
    results = list(outs)
    if len(diff) == 1:  # the node's own output, the others' gradients made up as zeros
        node.__dict__["_fn"] = _Unpack(cls, metas, diff, None)
        results[diff[0]] = _record(node, args, outs[diff[0]])
        _finish(node, args, outs, results)
        return _dirty_outputs(node, outs, results)
    sizes = [outs[k]._data.size for k in diff]
    dtype = np.result_type(*(outs[k]._data.dtype for k in diff))
    node.__dict__["_fn"] = _Unpack(cls, metas, diff, sizes)
    _record(node, args, F.Tensor._make(np.empty(sum(sizes), dtype), False, None))
    slot_cls = cls.__dict__.get("_slot_cls")
    if slot_cls is None:
        slot_cls = type(cls.__name__ + "Backward", (_FunctionCtx,), {"__slots__": (), "_fn": _SLOT})
        cls._slot_cls = slot_cls
    offset = 0
    for k, n in zip(diff, sizes):
        slot = slot_cls.__new__(slot_cls)
        _init_node(slot, (node,))
        slot.__dict__["_slot"] = (offset, n, sum(sizes), dtype, k)
        slot._shape, slot._dtype = outs[k]._data.shape, outs[k]._data.dtype
        results[k] = F.Tensor._make(outs[k]._data, True, slot)
        offset += n
    _finish(node, args, outs, results)
    return _dirty_outputs(node, outs, results)


def _dirty_outputs(node, outs, results) -> tuple:
    dirty = node.__dict__.get("_dirty")
    if dirty:
        results = [_rebind_dirty(o, r) if id(o) in dirty and r is not o else r
                   for o, r in zip(outs, results)]
    return tuple(results)


def _zeros(meta):
    return None if meta is None else F.Tensor._make(np.zeros(*meta), False, None)


class _Unpack:
    """The rule of a several-output Function's node: the gradient it receives (one output's,
    or the packed gradient of all differentiable outputs) becomes the Function's
    ``backward(ctx, *grad_outputs)`` arguments."""

    _tensor_level = True
    shown_args = None

    def __init__(self, fn, metas, diff, sizes) -> None:
        self.fn, self.metas, self.diff, self.sizes = fn, metas, diff, sizes
        self.__name__ = fn.__name__

    def backward(self, node, g):
        materialize = node.__dict__.get("_materialize", True)
        grads = [_zeros(m) if materialize else None for m in self.metas]
        if self.sizes is None:
            grads[self.diff[0]] = g
        else:
            got = node.__dict__.pop("_got", ())  # the outputs whose gradient arrived
            offset = 0
            for k, n in zip(self.diff, self.sizes):
                shape, dtype = self.metas[k]
                if materialize or k in got:
                    grads[k] = g[offset:offset + n].reshape(shape).to(F.Tensor._dtype_of(dtype))
                offset += n
        return self.fn.backward(node, *grads)


class _Slot:
    """The rule of one output's node: its gradient placed in the packed gradient."""

    _tensor_level = True
    shown_args = None
    __name__ = "output slot"

    @staticmethod
    def backward(node, g):
        from ..ops.join_split import cat

        offset, n, total, dtype, k = node.__dict__["_slot"]
        owner = node.next_edges[0]
        if owner.__dict__.get("_materialize", True) is False:
            owner.__dict__.setdefault("_got", set()).add(k)
        T = F.Tensor
        flat = g.reshape(-1).to(T._dtype_of(dtype))
        return cat([T._make(np.zeros(offset, dtype), False, None), flat,
                    T._make(np.zeros(total - offset - n, dtype), False, None)])


_SLOT = _Slot()


def once_differentiable(fn):
    """Decorates a Function's backward that is not itself differentiable: it runs without
    recording, and differentiating its result again raises PyTorch's error."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from .grad_mode import no_grad

        with no_grad():
            outputs = fn(ctx, *args)
        if not STATE.enabled or not any(isinstance(a, F.Tensor) and a._rg for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        wrapped = tuple(_DelayedError.apply(o.detach().requires_grad_())
                        if isinstance(o, F.Tensor) else o for o in outs)
        return wrapped[0] if single else wrapped

    return wrapper


class _DelayedError(Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


_DelayedError._node_cls.__name__ = "DelayedError"
