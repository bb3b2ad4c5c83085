"""ember.optim.swa_utils against torch.optim.swa_utils (PyTorch 2.13) on the same weights:
AveragedModel with each averaging function (parameters and buffers float for float), SWALR's
lr sequences, update_bn's running statistics, a whole SWA training loop, errors."""

import pickle
import warnings

import numpy as np
import pytest
import torch

import ember

_rng = np.random.default_rng(11)
SHAPES = [(4, 3), (4,), (4,), (4,), (2, 4), (2,)]  # Linear, BatchNorm1d affine, Linear
WEIGHTS = [_rng.standard_normal(s) for s in SHAPES]
BUFFERS = [[_rng.standard_normal(4), _rng.uniform(0.5, 2.0, 4)] for _ in range(6)]
X = [_rng.standard_normal((8, 3)) for _ in range(5)]


def net(mod, dtype):
    model = mod.nn.Sequential(mod.nn.Linear(3, 4), mod.nn.BatchNorm1d(4), mod.nn.ReLU(),
                              mod.nn.Linear(4, 2)).to(getattr(mod, dtype))
    with mod.no_grad():
        for p, w in zip(model.parameters(), WEIGHTS):
            p.copy_(mod.tensor(w))
    return model


def averaged(mod, dtype, steps=6, **kw):
    """Move the model's weights (and set its BN buffers) deterministically, folding each
    state into an AveragedModel; return its state_dict values (float64 arrays) per step."""
    S = mod.optim.swa_utils
    kw = {k: (v(S) if callable(v) and k != "use_buffers" else v) for k, v in kw.items()}
    model = net(mod, dtype)
    avg = S.AveragedModel(model, **kw)
    out = []
    with mod.no_grad():
        for t in range(steps):
            for i, p in enumerate(model.parameters()):
                p.mul_(0.9).add_(mod.tensor(WEIGHTS[i] * 0.1 * (t + 1)).to(p.dtype))
            bn = model[1]
            bn.running_mean.copy_(mod.tensor(BUFFERS[t][0]))
            bn.running_var.copy_(mod.tensor(BUFFERS[t][1]))
            bn.num_batches_tracked.fill_(3 * t + 1)
            avg.update_parameters(model)
            out.append({k: np.asarray(v.detach().numpy(), np.float64).copy()
                        for k, v in avg.state_dict().items()})
    return out, avg


AVERAGING = {
    "swa": {},
    "ema-multi": {"multi_avg_fn": lambda S: S.get_ema_multi_avg_fn(0.9)},
    "ema": {"avg_fn": lambda S: S.get_ema_avg_fn(0.8)},
    "swa-multi": {"multi_avg_fn": lambda S: S.get_swa_multi_avg_fn()},
    "swa-fn": {"avg_fn": lambda S: S.get_swa_avg_fn()},
    "swa-buffers": {"use_buffers": True},
    "ema-buffers": {"multi_avg_fn": lambda S: S.get_ema_multi_avg_fn(0.9), "use_buffers": True},
    "ema-fn-buffers": {"avg_fn": lambda S: S.get_ema_avg_fn(0.5), "use_buffers": True},
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(AVERAGING))
def test_averaged_model_matches_torch(name, dtype):
    ours, avg_e = averaged(ember, dtype, **AVERAGING[name])
    ref, avg_t = averaged(torch, dtype, **AVERAGING[name])
    assert [list(s) for s in ours] == [list(s) for s in ref]
    for se, st in zip(ours, ref):
        for key in st:  # (float64 lerp is one exact fused multiply-add too: ops/ternary.py)
            np.testing.assert_array_equal(se[key], st[key], err_msg=key)
    assert ref[-1]["n_averaged"] == 6 and avg_e.n_averaged.dtype == ember.int64
    assert not np.array_equal(ref[-1]["module.0.weight"], ref[0]["module.0.weight"])


