"""``torch.jit.trace`` / ``trace_module``, run eagerly.

PyTorch runs the function on the example inputs to record a graph and, with
``check_trace=True`` (the default), once more to check the recording: so prints in forward
appear twice and ``torch.jit.is_tracing()`` is True in both runs. ember makes the same two
runs (there is no graph: the result then calls the Python code), with PyTorch's checks on the
example inputs and outputs and its TracerWarning where a tensor is turned into a Python value
(``if x.sum() > 0``, ``.item()``): a trace would freeze that value as a constant.
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings

from ..nn.modules.module import Module
from ..tensor import Tensor
from ._objects import ScriptFunction, ScriptModule, TopLevelTracedModule, _wrap

_STATE = {"depth": 0}


class TracerWarning(Warning):
    """A trace may not generalize: a tensor became a Python value, or an output is a list."""

    @staticmethod
    def ignore_lib_warnings() -> None:
        warnings.filterwarnings("ignore", category=TracerWarning, module="ember.(?!jit)")


_WHAT = {"__bool__": "a Python boolean", "item": "a Python number", "__int__": "a Python integer",
         "__float__": "a Python float", "__index__": "a Python index", "tolist": "a Python list",
         "numpy": "a NumPy array"}


def _warning(method: str) -> str:
    return (f"Converting a tensor to {_WHAT[method]} might cause the trace to be incorrect. We "
            "can't record the data flow of Python values, so this value will be treated as a "
            "constant in the future. This means that the trace might not generalize to other "
            "inputs!")


def _warn_on(method: str, original):
    @functools.wraps(original)
    def converted(self, *args, **kwargs):
        warnings.warn(_warning(method), TracerWarning, stacklevel=2)
        return original(self, *args, **kwargs)
    return converted


def _run_traced(fn, args: tuple, kwargs: dict):
    """One run with is_tracing() True and Tensor's conversions warning (restored after)."""
    outer = not _STATE["depth"]
    saved = {m: getattr(Tensor, m) for m in _WHAT}  # (some live in a mixin of Tensor)
    _STATE["depth"] += 1
    try:
        if outer:
            for m, f in saved.items():
                setattr(Tensor, m, _warn_on(m, f))
        return fn(*args, **kwargs)
    finally:
        _STATE["depth"] -= 1
        if not _STATE["depth"]:
            for m, f in saved.items():
                setattr(Tensor, m, f)


def _jit_type(v) -> str | None:
    """TorchScript's name for an example input's type (None for a list it cannot type)."""
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, tuple):
        return f"Tuple[{', '.join(_jit_type(x) for x in v)}]"
    if isinstance(v, list):
        kinds = {_jit_type(x) for x in v}
        return f"List[{kinds.pop()}]" if len(kinds) == 1 else None
    if isinstance(v, dict):
        keys = {_jit_type(k) for k in v} or {"str"}
        vals = {_jit_type(x) for x in v.values()} or {"Tensor"}
        return f"Dict[{keys.pop()}, {vals.pop()}]" if len(keys) == len(vals) == 1 else None
    return {int: "int", float: "float", bool: "bool", str: "str"}.get(type(v), type(v).__name__)


def _only_tensors(v) -> bool:
    if isinstance(v, Tensor):
        return True
    if isinstance(v, (list, tuple)):
        return all(_only_tensors(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, (str, int, float, Tensor)) for k in v) and \
            all(_only_tensors(x) for x in v.values())
    return False


def _check_inputs(args: tuple) -> None:
    for a in args:
        if isinstance(a, list) and _jit_type(a) is None:
            raise RuntimeError(f"Tracer cannot infer type of {args}")
    if not _only_tensors(args):
        raise RuntimeError(f"Type '{_jit_type(args)}' cannot be traced. Only Tensors and "
                           "(possibly nested) Lists, Dicts, and Tuples of Tensors can be traced")


_BAD_OUT = ("Only tensors, lists, tuples of tensors, or dictionary of tensors can be output "
            "from traced functions")


def _check_output(out, strict: bool) -> None:
    if out is None:
        raise RuntimeError("The traced function didn't return any values! Side-effects are not "
                           "captured in traces, so it would be a no-op.")
    if not _only_tensors(out):
        raise RuntimeError(_BAD_OUT)
    if isinstance(out, (list, dict)):
        kind = type(out).__name__
        msg = (f"Encountering a {kind} at the output of the tracer might cause the trace to be "
               "incorrect, this is only valid if the container structure does not change "
               "based on the module's inputs. Consider using a constant container instead (e.g. "
               "for `list`, use a `tuple` instead. for `dict`, use a `NamedTuple` instead). If "
               "you absolutely need this and know the side effects, pass strict=False to "
               "trace() to allow this behavior.")
        if strict and kind == "dict":
            raise RuntimeError(msg)
        if strict:
            warnings.warn(msg, TracerWarning, stacklevel=4)


