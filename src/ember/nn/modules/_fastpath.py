"""Inference fast path for Sequential: a cached plan of NumPy calls.

Under ``no_grad`` nothing is recorded, so a chain of stock layers (Linear, ReLU, Tanh,
Sigmoid, Identity, Dropout in eval mode) can run as back-to-back NumPy calls on one array:
each layer's primitive forward (the same code ``Primitive.apply`` runs) without the
per-layer module call, op wrapper and Tensor. Results are bit-identical to the layer-by-layer
path. At the first module it cannot run so (hooks, subclasses, patched forwards, dtype or
shape mismatches, which need PyTorch's error messages), it hands the array computed so far,
as a Tensor, to that module and calls the rest as usual: the same result, since layers run
either way compute the same values.

Which layers qualify depends only on the modules and on the input's dtype and width, so the
decision is made once and kept as a ``_Plan`` in the Sequential: a list of steps holding the
weight arrays themselves. A call then checks that nothing changed instead of inspecting
every layer again (W1 inference, batch 8: 5.2 -> ~4.3 us). "Nothing changed" is: the same
input dtype and width; ``_hooks.EPOCH`` unchanged (every hook, child, parameter or attribute
change of any module bumps it); each layer class's ``forward`` still the stock one; each
weight and bias still backed by the array the plan holds (``.data =``, ``.double()``).
"""

from __future__ import annotations

import numpy as np

from ... import threads as _threads
from ..._np_raw import dot as _dot
from ...autograd import function as _function
from ...autograd.function import NULL_CTX
from ...autograd.grad_mode import STATE
from ...ops.elementwise import Relu, Sigmoid, Tanh
from ...ops._util import relu_array, tanh_array
from ...ops.linalg import DOT_OUT_MAX, Linear as LinearOp, LinearNoBias, linear_forward
from ...tensor import Tensor
from ._chain import record as _record_chain
from ._hooks import EPOCH
from .activation import ReLU, Sigmoid as SigmoidModule, Tanh as TanhModule
from .dropout import Dropout
from .linear import Identity, Linear

_FORWARDS = {cls: cls.forward for cls in (Linear, ReLU, TanhModule, SigmoidModule, Identity,
                                          Dropout)}
# Step codes. Every step is (code, primitive, weight tensor, weight array, its transpose,
# bias tensor, bias array); the weights are None for activations.
LINEAR, RELU_INPLACE, TANH_INPLACE, UNARY = range(4)
_PRIMITIVE = {ReLU: Relu, TanhModule: Tanh, SigmoidModule: Sigmoid}


class _ReluOver(Relu):
    """Relu written over its input's array, for ``sequential_grad`` right after a Linear: that
    output is an array nothing else holds (Linear saves its input, not its output), so the
    graph is the same and one allocation and pass over memory less (128x128 float32: 4.8 ->
    3.4 us a layer)."""

    @staticmethod
    def forward(ctx, x):
        y = relu_array(x, out=x)
        ctx.save_for_backward(y)
        return y


class _TanhOver(Tanh):
    """Tanh over its input's array after a Linear, as ``_ReluOver``."""

    node_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, x):
        y = tanh_array(x, out=x)
        ctx.save_for_backward(y)
        return y


_OVER = {Relu: _ReluOver, Tanh: _TanhOver}


class _Plan:
    __slots__ = ("epoch", "dtype", "width", "steps", "classes", "tail", "chain", "small")

    def __init__(self, dtype, width: int) -> None:
        self.epoch, self.dtype, self.width = EPOCH[0], dtype, width
        self.steps: list = []
        self.classes: tuple = ()
        self.tail: tuple = ()  # the modules from the first one the plan cannot run
        # (weights, biases, relu flags, widths) when sequential_grad may record the steps as
        # one node (_chain.py): Linear, act, ..., Linear, each Linear with its own bias
        self.chain = None
        # (layers, most multiply-adds per row) when every step is a Linear with at most its
        # in-place activation, and no tail: _run_small's straight line (see there)
        self.small = None


