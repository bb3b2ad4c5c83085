"""A view made before its base (or another view of the base) changes in place follows the
change in its gradient, as PyTorch re-points it (AsStridedBackward0)."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import torch

import ember

X = np.arange(6, dtype=np.float64).reshape(2, 3) - 2.5


def _base_then_view(T, case):
    x = T.tensor(X, requires_grad=True)
    y = x * 1
    if case == "select":
        d = y[0]
        y.mul_(2)
        out = (d * 3).sum()
    elif case == "sibling":
        a, d = y[:, 0], y[0]
        a.mul_(2)
        out = d.sum()
    elif case == "transpose":
        d = y.t()
        y.mul_(3)
        out = (d * T.tensor(np.arange(6.0).reshape(3, 2))).sum()
    elif case == "view_of_view":
        d = y.reshape(-1)[1:3]
        y.add_(x)
        out = d.sum()
    elif case == "twice":
        d = y[1]
        y.mul_(2)
        y.add_(1)
        y.mul_(3)
        out = d.sum()
    else:  # the view itself is the root of backward
        d = y[:, 1:]
        y.mul_(5)
        d.backward(T.ones(2, 2))
        return x.grad, d
    out.backward()
    return x.grad, d


@pytest.mark.parametrize("case", ["select", "sibling", "transpose", "view_of_view", "twice",
                                  "backward_from_view"])
def test_view_follows_in_place_change_of_its_base(case):
    (ge, de), (gt, dt) = (_base_then_view(T, case) for T in (ember, torch))
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-15)
    np.testing.assert_array_equal(de.detach().numpy(), dt.detach().numpy())
    assert de.grad_fn.name() == dt.grad_fn.name() == "AsStridedBackward0"


def test_base_modified_through_view_is_copy_slices_as_pytorch():
    names = []
    for T in (ember, torch):
        y = T.tensor(X, requires_grad=True) * 1
        y[0].mul_(2)
        names.append(y.grad_fn.name().split("::")[-1])
    assert names == ["CopySlices", "CopySlices"]


def test_a_base_viewed_every_step_keeps_a_short_list():
    y = ember.tensor(X, requires_grad=True) * 1
    for _ in range(1000):
        y[0].sum()
    gc.collect()
    assert len(y.__dict__["_views"]) <= 16
