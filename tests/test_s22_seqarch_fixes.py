"""Session 22 (seqarch sweep) fixes, each checked live against PyTorch 2.13."""

import math

import numpy as np
import pytest
from torch_compare import run_both, same_error_case


def _bits(t):
    return (str(t.dtype), t.numpy().tobytes())


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8"])
def test_logspace_bits(dtype):
    """perceiver-pytorch's fourier_encode: torch.logspace(1., log(max_freq / 2) / log(2), n,
    base=2). PyTorch rounds both ends to the dtype first, steps in float64 from each end and
    calls C's pow: float32 logspace(1, log2(5), 3, base=2) ends in 4.9999995, not 5 (ember
    stepped in float64 from the unrounded ends and used NumPy's vectorised power)."""
    rng = np.random.default_rng(7)
    cases = [(1.0, math.log(5) / math.log(2), 3, 2.0), (0, 3, 7, 10.0), (-2, 2, 5, 10.0),
             (2.0, 0.5, 4, 3.0), (0.0, 1.0, 1, 10.0), (1.5, 1.5, 1, 2.0), (0, 2, 0, 10.0),
             (0, 5, 6, -2.0), (0.5, 2.5, 3, -2.0), (300, 320, 3, 10.0), (-1, 1, 5, 0.5)]
    hi = 3 if dtype in ("float16", "uint8") else 5
    cases += [(*rng.uniform(-hi, hi, 2), int(rng.integers(2, 30)), float(b))
              for b in rng.choice([2.0, 10.0, 3.7, math.e, 0.5], 40)]

    def prog(L):
        dt = getattr(L, dtype)
        return [_bits(L.logspace(a, b, n, base=base, dtype=dt)) for a, b, n, base in cases]
    want, got = run_both(prog)
    assert got == want


def test_logspace_errors_unchanged():
    same_error_case(lambda L: L.logspace(0, 1, -1))
    same_error_case(lambda L: L.logspace(0, 1, 2, dtype=L.bool))
    same_error_case(lambda L: L.logspace(0, 1))


def _half_norm(L, kind, wdt, scale):
    F = L.nn.functional
    rng = np.random.default_rng(3)
    x = L.from_numpy((rng.standard_normal((4, 6, 5)) * scale).astype(np.float16))
    c = 5 if kind == "layer" else 6
    w = L.from_numpy((np.arange(c) * 0.1 + 0.7).astype(wdt))
    b = L.from_numpy((np.arange(c) * 0.05 - 0.1).astype(wdt))
    stats = []
    if kind == "layer":
        y = F.layer_norm(x, (5,), w, b)
    elif kind == "layer_plain":
        y = F.layer_norm(x, (5,))
    elif kind == "group":
        y = F.group_norm(x, 3, w, b)
    elif kind == "batch_train":
        stats = [L.zeros(6, dtype=w.dtype), L.ones(6, dtype=w.dtype)]
        y = F.batch_norm(x, stats[0], stats[1], w, b, training=True)
    else:
        stats = [L.from_numpy(np.linspace(-1, 1, 6).astype(wdt)),
                 L.from_numpy(np.linspace(1, 3000, 6).astype(wdt))]
        y = F.batch_norm(x, stats[0], stats[1], w, b, training=False)
    return [(str(t.dtype), t.float().numpy()) for t in [y] + stats]


