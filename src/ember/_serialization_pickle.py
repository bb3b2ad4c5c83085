"""Whole objects in checkpoints (``torch.save(model)``): pickles, loaded under PyTorch's rule.

``ember.save`` pickles an object only when it holds something beyond tensors, numbers,
strings and containers (a Module, an optimizer, a custom class). The pickle goes into the
checkpoint's safetensors metadata; each tensor in it is replaced by a reference to a tensor
of the safetensors data (``persistent_id``), so views, shared storage and Parameters come back
as the pickle-free route gives them.

Unpickling can call any function the file names, so, as in PyTorch 2.6+, ``load`` runs a pickle
only with ``weights_only=False``. With ``weights_only=True`` (the default) a restricted unpickler
accepts the globals a plain checkpoint needs plus those the user marked safe with
``add_safe_globals`` / ``safe_globals``; only those may be called, instantiated or given state,
and anything else stops the load with PyTorch's message.

PyTorch's own ``torch.save(model)`` files: ``load_torch_whole`` runs them (``weights_only=False``),
``load_torch_restricted`` under the same allowlist rule; ``torch.X`` globals name ember's
same-named ``ember.X`` objects.
"""

from __future__ import annotations

import _compat_pickle
import collections
import codecs
import importlib
import io
import json
import os
import pickle
import warnings

_safe: set = set()  # what add_safe_globals marked safe: objects or (object, "module.name")

_UNSAFE = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
           "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set "
           "to `False` will likely succeed, but it can result in arbitrary code execution. Do it "
           "only if you got the file from a trusted source.")
_DOCS = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default "
         "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


# ---- the user's allowlist (torch.serialization's API) ----------------------------------------
def add_safe_globals(safe_globals: list) -> None:
    """Mark functions/classes (or ``(obj, "module.qualname")`` pairs) as safe to load with
    ``weights_only=True``."""
    global _safe
    _safe = _safe | set(safe_globals)


def get_safe_globals() -> list:
    """The globals the user marked safe for ``weights_only`` loads."""
    return list(_safe)


def clear_safe_globals() -> None:
    """Forget every global marked safe for ``weights_only`` loads."""
    global _safe
    _safe = set()


class safe_globals:
    """Context manager: the given globals are safe for ``weights_only`` loads inside it."""

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc) -> None:
        global _safe
        _safe = _safe - set(self.safe_globals)


def _ember_path(full: str) -> str:
    """``torch.nn.X`` names the same object as ``ember.nn.X`` (python -m ember.run aliases them)."""
    return "ember" + full[5:] if full == "torch" or full.startswith("torch.") else full


def _user_allowed() -> dict:
    out = {}
    for entry in _safe:
        if isinstance(entry, tuple):
            if len(entry) != 2:
                raise ValueError("Expected tuple of length 2 (global, str of callable full path), "
                                 f"but got tuple of length: {len(entry)}")
            if type(entry[1]) is not str:
                raise TypeError("Expected second item in tuple to be str of callable full path, "
                                f"but got: {type(entry[1])}")
            out[_ember_path(entry[1])] = entry[0]
        else:
            out[f"{entry.__module__}.{entry.__qualname__}"] = entry
    return out


def _default_allowed() -> dict:
    """What a weights-only load accepts unasked: containers, numbers, sizes, devices, dtypes,
    and the plain dicts and hook dicts every ember Module's pickle holds."""
    from . import dtypes
    from ._size_device import Size, device
    from .nn.modules._hooks import HookDict

    return {"collections.OrderedDict": collections.OrderedDict,
            "collections.Counter": collections.Counter, "builtins.set": set,
            "builtins.bytearray": bytearray, "builtins.complex": complex,
            "builtins.dict": dict, "_codecs.encode": codecs.encode,
            "ember._size_device.Size": Size, "ember._size_device.device": device,
            "ember.dtypes._by_name": dtypes._by_name,
            "ember.nn.modules._hooks.HookDict": HookDict}


# ---- PyTorch's error text ----------------------------------------------------------------------
def _shown(full: str) -> str:
    """A global's name as PyTorch's message prints it: builtins bare, and ember's own as torch's
    when the program runs through ``python -m ember.run`` (where that name resolves the same)."""
    if full.startswith("builtins."):
        return full[len("builtins."):]
    if full.startswith("ember."):
        run = importlib.import_module("ember.run")
        if run.is_installed():
            return "torch." + full[len("ember."):]
    return full


