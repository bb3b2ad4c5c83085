"""torch.flip / torch.permute / torch.reshape: the function forms take the dims or shape as ONE
sequence. Tensor methods also take them spread out (``x.flip(0)``, ``x.permute(1, 0)``), and
ember binds one function to both, so these wrappers refuse what PyTorch's function-form
parser refuses (``torch.flip(x, 0)``, ``torch.permute(x, 1, 0)``) with its words."""

from __future__ import annotations

from ._typename import arg_type_name
from .tensor import Tensor

_MISSING = object()


def _function_form(name: str, argname: str, op):
    where2 = f"argument '{argname}' (position 1)"

    def fn(*args, **kwargs):
        if len(args) > 2:
            raise TypeError(f"{name}() takes 2 positional arguments but {len(args)} were given")
        kwargs = dict(kwargs)
        x = args[0] if args else kwargs.pop("input", _MISSING)
        if len(args) == 2:
            value, where = args[1], " (position 2)"
        else:
            value, where = kwargs.pop(argname, _MISSING), ""
        if kwargs:
            raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if x is not _MISSING and not isinstance(x, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, "
                            f"not {arg_type_name(x)}")
        if value is not _MISSING and not isinstance(value, (tuple, list)):
            raise TypeError(f"{name}(): argument '{argname}'{where} must be tuple of ints, "
                            f"not {arg_type_name(value)}")
        if x is _MISSING or value is _MISSING:
            return op(*args)  # (the op's own "missing argument" error)
        try:
            return op(x, value)
        except TypeError as err:  # the method's wording counts the tensor out: shift by one
            msg = str(err)
            if where and where2 in msg:
                raise TypeError(msg.replace(where2, f"argument '{argname}' (position 2)", 1)
                                ) from None
            raise

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = op.__doc__
    return fn


def install(ns: dict) -> None:
    """Replace the top-level functions in the ``torch`` namespace ``ns``."""
    for name, argname in (("flip", "dims"), ("permute", "dims"), ("reshape", "shape")):
        ns[name] = _function_form(name, argname, ns[name])
