"""Every top-level torch function ember also has, called with one tensor (float, int64, bool;
2x3, 3x3, 0-d, empty) on both libraries: the same exception type and first line, or the same
values, dtype and shape. Functions that need more than a tensor fail in both (a TypeError
worded by each library's argument checks, not compared); sampling and stateful functions
are left out."""

from __future__ import annotations

import pytest
import torch

import ember
from parity_util import ONE_TENSOR_KNOWN as KNOWN
from parity_util import ONE_TENSOR_SPECS as SPECS
from parity_util import function_names, normal as _normal, outcome, sample

# Both raise, worded differently: PyTorch's argument parser refuses a tensor where a number
# or an equation goes; ember fails converting it (its own RuntimeError/ValueError).
WORDING = {"arange", "range", "eye", "scalar_tensor", "einsum", "broadcast_shapes", "meshgrid",
           "bartlett_window", "blackman_window", "hamming_window", "hann_window",
           "kaiser_window"}
NAMES = function_names()


@pytest.mark.parametrize("name", NAMES)
def test_one_tensor_sweep(name):
    bad = []
    for kind, shape in SPECS:
        if (name, kind, shape) in KNOWN:
            continue
        t = outcome(lambda: getattr(torch, name)(sample(torch, kind, shape)))
        e = outcome(lambda: getattr(ember, name)(sample(ember, kind, shape)))
        if t[0] == e[0] == "err" and (t[1] == e[1] == "TypeError" or name in WORDING):
            continue  # the call needs other arguments: each library words its refusal
        if _normal(t) != _normal(e):
            bad.append((kind, shape, t, e))
    assert bad == []
