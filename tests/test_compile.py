"""ember.compile accepts torch.compile's calls and returns the callable itself (ember runs
eagerly; PyTorch returns the same object when disable=True). Errors as PyTorch's."""

import pytest
import torch

import ember
from torch_compare import error_of


def test_returns_the_module_and_function_unchanged():
    m = ember.nn.Linear(2, 3)
    assert ember.compile(m) is m
    assert ember.compile(m, mode="reduce-overhead", fullgraph=True, dynamic=False) is m

    def f(x):
        return x * 2
    assert ember.compile(f, backend="inductor") is f
    assert torch.compile(f, disable=True) is f  # the PyTorch behaviour this mirrors


def test_decorator_forms():
    @ember.compile
    def f(x):
        return x + 1

    @ember.compile(mode="max-autotune")
    def g(x):
        return x - 1
    assert f(ember.tensor(1.0)).item() == 2.0 and g(ember.tensor(1.0)).item() == 0.0


@pytest.mark.parametrize("call", [lambda T: T.compile(3),
                                  lambda T: T.compile(lambda x: x, mode="default", options={})])
def test_errors_as_pytorch(call):
    assert error_of(lambda: call(ember)) == error_of(lambda: call(torch))
