"""The warning for graphs kept alive by reusing results that were already backpropagated."""

from __future__ import annotations

_STALE = {"count": 0}
STALE_LIMIT = 100


def _stale_graph_used() -> None:
    """A new op consumed the output of a graph that was already backpropagated.

    Once in a while that is fine; done every step (``total_loss += loss``) it chains every
    step's graph to the next, so none of them is ever freed and memory grows without bound.
    """
    _STALE["count"] += 1
    if _STALE["count"] == STALE_LIMIT:
        import warnings

        warnings.warn(
            "ember: results of graphs that were already backpropagated keep being used in new "
            "computations (for example `total_loss += loss`). Each such use keeps the old graph "
            "alive, so memory grows every step. Accumulate plain numbers instead: "
            "`total_loss += loss.item()` (or `loss.detach()`).", ResourceWarning, stacklevel=4)