def _unsupported(full: str) -> pickle.UnpicklingError:
    name = _shown(full)
    return pickle.UnpicklingError(
        f"Unsupported global: GLOBAL {name} was not an allowed global by default. Please use "
        f"`torch.serialization.add_safe_globals([{name}])` or the "
        f"`torch.serialization.safe_globals([{name}])` context manager to allowlist this global "
        "if you trust this class/function.")


def weights_only_error(err: pickle.UnpicklingError) -> pickle.UnpicklingError:
    """The error torch.load raises when its weights-only unpickler stops on ``err``."""
    msg = str(err)
    if "was not an allowed global by default." in msg:
        text = ("Weights only load failed. This file can still be loaded, to do so you have two "
                "options, \033[1mdo those steps only if you trust the source of the checkpoint"
                f"\033[0m. \n\t(1) {_UNSAFE}\n\t(2) Alternatively, to load with "
                "`weights_only=True` please check the recommended steps in the following error "
                "message.\n\t"
                "WeightsUnpickler error: " + msg)
    else:
        text = (f"Weights only load failed. {_UNSAFE}\nPlease file an issue with the following so "
                "that we can make `weights_only=True` compatible with your use case: "
                "WeightsUnpickler error: \n\n" + msg)
    return pickle.UnpicklingError(text + _DOCS)


def resolve_weights_only(weights_only, pickle_module) -> bool:
    """torch.load's choice: True unless asked otherwise; the TORCH_FORCE_* variables override."""
    unset = weights_only is None
    if unset:
        weights_only = pickle_module is None
    yes = ("1", "y", "yes", "true")
    force = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in yes
    force_no = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in yes
    if force and force_no:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or "
                           "`TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` should be set, but both were set.")
    if force:
        weights_only = True
    elif force_no and unset:
        warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the"
                      "`weights_only` argument was not explicitly passed to `torch.load`, forcing "
                      "weights_only=False.", UserWarning, stacklevel=3)
        weights_only = False
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    return bool(weights_only)


# ---- writing ---------------------------------------------------------------------------------
def dumps(obj, tensor_ref, pickle_module=None, protocol=None) -> bytes:
    """Pickle ``obj``; every tensor is stored as ``("ember.tensor", tensor_ref(t))``."""
    from .tensor import Tensor

    base = (pickle_module or pickle).Pickler

    class _Pickler(base):
        def persistent_id(self, o):
            return ("ember.tensor", tensor_ref(o)) if isinstance(o, Tensor) else None

    buf = io.BytesIO()
    _Pickler(buf, protocol=2 if protocol is None else protocol).dump(obj)
    return buf.getvalue()


# ---- reading ---------------------------------------------------------------------------------
def _tensor_pid(pid, tensor):
    if not (isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "ember.tensor"):
        raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
    return tensor(pid[1])


class _Restricted(pickle._Unpickler):
    """PyTorch's weights-only rule on Python's own unpickler: a global must be allowlisted, and
    only allowlisted objects may be called (REDUCE), instantiated (NEWOBJ) or given state
    (BUILD); the opcodes that instantiate other ways are refused."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, data: bytes, persistent_load, allowed: dict) -> None:
        super().__init__(io.BytesIO(data))
        self.persistent_load, self._allowed = persistent_load, allowed
        self._ids = {id(v) for v in allowed.values()}

    def find_class(self, module: str, name: str):
        if self.proto < 3 and (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif self.proto < 3:
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        full = f"{module}.{name}"
        found = self._allowed.get(full, self._allowed.get(_ember_path(full)))
        if found is None:
            raise _unsupported(full)
        return found

    def _check(self, obj, what: str) -> None:
        if id(obj) not in self._ids:
            try:
                shown = repr(obj)
            except Exception:  # a half-built instance may not print
                shown = object.__repr__(obj)
            raise pickle.UnpicklingError(f"{what} {shown}")

    def _reduce(self):
        args = self.stack.pop()
        self._check(self.stack[-1], "Trying to call reduce for unrecognized function")
        self.stack[-1] = self.stack[-1](*args)

    def _newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self._check(cls, "Can only create new object for nn.Parameter or classes allowlisted "
                         "via `add_safe_globals` but got")
        self.append(cls.__new__(cls, *args))

    def _build(self):
        inst = self.stack[-2]  # under its state
        if type(inst) is not collections.OrderedDict:
            self._check(type(inst), "Can only build Tensor, Parameter, OrderedDict or types "
                                    "allowlisted via `add_safe_globals`, but got")
        pickle._Unpickler.load_build(self)

    def _refuse(self):
        raise pickle.UnpicklingError("Unsupported operand: instance creation by INST, OBJ or "
                                     "NEWOBJ_EX")

    dispatch[pickle.REDUCE[0]] = _reduce
    dispatch[pickle.NEWOBJ[0]] = _newobj
    dispatch[pickle.BUILD[0]] = _build
    for _op in (pickle.INST, pickle.OBJ, pickle.NEWOBJ_EX):
        dispatch[_op[0]] = _refuse


def _restricted_load(data: bytes, persistent_load, allowed: dict):
    try:
        return _Restricted(data, persistent_load, {**allowed, **_user_allowed()}).load()
    except pickle.UnpicklingError as err:
        raise weights_only_error(err) from None
    except (AttributeError, TypeError, ValueError, IndexError, KeyError) as err:
        raise weights_only_error(pickle.UnpicklingError(repr(err))) from None


def loads(data: bytes, tensor, weights_only: bool, pickle_module=None):
    """Unpickle ``data``; ``tensor(name)`` gives the checkpoint's tensor of that name."""
    if weights_only:
        return _restricted_load(data, lambda pid: _tensor_pid(pid, tensor), _default_allowed())

    class _Full((pickle_module or pickle).Unpickler):
        def persistent_load(self, pid):
            return _tensor_pid(pid, tensor)

    return _Full(io.BytesIO(data)).load()


