"""torch.distributions.studentT: StudentT (defined in continuous_more.py)."""

from .continuous_more import StudentT  # noqa: F401

__all__ = ["StudentT"]
