"""Every Tensor method ember also has, called with no arguments on float, int64 and bool
tensors (2x3, 3x3, 0-d, empty), on both libraries: the same exception type and first line,
or the same values, dtype and shape. Methods that need arguments fail in both (a TypeError
each library words its own way, not compared); random, in-place-filling, memory and
conversion methods are left out (covered elsewhere)."""

from __future__ import annotations

import pytest
import torch

import ember
from parity_util import ONE_TENSOR_KNOWN as KNOWN
from parity_util import ONE_TENSOR_SPECS as SPECS
from parity_util import normal as _normal, outcome, sample

SKIP = {
    "backward", "register_hook", "register_post_accumulate_grad_hook", "retain_grad",
    "share_memory_", "pin_memory", "is_pinned", "cuda", "cpu", "to", "type", "data_ptr",
    "storage", "untyped_storage", "numpy", "tolist", "item", "apply_", "map_", "map2_",
    "uniform_", "normal_", "random_", "exponential_", "cauchy_", "log_normal_", "geometric_",
    "bernoulli", "bernoulli_", "multinomial", "new_empty", "new_empty_strided", "resize_",
    "resize_as_", "set_", "requires_grad_", "detach_", "zero_", "fill_", "copy_",
    "record_stream", "element_size", "dim_order", "module_load", "as_subclass", "new_tensor",
    "new_zeros", "new_ones", "new_full", "xpu", "ipu", "mtia", "to_sparse", "to_dense",
    "to_sparse_coo", "to_sparse_csr", "to_sparse_csc", "to_sparse_bsr", "to_sparse_bsc",
    "to_mkldnn", "get_device", "is_shared",
}
# Casts to dtypes NumPy cannot store: ember raises its own error there (checked by
# tests/test_dtypes_named.py); PyTorch converts.
SKIP |= {"bfloat16", "cfloat", "cdouble", "chalf"}
NAMES = sorted(n for n in dir(torch.Tensor) if not n.startswith("_") and n not in SKIP
               and callable(getattr(torch.Tensor, n, None)) and hasattr(ember.Tensor, n))


@pytest.mark.parametrize("name", NAMES)
def test_method_sweep(name):
    bad = []
    for kind, shape in SPECS:
        if (name, kind, shape) in KNOWN:
            continue
        t = outcome(lambda: getattr(sample(torch, kind, shape), name)())
        e = outcome(lambda: getattr(sample(ember, kind, shape), name)())
        if t[0] == e[0] == "err" and t[1] == e[1] == "TypeError":
            continue
        if _normal(t) != _normal(e):
            bad.append((kind, shape, t, e))
    assert bad == []
