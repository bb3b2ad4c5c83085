"""torch.distributions.gumbel: Gumbel (defined in continuous_more.py)."""

from .continuous_more import Gumbel  # noqa: F401

__all__ = ["Gumbel"]
