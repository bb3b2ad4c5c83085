"""``out=``: the top-level functions that take PyTorch's ``out=`` write their result into it.

``torch.mul(t, 1 - tau, out=t)`` (Stable-Baselines3's polyak update) and
``torch.cat(xs, out=buf)`` compute as usual and then store the result in ``out``, which they
return: the checks and the write below, with PyTorch's rules. Without autograd: an argument
that requires grad (or ``out`` itself) is PyTorch's RuntimeError while grad mode is on. The
result must cast to ``out``'s dtype without going down a category (float into int is an
error, float64 into float32 is not). An ``out`` of another shape is resized to the result's,
with PyTorch's deprecation warning unless it had no elements: twice for an element-wise op
computing in a dtype other than ``out``'s, which PyTorch runs through a temporary that it
resizes as well.
"""

from __future__ import annotations

import functools

import numpy as np

from ._clamp_out import CLAMPS, clamp_result
from ._warn import warn
from .autograd.grad_mode import STATE
from .tensor import Tensor

# The eagerly bound top-level functions with an ``out=`` in PyTorch that return one tensor.
NAMES = (
    # element-wise, one input
    "abs", "absolute", "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctanh", "asin", "asinh", "atan", "atanh", "bitwise_not", "ceil", "cos", "cosh",
    "deg2rad", "digamma", "erf", "erfc", "erfinv", "exp", "exp2", "expm1", "fix", "floor",
    "frac", "lgamma", "log", "log10", "log1p", "log2", "logical_not", "logit", "nan_to_num",
    "neg", "negative", "rad2deg", "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sgn",
    "signbit", "sin", "sinc", "sinh", "sqrt", "square", "tan", "tanh", "trunc",
    # element-wise, two or three inputs
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
    "floor_divide", "remainder", "fmod", "pow", "float_power", "atan2", "arctan2", "hypot",
    "maximum", "minimum", "fmax", "fmin", "copysign", "logaddexp", "logaddexp2", "xlogy",
    "nextafter", "ldexp", "lerp", "addcmul", "addcdiv", "clamp", "clip", "eq", "ne", "lt",
    "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
    # reductions and scans
    "sum", "mean", "prod", "nansum", "nanmean", "logsumexp", "cumsum", "cumprod", "amax",
    "amin", "argmax", "argmin", "all", "any", "std", "var",
    # linear algebra
    "matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "inner", "addmm", "addmv",
    "addr", "baddbmm", "addbmm", "kron", "cross", "tensordot",
    # joining, indexing
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack",
    "row_stack", "index_select", "gather", "masked_select", "take", "take_along_dim",
    "nonzero", "tril", "triu", "diag", "where", "diff", "scatter", "scatter_add",
    # more math
    "norm", "softmax", "log_softmax", "clamp_min", "clamp_max", "logcumsumexp", "heaviside",
    "gcd", "lcm", "inverse", "matrix_power", "polygamma", "mvlgamma", "isneginf", "isposinf",
    # creation
    "zeros", "ones", "full", "arange", "linspace", "logspace", "eye", "randn", "rand",
    "randint", "randperm", "empty", "multinomial",
)

# Creation functions make out's dtype (unless ``dtype=`` is given), as these reductions
# compute in it; the creation functions but arange, and multinomial (int64 indices into a
# Long ``out``), resize ``out`` without a warning.
_QUIET_RESIZE = frozenset(("zeros", "ones", "full", "linspace", "logspace", "eye", "randn",
                           "rand", "randint", "randperm", "empty", "multinomial"))
_DTYPE_FROM_OUT = (_QUIET_RESIZE - {"multinomial"}) | {"arange", "sum", "prod", "nansum",
                                                      "cumsum", "cumprod"}
# PyTorch's messages name the op an alias stands for.
_ALIAS = {"multiply": "mul", "divide": "div", "true_divide": "div", "subtract": "sub",
          "absolute": "abs", "negative": "neg", "clip": "clamp", "concat": "cat",
          "concatenate": "cat", "fix": "trunc"}
