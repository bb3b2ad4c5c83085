"""GELU's backward (approximate='none') on float32 against live torch: on a C-contiguous
input torch runs oneDNN's eltwise backward, which ember repeats bit for bit where torch
dispatches to AVX-512 (elsewhere oneDNN's other forms agree within an ulp or so)."""

from __future__ import annotations

import numpy as np
import torch

import ember
from torch_compare import gradcheck

_EXACT = torch.backends.cpu.get_cpu_capability() == "AVX512"
_SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-38, -3e-39, 1e-7,
                     0.5, -0.5, 5.542594, -5.5425725, 9.5, -9.5, 13.18, 13.19, -13.18, -13.19,
                     13.2, -13.3, 88.0, -88.0, 1e30, -1e30, 3e38, -3e38], np.float32)


def _bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    same = (a.view(np.int32) == b.view(np.int32)) | (np.isnan(a) & np.isnan(b))
    return bool(same.all())


def _grads(x, g, grad_t=False):
    """x.grad of gelu(x).backward(g) in ember and torch (g transposed back when grad_t)."""
    out = []
    for lib in (ember, torch):
        xt = lib.tensor(x, requires_grad=True)
        gt = lib.tensor(np.ascontiguousarray(g.T)).T if grad_t else lib.tensor(g)
        lib.nn.functional.gelu(xt).backward(gt)
        out.append(xt.grad.numpy())
    return out


def _check(got, want):
    if _EXACT:
        assert _bits_equal(got, want)
    else:
        fin = np.isfinite(want)
        np.testing.assert_allclose(got[fin], want[fin], rtol=2e-6, atol=1e-6)


def test_gelu_backward_contiguous_float32_millions():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(1_200_000) * 3, rng.standard_normal(200_000) * 1e-3,
                        rng.uniform(-40, 40, 200_000), rng.uniform(-13.4, -12.9, 100_000),
                        rng.uniform(12.9, 13.4, 100_000)]).astype(np.float32)
    x[:_SPECIAL.size] = _SPECIAL
    g = rng.standard_normal(x.size).astype(np.float32)
    _check(*_grads(x, g))


def test_gelu_backward_shapes_chunk_edges_grad_layouts_and_gradcheck():
    rng = np.random.default_rng(1)
    for shape in ((2,), (5,), (16383,), (16385,), (3, 16384 + 7), (4, 5, 6)):
        x = (rng.standard_normal(shape) * 3).astype(np.float32)
        x.reshape(-1)[:min(x.size, _SPECIAL.size)] = _SPECIAL[:x.size]
        g = rng.standard_normal(shape).astype(np.float32)
        _check(*_grads(x, g))
    x = (rng.standard_normal((300, 70)) * 3).astype(np.float32)
    g = rng.standard_normal((300, 70)).astype(np.float32)
    _check(*_grads(x, g, grad_t=True))  # a transposed (non-contiguous) incoming grad
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ember.nn.GELU()(xe).sum().backward()  # an expanded grad of ones
    torch.nn.GELU()(xt).sum().backward()
    _check(xe.grad.numpy(), xt.grad.numpy())
    x = (rng.standard_normal((64, 40)) * 3).astype(np.float32)
    out = []
    for lib in (ember, torch):  # a transposed input takes torch's ATen kernel: ulp-close
        xt = lib.tensor(x, requires_grad=True)
        lib.nn.functional.gelu(xt.T[:, ::2]).sum().backward()
        out.append(xt.grad.numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=2e-6, atol=1e-6)
    gradcheck(lambda t, v: t.nn.functional.gelu(v), rng.standard_normal((3, 7)) * 3, second=True)
