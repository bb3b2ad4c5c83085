"""ember.compile accepts torch.compile's calls and returns a function itself (ember runs
eagerly; PyTorch returns the same object when disable=True) and a module wrapped in an
OptimizedModule, as PyTorch does. Errors as PyTorch's."""

import pytest
import torch

import ember
from torch_compare import error_of


def test_returns_the_function_unchanged_and_the_module_wrapped():
    m = ember.nn.Linear(2, 3)
    assert ember.compile(m)._orig_mod is m  # (the wrapper: test_programs_s14_llmscratch.py)
    assert ember.compile(m, mode="reduce-overhead", fullgraph=True, dynamic=False)(
        ember.ones(1, 2)).shape == (1, 3)
    assert ember.compile(m, disable=True) is m
    assert torch.compile(torch.nn.Linear(2, 3), disable=True).__class__.__name__ == "Linear"

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


_FIRST_COMPILE = """
import sys
L = __import__(sys.argv[1])
D = L.distributions.Distribution
before = D._validate_args
L.compile(L.nn.Linear(2, 2), disable=True)
after_disabled = D._validate_args
L.compile(L.nn.Linear(2, 2), backend="eager")
try:
    scale = float(L.distributions.Normal(0.0, -1.0).scale)
except ValueError as e:
    scale = "ValueError"
print(repr((before, after_disabled, D._validate_args, scale)))
"""


def test_the_first_compile_turns_off_distribution_validation_as_pytorchs_does():
    """PyTorch's first enabled torch.compile sets Distribution's default validate_args to
    False for the process: each library in a fresh interpreter (an earlier test's compile
    would have used PyTorch's first one up)."""
    import subprocess
    import sys

    out = [subprocess.run([sys.executable, "-c", _FIRST_COMPILE, lib], capture_output=True,
                          text=True, check=True).stdout.strip().splitlines()[-1]
           for lib in ("torch", "ember")]
    assert out[0] == out[1] == "(True, True, False, -1.0)"
