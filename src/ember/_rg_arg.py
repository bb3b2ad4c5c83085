"""PyTorch's parser refusing a ``requires_grad=`` that is no bool (``zeros(2, requires_grad=1)``,
a NumPy bool, a tensor). Each factory tests ``type(requires_grad) is not bool`` and only then
calls here, so the common path pays nothing. Most factories take None as False (an optional
bool); tensor(), range(), frombuffer(), new_tensor() and the sparse constructors refuse it.
The factories with one signature name the argument ("zeros(): argument 'requires_grad' must
be bool, not int"); those with several (rand, arange, linspace, eye, the windows, ...) list
what the call gave ("rand() received an invalid combination of arguments - got (int,
requires_grad=int), but expected one of:"), worded by the helpers that word their other
parser errors (_call_site.refusal, _random_checks.unknown_keyword)."""

from __future__ import annotations

import sys


def _type(value) -> str:
    from ._random_checks import _parser_type

    return _parser_type(value)


def _earlier(checks) -> None:
    """Run the checks of the arguments the parser reads before requires_grad: their TypeError
    comes first (zeros(2.5, requires_grad=1) is the size's); any other error is not the
    parser's (zeros(-1, requires_grad=1) is requires_grad's TypeError), nor is a size's later
    entry, which the parser unpacks only after (zeros(2, 2.5, requires_grad=1))."""
    if checks is None:
        return
    try:
        checks()
    except TypeError as err:
        if "failed to unpack" not in str(err):
            raise
    except Exception:  # noqa: BLE001 - a later, not a parser, error
        pass


def rg_bool(fn: str, value, none_ok: bool = True, earlier=None) -> bool:
    """requires_grad of a factory with one signature: None is False where ``none_ok``, else
    PyTorch's "``fn``(): argument 'requires_grad' must be bool, not ..."."""
    if value is None and none_ok:
        return False
    _earlier(earlier)
    raise TypeError(f"{fn}(): argument 'requires_grad' must be bool, not {_type(value)}")


def rg_overloads(fn: str, value, none_ok: bool = True, earlier=None, frame=None) -> bool:
    """requires_grad of a factory with several signatures and named parameters (arange,
    linspace, eye, ...): None is False where ``none_ok``, else the parser's "invalid
    combination" error, the parameters read from the factory's frame (``frame``, by default
    the caller's) as the user's call gave them."""
    if value is None and none_ok:
        return False
    _earlier(earlier)
    from ._call_site import refusal

    frame = frame or sys._getframe(1)
    code = frame.f_code
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    params = {k: _type(frame.f_locals[k]) for k in names if not k.startswith("_")}
    if code.co_flags & 0x08:  # **kw: the other keywords the call gave
        extra = frame.f_locals[code.co_varnames[len(names)]]
        params.update((k, _type(v)) for k, v in extra.items())
    raise refusal(fn, params, 0)


def rg_varargs(fn: str, value, args: tuple, given: dict, kw=None, earlier=None) -> bool:
    """requires_grad of a sampler taking its size as ``*size`` (rand, randn, randint, normal,
    randperm): None is False, else the parser's "invalid combination" error listing ``args``
    (the positional arguments) and the keywords given (``given``: the sampler's locals();
    ``kw``: its other keywords)."""
    if value is None:
        return False
    _earlier(earlier)
    from ._random_checks import unknown_keyword

    raise unknown_keyword(fn, tuple(args), given, kw or {})
