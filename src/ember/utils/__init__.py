"""ember.utils: ``data`` (Dataset, DataLoader, samplers), ``checkpoint``, ``hooks``,
``benchmark``, ``dlpack``, ``deterministic`` and ``backcompat`` load on first use."""

from __future__ import annotations

import importlib as _importlib

__all__ = ["data", "checkpoint", "hooks", "benchmark", "dlpack", "deterministic",
           "backcompat"]


def __getattr__(name: str):
    if name in __all__:
        return _importlib.import_module(f"ember.utils.{name}")
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
