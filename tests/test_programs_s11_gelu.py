"""F.gelu / nn.GELU and erf on float32: the fast Taylor-table erf (nn/_erf.py) against live
torch, math.erf, and float64 finite differences; approximate='tanh' unchanged."""

from __future__ import annotations

import math

import numpy as np
import torch

import ember
from ember.nn import _erf
from torch_compare import gradcheck

_SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-38, -3e-39,
                     1e-7, 3.9999, 4.0, -4.0001, 5.7, -10.0, 12.0, -27.0, 1e30], np.float32)


def _values(n=20_011, seed=0):
    """Normal values across chunk boundaries (n > _erf._CHUNK), tiny ones, and specials."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.standard_normal(n) * 3, rng.standard_normal(500) * 1e-4])
    return np.concatenate([x.astype(np.float32), _SPECIAL])


def _bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    same = (a.view(np.int32) == b.view(np.int32)) | (np.isnan(a) & np.isnan(b))
    return bool(same.all())


def test_erf_float32_is_the_correctly_rounded_value():
    x = _values()
    want = np.array([math.erf(v) if not math.isnan(v) else math.nan for v in x.astype(float)])
    got = ember.erf(ember.tensor(x)).numpy()
    assert got.dtype == np.float32
    assert _bits_equal(got, want.astype(np.float32))
    assert _bits_equal(_erf.erf(x), want.astype(np.float32))  # the array path GELU uses


def test_erf_float32_against_torch():
    x = _values(seed=1)
    got = ember.erf(ember.tensor(x)).numpy()
    want = torch.erf(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=1e-7)
    np.testing.assert_allclose(ember.erf(ember.tensor(_SPECIAL)).numpy(),
                               torch.erf(torch.from_numpy(_SPECIAL)).numpy(), rtol=2e-7, atol=3e-45)


def test_erf_float64_and_shapes():
    x = np.random.default_rng(2).standard_normal((7, 3001)) * 3
    want = np.vectorize(math.erf)(x)
    np.testing.assert_allclose(_erf.erf(x), want, rtol=5e-16, atol=1e-300)
    x32 = x.astype(np.float32).T  # non-contiguous float32
    got = ember.erf(ember.tensor(x32)).numpy()
    assert got.shape == x32.shape
    np.testing.assert_allclose(got, torch.erf(torch.from_numpy(x32)).numpy(), rtol=2e-7, atol=1e-7)


def test_gelu_forward_backward_against_torch():
    x = _values(seed=3)
    g = np.random.default_rng(4).standard_normal(x.size).astype(np.float32)
    fin = np.isfinite(x)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = ember.nn.functional.gelu(xe), torch.nn.functional.gelu(xt)
    assert ye.dtype == ember.float32 and ye.grad_fn.name() == yt.grad_fn.name()
    ye.backward(ember.tensor(g))
    yt.backward(torch.from_numpy(g))
    # torch's float32 GELU (oneDNN's erf approximation) differs by an ulp or so (<= 1e-6)
    np.testing.assert_allclose(ye.detach().numpy()[fin], yt.detach().numpy()[fin],
                               rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(xe.grad.numpy()[fin], xt.grad.numpy()[fin], rtol=2e-6, atol=1e-6)
    sf = _SPECIAL[np.isfinite(_SPECIAL)]  # torch gives gelu(inf) = nan, ember inf
    np.testing.assert_allclose(ember.nn.GELU()(ember.tensor(sf)).numpy(),
                               torch.nn.GELU()(torch.from_numpy(sf)).numpy(), rtol=2e-6, atol=1e-6)


def test_gelu_gradcheck_float64():
    x = np.random.default_rng(5).standard_normal((3, 9)) * 3
    gradcheck(lambda t, v: t.nn.functional.gelu(v), x, second=True)
    gradcheck(lambda t, v: t.erf(v) * v, x, second=True)


def test_gelu_tanh_unchanged():
    x = _values(n=3000, seed=6)[:3000]
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye = ember.nn.functional.gelu(xe, approximate="tanh")
    yt = torch.nn.functional.gelu(xt, approximate="tanh")
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=2e-6, atol=2e-6)


def test_gelu_float32_contiguous_is_torch_bit_for_bit():
    """torch runs oneDNN's kernel on a contiguous float32 input (more than one element);
    ember repeats its AVX-512 form, so on a CPU where torch dispatches to AVX-512 the values
    are equal bit for bit, and elsewhere (oneDNN's other forms) within an ulp or so."""
    exact = torch.backends.cpu.get_cpu_capability() == "AVX512"
    for shape, seed in (((20_011,), 7), ((4, 5, 6), 8), ((5,), 9), ((3, 33000), 10)):
        x = (np.random.default_rng(seed).standard_normal(shape) * 3).astype(np.float32)
        x.reshape(-1)[:_SPECIAL.size] = _SPECIAL[: x.size]
        x.reshape(-1)[-3:] = [5.542594, -5.5425725, -5.5426]  # around the erf = 1 bound
        got = ember.nn.functional.gelu(ember.tensor(x)).numpy()
        want = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
        got_flat = ember.nn.GELU()(ember.tensor(x).reshape(-1)).numpy()
        if exact:
            assert _bits_equal(got, want), shape
            assert _bits_equal(got_flat, want.reshape(-1)), shape
        else:
            fin = np.isfinite(x)
            np.testing.assert_allclose(got[fin], want[fin], rtol=2e-6, atol=1e-6)
            assert _bits_equal(got_flat, got.reshape(-1)), shape


def test_erf_gelu_on_expanded_and_permuted_inputs():
    x = np.random.default_rng(11).standard_normal((300, 1)).astype(np.float32)
    cases = (lambda t, v: t.erf(v.expand(300, 200).T),
             lambda t, v: t.erf(v.expand(300, 200).reshape(30, 10, 200).permute(2, 0, 1)),
             lambda t, v: t.erf(v.expand(300, 200).double().T),
             lambda t, v: t.nn.functional.gelu(v.expand(300, 200).T[::3, 1::7]))
    for f in cases:
        got, want = f(ember, ember.tensor(x)), f(torch, torch.from_numpy(x))
        assert got.stride() == want.stride()
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=2e-7, atol=1e-7)
