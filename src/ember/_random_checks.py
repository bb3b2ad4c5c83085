"""PyTorch's argument checks and messages for ember's samplers (``random.py``)."""

from __future__ import annotations

import numpy as np

from ._typename import arg_type_name
from .tensor import Tensor


def randint_overloads(args, kw=None) -> str:
    """PyTorch's message for arguments that match no randint signature (the types given, as
    its parser names them: numpy.float64, keywords as name=type)."""
    tail = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
            "torch.device device = None, bool pin_memory = False, bool requires_grad = False)")
    lines = [f" * ({head}tuple of ints size, *, {gen}{tail}"
             for head in ("int high, ", "int low, int high, ")
             for gen in ("torch.Generator generator, ", "")]
    got = ", ".join([_parser_type(a) for a in args] +
                    [f"{k}={_parser_type(v)}" for k, v in (kw or {}).items()])
    return (f"randint() received an invalid combination of arguments - got ({got}), but "
            "expected one of:\n" + "\n".join(lines) + "\n")


def randint_bad_call(args, given: dict, kw: dict) -> TypeError:
    """PyTorch's error for a randint call that fits none of its signatures (``randint(3)``,
    ``randint(0, 3, dtype=...)``). Its parser only names a missing argument when the count of
    arguments given fits exactly one signature: two fit only (high, size), which then names
    the required ones from the first missing on (with its "1 ... arguments" / "2 ...
    argument" wording); any other count lists the overloads. ``given``: randint's locals()."""
    import sys

    from .ops._int_args import _ROOT, _keywords

    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_ROOT):
        frame = frame.f_back
    written = _keywords(frame) if frame is not None else ()  # (requires_grad=False counts)
    named = [k for k in _NAMED if k in written or given.get(k) not in (None, False)]
    if len(args) + len(kw) + len(named) == 2:
        params = ("high", "size")
        have = [len(args) > i or p in kw for i, p in enumerate(params)]
        if not all(have):
            names = params[have.index(False):]
            plural = "s" if len(names) == 1 else ""
            return TypeError(f"randint() missing {len(names)} required positional argument"
                             f"{plural}: " + ", ".join(f'"{p}"' for p in names))
    first = str(unknown_keyword("randint", tuple(args), given, kw))
    return TypeError(first + randint_overloads(())[randint_overloads(()).index("\n"):])


def int_bound(v) -> bool:
    """An int as PyTorch's parser takes one: no bool, no float (5.0), a 0-d integer tensor."""
    if type(v) is int:
        return True
    if isinstance(v, Tensor):
        return v._data.ndim == 0 and v._data.dtype.kind in "iu"
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def randint_not_ints(args, kw, low, high, size) -> TypeError:
    """PyTorch's TypeError for a float bound or size (randint(0, n / 2, ...)): with a low given
    the overloads are listed, otherwise the bad argument is named."""
    from .ops._int_args import HINT

    if len(args) + sum(k in kw for k in ("low", "high", "size")) == 3:  # a low was given
        return TypeError(randint_overloads(args, kw))
    if not int_bound(high):
        pos = "" if "high" in kw else " (position 1)"
        return TypeError(f"randint(): argument 'high'{pos} must be int, not "
                         f"{arg_type_name(high)}" + HINT)
    at = next(i for i, d in enumerate(size) if not int_bound(d))
    pos = "" if "size" in kw else " (position 2)"
    return TypeError(f"randint(): argument 'size'{pos} must be tuple of ints, but found element "
                     f"of type {arg_type_name(size[at])} at pos {at}" + HINT)


