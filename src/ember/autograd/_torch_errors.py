"""NumPy's errors in the words of PyTorch's (for ``Primitive.apply``)."""

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
