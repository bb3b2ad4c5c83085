"""Session 13, fast.ai course part 2 (continued): autocast as the course's mixed-precision
lesson calls it on the CPU, and the float32 scans (DDPM's ``alpha.cumprod(0)``) with
PyTorch's float64 accumulator; compared live with torch 2.13."""

import warnings

import numpy as np
import pytest
import torch
from torch_compare import gradcheck, run_both, same_error_case

import ember


def _np(t):
    return t.detach().numpy().copy()


# ---- autocast --------------------------------------------------------------------------

def test_amp_submodules_import_as_in_pytorch():
    from ember.amp.autocast_mode import autocast, custom_fwd, is_autocast_available
    from ember.amp.grad_scaler import GradScaler
    import ember.amp.autocast_mode as am
    assert autocast is ember.autocast and GradScaler is ember.amp.GradScaler
    assert am is ember.amp.autocast_mode and callable(custom_fwd)
    assert is_autocast_available("cpu") == torch.amp.autocast_mode.is_autocast_available("cpu")
    from ember import run as ember_run
    with ember_run.torch_alias():
        import importlib
        mod = importlib.import_module("torch.amp.autocast_mode")
        assert mod.autocast is ember.autocast


@pytest.mark.parametrize("kw,msg", [
    (dict(device_type="cpu", dtype=np.float64), "In CPU autocast, but the target dtype"),
    (dict(device_type="cuda"), "CUDA is not available or torch_xla is imported"),
])
def test_autocast_disabled_cases_warn_and_run_float32(kw, msg):
    def run(L):
        if "dtype" in kw:
            kw2 = dict(kw, dtype=L.float64)
        else:
            kw2 = kw
        L.manual_seed(0)
        lin = L.nn.Linear(4, 3)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with L.autocast(**kw2):
                out = lin(L.ones(2, 4))
                on = L.is_autocast_enabled()
        return [str(w[0].message).splitlines()[0], str(out.dtype), on, _np(out)]
    want, got = run_both(run)
    assert got[0] == want[0] and got[0].startswith(msg)
    assert got[1:3] == want[1:3]
    np.testing.assert_allclose(got[3], want[3], rtol=1e-6)


def test_cpu_bfloat16_autocast_refused_with_a_clear_error():
    # PyTorch computes this region in bfloat16; ember has no bfloat16 and says so up front
    with pytest.raises(NotImplementedError, match="bfloat16"):
        with ember.autocast("cpu", dtype=ember.bfloat16):
            pass
    with ember.autocast("cpu", enabled=False):
        assert ember.nn.Linear(2, 2)(ember.ones(1, 2)).dtype == ember.float32
    same_error_case(lambda L: L.autocast(3))


# ---- cumsum / cumprod accumulate as PyTorch's CPU kernel ---------------------------------

def test_float32_cumsum_cumprod_and_their_gradients_accumulate_in_float64():
    # DDPM's alphabar = alpha.cumprod(0): PyTorch's CPU scan keeps a float64 running value
    # (acc_type) and rounds each entry once; a float32 running product drifts in the last bit
    def run(L):
        L.manual_seed(0)
        x = (L.rand(3, 500) * 0.02 + 0.99).requires_grad_()
        g = L.randn(3, 500)
        ys = [x.cumsum(1), x.cumprod(1), x.cumsum(0), x.half().cumsum(1).float()]
        grads = []
        for y in ys[:3]:
            x.grad = None
            (y * g).sum().backward()
            grads.append(_np(x.grad))
        return [_np(y) for y in ys] + grads + [str(ys[1].dtype), str(ys[1].grad_fn)[:18]]
    want, got = run_both(run)
    assert got[-2:] == want[-2:]
    for g, w in zip(got[:-2], want[:-2]):
        np.testing.assert_array_equal(g, w)


def test_cumsum_cumprod_gradients_against_finite_differences():
    x = np.random.default_rng(0).uniform(0.5, 1.5, (3, 6))
    gradcheck(lambda L, t: t.cumsum(1) * t.cumprod(0), x, second=True)


# ---- BatchNorm (the course's CNNs, ResNets and DDPM's U-Net) ---------------------------------
# PyTorch's float32 kernel sums in float64 and fuses scale and shift; ember's NumPy statistics
# round differently in the last bits (a faithful copy cost 87% of BatchNorm2d's forward).

def _bn_runs(L):
    L.manual_seed(0)
    out = []
    for shape in [(8, 4, 5, 5), (6, 3, 7), (2, 5, 3, 4, 2), (64, 16, 14, 14)]:
        x = L.randn(*shape) * 2 + 0.5
        cls = {3: L.nn.BatchNorm1d, 4: L.nn.BatchNorm2d, 5: L.nn.BatchNorm3d}[len(shape)]
        bn = cls(shape[1])
        with L.no_grad():
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-1, 1)
        ys = [bn(x) for _ in range(3)]
        bn.eval()
        ys += [bn(x), bn.running_mean, bn.running_var, bn.num_batches_tracked,
               L.nn.functional.batch_norm(x, None, None, training=True),
               L.nn.functional.instance_norm(x, weight=bn.weight, bias=bn.bias)]
        out.append([_np(y) for y in ys])
    bn1 = L.nn.BatchNorm1d(10).eval()  # (N, C) in evaluation: the same fused scale and shift
    bn1.running_mean.uniform_(-1, 1)
    bn1.running_var.uniform_(0.5, 2)
    out.append([_np(bn1(L.randn(16, 10) * 3))])
    return out


def test_batchnorm_forward_and_running_stats_match_to_rounding():
    want, got = run_both(_bn_runs)
    for gs, ws in zip(got, want):
        for g, w in zip(gs, ws):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_batchnorm_gradients_still_match_closely():
    # the backward kernel's own order is not repeated: a few float32 ulps
    def run(L):
        L.manual_seed(1)
        x = (L.randn(8, 4, 6, 6) * 2).requires_grad_()
        bn = L.nn.BatchNorm2d(4)
        y = bn(x)
        (y * L.linspace(-1, 1, y.numel()).reshape(y.shape)).sum().backward()
        return [_np(x.grad), _np(bn.weight.grad), _np(bn.bias.grad), str(y.grad_fn)[:25]]
    want, got = run_both(run)
    assert got[3] == want[3]
    for g, w in zip(got[:3], want[:3]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    x = np.random.default_rng(0).standard_normal((3, 2, 2, 2))
    gradcheck(lambda L, t: L.nn.functional.batch_norm(t, None, None, training=True) ** 2, x)