# Functions whose ``out`` must have the result's dtype, each with PyTorch's message (want and
# got: the result's and out's dtype as PyTorch names it, *_c as its C type).
_EXACT = "Expected out tensor to have dtype {want_c}, but got {got_c} instead"
_TENSORDOT = ("tensordot: Expected the output tensor to have dtype {want}, but got an output "
              "tensor with dtype {got}")
_AMAX = ("Expected the dtype for input and out to match, but got {want} for input's dtype and "
         "{got} for out's dtype.")
_SAME_DTYPE = {
    **dict.fromkeys(("matmul", "mm", "bmm", "mv", "addmm", "addmv", "addr", "baddbmm",
                     "addbmm", "cross", "softmax", "log_softmax", "gather", "tril", "triu",
                     "diag", "argmax", "argmin"), _EXACT),
    **dict.fromkeys(("abs", "neg", "floor", "ceil", "round", "trunc", "sign", "clamp"),
                    "Found dtype {got} but expected {want}"),
    "norm": _EXACT, "where": "Expected out type to be {want} but got {got}",
    "dot": "result dtype {got} does not match input dtype {want}",
    "vdot": "result dtype {got} does not match input dtype {want}",
    "inner": _TENSORDOT, "tensordot": _TENSORDOT, "amax": _AMAX, "amin": _AMAX,
    "index_select": "index_select(): self and result must have the same scalar type",
    "masked_select": "masked_select(): self and result must have the same scalar type",
    "take": "take(): self and out expected to have the same dtype, but got self.dtype = {want} "
            "and out.dtype = {got}",
    "nan_to_num": "nan_to_num: dtype of out: {got} should be same as input: {want}",
    "nonzero": "nonzero: Expected out tensor to have scalar type Long but got scalar type{got}",
    "all": "all only supports bool tensor for result, got: {got}",
    "any": "any only supports bool tensor for result, got: {got}",
}
_SAME_DTYPE.update({
    **dict.fromkeys(("frac", "sgn", "clamp_min", "clamp_max"),
                    "Found dtype {got} but expected {want}"),
    "heaviside": "heaviside is not yet implemented for tensors with different dtypes.",
    "multinomial": "multinomial expects Long tensor out, got: {got}",
    "float_power": "the output given to float_power has dtype {got} but the operation's "
                   "result requires dtype {want}",
})
# Functions whose ``out`` must be bool.
_BOOL_OUT = frozenset(("signbit", "isposinf", "isneginf"))
# Element-wise ops whose resize warning PyTorch gives twice when they compute in a dtype other
# than out's (the comparisons compute in their inputs' dtype, and only for a non-bool out).
_COMPARE = frozenset(("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
                      "less_equal", "not_equal"))
