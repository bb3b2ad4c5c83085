"""Every top-level torch function ember has, called with two tensors (same shape, broadcast,
not broadcastable, mixed dtypes, bool, 0-d with 2-D) on both libraries: the same exception
type and first line, or the same values, dtype and shape. A TypeError from PyTorch's
argument parser (a tensor where a number or dim goes) only needs ember to raise too."""

from __future__ import annotations

import pytest
import torch

import ember
from parity_util import function_names, normal, outcome, sample

# Take lists, not two tensors (the one-tensor sweep and their own tests cover them).
LISTS = {"cat", "stack", "concat", "concatenate", "hstack", "vstack", "dstack", "column_stack",
         "row_stack", "meshgrid", "einsum", "broadcast_tensors", "block_diag", "cartesian_prod",
         "atleast_1d", "atleast_2d", "atleast_3d", "chunk", "split", "tensor_split", "unbind",
         "combinations", "bincount"}
# Both raise but word it differently or check in another order, or differ harmlessly: a
# -0.0 for 0.0 (cross, logaddexp2), int64 hinge_embedding_loss (ember: float), the top-level
# binary_cross_entropy_with_logits broadcasting (ember: F's size check), unique taking a
# tensor for `sorted`, and messages for wrong index dtypes, 0-d inputs and bool kernels.
# complex and polar make complex tensors, which ember does not have: valid input gets its
# no-complex TypeError (their argument errors: tests/test_s23_sam_fixes.py).
KNOWN = {"complex", "polar", "unique", "binary_cross_entropy_with_logits", "histogram", "cholesky_solve",
         "hinge_embedding_loss", "ldexp_", "prelu", "searchsorted", "trapezoid", "trapz",
         "cross", "cumulative_trapezoid", "embedding", "gcd_", "lcm_", "inner", "logaddexp2",
         "repeat_interleave", "tensordot"}
PAIRS = [(("f", (2, 3)), ("f", (2, 3))), (("f", (2, 3)), ("f", (3,))),
         (("f", (2, 3)), ("i", (2, 3))), (("i", (2, 3)), ("i", (2, 3))),
         (("b", (2, 3)), ("b", (2, 3))), (("f", (2, 3)), ("f", (3, 2))),
         (("f", ()), ("f", (2, 3))), (("f", (3, 3)), ("f", (3, 3)))]
NAMES = [n for n in function_names() if n not in LISTS | KNOWN]


@pytest.mark.parametrize("name", NAMES)
def test_two_tensor_sweep(name):
    bad = []
    for (ka, sa), (kb, sb) in PAIRS:
        t = outcome(lambda: getattr(torch, name)(sample(torch, ka, sa), sample(torch, kb, sb)))
        e = outcome(lambda: getattr(ember, name)(sample(ember, ka, sa), sample(ember, kb, sb)))
        if t[0] == e[0] == "err" and t[1] == "TypeError":
            continue  # the parser refused a tensor argument; ember refused it too
        if normal(t) != normal(e):
            bad.append((ka, sa, kb, sb, t, e))
    assert bad == []
