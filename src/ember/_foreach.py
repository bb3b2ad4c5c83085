"""torch._foreach_*: one op applied to each tensor of a list (RL soft target updates,
hand-written optimizers, gradient clipping).

PyTorch's CPU kernels for these are loops of the per-tensor op, so each result here is the
per-tensor op's (same dtypes, promotion, rounding, errors, autograd). Out-of-place forms
return a tuple; in-place forms return the list they were given. The no-grad in-place
lerp_ (a Polyak update) skips the op machinery: a few NumPy calls per tensor, same bits.
Reductions (norm, max, powsum) and mm live in _foreach_reduce.py.
"""

from __future__ import annotations

from ._foreach_args import (_check_writable, _elements, _invalid, _is_list, _is_number,
                            _node_name, _nonempty, _NoDerivative, _rename, _same_len,
                            _scalar_arg, _scalars_len, _split, _tensor_list, _camel)
from ._foreach_more import (  # noqa: F401 - the module's names
    _addc, _foreach_clone, _foreach_copy_, _foreach_zero_, _lerp)
from .autograd.grad_mode import STATE
from .tensor import Tensor

_UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1",
          "floor", "frac", "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal",
          "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "sqrt", "tan", "tanh", "trunc")
# binary ops: the overloads PyTorch has besides Scalar, List and ScalarList:
# "T" a 0-dim Tensor other (else a 0-dim tensor passes as a Scalar), "a" alpha= on List/Tensor
_BINARY = {"add": "Ta", "sub": "a", "mul": "T", "div": "T", "clamp_min": "", "clamp_max": "",
           "maximum": "", "minimum": "", "pow": ""}
# per-tensor methods: maximum/minimum with a number are clamps (PyTorch's kernels too:
# their in-place dtype errors are clamp_min_'s)
_SCALAR_METHOD = {"maximum": "clamp_min", "minimum": "clamp_max"}


# ---- binary ops: self op other for each tensor -------------------------------------------

def _binary(name: str, inplace: bool):
    fn = f"_foreach_{name}{'_' if inplace else ''}"
    extra = _BINARY[name]
    names = {"self": 0, "other": 1, "scalar": 1, "scalars": 1, "exponent": 1, "alpha": 2}

    scalar_base = name == "pow" and not inplace  # _foreach_pow(2.0, tensors)
    extremum = name in ("maximum", "minimum")
    method_list = name + ("_" if inplace else "")
    method_scalar = _SCALAR_METHOD.get(name, name) + ("_" if inplace else "")
    if inplace:  # (Tensor has no maximum_: clamp_min_ with a tensor, as PyTorch's kernel)
        method_list = _SCALAR_METHOD.get(name, name) + "_"

    def op(*args, **kwargs):
        if len(args) == 2 and not kwargs:  # the common calls, parsed without _split
            (self, other), alpha = args, None
        elif len(args) == 2 and len(kwargs) == 1 and "alpha" in kwargs:
            (self, other), alpha = args, kwargs["alpha"]
        else:
            self, other, alpha = _split(fn, args, kwargs, names, 2)
        if scalar_base and (_is_number(self) or isinstance(self, Tensor)
                            and not self._data.ndim):
            return _pow_scalar_base(fn, self, other, args, kwargs)
        if alpha is not None and "a" in extra and "T" not in extra:  # only List fits
            _tensor_list(fn, self, 0, "self")
            _tensor_list(fn, other, 1, "other")
        if not _is_list(self) or alpha is not None and "a" not in extra:
            raise _invalid(fn, args, kwargs)
        kind = "L"
        if isinstance(other, Tensor) and "T" in extra:
            kind = "T"
        elif alpha is None or not _is_list(other):
            got = _scalar_arg(fn, other, args, kwargs, False)
            if got is not None:
                if alpha is not None:  # alpha= only with a tensor list or a tensor
                    raise _invalid(fn, args, kwargs)
                kind, other = got
        if kind == "L" and not _is_list(other):
            raise _invalid(fn, args, kwargs)
        _elements(self, 0)
        if kind == "L":
            _elements(other, 1)
        _nonempty(self)
        if kind == "L":
            _same_len(self, other)
        elif kind == "SL":
            _scalars_len(self, other)
        elif kind == "T" and other._data.ndim:
            raise RuntimeError(f"scalar tensor expected to be 0 dim but it has "
                               f"{other._data.ndim} dimensions and {other.numel()} elements.")
        method = method_list if kind == "L" or kind == "T" else method_scalar
        if inplace:
            _check_writable(self)
            if extremum and STATE.enabled and (any(t._rg for t in self) or kind == "L"
                                               and any(o._rg for o in other)):
                return _extremum_graph(name, kind, self, other)
        if kind == "S" or kind == "T":
            if alpha is None:
                out = [getattr(t, method)(other) for t in self]
            else:
                out = [getattr(t, method)(other, alpha=alpha) for t in self]
        elif alpha is None:
            out = [getattr(t, method)(o) for t, o in zip(self, other)]
        else:
            out = [getattr(t, method)(o, alpha=alpha) for t, o in zip(self, other)]
        if STATE.enabled and (out and out[0] is not None and out[0].grad_fn is not None
                              or inplace and self[0].grad_fn is not None):
            # add's 0-dim tensor that needs no grad, without alpha, parses as a number
            shown = "S" if kind == "T" and name == "add" and alpha is None and not other._rg \
                else kind
            if inplace:  # a number operand: the Scalar overload's node (Python's x.mul_(2)
                # shows the Tensor overload's MulBackward0)
                if shown in ("S", "SL") and name in ("add", "sub", "mul", "div"):
                    _rename([t for t in self if t._base is None], f"{_camel(name)}Backward1")
            else:
                _rename(out, _node_name(name, shown))
        return self if inplace else tuple(out)

    op.__name__ = op.__qualname__ = fn
    op.__doc__ = f"torch.{fn}: {name} of each tensor of a list with a tensor list, a number, " \
                 "a list of numbers" + (" or a 0-dim tensor." if extra else ".")
    return op


