"""The stride-1 "flat windows" convolution path (nn/functional/_conv_flat.py) against PyTorch
2.13 and against the general im2col path: values, gradients of input, weight and bias,
second derivatives, float64 finite differences, over the geometries it takes (dilation,
groups, asymmetric 'same' padding, conv1d, channels-last input, a batch of one)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import close

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.nn.functional import _conv as C, _conv_flat as Flat

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(19)

CASES = [  # (x shape, w shape, conv kwargs): every one stride 1, taken by the flat path
    ((3, 4, 9, 11), (6, 4, 3, 3), {"padding": 1}),
    ((2, 6, 7, 8), (4, 3, 3, 2), {"padding": (0, 1), "dilation": (1, 2), "groups": 2}),
    ((2, 3, 6, 7), (5, 3, 2, 4), {"padding": "same"}),  # even kernel: more padding after
    ((4, 6, 12, 12), (16, 6, 5, 5), {}),  # LeNet's second layer
    ((1, 5, 8, 9), (5, 1, 3, 3), {"padding": 1, "groups": 5}),  # depthwise, batch of one
    ((2, 3, 5, 6), (4, 3, 1, 1), {}),
    ((3, 10, 10), (4, 3, 3, 3), {"padding": 2, "dilation": 2}),  # unbatched
]
CASES_1D = [
    ((2, 4, 20), (3, 4, 4), {"padding": 2}),
    ((3, 6, 15), (6, 2, 3), {"padding": "same", "dilation": 2, "groups": 3}),
]


def _leaves(shapes, dtype):
    arrays = [RNG.standard_normal(s).astype(dtype) for s in shapes]
    return ([ember.tensor(a.copy(), requires_grad=True) for a in arrays],
            [torch.tensor(a.copy(), requires_grad=True) for a in arrays])


def _flat_taken(x_shape, w_shape, kw, n):
    """Whether _conv_flat.usable accepts the geometry conv{n}d builds for these arguments."""
    seen = []
    orig = Flat.usable

    def spy(*args):
        seen.append(orig(*args))
        return seen[-1]

    Flat.usable = spy
    try:
        conv = F.conv2d if n == 2 else F.conv1d
        conv(ember.zeros(x_shape), ember.zeros(w_shape), None, **kw)
    finally:
        Flat.usable = orig
    return seen == [True]


@pytest.mark.parametrize("n,xs,ws,kw", [(2,) + c for c in CASES] + [(1,) + c for c in CASES_1D])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_matches_torch(n, xs, ws, kw, dtype, tol):
    assert _flat_taken(xs, ws, kw, n)
    (xe, we, be), (xt, wt, bt) = _leaves([xs, ws, ws[:1]], dtype)
    conv_e, conv_t = (F.conv2d, TF.conv2d) if n == 2 else (F.conv1d, TF.conv1d)
    ye, yt = conv_e(xe, we, be, **kw), conv_t(xt, wt, bt, **kw)
    close(ye, yt, tol, tol)
    g = RNG.standard_normal(tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for e, t in ((xe, xt), (we, wt), (be, bt)):
        close(e.grad, t.grad, tol, tol)


@pytest.mark.parametrize("xs,ws,kw", CASES[:3])
def test_same_as_general_path(xs, ws, kw, monkeypatch):
    """Forward, dL/dx and dL/dW of the flat path equal the im2col path's to float rounding."""
    (xe, we), _ = _leaves([xs, ws], np.float32)
    out = []
    for flat in (True, False):
        if not flat:
            monkeypatch.setattr(Flat, "usable", lambda *a: False)
        y = F.conv2d(xe, we, **kw)
        y.backward(ember.ones_like(y))
        out.append([y.detach().numpy(), xe.grad.numpy(), we.grad.numpy()])
        xe.grad = we.grad = None
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_channels_last_input():
    (xe, we), (xt, wt) = _leaves([(2, 4, 7, 7), (3, 4, 3, 3)], np.float64)
    ye = F.conv2d(xe.to(memory_format=ember.channels_last), we, padding=1)
    yt = TF.conv2d(xt.to(memory_format=torch.channels_last), wt, padding=1)
    close(ye, yt, 1e-12, 1e-12)
    assert ye.stride() == yt.stride()
    ye.sum().backward()
    yt.sum().backward()
    close(xe.grad, xt.grad, 1e-12, 1e-12)
    close(we.grad, wt.grad, 1e-12, 1e-12)


@pytest.mark.parametrize("xs,ws,kw", [CASES[1], CASES[2]])
def test_finite_differences_and_second_order(xs, ws, kw):
    (xe, we, be), _ = _leaves([xs, ws, ws[:1]], np.float64)
    fn = lambda x, w, b: F.conv2d(x, w, b, **kw)  # noqa: E731
    assert gradcheck(fn, (xe, we, be))
    assert gradgradcheck(fn, (xe, we, be))


def test_double_backward_matches_torch():
    """WGAN-GP's penalty through a padded 3x3 layer: create_graph, then backward."""
    (xe, we), (xt, wt) = _leaves([(2, 3, 6, 6), (4, 3, 3, 3)], np.float64)
    grads = []
    for lib, x, w in ((ember, xe, we), (torch, xt, wt)):
        y = lib.nn.functional.conv2d(x, w, padding=1).tanh().sum()
        (gx,) = lib.autograd.grad(y, x, create_graph=True)
        (gx.norm(2) - 1).pow(2).backward()
        grads.append((x.grad.detach().numpy(), w.grad.detach().numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("geom,ok", [
    (((2, 2), ((0, 0), (0, 0)), (1, 1), 1), False),  # strided: the general path
    (((1, 1), ((0, 0), (0, 0)), (1, 1), 1), True),
])
def test_usable_only_for_stride_one(geom, ok):
    assert Flat.usable((2, 3, 9, 9), np.dtype(np.float32), (3, 3), geom) is ok
    assert not Flat.usable((0, 3, 9, 9), np.dtype(np.float32), (3, 3), geom)  # empty batch
    assert not Flat.usable((2, 3, 9, 9), np.dtype(np.int64), (3, 3), geom)


def test_narrow_output_takes_general_path():
    """A 5-wide kernel on a 6-wide image: the dropped columns would be 2/3 of the product."""
    geom = ((1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    assert not Flat.usable((2, 3, 6, 6), np.dtype(np.float32), (5, 5), geom)
    x = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = RNG.standard_normal((4, 3, 5, 5)).astype(np.float32)
    want = TF.conv2d(torch.from_numpy(x), torch.from_numpy(w)).numpy()
    np.testing.assert_allclose(C.conv_arrays(x, w, geom), want, rtol=2e-5, atol=2e-5)
