"""lerp, addcmul, addcdiv: three-operand pointwise ops, one graph node each as in PyTorch.

PyTorch's CPU kernels compute lerp and addcmul with a fused multiply-add (one rounding for
``x * y + z``); plain NumPy rounds twice and differs in the last bit for ~25% of float32
entries. For float32 and float16 the product of two float32 values is exact in float64, so
computing there and rounding once gives PyTorch's bits; float64 takes Dekker's exact product
and a compensated sum (ember/_fma.py), which matched PyTorch on every entry tested.
"""

from __future__ import annotations

import numpy as np

from .._typename import arg_type_name
from ..autograd.function import NULL_CTX, Primitive
from .._fma import fma_into
from ..tensor import Tensor
from ._half import times
from ._layout import elementwise
from ._util import check_broadcast, promote
from .linalg import _C_NAMES, _kind

__all__ = ["lerp", "addcmul", "addcdiv"]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _wide(dtype: np.dtype):
    """The dtype in which ``x * y + z`` of two ``dtype`` products rounds only once, and
    the dtype PyTorch's opmath rounds to first (float16 computes in float32)."""
    if dtype == _F64:
        return None, _F64  # (_fma takes the exact float64 route)
    return np.float64, _F32


def _fma(x, y, z, dtype: np.dtype) -> np.ndarray:
    """x * y + z rounded once (in ``dtype``'s opmath), then to ``dtype`` (ember/_fma.py)."""
    shape = np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(z))
    return fma_into(np.empty(shape, dtype), x, y, z)


@elementwise
class Lerp(Primitive):
    """y = x + w (e - x) if |w| < 0.5 else e - (e - x)(1 - w)  (PyTorch's two forms: exact at
    both ends, w = 0 gives x and w = 1 gives e);
    dL/dx = g (1 - w),  dL/de = g w,  dL/dw = g (e - x)."""

    node_name = "LerpBackward1"  # a tensor weight; a number weight is LerpBackward0

    @staticmethod
    def forward(ctx, x, e, w):
        ctx.save_for_backward(x, e, w)
        dtype = np.result_type(x, e)
        opmath = _wide(dtype)[1]
        d = np.subtract(e, x, dtype=opmath)
        w = np.asarray(w, dtype=opmath)
        small = np.abs(w) < 0.5
        if small.ndim == 0:  # a number weight: one form for every entry
            # (d = e - x has the full shape: _fma's sum broadcasts x or e to it)
            if small:
                return _fma(w, d, x, dtype)
            return _fma(-d, 1 - w, e, dtype)
        return np.where(small, _fma(w, d, x, dtype), _fma(-d, 1 - w, e, dtype))

    @staticmethod
    def backward(ctx, g):
        x, e, w = ctx.saved_tensors
        need_x, need_e, need_w = ctx.needs_input_grad
        gx = g * (1 - w) if need_x else None
        ge = g * w if need_e else None
        gw = g * (e - x) if need_w else None
        return gx, ge, gw


class LerpScalar(Lerp):
    """lerp with a number weight: its gradients g (1 - w) and g w need neither x nor e, so
    (as PyTorch's LerpBackward0) it saves neither: x may change in place afterwards."""

    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, x, e, w):
        ctx.w = w
        return Lerp.forward(NULL_CTX, x, e, w)

    @staticmethod
    def backward(ctx, g):
        w = ctx.w  # (float16 g times a number: in float32, rounded once, as PyTorch)
        need_x, need_e, _ = ctx.needs_input_grad
        return (times(g, 1 - w) if need_x else None), (times(g, w) if need_e else None), None


@elementwise
class Addcmul(Primitive):
    """y = x + (v t1) t2  (PyTorch rounds v t1, then fuses the rest);
    dL/dx = g,  dL/dt1 = g (t2 v),  dL/dt2 = g (t1 v)."""

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        dtype = np.result_type(x, t1, t2)
        if dtype.kind != "f":  # integers: PyTorch casts the value to the integer type
            return x + int(value) * t1 * t2
        return _fma(np.multiply(t1, value, dtype=_wide(dtype)[1]), t2, x, dtype)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        need_x, need_1, need_2 = ctx.needs_input_grad[:3]
        return (g if need_x else None, g * (t2 * v) if need_1 else None,
                g * (t1 * v) if need_2 else None, None)


@elementwise
class Addcdiv(Primitive):
    """y = x + (v t1) / t2;  dL/dx = g,  dL/dt1 = g (v / t2),  dL/dt2 = -g (v t1 / t2^2)."""

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        dtype = np.result_type(x, t1, t2)
        opmath = _wide(dtype)[1]
        q = np.divide(np.multiply(t1, value, dtype=opmath), t2, dtype=opmath)
        return np.add(x, q, dtype=opmath).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        need_x, need_1, need_2 = ctx.needs_input_grad[:3]
        return (g if need_x else None, g * (v / t2) if need_1 else None,
                -g * (v * t1 / (t2 * t2)) if need_2 else None, None)


def _need_tensor(fn: str, name: str, pos: int, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{arg_type_name(x)}")


def _number(value):
    return value.item() if isinstance(value, Tensor) else value


def lerp(input, end, weight):
    """input + weight * (end - input), with PyTorch's dtype rule: all of one dtype."""
    if not isinstance(end, Tensor):
        from .._call_site import call_site, refusal

        name = "lerp_" if call_site("lerp_") else "lerp"
        params = {"input": "Tensor", "end": arg_type_name(end), "weight": arg_type_name(weight)}
        raise TypeError(
            str(refusal(name, params)) + "\n"
            " * (Tensor input, Tensor end, Tensor weight, *, Tensor out = None)\n"
            " * (Tensor input, Tensor end, Number weight, *, Tensor out = None)")
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected dtype {_C_NAMES[input._data.dtype.name]} for "
                               f"`{name}` but got dtype {_C_NAMES[t._data.dtype.name]}")
    shapes = [input._data.shape, end._data.shape]
    if isinstance(weight, Tensor):
        shapes.append(weight._data.shape)
    for s in shapes[1:]:  # PyTorch compares shapes before it looks for a kernel
        check_broadcast(shapes[0], s)
    if input._data.dtype.kind != "f":
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_kind(input)}'")
    if isinstance(weight, Tensor):
        return Lerp.apply(input, end, weight)
    return LerpScalar.apply(input, end, float(weight))


def _three(fn: str, input, t1, t2):
    _need_tensor(fn, "tensor1", 2, t1)
    _need_tensor(fn, "tensor2", 3, t2)
    if fn == "addcdiv" and t1._data.dtype.kind in "biu" and t2._data.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
            "for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    shape = input._data.shape  # PyTorch's order: input with tensor1, then with tensor2
    check_broadcast(shape, t1._data.shape)
    check_broadcast(np.broadcast_shapes(shape, t1._data.shape), t2._data.shape)
    x, a = promote(input, t1)
    x, b = promote(x, t2)
    a, b = promote(a, b)
    if x._data.dtype.kind == "b":
        raise NotImplementedError(f"\"{fn}_cpu_out\" not implemented for 'Bool'")
    return x, a, b


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    x, a, b = _three("addcmul", input, tensor1, tensor2)
    return Addcmul.apply(x, a, b, _number(value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (floating point only, as PyTorch now requires)."""
    x, a, b = _three("addcdiv", input, tensor1, tensor2)
    return Addcdiv.apply(x, a, b, _number(value))
