"""Shared helpers for the ember.nn tests: move values between ember and PyTorch via NumPy."""

from __future__ import annotations

import numpy as np
import torch

import ember


def np_of(t) -> np.ndarray:
    """A copy of a tensor's values (ember or torch) as a NumPy array."""
    if isinstance(t, torch.Tensor):  # force: torch's ZeroTensor (a known-zero gradient)
        return np.array(t.detach().numpy(force=True), copy=True)
    return np.array(t.detach().numpy(), copy=True)


def to_torch(t, requires_grad: bool | None = None) -> torch.Tensor:
    rg = t.requires_grad if requires_grad is None else requires_grad
    out = torch.from_numpy(np_of(t))
    return out.requires_grad_(rg) if rg else out


def to_ember(t, requires_grad: bool | None = None) -> ember.Tensor:
    rg = t.requires_grad if requires_grad is None else requires_grad
    return ember.tensor(np_of(t), requires_grad=rg)


def pair(array, requires_grad: bool = True) -> tuple[ember.Tensor, torch.Tensor]:
    """The same values as an ember leaf and a torch leaf."""
    a = np.asarray(array)
    rg = requires_grad and a.dtype.kind == "f"
    return (ember.tensor(a.copy(), requires_grad=rg),
            torch.tensor(a.copy(), requires_grad=rg))


def copy_weights(src_ember, dst_torch) -> None:
    """Load the ember module's state into the torch module (strict: same keys)."""
    sd = {k: torch.from_numpy(np_of(v)) for k, v in src_ember.state_dict().items()}
    dst_torch.load_state_dict(sd)


def close(a, b, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """Values (and dtypes, for tensors of both libraries) match."""
    if hasattr(a, "dtype") and hasattr(b, "dtype") and not isinstance(a, np.ndarray):
        assert str(a.dtype) == str(b.dtype), (a.dtype, b.dtype)
    np.testing.assert_allclose(np_of(a) if hasattr(a, "detach") else a,
                               np_of(b) if hasattr(b, "detach") else b, rtol=rtol, atol=atol)


def error_of(fn) -> tuple[type, str]:
    """(exception type, first line of its message) raised by ``fn()``."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - comparing whatever each library raises
        msg = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
        return type(e), msg.split("\n")[0]
    raise AssertionError("no exception raised")


def same_error(f_ember, f_torch) -> None:
    """Both raise the same exception type with the same first line."""
    got, expected = error_of(f_ember), error_of(f_torch)
    assert got == expected, f"ember: {got}\ntorch: {expected}"