@pytest.mark.parametrize("scale", [1.0, 60.0])
@pytest.mark.parametrize("wdt", [np.float16, np.float32])
@pytest.mark.parametrize("kind", ["layer", "layer_plain", "group", "batch_train", "batch_eval"])
def test_half_norms_work_in_float(kind, wdt, scale):
    """RWKV-v4neo's model_run.py in FLOAT_MODE 'fp16': F.layer_norm on half activations.
    PyTorch's CPU norm kernels take a float16 input's statistics in float32 and round the
    output once; ember worked in float16, where the squares of entries near 60 overflow to
    inf (rstd 0: an all-zero output; batch_norm's running_var inf)."""
    want, got = run_both(lambda L: _half_norm(L, kind, wdt, scale))
    assert isinstance(got, list), got
    for (wd, w), (gd, g) in zip(want, got):
        assert gd == wd
        assert np.isfinite(g).all()
        if kind.startswith("batch"):  # PyTorch folds w * rstd first: a half ulp or two
            np.testing.assert_allclose(g, w, rtol=2e-3, atol=2e-3)
        else:
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("kind", ["layer", "group", "batch"])
def test_half_norm_grads_dtype(kind):
    """The gradients of a float16 norm (worked on in float32) come back in float16, and the
    float32 parameters' in float32, close to PyTorch's."""
    def prog(L):
        F = L.nn.functional
        rng = np.random.default_rng(4)
        x = L.from_numpy((rng.standard_normal((4, 6, 5)) * 40).astype(np.float16)).requires_grad_()
        c = 5 if kind == "layer" else 6
        w = L.ones(c, dtype=L.float32, requires_grad=True)
        b = L.zeros(c, dtype=L.float16, requires_grad=True)
        y = {"layer": lambda: F.layer_norm(x, (5,), w, b.float()),
             "group": lambda: F.group_norm(x, 3, w.half(), b),
             "batch": lambda: F.batch_norm(x, None, None, w.half(), b, training=True)}[kind]()
        g = L.from_numpy(rng.standard_normal((4, 6, 5)).astype(np.float16))
        (y * g).sum().backward()
        return [(str(t.dtype), t.detach().float().numpy()) for t in (y, x.grad, w.grad, b.grad)]
    want, got = run_both(prog)
    assert isinstance(got, list), got
    for (wd, w), (gd, g) in zip(want, got):
        assert gd == wd
        np.testing.assert_allclose(g, w, rtol=3e-2, atol=3e-2 * np.abs(w).max())


@pytest.mark.parametrize("shape", [(4, 6, 8), (2, 2, 6, 8), (2, 2, 5, 8)])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("mask", [None, "bool", "float"])
def test_half_sdpa_works_in_float(shape, causal, mask):
    """scaled_dot_product_attention on float16 (fp16 inference of a transformer): PyTorch's
    math kernel upcasts q, k, v to float32 and rounds the output once (a ToCopyBackward0
    node); its flash kernel (4-D) rounds the unnormalised weights to half before the product
    with v; the math kernel scales q and k each by sqrt(scale). ember multiplied and took
    the softmax in half: tens of half ulps off."""
    rng = np.random.default_rng(5)
    arrs = [(rng.standard_normal(shape) * 3).astype(np.float16) for _ in range(3)]
    m = rng.standard_normal((shape[-2], shape[-2])) > -0.8

    def prog(L):
        q, k, v = (L.from_numpy(a.copy()).requires_grad_() for a in arrs)
        am = None
        if mask == "bool":
            am = L.from_numpy(m.copy())
        elif mask == "float":
            am = L.from_numpy(np.where(m, 0.0, -1e4).astype(np.float16))
        y = L.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=am,
                                                         is_causal=causal and am is None)
        y.float().sum().backward()
        return (y.grad_fn.name(), str(y.dtype), y.detach().float().numpy(),
                [t.grad.float().numpy() for t in (q, k, v)])
    want, got = run_both(prog)
    assert isinstance(got, tuple) and got[:2] == want[:2], (got, want)
    np.testing.assert_array_equal(got[2], want[2])
    for g, w in zip(got[3], want[3]):  # PyTorch's own backward kernels: a half ulp or so
        np.testing.assert_allclose(g, w, rtol=4e-3, atol=4e-3 * np.abs(w).max())


@pytest.mark.parametrize("kind", ["layer", "group", "instance", "batch", "batch_stats",
                                  "batch_eval"])
