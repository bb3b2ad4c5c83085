"""``torch.view_as_complex`` / ``torch.view_as_real`` (RoPE code: minGPT, LLaMA-style
attention). ember has no complex tensors (README, known gaps), so these check their input
exactly as PyTorch does, raising its errors for the inputs it refuses, and for an input
PyTorch would view as complex raise ember's no-complex-storage TypeError, which says so
(rather than an AttributeError for a missing function, or a wrong real answer)."""

from __future__ import annotations

from .._typename import arg_type_name
from .. import dtypes as _dtypes
from ..tensor import Tensor
from .arithmetic import type_name


def _tensor_arg(fn: str, input) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{arg_type_name(input)}")


def view_as_complex(input: Tensor) -> Tensor:
    """A complex view of a (..., 2) float tensor: PyTorch's checks in its order (dtype, at
    least one dim, last size 2, last stride 1, even strides, even storage offset)."""
    _tensor_arg("view_as_complex", input)
    name = input.dtype.name
    if name not in ("float16", "float32", "float64"):
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           "tensors, but got a tensor of scalar type: "
                           + _dtypes._c10_name(name))
    if input.dim() == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    strides = input.stride()
    if strides[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last "
                           "dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    raise _dtypes.no_storage(input.dtype.to_complex())


def view_as_real(input: Tensor) -> Tensor:
    """The (..., 2) real view of a complex tensor; every ember tensor is real, which PyTorch
    refuses with this RuntimeError."""
    _tensor_arg("view_as_real", input)
    raise RuntimeError("view_as_real is only supported for complex tensors")


def _complex_parts(fn: str, names, a, b) -> Tensor:
    """torch.polar / torch.complex's checks in PyTorch's order (both tensors, both half /
    float / double, one dtype, broadcastable shapes), then ember's no-complex TypeError."""
    for pos, (arg, val) in enumerate(zip(names, (a, b)), 1):
        if not isinstance(val, Tensor):
            raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{arg_type_name(val)}")
    da, db = a._data.dtype, b._data.dtype
    na, nb = type_name(da), type_name(db)  # (C++'s names: Half, Float, Double, Long, ...)
    if da.char not in "efd" or db.char not in "efd":
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{na} and {nb}")
    if da != db:
        raise RuntimeError(f"Expected object of scalar type {na} but got scalar type {nb} "
                           "for second argument")
    from ._util import check_broadcast

    check_broadcast(tuple(a.shape), tuple(b.shape))
    if fn == "polar" and da.char == "e":  # complex32 exists there, its kernel does not
        raise NotImplementedError("\"polar_cpu\" not implemented for 'Half'")
    raise _dtypes.no_storage(a.dtype.to_complex())


def polar(abs: Tensor, angle: Tensor) -> Tensor:
    """abs * (cos(angle) + i sin(angle)), a complex tensor: PyTorch's argument errors, then
    ember's no-complex TypeError (RoPE code builds its tables so: sam2's compute_axial_cis)."""
    return _complex_parts("polar", ("abs", "angle"), abs, angle)


def complex(real: Tensor, imag: Tensor) -> Tensor:
    """real + i imag, a complex tensor: PyTorch's argument errors, then ember's no-complex
    TypeError."""
    return _complex_parts("complex", ("real", "imag"), real, imag)
