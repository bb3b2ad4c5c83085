"""A NumPy array passed to an op's function or method (``torch.add(t, a)``, ``t.mul(a)``,
``t.add_(a)``, ``torch.where(c, t, a)``, ``torch.matmul(t, a)``), against PyTorch 2.13 live:
PyTorch's argument parser refuses it with a TypeError (0-d arrays too; NumPy scalars are
numbers), where ember used to compute in NumPy's promotion. The operators keep their own
answers (tests/test_s20_ndarray_operands.py), and ember's own rules still pass arrays to ops
(a create_graph backward multiplies by saved arrays: checked below against PyTorch)."""

import numpy as np
import pytest

from torch_compare import same_with_warnings

CALLS = [
    "torch.add(t, a)", "t.add(a)", "torch.mul(t, a)", "t.mul(a)", "torch.sub(t, a)",
    "t.sub(a)", "t.div(a)", "torch.div(t, a)", "t.add_(a)", "t.sub_(a)", "t.mul_(a)",
    "t.div_(a)", "torch.add(a, t)", "torch.mul(a, t)", "torch.add(t, a0)", "t.mul(a0)",
    "torch.add(t, a, alpha=2)", "t.add(a, alpha=2)", "torch.sub(t, a, alpha=2)",
    "torch.mul(t, a, out=torch.empty(2))", "torch.div(t, a, rounding_mode='floor')",
    "torch.div(t, a, rounding_mode='trunc')", "torch.true_divide(t, a)", "torch.rsub(t, a)",
    "torch.multiply(t, a)", "torch.subtract(t, a)", "torch.divide(t, a)",
    "torch.remainder(t, a)", "torch.fmod(t, a)", "torch.floor_divide(t, a)",
    "torch.eq(t, a)", "t.eq(a)", "torch.lt(t, a)", "t.ge(a)", "torch.ne(t, a)",
    "torch.gt(t, a0)", "torch.pow(t, a)", "t.pow(a)", "torch.pow(2, a)", "t.float_power(a)",
    "t.double().float_power_(a)", "torch.xlogy(t, a)", "torch.copysign(t, a)",
    "torch.where(t > 0, t, a)", "torch.where(t > 0, a, t)", "torch.lerp(t, a, 0.5)",
    "t.lerp_(a, 0.5)", "torch.matmul(t, a)", "torch.mm(t[None], a[:, None])",
    "torch.outer(t, a)", "t.outer(a)", "torch.dot(t, a)", "torch.maximum(t, a)",
    "torch.atan2(t, a)", "torch.hypot(t, a)", "torch.bitwise_and(t.long(), a)",
    "torch.addcmul(t, t, a)", "torch.heaviside(t, a)", "torch.isclose(t, a)",
    # NumPy scalars are numbers to PyTorch's parser: these compute
    "torch.add(t, np.float64(2))", "t.mul(np.float32(3))", "t.add_(np.int64(1))",
    "torch.where(t > 0, t, np.float64(0))",
]


def _describe(v):
    if hasattr(v, "detach"):
        return ("Tensor", str(v.dtype).split(".")[-1], v.detach().numpy().tolist())
    return (type(v).__name__, v.tolist() if hasattr(v, "tolist") else v)


@pytest.mark.parametrize("call", CALLS)
def test_array_argument(call):
    fn = eval(f"lambda torch, t, a, a0: {call}")  # the call as written (its bytecode matters)
    same_with_warnings(lambda L: fn(L, L.tensor([1.0, 2.0]), np.array([3.0, 4.0]),
                                    np.array(2.0)), _describe)


@pytest.mark.parametrize("call", ["x * a", "a * x", "x @ m", "np.matmul(x, m)", "a == x",
                                  "np.add(x.detach(), a)"])
def test_operators_still_answer(call):
    """The operator and NumPy-protocol forms still take the array their own way."""
    fn = eval(f"lambda x, a, m: {call}")
    same_with_warnings(lambda L: fn(L.tensor([1.0, 2.0]), np.array([3.0, 4.0]),
                                    np.ones((2, 2))), _describe)


def test_create_graph_rules_still_use_arrays():
    """Second derivatives through rules that multiply a Tensor gradient by a saved array."""
    def run(L):
        x = L.tensor([0.5, -1.5, 2.0], requires_grad=True)
        y = (x * x.sin() * L.tensor([1.0, 2.0, 3.0]) / (x.exp() + 1)).pow(2).sum()
        g, = L.autograd.grad(y, x, create_graph=True)
        h, = L.autograd.grad(g.sum(), x)
        return [round(v, 5) for v in g.tolist() + h.tolist()]
    same_with_warnings(run)
