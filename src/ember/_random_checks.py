"""PyTorch's argument checks and messages for ember's samplers (``random.py``)."""

from __future__ import annotations

import numpy as np


def randint_overloads(args) -> str:
    """PyTorch's message for positional arguments that match no randint signature."""
    tail = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
            "torch.device device = None, bool pin_memory = False, bool requires_grad = False)")
    lines = [f" * ({head}tuple of ints size, *, {gen}{tail}"
             for head in ("int high, ", "int low, int high, ")
             for gen in ("torch.Generator generator, ", "")]
    got = ", ".join(type(a).__name__ for a in args)
    return (f"randint() received an invalid combination of arguments - got ({got}), but "
            "expected one of:\n" + "\n".join(lines) + "\n")


def check_multinomial(a: np.ndarray, num_samples, replacement: bool) -> None:
    """PyTorch's argument checks, in its order."""
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError("multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    if a.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if a.dtype.kind != "f":
        from .ops.arithmetic import type_name

        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{type_name(a.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > a.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