def _chain_of(plan: _Plan):
    """plan.chain for these steps, or None (see _Plan)."""
    steps = plan.steps
    if plan.tail or len(steps) < 3 or len(steps) % 2 == 0 or plan.dtype.itemsize == 2:
        return None
    lin, act = steps[0::2], steps[1::2]
    if any(s[0] != LINEAR or s[5] is None for s in lin) or any(
            s[1] not in (_ReluOver, _TanhOver) for s in act):
        return None
    ws, bs = tuple(s[2] for s in lin), tuple(s[5] for s in lin)
    if len({id(t) for t in ws + bs}) != 2 * len(ws):  # a weight used twice: not fused
        return None
    return ws, bs, tuple(s[1] is _ReluOver for s in act), tuple(s[3].shape[0] for s in lin)


def _build(seq, modules, a: np.ndarray) -> _Plan:
    """Walk the modules once, as the uncached fast path did on every call."""
    plan = _Plan(a.dtype, a.shape[-1])
    dtype, width, fresh = a.dtype, a.shape[-1], False  # fresh: the array is our own
    linear = False  # the last step that computed was a Linear (its output is saved by none)
    modules = tuple(modules)
    classes = set()
    for i, m in enumerate(modules):
        cls = type(m)
        d = m.__dict__
        if (_FORWARDS.get(cls) is not cls.forward or d["_forward_hooks"]
                or d["_forward_pre_hooks"] or d.get("_backward_hooks")
                or d.get("_backward_pre_hooks") or "forward" in d):
            plan.tail = modules[i:]
            break
        if cls is Linear:  # its checks; a mismatch goes to Linear's own errors
            w, b = m.weight, m.bias
            wd = w._data
            if wd.dtype is not dtype or wd.ndim != 2 or width != wd.shape[1] or b is not None \
                    and (b._data.dtype is not dtype or b._data.shape != (wd.shape[0],)):
                plan.tail = modules[i:]
                break
            plan.steps.append((LINEAR, LinearNoBias if b is None else LinearOp, w, wd, wd.T, b,
                               None if b is None else b._data))
            width, fresh, linear = wd.shape[0], True, True
        elif cls is Identity or cls is Dropout and (not m.training or m.p == 0):
            pass
        elif cls is Dropout or cls is ReLU and m.inplace:
            plan.tail = modules[i:]  # a random mask; or ReLU(inplace=True) on the caller's
            break
        else:
            code, prim = UNARY, _PRIMITIVE[cls]
            if fresh and cls is not SigmoidModule:  # in place on our own array (exact)
                code = RELU_INPLACE if cls is ReLU else TANH_INPLACE
                if linear:  # with autograd too: the Linear's output is saved by no node
                    prim = _OVER[prim]
            plan.steps.append((code, prim) + (None,) * 5)
            fresh, linear = True, False
        classes.add(cls)
    plan.classes = tuple((cls, cls.forward) for cls in classes)
    plan.chain = _chain_of(plan)
    plan.small = _small_of(plan)
    seq.__dict__["_plan"] = plan
    return plan


