"""How the user's code called an ember function, read from its bytecode, for error messages
that PyTorch's argument parser words from the call as written ("got (int, unbiased=bool,
...)"). Only error paths use it; None where the call cannot be read (another Python, a call
through functools.partial or getattr)."""

from __future__ import annotations

import dis
import os
import sys
import types

from ._typename import class_name

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



# ops whose only Python signature takes (Tensor input, Tensor other): PyTorch's parser names
# the argument; ops with more overloads (a Scalar other, ...) list what they got instead
_ONE_SIGNATURE = {"add", "sub", "mul", "div", "maximum", "minimum", "fmax", "fmin", "atan2",
                  "hypot", "logaddexp", "logaddexp2", "nextafter", "dist"}

# two-operand ops with several signatures (a Scalar other, ...): the parser lists the types
_SEVERAL = {"pow", "fmod", "remainder", "true_divide", "floor_divide", "xlogy", "copysign",
            "subtract", "multiply", "divide", "eq", "ne", "lt", "gt", "le", "ge", "rsub",
            "bitwise_and", "bitwise_or", "bitwise_xor", "float_power"}

# the other names the call may have used for an op's frame (torch.multiply runs ops.mul)
_ALIASES = {"mul": ("mul", "multiply"), "sub": ("sub", "subtract"),
            "div": ("div", "divide", "true_divide")}


def _user_frame():
    """The innermost frame outside ember, and the ember frames inside it (outermost last)."""
    frame, inner = sys._getframe(2), []
    while frame is not None and frame.f_code.co_filename.startswith(_HERE):
        inner.append(frame)
        frame = frame.f_back
    return frame, inner


def operand_refusal(value, tensor, first: bool = False):
    """PyTorch's refusal of an operand that is neither a Tensor nor a number
    (``p.data.add_(p.grad, alpha=-lr)`` with ``p.grad`` None), worded from the user's call:
    "add_(): argument 'other' (position 1) must be Tensor, not NoneType" (the method form
    counts ``other`` as position 1, the function form as 2), the parser's "received an
    invalid combination of arguments" for ops with several signatures, Python's own
    "unsupported operand type(s)" for an operator. None where the call cannot be read."""
    frame, inner = _user_frame()
    if frame is None:
        return None
    ins = [i for i in dis.get_instructions(frame.f_code) if i.offset <= frame.f_lasti]
    if ins and ins[-1].opname == "BINARY_OP":  # t - None, t -= "a": Python's message
        left, right = (value, tensor) if first else (tensor, value)
        return TypeError(f"unsupported operand type(s) for {ins[-1].argrepr}: "
                         f"'{class_name(type(left))}' and '{class_name(type(right))}'")
    named = [(n, f) for f in reversed(inner) for n in _ALIASES.get(f.f_code.co_name,
                                                                   (f.f_code.co_name,))]
    seen = {n for n, _ in named}
    named += [(n, inner[-1]) for n in sorted(_ONE_SIGNATURE | _SEVERAL) if n not in seen]
    for name, f in named:
        # the ember function the call names (or its in-place twin, or its other name)
        for name in (name, name + "_"):
            site = call_site(name)
            if site is None:
                continue
            if name == "rsub":  # other - input: promote saw the user's other first
                first = not first
            what = class_name(type(value))  # (PyTorch's tp_name: 'torch.Size', 'NoneType')
            if name.rstrip("_") not in _ONE_SIGNATURE | _SEVERAL:
                return None
            if name.rstrip("_") in _SEVERAL or set(site[2]) - {"alpha", "out"}:
                params = {"input": what, "other": "Tensor"} if first else \
                    {"input": type(tensor).__name__, "other": what}
                for k in site[2]:  # keywords as given (rounding_mode=str)
                    params[k] = type(f.f_locals.get(k)).__name__
                return refusal(name, params)
            arg, pos = ("input", 1) if first else ("other", 1 if site[0] else 2)
            return TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, "
                             f"not {what}")
    return None



def _holds(frame, value) -> bool:
    """Whether ``value`` (the very object) is one of the frame's arguments, or in its *args
    or **kwargs."""
    for v in frame.f_locals.values():
        if v is value or type(v) is tuple and any(x is value for x in v) or \
                type(v) is dict and any(x is value for x in v.values()):
            return True
    return False


def user_operand(value):
    """The ember function user code called with ``value`` (a NumPy array that reached an op
    as an operand), or None where ember's own code passed it: its rules pass arrays to ops
    on purpose (a create_graph backward multiplies by a saved array). Operators (``op``)
    and NumPy's protocol (``__array_ufunc__``) answer arrays their own way."""
    frame, entry = sys._getframe(1), None
    while frame is not None and frame.f_code.co_filename.startswith(_HERE):
        entry, frame = frame, frame.f_back
    if frame is None or entry is None:
        return None
    name = entry.f_code.co_name
    if name == "op" or name.startswith("__") or not _holds(entry, value) or \
            entry.f_globals.get("__name__") == "ember._numpy_protocol":
        return None
    return name


def array_refusal(value, tensor, first: bool, name: str) -> TypeError:
    """PyTorch's parser refusing a NumPy array operand of ``name``, worded from the user's
    call (see operand_refusal), else in the two-operand ops' words."""
    err = operand_refusal(value, tensor, first)
    if err is not None:
        return err
    return TypeError(f"{name}(): argument '{'input' if first else 'other'}' must be Tensor, "
                     f"not {class_name(type(value))} (torch.from_numpy(array) makes a Tensor "
                     "of it)")
