"""``torch.distributed.rpc.api``: ``RRef``, a reference to a value owned by an RPC worker."""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["RRef"]

T = TypeVar("T")


class RRef(Generic[T]):
    """A remote reference. ember never starts an RPC agent, so no RRef exists and
    ``isinstance(x, RRef)`` is False for every value (what model-output checks rely on);
    constructing one raises PyTorch's error for an uninitialised RPC framework."""

    def __init__(self, value=None, type_hint=None):
        raise RuntimeError("Current RPC agent is not set! Did you initialize the RPC framework "
                           "(e.g. by calling `rpc.init_rpc`)?")
