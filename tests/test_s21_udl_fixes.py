"""Session 21 (udl sweep): NumPy's reductions called on a tensor. ``np.sum(t)``,
``np.mean(t)``, ``np.prod(t)``, ``np.max(t)`` / ``np.amax(t)`` and ``np.min(t)`` /
``np.amin(t)`` call the tensor's method with ``axis=``, ``dtype=`` and ``out=None``; PyTorch's
methods take no ``out`` and its argument parser refuses the call with its own first line
(``max(): argument 'dim' must be int, not NoneType``, ``sum() got an unexpected keyword
argument 'axis'``); ember's methods gave Python's complaint about ``out`` instead. Each case
is compared live against PyTorch."""

import numpy as np
import pytest
from torch_compare import run_both, same_error_case


def _t(lib):
    return lib.tensor([[1., 3.], [2., 0.]])


@pytest.mark.parametrize("fn", ["sum", "mean", "prod", "max", "min", "amax", "amin"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_numpy_reduction_of_a_tensor(fn, axis):
    same_error_case(lambda L: getattr(np, fn)(_t(L), axis=axis))


@pytest.mark.parametrize("call", [
    lambda L: _t(L).sum(0, out=None),
    lambda L: _t(L).sum(1, out=_t(L)),
    lambda L: _t(L).mean(0, dtype=L.float64, out=None),
    lambda L: _t(L).prod(1, out=None),
    lambda L: _t(L).max(0, out=None),
    lambda L: _t(L).min(1, out=None),
    lambda L: _t(L).max(axis=0, out=None),
    lambda L: _t(L).sum(axis=(0, 1), dtype=None, out=None),
], ids=["sum_dim", "sum_dim_tensor_out", "mean_dim_dtype", "prod_dim", "max_dim", "min_dim",
        "max_axis", "sum_axis_tuple"])
def test_method_with_out(call):
    same_error_case(call)


@pytest.mark.parametrize("fn", ["sum", "mean", "prod", "max", "min", "amax"])
def test_functions_keep_out(fn):
    """torch.<fn>(..., out=) itself still writes out (the methods alone refuse it)."""
    def case(L):
        x = _t(L)
        if fn in ("max", "min"):
            v, i = L.empty(2), L.empty(2, dtype=L.long)
            getattr(L, fn)(x, 1, out=(v, i))
            return [v, i]
        o = L.empty(2)
        getattr(L, fn)(x, 1, out=o)
        return [o]
    want, got = run_both(case)
    assert [(str(t.dtype), t.tolist()) for t in got] == \
        [(str(t.dtype), t.tolist()) for t in want]
    assert [float(np.sum(t.numpy())) for t in got] == [float(np.sum(t.numpy())) for t in want]
