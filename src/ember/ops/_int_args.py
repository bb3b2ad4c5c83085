"""PyTorch's argument-parser errors for a float where an int is wanted (``dim = n / 2``).

Only error paths import this module. The op's name, the argument's name and its position are
read from the op's frame (the outermost ember frame given the bad value as a named argument,
past the dim helpers), and keywords from the caller's bytecode, so the success paths carry no
bookkeeping. Each message ends with a plain-words hint on its second line."""

import os
import sys

import numpy as np

from .._typename import arg_type_name as _tn  # numpy.float64, as PyTorch names it

_ROOT = os.path.dirname(os.path.dirname(__file__))

_HELPERS = {"_wrap_dim", "wrap_dim", "dims", "_axes", "_reduced_axes", "_norm_dims", "_dims",
            "not_int", "as_int", "_ints", "_triangle", "_seq", "_ntuple", "_pairs", "_one",
            "_move_dims", "bad_arg", "bad_keepdim", "_refuse_keepdim"}
# ops with several overloads: PyTorch lists the argument types instead of naming one argument
_OVERLOADED = {"sum", "mean", "std", "var", "std_mean", "var_mean",
               "prod", "max", "min", "any", "all", "count_nonzero", "sort", "argsort",
               "squeeze", "narrow", "repeat_interleave", "scatter", "scatter_add", "movedim",
               "moveaxis", "randint", "conv1d", "conv2d", "conv3d", "clamp", "clip"}
# arguments PyTorch declares as int[] (a lone float is "not float", not "not int")
_INT_LISTS = {("sum", "dim"), ("mean", "dim"), ("nansum", "dim"), ("nanmean", "dim"),
              ("amax", "dim"), ("amin", "dim"), ("logsumexp", "dim"), ("roll", "shifts"),
              ("roll", "dims"), ("tile", "dims"), ("flip", "dims")}
# no Tensor method in PyTorch: the input counts as an argument
_FUNCTIONS = {"conv1d", "conv2d", "conv3d", "pad", "max_pool1d", "avg_pool1d",
              "one_hot", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "kl_div",
              "hinge_embedding_loss", "multi_margin_loss", "multilabel_margin_loss",
              "soft_margin_loss", "binary_cross_entropy_with_logits", "cosine_similarity",
              "pairwise_distance", "grid_sample"}
# functions in nn/ that are also Tensor methods: the call site tells the form
_BOTH = {"prelu", "celu", "elu", "leaky_relu", "rrelu", "hardshrink", "softshrink", "celu_",
         "elu_", "leaky_relu_", "rrelu_"}
_VIA_METHOD = {"softmax", "log_softmax", "softmin"}
_RENAMED = {"split_size_or_sections": "split_size", ("dot", "other"): "tensor",
            ("matrix_exp", "A"): "input", ("orgqr", "A"): "input", ("orgqr", "tau"): "input2"}
HINT = ("\nHint: dims, counts and sizes must be whole numbers; in Python 3 `n / 2` is a float, "
        "so use `n // 2` (or int(...)).")
# (min, max) argument counts of each overload's Python signature (function form) and whether
# it takes out=; the method form has neither input nor out=. Where exactly one overload takes
# as many arguments as the call gives, the parser reports that overload's own error (the
# argument and its position) instead of listing the overloads: torch.sum(x, 1.5, True).
_ARITY = {"sum": ((1, 2, 0), (2, 5, 1)), "prod": ((1, 2, 0), (2, 5, 1)),
          "mean": ((1, 3, 1), (2, 5, 1)),
          "max": ((1, 2, 1), (2, 3, 1), (2, 4, 1)), "min": ((1, 2, 1), (2, 3, 1), (2, 4, 1))}
# ops whose first size entry, when no int and followed by others, makes PyTorch list the types
_SIZE_OVERLOADED = {"rand", "randn"}


def _holds(v, value) -> bool:
    return v is value or (isinstance(v, (tuple, list)) and any(e is value for e in v))


def _keywords(caller) -> tuple:
    """The keyword names of the call the caller frame is making (CPython bytecode), or ()."""
    try:
        import dis

        names, const, at_call = (), (), ()
        for ins in dis.get_instructions(caller.f_code):
            if ins.offset > caller.f_lasti:  # f_lasti is at (or in the caches after) the call
                break
            if ins.opname == "KW_NAMES":  # 3.11, 3.12
                names = caller.f_code.co_consts[ins.arg]
            elif ins.opname == "LOAD_CONST" and isinstance(ins.argval, tuple):
                const = ins.argval
            elif ins.opname.startswith("CALL"):  # 3.13+: CALL_KW takes the names loaded last
                at_call, names = (const if ins.opname == "CALL_KW" else names), ()
        return tuple(at_call)
    except Exception:  # noqa: BLE001 - wording only: the positional form otherwise
        return ()


