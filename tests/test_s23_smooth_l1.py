"""smooth_l1_loss bit for bit against PyTorch 2.13, computed live: the value as its kernel
rounds (0.5 * |d| * |d| / beta, |d| - 0.5 * beta) and the gradient in the order of its
vectorised loop, with the scalar loop's order (a double division by beta) on the last
n % 16 float32 elements (8 float64) and on strided operands. Before session 23, a beta that
is not a power of two (0.3, 1.7) put 1-75% of values and gradients a bit apart, and beta = 1
with an upstream gradient other than 1 most of the mean's gradients."""

import warnings

import numpy as np
import pytest
import torch

import ember


def _run(lib, d, e, dtype, beta, reduction, upstream, view=None):
    x = lib.from_numpy(d.copy()).to(getattr(lib, dtype)).requires_grad_()
    y = lib.from_numpy(e.copy()).to(getattr(lib, dtype)).requires_grad_()
    xs, ys = (x, y) if view is None else (view(x * 3), view(y))
    loss = lib.nn.functional.smooth_l1_loss(xs, ys, reduction=reduction, beta=beta)
    (loss * upstream).sum().backward()
    return [a.detach().to(lib.float64).numpy() for a in (loss, x.grad, y.grad)] + \
        [str(x.grad.dtype), str(loss.dtype)]


def _same_bits(d, e, *args):
    want, got = _run(torch, d, e, *args), _run(ember, d, e, *args)
    assert want[3:] == got[3:]
    for w, g in zip(want[:3], got[:3]):
        assert w.shape == g.shape
        assert np.array_equal(w, g, equal_nan=True), (np.nonzero(w != g), w[w != g], g[w != g])


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    d = (rng.standard_normal(n) * 1.5).astype(np.float32)
    d[:6] = [0.0, -0.0, 0.3, -0.3, 1.7, np.nan][:n]  # zeros, ties with beta, a nan
    return d, rng.standard_normal(n).astype(np.float32)


@pytest.mark.parametrize("n", [1, 7, 16, 17, 123, 1003])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("beta", [1.0, 0.3, 0.5, 1.7, 2.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("upstream", [1.0, 0.37])
def test_value_and_grads_bit_for_bit(n, dtype, beta, reduction, upstream):
    _same_bits(*_data(n), dtype, beta, reduction, upstream)


@pytest.mark.parametrize("beta", [1.0, 0.3, 1.7])
@pytest.mark.parametrize("view", [lambda t: t.reshape(20, 6)[:, ::2],
                                  lambda t: t.reshape(6, 20).t(),
                                  lambda t: t.reshape(20, 6)[2:]])
def test_strided_operands_take_the_scalar_order(beta, view):
    d, e = _data(120, seed=1)
    _same_bits(d, e, "float32", beta, "none", 0.7, view)
    _same_bits(d, e, "float32", beta, "mean", 1.0, view)


def test_broadcast_target_and_double_backward():
    rng = np.random.default_rng(2)
    d, e = (rng.standard_normal((6, 1)) * 1.5).astype(np.float32), \
        rng.standard_normal(5).astype(np.float32)

    def run(lib, beta):
        x, y = lib.from_numpy(d).requires_grad_(), lib.from_numpy(e)
        with warnings.catch_warnings():  # (the size-mismatch warning: both libraries)
            warnings.simplefilter("ignore")
            loss = lib.nn.functional.smooth_l1_loss(x, y, beta=beta)
        loss.backward()
        return loss.item(), x.grad.numpy()
    for beta in (1.0, 0.3):
        (wl, wg), (gl, gg) = run(torch, beta), run(ember, beta)
        assert wl == gl
        np.testing.assert_allclose(gg, wg, rtol=1e-6, atol=1e-7)  # (broadcast sums' order)

    def second(lib, beta):
        x = lib.tensor([0.1, -0.2, 2.0, -3.0, 0.25], dtype=lib.float64, requires_grad=True)
        loss = lib.nn.functional.smooth_l1_loss(x, lib.zeros(5, dtype=lib.float64), beta=beta)
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        (g * lib.arange(5.0, dtype=lib.float64)).sum().backward()
        return g.detach().tolist(), x.grad.tolist()
    for beta in (1.0, 0.3):
        assert second(ember, beta) == second(torch, beta)


@pytest.mark.parametrize("beta", [0.3, 1.0, 2.5])
def test_gradcheck(beta):
    rng = np.random.default_rng(3)
    x = ember.from_numpy(rng.standard_normal((4, 3)) * 2).requires_grad_()
    y = ember.from_numpy(rng.standard_normal((4, 3))).requires_grad_()
    assert ember.autograd.gradcheck(
        lambda a, b: ember.nn.functional.smooth_l1_loss(a, b, beta=beta, reduction="none"),
        (x, y))
