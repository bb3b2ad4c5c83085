"""``torch.distributed.rpc``: the names single-process code refers to (``RRef``). No RPC
agent is ever set up in ember, so creating an RRef raises PyTorch's RuntimeError."""

from . import api  # noqa: F401
from .api import RRef

__all__ = ["RRef", "is_available", "api"]


def is_available() -> bool:
    """True, as on PyTorch's Linux builds (the names exist; no agent is initialised)."""
    return True
