"""Learning-rate schedules equal torch.optim.lr_scheduler's over 30+ epochs, float for float."""

import math
import pickle
import warnings

import pytest
import torch

import ember


def lrs(mod, make_sched, epochs=35, groups=2, metrics=None):
    params = [mod.zeros(1, requires_grad=True) for _ in range(groups)]
    opt = mod.optim.SGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)],
                        lr=0.1, momentum=0.9)
    sched = make_sched(mod.optim.lr_scheduler, opt)
    out = [sched.get_last_lr()]
    for epoch in range(epochs):
        for p in params:
            p.grad = mod.ones(1)
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[epoch])
        out.append(list(sched.get_last_lr()))
        assert out[-1] == [g["lr"] for g in opt.param_groups]
    return out, sched


SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[3, 8, 8, 20], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 0.95 ** e + 0.01 * (e % 3)),
    "LambdaLR-list": lambda S, o: S.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.97),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=12),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.4, total_iters=6),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_schedule_matches_torch(name):
    ours, _ = lrs(ember, SCHEDULERS[name])
    ref, _ = lrs(torch, SCHEDULERS[name])
    assert ours == ref
    assert len(set(map(tuple, ref))) >= 2   # the schedule really changes


LOSSES = [1.0, 0.9, 0.95, 0.95, 0.95, 0.94, 0.96, 0.97, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4999,
          0.6, 0.6, 0.6, 0.6, 0.3, 0.31, 0.32, 0.33, 0.34, 0.35, 0.36, 0.2, 0.2, 0.2, 0.2,
          0.2, 0.2, 0.2, 0.2, 0.2, 0.2]


@pytest.mark.parametrize("kw", [
    {"patience": 2},
    {"mode": "max", "patience": 1, "factor": 0.5},
    {"patience": 1, "cooldown": 3, "threshold": 0.05, "threshold_mode": "abs"},
    {"patience": 0, "factor": 0.5, "min_lr": [0.02, 0.05]},
    {"patience": 1, "factor": 0.2, "min_lr": 0.01, "eps": 1e-3},
])
def test_reduce_on_plateau_matches_torch(kw):
    def make(S, o):
        return S.ReduceLROnPlateau(o, **kw)
    ours, so = lrs(ember, make, metrics=LOSSES)
    ref, st = lrs(torch, make, metrics=LOSSES)
    assert ours == ref
    assert ref[-1] != ref[0]
    assert (so.best, so.num_bad_epochs, so.cooldown_counter, so.last_epoch) == \
        (st.best, st.num_bad_epochs, st.cooldown_counter, st.last_epoch)


def test_reduce_on_plateau_errors():
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        ember.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        ember.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="avg")


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "LinearLR"])
def test_state_dict_keys_match_torch_and_resume(name):
    _, so = lrs(ember, SCHEDULERS[name], epochs=7)
    _, st = lrs(torch, SCHEDULERS[name], epochs=7)
    sd_o, sd_t = so.state_dict(), st.state_dict()
    assert set(sd_o) - {"_is_initial"} <= set(sd_t) | {"_opt_called"}
    for key in ("base_lrs", "last_epoch", "_step_count", "_last_lr"):
        assert sd_o[key] == sd_t[key]
    # resume: a fresh scheduler loading the state continues the same sequence
    full, _ = lrs(ember, SCHEDULERS[name], epochs=12)
    params = [ember.zeros(1, requires_grad=True) for _ in range(2)]
    opt = ember.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, full[7])],
                          lr=0.1)
    sched = SCHEDULERS[name](ember.optim.lr_scheduler, opt)
    sched.load_state_dict(pickle.loads(pickle.dumps(sd_o)))
    for g, lr in zip(opt.param_groups, full[7]):
        g["lr"] = lr
    rest = []
    for _ in range(5):
        opt.step()
        sched.step()
        rest.append(sched.get_last_lr())
    assert rest == full[8:13]


def test_chained_schedulers_match_torch():
    def run(mod):
        p = mod.zeros(1, requires_grad=True)
        opt = mod.optim.Adam([p], lr=0.05)
        a = mod.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
        b = mod.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        out = []
        for _ in range(20):
            p.grad = mod.ones(1)
            opt.step()
            a.step()
            b.step()
            out.append(opt.param_groups[0]["lr"])
        return out
    assert run(ember) == run(torch)


def test_step_order_warning():
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
    sched = ember.optim.lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
    sched2 = ember.optim.lr_scheduler.StepLR(opt2, 2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_cosine_closed_form_with_epoch_argument():
    for mod in (ember, torch):
        opt = mod.optim.SGD([mod.zeros(1, requires_grad=True)], lr=1.0)
        sched = mod.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
        opt.step()
        with pytest.warns(UserWarning):
            sched.step(5)
        assert math.isclose(sched.get_last_lr()[0], 0.5, rel_tol=1e-12)
