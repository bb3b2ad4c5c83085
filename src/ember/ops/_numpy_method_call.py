"""PyTorch's TypeError when NumPy's reductions reach a tensor's method.

``np.sum(t)``, ``np.mean(t)``, ``np.prod(t)``, ``np.max(t)`` / ``np.amax(t)``, ``np.min(t)`` /
``np.amin(t)``, ``np.any(t)`` and ``np.all(t)`` call ``t.<name>(axis=..., [dtype=...,]
out=None)`` on anything that is not an ndarray. PyTorch's methods take no ``out`` (the out=
overloads belong to the functions ``torch.sum`` ...), so its argument parser refuses the
call, in its own way:

* it counts the arguments given (positional and keyword) and keeps the visible overloads
  that take that many;
* where exactly one is left it reports that overload's first complaint: a required argument
  missing (``sum() missing 1 required positional arguments: "dim"``), a ``dim`` that must be
  an int given something else (``max(): argument 'dim' must be int, not NoneType``), else the
  first keyword, in the order given, that is no parameter's own name (NumPy's ``axis`` is
  only an alias: ``max() got an unexpected keyword argument 'axis'``);
* otherwise ``<name>() received an invalid combination of arguments - got (...), but
  expected one of:``.

The methods here get ``out`` only that way: torch.<name>(..., out=) is wrapped and never
passes it on (ember/_out.py, _extrema_out.py).
"""

from __future__ import annotations

# Each method's visible overloads: (parameters in order, how many are required, the
# parameter that must be an int where that overload has one).
_SUM = ((("dtype",), 0, None), (("dim", "keepdim", "dtype"), 1, None))
_PROD = ((("dtype",), 0, None), (("dim", "keepdim", "dtype"), 1, "dim"))
_EXTREME = (((), 0, None), (("other",), 1, None), (("dim", "keepdim"), 1, "dim"))
_LOGICAL = (((), 0, None), (("dim", "keepdim"), 1, "dim"), (("dim", "keepdim"), 0, None))
_OVERLOADS = {"sum": _SUM, "mean": _SUM, "prod": _PROD, "max": _EXTREME, "min": _EXTREME,
              "any": _LOGICAL, "all": _LOGICAL}
_ALIASES = {"axis": "dim", "keepdims": "keepdim"}  # NumPy's names the parser also reads


def _type_name(v) -> str:
    from ..tensor import Tensor

    return "Tensor" if isinstance(v, Tensor) else type(v).__name__


def method_refusal(name: str, args: tuple, kwargs: dict) -> TypeError:
    """The TypeError of ``tensor.<name>(*args, **kwargs)`` where kwargs hold ``out``."""
    n = len(args) + len(kwargs)
    fits = [o for o in _OVERLOADS[name] if o[1] <= n <= len(o[0])]
    if len(fits) == 1:
        params, required, int_param = fits[0]
        given = dict(zip(params, args))
        for key, value in kwargs.items():
            given.setdefault(_ALIASES.get(key, key), value)
        missing = [p for p in params[:required] if p not in given]
        if missing:
            names = ", ".join(f'"{p}"' for p in missing)
            return TypeError(f"{name}() missing {len(missing)} required positional arguments: "
                             f"{names}")
        if int_param in given and (not isinstance(given[int_param], int)
                                   or isinstance(given[int_param], bool)):
            return TypeError(f"{name}(): argument '{int_param}' must be int, not "
                             f"{_type_name(given[int_param])}")
        for key in kwargs:
            if key not in params:
                return TypeError(f"{name}() got an unexpected keyword argument '{key}'")
    got = "".join(f"{_type_name(a)}, " for a in args) + "".join(
        f"{k}={_type_name(v)}, " for k, v in kwargs.items())
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     "but expected one of:")


ABSENT = object()  # the methods' ``out`` default: never given but by such a call


def numpy_call(name: str, dim, axis, dtype, keepdims, out, takes_dtype: bool) -> TypeError:
    """The refusal of ``tensor.<name>(..., out=...)``, its arguments rebuilt as NumPy passes
    them (``axis=`` always, ``dtype=`` for sum / mean / prod, ``keepdims=`` when given); a
    ``dim`` given stays positional."""
    args = () if dim is None else (dim,)
    kwargs = {} if args else {"axis": axis}
    if takes_dtype and (not args or dtype is not None):
        kwargs["dtype"] = dtype
    kwargs["out"] = out
    if keepdims is not None:
        kwargs["keepdims"] = keepdims
    return method_refusal(name, args, kwargs)
