"""Every torch.nn.functional function ember has, called with one tensor (float, int64, bool;
2-D, 3-D, 4-D, 0-d, empty) on both libraries: the same exception type and first line, or
the same values, dtype and shape (a TypeError from PyTorch's argument parser only needs
ember to raise too). Random functions are left out."""

from __future__ import annotations

import pytest
import torch

import ember
from parity_util import normal, outcome, sample

SKIP = {"dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
        "feature_alpha_dropout", "rrelu", "rrelu_", "gumbel_softmax", "fractional_max_pool2d",
        "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
        "fractional_max_pool3d_with_indices", "handle_torch_function", "has_torch_function",
        "has_torch_function_unary", "has_torch_function_variadic", "boolean_dispatch",
        "assert_int_or_pair", "scaled_dot_product_attention", "multi_head_attention_forward"}
SPECS = [("f", (2, 3)), ("i", (2, 3)), ("b", (2, 3)), ("f", ()), ("f", (0, 3)),
         ("f", (2, 3, 4)), ("f", (1, 2, 3, 4))]
NAMES = sorted(n for n in dir(torch.nn.functional) if n[:1].islower() and n not in SKIP
               and callable(getattr(torch.nn.functional, n))
               and hasattr(ember.nn.functional, n))


@pytest.mark.parametrize("name", NAMES)
def test_functional_one_tensor_sweep(name):
    bad = []
    for kind, shape in SPECS:
        t = outcome(lambda: getattr(torch.nn.functional, name)(sample(torch, kind, shape)))
        e = outcome(lambda: getattr(ember.nn.functional, name)(sample(ember, kind, shape)))
        if t[0] == e[0] == "err" and t[1] == "TypeError":
            continue
        if normal(t) != normal(e):
            bad.append((kind, shape, t, e))
    assert bad == []