def _extremum_graph(name: str, kind: str, self, other):
    """maximum_/minimum_ with gradients tracked: PyTorch records maximum's own node for a
    tensor list, and no derivative for numbers."""
    from . import ops

    fn = ops.maximum if name == "maximum" else ops.minimum
    clamp = "clamp_min" if name == "maximum" else "clamp_max"
    others = other if kind != "S" else [other] * len(self)
    for t, o in zip(self, others):
        if kind == "L":
            t._write(fn(t._graph_input(), o))
        else:
            value = getattr(t.detach(), clamp)(o)._data
            t._write(_NoDerivative.apply(t._graph_input(), None, value, f"_foreach_{name}_"))
    return self


def _pow_scalar_base(fn, base, exponent, args, kwargs):
    """pow(number, each tensor of ``exponent``)."""
    from .ops import pow as _pow

    if not _is_list(exponent):
        raise _invalid(fn, args, kwargs)
    _elements(exponent, 1)
    _nonempty(exponent)
    b = base.item() if isinstance(base, Tensor) else base
    out = tuple(_pow(b, t) for t in exponent)
    if STATE.enabled:
        _rename(out, "ForeachPowBackward2")
    return out


# ---- unary ops ---------------------------------------------------------------------------

def _unary(name: str, inplace: bool):
    fn = f"_foreach_{name}{'_' if inplace else ''}"

    if inplace:
        def op(self):
            _tensor_list(fn, self, 0, "self")
            _nonempty(self)
            _check_writable(self)
            for t in self:
                getattr(t, name + "_")()
            return self
    else:
        node = f"Foreach{_camel(name)}Backward0"

        def op(self):
            _tensor_list(fn, self, 0, "self")
            _nonempty(self)
            out = tuple(getattr(t, name)() for t in self)
            if STATE.enabled:
                _rename(out, node)
            return out

    op.__name__ = op.__qualname__ = fn
    op.__doc__ = f"torch.{fn}: {name} of each tensor of a list."
    return op


# ---- the module's names ------------------------------------------------------------------

def _build() -> dict:
    out = {}
    for inplace in (False, True):
        s = "_" if inplace else ""
        for name in _UNARY:
            out[f"_foreach_{name}{s}"] = _unary(name, inplace)
        for name in _BINARY:
            out[f"_foreach_{name}{s}"] = _binary(name, inplace)
        out[f"_foreach_lerp{s}"] = _lerp(inplace)
        for name in ("addcmul", "addcdiv"):
            out[f"_foreach_{name}{s}"] = _addc(name, inplace)
    return out


globals().update(_build())

from ._foreach_reduce import (  # noqa: E402,F401 - the module's names
    _foreach_max, _foreach_mm, _foreach_norm, _foreach_powsum)

NAMES = tuple(n for n in globals() if n.startswith("_foreach_"))
