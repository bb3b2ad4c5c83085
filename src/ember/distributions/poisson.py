"""torch.distributions.poisson: Poisson (defined in discrete.py)."""

from .discrete import Poisson  # noqa: F401

__all__ = ["Poisson"]
