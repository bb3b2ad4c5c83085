"""A NumPy number on the left of a bitwise operator (``np.int64(2) & t``, ``|``, ``^``,
``<<``, ``>>``): PyTorch's tensor answers through its reflected operator (a Tensor, no
warning), where ember returned NumPy's array; the ufunc called by name
(``np.bitwise_and(n, t)``) is NumPy's answer wrapped, with NumPy 2's DeprecationWarning.
Against PyTorch 2.13 live."""

import numpy as np
import pytest

from torch_compare import same_with_warnings

CASES = ["np.int64(2) & t", "np.int64(6) | t", "np.int32(3) ^ t", "np.int64(1) << t",
         "np.int64(8) >> t", "np.bool_(True) & (t > 1)", "np.float64(2.) & t",
         "np.uint8(3) & t", "np.int64(2) & t.int()", "np.bool_(False) | (t > 2)",
         "np.bitwise_and(np.int64(2), t)", "np.left_shift(np.int64(1), t)",
         "np.bitwise_or(t, np.int64(4))", "np.bitwise_xor(np.array([1, 1, 1]), t)"]


def _describe(v):
    if hasattr(v, "detach"):
        return ("Tensor", str(v.dtype).split(".")[-1], v.tolist())
    return (type(v).__name__, str(getattr(v, "dtype", "")), v.tolist())


@pytest.mark.parametrize("case", CASES)
def test_numpy_number_bitwise(case):
    fn = eval(f"lambda t: {case}")  # the operator as written (its bytecode matters)
    same_with_warnings(lambda L: fn(L.tensor([1, 2, 3])), _describe)
