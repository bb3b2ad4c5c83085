"""``ember.jit`` (``torch.jit``), eagerly: scripting and tracing hand back objects that run the
original Python, as ``ember.compile`` hands back the model itself.

What programs use works as in PyTorch: calling the result, ``parameters()``/``state_dict()``/
``train()``/``eval()``/``to()`` on a scripted or traced module, the type names
(``RecursiveScriptModule``, ``TopLevelTracedModule``, ``ScriptFunction``) and their printing,
trace's two example runs with its checks and TracerWarnings, scripted functions' argument
checks, and the decorators (``ignore``, ``unused``, ``export``, ``interface``), which only mark.
``.code`` and ``.graph`` show the Python source that runs (there is no TorchScript IR), and
``save``/``load`` raise: TorchScript archives hold compiled code ember cannot produce.
"""

from __future__ import annotations

import builtins
import os
import typing
import warnings

from ..nn.modules.module import Module
from ._objects import (Graph, RecursiveScriptModule, ScriptFunction, ScriptModule,  # noqa: F401
                       TopLevelTracedModule, TracedModule, _empty_registries, _wrap)
from ._schema import Schema
from ._trace import _STATE, TracerWarning, trace, trace_module  # noqa: F401

Final = typing.Final
_isinstance = builtins.isinstance  # this module defines torch.jit.isinstance


class Error(Exception):
    """TorchScript's runtime error (raised by compiled code; ember's eager code raises the
    ordinary Python exceptions)."""


def _deprecated(name: str, instead: str = "Please use `torch.compile` instead.") -> None:
    warnings.warn(f"`torch.jit.{name}` is deprecated. {instead}", DeprecationWarning,
                  stacklevel=2)  # points into ember, so hidden by default as PyTorch's is


def is_scripting() -> bool:
    """False: ember code never runs as TorchScript."""
    return False


def is_tracing() -> bool:
    """True only inside ``torch.jit.trace``'s example runs."""
    return _STATE["depth"] > 0


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """A module becomes a RecursiveScriptModule and a function a ScriptFunction, each running
    the original eagerly; a plain class is returned as it is (a TorchScript class)."""
    _deprecated("script", "Please switch to `torch.compile` or `torch.export`.")
    if _isinstance(obj, (ScriptModule, ScriptFunction)):
        return obj
    if _isinstance(obj, Module):
        return _wrap(obj)
    if _isinstance(obj, type):
        if issubclass(obj, Module):
            raise RuntimeError(f"Type '{obj}' cannot be compiled since it inherits from "
                               "nn.Module, pass an instance instead")
        if obj.__module__ == "builtins":
            raise TypeError(f"{obj} is a built-in class")
        return obj
    if not callable(obj):
        raise TypeError(f"{type(obj)} is a built-in class")
    if getattr(obj, "_torchscript_modifier", None) in (_IGNORE, _UNUSED):
        return obj
    return ScriptFunction(obj, Schema.of(obj))


def script_method(fn):
    """Old-style ``@torch.jit.script_method`` on a ScriptModule subclass: the method itself,
    with PyTorch's DeprecationWarning each time a class body applies it."""
    _deprecated("script_method", "Please switch to `torch.compile` or `torch.export`.")
    return fn


# ---- decorators: TorchScript's compiler reads these marks; eager code runs unchanged --------
_EXPORT, _IGNORE, _UNUSED, _DEFAULT = "export", "ignore", "unused", "default"


def _mark(fn, how: str):
    if _isinstance(fn, property):  # unused properties: mark the getter (and setter)
        for part in (fn.fget, fn.fset):
            if part is not None:
                part._torchscript_modifier = how
        return fn
    fn._torchscript_modifier = how
    return fn


def export(fn):
    """Compile this method too (besides forward): here it stays reachable on the scripted
    module."""
    return _mark(fn, _EXPORT)


def unused(fn):
    """Leave this function out of compilation: in eager code it runs as usual."""
    return _mark(fn, _UNUSED)


def ignore(drop=False, **kwargs):
    """Leave this function as a Python call; ``ignore(drop=True)`` is ``unused``'s old name."""
    if callable(drop):
        return _mark(drop, _IGNORE)
    drop = kwargs.pop("drop_on_export", drop)
    if drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the function "
                      "call on compilation. Use torch.jit.unused now. {}", FutureWarning,
                      stacklevel=2)
    return lambda fn: _mark(fn, _UNUSED if drop else _IGNORE)


def _copy_to_script_wrapper(fn):
    return fn


def interface(obj):
    """A TorchScript interface type: a class, used as written."""
    if not _isinstance(obj, type):
        raise RuntimeError("interface must be applied to a class")
    return obj


def annotate(the_type, the_value):
    """Tells TorchScript the type of ``the_value``; in eager code, ``the_value`` itself."""
    return the_value


