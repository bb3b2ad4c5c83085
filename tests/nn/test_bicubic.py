"""Bicubic F.interpolate and F.grid_sample against PyTorch 2.13 (values, gradients, double
gradients, node names, errors) and float64 finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import close, same_error

import ember
from ember.autograd import gradcheck, gradgradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(11)


def _pair(array):
    return ember.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _check(fe, ft, arrays, rtol):
    es, ts = zip(*(_pair(a) for a in arrays))
    ye, yt = fe(*es), ft(*ts)
    close(ye, yt, rtol, rtol)
    u = RNG.standard_normal(tuple(yt.shape)).astype(arrays[0].dtype)
    ye.backward(ember.tensor(u))
    yt.backward(torch.tensor(u))
    for e, t in zip(es, ts):
        close(e.grad, t.grad, rtol, rtol * 10)


RESIZES = [((2, 3, 5, 6), {"size": (8, 4)}), ((1, 2, 4, 4), {"scale_factor": 2.5}),
           ((1, 1, 3, 7), {"scale_factor": (1.7, 0.6)}), ((1, 1, 5, 5), {"size": 1}),
           ((1, 1, 1, 4), {"size": (3, 9)}),
           ((1, 2, 6, 5), {"scale_factor": 0.45, "recompute_scale_factor": True})]


@pytest.mark.parametrize("shape,kw", RESIZES)
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_interpolate_matches_torch(shape, kw, align_corners, dtype, rtol):
    x = RNG.standard_normal(shape).astype(dtype)

    def fe(a):
        return F.interpolate(a, mode="bicubic", align_corners=align_corners, **kw)

    def ft(a):
        return TF.interpolate(a, mode="bicubic", align_corners=align_corners, **kw)

    _check(fe, ft, [x], rtol)


def test_interpolate_reads_past_the_border_clamped():
    x = np.arange(16.0).reshape(1, 1, 4, 4) ** 2  # curvature: clamping matters at edges
    _check(lambda a: F.interpolate(a, size=(7, 3), mode="bicubic"),
           lambda a: TF.interpolate(a, size=(7, 3), mode="bicubic"), [x], 1e-12)


@pytest.mark.parametrize("align_corners", [True, False])
def test_interpolate_finite_differences(align_corners):
    x = ember.tensor(RNG.standard_normal((1, 2, 3, 4)), requires_grad=True)

    def f(a):
        return F.interpolate(a, size=(5, 3), mode="bicubic", align_corners=align_corners)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def _grid_ember(kw):
    return lambda a, g: F.grid_sample(a, g, mode="bicubic", **kw)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_grid_sample_matches_torch(padding_mode, align_corners, dtype, rtol):
    kw = {"padding_mode": padding_mode, "align_corners": align_corners}
    x = RNG.standard_normal((2, 3, 5, 4)).astype(dtype)
    grid = RNG.uniform(-2.5, 2.5, (2, 3, 6, 2)).astype(dtype)  # far outside: reflected twice
    es, ts = zip(*(_pair(a) for a in (x, grid)))
    ye, yt = F.grid_sample(*es, mode="bicubic", **kw), TF.grid_sample(*ts, mode="bicubic", **kw)
    close(ye, yt, rtol, rtol)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    u = RNG.standard_normal(tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(u))
    yt.backward(torch.tensor(u))
    close(es[0].grad, ts[0].grad, rtol, rtol)
    close(es[1].grad, ts[1].grad, rtol * 10, rtol * 10)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample_double_backward_matches_torch(padding_mode, align_corners):
    kw = {"padding_mode": padding_mode, "align_corners": align_corners}
    x, grid = RNG.standard_normal((1, 2, 4, 3)), RNG.uniform(-1.3, 1.3, (1, 2, 3, 2))
    results = []
    for lib, fn in ((ember, F.grid_sample), (torch, TF.grid_sample)):
        ins = (lib.tensor(x, requires_grad=True), lib.tensor(grid, requires_grad=True))
        y = fn(*ins, mode="bicubic", **kw)
        grads = lib.autograd.grad((y * y).sum(), ins, create_graph=True)
        results.append(lib.autograd.grad(sum((q * q).sum() for q in grads), ins))
    for e, t in zip(*results):
        close(e, t, 1e-10, 1e-10)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_finite_differences(padding_mode):
    ins = (ember.tensor(RNG.standard_normal((1, 2, 4, 3)), requires_grad=True),
           ember.tensor(RNG.uniform(-1.3, 1.3, (1, 2, 3, 2)), requires_grad=True))
    f = _grid_ember({"padding_mode": padding_mode, "align_corners": False})
    assert gradcheck(f, ins)
    assert gradgradcheck(f, ins)


def test_errors():
    def both(fn, *arrays, **kw):
        return (lambda: getattr(F, fn)(*map(ember.tensor, arrays), **kw),
                lambda: getattr(TF, fn)(*map(torch.tensor, arrays), **kw))

    cases = [
        both("interpolate", np.ones((1, 1, 4, 4), np.int64), size=3, mode="bicubic"),
        both("interpolate", np.ones((1, 1, 4)), size=3, mode="bicubic"),
        both("interpolate", np.ones((1, 1, 4, 4, 4)), size=3, mode="bicubic"),
        both("interpolate", np.ones((1, 1, 4, 4)), size=0, mode="bicubic"),
        both("interpolate", np.ones((1, 1, 2, 2, 2)), size=0, mode="trilinear"),
        both("interpolate", np.ones((1, 1, 4)), size=0, mode="nearest"),
        both("grid_sample", np.ones((1, 1, 4, 4, 4)), np.zeros((1, 2, 2, 2, 3)),
             mode="bicubic", align_corners=False),
        both("grid_sample", np.ones((1, 1, 4, 4)), np.zeros((1, 2, 2, 2), np.float32),
             mode="bicubic", align_corners=False),
    ]
    for fe, ft in cases:
        same_error(fe, ft)
