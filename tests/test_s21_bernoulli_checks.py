"""torch.bernoulli's argument checks in its function form (the method form had them):
probabilities outside [0, 1] or nan, a number p outside [0, 1] or nan, an integer tensor.
Against PyTorch 2.13 live (the tabnet/MDN sweep found the function drawing instead)."""

import pytest

from torch_compare import same_error_case

CASES = {
    "tensor_above_1": lambda L: L.bernoulli(L.tensor([0.5, 1.5])),
    "tensor_negative": lambda L: L.bernoulli(L.tensor([-0.1, 0.5])),
    "tensor_nan": lambda L: L.bernoulli(L.tensor([float("nan")])),
    "p_above_1": lambda L: L.bernoulli(L.ones(2), 1.5),
    "p_nan": lambda L: L.bernoulli(L.ones(2), float("nan")),
    "p_many_digits": lambda L: L.bernoulli(L.ones(2), -0.1234567),
    "long_tensor": lambda L: L.bernoulli(L.tensor([1, 0])),
    "method_above_1": lambda L: L.tensor([1.5]).bernoulli(),
    "method_p": lambda L: L.ones(2).bernoulli(2.0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bernoulli_checks(case):
    same_error_case(CASES[case])


def test_bernoulli_in_range_still_draws():
    import ember
    import torch

    for L in (torch, ember):
        L.manual_seed(0)
    draws = [L.bernoulli(L.tensor([0.0, 1.0, 0.5, 0.5])).tolist() for L in (torch, ember)]
    assert draws[0] == draws[1]
