"""Module backward hooks: ``register_full_backward_hook`` and ``register_full_backward_pre_hook``.

A call of a module with such hooks threads its tensors through identity nodes, as PyTorch
does (BackwardHookFunctionBackward): one in front of the inputs, one behind the outputs.
Backward reaches the output node first: it hands ``grad_output`` to the pre-hooks (which may
replace it) and keeps it. Then, once the module's own graph has produced the gradients with
respect to its inputs, the input node hands ``grad_input`` and the kept ``grad_output`` to
the full hooks (which may replace ``grad_input``). With no input requiring grad the full
hooks run at the output node with ``grad_input`` all None, after PyTorch's warning.

ember's nodes have one output, so several tensors pass through one node packed into one
flat array (unpacked by slicing): the node then sees all of their gradients at once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import numpy as np

from ..._warn import warn
from ...autograd._torch_errors import check_hook_result
from ...autograd.function import Primitive
from ...tensor import Tensor
from ._hooks import RemovableHandle

# Hooks for every module (torch.nn.modules.module.register_module_full_backward_hook...).
GLOBAL_BW: "OrderedDict[int, Callable]" = OrderedDict()
GLOBAL_BW_PRE: "OrderedDict[int, Callable]" = OrderedDict()

_NO_INPUT_GRAD = ("Full backward hook is firing when gradients are computed with respect to "
                  "module outputs since no inputs require gradients. See https://docs.pytorch"
                  ".org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.register_"
                  "full_backward_hook for more details.")


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    handle = RemovableHandle(GLOBAL_BW)
    GLOBAL_BW[handle.id] = hook
    return handle


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    handle = RemovableHandle(GLOBAL_BW_PRE)
    GLOBAL_BW_PRE[handle.id] = hook
    return handle


def _as_tensor(g):
    return g if g is None or isinstance(g, Tensor) else Tensor._make(g, False, None)


def _like(new, old):
    """A hook's replacement gradient in the form the engine passed the old one."""
    if new is None or isinstance(old, Tensor):
        return new
    return new._data if isinstance(new, Tensor) else np.asarray(new)


class _Through(Primitive):
    """The identity on one packed array; backward calls ``ctx.on_grad`` with its gradient."""

    node_name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, a, *, on_grad):  # (a keyword: not an input, so no edge of its own)
        ctx.on_grad = on_grad
        return a

    @staticmethod
    def backward(ctx, g):
        return (ctx.on_grad(g),)


class _Pack(Primitive):
    """Several arrays as one flat array (of their common dtype); backward splits it."""

    node_name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, *arrays, on_grads):
        ctx.on_grads = on_grads
        ctx.parts = [(np.shape(a), np.result_type(a)) for a in arrays]
        dtype = np.result_type(*arrays)
        return np.concatenate([np.ravel(a).astype(dtype, copy=False) for a in arrays])

    @staticmethod
    def backward(ctx, g):
        pieces, at = [], 0
        for shape, dtype in ctx.parts:
            size = int(np.prod(shape))
            piece = g[at:at + size].reshape(shape)
            if isinstance(piece, Tensor):  # (create_graph)
                if piece._data.dtype != dtype:
                    piece = piece.to(Tensor._dtype_of(dtype))
            elif piece.dtype != dtype:
                piece = piece.astype(dtype)
            pieces.append(piece)
            at += size
        return tuple(ctx.on_grads(pieces))


def _node_repr(self) -> str:  # a Python Function in PyTorch, so its repr names the module
    return f"<torch.autograd.function.{type(self).__name__} object at {hex(id(self))}>"


_Through._node_cls.__repr__ = _Pack._node_cls.__repr__ = _node_repr


def _through(tensors: list, on_grads: Callable) -> list:
    """``tensors`` passed through one identity node whose backward calls on_grads(list)."""
    if len(tensors) == 1:
        out = [_Through.apply(tensors[0], on_grad=lambda g: on_grads([g])[0])]
    else:
        packed = _Pack.apply(*tensors, on_grads=on_grads)
        out, at = [], 0
        for t in tensors:
            n = t._data.size
            piece = packed[at:at + n].reshape(t._data.shape)
            out.append(piece if piece._data.dtype == t._data.dtype else piece.to(t.dtype))
            at += n
    for i, t in enumerate(out):  # PyTorch's identity outputs are views: no in-place writes
        if t.grad_fn is not None:
            t._fn_view = (t.grad_fn, i, "BackwardHookFunction")
    return out