class Attribute(typing.NamedTuple):
    """``self.x = torch.jit.Attribute(value, type)``: a scripted module sees ``value``."""

    value: typing.Any
    type: typing.Any


def isinstance(obj, target_type) -> bool:  # noqa: A001 - torch.jit.isinstance
    """``isinstance`` that also understands ``List[int]``-style types (checked elementwise)."""
    origin, args = typing.get_origin(target_type), typing.get_args(target_type)
    if origin is None:
        return _isinstance(obj, target_type)
    if origin is typing.Union:
        return any(isinstance(obj, a) for a in args)
    if not _isinstance(obj, origin):
        return False
    if origin in (list, set) and args:
        return all(isinstance(x, args[0]) for x in obj)
    if origin is dict and args:
        return all(isinstance(k, args[0]) and isinstance(v, args[1]) for k, v in obj.items())
    if origin is tuple and args:
        return len(obj) == len(args) and all(isinstance(x, a) for x, a in zip(obj, args))
    return True


# ---- asynchronous calls: run at once --------------------------------------------------------
class Future:
    """A result that is already there: ``torch.jit.fork`` runs its function at once."""

    def __init__(self, value=None) -> None:
        self._value, self._callbacks = value, []

    def wait(self):
        return self._value

    value = wait

    def done(self) -> bool:
        return True

    def set_result(self, result) -> None:
        self._value = result

    def then(self, callback) -> "Future":
        return Future(callback(self))

    def add_done_callback(self, callback) -> None:
        callback(self)

    def __repr__(self) -> str:
        return f"<torch.Future object at {hex(id(self))}>"


def fork(func, *args, **kwargs) -> Future:
    """Run ``func(*args, **kwargs)`` (now: ember is eager and single-threaded) into a Future."""
    _deprecated("fork")
    return Future(func(*args, **kwargs))


def wait(future: Future):
    _deprecated("wait")
    return future.wait()


# ---- whole-module passes ---------------------------------------------------------------------
def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """PyTorch inlines parameters as constants: the result has no parameters, buffers or
    submodules and its outputs need no grad. Here: a copy whose tensors need no grad."""
    _deprecated("freeze")
    if not _isinstance(mod, ScriptModule):
        raise RuntimeError("Freezing expects a ScriptModule as input. Please use "
                           "torch.jit.script or torch.jit.trace to script your 'nn.Module'.")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    import copy

    inner = copy.deepcopy(getattr(mod, "_orig", mod)).requires_grad_(False)
    return _empty_registries(RecursiveScriptModule(inner))




def optimize_for_inference(mod, other_methods=None):
    """PyTorch freezes the module (in eval mode) and fuses its ops; here: ``freeze``."""
    _deprecated("optimize_for_inference")
    if not _isinstance(mod, ScriptModule):
        raise RuntimeError("optimize_for_inference expects a ScriptModule as input. Please use "
                           "torch.jit.script or torch.jit.trace to script your 'nn.Module'.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return freeze(mod.eval(), preserved_attrs=other_methods)


# ---- fuser settings: recorded and reported, with nothing to fuse ------------------------------
_FUSION = {"strategy": [("STATIC", 2), ("DYNAMIC", 10)], "onednn": False}


def set_fusion_strategy(strategy):
    """Record the strategy; returns the previous one, as PyTorch does."""
    _deprecated("set_fusion_strategy")
    previous, _FUSION["strategy"] = _FUSION["strategy"], list(strategy)
    return previous


def enable_onednn_fusion(enabled: bool) -> None:
    _FUSION["onednn"] = bool(enabled)


def onednn_fusion_enabled() -> bool:
    return _FUSION["onednn"]


# ---- TorchScript archives ---------------------------------------------------------------------
_NO_ARCHIVE = ("ember cannot {} TorchScript archives: they hold TorchScript's compiled code, "
               "and ember runs models eagerly as Python.\nSave the weights instead: "
               "torch.save(model.state_dict(), path); to restore, build the model from its "
               "class and call model.load_state_dict(torch.load(path)).")


def save(m, f, _extra_files=None):
    _deprecated("save", "Please switch to `torch.export`.")
    if not _isinstance(m, (ScriptModule, ScriptFunction)):  # PyTorch's error for a plain module
        method = "save" if _isinstance(f, (str, os.PathLike)) else "save_to_buffer"
        raise AttributeError(f"'{type(m).__name__}' object has no attribute '{method}'")
    raise RuntimeError(_NO_ARCHIVE.format("write"))


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    _deprecated("load", "Please switch to `torch.export`.")
    if _isinstance(f, (str, os.PathLike)):
        if not os.path.exists(f):
            raise ValueError(f"The provided filename {f} does not exist")
        if os.path.isdir(f):
            raise ValueError(f"The provided filename {f} is a directory")
    raise RuntimeError(_NO_ARCHIVE.format("read"))
