"""Shared by the parity sweeps (tests/hardening/test_parity_sweep_*.py): run one case on a
library and describe how it ended, so ember's ending can be compared with PyTorch's."""

from __future__ import annotations

import warnings

import numpy as np


def show(v):
    """A comparable description of a result: tensors by dtype, shape and rounded values."""
    if hasattr(v, "detach"):
        a = v.detach().numpy()
        return str(a.dtype), a.shape, np.round(a.astype(float), 4).tolist()
    if type(v).__name__ == "Size":
        return tuple(v)
    if isinstance(v, list):
        return [show(x) for x in v]
    if isinstance(v, tuple):  # (named tuples and PyTorch's return types alike)
        return tuple(show(x) for x in v)
    if isinstance(v, dict):
        return {k: show(x) for k, x in v.items()}
    return v if isinstance(v, (int, float, bool, str, type(None))) else repr(v)


def outcome(fn, lib=None):
    """("ok", show(result)) or ("err", exception type, its first line); warnings silenced.
    With ``lib``, grad mode and anomaly mode are restored afterwards."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", show(fn())
    except Exception as exc:  # the comparison is the point
        return "err", type(exc).__name__, (str(exc).splitlines() or [""])[0]
    finally:
        if lib is not None:
            lib.set_grad_enabled(True)
            lib.autograd.set_detect_anomaly(False)


def same_ending(ember_case, torch_case, ember_lib=None, torch_lib=None) -> None:
    """Assert both cases end alike (dtype names compared without their module prefix)."""
    t = str(outcome(torch_case, torch_lib)).replace("torch.", "")
    e = str(outcome(ember_case, ember_lib)).replace("ember.", "").replace("torch.", "")
    assert e == t
