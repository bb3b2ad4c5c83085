"""torch.distributions.relaxed_categorical: ExpRelaxedCategorical, RelaxedOneHotCategorical
(defined in relaxed.py)."""

from .relaxed import ExpRelaxedCategorical, RelaxedOneHotCategorical  # noqa: F401

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]