def test_averaging_functions_directly():
    """The functions alone, with a tensor count (SWA's weight is then 1/(n+1) in float32)."""
    for dtype in ("float32", "float64"):
        res = []
        for mod in (ember, torch):
            S = mod.optim.swa_utils
            a = [mod.tensor(w).to(getattr(mod, dtype)) for w in WEIGHTS[:3]]
            b = [mod.tensor(w * 2 + 1).to(getattr(mod, dtype)) for w in WEIGHTS[:3]]
            n = mod.tensor(2)
            S.get_swa_multi_avg_fn()(a, b, n)
            S.get_ema_multi_avg_fn(0.7)(a, b, n)
            c = S.get_swa_avg_fn()(a[0], b[0], n)
            d = S.get_ema_avg_fn(0.3)(a[1], b[1], 5)
            ints = [mod.tensor([4, 9])]
            S.get_ema_multi_avg_fn(0.5)(ints, [mod.tensor([8, 2])], 1)
            with pytest.raises(RuntimeError, match="^For integral input tensors, argument alpha "
                                                   "must not be a floating point number"):
                S.get_swa_multi_avg_fn()(ints, [mod.tensor([1, 1])], 2)
            res.append([x.numpy() for x in a + [c, d] + ints])
        for x, y in zip(*res):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


def test_errors_match_torch():
    msgs = []
    for mod in (ember, torch):
        S = mod.optim.swa_utils
        got = []
        for fn in (lambda: S.get_ema_multi_avg_fn(1.5), lambda: S.get_ema_avg_fn(-0.1),
                   lambda: S.AveragedModel(net(mod, "float32"), avg_fn=S.get_swa_avg_fn(),
                                           multi_avg_fn=S.get_swa_multi_avg_fn()),
                   lambda: averaged(mod, "float32", multi_avg_fn=lambda S: S.get_swa_multi_avg_fn(),
                                    use_buffers=True)):
            with pytest.raises(Exception) as info:
                fn()
            got.append((info.type.__name__, str(info.value).split("\n")[0]))
        msgs.append(got)
    assert msgs[0] == msgs[1]
    assert msgs[0][3][0] == "RuntimeError"  # integer num_batches_tracked through addcdiv


def test_forward_and_state_dict_keys():
    for dtype in ("float32", "float64"):
        outs = []
        for mod in (ember, torch):
            model = net(mod, dtype).eval()
            avg = mod.optim.swa_utils.AveragedModel(model).eval()
            x = mod.tensor(X[0]).to(getattr(mod, dtype))
            outs.append((avg(x).detach().numpy(), list(avg.state_dict()),
                         sorted(n for n, _ in avg.named_parameters())))
        np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-6)
        assert outs[0][1:] == outs[1][1:]


def bn_stats(mod, dtype, loader_kind):
    model = mod.nn.Sequential(mod.nn.Linear(3, 4), mod.nn.BatchNorm1d(4, momentum=0.3),
                              mod.nn.Linear(4, 4), mod.nn.BatchNorm1d(4),
                              mod.nn.Unflatten(1, (2, 2)),
                              mod.nn.InstanceNorm1d(2, track_running_stats=True))
    model = model.to(getattr(mod, dtype))
    with mod.no_grad():
        for p, w in zip(model[0].parameters(), WEIGHTS[:2]):
            p.copy_(mod.tensor(w))
        model[2].weight.copy_(mod.tensor(np.outer(WEIGHTS[0][:, 0], WEIGHTS[1])))
        model[2].bias.copy_(mod.tensor(WEIGHTS[3]))
        model[5].running_mean.fill_(7.0)  # InstanceNorm is no BatchNorm: not reset
    model.eval()
    xs = [mod.tensor(x).to(getattr(mod, dtype)) for x in X]
    loader = xs if loader_kind == "tensors" else [(x, 0) for x in xs]
    mod.optim.swa_utils.update_bn(loader, model)
    bns = (model[1], model[3])
    stats = [np.asarray(b.numpy(), np.float64) for m in bns + (model[5],)
             for b in (m.running_mean, m.running_var)]
    return (stats, [int(m.num_batches_tracked) for m in bns + (model[5],)],
            [m.momentum for m in bns + (model[5],)], model.training)


