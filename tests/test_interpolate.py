"""F.interpolate and nn.Upsample against PyTorch 2.13: nearest, nearest-exact, linear, bilinear,
trilinear; size or scale_factor; align_corners; recompute_scale_factor; gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from torch_compare import compare, gradcheck, same_error

R = np.random.default_rng(3)


def rand(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def interp(**kw):
    return lambda L, x: L.nn.functional.interpolate(x, **kw)


SIZES_1D = [dict(size=9), dict(size=3), dict(size=5), dict(size=1), dict(scale_factor=1.7),
            dict(scale_factor=2), dict(scale_factor=0.6), dict(scale_factor=1.7,
                                                               recompute_scale_factor=True),
            dict(scale_factor=0.45, recompute_scale_factor=True), dict(scale_factor=3.0)]


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear"])
@pytest.mark.parametrize("kw", SIZES_1D)
def test_1d(mode, kw):
    x = rand(2, 3, 5)
    compare(interp(mode=mode, **kw), x, rtol=1e-5, atol=1e-6)
    if mode == "linear":
        compare(interp(mode=mode, align_corners=True, **kw), x, rtol=1e-5, atol=1e-6)
        gradcheck(interp(mode=mode, **kw), x[:1, :1])


SIZES_2D = [dict(size=(7, 4)), dict(size=3), dict(scale_factor=2), dict(scale_factor=(1.5, 0.7)),
            dict(scale_factor=(2.3, 1.2), recompute_scale_factor=True), dict(size=(1, 9))]


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("kw", SIZES_2D)
def test_2d(mode, kw):
    x = rand(2, 3, 4, 5)
    compare(interp(mode=mode, **kw), x, rtol=1e-5, atol=1e-6)
    if mode == "bilinear":
        compare(interp(mode=mode, align_corners=True, **kw), x, rtol=1e-5, atol=1e-6)
        gradcheck(interp(mode=mode, align_corners=True, **kw), x[:1, :1])
        compare(interp(mode=mode, **kw), x.astype(np.float64), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["nearest", "trilinear"])
def test_3d(mode):
    x = rand(1, 2, 3, 4, 2)
    compare(interp(mode=mode, size=(5, 2, 3)), x, rtol=1e-5, atol=1e-6)
    compare(interp(mode=mode, scale_factor=1.5), x, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", [dict(size=3), dict(size=7), dict(scale_factor=0.5),
                                dict(scale_factor=1.6, recompute_scale_factor=True)])
def test_area(kw):
    compare(interp(mode="area", **kw), rand(2, 3, 5), rtol=1e-5, atol=1e-6)
    size2d = {k: (v, v - 1) if k == "size" else v for k, v in kw.items()}
    compare(interp(mode="area", **size2d), rand(1, 2, 5, 6), rtol=1e-5, atol=1e-6)
    gradcheck(interp(mode="area", **kw), rand(1, 1, 5))


def test_upsample_modules():
    x = rand(1, 2, 3, 4)
    for args in (dict(scale_factor=2), dict(size=(5, 6), mode="bilinear"),
                 dict(scale_factor=1.5, mode="bilinear", align_corners=True)):
        compare(lambda L, t: L.nn.Upsample(**args)(t), x, rtol=1e-5, atol=1e-6)
        assert repr(ember.nn.Upsample(**args)) == repr(torch.nn.Upsample(**args))
    for cls in ("UpsamplingNearest2d", "UpsamplingBilinear2d"):
        compare(lambda L, t: getattr(L.nn, cls)(scale_factor=2)(t), x, rtol=1e-5, atol=1e-6)
        assert repr(getattr(ember.nn, cls)(size=3)) == repr(getattr(torch.nn, cls)(size=3))


def test_empty_batch_and_double_gradients():
    compare(interp(size=4, mode="linear"), rand(0, 2, 3), grad=False)
    gradcheck(interp(scale_factor=2, mode="bilinear"), rand(1, 1, 2, 3), second=True)


@pytest.mark.parametrize("call", [
    interp(mode="bilinear", size=3), interp(), interp(size=3, scale_factor=2),
    interp(size=3, align_corners=True), interp(size=(3, 4)), interp(mode="bicubicx", size=3),
    interp(scale_factor=(2, 2)), interp(scale_factor=0.1), interp(size=3,
                                                                  recompute_scale_factor=True),
])
def test_errors(call):
    same_error(call, rand(1, 1, 5))


def test_errors_dims_and_dtypes():
    same_error(interp(size=3), rand(3, 3))
    same_error(interp(size=3, mode="linear"), rand(1, 1, 2, 2))
    same_error(interp(size=3, mode="linear"), np.ones((1, 1, 4), np.int64))
    same_error(interp(size=3), np.ones((1, 1, 4), np.int64))
