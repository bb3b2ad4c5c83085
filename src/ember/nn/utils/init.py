"""skip_init: make a module without initialising its parameters and buffers."""

from __future__ import annotations

import inspect

from .. import init as _init
from ..modules.module import Module


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with every ``nn.init`` fill skipped: parameters and
    buffers hold whatever their fresh memory held, and no random numbers are drawn (PyTorch
    builds the module on the meta device). The class must take a ``device`` argument."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs["device"] = kwargs.pop("device", "cpu")
    was = getattr(_init._SKIP, "on", False)
    _init._SKIP.on = True
    try:
        return module_cls(*args, **kwargs)
    finally:
        _init._SKIP.on = was
