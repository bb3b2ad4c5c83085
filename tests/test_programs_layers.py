"""Layers inside seeded training programs that once differed on ember, checked live against
PyTorch: 3-d adaptive average pooling's layout and area resizing, max_unpool's invalid index,
fractional pooling's default samples, uint8 and half resizes, embedding_bag's bags and
frequency scaling, embedding's max_norm checks, and fold's layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from torch_compare import run_both, seeded


_run, _x = run_both, seeded


def _same(t, e, rtol=1e-5, atol=1e-6):
    assert tuple(t.shape) == tuple(e.shape) and t.stride() == e.stride()
    assert str(t.dtype) == str(e.dtype).replace("ember", "torch")
    np.testing.assert_allclose(e.detach().numpy().astype(np.float64),
                               t.detach().numpy().astype(np.float64), rtol=rtol, atol=atol)


@pytest.mark.parametrize("kw", [dict(size=(2, 3, 4)), dict(scale_factor=0.6),
                                dict(size=(7, 5, 9))])
def test_adaptive_avg_pool3d_and_area_resize_are_dense(kw):
    res = []
    for lib in (torch, ember):
        x = _x(lib, (1, 2, 3, 4, 5), grad=True)
        y = lib.nn.functional.interpolate(x, mode="area", **kw)
        y2 = lib.nn.AdaptiveAvgPool3d((2, 3, 4))(x)
        (y.pow(2).sum() + y2.sum()).backward()
        res.append((y, y2, x.grad))
    for t, e in zip(*res):
        _same(t, e)


def test_max_unpool3d_reports_last_invalid_index():
    def f(lib):
        x = _x(lib, (1, 2, 7, 6, 5))
        y, idx = lib.nn.MaxPool3d(2, return_indices=True)(x)
        return lib.nn.MaxUnpool3d(2)(y, idx)
    t, e = _run(f)
    assert t == e and t[0] == "RuntimeError"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractional_max_pool_default_samples_follow_the_seed(dtype):
    res = []
    for lib in (torch, ember):
        lib.manual_seed(3)
        x = _x(lib, (2, 3, 11, 10), dtype=dtype)
        y2 = lib.nn.FractionalMaxPool2d(3, output_ratio=0.5)(x)
        y3 = lib.nn.FractionalMaxPool3d(2, output_ratio=0.6)(x[:1])
        res.append((y2, y3, lib.rand(3)))
    for t, e in zip(*res):
        _same(t, e)


@pytest.mark.parametrize("shape", [(1, 1, 12), (1, 2, 3, 4), (1, 1, 2, 3, 4)])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_uint8_nearest_resize(shape, mode):
    res = []
    for lib in (torch, ember):
        x = lib.arange(int(np.prod(shape))).reshape(shape).to(lib.uint8)
        res.append(lib.nn.functional.interpolate(x, scale_factor=1.5, mode=mode))
    _same(*res)


_RESIZES = [("nearest", (1, 1, 3, 4)), ("bilinear", (1, 1, 3, 4)), ("bicubic", (1, 1, 3, 4)),
            ("area", (1, 1, 3, 4)), ("nearest", (1, 1, 6)), ("linear", (1, 1, 6)),
            ("area", (1, 1, 2, 3, 4)), ("trilinear", (1, 1, 2, 3, 4))]


# uint8 bilinear/bicubic are left out: PyTorch resizes them in fixed point, which ember
# does not have (README, Differences).
@pytest.mark.parametrize("dt,mode,shape", [
    (dt, mode, shape) for dt in ("int8", "int32", "int64", "bool", "uint8")
    for mode, shape in _RESIZES if not (dt == "uint8" and mode in ("bilinear", "bicubic"))])
def test_integer_resize_errors(dt, mode, shape):
    def f(lib):
        x = lib.zeros(shape, dtype=getattr(lib, dt))
        return tuple(lib.nn.functional.interpolate(x, scale_factor=1.5, mode=mode).shape)
    t, e = _run(f)
    assert t == e


def test_half_bilinear_resize_rounds_once():
    res = []
    for lib in (torch, ember):
        x = lib.arange(12.).reshape(1, 1, 3, 4).to(lib.float16)
        res.append(lib.nn.functional.interpolate(x, scale_factor=1.5, mode="bilinear"))
    _same(*res, rtol=0, atol=0)


_INP = [1, 2, 4, 5, 4, 3, 2, 9]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("offsets,ilo", [([0, 2, 5], False), ([0, 3, 3, 8], True),
                                         ([0, 4, 4, 6], False)])
def test_embedding_bag_bags(mode, offsets, ilo):
    res = []
    for lib in (torch, ember):
        w = _x(lib, (10, 3), grad=True)
        y = lib.nn.functional.embedding_bag(lib.tensor(_INP), w, lib.tensor(offsets), mode=mode,
                                            include_last_offset=ilo)
        (y * lib.arange(y.numel()).reshape(y.shape).float().cos()).sum().backward()
        res.append((y, w.grad))
    for t, e in zip(*res):
        _same(t, e)


@pytest.mark.parametrize("mode,kw", [("sum", {}), ("mean", {}), ("sum", dict(padding_idx=2)),
                                     ("mean", dict(padding_idx=4)), ("max", {})])
@pytest.mark.parametrize("inp,offsets", [([3, 3, 1, 1, 2, 2], [0, 2]), ([5, 3, 1], [0, 1, 2])])
def test_embedding_bag_scale_grad_by_freq(mode, kw, inp, offsets):
    """Where PyTorch 2.13's CPU frequencies are right (equal counts; pytorch#190063 otherwise,
    where ember keeps the documented rule), and max mode's refusal."""
    def f(lib):
        w = lib.ones(10, 2, requires_grad=True)
        lib.nn.functional.embedding_bag(lib.tensor(inp), w, lib.tensor(offsets), mode=mode,
                                        scale_grad_by_freq=True, **kw).sum().backward()
        return w.grad.tolist()
    t, e = _run(f)
    if isinstance(t, tuple):  # max mode: the same error
        assert t == e
    else:
        np.testing.assert_allclose(e, t, rtol=1e-6)


