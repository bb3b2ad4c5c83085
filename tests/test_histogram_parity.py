"""torch.histogram and torch.histc bin for bin as PyTorch 2.13's kernels: edges from
torch.linspace's kernel, histc's linear interpolation in the input's precision (an entry on a
rounding boundary lands where PyTorch puts it), histogram's local correction against the
edges, binary search for given edges, weights, density, ranges and constant inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


def _inputs(trial: int, rng) -> np.ndarray:
    size = int(rng.integers(1, 40))
    kind = trial % 5
    if kind == 0:
        x = rng.standard_normal(size)
    elif kind == 1:
        x = np.round(rng.uniform(-3, 3, size), 1)  # many values on bin boundaries
    elif kind == 2:
        x = rng.integers(0, 5, size).astype(float)
    elif kind == 3:
        x = np.linspace(-1.5, 2.5, size)
    else:
        x = np.full(size, 2.0)  # a constant: the range is widened
    return x.astype([np.float32, np.float64][trial % 2])


def _call(lib, x, kw):
    k = dict(kw)
    for key in ("weight", "bins"):
        if isinstance(k.get(key), np.ndarray):
            k[key] = lib.tensor(k[key])
    h, e = lib.histogram(lib.tensor(x), **k)
    return h.numpy(), e.numpy()


@pytest.mark.parametrize("trial", range(40))
def test_histogram_and_histc_match_pytorch(trial):
    rng = np.random.default_rng(trial)
    x = _inputs(trial, rng)
    bins = int(rng.integers(1, 30))
    cases = [dict(bins=bins), dict(bins=bins, density=True), dict(bins=bins, range=(-1.0, 1.5)),
             dict(bins=bins, weight=rng.random(x.size).astype(x.dtype)),
             dict(bins=np.sort(rng.uniform(-2, 2, 5)).astype(x.dtype))]
    for kw in cases:
        (th, te), (eh, ee) = _call(torch, x, kw), _call(ember, x, kw)
        np.testing.assert_array_equal(ee, te)
        np.testing.assert_allclose(eh, th, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(ember.histc(ember.tensor(x), bins=bins).numpy(),
                                  torch.histc(torch.tensor(x), bins=bins).numpy())


def test_boundary_value_goes_where_pytorch_puts_it():
    x = np.linspace(-1.5, 2.5, 6, dtype=np.float32)  # 0.9 sits on a float32 bin boundary
    np.testing.assert_array_equal(ember.histc(ember.tensor(x)).numpy(),
                                  torch.histc(torch.tensor(x)).numpy())
    np.testing.assert_array_equal(ember.histogram(ember.tensor(x)).hist.numpy(),
                                  torch.histogram(torch.tensor(x)).hist.numpy())
