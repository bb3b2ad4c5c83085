"""PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR, SequentialLR and
ChainedScheduler against torch.optim.lr_scheduler (PyTorch 2.13): lr and momentum/beta1
sequences float for float, parameter trajectories of optimizers they drive (float32 and
float64), state_dict round trips, errors; and the fixes to the older schedulers."""

import pickle
import subprocess
import sys
import warnings

import pytest
import torch

import ember


def run(mod, make, steps=50, opt="SGD", epochs=None):
    """lrs, momenta and betas after construction and after each step (two param groups)."""
    ps = [mod.zeros(1, requires_grad=True) for _ in range(2)]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(ps, [0.1, 0.25])]
    if opt == "SGD":
        o = mod.optim.SGD(groups, lr=0.1, momentum=0.9)
    else:
        o = mod.optim.Adam(groups, lr=0.1)
    sched = make(mod.optim.lr_scheduler, o)

    def snap():
        assert list(sched.get_last_lr()) == [g["lr"] for g in o.param_groups]
        return ([float(x) for x in sched.get_last_lr()],
                [g.get("momentum") for g in o.param_groups],
                [g.get("betas") for g in o.param_groups])
    out = [snap()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(steps):
            o.step()
            sched.step() if epochs is None else sched.step(epochs[i])
            out.append(snap())
    return out


NEW = {
    "Polynomial": lambda S, o: S.PolynomialLR(o),
    "Polynomial-power": lambda S, o: S.PolynomialLR(o, total_iters=30, power=2.5),
    "WarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, 7),
    "WarmRestarts-mult": lambda S, o: S.CosineAnnealingWarmRestarts(o, 3, T_mult=2,
                                                                    eta_min=0.01),
    "Cyclic": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4),
    "Cyclic-tri2": lambda S, o: S.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], step_size_up=3,
                                           step_size_down=5, mode="triangular2"),
    "Cyclic-exp": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range",
                                          gamma=0.97, base_momentum=0.7, max_momentum=0.95),
    "Cyclic-fn": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5,
                                         scale_fn=lambda x: 1 / (x + 1),
                                         scale_mode="iterations", cycle_momentum=False),
    "OneCycle": lambda S, o: S.OneCycleLR(o, 0.5, total_steps=50),
    "OneCycle-3phase": lambda S, o: S.OneCycleLR(
        o, [0.5, 1.0], epochs=5, steps_per_epoch=10, pct_start=0.25,
        anneal_strategy="linear", three_phase=True, base_momentum=[0.8, 0.7]),
    "OneCycle-nomom": lambda S, o: S.OneCycleLR(o, 0.5, total_steps=60, cycle_momentum=False,
                                                div_factor=10, final_div_factor=100),
    "Sequential": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.1, total_iters=5), S.CosineAnnealingLR(o, 20),
            S.ExponentialLR(o, 0.9)], milestones=[5, 25]),
    "Sequential-lambda": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, 0.5, total_iters=3), S.LambdaLR(o, lambda e: 0.9 ** e),
            S.PolynomialLR(o, 10)], milestones=[4, 12]),
    "Sequential-restarts": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.2, total_iters=4), S.CosineAnnealingWarmRestarts(o, 6)],
        milestones=[4]),
    "Chained": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, 0.5, total_iters=4), S.ExponentialLR(o, 0.95), S.StepLR(o, 7, 0.3)]),
    "Chained-opt": lambda S, o: S.ChainedScheduler(
        [S.LinearLR(o, 0.3, total_iters=10), S.CosineAnnealingLR(o, 13)], optimizer=o),
    "Sequential-of-chained": lambda S, o: S.SequentialLR(
        o, [S.ChainedScheduler([S.LinearLR(o, 0.3, total_iters=10), S.ExponentialLR(o, 0.97)]),
            S.StepLR(o, 4)], milestones=[15]),
}


MOMENTUM_CYCLING = {"Cyclic", "Cyclic-tri2", "Cyclic-exp", "OneCycle", "OneCycle-3phase"}


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(NEW))
def test_lr_and_momentum_sequences_match_torch(name, opt):
    ours, ref = run(ember, NEW[name], opt=opt), run(torch, NEW[name], opt=opt)
    assert ours == ref
    assert len({tuple(r[0]) for r in ref}) >= 5  # the schedule really moves
    if name in MOMENTUM_CYCLING:
        key = 1 if opt == "SGD" else 2
        assert len({str(r[key]) for r in ref}) >= 5  # and so does momentum / beta1


FRACTIONAL = [(i * 7) % 23 + 0.5 * (i % 2) for i in range(50)]


@pytest.mark.parametrize("name", ["Polynomial", "Polynomial-power", "WarmRestarts",
                                  "WarmRestarts-mult"])
def test_step_with_epoch_matches_torch(name):
    assert run(ember, NEW[name], epochs=FRACTIONAL) == run(torch, NEW[name], epochs=FRACTIONAL)


