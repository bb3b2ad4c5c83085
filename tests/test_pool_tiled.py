"""max_pool2d's path for windows that tile the input (kernel = stride, no padding): values,
winners among ties and NaNs, gradients and double backward, live against PyTorch 2.13."""

import numpy as np
import pytest
import torch

import ember
from torch_compare import gradcheck


def _data(shape, kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "ties":  # few distinct values: tied maxima in most windows
        return rng.integers(0, 3, shape).astype(np.float32)
    if kind == "zeros":  # -0.0/+0.0 ties: the first one's sign is kept
        return rng.choice(np.array([0.0, -0.0, -1.0], np.float32), shape, p=[0.45, 0.45, 0.1])
    if kind == "inf":  # inf ties (no -inf: inf - inf would take the NaN path)
        return rng.choice(np.array([0.0, 1.0, np.inf], np.float32), shape)
    x = rng.standard_normal(shape).astype(np.float32)
    if kind == "nan":
        x[rng.random(shape) < 0.15] = np.nan
    return x


@pytest.mark.parametrize("kind", ["normal", "ties", "nan", "zeros", "inf"])
@pytest.mark.parametrize("shape,k", [((2, 3, 8, 8), 2), ((4, 2, 9, 7), 2), ((1, 1, 6, 9), 3),
                                     ((3, 5, 6), 2), ((2, 2, 5, 8), (1, 2)), ((2, 1, 4, 4), 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiled_max_pool_is_pytorchs(kind, shape, k, dtype):
    x = _data(shape, kind, 0).astype(dtype)
    g = np.random.default_rng(1).standard_normal(
        torch.nn.functional.max_pool2d(torch.from_numpy(x), k).shape).astype(dtype)
    out = []
    for L in (torch, ember):
        t = L.from_numpy(x.copy()).requires_grad_()
        y = L.nn.functional.max_pool2d(t, k)
        y.backward(L.from_numpy(g))
        _, idx = L.nn.functional.max_pool2d(L.from_numpy(x.copy()), k, return_indices=True)
        out.append((y.detach().numpy(), t.grad.numpy(), idx.numpy()))
    (ty, tg, ti), (ey, eg, ei) = out
    np.testing.assert_array_equal(ey, ty)  # (NaN positions equal too)
    np.testing.assert_array_equal(np.signbit(ey), np.signbit(ty))
    np.testing.assert_array_equal(eg, tg)
    np.testing.assert_array_equal(ei, ti)


def test_tiled_max_pool_nan_takes_the_last_nan_as_pytorchs_kernel():
    nan = float("nan")
    x = [[[[nan, 1.0, 2.0, 2.0], [nan, 0.0, 2.0, 5.0]]]]
    got = []
    for L in (torch, ember):
        t = L.tensor(x, requires_grad=True)
        y, i = L.nn.functional.max_pool2d(t, 2, return_indices=True)
        y.sum().backward()
        got.append((str(y.tolist()), i.tolist(), t.grad.tolist()))
    assert got[1] == got[0]


def test_tiled_max_pool_second_derivative():
    x = np.random.default_rng(3).standard_normal((2, 2, 4, 6))
    gradcheck(lambda L, t: L.nn.functional.max_pool2d(t * t, 2), x, second=True)


def test_tiled_max_pool_gradient_with_inf_and_nan_stays_at_the_winners():
    x = np.random.default_rng(4).standard_normal((1, 2, 4, 6)).astype(np.float32)
    g = np.random.default_rng(5).standard_normal((1, 2, 2, 3)).astype(np.float32)
    g[0, 0, 0, 0], g[0, 1, 1, 2] = np.inf, np.nan
    grads = []
    for L in (torch, ember):
        t = L.from_numpy(x.copy()).requires_grad_()
        L.nn.functional.max_pool2d(t, 2).backward(L.from_numpy(g))
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


@pytest.mark.parametrize("shape", [(2, 3, 7, 5), (2, 1, 1, 4), (1, 2, 5, 5)])
@pytest.mark.parametrize("k", [2, 3])
def test_ceil_mode_partial_windows_take_the_general_path(shape, k):
    # kernel = stride, but ceil_mode's last window runs past the edge: not a tiling (the
    # tiled path reshaped past the input and crashed)
    x = _data(shape, "normal", 4)
    out = []
    for L in (torch, ember):
        t = L.from_numpy(x.copy()).requires_grad_()
        y = L.nn.functional.max_pool2d(t, k, ceil_mode=True)
        y.backward(L.ones_like(y) * L.arange(y.numel()).reshape(y.shape))
        out.append((y.detach().numpy(), t.grad.numpy()))
    for want, got in zip(*out):
        np.testing.assert_array_equal(got, want)
