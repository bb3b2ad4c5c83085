"""The op and argument names PyTorch's parser reports for a non-tensor argument, where they
differ from ember's function: ATen's own names (``torch.unique`` is ``_unique2``), the
``linalg_`` prefix of ``torch.linalg.*``, and the top-level spellings of linalg functions
(``torch.inverse(A)``'s argument is ``input``), aliases as called (``torch.arctan2``). Read
from the user's call; only error paths import this module."""

from __future__ import annotations

import types

# the ATen names PyTorch's parser reports
_ATEN = {"unique": "_unique2", "vecdot": "linalg_vecdot", "logsigmoid": "log_sigmoid",
         "grid_sample": "grid_sampler"}
# torch.* spellings of linalg functions: PyTorch's signature names the matrix input
_TOP_LEVEL = {"det", "inverse", "slogdet", "qr", "nuclear_norm", "logdet", "pinverse",
              "matrix_power", "matrix_exp"}
# linalg functions whose argument PyTorch names otherwise than ember's parameter
_LINALG_ARG = {("diagonal", "input"): "A", ("matrix_norm", "A"): "input",
               ("matrix_power", "A"): "input"}
_LOADS = ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF", "LOAD_ATTR", "LOAD_METHOD")


def callee(caller) -> tuple | None:
    """(the object the called attribute was read from, the attribute's name) of the call the
    caller frame is making (``torch.linalg.det(b)``: the linalg module, 'det'), or None."""
    try:
        import dis

        ins = [i for i in dis.get_instructions(caller.f_code) if i.offset <= caller.f_lasti]
        call = next(i for i in reversed(ins) if i.opname.startswith("CALL"))
        at = (call.positions.lineno, call.positions.col_offset)  # where the call's text begins
        k = max(j for j, i in enumerate(ins) if i.opname in _LOADS
                and (i.positions.lineno, i.positions.col_offset) == at)  # the callee's load
        chain = [ins[k]]
        while k and ins[k - 1].opname in _LOADS and \
                (ins[k - 1].positions.lineno, ins[k - 1].positions.col_offset) == at:
            k -= 1
            chain.insert(0, ins[k])
        if len(chain) < 2:
            return None
        scopes = (caller.f_locals, caller.f_globals, caller.f_builtins)
        obj = next(s[chain[0].argval] for s in scopes if chain[0].argval in s)
        for i in chain[1:-1]:
            obj = getattr(obj, i.argval)
        return obj, chain[-1].argval
    except Exception:  # noqa: BLE001 - wording only: ember's names otherwise
        return None


def parser_names(caller, op: str, arg: str) -> tuple:
    """(op, arg) as PyTorch's parser names them for the user's call."""
    found = callee(caller) if caller is not None else None
    module = found[0].__name__ if found and isinstance(found[0], types.ModuleType) else ""
    if module.endswith(".linalg"):
        return "linalg_" + found[1], _LINALG_ARG.get((found[1], arg), arg)
    if module.count(".") == 0 and module and found[1] in _TOP_LEVEL:
        return found[1], "input" if arg == "A" else arg
    return _ATEN.get(op, op), arg


def as_called(name: str, tensor_type) -> tuple:
    """(the name the user's call gives the op, ``torch.arctan2`` for atan2; whether it is the
    method form), read from the call site."""
    import os
    import sys

    root = os.path.dirname(os.path.dirname(__file__))
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(root):
        f = f.f_back
    found = callee(f) if f is not None else None
    if found is None:  # (an unreadable call: the op's name, the method form if call_site says)
        from .._call_site import call_site

        site = call_site(name)
        return name, bool(site and site[0])
    return (found[1] if found[1] in (name, "arc" + name[1:]) else name,
            isinstance(found[0], tensor_type))
