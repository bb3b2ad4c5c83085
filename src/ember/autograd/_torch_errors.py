"""NumPy's errors in the words of PyTorch's (for ``Primitive.apply``), and PyTorch's errors
for a tensor hook that changed its gradient (for the engine)."""

from __future__ import annotations


def _torch_error(err: ValueError, arrays) -> Exception:
    """NumPy's broadcast failure as PyTorch words it; other errors pass through unchanged."""
    if "could not be broadcast" not in str(err):
        return err
    shapes = [a.shape for a in arrays if hasattr(a, "shape") and a.shape != ()]
    for i in range(len(shapes)):
        for j in range(i + 1, len(shapes)):
            a, b = shapes[i], shapes[j]
            for k, (m, n) in enumerate(zip(reversed(a), reversed(b))):
                if m != n and m != 1 and n != 1:
                    dim = max(len(a), len(b)) - 1 - k
                    return RuntimeError(
                        f"The size of tensor a ({m}) must match the size of tensor b ({n}) at "
                        f"non-singleton dimension {dim}\nHint: shapes {list(a)} and {list(b)} "
                        "do not broadcast; line dimensions up from the right, each pair must be "
                        "equal or one of them 1."
                    )
    return err


def check_hook_result(hook, before, after) -> None:
    """PyTorch's errors for a tensor hook that changed its gradient's size or dtype."""
    name = getattr(hook, "__name__", repr(hook))
    if getattr(after, "shape", ()) != getattr(before, "shape", ()):
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    if after.dtype != before.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"{_legacy_type(before.dtype)} got {_legacy_type(after.dtype)})")


def _legacy_type(dtype) -> str:
    """PyTorch's old tensor type name for a dtype (torch.FloatTensor, ...)."""
    from ..dtypes import from_numpy_dtype

    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
             "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
             "uint8": "Byte", "bool": "Bool"}
    name = from_numpy_dtype(dtype).name
    return f"torch.{names.get(name, name.capitalize())}Tensor"
