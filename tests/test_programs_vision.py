"""Pieces of vision programs (DCGAN, VAE, ResNet, U-Net, style transfer) that once differed
on ember, checked live against PyTorch: adaptive pooling's shortcuts, antialiased resizing,
the nodes resizes and pixel shuffles record, and 'same' convolution's warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from torch_compare import run_both, seeded


_run, _img = run_both, seeded


def _summary(t):
    return tuple(t.shape), np.round(t.detach().numpy().astype(np.float64), 4).tolist()


# ---- adaptive pooling: output 1 is a mean at any rank; tuple sizes checked against rank ----

_ADAPTIVE = {
    "avg2d_int1_on_2d": lambda F, x: F.adaptive_avg_pool2d(x, 1),
    "avg2d_tuple_on_2d": lambda F, x: F.adaptive_avg_pool2d(x, (2, 3)),
    "avg2d_ones_tuple_on_2d": lambda F, x: F.adaptive_avg_pool2d(x, (1, 1)),
    "avg2d_int2_on_2d": lambda F, x: F.adaptive_avg_pool2d(x, 2),
    "avg2d_int1_on_5d": lambda F, x: F.adaptive_avg_pool2d(x[None, None, None], 1),
    "avg2d_none_on_2d": lambda F, x: F.adaptive_avg_pool2d(x, (None, 2)),
    "avg3d_int1_on_3d": lambda F, x: F.adaptive_avg_pool3d(x[None], 1),
    "avg3d_int1_on_2d": lambda F, x: F.adaptive_avg_pool3d(x, 1),
    "max2d_int1_on_2d": lambda F, x: F.adaptive_max_pool2d(x, 1),
    "max2d_tuple_on_2d": lambda F, x: F.adaptive_max_pool2d(x, (2, 3)),
}


def test_adaptive_pool_output_one_and_rank_checks():
    def fn(case):
        return lambda lib: _summary(_ADAPTIVE[case](lib.nn.functional,
                                                    lib.arange(48.0).view(6, 8)))

    bad = [(case, want, got) for case in sorted(_ADAPTIVE)
           for want, got in [_run(fn(case))] if got != want]
    assert bad == []


def test_adaptive_avg_pool_module_on_unbatched_plane_backward():
    def fn(lib):
        x = _img(lib, (5, 7), grad=True)
        y = lib.nn.AdaptiveAvgPool2d(1)(x)
        y.sum().backward()
        return _summary(y), type(y.grad_fn).__name__, _summary(x.grad)

    want, got = _run(fn)
    assert got == want


# ---- F.interpolate(..., antialias=True) and mode='lanczos' ----

_AA = [("bilinear", (2, 3, 17, 23), dict(scale_factor=0.5)),
       ("bicubic", (1, 2, 16, 16), dict(size=(5, 7))),
       ("bicubic", (1, 1, 9, 10), dict(size=(20, 13))),
       ("bilinear", (1, 2, 12, 31), dict(scale_factor=(0.37, 2.3), recompute_scale_factor=True)),
       ("bilinear", (1, 1, 8, 8), dict(size=(3, 8), align_corners=True)),
       ("lanczos", (1, 2, 12, 31), dict(scale_factor=(0.37, 0.71))),
       ("lanczos", (1, 1, 7, 5), dict(size=(1, 1)))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode,shape,kw", _AA)
def test_interpolate_antialias_values_grads_and_node(mode, shape, kw, dtype):
    out = []
    for lib in (torch, ember):
        x = _img(lib, shape, seed=1, grad=True, dtype=dtype)
        y = lib.nn.functional.interpolate(x, mode=mode, antialias=True, **kw)
        w = lib.from_numpy(np.linspace(-1, 1, y.numel()).astype(dtype).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy(), y.grad_fn.name(), str(y.dtype)))
    (y0, g0, n0, d0), (y1, g1, n1, d1) = out
    assert (n1, d1) == (n0, d0) and y1.shape == y0.shape
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y1, y0, rtol=tol, atol=tol * 4)
    np.testing.assert_allclose(g1, g0, rtol=tol, atol=tol * 4)


def test_interpolate_antialias_double_backward_node():
    def fn(lib):
        x = _img(lib, (1, 2, 8, 8), grad=True)
        r = lib.nn.functional.interpolate(x, scale_factor=0.5, mode="bicubic", antialias=True)
        g, = lib.autograd.grad((r * r).sum(), x, create_graph=True)
        return g.grad_fn.name(), _summary(g)

    want, got = _run(fn)
    assert got == want


_AA_ERRORS = [dict(mode="nearest", scale_factor=0.5, antialias=True),
              dict(mode="area", size=3, antialias=True),
              dict(mode="bilinear", size=3, antialias=True, shape=(2, 8, 8)),
              dict(mode="lanczos", size=3),
              dict(mode="lanczos", size=3, align_corners=True, antialias=True),
              dict(mode="lanczos", size=3, shape=(2, 8, 8)),
              dict(mode="bicubic", size=(0, 3), antialias=True),
              dict(mode="bicubic", size=3, antialias=True, dtype="int64"),
              dict(mode="bilinear", size=(3, 4, 5), antialias=True)]


def test_interpolate_antialias_and_lanczos_errors():
    def fn(kw):
        kw = dict(kw)
        shape, dtype = kw.pop("shape", (1, 2, 8, 8)), kw.pop("dtype", "float32")
        return lambda lib: tuple(lib.nn.functional.interpolate(
            lib.ones(shape, dtype=getattr(lib, dtype)), **kw).shape)

    bad = [(kw, want, got) for kw in _AA_ERRORS
           for want, got in [_run(fn(kw))] if got != want]
    assert bad == []


# ---- the nodes resizes and pixel/channel shuffles record (and their own backward's) ----

_RESIZES = [((1, 2, 5), "nearest", {}), ((1, 2, 5), "linear", dict(align_corners=True)),
            ((1, 2, 4, 5), "nearest", {}), ((1, 2, 4, 5), "nearest-exact", {}),
            ((1, 2, 4, 5), "bilinear", {}), ((1, 2, 4, 5), "bicubic", {}),
            ((1, 2, 3, 4, 5), "trilinear", {}), ((1, 2, 3, 4, 5), "nearest", {})]


def _close(got, want):
    """Same names and flags; arrays equal to float32 rounding."""
    assert len(got) == len(want)
    for a, b in zip(got, want):
        if isinstance(b, np.ndarray):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
        else:
            assert a == b


@pytest.mark.parametrize("shape,mode,kw", _RESIZES)
def test_upsample_grad_fn_names_values_and_double_backward(shape, mode, kw):
    out = []
    for lib in (torch, ember):
        x = _img(lib, shape, seed=2, grad=True)
        y = lib.nn.Upsample(scale_factor=2, mode=mode, **kw)(x)
        g, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        g.sum().backward()
        out.append((y.grad_fn.name(), g.grad_fn.name(), y.is_contiguous(),
                    y.detach().numpy(), g.detach().numpy(), x.grad.numpy()))
    _close(out[1], out[0])


_SHUFFLES = {
    "pixel_shuffle": lambda lib, x: lib.nn.PixelShuffle(2)(x),
    "pixel_unshuffle": lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 3),
    "channel_shuffle": lambda lib, x: lib.nn.ChannelShuffle(4)(x),
    "pixel_shuffle_5d": lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2),
}
_SHUFFLE_SHAPES = {"pixel_unshuffle": (2, 4, 6, 2 * 3), "pixel_shuffle_5d": (2, 1, 8, 3, 2)}


@pytest.mark.parametrize("name", sorted(_SHUFFLES))
def test_shuffle_grad_fn_names_values_and_double_backward(name):
    def fn(lib):
        shape = _SHUFFLE_SHAPES.get(name, (2, 8, 3, 2))
        x = lib.arange(float(np.prod(shape))).view(shape).requires_grad_()
        y = _SHUFFLES[name](lib, x)
        w = lib.linspace(-1, 1, y.numel()).view(y.shape)
        g, = lib.autograd.grad((y * y * w).sum(), x, create_graph=True)
        return (y.grad_fn.name(), g.grad_fn.name(), y.is_contiguous(), _summary(y),
                _summary(g))

    want, got = _run(fn)
    assert got == want


# ---- Conv2d(padding='same') with an even kernel: PyTorch's once-only warning ----

def _same_conv_warnings(lib, call):
    lib.set_warn_always(True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                call(lib)
                err = None
            except RuntimeError as e:
                err = str(e).splitlines()[0]
    finally:
        lib.set_warn_always(False)
    return [str(w.message).split(" (Triggered internally")[0] for w in caught], err


_SAME = {
    "even_kernel": lambda lib: lib.nn.Conv2d(2, 2, 4, padding="same")(lib.ones(1, 2, 6, 6)),
    "odd_kernel": lambda lib: lib.nn.Conv2d(2, 2, 3, padding="same")(lib.ones(1, 2, 6, 6)),
    "dilated_even": lambda lib: lib.nn.Conv2d(2, 2, (3, 4), padding="same", dilation=2)(
        lib.ones(1, 2, 6, 6)),
    "reflect_mode": lambda lib: lib.nn.Conv2d(2, 2, 4, padding="same",
                                              padding_mode="reflect")(lib.ones(1, 2, 6, 6)),
    "conv1d_wrong_channels": lambda lib: lib.nn.functional.conv1d(
        lib.ones(2, 6, 6), lib.ones(2, 2, 2), padding="same"),
    "conv2d_unbatched_wrong_channels": lambda lib: lib.nn.functional.conv2d(
        lib.ones(6, 5, 6), lib.ones(2, 2, 3, 2), padding="same"),
}


def test_conv_same_padding_even_kernel_warning_and_error_shape():
    bad = [(case, want, got) for case in sorted(_SAME)
           for want, got in [(_same_conv_warnings(torch, _SAME[case]),
                              _same_conv_warnings(ember, _SAME[case]))] if got != want]
    assert bad == []


def test_upsample_keeps_channels_last_layout():
    def fn(lib):
        x = _img(lib, (1, 3, 4, 4)).contiguous(memory_format=lib.channels_last)
        F = lib.nn.functional
        ys = [F.interpolate(x, scale_factor=2, mode=m) for m in ("nearest", "bilinear")]
        ys.append(F.interpolate(x, scale_factor=0.5, mode="bicubic", antialias=True))
        return [(y.stride(), y.is_contiguous()) for y in ys]

    want, got = _run(fn)
    assert got == want
