"""ember.optim.Muon against torch.optim.Muon: 10 steps on a seeded 2-D weight (PyTorch's
Newton-Schulz runs in bfloat16; ember rounds each result to bfloat16 the same way), the
constructor's defaults and checks, and a state_dict round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


def _run(lib, dtype, shape, kw, steps=10, split=None):
    rng = np.random.default_rng(0)
    w0, target = rng.standard_normal(shape), rng.standard_normal(shape)
    p = lib.nn.Parameter(lib.tensor(w0, dtype=getattr(lib, dtype)))
    t = lib.tensor(target, dtype=getattr(lib, dtype))
    opt = lib.optim.Muon([p], lr=0.02, **kw)
    for i in range(steps):
        if split is not None and i == split:  # rebuild from a state_dict mid-run
            sd = opt.state_dict()
            opt = lib.optim.Muon([p], lr=0.02, **kw)
            opt.load_state_dict(sd)
        opt.zero_grad()
        ((p - t) ** 3).sum().backward()
        opt.step()
    return p.detach().numpy().astype(np.float64), opt


KWS = [{}, {"nesterov": False, "weight_decay": 0.0},
       {"adjust_lr_fn": "match_rms_adamw", "momentum": 0.9},
       {"adjust_lr_fn": "original", "ns_steps": 3, "ns_coefficients": (3.0, -3.2, 1.2)}]


@pytest.mark.parametrize("shape", [(4, 6), (7, 3)])
@pytest.mark.parametrize("kw", KWS)
def test_ten_steps_float64(shape, kw):
    expected, _ = _run(torch, "float64", shape, kw)
    got, _ = _run(ember, "float64", shape, kw)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 6), (7, 3)])
@pytest.mark.parametrize("kw", KWS)
def test_ten_steps_float32(shape, kw):
    expected, _ = _run(torch, "float32", shape, kw)
    got, _ = _run(ember, "float32", shape, kw)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip():
    expected, topt = _run(torch, "float64", (4, 6), {}, split=5)
    got, eopt = _run(ember, "float64", (4, 6), {}, split=5)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    tsd, esd = topt.state_dict(), eopt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    np.testing.assert_allclose(esd["state"][0]["momentum_buffer"].numpy(),
                               tsd["state"][0]["momentum_buffer"].numpy(), rtol=1e-12)


def test_defaults():
    p, q = torch.nn.Parameter(torch.ones(2, 3)), ember.nn.Parameter(ember.ones(2, 3))
    assert ember.optim.Muon([q]).defaults == torch.optim.Muon([p]).defaults


def _err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return type(e).__name__, str(e)
    return "ok", ""


@pytest.mark.parametrize("kw", [{"lr": -1.0}, {"momentum": -0.1}, {"weight_decay": -1.0},
                                {"adjust_lr_fn": "bogus"}])
def test_constructor_errors(kw):
    exp = _err(lambda: torch.optim.Muon([torch.nn.Parameter(torch.ones(2, 3))], **kw))
    got = _err(lambda: ember.optim.Muon([ember.nn.Parameter(ember.ones(2, 3))], **kw))
    assert exp[0] == "ValueError" and got == exp


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4)])
def test_only_2d_parameters(shape):
    exp = _err(lambda: torch.optim.Muon([torch.nn.Parameter(torch.ones(shape))]))
    got = _err(lambda: ember.optim.Muon([ember.nn.Parameter(ember.ones(shape))]))
    assert got[0] == exp[0] == "ValueError"
    assert got[1].replace("ember", "torch") == exp[1]


@pytest.mark.parametrize("kw", [{"ns_steps": 100}, {"ns_coefficients": (1.0, 2.0)}])
def test_newton_schulz_errors(kw):
    def run(lib):
        p = lib.nn.Parameter(lib.ones(2, 3))
        opt = lib.optim.Muon([p], **kw)
        p.grad = lib.ones(2, 3)
        return _err(opt.step)
    exp, got = run(torch), run(ember)
    assert exp[0] == "ValueError" and got == exp