def _as_function(caller, code, op: str) -> bool:
    """Whether the caller's call is the function form (``torch.max(x, ...)``, or the function
    under any name), not the method (``x.max(...)``): PyTorch then counts the tensor as an
    argument. Read from the bytecode: the attribute loaded from a module, or a name bound to
    the op's function itself."""
    try:
        import dis
        import types

        def value(name):
            v = caller.f_locals.get(name, caller.f_globals.get(name))
            return caller.f_builtins.get(name) if v is None else v

        prev, found = None, None
        for ins in dis.get_instructions(caller.f_code):
            if ins.offset > caller.f_lasti:
                break
            if ins.opname in ("LOAD_METHOD", "LOAD_ATTR") and ins.argval == op:
                found = prev
            elif ins.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF") and \
                    code in _codes(value(ins.argval)):
                found = True
            prev = ins
        if found is None or found is True:
            return found is True
        if found.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF"):
            return isinstance(value(found.argval), types.ModuleType)
        # torch.nn.functional.xxx, torch.special.xxx: an attribute that is a module
        if found.opname not in ("LOAD_ATTR", "LOAD_METHOD"):
            return False
        names = _chain(caller, found)
        obj = value(names[0]) if names else None
        for n in names[1:] + [found.argval]:
            if not isinstance(obj, types.ModuleType):
                return False
            obj = getattr(obj, n, None)
        return isinstance(obj, types.ModuleType)
    except Exception:  # noqa: BLE001 - wording only: the method form otherwise
        return False


def _codes(fn) -> tuple:
    """The code objects of ``fn`` and of the op it wraps (torch.mm is ``out=``'s wrapper);
    none for a bound method (``f = x.mm``: the method form)."""
    if hasattr(fn, "__func__"):
        return ()
    return (getattr(fn, "__code__", None),
            getattr(getattr(fn, "__wrapped__", None), "__code__", None))


def _alias(caller, code) -> str | None:
    """The name the caller's call gives the op where ember binds it to another's function
    (``torch.arccos`` is acos here, ``torch.fix`` trunc): PyTorch's errors say that name.
    Read from the call's own bytecode (``_arg_names.callee``)."""
    try:
        from ._arg_names import callee

        found = callee(caller) if caller is not None else None
        last = found[1] if found else None
        if last is None or last == code.co_name:
            return None
        from ..tensor import Tensor

        for namespace in (sys.modules["ember"], Tensor):
            if code in _codes(getattr(namespace, last, None)):
                return last
    except Exception:  # noqa: BLE001 - wording only: the op's own name otherwise
        pass
    return None


def _chain(caller, ins) -> list:
    """The names of the attribute chain loaded before ``ins`` (``torch``, ``nn``, ...)."""
    import dis

    names = []
    for i in dis.get_instructions(caller.f_code):
        if i.offset >= ins.offset:
            break
        names = names + [i.argval] if i.opname in ("LOAD_ATTR", "LOAD_METHOD") else [i.argval]
    return names


# a dim given by name (``x.sum('channels')``, as named-tensor tutorials write it)
NAMED_HINT = ("\nHint: dims are given by position: PyTorch 2.13 has no named tensors "
              "(names=, refine_names, align_as), so use the dim's index.")


# torch.max(X, 0.) meant as an elementwise max with a number
EXTREMUM_HINT = ("\nHint: a number there is read as a dim (a computed dim needs `n // 2`); "
                 "for an elementwise {0} with a number use torch.clamp(X, {1}=value) or "
                 "torch.{0}imum(X, torch.full_like(X, value)).")


def not_int(value, what: str = "int") -> TypeError:
    """The TypeError PyTorch raises for ``value`` (no int) passed where an int is wanted."""
    named = isinstance(value, str) or (isinstance(value, (tuple, list))
                                       and any(isinstance(v, str) for v in value))
    msg = _message(value, what)
    if isinstance(value, float) and msg.startswith(("max() rec", "min() rec")) and \
            "dim=" not in msg:  # d2l's relu typed as torch.max(X, 0.)
        return TypeError(msg + EXTREMUM_HINT.format(msg[:3], "min" if msg[1] == "a" else "max"))
    return TypeError(msg + (NAMED_HINT if named else HINT))


