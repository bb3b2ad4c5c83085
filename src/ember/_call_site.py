"""How the user's code called an ember function, read from its bytecode, for error messages
that PyTorch's argument parser words from the call as written ("got (int, unbiased=bool,
...)"). Only error paths use it; None where the call cannot be read (another Python, a call
through functools.partial or getattr)."""

from __future__ import annotations

import dis
import os
import sys
import types

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def call_site(name: str):
    """(method, number of positional arguments, keyword names in order) of the innermost call
    of ``name`` from outside ember, or None."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_HERE):
        frame = frame.f_back
    if frame is None:
        return None
    code = frame.f_code
    ins = [i for i in dis.get_instructions(code) if i.offset <= frame.f_lasti]
    k = next((j for j in range(len(ins) - 1, -1, -1) if ins[j].opname == "CALL"), None)
    if k is None:
        return None
    kws = ()
    for j in range(k - 1, max(k - 3, -1), -1):
        if ins[j].opname == "KW_NAMES":
            kws = code.co_consts[ins[j].arg]
    load = next((j for j in range(k - 1, -1, -1) if ins[j].opname in ("LOAD_METHOD", "LOAD_ATTR")
                 and ins[j].argval == name), None)
    if load is None or load == 0 or not isinstance(kws, tuple):
        return None
    owner = ins[load - 1]
    scopes = (frame.f_locals, frame.f_globals, frame.f_builtins)
    obj = next((s[owner.argval] for s in scopes if isinstance(owner.argval, str)
                and owner.argval in s), None)
    return not isinstance(obj, types.ModuleType), ins[k].arg - len(kws), kws


def refusal(name: str, params: dict, method_params: int = 1) -> TypeError:
    """PyTorch's "``name``() received an invalid combination of arguments - got (...)" as the
    call was written; ``params``: the function form's parameter names in order, each with the
    type name it was given (the method form leaves out the first ``method_params``). An
    unreadable call is shown as the method form with keywords."""
    site = call_site(name)
    keys = list(params)
    method, n_pos, kws = site if site else (True, 0, tuple(k for k in keys[method_params:]
                                                              if params[k] != "NoneType"))
    pos = keys[method_params if method else 0:][:n_pos]
    # (the parser lists keywords last to first)
    got = [params[k] for k in pos] + [f"{k}={params.get(k, '?')}" for k in reversed(kws)]
    got = ", ".join(got) + (", " if kws and not pos else "")
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     "but expected one of:")
