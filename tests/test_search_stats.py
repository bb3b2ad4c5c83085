"""quantile, nanquantile, kthvalue, bincount, histc, searchsorted, bucketize, cdist against
PyTorch 2.13 (values, gradients, errors) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from torch_compare import compare, gradcheck, same_error

R = np.random.default_rng(11)
MODES = ["linear", "lower", "higher", "midpoint", "nearest"]


def distinct(*shape, dtype=np.float32):
    """Values without ties (a tie's gradient goes to whichever entry the sort put first)."""
    n = int(np.prod(shape))
    return (R.permutation(n) * 0.37 - n * 0.1).astype(dtype).reshape(shape)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("q", [0.0, 0.3, 0.5, 0.75, 1.0, "vec"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (1, False), (-1, True),
                                         (0, False)])
def test_quantile(mode, q, dim, keepdim):
    x = distinct(3, 7)

    def qs(L):
        return L.tensor([0.1, 0.5, 0.95]) if q == "vec" else q
    compare(lambda L, t: L.quantile(t, qs(L), dim=dim, keepdim=keepdim, interpolation=mode),
            x, rtol=1e-6, atol=1e-6)
    compare(lambda L, t: t.quantile(qs(L), dim, keepdim, interpolation=mode), x)


def test_quantile_shapes_and_fd():
    compare(lambda L, t: L.quantile(t, 0.4), np.float32(2.5))
    compare(lambda L, t: L.quantile(t, 0.4, dim=0, keepdim=True), np.float32(2.5))
    compare(lambda L, t: L.quantile(t, L.tensor([0.2, 0.8]), dim=1), distinct(2, 3, 4))
    compare(lambda L, t: L.quantile(t, L.tensor([0.2, 0.8]), dim=1, keepdim=True),
            distinct(2, 3, 4))
    compare(lambda L, t: L.quantile(t, 0.5, dim=1), distinct(3, 5).astype(np.float64))
    gradcheck(lambda L, t: L.quantile(t, L.tensor([0.15, 0.5, 0.9], dtype=L.float64), dim=1),
              distinct(3, 6))
    gradcheck(lambda L, t: L.quantile(t, 0.5, dim=0, interpolation="midpoint"), distinct(4, 3))


def test_nanquantile():
    x = distinct(4, 6)
    x[0, 2] = x[1, 0] = x[1, 5] = np.nan
    x[3, :] = np.nan
    for mode in MODES:
        for q in (0.0, 0.35, 1.0):
            compare(lambda L, t: L.nanquantile(t, q, dim=1, interpolation=mode), x)
            compare(lambda L, t: L.quantile(t, q, dim=1, interpolation=mode), x)
            compare(lambda L, t: t.nanquantile(q, interpolation=mode), x)
    compare(lambda L, t: L.nanquantile(t, L.tensor([0.25, 0.5]), dim=0), x)


@pytest.mark.parametrize("call,x", [
    (lambda L, t: L.quantile(t, 1.5), (3, 4)),
    (lambda L, t: L.quantile(t, -0.1), (3, 4)),
    (lambda L, t: L.quantile(t, L.tensor([0.2, 1.5])), (3, 4)),
    (lambda L, t: L.quantile(t.long(), 0.5), (3, 4)),
    (lambda L, t: L.quantile(t, L.tensor([0.5], dtype=L.float64)), (3, 4)),
    (lambda L, t: L.quantile(t, 0.5), (0,)),
    (lambda L, t: L.quantile(t, L.zeros(2, 2)), (3, 4)),
    (lambda L, t: L.quantile(t, 0.5, interpolation="cubic"), (3, 4)),
    (lambda L, t: L.quantile(t, 0.5, dim=3), (3, 4)),
    (lambda L, t: L.nanquantile(t, 2.0), (3, 4)),
    (lambda L, t: L.quantile(t, 1.25, dim=0), (3, 4)),
])
def test_quantile_errors(call, x):
    same_error(call, distinct(*x))


@pytest.mark.parametrize("k,dim,keepdim", [(1, -1, False), (3, 1, True), (2, 0, False),
                                           (4, 0, True)])
def test_kthvalue(k, dim, keepdim):
    x = distinct(4, 5)
    compare(lambda L, t: L.kthvalue(t, k, dim, keepdim), x)
    compare(lambda L, t: t.kthvalue(k, dim=dim, keepdim=keepdim), x)
    gradcheck(lambda L, t: L.kthvalue(t, k, dim, keepdim)[0], x)


def test_kthvalue_edges_and_errors():
    compare(lambda L, t: L.kthvalue(t, 1), np.float32(3.0))
    compare(lambda L, t: L.kthvalue(t, 1, 0, True), np.float32(3.0))
    compare(lambda L, t: L.kthvalue(t, 2, 1), distinct(2, 3, 4))
    compare(lambda L, t: L.kthvalue(t, 1, 0), np.zeros((2, 0), np.float32), grad=False)
    x = distinct(2, 4)
    x[0, 1] = np.nan  # nan is the largest
    compare(lambda L, t: L.kthvalue(t, 4, 1), x)
    compare(lambda L, t: L.kthvalue(t, 2, 1), x)
    compare(lambda L, t: L.kthvalue(t, 2, 0), np.array([[3, 1], [2, 5]]), grad=False)
    for call, shape in ((lambda L, t: L.kthvalue(t, 5, 1), (3, 4)),
                        (lambda L, t: L.kthvalue(t, 0), (3, 4)),
                        (lambda L, t: L.kthvalue(t, 2), ()),
                        (lambda L, t: L.kthvalue(t, 1, 0), (0, 3)),
                        (lambda L, t: L.kthvalue(t, 1, 2), (3, 4))):
        same_error(call, distinct(*shape) if shape else np.float32(1.0))


def test_bincount():
    i = np.array([0, 1, 1, 3, 7, 3])
    compare(lambda L, t: L.bincount(t), i)
    compare(lambda L, t: t.bincount(minlength=10), i)
    compare(lambda L, t: L.bincount(t, minlength=2), np.zeros(0, np.int64))
    compare(lambda L, t: L.bincount(t), i.astype(np.int32))
    compare(lambda L, t: L.bincount(t), i.astype(np.uint8))
    for w_dtype in (np.float32, np.float64, np.float16, np.int32):
        compare(lambda L, t, w: L.bincount(t, w), i, np.arange(6).astype(w_dtype), grad=False)
    for call, args in (
            (lambda L, t: L.bincount(t), (np.array([[1]]),)),
            (lambda L, t: L.bincount(t), (np.array([-1, 2]),)),
            (lambda L, t: L.bincount(t), (np.array([1.0, 2.0], np.float32),)),
            (lambda L, t: L.bincount(t, minlength=-1), (i,)),
            (lambda L, t, w: L.bincount(t, w), (i, np.ones(3, np.float32)))):
        same_error(call, *args)


@pytest.mark.parametrize("kw", [dict(), dict(bins=4), dict(bins=7, min=-1, max=1),
                                dict(bins=3, min=0.5, max=0.5), dict(bins=5, min=-0.3, max=2.1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histc(kw, dtype):
    x = R.standard_normal(200).astype(dtype)
    x[:5] = [-1, 1, 0, 0.5, 2.1]  # on edges
    compare(lambda L, t: L.histc(t, **kw), x, grad=False)
    compare(lambda L, t: t.histc(**kw), x.reshape(20, 10), grad=False)


def test_histc_edges_and_errors():
    compare(lambda L, t: L.histc(t, bins=4), np.array([1.0, 1.0], np.float32), grad=False)
    compare(lambda L, t: L.histc(t, bins=6), np.zeros(0, np.float32), grad=False)
    compare(lambda L, t: L.histc(t, bins=3, min=0, max=3),
            np.array([np.nan, 1.0, 2.5], np.float32), grad=False)
    compare(lambda L, t: L.histc(t, bins=10, min=0, max=1),
            np.linspace(0, 1, 11).astype(np.float32), grad=False)
    x = np.ones(4, np.float32)
    same_error(lambda L, t: L.histc(t, bins=0), x)
    same_error(lambda L, t: L.histc(t, min=2, max=1), x)
    same_error(lambda L, t: L.histc(t), np.arange(4))
    same_error(lambda L, t: L.histc(t, bins=4), np.array([np.inf, 1.0], np.float32))


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted(right):
    seq = np.array([1.0, 2.0, 2.0, 3.5, 7.0], np.float32)
    vals = np.array([[0.0, 2.0, 2.5], [7.0, 8.0, 3.5]], np.float32)
    compare(lambda L, s, v: L.searchsorted(s, v, right=right), seq, vals, grad=False)
    compare(lambda L, s, v: L.searchsorted(s, v, side="right" if right else "left",
                                           out_int32=True), seq, vals, grad=False)
    rows = np.sort(R.standard_normal((2, 3, 6)), -1)
    q = R.standard_normal((2, 3, 4))
    q[0, 0, 0] = rows[0, 0, 2]
    compare(lambda L, s, v: L.searchsorted(s, v, right=right), rows, q, grad=False)
    compare(lambda L, s, v: L.bucketize(v, s, right=right), seq, vals, grad=False)
    compare(lambda L, s: L.searchsorted(s, 2.0, right=right), seq, grad=False)
    compare(lambda L, s: L.bucketize(2.5, s, right=right), seq, grad=False)
    compare(lambda L, s, v: L.searchsorted(s, v), np.array([1, 3, 5]),
            np.array([0.5, 3.0, 4.5]), grad=False)
    compare(lambda L, s, v: L.searchsorted(s, v), seq[:0], vals, grad=False)


def test_searchsorted_sorter_nan_and_errors():
    seq = np.array([5.0, 1.0, 3.0, np.nan])
    sorter = np.argsort(seq)
    vals = np.array([0.0, 3.0, 4.0, 9.0, np.nan])
    for side in ("left", "right"):
        compare(lambda L, s, v, o: L.searchsorted(s, v, side=side, sorter=o), seq, vals,
                sorter, grad=False)
    s, v = np.array([1.0, 2.0, 3.0]), np.array([2.0])
    same_error(lambda L, a, b: L.searchsorted(a, b, side="left", right=True), s, v)
    same_error(lambda L, a, b: L.searchsorted(a, b, side="mid"), s, v)
    same_error(lambda L, a, b: L.searchsorted(a, b), np.zeros((2, 3)), np.zeros((3, 1)))
    same_error(lambda L, a, b, o: L.searchsorted(a, b, sorter=o), s, v, np.array([0]))
    same_error(lambda L, a, b: L.bucketize(a, b), v, np.zeros((2, 2)))


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 3.0, float("inf"), 0.0])
@pytest.mark.parametrize("shapes", [((4, 3), (5, 3)), ((2, 4, 3), (2, 5, 3)),
                                    ((2, 1, 4, 3), (3, 5, 3)), ((0, 3), (2, 3))])
def test_cdist(p, shapes):
    a = R.standard_normal(shapes[0]).astype(np.float32)
    b = R.standard_normal(shapes[1]).astype(np.float32)
    # (p = 0 counts nonzeros: PyTorch's gradient is zeros, ember's is absent)
    compare(lambda L, x, y: L.cdist(x, y, p=p), a, b, rtol=1e-5, atol=1e-6,
            grad=a.size > 0 and p > 0)
    if p > 0 and a.size:
        gradcheck(lambda L, x, y: L.cdist(x, y, p=p), a[..., :2, :], b[..., :2, :])


def test_cdist_errors():
    same_error(lambda L, x, y: L.cdist(x, y), np.zeros(3), np.zeros(3))
    same_error(lambda L, x, y: L.cdist(x, y), np.zeros((2, 3)), np.zeros((2, 4)))
    same_error(lambda L, x, y: L.cdist(x, y), np.zeros((2, 3), np.int64),
               np.zeros((2, 3), np.int64))
    same_error(lambda L, x, y: L.cdist(x, y, p=-1), np.zeros((2, 3)), np.zeros((2, 3)))
    same_error(lambda L, x, y: L.cdist(x, y), np.zeros((2, 2, 3)), np.zeros((3, 2, 3)))
    same_error(lambda L, x, y: L.cdist(x, y), np.zeros((2, 3), np.float32), np.zeros((2, 3)))