def bad_arg(value, arg: str, what: str) -> TypeError:
    """The TypeError PyTorch's parser raises for ``value`` given as the op's argument ``arg``,
    which must be ``what`` ("Tensor", "bool"): the argument named, or the overloads' refusal."""
    return TypeError(_message(value, what, arg))


def bad_keepdim(keepdim, dim, ndim: int) -> TypeError:
    """A keepdim that is no bool (1, numpy.bool, None): PyTorch's parser checks the types
    of dim, then keepdim, before any range (so a float dim is reported first)."""
    if dim is not None:
        from ._util import dims

        try:
            dims(dim, ndim)
        except TypeError:
            raise
        except Exception:  # noqa: BLE001 - a dim out of range: reported after parsing
            pass
    return TypeError(_message(keepdim, "bool", "keepdim"))


def _call_args(caller):
    """How many arguments (positional and keyword; no ``self``) the caller's current call
    passes, read from its bytecode; None for ``f(*args)`` or an unreadable call."""
    try:
        import dis

        n = None
        for ins in dis.get_instructions(caller.f_code):
            if ins.offset > caller.f_lasti:
                break
            if ins.opname in ("CALL", "CALL_KW"):
                n = ins.arg
            elif ins.opname == "CALL_FUNCTION_EX":
                n = None
        return n
    except Exception:  # noqa: BLE001 - wording only: the overloads listed otherwise
        return None


def _one_overload(op: str, method: bool, caller) -> bool:
    """Whether only one of ``op``'s overloads takes as many arguments as the call gives."""
    n = _call_args(caller) if op in _ARITY and caller is not None else None
    if n is None:
        return False
    return sum(lo - method <= n <= hi - method * (1 + out) for lo, hi, out in _ARITY[op]) == 1


def _message(value, what: str, arg: str | None = None) -> str:
    """PyTorch's first line for ``value`` (no int, or no ``what``) passed where an int (a
    ``what``) is wanted; ``arg``: the parameter it was given as, where the value alone cannot
    tell (a keepdim of 1 is also a dim of 1)."""
    frame, op_frame, kws = sys._getframe(2), None, ()
    while frame is not None and frame.f_code.co_filename.startswith(_ROOT):
        code = frame.f_code
        params = code.co_varnames[:code.co_argcount] if arg is None else \
            ((arg,) if arg in code.co_varnames[:code.co_argcount] else ())
        if code.co_name not in _HELPERS and any(  # a named parameter: not a *args wrapper
                _holds(frame.f_locals.get(p), value) for p in params):
            op_frame, kws = frame, ()  # the outermost ember frame given it: the op called
        elif isinstance(frame.f_locals.get("kwargs"), dict):  # a wrapper passing keywords on
            kws += tuple(frame.f_locals["kwargs"])
        frame = frame.f_back
    kws += _keywords(frame) if frame is not None else ()
    caller = frame
    frame = op_frame
    if frame is not None and "nn" in frame.f_code.co_filename.split(os.sep)[-4:-1] and \
            frame.f_code.co_name in _VIA_METHOD:
        kws = ()  # F.softmax(x, dim=d) is x.softmax(d) inside PyTorch
    if frame is None:
        return f"expected an int, but got {_tn(value)}"
    code = frame.f_code
    op = _alias(caller, code) or code.co_name.removesuffix("_method").lstrip("_")
    params = code.co_varnames[:code.co_argcount]
    method = params[0] in ("input", "self") and op not in _FUNCTIONS and not (
        caller is not None and ("nn" not in code.co_filename.split(os.sep)[-4:-1]
                                or op in _BOTH) and _as_function(caller, code, op))
    args = params[1:] if method else params
    if arg is not None and arg not in args:  # (the input, of a call read as the method)
        method, args = False, params
    name = arg or next(p for p in args if _holds(frame.f_locals[p], value))
    typ = _tn(value)
    given = frame.f_locals[name]
    at = None if given is value else [i for i, v in enumerate(given) if v is value][0]
    if at:  # a later element of a list: the overload is chosen, the unpacking fails
        return (f"{op}(): argument '{_RENAMED.get(name, name)}' failed to unpack the object "
                f"at pos {at + 1} with error \"type must be tuple of ints,but got {typ}\"")
    lone = what == "Tensor" and not method and caller is not None and \
        _call_args(caller) == 1  # torch.sort('a'): its one overload taking one argument
    # the arguments given: those up to the bad one, then any not unset
    if op in _OVERLOADED and not lone and not _one_overload(op, method, caller):
        bad = args.index(name)
        got = [f"{p}={_tn(frame.f_locals[p])}" if p in kws else
               _tn(frame.f_locals[p]) for i, p in enumerate(args)
               if p in kws or i <= bad or not (frame.f_locals[p] is None
                                                or frame.f_locals[p] is False)]
        shown = [p for p in args if p in kws]  # only keywords given: PyTorch ends with ", "
        got = ", ".join(got) + (", " if shown and len(shown) == len(got) else "")
        return (f"{op}() received an invalid combination of arguments - got ({got}), but "
                "expected one of:")
    pos = "" if name in kws else f" (position {args.index(name) + 1})"
    shown = _RENAMED.get((op, name), _RENAMED.get(name, name))
    if at == 0:
        return (f"{op}(): argument '{shown}'{pos} must be tuple of ints, but found element "
                f"of type {typ} at pos 0")
    if (op, name) in _INT_LISTS or what == "tuple of ints":
        return f"{op}(): argument '{shown}'{pos} must be tuple of ints, not {typ}"
    if what == "Tensor":
        from ._arg_names import parser_names

        op, shown = parser_names(caller, op, shown)
    return f"{op}(): argument '{shown}'{pos} must be {what}, not {typ}"


