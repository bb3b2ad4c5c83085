"""Run unmodified PyTorch code on ember.

``python -m ember.run script.py [args...]`` runs ``script.py`` as ``__main__`` with
``import torch`` (and every ``torch.X.Y``) resolving to ember's modules (``ember.X.Y``).
A module ember lacks raises a clear ``ModuleNotFoundError``; the import never falls
through to a real PyTorch installation.

In-process use (tests, notebooks)::

    import ember.run
    with ember.run.torch_alias():
        import torch            # this is ember
        import torch.nn as nn   # this is ember.nn

or ``ember.run.install()`` ... ``ember.run.uninstall()``.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import io
import os
import sys
import types
from typing import Iterator, Sequence

__all__ = ["TorchAliasFinder", "install", "uninstall", "is_installed", "torch_alias", "main"]

_HINT = ("ember implements only part of PyTorch's API; use the part it has, or run this "
         "script with real PyTorch (plain `python script.py`).")


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system an already-imported target module unchanged."""

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module
        self._spec = module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        # Returning the existing object makes sys.modules['torch.nn'] *be* ember.nn;
        # the import system keeps the module's own __name__, __spec__ and __path__.
        return self._module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the target module was executed when it was imported. The import
        system has just set ``__spec__`` to the alias's; put ember's back, or relative
        imports inside the module warn ``__package__ != __spec__.parent``."""
        module.__spec__ = self._spec


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Meta-path finder mapping ``alias[.X.Y]`` to ``target[.X.Y]``.

    It answers every name under ``alias``, so the import can never reach a real
    package of that name further down ``sys.meta_path``.
    """

    def __init__(self, target: str = "ember", alias: str = "torch") -> None:
        self.target = target
        self.alias = alias

    def mapped_name(self, fullname: str) -> str | None:
        """The target module name for ``fullname``, or None when it is not aliased."""
        if fullname == self.alias:
            return self.target
        if fullname.startswith(self.alias + "."):
            return self.target + fullname[len(self.alias):]
        return None

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        mapped = self.mapped_name(fullname)
        if mapped is None:
            return None
        module = self._import_target(fullname, mapped)
        is_pkg = hasattr(module, "__path__")
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(module), is_package=is_pkg)

    def _import_target(self, fullname: str, mapped: str) -> types.ModuleType:
        try:
            return importlib.import_module(mapped)
        except ModuleNotFoundError as exc:
            # Only translate "the mapped module itself (or a parent) is missing"; a
            # missing dependency *inside* ember must surface as itself.
            # ember itself missing is an installation problem, reported as is.
            missing = exc.name or ""
            inside = missing != mapped and not mapped.startswith(missing + ".")
            if inside or missing == self.target:
                raise
        raise ModuleNotFoundError(
            f"ember has no module '{fullname}' (mapped to {mapped}). {_HINT}",
            name=fullname) from None


_finder: TorchAliasFinder | None = None
_saved_modules: dict[str, types.ModuleType] = {}


def _alias_names(alias: str) -> list[str]:
    return [n for n in sys.modules if n == alias or n.startswith(alias + ".")]


def _alias_loaded_targets(finder: TorchAliasFinder) -> None:
    """Point sys.modules['torch.X'] at every ember.X that is already imported."""
    prefix = finder.target + "."
    for name, module in list(sys.modules.items()):
        if module is None:
            continue
        if name == finder.target:
            sys.modules[finder.alias] = module
        elif name.startswith(prefix):
            sys.modules[finder.alias + name[len(finder.target):]] = module


def install(target: str = "ember", alias: str = "torch") -> TorchAliasFinder:
    """Make ``import <alias>[.X]`` resolve to ``<target>[.X]`` until :func:`uninstall`.

    Modules already imported under ``alias`` (e.g. a real torch) are set aside and put
    back by :func:`uninstall`. Installing twice with the same names is a no-op.
    """
    global _finder
    if _finder is not None:
        if (_finder.target, _finder.alias) == (target, alias):
            return _finder
        raise RuntimeError(f"alias already installed: {_finder.alias} -> {_finder.target}; "
                           "call ember.run.uninstall() first")
    finder = TorchAliasFinder(target, alias)
    for name in _alias_names(alias):
        _saved_modules[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, finder)
    importlib.invalidate_caches()
    _finder = finder
    _alias_loaded_targets(finder)
    return finder


