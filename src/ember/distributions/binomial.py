"""torch.distributions.binomial: Binomial (defined in discrete.py)."""

from .discrete import Binomial  # noqa: F401

__all__ = ["Binomial"]
