"""The warnings PyTorch 2.13 gives, ember gives: every shared top-level torch function and
nn.functional function called with one tensor (the one-tensor sweep's inputs), compared by
category and text (PyTorch's C++ warnings end with "(Triggered internally at ...)", left
out). Warnings are half of PyTorch's error reporting: a deprecated call, a lone sample's std,
a target that will broadcast."""

from __future__ import annotations

import warnings

import pytest
import torch

import ember
from parity_util import ONE_TENSOR_SPECS, function_names, sample

# torch.range(tensor): PyTorch's argument parser refuses the tensor before warning; ember
# warns that range is deprecated, then refuses it.
KNOWN = {"range"}


@pytest.fixture(autouse=True)
def _warn_always():
    """PyTorch gives some warnings once per process (TORCH_WARN_ONCE): make both libraries
    give them every time, so the comparison does not depend on which test ran first."""
    torch.set_warn_always(True)
    ember.set_warn_always(True)
    yield
    torch.set_warn_always(False)
    ember.set_warn_always(False)


def _warnings(call) -> list:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except Exception:  # errors are the other sweeps' business
            pass
    return sorted({(w.category.__name__, str(w.message).split(" (Triggered internally")[0])
                   for w in caught})


def _compare(get):
    bad = []
    for kind, shape in ONE_TENSOR_SPECS:
        theirs = _warnings(lambda: get(torch)(sample(torch, kind, shape)))
        ours = _warnings(lambda: get(ember)(sample(ember, kind, shape)))
        if ours != theirs:
            bad.append((kind, shape, theirs, ours))
    assert bad == []


@pytest.mark.parametrize("name", [n for n in function_names() if n not in KNOWN])
def test_function_warnings(name):
    _compare(lambda lib: getattr(lib, name))


F_NAMES = sorted(n for n in dir(torch.nn.functional) if not n.startswith("_")
                 and callable(getattr(torch.nn.functional, n))
                 and hasattr(ember.nn.functional, n))


@pytest.mark.parametrize("name", F_NAMES)
def test_functional_warnings(name):
    _compare(lambda lib: getattr(lib.nn.functional, name))


def _under_no_grad(lib, fn):
    with lib.no_grad():
        return fn()


@pytest.mark.parametrize("call", [
    lambda L: L.ones(1).std(), lambda L: L.ones(0, 3).std(1), lambda L: L.ones(3).var(correction=3),
    lambda L: L.var_mean(L.ones(1)), lambda L: L.ones(3, 0).cov(), lambda L: L.ones(3).std(),
    lambda L: L.tensor(L.ones(2)), lambda L: L.tensor(L.ones(2, requires_grad=True)),
    lambda L: L.as_tensor(L.ones(2)), lambda L: L.Tensor(L.ones(2)),
    lambda L: L.nn.functional.embedding_bag(L.ones(3, 2), L.tensor([[0, 1, 2]])),
    lambda L: L.nn.functional.grid_sample(L.ones(1, 1, 3, 3), L.zeros(1, 2, 2, 2)),
    lambda L: L.nn.functional.affine_grid(L.eye(2, 3).unsqueeze(0), [1, 1, 3, 3]),
    lambda L: float(L.ones(2, requires_grad=True).sum()), lambda L: L.ones(1, requires_grad=True).item(),
    lambda L: int(L.ones(1, requires_grad=True)), lambda L: float(L.ones(1)),
    lambda L: _under_no_grad(L, lambda: float(L.ones(1, requires_grad=True))),
])
def test_learner_warnings(call):
    """A lone sample's std is nan (PyTorch says why); torch.tensor(a_tensor) copies (PyTorch
    recommends detach().clone()); float(loss) of a tensor that requires grad (PyTorch
    suggests detach(); .item() is silent); embedding_bag's old argument order; grid_sample's
    changed default."""
    assert _warnings(lambda: call(ember)) == _warnings(lambda: call(torch))
