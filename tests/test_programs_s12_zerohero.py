"""Session 12, Karpathy's "Neural Networks: Zero to Hero" programs (micrograd's torch check,
makemore's bigram / MLP / BatchNorm / backprop-ninja / WaveNet parts) as learners type them,
run on ember and compared live with torch 2.13."""

import numpy as np
import pytest
import torch

import ember
from torch_compare import gradcheck, run_both


def _arr(shape, seed, scale=1.0, shift=0.0, dtype=np.float32):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(dtype)


# ---- tanh's gradient is PyTorch's fused 1 - y*y (one rounding), not (1 - y**2) ------------

@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("n", [7, 64, 2048, 100_003])
def test_tanh_backward_rounds_one_minus_y_squared_once(n, dtype):
    # PyTorch's tanh_backward is g * fma(-y, y, 1); compared on ember's own y
    x = ember.from_numpy(_arr(n, 0, 2.0, dtype=dtype)).requires_grad_()
    g = _arr(n, 1, dtype=dtype)
    y = ember.tanh(x)
    y.backward(ember.from_numpy(g))
    want = torch.ops.aten.tanh_backward(torch.from_numpy(g), torch.from_numpy(y.detach().numpy()))
    assert x.grad.dtype == ember.float32 if dtype == np.float32 else ember.float16
    np.testing.assert_array_equal(x.grad.numpy(), want.numpy())


def test_tanh_backward_through_nn_tanh_module_and_functional():
    for make in (lambda L: L.nn.Tanh(), lambda L: L.nn.functional.tanh, lambda L: L.tanh):
        x = ember.from_numpy(_arr((32, 200), 2, 1.5)).requires_grad_()
        g = _arr((32, 200), 3)
        y = make(ember)(x)
        y.backward(ember.from_numpy(g))
        want = torch.ops.aten.tanh_backward(torch.from_numpy(g),
                                            torch.from_numpy(y.detach().numpy()))
        np.testing.assert_array_equal(x.grad.numpy(), want.numpy())


def test_tanh_gradient_float64_gradcheck():
    gradcheck(lambda L, x: L.tanh(x), _arr((3, 4), 4, 2.0, dtype=np.float64))


def _alike_tanh_inputs():
    """2048 float32 inputs (32, 64) whose tanh both libraries round alike (NumPy's float32
    tanh is an ulp from PyTorch's for a third of inputs: README), so that the backprop line
    below compares the two backward formulas only."""
    a = _arr(8192, 5, 0.8)
    same = ember.tanh(ember.from_numpy(a)).numpy() == torch.tanh(torch.from_numpy(a)).numpy()
    return a[same][:2048].reshape(32, 64)


def _ninja_tanh_lines(L):
    """Backprop ninja's hpreact line: the hand-derived (1 - h**2) * dh against autograd."""
    hp = L.from_numpy(_alike_tanh_inputs()).requires_grad_()
    h = L.tanh(hp)
    dh = L.from_numpy(_arr((32, 64), 6, 0.01))
    h.backward(dh)
    dhpreact = (1.0 - h**2) * dh
    ex = L.all(dhpreact == hp.grad).item()
    app = L.allclose(dhpreact, hp.grad)
    maxdiff = (dhpreact - hp.grad).abs().max().item()
    return h.detach().numpy(), f"exact: {str(ex):5s} | approximate: {str(app):5s} | maxdiff: {maxdiff}"


def test_backprop_ninja_hpreact_line_is_not_exact_as_in_pytorch():
    (h_t, want), (h_e, got) = run_both(_ninja_tanh_lines)
    np.testing.assert_array_equal(h_e, h_t)  # the same forward: the line compares backwards
    assert got == want
    assert "exact: False" in got


# ---- float32/half var and std: float64 accumulation, rounded once (PyTorch's Welford) -----

_STAT_CASES = [((32, 200), 0, True), ((32, 128), None, False), ((32, 128), 1, False),
               ((7816, 200), 0, True), ((4, 4, 128), (0, 1), True), ((100_003,), None, False),
               ((3, 5), 0, False), ((27, 24), None, False), ((2, 3, 5), -1, True)]


@pytest.mark.parametrize("shape,dim,keepdim", _STAT_CASES)
@pytest.mark.parametrize("fn", ["var", "std"])
def test_float32_var_std_bitwise(shape, dim, keepdim, fn):
    a = _arr(shape, 7, 1e-3, 2e-4)

    def run(L):
        x = L.from_numpy(a.copy())
        kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
        r = getattr(x, fn)(**kw)
        return str(r.dtype), tuple(r.shape), r.numpy()
    want, got = run_both(run)
    assert got[:2] == want[:2]
    np.testing.assert_array_equal(got[2], want[2])


@pytest.mark.parametrize("kw", [{"unbiased": False}, {"correction": 0}, {"correction": 2}])
def test_float32_var_std_corrections_bitwise(kw):
    a = _arr((64, 32), 8, 3.0, -1.0)
    for fn in ("var", "std"):
        want, got = run_both(lambda L: getattr(L.from_numpy(a.copy()), fn)(0, **kw).numpy())
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fn", ["var", "std", "var_mean", "std_mean"])
def test_half_var_std_bitwise(fn):
    a = _arr((64, 32), 9, dtype=np.float16)

    def run(L):
        r = getattr(L, fn)(L.from_numpy(a.copy()), 0)
        return [t.numpy() for t in (r if isinstance(r, tuple) else (r,))]
    want, got = run_both(run)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_std_gradient_and_graph_unchanged():
    a = _arr((32, 16), 10, 2.0)

    def run(L):
        x = L.from_numpy(a.copy()).requires_grad_()
        s = x.std(0, keepdim=True)
        (s * L.from_numpy(_arr((1, 16), 11))).sum().backward()
        return type(s.grad_fn).__name__, s.detach().numpy(), x.grad.numpy()
    want, got = run_both(run)
    assert got[0] == want[0] == "StdBackward0"
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[2], want[2], rtol=1e-5, atol=1e-7)
    gradcheck(lambda L, x: x.std(0), _arr((5, 3), 12, dtype=np.float64))