def _small_of(plan: _Plan):
    """plan.small for these steps, or None: Linear layers (input width > 1) each followed
    by at most one in-place relu/tanh, nothing after."""
    if plan.tail or not plan.steps or plan.dtype.itemsize == 2:
        return None
    layers, acts = [], {RELU_INPLACE: relu_array, TANH_INPLACE: tanh_array}
    for code, _, w, wd, wt, b, bd in plan.steps:
        if code == LINEAR and wt.shape[0] > 1:
            layers.append([w, wd, wt, -(-DOT_OUT_MAX // wt.shape[1]), b, bd, None])
        elif code in acts and layers and layers[-1][6] is None:
            layers[-1][6] = acts[code]
        else:
            return None
    return tuple(tuple(s) for s in layers), max(s[2].size for s in layers)


def _plan_for(seq, modules, a: np.ndarray, weights: bool) -> _Plan:
    """The cached plan if still valid for input array ``a`` (see the module docstring).
    ``weights``: also check that each weight is still the array the plan holds (the no_grad
    path checks them as it goes instead)."""
    plan = seq.__dict__.get("_plan")
    if plan is None or plan.epoch != EPOCH[0] or plan.dtype is not a.dtype \
            or plan.width != a.shape[-1]:
        return _build(seq, modules, a)
    for cls, forward in plan.classes:
        if cls.forward is not forward:  # a class patched after the plan was made
            return _build(seq, modules, a)
    if weights:
        for code, _, w, wd, _, b, bd in plan.steps:
            if code == LINEAR and (w._data is not wd or b is not None and b._data is not bd):
                return _build(seq, modules, a)  # a weight was given a new array (.data =)
    return plan


def sequential_no_grad(seq, modules, x):
    """The chain's output Tensor under no_grad, or None to call every module as usual."""
    if type(x) is not Tensor:
        return None
    a = x._data
    plan = seq.__dict__.get("_plan")
    if plan is not None and plan.small is not None and type(a) is np.ndarray and \
            a.ndim == 2 and plan.dtype is a.dtype and plan.width == a.shape[1] and \
            plan.epoch == EPOCH[0] and _threads._one:  # _plan_for's tests, inline
        layers, madds = plan.small
        if a.shape[0] * madds <= _threads.LARGE:
            for cls, forward in plan.classes:
                if cls.forward is not forward:
                    break
            else:
                out = _run_small(layers, a)
                if out is not None:
                    return Tensor._make(out, False, None)
    # float16 goes layer by layer: linear_forward adds its bias before rounding.
    if type(a) is not np.ndarray or a.dtype.kind != "f" or a.ndim == 0 or a.dtype.itemsize == 2:
        return None
    plan = _plan_for(seq, modules, a, False)
    out = _run(plan, a)
    if out is None:  # a weight was given a new array (.data =): plan again
        plan = _build(seq, modules, a)
        out = _run(plan, a)
    result = x if out is a else Tensor._make(out, False, None)
    for m in plan.tail:
        result = m(result)
    return result


def _run(plan: _Plan, a: np.ndarray):
    """The plan's steps on array ``a`` (only arrays of our own are changed in place); None
    when a weight is no longer the array the plan holds."""
    for code, prim, w, wd, wt, b, bd in plan.steps:
        if code == LINEAR:  # linalg.linear_forward, inline (a call is ~0.2 us)
            if w._data is not wd or b is not None and b._data is not bd:
                return None
            if a.ndim == 2 and a.shape[1] > 1 and _threads._one and a.size * wt.shape[1] \
                    <= _threads.LARGE:
                a = _dot(a, wt) if a.shape[0] * wt.shape[1] < DOT_OUT_MAX else np.matmul(a, wt)
                if bd is not None:
                    a += bd
            else:  # (one input feature: one rounding, as PyTorch; batched; large)
                a = linear_forward(a, wd, bd)
        elif code == RELU_INPLACE:
            relu_array(a, out=a)
        elif code == TANH_INPLACE:
            tanh_array(a, out=a)
        else:
            a = prim.forward(NULL_CTX, a)
    return a


def _run_small(layers: tuple, a: np.ndarray):
    """``_run`` for a 2-D input whose products all stay below ``threads.LARGE`` (BLAS on one
    thread): the same NumPy calls, with _run's per-layer tests made once for the chain and
    each layer's step tuple cut to what this case reads. Each layer holds the most rows
    its input may have for np.dot (its output below DOT_OUT_MAX entries: see _mm).
    Saves ~1 us of a batch-1 acting step (4-128-128-2: sequential_no_grad 7.1 -> 6.1 us)."""
    rows = a.shape[0]
    for w, wd, wt, dot_rows, b, bd, act in layers:
        if w._data is not wd or b is not None and b._data is not bd:
            return None
        a = _dot(a, wt) if rows < dot_rows else np.matmul(a, wt)
        if bd is not None:
            a += bd
        if act is not None:
            act(a, out=a)
    return a


def sequential_grad(seq, modules, x):
    """The chain's output Tensor with its graph recorded, or None to call every module as
    usual: each stock layer's primitive applied directly, the very call the layer's forward
    makes for a 2-D float input (the same graph, without ~0.7 us of module call and checks
    per layer)."""
    if type(x) is not Tensor:
        return None
    a = x._data
    if type(a) is not np.ndarray or a.dtype.kind != "f" or a.ndim != 2:
        return None
    plan = _plan_for(seq, modules, a, True)
    chain = plan.chain
    if chain is not None and not (_function.WATCH_EVER and STATE.watch):
        ws, bs, relu, widths = chain
        for w, b in zip(ws, bs):
            if not (w._rg and b._rg):
                break
        else:  # every weight and bias requires grad: one node (_chain.py)
            return _record_chain(x, ws, bs, relu, widths)
    for code, prim, w, _, _, b, _ in plan.steps:
        x = prim.apply(x, w, b) if code == LINEAR else prim.apply(x)
    for m in plan.tail:
        x = m(x)
    return x