def test_norm_param_dtype_errors(kind):
    """Norms with parameters of other dtypes than the input (a half model with float32
    LayerNorm weights, a stray .double()): PyTorch judges by the first parameter given. Of the
    input's dtype: every other must be too ("expected scalar type Half but found Float";
    training batch norm checks its statistics before bias, evaluation after). Of another: the
    mixed kernel, all float32 ("mixed dtype (CPU): expect parameter to have scalar type of
    Float") and the input half ("... all inputs must share same datatype."). ember checked
    each parameter alone and allowed float32 weight with half bias."""
    import itertools

    def prog(L):
        F = L.nn.functional
        out = []
        for xd, wd, bd, sd in itertools.product(("half", "float", "double"),
                                                ("half", "float", "double", None),
                                                ("half", "float", "double", None),
                                                ("half", "float", "double")
                                                if kind.startswith("batch_") else (None,)):
            x = getattr(L.randn(3, 4, 2), xd)()
            c = 2 if kind == "layer" else 4

            def mk(d):
                return None if d is None else getattr(L.ones(c), d)()
            w, b = mk(wd), mk(bd)
            try:
                y = {"layer": lambda: F.layer_norm(x, (2,), w, b),
                     "group": lambda: F.group_norm(x, 2, w, b),
                     "instance": lambda: F.instance_norm(x, weight=w, bias=b),
                     "batch": lambda: F.batch_norm(x, None, None, w, b, training=True),
                     "batch_stats": lambda: F.batch_norm(x, mk(sd), mk(sd), w, b, training=True),
                     "batch_eval": lambda: F.batch_norm(x, mk(sd), mk(sd), w, b)}[kind]()
                out.append(str(y.dtype))
            except Exception as e:  # noqa: BLE001 - compared across libraries
                out.append((type(e).__name__, str(e).splitlines()[0]))
        return out
    want, got = run_both(prog)
    assert got == want


@pytest.mark.parametrize("xd", ["half", "float", "double"])
@pytest.mark.parametrize("wd", [None, "half", "float", "double"])
def test_rms_norm_dtypes(xd, wd):
    """F.rms_norm as PyTorch's composite computes it: a half input in float32 with float32's
    eps by default (ember used half's 1e-3, which swamps mean(x^2) for small activations:
    5x off), times the weight there, then back to the input's dtype (ToCopyBackward0);
    a float32 input with a float64 weight ends in float32."""
    X = (np.random.default_rng(0).standard_normal((3, 8)) * 0.01).astype(np.float16)

    def prog(L):
        x = getattr(L.from_numpy(X.copy()), xd)().requires_grad_()
        w = None if wd is None else getattr(L.linspace(0.5, 1.5, 8), wd)().requires_grad_()
        y = L.nn.functional.rms_norm(x, (8,), w)
        y.double().sum().backward()
        return (y.grad_fn.name(), str(y.dtype),
                [t.detach().double().numpy() for t in (y, x.grad, w.grad if w is not None else x)])
    want, got = run_both(prog)
    assert isinstance(got, tuple) and got[:2] == want[:2], (got, want)
    for g, w in zip(got[2], want[2]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6 * np.abs(w).max())


def test_rms_norm_dtype_mismatch_warns_once():
    """PyTorch warns (TORCH_WARN_ONCE) when rms_norm's weight has another dtype than the
    input; with set_warn_always(True) every time."""
    from torch_compare import same_with_warnings, use_up_once_warnings

    def prog(L):
        L.set_warn_always(True)
        try:
            out = [L.nn.functional.rms_norm(L.ones(2, 4).half(), (4,), L.ones(4)).dtype,
                   L.nn.functional.rms_norm(L.ones(2, 4), (4,), L.ones(4).double()).dtype]
        finally:
            L.set_warn_always(False)
        return out + [L.nn.functional.rms_norm(L.ones(2, 4), (4,), L.ones(4).half()).dtype]
    use_up_once_warnings(prog)
    same_with_warnings(prog, describe=str)
