"""torch.distributions.half_normal: HalfNormal (defined in continuous_more.py)."""

from .continuous_more import HalfNormal  # noqa: F401

__all__ = ["HalfNormal"]
