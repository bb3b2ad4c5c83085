"""``torch.return_types``: the named-tuple classes that ops such as max(dim), sort, topk and
the linalg decompositions return, so that ``isinstance(r, torch.return_types.max)`` and
``print(torch.return_types.sort)`` work as in PyTorch.

Each class is made once (``make``) by the module that defines the op; a name asked for
before that module has loaded imports the lazily loaded op modules first.
"""

from __future__ import annotations

from collections import namedtuple
from importlib import import_module

_TYPES: dict = {}

# op modules that ``import ember`` does not load but that define result types
_LAZY_DEFINERS = (
    "ops.misc_math", "ops.misc_prims", "ops.lu_torch", "ops.linalg_functions",
    "ops.linalg_lu_functions", "ops.linalg_norms", "ops.linalg_extra", "ops.linalg_ldl",
    "ops.linalg_tensor_qr")


def make(name: str, fields) -> type:
    """The ``torch.return_types.<name>`` class with these fields (one class per name)."""
    fields = tuple(fields)
    cls = _TYPES.get(name)
    if cls is not None and cls._fields == fields:
        return cls
    n = len(fields)

    def __new__(cls, *args):
        # PyTorch's structseq is built from one sequence; ember's ops pass the fields
        if len(args) == 1 and n != 1:
            args = tuple(args[0])
        if len(args) != n:
            raise TypeError(f"torch.return_types.{name}() takes a {n}-sequence "
                            f"({len(args)}-sequence given)")
        return tuple.__new__(cls, args)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    # PyTorch's structseq is a C type named "torch.return_types.<name>", the name Python's
    # messages show (r.numpy() on a max(dim) result forgotten to index [0]); fields are read-only
    def _no_attribute(self, attr):
        return AttributeError(f"'torch.return_types.{name}' object has no attribute '{attr}'",
                              name=attr, obj=self)

    def __getattr__(self, attr):  # (only reached when the normal lookup failed)
        raise _no_attribute(self, attr)

    def __setattr__(self, attr, value=None):
        raise AttributeError("readonly attribute") if attr in fields else \
            _no_attribute(self, attr)

    cls = type(name, (namedtuple(name, fields),), {
        "__slots__": (), "__new__": __new__, "__repr__": __repr__,
        "__getattr__": __getattr__, "__setattr__": __setattr__, "__delattr__": __setattr__,
        "__module__": "torch.return_types", "__qualname__": name,
        "n_fields": n, "n_sequence_fields": n, "n_unnamed_fields": 0})
    _TYPES[name] = cls
    return cls


def __getattr__(name: str):
    if name not in _TYPES and not name.startswith("__"):
        for mod in _LAZY_DEFINERS:
            import_module(f"ember.{mod}")
    try:
        return _TYPES[name]
    except KeyError:
        raise AttributeError(
            f"module 'torch.return_types' has no attribute '{name}'") from None


def __dir__():
    for mod in _LAZY_DEFINERS:
        import_module(f"ember.{mod}")
    return sorted(set(globals()) | set(_TYPES))
