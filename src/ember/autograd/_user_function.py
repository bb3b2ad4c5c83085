"""``torch.autograd.Function`` for users: forward and backward written on Tensors (see
function.py for the array-level Primitive that ember's own ops use)."""

from __future__ import annotations

from . import function as F
from .function import Node, _edges, _init_node
from .grad_mode import STATE


class _FunctionCtx(Node):
    __slots__ = ()


class Function:
    """PyTorch's ``torch.autograd.Function``: subclass it with static ``forward(ctx, *args)``
    and ``backward(ctx, *grad_outputs)``, both on Tensors, then call ``MyFn.apply(...)``."""

    _node_cls = _FunctionCtx
    _tensor_level = True

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
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from .grad_mode import no_grad

        edges = _edges(args) if STATE.enabled else None
        node = cls._node_cls.__new__(cls._node_cls)
        _init_node(node, edges or tuple(None for _ in args))
        with no_grad():
            out = cls.forward(node, *args, **kwargs)
        if edges is None:
            return out
        if not isinstance(out, F.Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor, got {type(out)}")
        node._shape, node._dtype = out._data.shape, out._data.dtype
        saved = node._saved
        # Users save Tensors; keep them as given, and note versions for the in-place check.
        node._roles = tuple(-3 for _ in saved)
        node._versions = []
        for t in saved:
            if isinstance(t, F.Tensor):
                if t._vc is None:
                    t._vc = [0]
                node._versions.append((t._vc, t._vc[0], -3))
        result = F.Tensor._make(out._data, True, node)
        if F.WATCH_EVER and STATE.saved_hooks and saved:
            from .graph import pack_saved

            pack_saved(node, args, result)
        return result
