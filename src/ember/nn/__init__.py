"""``ember.nn`` (``torch.nn``): modules, parameters, functional, init and utils."""

from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from .modules.module import _IncompatibleKeys  # noqa: F401
from .parameter import Buffer, Parameter  # noqa: F401
from .parallel import DataParallel  # noqa: F401


def __getattr__(name):  # rarely used parts, loaded on first use (import time)
    import importlib

    if name == "attention":  # torch.nn.attention without importing it first
        return importlib.import_module("ember.nn.attention")
    if name in ("LinearCrossEntropyLoss", "LinearCrossEntropyOptions"):
        return getattr(importlib.import_module("ember.nn.modules.linear_ce"), name)
    raise AttributeError(f"module 'ember.nn' has no attribute '{name}'")
