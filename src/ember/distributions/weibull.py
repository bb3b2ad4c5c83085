"""torch.distributions.weibull: Weibull (defined in continuous_more.py)."""

from .continuous_more import Weibull  # noqa: F401

__all__ = ["Weibull"]
