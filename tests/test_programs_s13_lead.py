"""Session 13, lead: smaller PyTorch behaviours found while reviewing, compared live with
torch 2.13."""

import numpy as np
import pytest
from torch_compare import run_both

_B = np.bool_(True)


@pytest.mark.parametrize("data,dtype", [
    ([_B, 3], None), ([[_B], [2]], None), ([np.int64(2), _B], None),  # inferred int64
    ([_B], "int64"), ([_B], "int32"), ([_B], "uint8"),                   # asked for
    ([_B, 1.5], None), ([1.5, _B], None), ([_B, True], None), ([_B], None),  # fine in both
    ([_B], "float32"), ([3, 0], "bool"), ([True, 3], None),
])
def test_numpy_bools_in_integer_lists(data, dtype):
    """An integer result reads each element through __index__: NumPy's bool has none, so
    PyTorch refuses it (a Python bool is an int and passes); float and bool results take it."""
    def run(L):
        t = L.tensor(data, dtype=getattr(L, dtype) if dtype else None)
        return str(t.dtype), t.tolist()
    want, got = run_both(run)
    assert got == want