def test_var_after_an_unrelated_std_is_not_mixed_up():
    # std takes its float64 variance from the Var node it wraps, never another one's
    a, b = ember.from_numpy(_arr((8, 4), 13)), ember.from_numpy(_arr((8, 4), 14, 5.0))
    va = a.var(0)
    sb = ember.sqrt(b.var(0))  # a sqrt of a var is not std: rounded twice, as in PyTorch
    tb = torch.sqrt(torch.from_numpy(b.numpy()).var(0))
    np.testing.assert_array_equal(sb.numpy(), tb.numpy())
    np.testing.assert_array_equal(va.numpy(), torch.from_numpy(a.numpy()).var(0).numpy())
    np.testing.assert_array_equal(a.std(0).numpy(), torch.from_numpy(a.numpy()).std(0).numpy())


# ---- part 3: hand-written BatchNorm statistics and the diagnostics printed from them -------

def _bn_diagnostics(L):
    g = L.Generator().manual_seed(2147483647)
    hpreact = L.randn((32, 200), generator=g) * 3 + 0.5
    bnmeani = hpreact.mean(0, keepdim=True)
    bnstdi = hpreact.std(0, keepdim=True)
    bnstd_running = L.ones((1, 200))
    with L.no_grad():
        bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
    w = L.randn((30, 200), generator=g, requires_grad=True)
    (w.sin().sum() * 0.001).backward()
    lr = 0.1
    ratio = ((lr * w.grad).std() / w.data.std()).log10().item()
    out = L.tanh(hpreact)
    line = 'std %e | grad:data ratio %e' % (w.grad.std(), w.grad.std() / w.std())
    return (bnstdi.numpy(), bnstd_running.numpy(), ratio, line,
            f'std {out.std():.6f}', L.histc(out, bins=10, min=-1, max=1).tolist())


def test_batchnorm_by_hand_statistics_and_printed_diagnostics():
    want, got = run_both(_bn_diagnostics)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert got[2:] == want[2:]


def test_wavenet_batchnorm_over_dims_0_1_var():
    a = _arr((32, 4, 68), 15, 2.0, 0.3)

    def run(L):
        x = L.from_numpy(a.copy())
        v = x.var((0, 1), keepdim=True)
        xhat = (x - x.mean((0, 1), keepdim=True)) / L.sqrt(v + 1e-5)
        return v.numpy(), tuple(xhat.shape)
    want, got = run_both(run)
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]


def test_narrow_var_std_results_keep_pytorchs_layout():
    a = _arr((2, 3, 4), 16)

    def run(L):
        x = L.from_numpy(a.copy()).permute(1, 2, 0)
        outs = (x.std(0), x.var(1), L.var_mean(x, 0)[1], L.std_mean(x, 2)[0],
                x.std(2, keepdim=True), x.std())
        return [(tuple(r.shape), r.stride(), r.numpy().tolist()) for r in outs]
    want, got = run_both(run)
    assert got == want


# ---- part 5 with torch.nn: BatchNorm1d on a (B, C, T) transpose gives a row-major result ---

def _bn_layouts(L):
    r = np.random.default_rng(17)
    a = lambda *s: L.from_numpy(r.standard_normal(s).astype(np.float32))  # noqa: E731
    inputs = {
        "3d transposed": a(32, 4, 6).transpose(1, 2),
        "2d transposed": a(6, 32).t(),
        "4d channels-last": a(2, 4, 5, 6).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
        "4d other order": a(2, 5, 4, 6).permute(0, 2, 1, 3),
        "5d channels-last-3d": a(2, 3, 4, 5, 6).permute(0, 2, 3, 4, 1).contiguous()
                                .permute(0, 4, 1, 2, 3),
        "3d sliced": a(8, 6, 10)[:, :, ::2],
    }
    out = {}
    for name, x in inputs.items():
        bn = {3: L.nn.BatchNorm1d, 2: L.nn.BatchNorm1d, 4: L.nn.BatchNorm2d,
              5: L.nn.BatchNorm3d}[x.ndim](x.shape[1])
        for train in (True, False):
            y = bn.train(train)(x)
            out[name, train] = (y.stride(), y.is_contiguous(), y.detach().numpy())
    return out


def test_batchnorm_result_layout_is_pytorchs():
    want, got = run_both(_bn_layouts)
    assert got.keys() == want.keys()
    for k in want:
        assert got[k][:2] == want[k][:2], k
        np.testing.assert_allclose(got[k][2], want[k][2], rtol=1e-5, atol=1e-5, err_msg=str(k))


def test_wavenet_bn_transpose_back_then_flatten_needs_reshape():
    # the transposed-back result is not row-major in either library; reshape works in both
    def run(L):
        bn = L.nn.BatchNorm1d(64)
        x = L.from_numpy(_arr((32, 4, 64), 18))
        h = L.tanh(bn(x.transpose(1, 2)).transpose(1, 2))
        return h.stride(), h.is_contiguous(), h.reshape(32, 2, 128).detach().numpy()
    want, got = run_both(run)
    assert got[:2] == want[:2]
    np.testing.assert_allclose(got[2], want[2], rtol=1e-5, atol=1e-6)
