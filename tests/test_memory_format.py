"""torch.memory_format and channels-last layouts, and the top-level spellings conv3d,
conv_transpose3d, conv_tbc, max_pool3d, adaptive_max_pool1d, frobenius_norm, nuclear_norm,
against PyTorch 2.13: strides, contiguity answers, errors, values and gradients."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(4)


def test_formats_exist_and_cannot_be_made():
    for name in ("contiguous_format", "preserve_format", "channels_last", "channels_last_3d"):
        assert repr(getattr(ember, name)) == repr(getattr(torch, name))
        assert pickle.loads(pickle.dumps(getattr(ember, name))) is getattr(ember, name)
    with pytest.raises(TypeError, match="cannot create 'torch.memory_format' instances"):
        ember.memory_format()


@pytest.mark.parametrize("fmt,shape", [("channels_last", (2, 3, 4, 5)),
                                       ("channels_last_3d", (1, 2, 3, 4, 2))])
def test_channels_last_layout(fmt, shape):
    a = RNG.standard_normal(shape).astype(np.float32)
    results = []
    for lib in (torch, ember):
        x = lib.tensor(a)
        f = getattr(lib, fmt)
        y = x.contiguous(memory_format=f)
        z = x.to(memory_format=f)
        results.append((y.stride(), z.stride(), y.is_contiguous(),
                        y.is_contiguous(memory_format=f), x.is_contiguous(memory_format=f),
                        (y * 2).numpy().tolist()))
        assert y.contiguous(memory_format=f) is y  # already laid out so
    assert results[0] == results[1]


def test_channels_last_errors_and_gradient():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            lib.ones(2, 3).contiguous(memory_format=lib.channels_last)
    x = ember.tensor(RNG.standard_normal((1, 2, 3, 3)), requires_grad=True)
    (x.contiguous(memory_format=ember.channels_last) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())


def test_top_level_spellings():
    v = RNG.standard_normal((1, 2, 4, 4, 4)).astype(np.float32)
    w = RNG.standard_normal((3, 2, 2, 2, 2)).astype(np.float32)
    s = RNG.standard_normal((1, 2, 5)).astype(np.float32)
    m = RNG.standard_normal((3, 3)).astype(np.float32)
    out = []
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vals = [lib.conv3d(lib.tensor(v), lib.tensor(w)),
                    lib.conv_transpose3d(lib.tensor(v), lib.tensor(w).transpose(0, 1)),
                    lib.max_pool3d(lib.tensor(v), 2), *lib.adaptive_max_pool1d(lib.tensor(s), 2),
                    lib.frobenius_norm(lib.tensor(m), (0, 1)), lib.nuclear_norm(lib.tensor(m)),
                    lib.nuclear_norm(lib.tensor(m), True),
                    lib.conv_tbc(lib.tensor(s).permute(2, 0, 1), lib.tensor(w[0, :, :, 0, 0]
                                                                            ).unsqueeze(0),
                                 lib.zeros(2))]
        out.append([(tuple(t.shape), t.numpy()) for t in vals])
    for (ts, tv), (es, ev) in zip(*out):
        assert ts == es
        np.testing.assert_allclose(ev, tv, rtol=1e-5, atol=1e-5)