def load_pickled(path, meta: dict, tensors: dict, weights_only: bool, pickle_module):
    """The object of an ember checkpoint holding a pickle; ``tensors``: its arrays by name."""
    import base64
    import binascii

    from .serialization import _decode_tensor, _fail

    try:
        nodes = json.loads(meta["tensors"])
        blob = base64.b64decode(meta["pickle"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise _fail(path, "the metadata's pickle is missing or corrupted") from None
    memo = tensors.setdefault("\0memo", {})

    def tensor(name):
        if not isinstance(name, str) or not isinstance(nodes.get(name), dict):
            raise _fail(path, f"the pickle refers to a missing tensor {name!r}")
        return memo[name] if name in memo else _decode_tensor(path, nodes[name], tensors)

    return loads(blob, tensor, weights_only, pickle_module)


# ---- PyTorch's own whole-model files ----------------------------------------------------------
def _ember_global(module: str, name: str):
    """The ember object PyTorch's ``module.name`` names (torch.nn.modules.linear.Linear ->
    ember.nn.modules.linear.Linear), or an error naming what ember lacks."""
    target = _ember_path(module)
    try:
        obj = importlib.import_module(target)
        for part in name.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise pickle.UnpicklingError(
            f"it refers to {module}.{name}, which ember does not have ({target}.{name}): "
            "load the model's state_dict() into an ember model instead") from None
    return obj


def _open_torch_zip(data: bytes):
    """(pickle bytes, a _torch_checkpoint reader whose persistent_load reads the storages)."""
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(data))
    pkl = [n for n in archive.namelist() if n.endswith("/data.pkl")]
    if not pkl:
        raise pickle.UnpicklingError("the zip file holds no data.pkl: not a torch.save file")
    root = pkl[0][:-len("/data.pkl")]
    order = (archive.read(f"{root}/byteorder").decode().strip()
             if f"{root}/byteorder" in archive.namelist() else "little")
    return archive.read(pkl[0]), (archive, root, order)


def load_torch_restricted(data: bytes):
    """``torch.load(f)`` (weights_only) of a torch.save file holding more than tensors and
    containers: loads if the user allowlisted its globals (as ember's same-named objects),
    else raises PyTorch's error."""
    from . import _torch_checkpoint as tc

    pkl, where = _open_torch_zip(data)
    allowed = {f"{m}.{n}": obj for (m, n), obj in tc._ALLOWED.items()}
    allowed.update({f"torch.{n}": st for n, st in tc._STORAGES.items()})
    return _restricted_load(pkl, tc._Unpickler(b"", *where).persistent_load, allowed)


def load_torch_whole(data: bytes, pickle_module=None):
    """``torch.load(f, weights_only=False)`` of a torch.save zip file: the pickle runs, with
    ``torch.X`` globals resolved to ``ember.X`` and tensors rebuilt as ember tensors."""
    from . import _torch_checkpoint as tc

    class _Full(tc._Unpickler):
        def find_class(self, module: str, name: str):  # pickle's own maps __builtin__.xrange
            if module == "torch" and name in tc._STORAGES:
                return tc._STORAGES[name]
            if (module, name) in tc._ALLOWED:  # the tensor and Parameter rebuilds, Size...
                return tc._ALLOWED[(module, name)]
            if module == "torch" or module.startswith("torch."):
                return _ember_global(module, name)
            return pickle.Unpickler.find_class(self, module, name)

    pkl, where = _open_torch_zip(data)
    return _Full(pkl, *where).load()
