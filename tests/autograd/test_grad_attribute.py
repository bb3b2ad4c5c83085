"""Tensor.grad as PyTorch 2.13 guards it: assignments of the wrong shape, dtype or type raise
PyTorch's errors (an optimizer would otherwise broadcast a wrongly shaped gradient silently),
and reading .grad of a non-leaf that does not retain its gradient warns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember


def _error(lib, value_of):
    t = lib.ones(2, requires_grad=True)
    try:
        t.grad = value_of(lib, t)
    except Exception as exc:  # the comparison is the point
        return type(exc).__name__, str(exc).split("\n")[0]
    return None


@pytest.mark.parametrize("value_of", [
    lambda L, t: L.ones(3),
    lambda L, t: L.ones(1, 2),
    lambda L, t: L.ones(2, dtype=L.float64),
    lambda L, t: L.ones(2, dtype=L.long),
    lambda L, t: 3,
    lambda L, t: [1.0, 2.0],
    lambda L, t: t,
])
def test_bad_assignments_raise_pytorchs_errors(value_of):
    want = _error(torch, value_of)
    assert want is not None
    got = _error(ember, value_of)
    assert got[0] == want[0]
    # PyTorch's dtype message goes on about grad_dtype, which ember does not have
    assert got[1] == want[1] or got[1] == want[1][:len(got[1])]


def test_good_assignments():
    for lib in (torch, ember):
        t = lib.ones(2, requires_grad=True)
        t.grad = lib.tensor([0.5, 1.5])
        assert t.grad.tolist() == [0.5, 1.5]
        t.grad = None
        assert t.grad is None
        plain = lib.ones(2)  # no requires_grad: PyTorch still takes a gradient
        plain.grad = lib.ones(2)
        assert plain.grad.tolist() == [1.0, 1.0]


def test_optimizer_never_sees_a_broadcast_gradient():
    p = ember.nn.Parameter(ember.ones(3))
    with pytest.raises(RuntimeError, match="gradient of size '\\[1\\]' to a tensor of size"):
        p.grad = ember.tensor([0.5])


def _warned(lib, make):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        make(lib)
    return [str(x.message).split(" (Triggered")[0] for x in w
            if "not a leaf Tensor" in str(x.message)]


@pytest.mark.parametrize("name", ["nonleaf", "after_backward", "retained", "leaf", "assigned",
                                  "no_grad_tensor"])
def test_non_leaf_grad_warning(name):
    def make(L):
        x = L.ones(2, requires_grad=True)
        y = x * 2
        if name == "nonleaf":
            return y.grad
        if name == "after_backward":
            y.sum().backward()
            return y.grad
        if name == "retained":
            y.retain_grad()
            y.sum().backward()
            return y.grad
        if name == "leaf":
            return x.grad
        if name == "assigned":
            y.grad = L.ones(2)
            return y.grad
        return L.ones(2).grad
    want, got = _warned(torch, make), _warned(ember, make)
    assert got == want
    assert len(got) == (1 if name in ("nonleaf", "after_backward") else 0)


def test_retained_gradient_value():
    x = ember.ones(2, requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 6.0])
