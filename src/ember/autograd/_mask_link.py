"""Second-order gradients through masks: keep a backward result tied to the saved tensor
whose sign chose its mask.

ReLU's gradient is g where y > 0, else 0. PyTorch computes it as one op of (g, y),
threshold_backward, so with ``create_graph=True`` the gradient is recorded as a function of
y (ThresholdBackwardBackward0, whose derivative with respect to y is zero): differentiating
it again with respect to the input gives zeros. ember's rule reads the mask from y's values,
which records nothing about y; without this link ``autograd.grad(g.sum(), x)`` would raise
"appears to not have been used in the graph" where PyTorch returns zeros (a ReLU network's
input Hessian, gradient penalties).

A rule opts in with ``mask_link = "<PyTorch's second-order node name>"``; only ops whose
PyTorch formula is such a fused op do (relu, hardshrink/softshrink), since for formulas
written with a comparison (clamp's grad * (x >= min)) PyTorch records no such tie.
"""

from __future__ import annotations

import numpy as np

from .function import Primitive

_CLASSES: dict = {}


def _link_class(name: str):
    cls = _CLASSES.get(name)
    if cls is None:
        cls = _CLASSES[name] = type(name, (_Link,), {"node_name": name})
    return cls


class _Link(Primitive):
    """r' = r, recorded as depending on the mask's tensors s too;  dr'/dr = 1, dr'/ds = 0."""

    @staticmethod
    def forward(ctx, r, *sources):
        ctx.shapes = [(np.shape(s), np.result_type(s)) for s in sources]
        return r

    @staticmethod
    def backward(ctx, g):
        return (g,) + tuple(np.zeros(shape, dtype) for shape, dtype in ctx.shapes)


def link_to_mask(res: tuple, saved: tuple, name: str) -> tuple:
    """The rule's results (Tensors, create_graph) tied to those saved tensors that need grad."""
    sources = [s for s in saved if getattr(s, "requires_grad", False)]
    if not sources:
        return res
    cls = _link_class(name)
    return tuple(r if r is None else cls.apply(r, *sources) for r in res)
