"""Session 22 (rlarch): what the RL sweep found, each checked against PyTorch 2.13 live.

- interpolate of uint8 images (Atari frames) in bilinear / bicubic mode, antialiased or not,
  and lanczos: PyTorch resamples them with integer (PIL's) arithmetic, width then height,
  each pass rounded to uint8; ember raised NotImplementedError.
- interpolate / adaptive_avg_pool*d of empty inputs: PyTorch's size and non-empty checks
  (before the dtype's), where ember raised IndexError / ZeroDivisionError or returned.
"""

import itertools
import warnings

import numpy as np
import pytest
from torch_compare import same

_RNG = np.random.default_rng(22)
_IMGS = {
    "noise": _RNG.integers(0, 256, (2, 3, 7, 9)).astype(np.uint8),
    "edges": np.where(_RNG.random((1, 4, 6, 5)) < 0.5, 0, 255).astype(np.uint8),  # overshoot
    "atari": _RNG.integers(0, 256, (1, 1, 21, 16)).astype(np.uint8),
}
_SIZES = [dict(size=(4, 5)), dict(size=(13, 17)), dict(size=(7, 2)), dict(size=(1, 3)),
          dict(scale_factor=2.5), dict(scale_factor=0.6), dict(scale_factor=(1.5, 0.5))]
_MODES = [("bilinear", None, False), ("bilinear", True, False), ("bilinear", False, True),
          ("bicubic", None, False), ("bicubic", True, False), ("bicubic", None, True),
          ("bicubic", True, True), ("lanczos", None, True)]


def _resize(img, kw, mode, align_corners, antialias):
    def f(L):
        x = L.from_numpy(img)
        opts = dict(kw, mode=mode, antialias=antialias)
        if align_corners is not None:
            opts["align_corners"] = align_corners
        y = L.nn.functional.interpolate(x, **opts)
        return str(y.dtype), tuple(y.shape), y.numpy().tolist()
    return f


@pytest.mark.parametrize("img,kw,mode", itertools.product(
    _IMGS, _SIZES, _MODES), ids=lambda v: str(v) if not isinstance(v, dict) else
    "_".join(f"{k}{v[k]}" for k in v))
def test_interpolate_uint8_matches_pytorch(img, kw, mode):
    same(_resize(_IMGS[img], kw, *mode))


def test_interpolate_uint8_layouts_and_modules():
    img = _IMGS["noise"]
    same(lambda L: (lambda y: (y.is_contiguous(memory_format=L.channels_last), y.stride(),
                               y.numpy().tolist()))(L.nn.functional.interpolate(
        L.from_numpy(img).contiguous(memory_format=L.channels_last), size=(5, 4),
        mode="bilinear")))
    same(lambda L: L.nn.Upsample(scale_factor=2, mode="bicubic")(L.from_numpy(img))
         .numpy().tolist())
    same(lambda L: L.nn.functional.interpolate(L.from_numpy(img), size=(7, 9),
                                               mode="bilinear").numpy().tolist())  # a copy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # upsample's deprecation
        same(lambda L: L.nn.functional.upsample(L.from_numpy(img), size=6, mode="bilinear",
                                                align_corners=True).numpy().tolist())


@pytest.mark.parametrize("case", [
    lambda L: L.nn.functional.interpolate(L.ones(1, 1, 4, dtype=L.uint8), size=3,
                                          mode="linear"),
    lambda L: L.nn.functional.interpolate(L.ones(1, 1, 2, 2, 2, dtype=L.uint8), size=3,
                                          mode="trilinear"),
    lambda L: L.nn.functional.interpolate(L.ones(1, 1, 4, 4, dtype=L.int16), size=3,
                                          mode="bilinear"),
    lambda L: L.nn.functional.interpolate(L.ones(1, 1, 4, 4, dtype=L.int16), size=3,
                                          mode="bicubic", antialias=True),
    lambda L: L.nn.functional.interpolate(L.ones(1, 1, 4, 4, dtype=L.uint8), size=3,
                                          mode="area"),
    lambda L: L.nn.functional.interpolate(L.ones(1, 1, 4, 4, dtype=L.uint8), size=3,
                                          mode="lanczos"),
])
def test_interpolate_integer_dtypes_errors(case):
    same(lambda L: tuple(case(L).shape))


_EMPTY = [((1, 0, 4), "nearest"), ((1, 0, 4), "linear"), ((1, 2, 0), "linear"),
          ((1, 2, 0), "area"), ((0, 0, 4), "nearest"), ((0, 2, 4), "linear"),
          ((1, 0, 4, 4), "bilinear"), ((1, 0, 4, 4), "bicubic"), ((1, 0, 4, 4), "area"),
          ((1, 2, 0, 4), "bilinear"), ((1, 2, 4, 0), "nearest-exact"), ((1, 2, 0, 4), "area"),
          ((0, 2, 4, 4), "bicubic"), ((1, 0, 2, 2, 2), "trilinear"),
          ((1, 0, 2, 2, 2), "area"), ((1, 1, 2, 0, 2), "nearest"), ((1, 1, 2, 0, 2), "area")]


@pytest.mark.parametrize("dtype", ["float32", "uint8", "int16"])
@pytest.mark.parametrize("shape,mode", _EMPTY, ids=str)
@pytest.mark.parametrize("kw", [dict(size=3), dict(scale_factor=2), dict(antialias=True)],
                         ids=["size", "scale", "aa"])
def test_interpolate_empty_inputs(shape, mode, dtype, kw):
    if "antialias" in kw:
        if mode not in ("bilinear", "bicubic"):
            return
        kw = dict(kw, size=3)

    def f(L):
        return tuple(L.nn.functional.interpolate(L.ones(shape, dtype=getattr(L, dtype)),
                                                 mode=mode, **kw).shape)
    same(f)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("nd,shape,out", [
    (2, (1, 2, 0, 4), 3), (2, (2, 0, 4), 3), (2, (0, 2, 4, 4), (2, 3)), (2, (1, 0, 4, 4), 3),
    (2, (4, 0), 3), (2, (1, 2, 4, 4), (0, 2)), (2, (1, 2, 0, 4), 1), (2, (0, 0, 4, 4), 2),
    (3, (1, 0, 2, 2, 2), 3), (3, (0, 1, 2, 2, 2), 3), (3, (2, 0, 2, 2), 3),
    (3, (1, 1, 2, 0, 2), 3), (3, (2, 2, 0), 3), (1, (1, 2, 0), 3), (1, (1, 0, 4), 3),
    (1, (0, 2, 4), 2)], ids=str)
def test_adaptive_avg_pool_empty_inputs(nd, shape, out, dtype):
    same(lambda L: tuple(getattr(L.nn.functional, f"adaptive_avg_pool{nd}d")(
        L.ones(shape, dtype=getattr(L, dtype)), out).shape))
