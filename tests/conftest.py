"""Suite-wide: every backward a test runs checks the rules that claim exact gradients
(tests/exact_rules.py); a test during which one broke its claim fails. And the process-wide
default of distributions' argument validation, which a test's torch.compile turns off for
good in both libraries, is set back on after each test."""

import pytest
import torch

import ember
import exact_rules


@pytest.fixture(autouse=True)
def _exact_gradient_claims_hold():
    exact_rules.install()  # again per test: modules imported since may add rules
    exact_rules.VIOLATIONS.clear()
    yield
    found = list(exact_rules.VIOLATIONS)
    exact_rules.VIOLATIONS.clear()
    assert not found, "rules claiming exact_grads returned other shapes/dtypes:\n" + \
        "\n".join(found[:5])


@pytest.fixture(autouse=True)
def _distributions_validate_by_default():
    yield
    for lib in (torch, ember):
        if lib.distributions.Distribution._validate_args is not True:
            lib.distributions.Distribution.set_default_validate_args(True)
