"""softmax / log_softmax over a last dim of two (computed with the row's mirror, no
broadcasting) against PyTorch 2.13: values, gradients, second derivatives, inf and nan."""

import numpy as np
import pytest
import torch

import ember

INF = float("inf")
ROWS = [[0.5, -1.0], [30.0, -30.0], [-INF, 2.0], [-INF, -INF], [INF, 0.0], [np.nan, 1.0],
        [1e4, 1e4 - 1.0], [0.0, 0.0]]


def _np(t):
    return t.detach().numpy()


def _check(a, b, dtype):
    tol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)  # nan/inf must coincide


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(8, 2), (2, 4, 2), (2,)])
def test_two_columns_match_torch(dtype, name, shape):
    data = np.array(ROWS * 2, dtype=np.float64)[: int(np.prod(shape[:-1]))].reshape(shape)
    w = np.random.default_rng(0).uniform(0.5, 1.5, shape)
    res = []
    for T in (ember, torch):
        x = T.tensor(data, dtype=getattr(T, dtype), requires_grad=True)
        y = getattr(T.nn.functional, name)(x, dim=-1)
        (y * T.tensor(w, dtype=x.dtype)).sum().backward()
        res.append((y, x.grad))
    for a, b in zip(*res):
        _check(a, b, dtype)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_two_columns_second_derivatives_match_torch(name):
    data = np.array([[0.5, -1.0], [3.0, 2.0], [-2.0, 4.0]])
    res = []
    for T in (ember, torch):
        x = T.tensor(data, dtype=T.float64, requires_grad=True)
        y = getattr(T.nn.functional, name)(x, dim=-1)
        (g,) = T.autograd.grad((y * T.tensor([[1.0, -2.0]] * 3, dtype=x.dtype)).sum(), x,
                               create_graph=True)
        (gg,) = T.autograd.grad((g * g).sum(), x)
        res.append((g, gg))
    for a, b in zip(*res):
        _check(a, b, "float64")


def test_two_columns_in_another_dim_and_no_grad():
    data = np.random.default_rng(1).standard_normal((2, 3))
    for dim in (0, 1):
        a = ember.log_softmax(ember.tensor(data), dim)
        b = torch.log_softmax(torch.tensor(data), dim)
        _check(a, b, "float64")
    with ember.no_grad():
        y = ember.softmax(ember.tensor([[1.0, 2.0]], requires_grad=True), -1)
    assert y.grad_fn is None and y.shape == (1, 2)
