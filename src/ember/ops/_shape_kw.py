"""The keyword spelling of reshape's and view's sizes (``x.reshape(shape=(n, c, h, w))``, as
MAE's patchify writes it; ``x.view(size=...)``), with PyTorch's argument-parser errors."""

from __future__ import annotations

from .._typename import arg_type_name as _tn
from ._int_args import size_message


def keyword_sizes(op: str, arg: str, given: tuple, kw: dict) -> tuple:
    """The sizes ``op(*given, **kw)`` names, as a one-entry *args tuple when passed as the
    keyword ``arg``; PyTorch's TypeError for a keyword it has no such overload for."""
    other = [k for k in kw if k != arg]
    if op == "view" and list(kw) == ["dtype"] and not given:  # view(dtype=...)
        return (kw["dtype"],)
    if op == "view" and (other or given or not _sizes_start(kw[arg])):
        got = ", ".join([_tn(a) for a in given] + [f"{k}={_tn(v)}" for k, v in kw.items()])
        raise TypeError(f"view() received an invalid combination of arguments - got ({got}"
                        f"{', ' if not given else ''}), but expected one of:")
    if other:
        if given:
            raise TypeError(f"{op}() got an unexpected keyword argument '{other[0]}'")
        raise TypeError(f'{op}() missing 1 required positional arguments: "{arg}"')
    if given:
        raise TypeError(f"{op}() got multiple values for argument '{arg}'")
    value = kw[arg]
    if not _sizes_start(value):
        raise TypeError(size_message(op, (value,), 0, value, arg, keyword=True))
    return (value,)


def _sizes_start(value) -> bool:
    """Whether the parser takes ``value`` for a tuple of ints (its first entry decides)."""
    return isinstance(value, (tuple, list)) and (not value or _is_int(value[0]))


def _is_int(n) -> bool:
    try:
        n.__index__()
        return True
    except (AttributeError, TypeError):
        return False
