"""F.affine_grid and F.grid_sample against PyTorch 2.13 (2-D and 3-D; bilinear/nearest;
zeros/border/reflection; align_corners) -- values, gradients of input, grid and theta, node
names, warnings and errors -- and float64 finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from nn_testutil import close, same_error

import ember
from ember.autograd import gradcheck, gradgradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(7)
SHAPES = [((2, 3, 4, 5), (2, 6, 7, 2)), ((1, 2, 3, 4, 5), (1, 3, 2, 4, 3)),
          ((1, 1, 1, 4), (1, 3, 3, 2))]


def _pair(shape, lo=None, hi=None):
    a = RNG.standard_normal(shape) if lo is None else RNG.uniform(lo, hi, shape)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


@pytest.mark.parametrize("xs,gs", SHAPES)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample_matches_torch(xs, gs, mode, padding_mode, align_corners):
    (xe, xt), (ge, gt) = _pair(xs), _pair(gs, -2.5, 2.5)  # far outside: reflected twice
    kw = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
    ye, yt = F.grid_sample(xe, ge, **kw), TF.grid_sample(xt, gt, **kw)
    close(ye, yt, 1e-12, 1e-12)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    u = RNG.standard_normal(tuple(yt.shape))
    ye.backward(ember.tensor(u))
    yt.backward(torch.tensor(u))
    close(xe.grad, xt.grad, 1e-12, 1e-12)
    close(ge.grad, gt.grad, 1e-12, 1e-12)


def test_grid_sample_float32_and_grad_subsets():
    x = RNG.standard_normal((2, 3, 5, 4)).astype(np.float32)
    g = RNG.uniform(-1.1, 1.1, (2, 3, 3, 2)).astype(np.float32)
    for rg in ((True, False), (False, True)):
        xe, ge = ember.tensor(x, requires_grad=rg[0]), ember.tensor(g, requires_grad=rg[1])
        xt, gt = torch.tensor(x, requires_grad=rg[0]), torch.tensor(g, requires_grad=rg[1])
        ye = F.grid_sample(xe, ge, align_corners=False)
        yt = TF.grid_sample(xt, gt, align_corners=False)
        close(ye, yt, 1e-5, 1e-6)
        ye.sum().backward()
        yt.sum().backward()
        close(xe.grad if rg[0] else ge.grad, xt.grad if rg[0] else gt.grad, 1e-4, 1e-5)
        assert (xe.grad if rg[1] else ge.grad) is None


@pytest.mark.parametrize("xs,gs", SHAPES[:2])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample_finite_differences(xs, gs, padding_mode, align_corners):
    x = ember.tensor(RNG.standard_normal(xs), requires_grad=True)
    # Kept off the kinks: a grid point on a pixel line has no derivative in bilinear mode.
    g = ember.tensor(RNG.uniform(-1.6, 1.6, gs), requires_grad=True)
    fn = lambda x, g: F.grid_sample(x, g, padding_mode=padding_mode,  # noqa: E731
                                    align_corners=align_corners)
    assert gradcheck(fn, (x, g), eps=1e-7, atol=1e-5)
    nearest = lambda x: F.grid_sample(x, g.detach(), mode="nearest",  # noqa: E731
                                      padding_mode=padding_mode, align_corners=align_corners)
    assert gradcheck(nearest, (x,))


@pytest.mark.parametrize("xs,gs", [((1, 2, 3, 4), (1, 2, 3, 2)),
                                   ((1, 2, 2, 3, 4), (1, 2, 2, 2, 3))])
@pytest.mark.parametrize("mode,padding_mode,align_corners", [
    ("bilinear", "zeros", True), ("bilinear", "border", False),
    ("bilinear", "reflection", True), ("bilinear", "reflection", False),
    ("nearest", "zeros", False)])
def test_grid_sample_second_order(xs, gs, mode, padding_mode, align_corners):
    """create_graph: gradients of both first derivatives vs torch, node names, and
    gradgradcheck against float64 finite differences."""
    (xe, xt), (ge, gt) = _pair(xs), _pair(gs, -1.6, 1.6)
    kw = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
    got = []
    for lib, f, a, b in ((ember, F, xe, ge), (torch, TF, xt, gt)):
        y = f.grid_sample(a, b, **kw)
        ga, gb = lib.autograd.grad((y * y.detach()).sum(), (a, b), create_graph=True)
        z = ga.sin().sum() + (gb * gb).sum()
        got.append((ga.grad_fn.name(), gb.grad_fn.name())
                   + lib.autograd.grad(z, (a, b), allow_unused=True))
    assert got[0][:2] == got[1][:2]
    for e, t in zip(got[0][2:], got[1][2:]):
        if t is None or e is None:  # nearest: no path from the grid; zero either way
            assert all(v is None or not np.any(v.detach().numpy()) for v in (e, t))
            continue
        close(e, t, 1e-9, 1e-10)
    if mode == "bilinear":
        fn = lambda x, g: F.grid_sample(x, g, **kw)  # noqa: E731
        assert gradgradcheck(fn, (xe.detach().requires_grad_(), ge.detach().requires_grad_()),
                             eps=1e-7, atol=1e-5)


@pytest.mark.parametrize("size,theta_shape", [((2, 3, 4, 5), (2, 2, 3)),
                                              ((2, 3, 1, 5), (2, 2, 3)),
                                              ((2, 1, 3, 4, 5), (2, 3, 4))])
@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid_matches_torch(size, theta_shape, align_corners):
    te, tt = _pair(theta_shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ye = F.affine_grid(te, size, align_corners=align_corners)
        yt = TF.affine_grid(tt, size, align_corners=align_corners)
    close(ye, yt, 1e-12, 1e-12)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    u = RNG.standard_normal(tuple(yt.shape))
    ye.backward(ember.tensor(u))
    yt.backward(torch.tensor(u))
    close(te.grad, tt.grad, 1e-12, 1e-12)
    assert gradcheck(lambda t: F.affine_grid(t, size, align_corners=align_corners) ** 2,
                     (te.detach().requires_grad_(),))


def test_spatial_transformer_pipeline():
    """The tutorial's stn(): affine_grid then grid_sample, gradients back to theta."""
    (xe, xt), (te, tt) = _pair((2, 1, 6, 6)), _pair((2, 2, 3))
    ye = F.grid_sample(xe, F.affine_grid(te, xe.size(), align_corners=False),
                       align_corners=False)
    yt = TF.grid_sample(xt, TF.affine_grid(tt, xt.size(), align_corners=False),
                        align_corners=False)
    close(ye, yt, 1e-12, 1e-12)
    ye.square().sum().backward()
    yt.square().sum().backward()
    close(te.grad, tt.grad, 1e-10, 1e-12)
    close(xe.grad, xt.grad, 1e-12, 1e-12)