class BackwardHook:
    """One module call's hooks (PyTorch's torch.utils.hooks.BackwardHook, our own code)."""

    def __init__(self, module, hooks: list, pre_hooks: list) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.n_inputs = 0
        self.input_at = None  # positions of the inputs that pass the input node
        self.grad_outputs = None

    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        at = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not any(args[i].requires_grad for i in at):
            return args
        at = [i for i in at if args[i]._data.dtype.kind == "f"]
        self.input_at = at
        new = list(args)
        for i, t in zip(at, _through([args[i] for i in at], self._on_input_grads)):
            new[i] = t
        return tuple(new)

    def setup_output_hook(self, result):
        single = isinstance(result, Tensor)
        outs = (result,) if single else result
        if not isinstance(outs, tuple):
            return result
        self.n_outputs = len(outs)
        at = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not at:
            return result
        self.output_at = at
        new = list(outs)
        for i, t in zip(at, _through([outs[i] for i in at], self._on_output_grads)):
            new[i] = t
        return new[0] if single else tuple(new)

    def _on_output_grads(self, grads: list) -> list:
        full = _spread(self.n_outputs, self.output_at, grads)
        for hook in self.pre_hooks:
            full = _replaced(hook(self.module, full), full, "Backward pre hook", "grad_output")
        _checked(full, self.output_at, grads)
        self.grad_outputs = full
        if self.input_at is None:  # (pre-hooks alone warn too, as in PyTorch)
            warn(_NO_INPUT_GRAD)  # (at the user's backward() line)
            none = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, none, full)
                if res is not None and not (isinstance(res, tuple)
                                            and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
        return [_like(full[i], g) for i, g in zip(self.output_at, grads)]

    def _on_input_grads(self, grads: list) -> list:
        if self.grad_outputs is None:
            raise RuntimeError(
                "Module backward hook for grad_input is called before the grad_output one. "
                "This happens because the gradient in your nn.Module flows to the Module's "
                "input without passing through the Module's output. Make sure that the "
                "output depends on the input and that the loss is computed based on the "
                "output.")
        full = _spread(self.n_inputs, self.input_at, grads)
        for hook in self.hooks:
            full = _replaced(hook(self.module, full, self.grad_outputs), full, "Backward hook",
                             "grad_input")
        _checked(full, self.input_at, grads)
        return [_like(full[i], g) for i, g in zip(self.input_at, grads)]


def _spread(n: int, at: list, grads: list) -> tuple:
    """n slots, the gradients (as Tensors) at positions ``at``, None elsewhere."""
    full = [None] * n
    for i, g in zip(at, grads):
        full[i] = _as_tensor(g)
    return tuple(full)


def _replaced(res, full: tuple, who: str, what: str) -> tuple:
    """A hook's return value: None keeps ``full``; else a replacement of the same length.
    Any sequence passes, as in PyTorch: a bare Tensor counts its rows (a 0-d one raises)."""
    if res is None:
        return full
    if len(res) != len(full):
        raise RuntimeError(f"{who} returned an invalid number of {what}, got {len(res)}, but "
                           f"expected {len(full)}")
    return tuple(res[i] for i in range(len(full)))


def _checked(full: tuple, at: list, grads: list) -> None:
    """The engine's checks on the gradients a module hook handed back (PyTorch runs them
    through a wrapper function named 'hook', hence the name in its messages)."""
    for i, g in zip(at, grads):
        new = full[i]
        if new is None:
            continue
        if not isinstance(new, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{_qualname(new)}'")
        check_hook_result(_hook_wrapper, g._data if isinstance(g, Tensor) else g, new._data)


def _hook_wrapper():  # stands for PyTorch's wrapper in the messages
    pass


_hook_wrapper.__name__ = "hook"


def _qualname(obj) -> str:
    kind = type(obj)
    return kind.__qualname__ if kind.__module__ == "builtins" else \
        f"{kind.__module__}.{kind.__qualname__}"


def hooks_of(module) -> tuple[list, list, list]:
    """(full hooks, pre-hooks, deprecated non-full hooks): the global ones first, then the
    module's (its _backward_hooks are full or not as its first registration said)."""
    own = list(module._backward_hooks.values())
    legacy = module._is_full_backward_hook is False
    return (list(GLOBAL_BW.values()) + ([] if legacy else own),
            list(GLOBAL_BW_PRE.values()) + list(module._backward_pre_hooks.values()),
            own if legacy else [])


# ---- the deprecated register_backward_hook ---------------------------------------------
def attach_legacy_hooks(module, hooks: list, args: tuple, result) -> None:
    """PyTorch's non-full hooks: ``hook(module, grad_input, grad_output)`` becomes a hook of
    the output's node (its grad_inputs are that node's, not the module's), with PyTorch's
    warnings when that misses part of the module."""
    var = result
    while not isinstance(var, Tensor):
        if isinstance(var, dict):
            var = next(v for v in var.values() if isinstance(v, Tensor))
        else:
            var = var[0]
    node = var.grad_fn
    if node is None:
        return
    for hook in hooks:
        node.register_hook(lambda grad_input, grad_output, hook=hook:
                           hook(module, grad_input, grad_output))
    message = _legacy_warning(args, result, node)
    if message:
        warn(message, FutureWarning)


_DEPRECATED = " is deprecated and will be removed in future versions. "
_USE_FULL = "Please use register_full_backward_hook to get the documented behavior."


def _legacy_warning(args: tuple, result, node) -> str | None:
    """PyTorch's _maybe_warn_non_full_backward_hook, in the same order."""
    if isinstance(result, Tensor):
        result = (result,)
    elif not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
        return ("Using non-full backward hooks on a Module that does not return a single "
                "Tensor or a tuple of Tensors" + _DEPRECATED + "This hook will be missing some "
                "of the grad_output. " + _USE_FULL)
    if not all(isinstance(a, Tensor) for a in args):
        return ("Using non-full backward hooks on a Module that does not take as input a "
                "single Tensor or a tuple of Tensors" + _DEPRECATED + "This hook will be "
                "missing some of the grad_input. " + _USE_FULL)
    out_nodes = {r.grad_fn for r in result if r.grad_fn is not None}
    if not out_nodes or (len(out_nodes) == 1 and node not in out_nodes):
        return ("Using a non-full backward hook when outputs are nested in python data "
                "structure" + _DEPRECATED + "This hook will be missing some grad_output.")
    if len(out_nodes) > 1:
        return ("Using a non-full backward hook when outputs are generated by different "
                "autograd Nodes" + _DEPRECATED + "This hook will be missing some "
                "grad_output. " + _USE_FULL)
    input_nodes = {a.grad_fn for a in args if a.grad_fn is not None}
    if input_nodes != {n for n, _ in node.next_functions}:
        return ("Using a non-full backward hook when the forward contains multiple autograd "
                "Nodes" + _DEPRECATED + "This hook will be missing some grad_input. "
                + _USE_FULL)
    return None
