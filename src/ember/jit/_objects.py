"""What ``torch.jit.script`` / ``torch.jit.trace`` hand back: ScriptModule, RecursiveScriptModule,
TracedModule, TopLevelTracedModule and ScriptFunction.

ember has no TorchScript compiler: each of these runs the original Python eagerly. A wrapped
module shares its original's parameter and buffer dicts (so ``.to()``, ``load_state_dict`` and
an optimizer over ``parameters()`` act on one set of tensors) and mirrors its children as
wrappers, so that names, ``print`` and ``isinstance(m, torch.jit.ScriptModule)`` read as in
PyTorch. ``.code`` and ``.graph`` give the Python source that runs, under a one-line note,
since there is no TorchScript IR to show.
"""

from __future__ import annotations

import copy
import functools
import inspect
import textwrap

from ..nn.modules.module import Module
from ..nn.modules._registry import Registry

_NOTE = "# ember runs this Python code eagerly (no TorchScript IR is compiled)\n"


def _source_text(fn) -> str:
    try:
        return _NOTE + textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return _NOTE + "# (the source of this code is not available)\n"


class Graph:
    """Stands where TorchScript's graph would: prints the eager code with its note."""

    def __init__(self, fn) -> None:
        self._fn = fn

    def __str__(self) -> str:
        return _source_text(self._fn)

    __repr__ = __str__


class _CodeMixin:
    @property
    def code(self) -> str:
        return _source_text(self._code_target())

    @property
    def graph(self) -> Graph:
        return Graph(self._code_target())

    inlined_graph = graph

    @property
    def code_with_constants(self):
        return self.code, {}


class ScriptModule(_CodeMixin, Module):
    """Base of scripted and traced modules; also the base of old-style
    ``class M(torch.jit.ScriptModule)`` models (whose ``@script_method``\\ s run as written)."""

    def __init_subclass__(cls, **kwargs):
        """A user's ``class M(torch.jit.ScriptModule)``: as PyTorch's compiler does when its
        ``__init__`` returns, M keeps its own name and gets ``original_name``, and each plain
        submodule it holds becomes a RecursiveScriptModule."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or cls.__module__ == __name__:
            return

        @functools.wraps(init)
        def __init__(self, *args, **kw):
            init(self, *args, **kw)
            if type(self).__init__ is __init__:  # the outermost __init__ has returned
                _script_children(self)

        cls.__init__ = __init__

    def _code_target(self):
        return self.forward

    def save(self, f, **kwargs):
        from . import save

        save(self, f, **kwargs)


class _EagerWrapper(ScriptModule):
    """What scripted and traced modules share: the original's forward, run eagerly."""

    def __init__(self, module: Module, _cloned: bool = False) -> None:
        if not _cloned:  # own training flags; the same Parameter objects
            module = _clone_tree(module)
        Module.__init__(self)
        d = self.__dict__
        d["_orig"] = module
        d["original_name"] = type(module).__name__
        d.pop("training", None)  # read from the original (the property below)
        # one store of tensors: the original's dicts themselves (their mirror stays on it)
        d["_parameters"] = module._parameters
        d["_buffers"] = module._buffers
        d["_non_persistent_buffers_set"] = module._non_persistent_buffers_set
        kind = _CHILD_KIND.get(type(self), type(self))
        # the children wrap the very clones this forward runs, so train()/eval() reach them
        d["_modules"] = Registry(self, [(k, None if c is None else _wrap(c, kind, True))
                                        for k, c in module._modules.items()])

    @property
    def training(self) -> bool:
        return self.__dict__["_orig"].training

    @training.setter
    def training(self, mode: bool) -> None:
        self.__dict__["_orig"].training = mode

    def forward(self, *args, **kwargs):
        return self.__dict__["_orig"](*args, **kwargs)

    def _code_target(self):
        return type(self._orig).forward

    def __getattr__(self, name: str):
        try:
            return Module.__getattr__(self, name)
        except AttributeError:
            pass
        orig = self.__dict__.get("_orig")
        if orig is None or name.startswith("__"):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        value = getattr(orig, name, _MISSING)
        if any(name in getattr(orig, reg) for reg in ("_parameters", "_buffers", "_modules")):
            value = _MISSING  # not in this wrapper's own registries (a frozen module's)
        # PyTorch compiles forward and @torch.jit.export methods only: the others are gone
        fn = getattr(value, "__func__", None)
        if value is _MISSING or (fn is not None and getattr(fn, "_torchscript_modifier", None)
                                 is None and inspect.ismethod(value)):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        from . import Attribute

        return value.value if isinstance(value, Attribute) else value

    def extra_repr(self) -> str:
        return f"original_name={self.original_name}"

    def __dir__(self) -> list:
        return sorted(set(Module.__dir__(self)) | {"original_name", "code", "graph"})

    def __reduce__(self):  # copy.deepcopy and pickle: rewrap a copy of the original
        kind = RecursiveScriptModule if isinstance(self, TracedModule) else type(self)  # as
        return _rewrap, (self._orig, kind, self.__dict__["_parameters"] is not  # PyTorch's
                         self._orig._parameters)

    def register_forward_hook(self, *args, **kwargs):
        raise RuntimeError("register_forward_hook is not supported on ScriptModules")

    def register_forward_pre_hook(self, *args, **kwargs):
        raise RuntimeError("register_forward_pre_hook is not supported on ScriptModules")


