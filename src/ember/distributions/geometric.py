"""torch.distributions.geometric: Geometric (defined in discrete.py)."""

from .discrete import Geometric  # noqa: F401

__all__ = ["Geometric"]
