"""ember.autograd's lazily loaded names load, and names it lacks raise AttributeError (not
ModuleNotFoundError from the lazy loader)."""

import pytest

import ember


@pytest.mark.parametrize("name", ["gradcheck", "gradgradcheck", "functional", "anomaly",
                                  "explain", "Trace", "GradcheckError", "forward_ad", "graph",
                                  "anomaly_mode", "Variable", "variable"])
def test_lazy_names_load(name):
    assert getattr(ember.autograd, name) is not None


@pytest.mark.parametrize("name", ["nonexistent", "forward_add"])
def test_missing_names_raise_attribute_error(name):
    with pytest.raises(AttributeError, match=f"has no attribute '{name}'"):
        getattr(ember.autograd, name)
    assert not hasattr(ember.autograd, name)