def test_embedding_bag_2d_input_and_per_sample_weights():
    res = []
    for lib in (torch, ember):
        w = _x(lib, (10, 3), grad=True)
        p = lib.linspace(0.5, 2, 8).requires_grad_()
        inp = lib.tensor(_INP)
        y = lib.nn.functional.embedding_bag(inp.reshape(2, 4), w, mode="sum",
                                            per_sample_weights=p.reshape(2, 4))
        y2 = lib.nn.functional.embedding_bag(inp, w, lib.tensor([0, 3, 3, 8]), mode="sum",
                                             per_sample_weights=p, include_last_offset=True)
        (y.sum() + y2.pow(2).sum()).backward()
        res.append((y, y2, w.grad, p.grad))
    for t, e in zip(*res):
        _same(t, e)


@pytest.mark.parametrize("idx", [[4], [-1], [-5, -7, 9], [[1, 7, 5]], [1.0], [True]])
@pytest.mark.parametrize("max_norm", [None, 1.0])
def test_embedding_index_errors(idx, max_norm):
    def f(lib):
        return lib.nn.functional.embedding(lib.tensor(idx), _x(lib, (4, 3)),
                                           max_norm=max_norm).tolist()
    t, e = _run(f)
    assert t == e


@pytest.mark.parametrize("padding", [0, 1, (2, 0)])
def test_fold_and_unfold_results_are_dense(padding):
    res = []
    for lib in (torch, ember):
        x = _x(lib, (2, 3, 4, 6), grad=True)
        u = lib.nn.Unfold(3, padding=padding, stride=2)(x)
        f = lib.nn.Fold((4, 6), 3, padding=padding, stride=2)(u)
        (f * lib.arange(f.numel()).reshape(f.shape).float().sin()).sum().backward()
        res.append((u, f, x.grad))
    for t, e in zip(*res):
        _same(t, e)


@pytest.mark.parametrize("padding", [1, (1, 2), "same", "valid"])
def test_conv_reversed_padding_repeated_twice(padding):
    t, e = _run(lambda lib: lib.nn.Conv2d(2, 2, 3, padding=padding, padding_mode="reflect")
                ._reversed_padding_repeated_twice)
    assert t == e and type(t) is type(e)