def size_error(op: str, given: tuple, i: int, bad, arg: str = "size",
               keyword: bool = False) -> TypeError:
    """size_message's TypeError, with the hint when the entry is a float (``n / 2``)."""
    is_float = getattr(bad, "is_floating_point", None)  # a tensor's method; a dtype's bool
    floaty = isinstance(bad, (float, np.floating)) or (callable(is_float) and is_float())
    return TypeError(size_message(op, given, i, bad, arg, keyword) + (HINT if floaty else ""))


def size_message(op: str, given: tuple, i: int, bad, arg: str = "size",
                 keyword: bool = False) -> str:
    """PyTorch's first line for a size entry ``bad`` (at ``i``) that is no int, ``given`` being
    the op's size arguments as passed (``zeros(2, 3.0)`` or ``zeros((2, 3.0))``; ``keyword``:
    ``zeros(size=...)``, one entry). Its parser reads a first entry that is no int as a
    separate argument, not as part of the size."""
    what = _tn(bad)
    tupled = len(given) == 1 and isinstance(given[0], (tuple, list))
    if i == 0 and keyword:  # the whole value is rejected, named by its own type
        return f"{op}(): argument '{arg}' must be tuple of ints, not {_tn(given[0])}"
    if i == 0 and (op == "view" or op in _SIZE_OVERLOADED and len(given) > 1):
        got = ", ".join(_tn(a) for a in given)  # view: even a tuple of sizes
        return (f"{op}() received an invalid combination of arguments - got ({got}), but "
                "expected one of:")
    if i == 0 and not tupled:
        if len(given) > 1:
            return f"{op}() takes 1 positional argument but {len(given)} were given"
        return f"{op}(): argument '{arg}' (position 1) must be tuple of ints, not {what}"
    if i == 0:
        return (f"{op}(): argument '{arg}' (position 1) must be tuple of ints, but found "
                f"element of type {what} at pos 0")
    return (f"{op}(): argument '{arg}' failed to unpack the object at pos {i + 1} with error "
            f"\"type must be tuple of ints,but got {what}\"")


def not_tensor(value, arg: str = "input") -> TypeError:
    """PyTorch's parser error for ``value`` (a str, list, number, None, NumPy array) given as
    the op's Tensor argument ``arg``. Callers reach it from an ``except AttributeError`` around
    their first ``._data``, so the success path pays nothing."""
    return TypeError(_message(value, "Tensor", arg))


def first_not_tensor(**given) -> TypeError:
    """``not_tensor`` for the first of ``given`` (name=value, in the op's order) that is no
    Tensor: PyTorch's parser checks the arguments in order."""
    from ..tensor import Tensor

    bad = [(n, v) for n, v in given.items() if not isinstance(v, Tensor)]
    if not bad:  # all tensors: the AttributeError being handled was another one
        return sys.exc_info()[1]
    return TypeError(_message(bad[0][1], "Tensor", bad[0][0]))
