"""ember.utils: ``data`` (Dataset, DataLoader, samplers) loads on first use."""

from __future__ import annotations

import importlib as _importlib

__all__ = ["data"]


def __getattr__(name: str):
    if name == "data":
        return _importlib.import_module("ember.utils.data")
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
