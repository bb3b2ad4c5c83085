"""A batched input times a matrix, as PyTorch computes it (CLIP sweep, session 23):
matmul((..., m, k), (k, n)) folds the input into one (B m, k) @ (k, n) product, and so do its
gradients (dL/dB one product over all B m rows, dL/dA one (B m, n) @ (n, k) product); and
linear() of a strided input of 3 or more dims with a bias is matmul(x, W^T) then add_(b)
(AddBackward0 over UnsafeViewBackward0; float16 rounds twice), where a contiguous one is
one addmm. Checked against PyTorch 2.13 live, and against the folded NumPy products (the
same BLAS as ember's) bit for bit."""

import numpy as np
import pytest
import torch

import ember


def _arrays(sa, sb, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(np.float32)


@pytest.mark.parametrize("sa,sb", [((3, 4, 5), (5, 6)), ((2, 3, 7, 5), (5, 4)),
                                   ((8, 16, 32), (32, 32)), ((4, 64, 128), (128, 64))])
def test_batched_times_matrix_gradients_are_folded_products(sa, sb):
    xa, wa = _arrays(sa, sb)
    out = {}
    for lib in (torch, ember):
        x, w = lib.from_numpy(xa).requires_grad_(), lib.from_numpy(wa).requires_grad_()
        y = lib.matmul(x, w)
        g = np.cos(np.arange(y.numel(), dtype=np.float32)).reshape(y.shape)
        y.backward(lib.from_numpy(g))
        out[lib] = (y.detach().numpy(), x.grad.numpy(), w.grad.numpy(),
                    type(y.grad_fn).__name__, g)
    y, gx, gw, name, g = out[ember]
    assert name == out[torch][3]
    k, n = sb
    assert np.array_equal(gw, xa.reshape(-1, k).T @ g.reshape(-1, n))
    assert np.array_equal(gx, (g.reshape(-1, n) @ wa.T).reshape(sa))
    for mine, theirs in zip((y, gx, gw), out[torch][:3]):
        np.testing.assert_allclose(mine, theirs, rtol=2e-6, atol=1e-6)


def _graph(t):
    fn = t.grad_fn
    return (type(fn).__name__, [type(f).__name__ for f, _ in fn.next_functions],
            [type(f).__name__ for f, _ in fn.next_functions[0][0].next_functions][:1])


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_linear_of_a_strided_batch_with_bias(dtype):
    rng = np.random.default_rng(1)
    xa, wa, ba = (rng.standard_normal(s).astype(np.float32) for s in ((3, 4, 5), (6, 5), (6,)))
    out = {}
    for lib in (torch, ember):
        dt = getattr(lib, dtype)
        x = lib.from_numpy(xa).to(dt).transpose(0, 1).requires_grad_()
        w, b = (lib.from_numpy(a).to(dt).requires_grad_() for a in (wa, ba))
        y = lib.nn.functional.linear(x, w, b)
        (y * y).sum().backward()
        out[lib] = (_graph(y), y.is_contiguous(), y.stride(), str(y.dtype),
                    [t.detach().double().numpy() for t in (y, x.grad, w.grad, b.grad)])
    want, got = out[torch], out[ember]
    assert got[0][:2] == want[0][:2]  # AddBackward0 over [UnsafeViewBackward0, AccumulateGrad]
    assert got[1:4] == want[1:4]
    if dtype == "float16":  # the product, then the bias added in float16: PyTorch's bits
        assert np.array_equal(got[4][0], want[4][0])
    for mine, theirs in zip(got[4], want[4]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-2 if dtype == "float16" else 2e-6,
                                   atol=1e-2 if dtype == "float16" else 1e-6)


def test_linear_of_a_contiguous_batch_is_one_node():
    def names(lib):
        x = lib.ones(3, 4, 5, requires_grad=True)
        return type(lib.nn.functional.linear(x, lib.ones(6, 5), lib.ones(6)).grad_fn).__name__
    assert names(ember) == names(torch) == "ViewBackward0"


def _walk(fn, depth=0, out=None):
    """The graph below ``fn`` as indented names, as a learner prints it."""
    out = [] if out is None else out
    out.append("  " * depth + (type(fn).__name__ if fn is not None else "None"))
    if fn is not None and depth < 5:
        for nxt, _ in fn.next_functions:
            _walk(nxt, depth + 1, out)
    return out


def test_linear_of_a_batch_shows_pytorchs_graph():
    # ViewBackward0 over AddmmBackward0 (bias, ViewBackward0 of the input, TBackward0 of the
    # weight); without a bias UnsafeViewBackward0 over MmBackward0: each input that needs no
    # gradient a None, as PyTorch's next_functions list it
    def graphs(lib):
        lib.manual_seed(0)
        x = lib.randn(3, 4, 5, requires_grad=True)
        w, b = lib.randn(6, 5, requires_grad=True), lib.randn(6, requires_grad=True)
        F = lib.nn.functional
        ys = [F.linear(x, w, b), F.linear(x, w), F.linear(x * 2, w, b),
              F.linear(lib.randn(3, 4, 5), w, b), F.linear(lib.randn(3, 4, 5), w),
              F.linear(x, w.detach(), b), F.linear(lib.randn(5, requires_grad=True), w, b),
              F.linear(x, w, b.detach()), lib.nn.Linear(5, 6)(x)]
        return [_walk(y.grad_fn) for y in ys]
    assert graphs(ember) == graphs(torch)
