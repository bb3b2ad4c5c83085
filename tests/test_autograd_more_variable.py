"""ember.autograd.Variable (the pre-0.4 wrapper) against torch.autograd.Variable (PyTorch
2.13): it returns a plain Tensor; isinstance holds for every Tensor; PyTorch's errors."""

import warnings

import numpy as np
import pytest
import torch
from torch.autograd import Variable as TVariable

import ember
from ember.autograd import Variable as EVariable

LIBS = ((ember, EVariable), (torch, TVariable))


def _outcome(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = ("ok", fn())
        except Exception as e:  # noqa: BLE001 - compared with PyTorch's
            res = (type(e).__name__, str(e))
    return res, [str(w.message) for w in caught]


def _each(fn):
    got = [_outcome(lambda: fn(lib, V)) for lib, V in LIBS]
    assert got[0] == got[1], got
    return got[0][0]


def test_returns_a_leaf_tensor_sharing_storage_and_version():
    def run(lib, V):
        x = lib.tensor([1.0, 2.0, 3.0])
        v = V(x, requires_grad=True)
        x.add_(1)
        return (type(v) is lib.Tensor, v is x, v.requires_grad, v.is_leaf, v._version,
                v.tolist(), np.shares_memory(v.detach().numpy(), x.numpy()), repr(v))
    assert _each(run)[1][:4] == (True, False, True, True)


def test_defaults_detach_and_parameters():
    def run(lib, V):
        y = lib.tensor([1.0, 2.0], requires_grad=True) * 2
        p = lib.nn.Parameter(lib.ones(2))
        vy, vp = V(y), V(p)
        return (vy.requires_grad, vy.grad_fn, type(vp) is lib.Tensor, vp.requires_grad,
                repr(V()), repr(V(lib.tensor(1.5), requires_grad=True)))
    _each(run)


def test_isinstance_and_issubclass():
    def run(lib, V):
        x = lib.ones(2)
        return (isinstance(x, V), isinstance(lib.nn.Parameter(x), V), isinstance(3, V),
                isinstance([x], V), issubclass(lib.Tensor, V), V.__name__)
    assert _each(run)[1] == (True, True, False, False, False, "Variable")


@pytest.mark.parametrize("case", [
    lambda lib, V: V([1.0, 2.0]),
    lambda lib, V: V(lib.tensor([1, 2]), requires_grad=True),
    lambda lib, V: V(lib.ones(2), True, False, None, 5),
    lambda lib, V: V(lib.ones(2), volatile=True).requires_grad,  # a warning, no error
    lambda lib, V: V(lib.ones(2), False, True).requires_grad,
])
def test_errors_and_warnings_match_torch(case):
    _each(case)


def test_module_alias_and_removed_function():
    import torch.autograd.variable  # noqa: F401

    from ember.autograd.variable import Variable

    assert Variable is EVariable
    _each(lambda lib, V: lib.autograd.variable(lib.ones(1)))  # the same RuntimeError


def test_old_tutorial_style_training_step():
    """The 0.3-era idiom: wrap inputs and weights in Variable and step by hand."""
    results = []
    for lib, V in LIBS:
        x = V(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
        w = V(lib.tensor([[0.5], [-0.25]]), requires_grad=True)
        for _ in range(3):
            loss = (x.mm(w) - 1).pow(2).sum()
            loss.backward()
            w.data -= 0.01 * w.grad.data
            w.grad.data.zero_()
        results.append((loss.item(), w.detach().numpy().tolist()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
