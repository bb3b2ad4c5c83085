"""Optimizers driven by the new schedulers (and Adafactor) follow PyTorch 2.13's parameter
trajectories from identical initial weights, in float64 (to ~1e-12) and float32.

Gradients are those of a fixed smooth loss, computed in NumPy float64 from the current
parameter values (plus fixed per-step noise), so both frameworks see the same gradients
and the test checks update rules and schedules only."""

import warnings

import numpy as np
import pytest
import torch

import ember

SHAPES = [(6, 5), (5,), (3, 4, 2), (), (1, 7)]
_rng = np.random.default_rng(7)
INIT = [_rng.standard_normal(s) * 0.7 for s in SHAPES]
CURV = [0.5, 1.5, 0.8, 2.0, 0.3]
NOISE = [[0.1 * _rng.standard_normal(s) for s in SHAPES] for _ in range(40)]


def grads(ws: list, t: int) -> list:
    """d/dw of sum(c w^2 / 2 + 0.3 sin(3 w)): curvature plus wiggles, in float64."""
    return [c * w + 0.9 * np.cos(3 * w) + n for c, w, n in zip(CURV, ws, NOISE[t])]


def trajectory(mod, dtype, opt: str, okw: dict, make=None, steps: int = 40) -> np.ndarray:
    params = [mod.tensor(a.astype(dtype), requires_grad=True) for a in INIT]
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": okw.pop("lr2", None)}]
    if groups[1]["lr"] is None:
        del groups[1]["lr"]
    o = getattr(mod.optim, opt)(groups, **okw)
    sched = make(mod.optim.lr_scheduler, o) if make else None
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in range(steps):
            gs = grads([np.asarray(p.detach().numpy(), np.float64) for p in params], t)
            for p, g in zip(params, gs):
                p.grad = mod.tensor(g.astype(dtype))
            o.step()
            if sched is not None:
                sched.step()
            out.append(np.concatenate([np.asarray(p.detach().numpy(), np.float64).ravel()
                                       for p in params]))
    return np.array(out)


CASES = {
    "SGD-nesterov+OneCycle": ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True},
                              lambda S, o: S.OneCycleLR(o, [0.2, 0.1], total_steps=40)),
    "Adam+OneCycle-3phase": ("Adam", {"lr": 0.01},
                             lambda S, o: S.OneCycleLR(o, 0.05, total_steps=45,
                                                       three_phase=True,
                                                       anneal_strategy="linear")),
    "AdamW+Cyclic-exp": ("AdamW", {"lr": 0.01, "weight_decay": 0.05},
                         lambda S, o: S.CyclicLR(o, 0.001, 0.03, step_size_up=6,
                                                 mode="exp_range", gamma=0.98)),
    "SGD+Cyclic-tri2": ("SGD", {"lr": 0.1, "momentum": 0.5, "lr2": 0.05},
                        lambda S, o: S.CyclicLR(o, [0.01, 0.005], [0.1, 0.05], step_size_up=4,
                                                mode="triangular2")),
    "RMSprop+Cyclic": ("RMSprop", {"lr": 0.01, "momentum": 0.5},
                       lambda S, o: S.CyclicLR(o, 0.001, 0.01, step_size_up=5,
                                               base_momentum=0.3, max_momentum=0.7)),
    "Adam+WarmRestarts": ("Adam", {"lr": 0.03, "amsgrad": True},
                          lambda S, o: S.CosineAnnealingWarmRestarts(o, 4, T_mult=2,
                                                                     eta_min=1e-3)),
    "SGD+Polynomial": ("SGD", {"lr": 0.1, "weight_decay": 0.01},
                       lambda S, o: S.PolynomialLR(o, total_iters=30, power=1.5)),
    "NAdam+Sequential": ("NAdam", {"lr": 0.02},
                         lambda S, o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=8),
                                                         S.CosineAnnealingLR(o, 32)], [8])),
    "Adagrad+Chained": ("Adagrad", {"lr": 0.1},
                        lambda S, o: S.ChainedScheduler([S.ConstantLR(o, 0.5, total_iters=5),
                                                         S.ExponentialLR(o, 0.95)])),
    "Adafactor": ("Adafactor", {}, None),
    "Adafactor-wd-d": ("Adafactor", {"lr": 0.05, "weight_decay": 0.1, "d": 2.0,
                                     "beta2_decay": -0.5}, None),
    "Adafactor-maximize": ("Adafactor", {"lr": 0.02, "maximize": True}, None),
    "Adafactor-eps": ("Adafactor", {"lr": 0.3, "eps": (1e-4, 1e-2), "lr2": 0.1}, None),
    "Adafactor+OneCycle": ("Adafactor", {},
                           lambda S, o: S.OneCycleLR(o, 0.1, total_steps=40,
                                                     cycle_momentum=False)),
    "Adafactor+WarmRestarts": ("Adafactor", {"lr": 0.1},
                               lambda S, o: S.CosineAnnealingWarmRestarts(o, 10)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_float64_trajectory_matches_torch(name):
    opt, kw, make = CASES[name]
    ours = trajectory(ember, np.float64, opt, dict(kw), make)
    ref = trajectory(torch, np.float64, opt, dict(kw), make)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-13)
    assert np.abs(ref[-1] - ref[0]).max() > 0.05  # the parameters really move


@pytest.mark.parametrize("name", list(CASES))
def test_float32_trajectory_matches_torch(name):
    opt, kw, make = CASES[name]
    ours = trajectory(ember, np.float32, opt, dict(kw), make)
    ref = trajectory(torch, np.float32, opt, dict(kw), make)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-6)
