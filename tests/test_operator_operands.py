"""Python lists are no operands of Tensor operators, as in PyTorch: `t + [1, 2]` raises (ember
used to convert the list, so code written on ember broke on PyTorch), `t * [2.0]` falls to
list repetition and its __index__ error, `t == [1, 2]` is False. Compared with live torch."""

import operator

import pytest
import torch

import ember

OPS = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "eq", "ne", "lt", "le", "gt",
       "ge", "and_", "or_", "xor", "matmul"]


def _outcome(m, name, dtype, other, reflected):
    x = m.ones(2, dtype=getattr(m, dtype))
    f = getattr(operator, name)
    try:
        r = f(other, x) if reflected else f(x, other)
    except Exception as exc:  # noqa: BLE001 - compared with PyTorch's
        return type(exc).__name__, str(exc)
    return "value", repr(r)


@pytest.mark.parametrize("reflected", [False, True])
@pytest.mark.parametrize("other", [[1, 2], [2.0]], ids=["ints", "float"])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("name", OPS)
def test_list_operand_as_pytorch(name, dtype, other, reflected):
    assert _outcome(ember, name, dtype, other, reflected) == \
        _outcome(torch, name, dtype, other, reflected)


@pytest.mark.parametrize("values", [[1, 0], [[1]], 1, [2]])
def test_index_of_an_int_tensor(values):
    def run(m):
        try:
            return [10, 20, 30][m.tensor(values)]
        except TypeError as exc:
            return str(exc)

    assert run(ember) == run(torch)
