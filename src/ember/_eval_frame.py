"""``torch._dynamo.eval_frame.OptimizedModule``: what ``torch.compile(model)`` returns for a
module. ember runs the model eagerly, but the wrapper is visible to scripts: the model is
its one child, ``_orig_mod``, so ``state_dict()`` and ``named_parameters()`` names gain the
``_orig_mod.`` prefix (loading such a checkpoint into the plain model fails as in PyTorch),
the repr nests the model, and other attribute reads and writes reach the model."""

from __future__ import annotations

from typing import Any

from .nn.modules.module import Module

# Names that live on the wrapper itself; any other attribute is the wrapped model's.
_OWN = frozenset({"_orig_mod", "dynamo_ctx", "_torchdynamo_orig_callable",
                  "get_compiler_config", "forward", "_super_module_initialized"})


class OptimizedModule(Module):
    """A compiled module: calls, attributes, ``train``/``eval`` and the registries all go
    through to ``_orig_mod`` (ember has no compiler, so a call is the model's own call)."""

    def __init__(self, mod: Module) -> None:
        super().__init__()
        del self.__dict__["training"]  # (the property below reads the model's)
        self.__dict__["_modules"]["_orig_mod"] = mod
        self.__dict__["_torchdynamo_orig_callable"] = mod.__call__

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod(*args, **kwargs)  # the model's hooks run, as in PyTorch

    @property
    def training(self) -> bool:  # the model's flag (there is one mode for both)
        return self._orig_mod.training

    @training.setter
    def training(self, mode: bool) -> None:
        mods = self.__dict__.get("_modules")
        if mods is not None and "_orig_mod" in mods:
            mods["_orig_mod"].training = mode

    def get_compiler_config(self) -> None:
        return None  # no compiler, no configuration

    def __getattr__(self, name: str) -> Any:
        mods = self.__dict__.get("_modules")
        if mods is None or "_orig_mod" not in mods:  # half-built (copy, unpickling)
            raise AttributeError(f"'OptimizedModule' object has no attribute '{name}'")
        if name == "_orig_mod":
            return mods["_orig_mod"]
        return getattr(mods["_orig_mod"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN or hasattr(type(self), name):
            super().__setattr__(name, value)
        else:
            setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if name in _OWN or hasattr(type(self), name):
            super().__delattr__(name)
        else:
            delattr(self._orig_mod, name)

    def __reduce__(self):  # copies and pickles rebuild the wrapper around the model's copy
        return (type(self), (self._orig_mod,))

    def __dir__(self) -> list:
        own = dir(self._orig_mod)
        return own + [a for a in super().__dir__() if a not in own]


_PATCHED = []


def patch_once() -> None:
    """What PyTorch's first (enabled) torch.compile changes for the rest of the process:
    distributions stop validating their arguments by default (dynamo's TorchPatcher)."""
    if not _PATCHED:
        _PATCHED.append(True)
        from .distributions import Distribution

        Distribution.set_default_validate_args(False)
