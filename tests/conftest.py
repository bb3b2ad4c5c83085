"""Suite-wide: every backward a test runs checks the rules that claim exact gradients
(tests/exact_rules.py); a test during which one broke its claim fails."""

import pytest

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
