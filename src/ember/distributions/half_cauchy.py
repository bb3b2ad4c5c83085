"""torch.distributions.half_cauchy: HalfCauchy (defined in continuous_more.py)."""

from .continuous_more import HalfCauchy  # noqa: F401

__all__ = ["HalfCauchy"]
