"""torch.linalg / torch.fft programs run under ember and PyTorch: values, dtypes, shapes,
strides (LAPACK's column-major results), errors and gradients, compared with live torch."""

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(11)


def _pair(a):
    return ember.tensor(a), torch.tensor(a)


def _same(e, t, strides=True):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype) == str(t.dtype)
    if strides:
        assert e.stride() == t.stride()
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-5)


def _err(fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(Exception) as ee:
        fe()
    assert type(ee.value).__name__ == type(te.value).__name__
    assert str(ee.value).splitlines()[0] == str(te.value).splitlines()[0]


def _spd(n, batch=()):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + np.eye(n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_result_strides_column_major(dtype):
    a = RNG.standard_normal((2, 3, 3)).astype(dtype)
    b = RNG.standard_normal((2, 3, 2)).astype(dtype)
    p = _spd(3, (2,)).astype(dtype)
    (ae, at), (be, bt), (pe, pt) = _pair(a), _pair(b), _pair(p)
    _same(ember.linalg.inv(ae), torch.linalg.inv(at))
    _same(ember.linalg.solve(ae, be), torch.linalg.solve(at, bt))
    _same(ember.linalg.solve(ae, be.mT, left=False), torch.linalg.solve(at, bt.mT, left=False))
    _same(ember.linalg.cholesky(pe), torch.linalg.cholesky(pt))
    _same(ember.linalg.cholesky(pe, upper=True), torch.linalg.cholesky(pt, upper=True))
    _same(ember.linalg.solve_triangular(pe, be, upper=True),
          torch.linalg.solve_triangular(pt, bt, upper=True))
    _same(ember.cholesky_inverse(ember.linalg.cholesky(pe)),
          torch.cholesky_inverse(torch.linalg.cholesky(pt)))


def test_inv_ex_singular():
    s = np.array([[[1., 0.], [0., 1.]], [[1., 2.], [2., 4.]]], np.float32)
    se, st = _pair(s)
    (xe, ie), (xt, it) = ember.linalg.inv_ex(se), torch.linalg.inv_ex(st)
    _same(xe, xt)
    _same(ie, it)
    _err(lambda: ember.linalg.inv_ex(se, check_errors=True),
         lambda: torch.linalg.inv_ex(st, check_errors=True))


def test_tensorinv_tensorsolve():
    a = RNG.standard_normal((4, 6, 8, 3)).astype(np.float32)
    ae, at = _pair(a)
    _same(ember.linalg.tensorinv(ae, ind=2), torch.linalg.tensorinv(at, ind=2), strides=False)
    _err(lambda: ember.linalg.tensorinv(ae, ind=1), lambda: torch.linalg.tensorinv(at, ind=1))
    _err(lambda: ember.linalg.tensorinv(ae, ind=0), lambda: torch.linalg.tensorinv(at, ind=0))
    m, b = RNG.standard_normal((2, 3, 6)), RNG.standard_normal((2, 3))
    (me, mt), (be, bt) = _pair(m), _pair(b)
    _same(ember.linalg.tensorsolve(me, be), torch.linalg.tensorsolve(mt, bt))
    m2 = RNG.standard_normal((6, 2, 3))
    (me2, mt2) = _pair(m2)
    _same(ember.linalg.tensorsolve(me2, be, dims=(0,)), torch.linalg.tensorsolve(mt2, bt, dims=(0,)))
    _same(ember.linalg.tensorsolve(me, be.T), torch.linalg.tensorsolve(mt, bt.T))
    v = RNG.standard_normal(6)
    _err(lambda: ember.linalg.tensorsolve(me, ember.tensor(v)),
         lambda: torch.linalg.tensorsolve(mt, torch.tensor(v)))
    _err(lambda: ember.linalg.tensorsolve(ember.randn(4, 6), ember.randn(2, 3)),
         lambda: torch.linalg.tensorsolve(torch.randn(4, 6), torch.randn(2, 3)))
    # gradients flow through inv / solve
    ge = me.clone().requires_grad_()
    gt = mt.clone().requires_grad_()
    ember.linalg.tensorsolve(ge, be).pow(2).sum().backward()
    torch.linalg.tensorsolve(gt, bt).pow(2).sum().backward()
    _same(ge.grad, gt.grad, strides=False)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 3)])
def test_geqrf_householder_orgqr_ormqr(shape):
    a = RNG.standard_normal(shape)
    ae, at = _pair(a)
    he, te = ember.geqrf(ae)
    ht, tt = torch.geqrf(at)
    _same(he, ht, strides=False)
    _same(te, tt)
    _same(ember.linalg.householder_product(he, te), torch.linalg.householder_product(ht, tt),
          strides=False)
    _same(ember.orgqr(he, te), torch.orgqr(ht, tt), strides=False)
    c = RNG.standard_normal(shape[:-2] + (shape[-2], 2))
    ce, ct = _pair(c)
    for left, tr in ((True, False), (True, True)):
        _same(ember.ormqr(he, te, ce, left, tr), torch.ormqr(ht, tt, ct, left, tr), strides=False)
    # householder_product's gradient (vs PyTorch's LinalgHouseholderProductBackward0)
    xe, xt = he.clone().requires_grad_(), ht.clone().requires_grad_()
    ue, ut = te.clone().requires_grad_(), tt.clone().requires_grad_()
    w = RNG.standard_normal(shape)
    (ember.linalg.householder_product(xe, ue) * ember.tensor(w)).sum().backward()
    (torch.linalg.householder_product(xt, ut) * torch.tensor(w)).sum().backward()
    _same(xe.grad, xt.grad, strides=False)
    _same(ue.grad, ut.grad, strides=False)


def test_geqrf_householder_errors():
    _err(lambda: ember.geqrf(ember.ones(3, 3, dtype=ember.int64)),
         lambda: torch.geqrf(torch.ones(3, 3, dtype=torch.int64)))
    _err(lambda: ember.linalg.householder_product(ember.randn(3, 4), ember.randn(3)),
         lambda: torch.linalg.householder_product(torch.randn(3, 4), torch.randn(3)))
    _err(lambda: ember.linalg.householder_product(ember.randn(4, 3), ember.randn(4)),
         lambda: torch.linalg.householder_product(torch.randn(4, 3), torch.randn(4)))
    _err(lambda: ember.geqrf(ember.randn(4, 3, requires_grad=True))[0].sum().backward(),
         lambda: torch.geqrf(torch.randn(4, 3, requires_grad=True))[0].sum().backward())


@pytest.mark.parametrize("n", [1, 4, 5, 8])
def test_fft_freqs(n):
    _same(ember.fft.fftfreq(n), torch.fft.fftfreq(n))
    _same(ember.fft.fftfreq(n, d=0.1), torch.fft.fftfreq(n, d=0.1))
    _same(ember.fft.rfftfreq(n, 0.5), torch.fft.rfftfreq(n, 0.5))
    _same(ember.fft.fftfreq(n, dtype=ember.float64), torch.fft.fftfreq(n, dtype=torch.float64))


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1])
def test_fftshift(dim):
    x = np.arange(10).reshape(2, 5)
    xe, xt = _pair(x)
    _same(ember.fft.fftshift(xe, dim), torch.fft.fftshift(xt, dim))
    _same(ember.fft.ifftshift(xe, dim), torch.fft.ifftshift(xt, dim))
