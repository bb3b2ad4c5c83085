"""torch.distributions.cauchy: Cauchy (defined in continuous_more.py)."""

from .continuous_more import Cauchy  # noqa: F401

__all__ = ["Cauchy"]
