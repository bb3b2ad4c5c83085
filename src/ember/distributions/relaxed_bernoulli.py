"""torch.distributions.relaxed_bernoulli: LogitRelaxedBernoulli, RelaxedBernoulli (defined in
relaxed.py)."""

from .relaxed import LogitRelaxedBernoulli, RelaxedBernoulli  # noqa: F401

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]
