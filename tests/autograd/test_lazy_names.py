"""ember.autograd's lazily loaded names load, and the PyTorch submodules ember lacks raise
AttributeError (not ModuleNotFoundError from the lazy loader) with a hint."""

import pytest

import ember


@pytest.mark.parametrize("name", ["gradcheck", "gradgradcheck", "functional", "anomaly",
                                  "explain", "Trace", "GradcheckError"])
def test_lazy_names_load(name):
    assert getattr(ember.autograd, name) is not None


@pytest.mark.parametrize("name,hint", [("forward_ad", "reverse mode only"),
                                       ("graph", "saved-tensor hooks"), ("nonexistent", "")])
def test_missing_names_raise_attribute_error(name, hint):
    with pytest.raises(AttributeError, match=f"has no attribute '{name}'{'.*' + hint if hint else ''}"):
        getattr(ember.autograd, name)
    assert not hasattr(ember.autograd, name)
