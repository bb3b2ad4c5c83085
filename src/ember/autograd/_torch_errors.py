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
            bad = broadcast_mismatch(a, b)
            if bad is not None:
                return RuntimeError(
                    broadcast_message(*bad) + f"\nHint: shapes {list(a)} and {list(b)} do not "
                    "broadcast; line dimensions up from the right, each pair must be equal or "
                    "one of them 1.")
    return err


def broadcast_mismatch(a_shape, b_shape):
    """(size in a, size in b, dim) of the first pair that keeps two shapes from broadcasting
    (counted from the right, as broadcasting lines them up), or None."""
    for k, (m, n) in enumerate(zip(reversed(a_shape), reversed(b_shape))):
        if m != n and m != 1 and n != 1:
            return m, n, max(len(a_shape), len(b_shape)) - 1 - k
    return None


def broadcast_message(m, n, dim) -> str:
    return (f"The size of tensor a ({m}) must match the size of tensor b ({n}) at "
            f"non-singleton dimension {dim}")


def check_hook_result(hook, before, after) -> None:
    """PyTorch's errors for a tensor hook that changed its gradient's size or dtype."""
    name = getattr(hook, "__name__", "<unknown>")  # a callable object: PyTorch's '<unknown>'
    if getattr(after, "shape", ()) != getattr(before, "shape", ()):
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    if after.dtype != before.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"{legacy_type(before.dtype)} got {legacy_type(after.dtype)})")


def legacy_type(dtype) -> str:
    """PyTorch's old tensor type name for a dtype (torch.FloatTensor, ...)."""
    from ..dtypes import from_numpy_dtype

    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
             "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
             "uint8": "Byte", "bool": "Bool"}
    name = from_numpy_dtype(dtype).name
    return f"torch.{names.get(name, name.capitalize())}Tensor"
