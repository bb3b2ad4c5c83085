"""``torch.func.functional_call`` and ``stack_module_state``: running a module with other
parameters and buffers (swapped in for the call, put back after), and stacking the states of
several identical modules for ``vmap`` ensembles."""

from __future__ import annotations

import collections
import collections.abc

import ember


def _owner(module, name: str):
    *path, leaf = name.split(".")
    for p in path:
        module = getattr(module, p)
    return module, leaf


def _swap(module, name: str, value):
    """Put value under name; return a function that puts the old entry back."""
    owner, leaf = _owner(module, name)
    for reg in ("_parameters", "_buffers"):
        table = owner.__dict__.get(reg)
        if table is not None and leaf in table:
            old = table[leaf]
            table[leaf] = value

            def restore(table=table, leaf=leaf, old=old):
                table[leaf] = old
            return restore
    had = leaf in owner.__dict__
    old = owner.__dict__.get(leaf)
    object.__setattr__(owner, leaf, value)

    def restore_attr():
        if had:
            object.__setattr__(owner, leaf, old)
        else:
            object.__delattr__(owner, leaf)
    return restore_attr


def _merged(dicts) -> dict:
    """One dict from a dict or a list/tuple of dicts (PyTorch's ValueErrors for anything else,
    e.g. a list of tensors, and for a name given twice)."""
    if isinstance(dicts, dict):
        return dict(dicts)
    if not isinstance(dicts, collections.abc.Sequence):
        cls = "torch.Tensor" if type(dicts) is ember.Tensor else \
            f"{type(dicts).__module__.replace('ember', 'torch', 1)}.{type(dicts).__qualname__}"
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got <class '{cls.removeprefix('builtins.')}'>")
    if not all(isinstance(d, dict) for d in dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
    seen = collections.Counter(k for d in dicts for k in d)
    twice = [k for k, n in seen.items() if n > 1]
    if twice:
        raise ValueError(f"{twice} appeared in multiple dictionaries; behavior of functional "
                         "call is ambiguous")
    return {k: v for d in dicts for k, v in d.items()}


def _with_ties(module, values: dict) -> dict:
    """Entries tied to a given one (the same Parameter under two names) follow it."""
    by_id = {}
    named = list(module.named_parameters(remove_duplicate=False)) + \
        list(module.named_buffers(remove_duplicate=False))
    for name, t in named:
        if name in values:
            by_id[id(t)] = values[name]
    for name, t in named:
        if name not in values and id(t) in by_id:
            values[name] = by_id[id(t)]
    return values


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """module(*args, **kwargs) with its parameters and buffers replaced by the given tensors
    (by dotted name) for the duration of the call."""
    values = _merged(parameter_and_buffer_dicts)
    if tie_weights:
        values = _with_ties(module, values)
    if strict:
        known = {n for n, _ in module.named_parameters(remove_duplicate=False)} | \
            {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(known - set(values)), sorted(set(values) - known)
        if missing or unexpected:
            parts = ([f"Unexpected key(s): {', '.join(map(repr, unexpected))}."]
                     if unexpected else []) + \
                ([f"Missing key(s): {', '.join(map(repr, missing))}."] if missing else [])
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                               + "\n\t".join(parts))
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    restores = []
    try:
        for name, value in values.items():
            restores.append(_swap(module, name, value))
        return module(*args, **(kwargs or {}))
    finally:
        for restore in reversed(restores):
            restore()


def _stacked_leaf(tensors, name: str):
    grads = {t.requires_grad for t in tensors}
    if len(grads) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    out = ember.stack(tensors)
    # a fresh leaf (the ensemble's own parameter), not a view into the models' graph
    return out.detach().requires_grad_() if True in grads else out


def stack_module_state(models) -> tuple:
    """(params, buffers) of same-class models, each entry stacked along a new leading dim."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode.")
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    out = []
    for named in ("named_parameters", "named_buffers"):
        tables = [dict(getattr(m, named)()) for m in models]
        out.append({k: _stacked_leaf([t[k] for t in tables], k) for k in tables[0]})
    return tuple(out)
