"""Adafactor and SparseAdam against torch.optim (PyTorch 2.13): defaults, errors, state
layout (factored row/column moments for 2-D and higher, a full variance for 0-D/1-D),
state_dict round trips, hooks and closures. Trajectories: test_optim_more_trajectories.py."""

import pickle

import numpy as np
import pytest
import torch

import ember

SHAPES = [(4, 3), (3,), (2, 3, 5), (), (1, 6), (6, 1)]
_rng = np.random.default_rng(3)
INIT = [_rng.standard_normal(s) for s in SHAPES]
GRADS = [[_rng.standard_normal(s) * (2.0 if t % 4 == 0 else 0.2) for s in SHAPES]
         for t in range(12)]


def make(mod, dtype=np.float64, **kw):
    params = [mod.tensor(a.astype(dtype), requires_grad=True) for a in INIT]
    return params, mod.optim.Adafactor(params, **kw)


def steps(mod, params, opt, ts) -> np.ndarray:
    for t in ts:
        for p, g in zip(params, GRADS[t]):
            p.grad = mod.tensor(g.astype(p.detach().numpy().dtype))
        opt.step()
    return np.concatenate([p.detach().numpy().ravel() for p in params])


def test_defaults_and_signature_match_torch():
    pe, oe = make(ember)
    pt, ot = make(torch)
    assert oe.defaults == ot.defaults
    assert oe.param_groups[0].keys() == ot.param_groups[0].keys()
    assert ember.optim.Adafactor.__init__.__kwdefaults__ == \
        torch.optim.Adafactor.__init__.__kwdefaults__
    assert ember.optim.Adafactor.__init__.__defaults__ == \
        torch.optim.Adafactor.__init__.__defaults__


@pytest.mark.parametrize("kw", [{"lr": -1.0}, {"beta2_decay": 0.1}, {"eps": (-1.0, 1e-3)},
                                {"eps": (None, -1e-3)}, {"d": 0.5}, {"weight_decay": -0.1},
                                {"lr": "tensor2"}])
def test_errors_match_torch(kw):
    msgs = []
    for mod in (ember, torch):
        k = dict(kw)
        if k.get("lr") == "tensor2":
            k["lr"] = mod.tensor([0.1, 0.2])
        with pytest.raises(ValueError) as info:
            mod.optim.Adafactor([mod.zeros(2, requires_grad=True)], **k)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_state_layout_matches_torch():
    pe, oe = make(ember)
    pt, ot = make(torch)
    steps(ember, pe, oe, range(3))
    steps(torch, pt, ot, range(3))
    se, st = oe.state_dict(), ot.state_dict()
    assert se["param_groups"] == st["param_groups"]
    assert se["state"].keys() == st["state"].keys()
    for i in st["state"]:
        assert list(se["state"][i]) == list(st["state"][i])
        for key, vt in st["state"][i].items():
            ve = se["state"][i][key]
            assert tuple(ve.shape) == tuple(vt.shape), (i, key)
            assert str(ve.dtype).split(".")[-1] == str(vt.dtype).split(".")[-1], (i, key)
            np.testing.assert_allclose(ve.numpy(), vt.numpy(), rtol=1e-12, atol=1e-15)


def test_params_without_grad_are_skipped_and_closure_returns_loss():
    res = []
    for mod in (ember, torch):
        params, opt = make(mod, lr=0.05)
        params[0].grad = mod.tensor(GRADS[0][0])
        params[3].grad = mod.tensor(GRADS[0][3])
        loss = opt.step(lambda: 1.25)
        res.append((loss, sorted(opt.state_dict()["state"]),
                    np.concatenate([p.detach().numpy().ravel() for p in params])))
    assert res[0][:2] == res[1][:2] == (1.25, [0, 3])
    np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-13)
    assert not np.allclose(res[0][2], np.concatenate([a.ravel() for a in INIT]))


def test_state_dict_round_trip_continues_the_trajectory():
    params, opt = make(ember, lr=0.05, weight_decay=0.01)
    full = steps(ember, params, opt, range(12))
    params, opt = make(ember, lr=0.05, weight_decay=0.01)
    steps(ember, params, opt, range(5))
    saved = pickle.loads(pickle.dumps((opt.state_dict(), [p.detach().numpy().copy()
                                                          for p in params])))
    params2 = [ember.tensor(a, requires_grad=True) for a in saved[1]]
    opt2 = ember.optim.Adafactor(params2)
    opt2.load_state_dict(saved[0])
    assert opt2.param_groups[0]["lr"] == 0.05
    np.testing.assert_array_equal(steps(ember, params2, opt2, range(5, 12)), full)
    pt, ot = make(torch, lr=0.05, weight_decay=0.01)
    np.testing.assert_allclose(full, steps(torch, pt, ot, range(12)), rtol=1e-12, atol=1e-14)


def test_float32_state_and_eps_follow_the_dtype():
    pe, oe = make(ember, np.float32)
    pt, ot = make(torch, np.float32)
    np.testing.assert_allclose(steps(ember, pe, oe, range(6)), steps(torch, pt, ot, range(6)),
                               rtol=0, atol=2e-6)
    assert oe.state[pe[0]]["row_var"].dtype == ember.float32
    assert oe.state[pe[0]]["step"].dtype == ember.float32


def test_tensor_lr_and_hooks():
    seen = []
    for mod in (ember, torch):
        params, opt = make(mod, lr=mod.tensor(0.05), weight_decay=0.3)
        calls = []
        opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
        opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
        seen.append((steps(mod, params, opt, range(3)), calls))
    np.testing.assert_allclose(seen[0][0], seen[1][0], rtol=1e-12)
    assert seen[0][1] == seen[1][1] == ["pre", "post"] * 3


def test_schedulers_refuse_momentum_cycling_without_momentum():
    for mod in (ember, torch):
        _, opt = make(mod)
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            mod.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10)


# ---- SparseAdam ------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{"lr": 0.0}, {"eps": 0.0}, {"betas": (1.0, 0.9)},
                                {"betas": (0.9, -0.1)}])
def test_sparse_adam_constructor_errors_match_torch(kw):
    msgs = []
    for mod in (ember, torch):
        with pytest.raises(ValueError) as info:
            mod.optim.SparseAdam([mod.zeros(2, requires_grad=True)], **kw)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_sparse_adam_refuses_dense_gradients_like_torch():
    for mod in (ember, torch):
        p = mod.ones(3, requires_grad=True)
        opt = mod.optim.SparseAdam([p], lr=0.1)
        assert opt.defaults == {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8,
                                "maximize": False}
        assert opt.step(lambda: 2.0) == 2.0  # no gradient: nothing to do
        p.grad = mod.ones(3)
        with pytest.raises(RuntimeError, match="^SparseAdam does not support dense gradients, "
                                               "please consider Adam instead"):
            opt.step()
        assert opt.state_dict()["state"] == {}
        assert p.detach().numpy().tolist() == [1.0, 1.0, 1.0]


def test_lazy_exports():
    assert set(ember.optim.__all__) >= {"Adafactor", "SparseAdam", "swa_utils"}
    assert ember.optim.Adafactor.__module__ == "ember.optim.adafactor"
    assert ember.optim.swa_utils.__name__ == "ember.optim.swa_utils"
    with pytest.raises(AttributeError, match="has no attribute 'Adafactory'"):
        ember.optim.Adafactory
