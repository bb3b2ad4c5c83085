"""torch.distributions.chi2: Chi2 (defined in continuous_more.py)."""

from .continuous_more import Chi2  # noqa: F401

__all__ = ["Chi2"]