def check_multinomial(a: np.ndarray, num_samples, replacement: bool) -> None:
    """PyTorch's argument checks, in its order."""
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError("multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    if a.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if a.dtype.kind != "f":
        from .ops.arithmetic import type_name

        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{type_name(a.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > a.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")


MISSING = object()  # default of a required argument PyTorch's parser reports by name


def missing_args(name: str, **given) -> None:
    """PyTorch's TypeError when required arguments are left out (its parser's wording: "1 ...
    arguments", "2 ... argument", each name in double quotes)."""
    absent = [k for k, v in given.items() if v is MISSING]
    if absent:
        n = len(absent)
        raise TypeError(f"{name}() missing {n} required positional argument"
                        f"{'s' if n == 1 else ''}: " + ", ".join(f'"{a}"' for a in absent))


def multinomial_errors(a: np.ndarray, num_samples: int, replacement: bool) -> None:
    """PyTorch's error for probabilities that are negative, infinite, NaN or all zero."""
    rows = np.asarray(a, dtype=np.float64).reshape(-1, a.shape[-1])
    if replacement and num_samples > 1:  # PyTorch's loop checks each row, entry by entry
        for r in rows:
            bad = np.flatnonzero(~np.isfinite(r) | ~(r >= 0))
            if bad.size:
                what = "< 0" if not r[bad[0]] >= 0 else "= infinity or NaN"
                raise RuntimeError(f"invalid multinomial distribution (encountering "
                                   f"probability entry {what})")
            if r.sum() <= 0:
                raise RuntimeError("invalid multinomial distribution (sum of probabilities "
                                   "<= 0)")
    if np.any(rows < 0) or np.any(~np.isfinite(rows)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(rows.sum(-1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def generator_device_error(kind: str) -> RuntimeError:
    """What a CPU-only PyTorch raises for ``torch.Generator(device=kind)``."""
    if kind == "meta":
        return RuntimeError("META device type not an accelerator.")
    if kind == "mps":
        return RuntimeError("Cannot execute getNewGenerator() without MPS backend.")
    return RuntimeError(
        "Cannot get CUDA generator without ATen_cuda library. PyTorch splits its "
        "backend into two shared libraries: a CPU library and a CUDA library; this "
        "error has occurred because you are trying to use some CUDA functionality, but "
        "the CUDA library has not been loaded by the dynamic linker for some reason.  "
        "The CUDA library MUST be loaded, EVEN IF you don't directly use any symbols "
        "from the CUDA library! One common culprit is a lack of -Wl,--no-as-needed in "
        "your link arguments; many dynamic linkers will delete dynamic library "
        "dependencies if you don't depend on any of their symbols.  You can check if "
        "this has occurred by using ldd on your binary to see if there is a dependency "
        "on *_cuda.so library.")


def _tname(v) -> str:
    cls = type(v)
    if cls.__name__ == "Generator" and cls.__module__.startswith("ember"):
        return "torch._C.Generator"
    return arg_type_name(v)


def bad_generator(fn: str, args: tuple, generator) -> TypeError:
    """PyTorch's error for a ``generator=`` that is no torch.Generator (an int seed, NumPy's
    Generator): its overload mismatch, naming what was given; ``fn=None``: the generic one."""
    if fn is None:
        return TypeError(f"argument 'generator' must be torch.Generator, not {_tname(generator)}"
                         "\nHint: make one with torch.Generator().manual_seed(seed).")
    got = ", ".join([_tname(a) for a in args] + [f"generator={_tname(generator)}"])
    return TypeError(f"{fn}() received an invalid combination of arguments - got ({got}"
                     f"{', ' if not args else ''}), but expected one of:")


_C_NAMES = {np.dtype(np.float16): ("c10::Half", "Half"), np.dtype(np.float32): ("float", "Float"),
            np.dtype(np.float64): ("double", "Double")}


def check_uniform_bounds(low, high, dtype) -> None:
    """PyTorch's checks on uniform_'s range, in its order (numbers as C++ prints them)."""
    names = _C_NAMES.get(np.dtype(dtype))
    if names is None:
        return
    top = float(np.finfo(dtype).max)
    for which, v in (("from", low), ("to", high)):
        if not -top <= v <= top:  # (nan and inf fail too)
            raise RuntimeError(f"{which} is out of bounds for {names[0]}")
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={low:g} > to={high:g}")
    if high - low > top:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{names[1]}>::max(), "
                           f"but found to={high:g} and from={low:g} which result in to-from to "
                           "exceed the limit")


def _parser_type(v) -> str:
    """A value's type as PyTorch's argument parser prints it in its overload errors."""
    from . import dtypes as D
    from ._size_device import Size

    if isinstance(v, D.dtype):
        return "torch.dtype"
    if isinstance(v, Size):
        return "torch.Size"
    kind = type(v).__name__
    if type(v).__module__.startswith("ember") and kind in ("device", "layout", "memory_format"):
        return f"torch.{kind}"
    return _tname(v)


_NAMED = ("generator", "dtype", "device", "requires_grad")  # the factories' named keywords


def unknown_keyword(fn: str, args: tuple, given: dict, kw: dict) -> TypeError:
    """PyTorch's overload error for a keyword no signature of ``fn`` takes (``rand(2,
    requires_gard=True)``): the positional types, then every keyword the call gave, last first.
    ``given``: the caller's ``locals()`` (its named parameters are read from it); ``kw``: the
    other keywords, in call order."""
    import sys

    from .ops._int_args import _ROOT, _keywords

    given = {k: v for k, v in given.items() if k in _NAMED}  # (parameter order)
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_ROOT):
        frame = frame.f_back
    values = {**given, **kw}
    order = [k for k in (_keywords(frame) if frame is not None else ()) if k in values]
    if not set(kw) <= set(order):  # no bytecode to read: the named ones set, then the rest
        order = [k for k, v in given.items() if v is not None and v is not False] + list(kw)
    got = [_parser_type(a) for a in args] + [f"{k}={_parser_type(values[k])}"
                                             for k in reversed(order)]
    return TypeError(f"{fn}() received an invalid combination of arguments - got "
                     f"({', '.join(got)}{', ' if got and not args else ''}), but expected one "
                     "of:")


_P_IN = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
         "be improved?  If so, please report an enhancement request to PyTorch.)")


def check_bernoulli(probs, p) -> None:
    """torch.bernoulli's checks (function and method): probabilities in [0, 1] (nan fails)
    in a float tensor, or a number p in [0, 1] (C++ prints it as %g)."""
    if p is None:
        if probs.dtype.kind != "f":
            from .ops.arithmetic import type_name

            raise NotImplementedError('"bernoulli_tensor_cpu_p_" not implemented for '
                                      f"'{type_name(probs.dtype)}'")
        if probs.size and not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError(_P_IN)
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