OLD = {
    "StepLR": lambda S, o: S.StepLR(o, 3, 0.7),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, [2, 5, 5, 9, 30], 0.5),
    "ConstantLR": lambda S, o: S.ConstantLR(o),
    "ConstantLR-0": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=0),
    "LinearLR": lambda S, o: S.LinearLR(o, 1.0, 0.1, 40),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, 0.95),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, 13, eta_min=0.01),
    "CosineAnnealingLR-1": lambda S, o: S.CosineAnnealingLR(o, 1, eta_min=0.01),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 1.01),
}


@pytest.mark.parametrize("epochs", [None, "halves", "jumps"])
@pytest.mark.parametrize("name", list(OLD))
def test_older_schedulers_over_50_steps(name, epochs):
    """ConstantLR had no closed form, so step(epoch) differed from PyTorch."""
    ep = {None: None, "halves": [i // 2 for i in range(1, 51)],
          "jumps": [(i * 7) % 23 for i in range(50)]}[epochs]
    assert run(ember, OLD[name], epochs=ep) == run(torch, OLD[name], epochs=ep)


def test_one_cycle_overstep_error():
    for mod in (ember, torch):
        o = mod.optim.SGD([mod.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        s = mod.optim.lr_scheduler.OneCycleLR(o, 0.5, total_steps=3)
        for _ in range(3):
            o.step()
            s.step()
        with pytest.raises(ValueError, match=r"^Tried to step 4 times\. The specified number "
                                             r"of total steps is 3$"):
            s.step()


def errors(mod):
    S = mod.optim.lr_scheduler
    p = mod.zeros(1, requires_grad=True)
    sgd = mod.optim.SGD([p], lr=0.1, momentum=0.9)
    cases = [
        lambda: S.OneCycleLR(sgd, 0.1),
        lambda: S.OneCycleLR(sgd, 0.1, total_steps=0),
        lambda: S.OneCycleLR(sgd, 0.1, total_steps=2.5),
        lambda: S.OneCycleLR(sgd, 0.1, epochs=0, steps_per_epoch=3),
        lambda: S.OneCycleLR(sgd, 0.1, epochs=2, steps_per_epoch=1.5),
        lambda: S.OneCycleLR(sgd, 0.1, epochs=2),
        lambda: S.OneCycleLR(sgd, 0.1, total_steps=10, pct_start=1),
        lambda: S.OneCycleLR(sgd, 0.1, total_steps=10, pct_start=1.5),
        lambda: S.OneCycleLR(sgd, 0.1, total_steps=10, anneal_strategy="exp"),
        lambda: S.OneCycleLR(sgd, [0.1, 0.2], total_steps=10),
        lambda: S.OneCycleLR(mod.optim.Adagrad([p]), 0.1, total_steps=10),
        lambda: S.OneCycleLR(object(), 0.1, total_steps=10),
        lambda: S.CyclicLR(sgd, 0.01, 0.1, mode="sine"),
        lambda: S.CyclicLR(mod.optim.Rprop([p]), 0.01, 0.1),
        lambda: S.CyclicLR(sgd, 0.01, [0.1, 0.2, 0.3]),
        lambda: S.CosineAnnealingWarmRestarts(sgd, 0),
        lambda: S.CosineAnnealingWarmRestarts(sgd, 2.0),
        lambda: S.CosineAnnealingWarmRestarts(sgd, 2, T_mult=0),
        lambda: S.CosineAnnealingWarmRestarts(sgd, 2, T_mult=1.5),
        lambda: S.CosineAnnealingWarmRestarts(sgd, 2, eta_min="0"),
        lambda: S.CosineAnnealingWarmRestarts(sgd, 2).step(-1),
        lambda: S.SequentialLR(sgd, [], []),
        lambda: S.SequentialLR(sgd, [S.StepLR(sgd, 2), S.StepLR(sgd, 3)], [1, 2]),
        lambda: S.SequentialLR(sgd, [S.ReduceLROnPlateau(sgd)], []),
        lambda: S.SequentialLR(sgd, [3], []),
        lambda: S.ChainedScheduler([]),
        lambda: S.ChainedScheduler([S.StepLR(sgd, 2), S.ReduceLROnPlateau(sgd)]),
        lambda: S.MultiplicativeLR(sgd, 0.9),
        lambda: S.LambdaLR(sgd, [lambda e: 1, lambda e: 2]),
        lambda: S.StepLR(mod.optim.SGD([p], lr=0.1), 2, last_epoch=3),
    ]
    out = []
    for case in cases:
        with pytest.raises(Exception) as info:
            case()
        out.append((info.type.__name__, str(info.value)))
    other = mod.optim.SGD([mod.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError) as info:
        S.ChainedScheduler([S.StepLR(sgd, 2), S.StepLR(other, 2)])
    out.append(str(info.value).split(" has ")[0])
    return out


def test_errors_match_torch():
    assert errors(ember) == errors(torch)


def state_run(mod, make, opt="SGD", first=12, second=15):
    """Step ``first`` times, save, rebuild a fresh optimizer and scheduler, load both
    states (through pickle) and step ``second`` more; return the state dict and both lr
    sequences."""
    def build():
        groups = [{"params": [mod.zeros(1, requires_grad=True)], "lr": lr} for lr in (0.1, 0.25)]
        o = (mod.optim.SGD(groups, momentum=0.9) if opt == "SGD"
             else mod.optim.Adam(groups))
        return o, make(mod.optim.lr_scheduler, o)

    def snap(s, o):
        return (list(s.get_last_lr()), [g.get("momentum") for g in o.param_groups],
                [g.get("betas") for g in o.param_groups])

    o, s = build()
    seq = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(first + second):
            o.step()
            s.step()
            seq.append(snap(s, o))
        o, s = build()
        for _ in range(first):
            o.step()
            s.step()
        sd, osd = pickle.dumps(s.state_dict()), pickle.dumps(o.state_dict())
        o2, s2 = build()
        o2.load_state_dict(pickle.loads(osd))
        s2.load_state_dict(pickle.loads(sd))
        resumed = []
        for _ in range(second):
            o2.step()
            s2.step()
            resumed.append(snap(s2, o2))
    return s.state_dict(), seq, resumed


def _keys(sd):
    if isinstance(sd, dict):
        return {k: _keys(v) if k == "_schedulers" else None for k, v in sd.items()}
    return [_keys(x) for x in sd]


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
@pytest.mark.parametrize("name", ["Polynomial-power", "WarmRestarts-mult", "Cyclic-exp",
                                  "Cyclic-fn", "OneCycle", "OneCycle-3phase", "Sequential",
                                  "Chained", "Sequential-of-chained"])
def test_state_dict_round_trip(name, opt):
    sd_e, seq_e, res_e = state_run(ember, NEW[name], opt)
    sd_t, seq_t, res_t = state_run(torch, NEW[name], opt)
    assert seq_e == seq_t
    assert res_e == seq_e[12:]  # resuming continues the same sequence
    assert res_t == seq_t[12:]
    assert _keys(sd_e) == _keys(sd_t)
    for key in ("last_epoch", "_step_count", "_last_lr", "base_lrs", "total_steps", "T_cur",
                "T_i", "_milestones"):
        if key in sd_t:
            assert sd_e[key] == sd_t[key], key


class Halving:
    """A callable scale_fn: its __dict__ travels in the state dict."""

    def __init__(self):
        self.base = 2.0

    def __call__(self, x):
        return 1 / self.base ** (x - 1)


def test_cyclic_callable_scale_fn_state():
    for mod in (ember, torch):
        o = mod.optim.SGD([mod.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        fn = Halving()
        s = mod.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=fn)
        fn.base = 3.0
        sd = s.state_dict()
        assert sd["_scale_fn_custom"] == {"base": 3.0}
        fn.base = 5.0
        s.load_state_dict(sd)
        assert fn.base == 3.0


def test_new_schedulers_load_lazily():
    code = ("import sys, ember; ember.optim.lr_scheduler.StepLR; "
            "assert 'ember.optim.lr_scheduler_more' not in sys.modules; "
            "ember.optim.lr_scheduler.OneCycleLR; "
            "assert 'ember.optim.lr_scheduler_more' in sys.modules; "
            "from ember.optim.lr_scheduler import *; print(CyclicLR.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "CyclicLR"
    assert set(ember.optim.lr_scheduler.__all__) == set(torch.optim.lr_scheduler.__all__)


def caught(fn):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in rec]


@pytest.mark.parametrize("make", [OLD["StepLR"], OLD["CosineAnnealingLR"], NEW["OneCycle"],
                                  NEW["Cyclic"], NEW["WarmRestarts"], NEW["Polynomial"]])
def test_warnings_match_torch(make):
    def observe(mod):
        p = mod.zeros(1, requires_grad=True)
        o = mod.optim.SGD([p], lr=0.1, momentum=0.9)
        s = make(mod.optim.lr_scheduler, o)
        seen = [caught(s.get_lr)]  # outside step(): points to get_last_lr()
        o.step = lambda *a, **k: None  # replaced after the scheduler wrapped it
        seen.append(caught(s.step))
        seen.append(caught(s.step))
        seen.append(sorted(s.state_dict()))
        return seen
    ours, ref = observe(ember), observe(torch)
    assert ours == ref
    assert ref[0] == ["To get the last learning rate computed by the scheduler, please use "
                      "`get_last_lr()`."]


def test_order_warning_and_lr_tensor_groups():
    """lr as a Tensor is filled in place; the call-order warning fires once."""
    def observe(mod):
        p = mod.zeros(1, requires_grad=True)
        o = mod.optim.Adam([p], lr=mod.tensor(0.01))
        lr = o.param_groups[0]["lr"]
        s = mod.optim.lr_scheduler.OneCycleLR(o, 0.5, total_steps=10)
        msgs = caught(s.step) + caught(s.step)
        return msgs, o.param_groups[0]["lr"] is lr, float(lr), float(s.get_last_lr()[0])
    ours, ref = observe(ember), observe(torch)
    assert ours == ref
    assert len(ref[0]) == 1 and ref[0][0].startswith("Detected call of `lr_scheduler.step()`")