def _as_args(example_inputs) -> tuple:
    if isinstance(example_inputs, Tensor):
        return (example_inputs,)
    return tuple(example_inputs)  # PyTorch's TypeError ("'float' object is not iterable")


def _example_runs(fn, args, kwargs, check_trace: bool, strict: bool, checks) -> None:
    """The trace's run on the example inputs, then, with ``check_trace``, PyTorch's check for
    each of ``checks`` (``(args, kwargs, retrace)``: the example inputs, or each of
    ``check_inputs``): a new trace on them (``retrace()``, which gives its own deprecation
    warning), the Python function's run and the graph's (the Python code again, prints
    hidden)."""
    out = _run_traced(fn, args, kwargs)
    _check_output(out, strict)
    if check_trace:
        for c_args, c_kwargs, retrace in checks:
            retrace()
            fn(*c_args, **c_kwargs)
            with contextlib.redirect_stdout(io.StringIO()):  # the graph (no Python prints)
                fn(*c_args, **c_kwargs)


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-5, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """Run ``func`` on ``example_inputs`` (and, checking, again on them or on each of
    ``check_inputs``, as PyTorch's trace and check do) and return a callable that runs it
    eagerly: a TopLevelTracedModule for a module, a ScriptFunction for a function."""
    warnings.warn("`torch.jit.trace` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning)
    if isinstance(func, ScriptModule) or isinstance(func, ScriptFunction):
        warnings.warn("The input to trace is already a ScriptModule, tracing it is a no-op. "
                      "Returning the object as is.")
        return func
    if isinstance(func, Module):  # PyTorch's wrap_check_inputs: each one for forward
        checks = None if check_inputs is None else [{"forward": c} for c in check_inputs]
        if example_kwarg_inputs is not None:
            return trace_module(func, {"forward": example_kwarg_inputs}, None, check_trace,
                                checks, check_tolerance, strict,
                                example_inputs_is_kwarg=True)
        return trace_module(func, {"forward": example_inputs}, None, check_trace, checks,
                            check_tolerance, strict)
    is_kwarg = example_kwarg_inputs is not None
    kwargs = dict(example_kwarg_inputs or {})
    args = () if example_inputs is None else _as_args(example_inputs)
    _check_inputs(args + tuple(kwargs.values()))
    if not args and not kwargs:
        raise IndexError("tuple index out of range")  # PyTorch's, for ()
    if check_inputs is None:
        check_inputs = [kwargs if is_kwarg else args]

    def check(inputs):  # PyTorch's _check_trace: a new trace (check_trace=False), then runs
        c_args, c_kwargs = ((), dict(inputs)) if is_kwarg else (_as_args(inputs), {})
        return c_args, c_kwargs, lambda: trace(
            func, None if is_kwarg else c_args, check_trace=False, strict=strict,
            example_kwarg_inputs=c_kwargs if is_kwarg else None)

    _example_runs(func, args, kwargs, check_trace, strict, [check(c) for c in check_inputs])
    name = getattr(func, "__name__", "fn")
    return ScriptFunction(func, None, "_lambda" if name == "<lambda>" else name)


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None,
                 check_tolerance=1e-5, strict=True, _force_outplace=False, _module_class=None,
                 _compilation_unit=None, example_inputs_is_kwarg=False, _store_inputs=True):
    """Run each named method of ``mod`` on its example inputs (``{'forward': x}``); checking
    a method traces all of them anew on the example inputs (or on each dict of
    ``check_inputs``), then runs the method on its own entry, as PyTorch does."""
    warnings.warn("`torch.jit.trace_method` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning)
    if not isinstance(mod, Module):
        raise AttributeError("expected torch.nn.Module as the first argument")
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")

    def split(example):
        return ((), dict(example)) if example_inputs_is_kwarg else (_as_args(example), {})

    def check(all_inputs, method):
        c_args, c_kwargs = split(all_inputs[method])
        return c_args, c_kwargs, lambda: trace_module(
            mod, all_inputs, check_trace=False, strict=strict,
            example_inputs_is_kwarg=example_inputs_is_kwarg)

    for method, example in inputs.items():
        fn = mod if method == "forward" else getattr(mod, method)
        args, kwargs = split(example)
        _check_inputs(args + tuple(kwargs.values()))
        chosen = [inputs] if check_inputs is None else check_inputs
        checks = [check(c, method) for c in chosen] if check_trace else []
        _example_runs(fn, args, kwargs, check_trace, strict, checks)
    return _wrap(mod, TopLevelTracedModule)