def uninstall() -> None:
    """Remove the alias and restore whatever was imported under its name before."""
    global _finder
    if _finder is None:
        return
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(_finder)
    for name in _alias_names(_finder.alias):
        del sys.modules[name]
    sys.modules.update(_saved_modules)
    _saved_modules.clear()
    _finder = None


def is_installed() -> bool:
    """Whether the alias is active."""
    return _finder is not None


@contextlib.contextmanager
def torch_alias(target: str = "ember", alias: str = "torch") -> Iterator[TorchAliasFinder]:
    """Context manager: alias ``torch`` to ``ember`` inside the block only.

    Nested use is fine: only the outermost block installs and uninstalls.
    """
    owner = not is_installed()
    finder = install(target, alias)
    try:
        yield finder
    finally:
        if owner:
            uninstall()


def keep_alias_in_spawned_children() -> None:
    """While the alias is installed, a child started by multiprocessing's spawn (or
    forkserver) method installs it too: it re-runs the script's imports before anything else,
    and without this its ``import torch`` would find a real torch. An extra entry of the
    preparation data (unpickled first in the child; ``prepare`` ignores unknown keys) does it."""
    import multiprocessing.spawn as mp_spawn

    if not is_installed() or getattr(mp_spawn, "_ember_alias", False):
        return
    original = mp_spawn.get_preparation_data

    def get_preparation_data(name):
        data = original(name)
        data["ember_torch_alias"] = _AliasInChild()
        return data

    mp_spawn.get_preparation_data = get_preparation_data
    mp_spawn._ember_alias = True


class _AliasInChild:
    def __reduce__(self):
        return install, ()


def _is_runner_frame(frame: types.FrameType) -> bool:
    # runpy is frozen in recent Pythons, so match it by module name, not file name.
    if frame.f_globals.get("__name__") == "runpy":
        return True
    return os.path.abspath(frame.f_code.co_filename) == os.path.abspath(__file__)


def _strip_runner_frames(exc: BaseException) -> BaseException:
    """Drop runpy's and this module's frames so the user sees their own traceback."""
    kept = []
    tb = exc.__traceback__
    while tb is not None:
        if not _is_runner_frame(tb.tb_frame):
            kept.append(tb)
        tb = tb.tb_next
    for prev, nxt in zip(kept, kept[1:] + [None]):
        prev.tb_next = nxt
    return exc.with_traceback(kept[0] if kept else None)


def _run_script(script: str) -> None:
    """Run ``script`` as ``__main__`` as ``python script.py`` does (Python 3.9+): ``__file__``,
    and so every path in tracebacks and warnings, absolute; ``sys.argv[0]`` as typed
    (``runpy.run_path`` would set it to the path it is given)."""
    path = os.path.abspath(script)
    with io.open_code(path) as f:
        code = compile(f.read(), path, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=path, __cached__=None, __loader__=None, __package__=None,
                         __spec__=None)
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)
    finally:
        sys.modules["__main__"] = saved


_USAGE = "usage: python -m ember.run script.py [args...]"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``argv[0]`` as ``__main__`` with torch aliased to ember; return an exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_USAGE + "\nRuns a PyTorch script unchanged, with `import torch` bound to ember.",
              file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    script = args[0]
    if not os.path.isfile(script):
        print(f"ember.run: can't open file {script!r}: no such file", file=sys.stderr)
        return 2
    sys.argv = args
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    install()
    keep_alias_in_spawned_children()  # (~10 ms: imports multiprocessing.spawn)
    try:
        _run_script(script)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: B036 - re-shown like the interpreter would
        sys.excepthook(type(exc), exc, _strip_runner_frames(exc).__traceback__)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    return 0


if __name__ == "__main__":
    # Delegate to the importable module so a script doing `import ember.run` shares its state.
    from ember.run import main as _main

    sys.exit(_main())
