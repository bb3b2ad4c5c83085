"""torch.distributions.multinomial: Multinomial (defined in discrete.py)."""

from .discrete import Multinomial  # noqa: F401

__all__ = ["Multinomial"]
