"""Session 19's parity fixes, compared live with PyTorch 2.13: ``Tensor.to``'s positional
overloads (device, dtype, non_blocking, copy) and the ``.data`` setter's checks."""

from __future__ import annotations

import numpy as np
import pytest

from torch_compare import run_both

TO_CALLS = [
    'x.to("cpu", True)', 'x.to("cpu", "float32")', 'x.to("cpu", t.float64, True)',
    "x.to(t.float64, True)", 'x.to("cpu", None)', "x.to(x, True)", "x.to(t.float64, 1)",
    "x.to(t.float64, True, True)", "x.to(t.float64, True, True, True)",
    'x.to("cpu", t.float64, True, False)', 'x.to("cpu", t.float64, True, False, True)',
    "x.to(x, 1)", "x.to(x, t.float64)", "x.to(None, t.float64)", "x.to(None, True)",
    'x.to(t.device("cpu"), True)', "x.to(np.float64, True)", "x.to(float, True)",
    'x.to("cpu", float)', "x.to(t.float64, np.bool_(True))",
    'x.to("cpu", True, dtype=t.float64)',
]
# copy=True by position makes a new tensor; False (or non_blocking alone) returns x itself
SAME_OBJECT = [
    "x.to(t.float32, False, True) is x", "x.to(t.float32, False, False) is x",
    'x.to("cpu", t.float32, False, True) is x', "x.to(x, False, True) is x", "x.to(x) is x",
    'x.to("cpu", None, True) is x', "x.to(None) is x",
]


def _eval(expr):
    def call(lib):
        out = eval(expr, {"t": lib, "np": np, "x": lib.ones(2)})
        return out if isinstance(out, bool) else str(out.dtype).replace("ember", "torch")
    return call


@pytest.mark.parametrize("expr", TO_CALLS + SAME_OBJECT)
def test_to_positional_overloads(expr):
    want, got = run_both(_eval(expr))
    assert got == want, f"ember: {got}\ntorch: {want}"


DATA_VALUES = ["np.ones(2)", "[1.0, 2.0]", "3.0", "None", "t.ones(2, dtype=t.int64)",
               "t.ones(3)", "t.ones(2, dtype=t.float64)", "t.ones(2, dtype=t.bool)"]


@pytest.mark.parametrize("requires_grad", [True, False])
@pytest.mark.parametrize("value", DATA_VALUES)
def test_data_setter(value, requires_grad):
    def case(lib):
        p = lib.ones(2, requires_grad=requires_grad)
        p.data = eval(value, {"t": lib, "np": np})
        return str(p.dtype).replace("ember", "torch"), tuple(p.shape), p.requires_grad

    want, got = run_both(case)
    assert got == want, f"ember: {got}\ntorch: {want}"


HOOK_RESULTS = ["5", "[1.0, 1.0]", "np.ones(2)", "'a'", "None", "g * 3"]


@pytest.mark.parametrize("result", HOOK_RESULTS)
@pytest.mark.parametrize("where", ["leaf", "non-leaf"])
def test_tensor_hook_result_checked(result, where):
    """A tensor hook may return a Tensor or None; anything else is PyTorch's TypeError."""
    def case(lib):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        (x if where == "leaf" else y).register_hook(
            lambda g: eval(result, {"g": g, "np": np}))
        y.sum().backward()
        return x.grad.tolist()

    want, got = run_both(case)
    assert got == want, f"ember: {got}\ntorch: {want}"


@pytest.mark.parametrize("result", ["5", "np.ones(2)", "p * 3", "None"])
def test_post_accumulate_hook_must_return_none(result):
    def case(lib):
        x = lib.ones(2, requires_grad=True)
        x.register_post_accumulate_grad_hook(lambda p: eval(result, {"p": p, "np": np}))
        (x * 2).sum().backward()
        return x.grad.tolist()

    want, got = run_both(case)
    assert got == want, f"ember: {got}\ntorch: {want}"
