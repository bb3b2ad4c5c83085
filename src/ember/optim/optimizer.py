"""Optimizer: PyTorch's base class (param_groups, state, state_dict, zero_grad, hooks).

``state`` is a defaultdict keyed by parameter, as in PyTorch. Its dicts are small subclasses
that raise a flag whenever an entry is replaced, so optimizers that cache NumPy views of their
state (see ``_fused.py``) know when to rebuild the cache; reading costs nothing extra.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from ._hooks import (_OptimizerHooks, register_optimizer_step_post_hook,  # noqa: F401
                     register_optimizer_step_pre_hook)

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton marking a hyperparameter a param group must give (PyTorch's ``required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class _Flag:
    __slots__ = ("dirty",)

    def __init__(self) -> None:
        self.dirty = True


def _mark(method_name: str):
    base = getattr(dict, method_name)

    def method(self, *args, **kwargs):
        self._flag.dirty = True
        return base(self, *args, **kwargs)

    method.__name__ = method_name
    return method


_WRITERS = ("__setitem__", "__delitem__", "clear", "pop", "popitem", "update", "setdefault")


class _ParamState(dict):
    """One parameter's state; writes mark the optimizer's caches stale."""

    __slots__ = ("_flag",)

    def __init__(self, flag: _Flag, *args, **kwargs) -> None:
        dict.__init__(self, *args, **kwargs)
        self._flag = flag

    def __reduce__(self):
        return (dict, (dict(self),))


class _State(defaultdict):
    """``optimizer.state``: parameter -> dict, created on first access like PyTorch's."""

    def __init__(self, flag: _Flag, items=()) -> None:
        defaultdict.__init__(self, dict)  # __missing__ below makes the entries
        self._flag = flag
        for k, v in dict(items).items():
            dict.__setitem__(self, k, v if isinstance(v, _ParamState) else _ParamState(flag, v))

    def __missing__(self, key):
        value = _ParamState(self._flag)
        dict.__setitem__(self, key, value)
        return value

    def __repr__(self) -> str:
        # print(opt.state) shows PyTorch's plain defaultdict(dict) form
        return f"defaultdict(<class 'dict'>, {dict.__repr__(self)})"

    def __copy__(self):
        # a copy is detached from the optimizer: a plain defaultdict, as PyTorch's copy is
        return defaultdict(dict, self)

    def __reduce__(self):
        return (defaultdict, (dict, dict(self)))


for _name in _WRITERS:
    setattr(_ParamState, _name, _mark(_name))
    setattr(_State, _name, _mark(_name))
# type(opt.state) and type(opt.state[p]) print as PyTorch's: collections.defaultdict / dict
# (programs print type(...).__name__ of them); the subclasses only add the write tracking.
_State.__name__ = _State.__qualname__ = "defaultdict"
_State.__module__ = "collections"
_ParamState.__name__ = _ParamState.__qualname__ = "dict"
_ParamState.__module__ = "builtins"


def _typename(obj) -> str:
    from ..nn.modules.module import _typename as typename  # torch.typename (error path only)

    return typename(obj)


class Optimizer(_OptimizerHooks):
    """Base class of all optimizers (``torch.optim.Optimizer``).

    Subclasses give ``defaults`` (each group's hyperparameters) and implement ``step``.
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._flag = _Flag()
        self._state = _State(self._flag)
        self._init_hooks()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ---- state ------------------------------------------------------------------------
    @property
    def state(self) -> defaultdict:
        return self._state

    @state.setter
    def state(self, value) -> None:
        flag = self.__dict__.get("_flag")
        if flag is None:  # a wrapper that skipped Optimizer.__init__ (Lookahead): its own flag
            flag = self._flag = _Flag()
        self._state = value if isinstance(value, _State) else _State(flag, value)
        self._state._flag = flag
        flag.dirty = True

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": dict(self._state),
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({k: v for k, v in state.items() if k != "state"})
        self.__dict__.setdefault("_flag", _Flag())
        self._flag.dirty = True
        self._init_hooks()
        self.state = _State(self._flag, state.get("state", {}))
        # Older checkpoints may lack newer keys: PyTorch's optimizers fill in their flags
        # (maximize, foreach, nesterov, amsgrad...), never the hyperparameters, so an SGD
        # loading Adam's state_dict keeps Adam's groups, and its step() misses 'momentum'.
        for group in self.param_groups:
            for key, value in self.defaults.items():
                if value is None or value is True or value is False:
                    group.setdefault(key, value)
        # after the groups: an optimizer without the option (LBFGS) keeps it off its groups
        self.defaults.setdefault("differentiable", False)
        if getattr(self, "_has_step", False):  # Adam & co. read each state's 'step' here:
            for st in dict.values(self._state):  # SGD's momentum state lacks it
                if isinstance(st, dict) and st and "step" not in st:
                    raise KeyError("step")

    def __repr__(self) -> str:
        # each group opens with a newline and ends its lines with one: a blank line between
        # groups, and "SGD ()" with none
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            out += "".join(f"    {k}: {group[k]}\n" for k in sorted(group) if k != "params")
        return out + ")"

    # ---- param groups -----------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own hyperparameters) to optimize."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not self.defaults.get("differentiable", None) and not (
                    p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            import warnings

            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
            if any(id(p) in ids for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
        self._flag.dirty = True

    # ---- gradients, steps, hooks -------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                # p._grad: the .grad property's leaf case without its call (optimizers hold
                # leaves only); ~1 us a parameter inside a training loop
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._rg = False
                    g._ensure_array().fill(0)
                    g._bump()

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the
        loss (run with grad enabled); the loss is returned."""
        raise NotImplementedError

    def _run_closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ---- checkpoints ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        State tensors are the optimizer's own (not copies), as in PyTorch."""
        self._state_dict_pre()
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): dict(v)
                 for k, v in self._state.items()}
        return self._state_dict_post({"state": state, "param_groups": groups})

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()``; tensors are copied and cast to each parameter's dtype
        ('step' keeps its own)."""
        state_dict = self._load_state_dict_pre(state_dict)
        groups = self.param_groups
        saved = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = {k: p for g, s in zip(groups, saved) for k, p in zip(s["params"], g["params"])}
        state = _State(self._flag)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                dict.__setitem__(state, p, _ParamState(self._flag, {
                    key: _cast(p, key, val) for key, val in v.items()}))
            else:
                dict.__setitem__(state, k, v)
        for g, s in zip(groups, saved):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.__setstate__({"state": state, "param_groups": saved})
        self._load_state_dict_post()


def _cast(param: Tensor, key, value):
    """One loaded state value as PyTorch takes it: a tensor itself (``value.to(dtype)``:
    shared with the state dict, so two optimizers loaded from one dict step the same moment
    tensors), a copy only where a float is cast to the parameter's dtype; other values as
    they are."""
    if isinstance(value, Tensor):
        arr = value._data
        if key != "step" and param._data.dtype.kind == "f" and arr.dtype.kind == "f" \
                and arr.dtype != param._data.dtype:
            return Tensor._make(np.asarray(arr).astype(param._data.dtype), False, None)
        return value
    if isinstance(value, dict):
        return {k: _cast(param, k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, None, v) for v in value)
    return value


def _check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
