"""The update engine shared by ember's built-in optimizers.

Each optimizer writes one ``_kernel`` on raw NumPy arrays, PyTorch's single-tensor formulas
with in-place ufuncs. The engine keeps, per param group, a ``_Plan``: one flat float buffer per
state entry (``exp_avg``, ...) plus scratch buffers, with a view of each for every parameter.
``state[p][key]`` are Tensors wrapping those views, so PyTorch's API sees ordinary state.

When every parameter of a group has a gradient, the same dtype and the same step count, the
kernel runs once on the flat buffers (grads gathered with one ``concatenate``; results added
back per parameter): a handful of NumPy calls per step instead of a handful per parameter,
which is what dominates small networks. Otherwise it runs per parameter on the views. Both
paths do the same elementwise float operations, so they give identical numbers.

Parameters and grads are read afresh every step (``p._data``, ``p.grad._data``), so replacing
``p.data`` or ``p.grad`` is safe. Replacing state entries (by hand or ``load_state_dict``)
raises a flag and the plans are rebuilt, adopting the new values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _np_raw, dtypes as D
from ..autograd._torch_errors import broadcast_message, broadcast_mismatch
from .._fma import fma_into as _fma_  # out = a*b + c, one rounding
from ..tensor import Tensor
from .optimizer import Optimizer

_concat = _np_raw.concatenate  # (only ever given arrays)
_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)


def _scalar_dtype() -> np.dtype:
    """PyTorch keeps 'step' in float32, or float64 when that is the default dtype."""
    return D._Defaults.float_np if D._Defaults.float_np == np.float64 else np.dtype(np.float32)


class _Plan:
    __slots__ = ("group", "plist", "n", "params", "keys", "flat", "views", "steps",
                 "step_views", "g", "b", "p", "gv", "bv", "pv", "inited", "uniform",
                 "fusable", "init_vals", "fstates", "pstates")


def _alloc(shapes, dtypes, n_flat: int):
    """(flat, views): one buffer split into per-parameter views (None when dtypes differ)."""
    if len(set(dtypes)) != 1:
        return None, [np.zeros(s, d) for s, d in zip(shapes, dtypes)]
    flat = np.zeros(n_flat, dtypes[0])
    views, at = [], 0
    for s in shapes:
        size = int(np.prod(s, dtype=np.int64))
        views.append(flat[at:at + size].reshape(s))
        at += size
    return flat, views


def _lr_value(lr):
    """The learning rate as the update reads it: a Tensor lr stays in its own dtype (a NumPy
    scalar), so ``lr / (1 - b1^t)`` and ``1 - lr * wd`` round there, as PyTorch's 0-d tensor
    arithmetic does (a float32 lr on a float64 model gives a float32 step size)."""
    if isinstance(lr, Tensor):
        return np.asarray(lr.detach().numpy()).reshape(())[()]
    return float(lr)


def _decayed_grad(P, G, gbuf, buf, lr, wd, decoupled, maximize):
    """The gradient an Adam-family kernel steps with: negated to maximize; weight decay
    either added to it (L2: G + wd P, rounded twice: see exact=False below) or applied to P
    itself (decoupled: P *= 1 - lr wd)."""
    if maximize:
        G = np.negative(G, out=gbuf)
    if wd != 0:
        if decoupled:
            P *= 1 - lr * wd
        else:
            np.multiply(P, wd, out=buf)
            G = np.add(G, buf, out=gbuf)
    return G


# PyTorch's compiled CPU kernels fuse x + a*y into one rounding (a fused multiply-add) in
# add_(y, alpha=a), lerp_ and addcmul_; NumPy's two ufuncs round twice, which moved ~1 entry
# in 60 of an SGD step by a unit in the last place. ``_fma_`` (ember/_fma.py) rounds once, so
# SGD, ASGD and Adamax follow PyTorch's trajectories to the bit. It costs ~4-6x the two
# plain ufuncs (the float64 casts), so the optimizers that divide by sqrt(v) (Adam, RMSprop,
# Adagrad, ...) keep the plain roundings (exact=False): PyTorch's sqrt (MKL) is 1 ulp low for
# ~0.6% of float32 entries, so their steps cannot be PyTorch's bit for bit anyway, and fusing
# their moments made W2's Adam step 20 -> 34 us for agreement of the moments alone.


def _apply(P: np.ndarray, update) -> None:
    """Add a kernel's result to the parameter: an array u (P += u), a pair (a, X) for
    PyTorch's ``param.add_(X, alpha=a)`` (one rounding), or None when the kernel updated P
    itself. Kernels returning pairs or None need P: ``_needs_param`` is True for them."""
    if type(update) is tuple:
        _fma_(P, update[0], update[1], P)
    elif update is not None:  # (None: the kernel updated P itself)
        P += update


def _opmath(a: np.ndarray, value):
    """A number as PyTorch's kernels take it for ``a``'s dtype (float32 below float64)."""
    return value if a.dtype == _F64 else np.float32(value)


def _lerp_(a: np.ndarray, end: np.ndarray, weight: float, buf: np.ndarray,
           exact: bool = True) -> None:
    """``a.lerp_(end, weight)``: d = end - a, then a + w d for |w| < 0.5, else
    end - d (1 - w) (PyTorch's two forms, exact at both ends), each one fused multiply-add;
    ``exact=False``: two roundings (see above)."""
    w = _opmath(a, weight)
    d = np.subtract(end, a, out=buf) if a.dtype != _F16 else np.subtract(end, a, dtype=_F32)
    small = abs(w) < 0.5
    if exact and small:
        _fma_(a, w, d, a)
    elif exact:
        _fma_(a, -(_opmath(a, 1) - w), d, end)
    elif small:
        d *= w
        a += d
    else:
        d *= w - _opmath(a, 1)
        np.add(end, d, out=a, casting="unsafe")


def _addcmul_(x: np.ndarray, t1: np.ndarray, t2: np.ndarray, value, buf: np.ndarray,
              exact: bool = True) -> None:
    """``x.addcmul_(t1, t2, value=v)``: (v t1) rounded, then x + (v t1) t2 fused;
    ``exact=False``: the last two steps rounded apart (see above)."""
    vt1 = (t1 if value == 1 else np.multiply(t1, _opmath(x, value), out=buf)
           if x.dtype != _F16 else np.multiply(t1, np.float32(value), dtype=_F32))
    if exact:
        _fma_(x, vt1, t2, x)
    else:
        x += np.multiply(vt1, t2, out=buf, casting="unsafe")


class _ArrayOptimizer(Optimizer):
    """Optimizer whose update is ``_kernel`` on NumPy arrays (see the module docstring).

    Subclasses define ``_has_step`` and ``_hyper(group) -> (hyper, state_keys, init_values)``
    and ``_kernel(h, P, G, gbuf, buf, states, step, first) -> update`` where P is the
    parameter (None when ``not _needs_param(h)`` on the fused path), G the gradient (written
    to only through ``gbuf``), ``states`` the state arrays in ``state_keys`` order; the
    kernel returns what to add to the parameter (see ``_apply``). ``_fuse_min`` is the
    smallest group size for which the fused path pays off.
    """

    _has_step = True
    _fuse_min = 2
    _state_required = True  # (SGD reads its momentum_buffer with state.get)
    # PyTorch's capturable=True check on CPU tensors: the tensors it names (single-tensor,
    # foreach) and whether 'xla' is in its device list (single-tensor, foreach)
    _capturable_names = ("params and state_steps", "params and state_steps")
    _capturable_xla = (True, False)
    _plans: list = []  # replaced (never mutated) per instance; unpickled copies start here
    _differentiable_ok = False  # True where a subclass has a Tensor-op step for differentiable

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        if defaults.get("fused") and (defaults.get("differentiable") or defaults.get("foreach")):
            super().__init__(params, defaults)  # PyTorch checks the params first
            if defaults.get("differentiable"):
                raise RuntimeError("`fused` does not support `differentiable`")
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        if defaults.get("differentiable") and not self._differentiable_ok:
            raise NotImplementedError(
                "differentiable=True is not supported: ember's optimizers update NumPy arrays "
                "in place, outside autograd.")
        super().__init__(params, defaults)
        self._plans = []

    def _needs_param(self, h) -> bool:
        return True

    def __setstate__(self, state) -> None:
        """As PyTorch's: a loaded (or unpickled) number 'step' becomes a 0-d float32 tensor
        (a checkpoint from before steps were tensors, GDRL's state['step'] = 0)."""
        super().__setstate__(state)
        if self._has_step:
            for st in dict.values(self._state):
                step = st.get("step") if isinstance(st, dict) else None
                if step is not None and not isinstance(step, Tensor):
                    dict.__setitem__(st, "step", Tensor._make(np.array(float(step), np.float32),
                                                             False, None))

    def step(self, closure=None):
        """Perform one optimization step (see ``Optimizer.step``); returns the closure's loss."""
        loss = None if closure is None else self._run_closure(closure)
        plans, groups = self._plans, self.param_groups
        if self._flag.dirty or len(plans) != len(groups):
            plans = self._rebuild()
        for plan, group in zip(plans, groups):
            params = group["params"]
            if plan.group is not group or plan.plist is not params or plan.n != len(params):
                plan = self._rebuild()[groups.index(group)]
            if group.get("capturable") and any(p.grad is not None for p in params):
                raise AssertionError(self._capturable_error(group))
            h, keys, init_vals = self._hyper(group)
            if keys != plan.keys:
                plan = self._rebuild()[groups.index(group)]
            self._update(plan, h)
        self._opt_called = True
        return loss

    step._sets_opt_called = True

    def _capturable_error(self, group) -> str:
        """PyTorch's message: capturable=True needs accelerator tensors, and ember's are CPU."""
        foreach = bool(group.get("foreach"))
        devices = ["cuda", "xpu", "hpu", "privateuseone"] + (
            ["xla"] if self._capturable_xla[foreach] else [])
        return (f"If capturable=True, {self._capturable_names[foreach]} must be on supported "
                f"devices: {devices}.")

    # ---- the two paths ----------------------------------------------------------------
    def _update(self, plan: _Plan, h) -> None:
        params = plan.params
        if plan.fusable and plan.uniform:
            grads = []
            for p in params:
                g = p._grad
                if g is None:
                    break
                grads.append(g._data)
            else:
                self._fused(plan, h, grads)
                return
        self._single(plan, h)

    def _fused(self, plan: _Plan, h, grads: list) -> None:
        first = not plan.inited[0]
        if first:
            for i in range(plan.n):
                self._init_param(plan, i)
        G = plan.g
        _concat(grads, axis=None, out=G)  # axis=None: flattened, no reshape per gradient
        step = 0.0
        if plan.steps is not None:
            steps = plan.steps
            steps += 1
            step = float(steps[0])
        params = plan.params
        if self._needs_param(h):
            P = plan.p
            _concat([p._data for p in params], axis=None, out=P)
            _apply(P, self._kernel(h, P, G, G, plan.b, plan.fstates, step, first))
            for p, v in zip(params, plan.pv):
                np.copyto(p._ensure_array(), v)
                vc = p._vc
                if vc.__class__ is list:
                    vc[0] += 1
                elif vc is not None:  # an inference tensor's mark: PyTorch's in-place error
                    vc.bump()
            return
        self._kernel(h, None, G, G, plan.b, plan.fstates, step, first)
        for p, v in zip(params, plan.bv):
            d = p._data
            if type(d) is not np.ndarray:
                d = p._ensure_array()
            d += v
            vc = p._vc
            if vc.__class__ is list:
                vc[0] += 1
            elif vc is not None:  # an inference tensor's mark: PyTorch's in-place error
                vc.bump()

    def _single(self, plan: _Plan, h) -> None:
        inited, step_views = plan.inited, plan.step_views
        for i, p in enumerate(plan.params):
            g = p._grad
            if g is None:
                continue
            first = not inited[i]
            if first:
                self._init_param(plan, i)
            step = 0.0
            if step_views is not None:
                sv = step_views[i]
                sv += 1
                step = float(sv)
            P = p._ensure_array()
            _apply(P, self._kernel(h, P, g._data, plan.gv[i], plan.bv[i], plan.pstates[i],
                                   step, first))
            p._bump()
        plan.uniform = self._is_uniform(plan)

    # ---- plans ------------------------------------------------------------------------
    def _rebuild(self) -> list[_Plan]:
        self._flag.dirty = False
        self._plans = [self._build(group) for group in self.param_groups]
        return self._plans

    def _build(self, group: dict) -> _Plan:
        plan = _Plan()
        params = group["params"]
        plan.group, plan.plist, plan.n, plan.params = group, params, len(params), list(params)
        _, plan.keys, plan.init_vals = self._hyper(group)
        shapes = [p._data.shape for p in params]
        dtypes = [p._data.dtype for p in params]
        total = sum(int(np.prod(s, dtype=np.int64)) for s in shapes)
        plan.flat, plan.views = {}, {}
        for key in plan.keys:
            plan.flat[key], plan.views[key] = _alloc(shapes, dtypes, total)
        plan.g, plan.gv = _alloc(shapes, dtypes, total)
        plan.b, plan.bv = _alloc(shapes, dtypes, total)
        plan.p, plan.pv = _alloc(shapes, dtypes, total)
        plan.steps = plan.step_views = None
        if self._has_step:
            plan.steps = np.zeros(len(params), _scalar_dtype())
            plan.step_views = [plan.steps[i, ...] for i in range(len(params))]
        plan.fstates = tuple(plan.flat[k] for k in plan.keys)
        plan.pstates = [tuple(plan.views[k][i] for k in plan.keys) for i in range(len(params))]
        plan.fusable = (plan.g is not None and len(params) >= self._fuse_min
                        and len({id(p) for p in params}) == len(params))
        plan.inited = [self._adopt(plan, i, p) for i, p in enumerate(params)]
        plan.uniform = self._is_uniform(plan)
        return plan

    def _adopt(self, plan: _Plan, i: int, p: Tensor) -> bool:
        """Take over the existing state of parameter i (if any) into the plan's views."""
        st = self._state.get(p)
        names = plan.keys + (("step",) if self._has_step else ())
        if not st or not any(st.get(k) is not None for k in names):
            return False
        if self._state_required:  # PyTorch's step reads state['exp_avg'] & co.: a KeyError
            for key in self._required_keys(plan):  # for an entry missing from a given state
                if key not in st:
                    raise KeyError(key)
        for key, init in zip(plan.keys, plan.init_vals):
            view, t = plan.views[key][i], st.get(key)
            if isinstance(t, Tensor) and t.is_shared():
                # shared state (A3C's SharedAdam): update it where it is, per parameter
                k, s = plan.keys.index(key), plan.pstates[i]
                plan.pstates[i] = s[:k] + (t._data,) + s[k + 1:]
                plan.views[key][i], plan.fusable = t._data, False
            elif isinstance(t, Tensor):
                bad = t._data.shape != view.shape and broadcast_mismatch(t._data.shape,
                                                                         view.shape)
                if bad:  # state loaded from a differently ordered model: PyTorch's words
                    raise RuntimeError(broadcast_message(*bad))
                view[...] = t._data
                t._data = view
            else:
                view.fill(init)
                dict.__setitem__(st, key, Tensor._make(view, False, None))
        if self._has_step:
            sv, t = plan.step_views[i], st.get("step", 0.0)
            if "step" in st and not isinstance(t, Tensor):  # state['step'] = 0 by hand
                raise RuntimeError("API has changed, `state_steps` argument must contain a "
                                   "list of singleton tensors")
            if isinstance(t, Tensor) and t.is_shared() and t._data.size == 1 and \
                    t._data.dtype == sv.dtype:
                plan.step_views[i], plan.fusable = t._data.reshape(()), False
                return True
            sv[...] = t._data if isinstance(t, Tensor) else float(t)
            if isinstance(t, Tensor) and t._data.dtype == sv.dtype:
                t._data = sv
            else:
                dict.__setitem__(st, "step", Tensor._make(sv, False, None))
        return True

    def _required_keys(self, plan: _Plan) -> tuple:
        return plan.keys + (("step",) if self._has_step else ())

    def _init_param(self, plan: _Plan, i: int) -> None:
        """Lazy state creation on a parameter's first step, in PyTorch's key order."""
        plan.inited[i] = True
        names = plan.keys + (("step",) if self._has_step else ())
        if not names:
            return
        st = self._state[plan.params[i]]
        if self._has_step:
            plan.step_views[i][...] = 0
            dict.__setitem__(st, "step", Tensor._make(plan.step_views[i], False, None))
        for key, init in zip(plan.keys, plan.init_vals):
            view = plan.views[key][i]
            view.fill(init)
            dict.__setitem__(st, key, Tensor._make(view, False, None))

    def _is_uniform(self, plan: _Plan) -> bool:
        """True when the fused path applies: all or no parameters started, equal steps."""
        n_on = sum(plan.inited)
        if n_on == 0:
            return True
        if n_on != plan.n:
            return False
        return plan.steps is None or bool(plan.steps.min() == plan.steps.max())