class RecursiveScriptModule(_EagerWrapper):
    """``torch.jit.script(module)``: the module's forward, run eagerly."""

    # containers (Sequential, ModuleList, ModuleDict) index as their originals do
    def __getitem__(self, idx):
        return self._orig[idx]

    def __len__(self) -> int:
        return len(self._orig)

    def __iter__(self):
        return iter(self._orig)

    def __contains__(self, key) -> bool:
        return key in self._orig


class TracedModule(_EagerWrapper):
    """A submodule of a ``torch.jit.trace``\\ d module; PyTorch prints it under its own name.
    As in PyTorch, not a RecursiveScriptModule, and a traced container cannot be indexed,
    measured or iterated (its forward is all the trace kept)."""

    def _get_name(self) -> str:
        return self.original_name


class TopLevelTracedModule(TracedModule):
    """``torch.jit.trace(module, example_inputs)``."""


_CHILD_KIND = {TopLevelTracedModule: TracedModule}
_MISSING = object()


def _clone_tree(module: Module) -> Module:
    """A copy of each module in the tree, holding the original parameters and buffers: a
    scripted module's train()/eval() is its own, while its weights are the original's."""
    clone = copy.copy(module)
    for name, child in list(clone._modules.items()):
        if child is not None:
            clone._modules[name] = _clone_tree(child)
    return clone


def _wrap(module: Module, kind=RecursiveScriptModule, cloned: bool = False):
    if isinstance(module, ScriptModule):
        return module
    return kind(module, cloned)


def _script_children(module: Module) -> None:
    module.__dict__["original_name"] = type(module).__name__
    for name, child in list(module._modules.items()):
        if child is not None:
            module._modules[name] = _wrap(child)


def _rewrap(module, kind, frozen):
    out = kind(module)
    return _empty_registries(out) if frozen else out


def _empty_registries(wrapper):
    """A frozen module: no parameters, buffers or submodules (PyTorch inlines them)."""
    wrapper.__dict__["_modules"].clear()  # drops the children's mirrored attributes
    for reg in ("_parameters", "_buffers", "_modules"):
        wrapper.__dict__[reg] = Registry(wrapper)
    return wrapper


class ScriptFunction(_CodeMixin):
    """``torch.jit.script(fn)`` / ``torch.jit.trace(fn, ...)``: ``fn``, called eagerly.

    Scripted functions check their arguments as TorchScript does (an unannotated argument is
    a Tensor), because a script that passes a Python number there fails in PyTorch."""

    __slots__ = ("_fn", "_schema", "name", "qualified_name")

    def __init__(self, fn, schema=None, name=None) -> None:
        self._fn, self._schema = fn, schema
        self.name = name or getattr(fn, "__name__", "fn")
        self.qualified_name = f"__torch__.{self.name}"

    def __call__(self, *args, **kwargs):
        if self._schema is not None:
            self._schema.check(args, kwargs)
        return self._fn(*args, **kwargs)

    def _code_target(self):
        return self._fn

    @property
    def schema(self):
        return self._schema

    def save(self, f, **kwargs):
        from . import save

        save(self, f, **kwargs)

    def __repr__(self) -> str:
        return f"<torch.jit.ScriptFunction object at {hex(id(self))}>"

