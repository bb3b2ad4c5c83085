"""uniform_'s range checks and wide ranges, against live PyTorch.

Tensor.uniform_ checked nothing (from > to drew reversed values, an infinite bound drew
inf/nan) and a float64 range near the largest double overflowed the exact FMA's splitting
into nan; nn.init.uniform_ printed its numbers as Python does, not as C++ does.
"""

import numpy as np
import pytest
import torch

import ember

RANGES = [(-1e39, 0.0), (0.0, 1e39), (1e39, 0.0), (float("-inf"), 0.0), (float("nan"), 1.0),
          (0.0, float("inf")), (2, 1), (2.5, 1.25), (1e-7, 0.0), (1234567.0, 3.0),
          (-60000, 60000), (-3e38, 3e38), (-5e307, 5e307), (-1e308, 1e308), (-2e300, 3e300),
          (-1.0, 1.0)]


def _outcome(m, dtype_name, low, high, how):
    x = m.empty(5, dtype=getattr(m, dtype_name))
    m.manual_seed(0)
    try:
        if how == "method":
            x.uniform_(low, high)
        else:
            m.nn.init.uniform_(x, low, high)
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return type(exc).__name__, str(exc)
    return "values", x.double().numpy().tolist()


@pytest.mark.parametrize("how", ["method", "init"])
@pytest.mark.parametrize("dtype_name", ["float16", "float32", "float64"])
@pytest.mark.parametrize("low,high", RANGES)
def test_uniform_range_as_pytorch(low, high, dtype_name, how):
    want = _outcome(torch, dtype_name, low, high, how)
    got = _outcome(ember, dtype_name, low, high, how)
    assert got[0] == want[0], (got, want)
    if want[0] == "values":
        np.testing.assert_array_equal(got[1], want[1])  # PyTorch's draws, bit for bit
        assert np.isfinite(got[1]).all()
    else:
        assert got[1] == want[1]


@pytest.mark.parametrize("indices", [[1], (0,), np.array([1])])
def test_take_along_dim_wants_a_tensor(indices):
    def error(m):
        with pytest.raises(TypeError) as info:
            m.take_along_dim(m.arange(6.0).reshape(2, 3), indices)
        return str(info.value)

    assert error(ember) == error(torch)