@pytest.mark.parametrize("dtype,tol", [("float32", 2e-6), ("float64", 1e-12)])
@pytest.mark.parametrize("loader_kind", ["tensors", "pairs"])
def test_update_bn_matches_torch(dtype, tol, loader_kind):
    ours, ref = bn_stats(ember, dtype, loader_kind), bn_stats(torch, dtype, loader_kind)
    for a, b in zip(ours[0], ref[0]):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert ours[1:] == ref[1:] == ([5, 5, 0], [0.3, 0.1, 0.1], False)
    assert 0.5 < ref[0][4].min() < 7.0  # InstanceNorm's running mean moved on from 7


def swalr_lrs(mod, steps=25, **kw):
    groups = [{"params": [mod.zeros(1, requires_grad=True)], "lr": lr} for lr in (0.5, 0.2)]
    opt = mod.optim.SGD(groups, momentum=0.9)
    sched = mod.optim.swa_utils.SWALR(opt, **kw)
    out = [list(sched.get_last_lr())]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(list(sched.get_last_lr()))
    return out, sched


@pytest.mark.parametrize("kw", [{"swa_lr": 0.05}, {"swa_lr": [0.05, 0.01], "anneal_epochs": 5},
                                {"swa_lr": 0.1, "anneal_epochs": 7,
                                 "anneal_strategy": "linear"},
                                {"swa_lr": 0.05, "anneal_epochs": 0},
                                {"swa_lr": 0.05, "anneal_epochs": 1}])
def test_swalr_sequences_and_state_match_torch(kw):
    ours, se = swalr_lrs(ember, **kw)
    ref, st = swalr_lrs(torch, **kw)
    assert ours == ref
    sd_e, sd_t = se.state_dict(), st.state_dict()
    assert sorted(sd_e) == sorted(sd_t)
    assert "anneal_func" not in sd_t
    restored = pickle.loads(pickle.dumps(sd_e))
    _, fresh = swalr_lrs(ember, steps=0, **kw)
    fresh.load_state_dict(restored)
    assert fresh.anneal_func(0.5) == st.anneal_func(0.5)


def test_swalr_errors_match_torch():
    msgs = []
    for mod in (ember, torch):
        opt = mod.optim.SGD([mod.zeros(1, requires_grad=True)], lr=0.1)
        got = []
        for kw in ({"swa_lr": 0.1, "anneal_strategy": "exp"}, {"swa_lr": 0.1, "anneal_epochs": -1},
                   {"swa_lr": 0.1, "anneal_epochs": 2.5}, {"swa_lr": [0.1, 0.2]}):
            with pytest.raises(ValueError) as info:
                mod.optim.swa_utils.SWALR(opt, **kw)
            got.append(str(info.value))
        msgs.append(got)
    assert msgs[0] == msgs[1]


def swa_training(mod, dtype):
    """PyTorch's SWA recipe: cosine annealing, then SWALR with weight averaging from epoch 10."""
    model = net(mod, dtype)
    model[1].eval()
    opt = mod.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    cos = mod.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
    swa_model = mod.optim.swa_utils.AveragedModel(model)
    swa_sched = mod.optim.swa_utils.SWALR(opt, swa_lr=0.02, anneal_epochs=4)
    target = [np.sin(np.arange(p.numel()).reshape(tuple(p.shape))) for p in model.parameters()]
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(20):
            for p, t in zip(model.parameters(), target):
                p.grad = (p.detach() - mod.tensor(t).to(p.dtype)) * 0.5
            opt.step()
            if epoch >= 10:
                swa_model.update_parameters(model)
                swa_sched.step()
            else:
                cos.step()
            lrs.append(opt.param_groups[0]["lr"])
    return lrs, [np.asarray(p.detach().numpy(), np.float64) for p in swa_model.parameters()]


@pytest.mark.parametrize("dtype,tol", [("float32", 2e-6), ("float64", 1e-13)])
def test_swa_training_loop_matches_torch(dtype, tol):
    lrs_e, ps_e = swa_training(ember, dtype)
    lrs_t, ps_t = swa_training(torch, dtype)
    assert lrs_e == lrs_t
    for a, b in zip(ps_e, ps_t):
        np.testing.assert_allclose(a, b, rtol=0, atol=tol)
    assert abs(ps_t[0] - WEIGHTS[0]).max() > 0.1
