"""Helpers shared by the tests/test_nn_more_*.py files: the same values in ember and PyTorch,
closeness (with dtypes), and PyTorch's exception type and first message line."""

from __future__ import annotations

import numpy as np
import torch

import ember


def np_of(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return np.array(t.detach().numpy(force=True), copy=True)
    return np.array(t.detach().numpy(), copy=True)


def pair(array, requires_grad: bool = True):
    """The same values as an ember leaf and a torch leaf."""
    a = np.asarray(array)
    rg = requires_grad and a.dtype.kind == "f"
    return (ember.tensor(a.copy(), requires_grad=rg),
            torch.tensor(a.copy(), requires_grad=rg))


def close(a, b, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """Same dtype (tensors of both libraries), same shape and values."""
    if hasattr(a, "dtype") and hasattr(b, "dtype") and not isinstance(a, np.ndarray):
        assert str(a.dtype) == str(b.dtype), (a.dtype, b.dtype)
    av = np_of(a) if hasattr(a, "detach") else np.asarray(a)
    bv = np_of(b) if hasattr(b, "detach") else np.asarray(b)
    assert av.shape == bv.shape, (av.shape, bv.shape)
    np.testing.assert_allclose(av, bv, rtol=rtol, atol=atol)


def error_of(fn) -> tuple:
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


def to_ember(v):
    """torch tensors (also inside tuples/lists) as ember tensors; other values unchanged."""
    if isinstance(v, torch.Tensor):
        return ember.tensor(np_of(v), requires_grad=v.requires_grad)
    if isinstance(v, (tuple, list)):
        return type(v)(to_ember(x) for x in v)
    return v


def load_torch(e_module, t_module) -> None:
    """Copy the ember module's state_dict into the torch module (same keys)."""
    sd = {k: torch.from_numpy(np_of(v)) for k, v in e_module.state_dict().items()}
    t_module.load_state_dict(sd)
