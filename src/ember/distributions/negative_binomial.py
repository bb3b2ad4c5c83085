"""torch.distributions.negative_binomial: NegativeBinomial (defined in discrete.py)."""

from .discrete import NegativeBinomial  # noqa: F401

__all__ = ["NegativeBinomial"]
