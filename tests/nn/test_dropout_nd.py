"""Dropout1d/2d/3d and F.dropout1d/2d/3d against PyTorch 2.13. The random streams differ, so
values are checked by structure (whole channels zeroed, the rest scaled by 1/(1-p), the same
channel axis as torch for every input rank) and statistics; deterministic cases (eval, p=0,
p=1), errors, warnings and repr are compared with torch directly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from nn_testutil import error_of

R = np.random.default_rng(2)
NAMES = ("dropout1d", "dropout2d", "dropout3d")
# (function, input rank) -> number of leading axes that index one channel, as torch does it
LEAD = {("dropout1d", 2): 1, ("dropout1d", 3): 2, ("dropout2d", 2): 2, ("dropout2d", 3): 2,
        ("dropout2d", 4): 2, ("dropout2d", 5): 2, ("dropout3d", 1): 1, ("dropout3d", 2): 1,
        ("dropout3d", 3): 1, ("dropout3d", 4): 1, ("dropout3d", 5): 2, ("dropout3d", 6): 1}


def run(lib, name, x, *args, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn = getattr(lib.nn.functional, name)
        out = fn(x, *args, **kw)
    return out, [str(w.message) for w in caught]


def channel_pattern(y: np.ndarray, lead: int) -> np.ndarray:
    """Per channel: True when kept. Asserts every channel is all-kept or all-dropped."""
    flat = y.reshape(int(np.prod(y.shape[:lead])), -1)
    kept, dropped = np.all(flat != 0, axis=1), np.all(flat == 0, axis=1)
    assert np.all(kept | dropped)
    return kept


@pytest.mark.parametrize("name,rank", sorted(LEAD))
def test_channel_structure_matches_torch(name, rank):
    """Both libraries zero the same kind of blocks: checked on ones with 2 sizes per axis so
    a wrong channel axis shows up as partly zeroed channels."""
    shape = (3, 4, 5, 6, 2, 3)[:rank]
    p = 0.4
    for lib in (torch, ember):
        lib.manual_seed(0)
        kept_any = dropped_any = False
        for _ in range(20):
            y, _ = run(lib, name, lib.ones(*shape, dtype=lib.float64), p, True)
            y = y.numpy()
            kept = channel_pattern(y, LEAD[name, rank])
            assert np.all(y[y != 0] == 1 / (1 - p))
            kept_any, dropped_any = kept_any or kept.any(), dropped_any or (~kept).any()
        assert kept_any and dropped_any
    assert str(y.dtype) == "float64"


@pytest.mark.parametrize("name", NAMES)
def test_drop_rate_statistics(name):
    p, n = 0.3, 20000
    shape = {"dropout1d": (4, n // 4, 3), "dropout2d": (4, n // 4, 2, 3),
             "dropout3d": (4, n // 4, 2, 1, 3)}[name]
    ember.manual_seed(1)
    y = run(ember, name, ember.ones(*shape), p, True)[0].numpy()
    kept = channel_pattern(y, 2)
    sigma = np.sqrt(p * (1 - p) / n)
    assert abs((1 - kept.mean()) - p) < 4 * sigma
    assert abs(y.mean() - 1.0) < 4 * sigma / (1 - p)
    ember.manual_seed(1)
    np.testing.assert_array_equal(run(ember, name, ember.ones(*shape), p, True)[0].numpy(), y)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_is_the_mask(name):
    shape = {"dropout1d": (3, 8, 5), "dropout2d": (3, 8, 2, 5), "dropout3d": (3, 8, 2, 2, 5)}
    x = ember.tensor(R.standard_normal(shape[name]), requires_grad=True)
    y = run(ember, name, x, 0.5, True)[0]
    w = R.standard_normal(shape[name])
    (y * ember.tensor(w)).sum().backward()
    scale = y.detach().numpy() / x.detach().numpy()  # 0 or 2 per channel
    assert set(np.unique(np.round(scale, 12))) <= {0.0, 2.0}
    np.testing.assert_allclose(x.grad.numpy(), w * scale, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("p,training", [(0.5, False), (0.0, True), (1.0, True)])
def test_deterministic_cases_equal_torch(name, p, training):
    x = R.standard_normal((2, 3, 4, 2, 2)[:{"dropout1d": 3, "dropout2d": 4}.get(name, 5)])
    e = run(ember, name, ember.tensor(x), p, training)[0]
    t = run(torch, name, torch.tensor(x), p, training)[0]
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_inplace_unbatched():
    x = ember.ones(6, 50)
    ember.manual_seed(3)
    y = ember.nn.functional.dropout1d(x, 0.5, True, inplace=True)
    assert y is x and tuple(x.shape) == (6, 50)
    kept = channel_pattern(x.numpy(), 1)
    assert np.all(x.numpy()[kept] == 2.0)
    leaf = ember.ones(2, 3, 4, requires_grad=True)
    tleaf = torch.ones(2, 3, 4, requires_grad=True)
    assert error_of(lambda: ember.nn.functional.dropout1d(leaf, 0.5, True, True)) == \
        error_of(lambda: torch.nn.functional.dropout1d(tleaf, 0.5, True, True))


def test_errors_and_warnings_match_torch():
    for name in NAMES:
        for rank in range(1, 7):
            shape = (2, 3, 2, 2, 2, 2)[:rank]
            results = []
            for lib in (torch, ember):
                try:
                    out, msgs = run(lib, name, lib.ones(*shape), 0.5, True)
                    results.append((tuple(out.shape), msgs))
                except Exception:  # noqa: BLE001 - compared below
                    results.append(error_of(lambda lib=lib: run(lib, name, lib.ones(*shape),
                                                                0.5, True)))
            assert results[0] == results[1], (name, rank)
        errs = [error_of(lambda lib=lib: getattr(lib.nn.functional, name)(
            lib.ones(2, 3, 4), 1.5)) for lib in (torch, ember)]
        assert errs[0] == errs[1]


@pytest.mark.parametrize("cls", ["Dropout1d", "Dropout2d", "Dropout3d"])
def test_modules(cls):
    e, t = getattr(ember.nn, cls)(0.25, inplace=True), getattr(torch.nn, cls)(0.25, inplace=True)
    assert repr(e) == repr(t) and e.p == 0.25 and e.inplace
    assert repr(getattr(ember.nn, cls)()) == repr(getattr(torch.nn, cls)())
    assert error_of(lambda: getattr(ember.nn, cls)(-0.1)) == \
        error_of(lambda: getattr(torch.nn, cls)(-0.1))
    m = getattr(ember.nn, cls)(0.5)
    x = ember.ones(*{"Dropout1d": (4, 30, 3), "Dropout2d": (4, 30, 2, 2)}.get(
        cls, (4, 30, 2, 2, 2)))
    y = m(x).numpy()
    kept = channel_pattern(y, 2)
    assert kept.any() and (~kept).any()
    m.eval()
    np.testing.assert_array_equal(m(x).numpy(), x.numpy())
    assert isinstance(m, ember.nn.modules.dropout._DropoutNd)
    assert isinstance(ember.nn.Dropout(), ember.nn.modules.dropout._DropoutNd)
