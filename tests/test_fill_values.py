"""Tensor.fill_ takes what PyTorch's parser takes (a tensor or a number) and converts it as
PyTorch's checked conversion does: None, a str or an array are refused (None used to fill
nan), as are values an integer or half dtype cannot hold."""

import numpy as np
import pytest
from torch_compare import run_both

VALUES = [None, "a", np.float64(1.5), np.int64(2), True, 1 + 2j, 2 + 0j, np.array(1.0), [1.0],
          2 ** 70, 2 ** 63, -2 ** 63 - 1, float("nan"), float("inf"), 1e300, -1, 300, -300,
          2.7, -2.7, 70000.0, np.float32(3.5)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8",
                                   "bool"])
def test_fill_values_as_pytorch(dtype):
    def run(lib):
        out = []
        for v in VALUES:
            try:
                out.append(repr(lib.zeros(2, dtype=getattr(lib, dtype)).fill_(v)))
            except Exception as e:  # noqa: BLE001 - compared across libraries
                out.append((type(e).__name__, str(e).splitlines()[0]))
        return out
    want, got = run_both(run)
    assert got == want