def _warnings_of(fn) -> list:
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in got]


def test_warnings_match_torch():
    th = RNG.standard_normal((1, 2, 3)).astype(np.float32)
    x = RNG.standard_normal((1, 1, 3, 3)).astype(np.float32)
    g = RNG.uniform(-1, 1, (1, 2, 2, 2)).astype(np.float32)
    cases = [
        (lambda lib: lib.nn.functional.affine_grid(lib.tensor(th), (1, 1, 3, 3))),
        (lambda lib: lib.nn.functional.affine_grid(lib.tensor(th), (1, 1, 1, 3), True)),
        (lambda lib: lib.nn.functional.affine_grid(lib.tensor(th), (1, 1, 1, 3), False)),
        (lambda lib: lib.nn.functional.grid_sample(lib.tensor(x), lib.tensor(g))),
        (lambda lib: lib.nn.functional.grid_sample(lib.tensor(x), lib.tensor(g),
                                                   align_corners=True)),
    ]
    for case in cases:
        assert _warnings_of(lambda: case(ember)) == _warnings_of(lambda: case(torch))


def _both(fn_name, *arrays, **kw):
    e = [ember.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
    t = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
    return (lambda: getattr(F, fn_name)(*e, **kw), lambda: getattr(TF, fn_name)(*t, **kw))


def test_errors_match_torch():
    x = RNG.standard_normal((2, 3, 4, 5))
    g = RNG.uniform(-1, 1, (2, 6, 7, 2))
    th = RNG.standard_normal((2, 2, 3))
    cases = [
        _both("grid_sample", x, g, mode="foo", align_corners=False),
        _both("grid_sample", x, g, padding_mode="foo", align_corners=False),
        _both("grid_sample", x, g.astype(np.float32), align_corners=False),
        _both("grid_sample", x, g[0], align_corners=False),
        _both("grid_sample", x[0], g, align_corners=False),
        _both("grid_sample", x, g[:1], align_corners=False),
        _both("grid_sample", x, RNG.uniform(-1, 1, (2, 6, 7, 3)), align_corners=False),
        _both("grid_sample", x, RNG.uniform(-1, 1, (2, 6, 7, 1, 2)), align_corners=False),
        _both("grid_sample", x.astype(np.int64), g.astype(np.int64), align_corners=False),
        _both("grid_sample", np.zeros((2, 3, 0, 5)), g, align_corners=False),
        _both("grid_sample", np.zeros((1, 2, 3, 4, 5)), np.zeros((1, 2, 2, 2, 3)),
              mode="bicubic", align_corners=False),
        _both("affine_grid", th.astype(np.int64), (2, 3, 4, 5), align_corners=False),
        _both("affine_grid", th, (2, 3, 4), align_corners=False),
        _both("affine_grid", th, (2, 3, 4, 5, 6), align_corners=False),
        _both("affine_grid", th, (3, 3, 4, 5), align_corners=False),
        _both("affine_grid", th, (2, 3, 0, 5), align_corners=False),
        _both("affine_grid", th[0], (2, 3, 4, 5), align_corners=False),
    ]
    for fe, ft in cases:
        same_error(fe, ft)


def test_empty_channels_and_batches():
    for xs, gs in (((2, 0, 4, 5), (2, 3, 3, 2)), ((0, 2, 4, 5), (0, 3, 3, 2))):
        x, g = np.zeros(xs), RNG.uniform(-1, 1, gs)
        ye = F.grid_sample(ember.tensor(x), ember.tensor(g), align_corners=True)
        yt = TF.grid_sample(torch.tensor(x), torch.tensor(g), align_corners=True)
        close(ye, yt, 0, 0)
