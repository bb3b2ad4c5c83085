"""How PyTorch's argument parser reads a call of sort and argsort, for the calls that do not
fit the plain ``(dim=-1, descending=False)`` form (error paths and ``stable=`` / ``out=``).

PyTorch has two visible signatures for each: one with a keyword-only ``stable`` (where
``dim`` and ``descending`` are keyword-only too) and the plain one. A call fitting neither is
refused: when exactly one signature can take as many arguments as were given, with that
signature's own complaint, else with the list of the types given ("received an invalid
combination of arguments")."""

from __future__ import annotations

from .._typename import arg_type_name

# (min args, max args, max positional, takes out=) of the stable signature, then the plain
# one, for the function form (the input counted; the method form has neither it nor out=)
_SIGNATURES = {"sort": ((2, 5, 1, True), (1, 4, 3, True)),
               "argsort": ((2, 5, 1, True), (1, 3, 3, False))}
_ORDER = ("dim", "descending")


def _is_method(name: str) -> bool:
    from .._call_site import call_site

    site = call_site(name)
    return bool(site[0]) if site else False


def _limits(sig, method: bool):
    low, high, pos, out = sig
    if method:
        return low - 1, high - 1 - out, pos - 1, False
    return low, high, pos, out


def _fits(sig, pos: tuple, args: tuple, kwargs: dict, stable: bool) -> bool:
    _, _, most, out = sig
    names = {"dim", "descending"} | ({"stable"} if stable else set()) | ({"out"} if out else set())
    taken = set(_ORDER[:len(args)])
    return len(pos) <= most and kwargs.keys() <= names and not (taken & kwargs.keys()) and \
        (not stable or "stable" in kwargs)


def _own_error(name: str, sig, pos: tuple, rest: tuple, kwargs: dict, stable: bool):
    """The complaint of the one signature that could take this many arguments (``pos``: the
    positional arguments as the parser counts them, ``rest``: those after the input)."""
    low, _, most, out = sig
    if len(pos) > most:
        if low != most:
            return TypeError(f"{name}() takes from {low} to {most} positional arguments but "
                             f"{len(pos)} were given")
        return TypeError(f"{name}() takes {most} positional argument{'s' * (most != 1)} but "
                         f"{len(pos)} were given")
    if stable and "stable" not in kwargs:
        return TypeError(f'{name}() missing 1 required positional arguments: "stable"')
    names = {"dim", "descending"} | ({"stable"} if stable else set()) | ({"out"} if out else set())
    for k in kwargs:
        if k not in names:
            return TypeError(f"{name}() got an unexpected keyword argument '{k}'")
        if k in _ORDER[:len(rest)]:
            return TypeError(f"{name}() got multiple values for argument '{k}'")
    return None


def refusal(name: str, input, args: tuple, kwargs: dict) -> TypeError | None:
    """PyTorch's TypeError for ``name(input, *args, **kwargs)``, or None if it accepts it."""
    if "out" not in kwargs:  # then both forms accept the same calls: no need to read which
        sigs, pos = _SIGNATURES[name], (input,) + args
        if _fits(sigs[0], pos, args, kwargs, True) or _fits(sigs[1], pos, args, kwargs, False):
            return None
    method = _is_method(name)
    sigs = [_limits(s, method) for s in _SIGNATURES[name]]
    pos = args if method else (input,) + args
    if _fits(sigs[0], pos, args, kwargs, True) or _fits(sigs[1], pos, args, kwargs, False):
        return None
    n = len(pos) + len(kwargs)
    plausible = [i for i, s in enumerate(sigs) if s[0] <= n <= s[1]]
    if len(plausible) == 1:
        i = plausible[0]
        err = _own_error(name, sigs[i], pos, args, kwargs, i == 0)
        if err is not None:
            return err
    got = [arg_type_name(v) for v in pos]
    got += [f"{k}={arg_type_name(v)}" for k, v in reversed(list(kwargs.items()))]
    text = ", ".join(got) + (", " if kwargs and not pos else "")
    return TypeError(f"{name}() received an invalid combination of arguments - got ({text}), "
                     "but expected one of:")


def parse(name: str, input, args: tuple, kwargs: dict):
    """(dim, descending, stable, out) of a call PyTorch accepts; its TypeError otherwise."""
    err = refusal(name, input, args, kwargs)
    if err is not None:
        raise err
    vals = dict(zip(_ORDER, args))
    vals.update(kwargs)
    return (vals.get("dim", -1), vals.get("descending", False), vals.get("stable"),
            vals.get("out"))
