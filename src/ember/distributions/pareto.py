"""torch.distributions.pareto: Pareto (defined in continuous_more.py)."""

from .continuous_more import Pareto  # noqa: F401

__all__ = ["Pareto"]
