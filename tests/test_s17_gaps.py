"""Session 17's small gaps, each checked live against PyTorch 2.13."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from torch_compare import same_error_case


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                                    ((3,), (3, 2)), ((2, 2, 3), (3, 2))])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32])
def test_tensor_matmul_ndarray_takes_numpys_promotion(shapes, dtype):
    """t @ array: PyTorch hands the product to NumPy (float32 @ float64 is float64)."""
    x = np.arange(np.prod(shapes[0]), dtype=np.float32).reshape(shapes[0]) / 7
    a = (np.arange(np.prod(shapes[1])) - 2).astype(dtype).reshape(shapes[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's __array_wrap__
        want = torch.tensor(x) @ a
    got = ember.tensor(x) @ a
    assert str(got.dtype) == str(want.dtype)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_tensor_matmul_ndarray_of_a_tensor_requiring_grad():
    """NumPy reads the tensor (numpy()): refused while grad mode is on, as in PyTorch (ember
    recorded the product until session 20: _ndarray_operands.py)."""
    same_error_case(lambda L: L.ones(2, 3, requires_grad=True) @ np.ones((3, 2)))


SEQUENCE_OPERANDS = [
    lambda L: L.ones(2).mul((2,)), lambda L: L.mul(L.ones(2), [2.0]),
    lambda L: L.ones(2).add([1.0, 2.0]), lambda L: L.add([1.0, 2.0], L.ones(2)),
    lambda L: L.ones(2).sub((1,)), lambda L: L.ones(2).div([2]),
    lambda L: L.ones(2).pow([2]), lambda L: L.ones(2).fmod([2]),
    lambda L: L.maximum(L.ones(2), [1.0, 2.0]), lambda L: L.atan2(L.ones(2), [1.0, 1.0]),
    lambda L: L.sub(L.ones(2), (1.0, 1.0), alpha=2),
    lambda L: L.ones(2).add_([1.0, 1.0]), lambda L: L.ones(2).add_([1.0, 1.0], alpha=2),
    lambda L: L.ones(2).mul_((2,)), lambda L: L.ones(2).sub_([1.0, 1.0]),
    lambda L: L.ones(2).div_((2.0, 2.0)), lambda L: L.ones(2).copy_([1.0, 1.0]),
    lambda L: L.ones(2).eq([1.0, 1.0]), lambda L: L.eq(L.ones(2), [1.0, 1.0]),
    lambda L: L.ones(2).lt((1, 1)), lambda L: L.ge(L.ones(2), [1.0]),
]


@pytest.mark.parametrize("case", SEQUENCE_OPERANDS)
def test_a_list_or_tuple_operand_is_refused_as_in_pytorch(case):
    """PyTorch's parser takes no list or tuple where a Tensor operand goes (ember computed
    with it as a tensor): the same TypeError and first line."""
    same_error_case(case)


def test_a_list_operand_is_refused_even_where_the_call_cannot_be_worded(monkeypatch):
    """Where PyTorch's wording cannot be built from the call, a list is still refused (it is
    never computed with in one place and refused in another)."""
    import ember._call_site as call_site

    monkeypatch.setattr(call_site, "operand_refusal", lambda *a: None)
    with pytest.raises(TypeError, match="must be a Tensor or a number, not list"):
        ember.ones(2).mul([2.0, 2.0])
    with pytest.raises(TypeError, match="not tuple"):
        ember.ones(2).add_((1.0, 1.0))


@pytest.mark.parametrize("n", [7, 640, 6272, 40000])
@pytest.mark.parametrize("fn", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_bce_sum_and_mean_are_the_sum_of_the_unreduced_loss(n, fn):
    """As in PyTorch, reduction='sum' (and 'mean') is exactly loss(reduction='none').sum()
    (.mean()): the same summation order (ember summed in NumPy's order: a 6,272-element
    VAE reconstruction loss printed 6047.77783203125 against PyTorch's 6047.7783203125)."""
    rng = np.random.default_rng(n)
    x = rng.uniform(0.01, 0.99, n).astype(np.float32)
    if fn.endswith("logits"):
        x = (rng.standard_normal(n) * 3).astype(np.float32)
    y = rng.uniform(0, 1, n).astype(np.float32)
    for L in (ember, torch):
        f = getattr(L.nn.functional, fn)
        xt, yt = L.tensor(x), L.tensor(y)
        none = f(xt, yt, reduction="none")
        assert f(xt, yt, reduction="sum").item() == none.sum().item(), L.__name__
        assert f(xt, yt, reduction="mean").item() == none.mean().item(), L.__name__