_TWICE = frozenset(NAMES[NAMES.index("abs"):NAMES.index("logical_or") + 1]) - frozenset((
    "logit", "floor_divide", "logical_not", "logical_and", "logical_or", "logical_xor",
    "bitwise_not", "clamp", "clip", "nan_to_num")) | frozenset((
    "bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "lcm", "polygamma"))
_C_TYPES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8":
            "signed char", "int16": "short int", "int32": "int", "int64": "long int",
            "uint8": "unsigned char", "bool": "bool"}


def _same_dtype_error(name: str, got: np.dtype, want: np.dtype) -> RuntimeError:
    from .ops.arithmetic import type_name

    return RuntimeError(_SAME_DTYPE[name].format(
        want=type_name(got), got=type_name(want), want_c=_C_TYPES[got.name],
        got_c=_C_TYPES[want.name]))


def write_out(name: str, result: Tensor, out, twice: bool = False) -> Tensor:
    """Store ``result`` of ``name`` into ``out`` (PyTorch's checks) and return ``out``;
    ``twice``: a resize warns twice (see the module's docstring)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if STATE.enabled and (result._rg or out._rg):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    got, want = np.result_type(result._data), out._data.dtype
    if got != want and name in _SAME_DTYPE:
        raise _same_dtype_error(name, got, want)
    if got != want:
        from ._inplace import _can_cast
        from .ops.arithmetic import type_name

        if not _can_cast(got, want) and name in ("cat", "stack", "hstack", "vstack", "dstack",
                                                 "column_stack", "row_stack"):
            raise TypeError("torch.cat(): input types can't be cast to the desired output "
                            f"type {type_name(want)}")
        if not _can_cast(got, want):
            raise RuntimeError(f"result type {type_name(got)} can't be cast to the desired "
                               f"output type {type_name(want)}")
    shape = np.shape(result._data)
    if np.shape(out._data) != shape:
        if name == "arange" and out._data.size not in (0, result._data.size):
            warn(f"The number of elements in the out tensor of shape {list(out.shape)} is "
                 f"{out._data.size} which does not match the computed number of elements "
                 f"{result._data.size}. Note that this may occur as a result of rounding "
                 f"error. The out tensor will be resized to a tensor of shape {tuple(shape)}.")
        elif out._data.size and name not in _QUIET_RESIZE and name != "arange":
            old, new = list(np.shape(out._data)), list(shape)
            for _ in range(2 if twice else 1):
                warn(f"An output with one or more elements was resized since it had shape "
                     f"{old}, which does not match the required output shape {new}. This "
                     "behavior is deprecated, and in a future PyTorch release outputs will not "
                     "be resized unless they have zero elements. You can explicitly reuse an "
                     "out tensor t by resizing it, inplace, to zero elements with "
                     "t.resize_(0).")
        from .ops.strided_scatter import resize_

        resize_(out, shape)
    return out.copy_(result)


def _wider_float(x, out) -> bool:
    if not (isinstance(x, Tensor) and isinstance(out, Tensor)):
        return False
    a, b = x._data.dtype, out._data.dtype
    return a.kind == "f" and b.kind == "f" and b.itemsize > a.itemsize


def with_out(fn, name: str):
    """``fn`` taking ``out=`` (keyword only, as in PyTorch); ``fn`` never sees it."""
    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if name in _BOOL_OUT and isinstance(out, Tensor) and out._data.dtype != np.bool_:
            raise RuntimeError(f"{name} does not support non-boolean outputs.")
        if name == "where":
            _where_args(args, kwargs)
        if name in _DTYPE_FROM_OUT and "dtype" not in kwargs and isinstance(out, Tensor):
            kwargs["dtype"] = out.dtype  # torch.zeros(2, out=long_t) makes int64 zeros
        elif name in ("mean", "std", "var", "logsumexp") and args and _wider_float(args[0], out):
            args = (args[0].to(out.dtype),) + args[1:]  # computed in out's wider float type
        result = fn(*args, **kwargs)
        if name in CLAMPS:
            result = clamp_result(name, args, kwargs, result, out)
        return write_out(_ALIAS.get(name, name), result, out,
                         _computes_elsewhere(name, args, kwargs, result, out))

    return call


def _where_args(args, kwargs) -> None:
    """``torch.where(..., out=)`` has only its all-tensor form: a number is a TypeError."""
    for i, arg in enumerate(("condition", "input", "other")):
        x = args[i] if i < len(args) else kwargs.get(arg)
        if x is not None and not isinstance(x, Tensor):
            where = f" (position {i + 1})" if i < len(args) else ""
            raise TypeError(f"where(): argument '{arg}'{where} must be Tensor, not "
                            f"{type(x).__name__}")


def _computes_elsewhere(name: str, args, kwargs, result, out) -> bool:
    """Whether element-wise ``name`` computes in a dtype other than ``out``'s."""
    if name not in _TWICE or not isinstance(out, Tensor) or not isinstance(result, Tensor):
        return False
    first = args[0] if args else kwargs.get("input", kwargs.get("self"))
    if name == "pow" and not isinstance(first, Tensor):
        return False  # pow(number, tensor) computes in out's dtype
    if name in _COMPARE:
        other = args[1] if len(args) > 1 else kwargs.get("other")
        if out._data.dtype == np.bool_ or first is None or other is None:
            return False
        from .ops.misc_types import result_type

        return result_type(first, other) != out.dtype
    return result.dtype != out.dtype


def install(namespace: dict) -> None:
    """Wrap the functions of NAMES bound in ``namespace`` (ember's top level)."""
    wrapped: dict = {}  # an alias (multiply, fix) stays the same function as its op
    for name in NAMES:
        fn = namespace.get(name)
        if fn is not None:
            if id(fn) not in wrapped:
                wrapped[id(fn)] = with_out(fn, name)
            namespace[name] = wrapped[id(fn)]
