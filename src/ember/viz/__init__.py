"""ember.viz: see the gradients. ``to_dot``/``draw_graph`` draw the computation graph;
``GradientMonitor`` records and plots gradient flow through a model's layers."""

from .graph import draw_graph, to_dot  # noqa: F401
from .monitor import GradientMonitor, GradientWarning  # noqa: F401
