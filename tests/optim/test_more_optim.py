"""RAdam, NAdam, Adamax, Adadelta, Rprop, ASGD and LBFGS against PyTorch 2.13: trajectories
(float32 and float64), errors, defaults, state_dict layout and exchange in both directions."""

import copy
import pickle

import numpy as np
import pytest
import torch
from optim.test_optim_trajectories import trajectory

import ember

CASES = [
    ("RAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.05, "betas": (0.8, 0.99)}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True}),
    ("RAdam", {"lr": 0.005, "betas": (0.3, 0.9), "eps": 1e-6}),
    ("NAdam", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.05, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True}),
    ("NAdam", {"lr": 0.005, "betas": (0.3, 0.9)}),
    ("Adamax", {"lr": 0.01}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.05, "betas": (0.8, 0.9), "maximize": True}),
    ("Adamax", {"lr": 0.005, "betas": (0.3, 0.99), "eps": 1e-3}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.05}),
    ("Adadelta", {"lr": 2.0, "maximize": True}),
    ("Rprop", {"lr": 0.001}),
    ("Rprop", {"lr": 0.01, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.05)}),
    ("Rprop", {"lr": 0.005, "maximize": True}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "t0": 10, "lambd": 0.01, "alpha": 0.5}),
    ("ASGD", {"lr": 0.05, "t0": 5, "weight_decay": 0.05, "maximize": True}),
]
IDS = [f"{c}-{i}" for i, (c, _) in enumerate(CASES)]
ARRAY_OPTS = ["RAdam", "NAdam", "Adamax", "Adadelta", "Rprop", "ASGD"]


@pytest.mark.parametrize("cls,kw", CASES, ids=IDS)
def test_float32_trajectory_matches_torch(cls, kw):
    sign = -1.0 if kw.get("maximize") else 1.0
    ours = trajectory(ember, cls, kw, sign=sign)
    ref = trajectory(torch, cls, kw, sign=sign)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-5)
    assert np.abs(ref[-1] - ref[0]).max() > 1e-2


@pytest.mark.parametrize("cls,kw", CASES, ids=IDS)
def test_fused_and_per_parameter_paths_agree_exactly(cls, kw, monkeypatch):
    fused = trajectory(ember, cls, kw, steps=20)
    monkeypatch.setattr(getattr(ember.optim, cls), "_fuse_min", 10 ** 9)
    single = trajectory(ember, cls, kw, steps=20)
    np.testing.assert_array_equal(fused, single)


@pytest.mark.parametrize("cls,kw", [CASES[i] for i in (1, 5, 9, 12, 15, 18)],
                         ids=[IDS[i] for i in (1, 5, 9, 12, 15, 18)])
def test_missing_grads_and_groups_match_torch(cls, kw):
    """Params without a grad on some steps lag (their own step, mu_product, eta); two
    groups with their own lr."""
    def skip(t, i):
        return (t + i) % (i + 2) == 0
    groups = [([0, 1, 2], {}), ([3, 4, 5], {"lr": kw.get("lr", 1.0) * 0.5})]
    ours = trajectory(ember, cls, kw, steps=60, skip=skip, groups=groups)
    ref = trajectory(torch, cls, kw, steps=60, skip=skip, groups=groups)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-5)


# ---- float64: a chained Rosenbrock-like function (a milder valley) over two parameters ------------------------
X0 = np.array([-1.2, 1.0, 0.8, -0.5, 1.5, 0.3])


def rosen_grad(x: np.ndarray) -> np.ndarray:
    g = np.zeros_like(x)
    a, b = x[:-1], x[1:]
    g[:-1] += -20 * a * (b - a * a) - 2 * (1 - a)   # sum 5 (b - a^2)^2 + (1 - a)^2
    g[1:] += 10 * (b - a * a)
    return g


def rosen_run(mod, cls, kw, steps=100, lr_edit=None):
    params = [mod.tensor(X0[:4].copy(), requires_grad=True),
              mod.tensor(X0[4:].reshape(1, 2).copy(), requires_grad=True)]
    opt = getattr(mod.optim, cls)(params, **kw)
    out = []
    for t in range(steps):
        if lr_edit is not None and t == steps // 2:
            opt.param_groups[0]["lr"] = lr_edit
        x = np.concatenate([p.detach().numpy().ravel() for p in params])
        g = rosen_grad(x)
        params[0].grad = mod.tensor(g[:4])
        params[1].grad = mod.tensor(g[4:].reshape(1, 2))
        opt.step()
        out.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return np.array(out), opt, params


F64_CASES = [
    ("RAdam", {"lr": 0.01}), ("RAdam", {"lr": 0.01, "weight_decay": 0.01}),
    ("NAdam", {"lr": 0.01}), ("NAdam", {"lr": 0.01, "weight_decay": 0.01,
                                        "decoupled_weight_decay": True}),
    ("Adamax", {"lr": 0.01}), ("Adadelta", {"lr": 0.5}),
    ("Rprop", {"lr": 0.01}), ("ASGD", {"lr": 1e-4, "t0": 20, "lambd": 0.1}),
]


@pytest.mark.parametrize("cls,kw", F64_CASES, ids=[c for c, _ in F64_CASES])
def test_float64_rosenbrock_matches_torch(cls, kw):
    ours, oe, pe = rosen_run(ember, cls, kw)
    ref, ot, pt = rosen_run(torch, cls, kw)
    assert oe.state[pe[0]]["step"].dtype == ember.float32   # as PyTorch: step stays float32
    assert pe[0].dtype == ember.float64
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-11)
    assert np.abs(ref[-1] - ref[0]).max() > 1e-3


@pytest.mark.parametrize("cls,kw", F64_CASES, ids=[c for c, _ in F64_CASES])
def test_lr_edit_mid_run_takes_effect_like_torch(cls, kw):
    lr = kw["lr"] * 3
    ours, _, _ = rosen_run(ember, cls, kw, steps=40, lr_edit=lr)
    ref, _, _ = rosen_run(torch, cls, kw, steps=40, lr_edit=lr)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-11)
    if cls != "Rprop":   # Rprop reads lr only when it creates a step size
        plain, _, _ = rosen_run(ember, cls, kw, steps=40)
        assert np.abs(plain[-1] - ours[-1]).max() > 1e-6


# ---- defaults, state layout, exchange ---------------------------------------------------
def small(mod, cls, **kw):
    params = [mod.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3),
                         requires_grad=True),
              mod.tensor(np.linspace(0.5, -0.5, 4, dtype=np.float32), requires_grad=True)]
    return params, getattr(mod.optim, cls)(params, **kw)


def steps(mod, params, opt, n, start=0):
    for t in range(start, start + n):
        for i, p in enumerate(params):
            x = p.detach().numpy()
            p.grad = mod.tensor((np.cos(x * (i + 1) + t) + x).astype(np.float32))
        opt.step()


def to_mod(value, mod):
    """A state_dict value moved to the other framework (tensors through NumPy)."""
    if hasattr(value, "detach"):
        return mod.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {k: to_mod(v, mod) for k, v in value.items()}
    if isinstance(value, list):
        return [to_mod(v, mod) for v in value]
    return copy.deepcopy(value)


def layout(sd):
    def conv(v):
        if hasattr(v, "detach"):
            return (str(v.dtype).split(".")[-1], tuple(v.shape))
        return [conv(x) for x in v] if isinstance(v, list) else type(v).__name__
    return {k: {n: conv(v) for n, v in s.items()} for k, s in sd["state"].items()}


def values(sd):
    return {(k, n): np.asarray(v.detach().numpy(), np.float64)
            for k, s in sd["state"].items() for n, v in s.items() if hasattr(v, "detach")}


@pytest.mark.parametrize("cls", ARRAY_OPTS)
def test_defaults_and_state_dict_layout_equal_torch(cls):
    pe, oe = small(ember, cls)
    pt, ot = small(torch, cls)
    assert oe.defaults == ot.defaults
    assert list(oe.param_groups[0]) == list(ot.param_groups[0])
    assert repr(oe) == repr(ot)
    steps(ember, pe, oe, 3)
    steps(torch, pt, ot, 3)
    se, st = oe.state_dict(), ot.state_dict()
    assert se["param_groups"] == st["param_groups"]
    assert layout(se) == layout(st)       # keys in order, dtypes (step float32), 0-d shapes
    ve, vt = values(se), values(st)
    for key in vt:
        np.testing.assert_allclose(ve[key], vt[key], rtol=1e-5, atol=1e-6, err_msg=str(key))


@pytest.mark.parametrize("cls", ARRAY_OPTS)
@pytest.mark.parametrize("direction", ["torch_to_ember", "ember_to_torch"])
def test_state_dict_exchange_continues_like_torch(cls, direction):
    kw = {"lr": 0.01, "t0": 2} if cls == "ASGD" else {"lr": 0.01}
    src, dst = (torch, ember) if direction == "torch_to_ember" else (ember, torch)
    ps, os_ = small(src, cls, **kw)
    steps(src, ps, os_, 4)
    pd = [dst.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ps]
    od = getattr(dst.optim, cls)(pd, lr=123.0)
    od.load_state_dict(to_mod(os_.state_dict(), dst))
    assert od.param_groups[0]["lr"] == 0.01
    steps(src, ps, os_, 10, start=4)
    steps(dst, pd, od, 10, start=4)
    for a, b in zip(ps, pd):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0, atol=2e-6)
    assert layout(od.state_dict()) == layout(os_.state_dict())


@pytest.mark.parametrize("cls", ["NAdam", "ASGD", "Rprop"])
def test_pickle_and_deepcopy_continue_identically(cls):
    p, opt = small(ember, cls, **({"t0": 2} if cls == "ASGD" else {}))
    steps(ember, p, opt, 3)
    clones = [copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))]
    steps(ember, p, opt, 3, start=3)
    for o in clones:
        q = o.param_groups[0]["params"]
        steps(ember, q, o, 3, start=3)
        for a, b in zip(p, q):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        assert o.state[q[0]]["step"].item() == 6.0


def test_replaced_scalar_state_is_used_like_torch():
    res = []
    for mod in (ember, torch):
        p, opt = small(mod, "NAdam")
        steps(mod, p, opt, 3)
        opt.state[p[0]]["mu_product"] = mod.tensor(0.5)     # p[0] differs: per-param path
        steps(mod, p, opt, 3, start=3)
        res.append(np.concatenate([q.detach().numpy().ravel() for q in p]))
        assert opt.state[p[0]]["mu_product"].dtype == mod.float32
    np.testing.assert_allclose(res[0], res[1], rtol=0, atol=1e-6)


@pytest.mark.parametrize("make_opt", [
    lambda m, p: m.optim.RAdam(p, lr=-0.1),
    lambda m, p: m.optim.RAdam(p, eps=-1.0),
    lambda m, p: m.optim.RAdam(p, betas=(1.0, 0.9)),
    lambda m, p: m.optim.RAdam(p, betas=(0.9, -0.1)),
    lambda m, p: m.optim.RAdam(p, weight_decay=-1),
    lambda m, p: m.optim.NAdam(p, momentum_decay=-0.5),
    lambda m, p: m.optim.NAdam(p, betas=(0.5, 1.5)),
    lambda m, p: m.optim.Adamax(p, betas=(-0.1, 0.9)),
    lambda m, p: m.optim.Adamax(p, eps=-1e-3),
    lambda m, p: m.optim.Adamax(p, weight_decay=-2),
    lambda m, p: m.optim.Adadelta(p, rho=1.5),
    lambda m, p: m.optim.Adadelta(p, eps=-1),
    lambda m, p: m.optim.Adadelta(p, lr=-1),
    lambda m, p: m.optim.Adadelta(p, weight_decay=-0.1),
    lambda m, p: m.optim.Rprop(p, etas=(1.5, 2.0)),
    lambda m, p: m.optim.Rprop(p, etas=(0.5, 0.9)),
    lambda m, p: m.optim.Rprop(p, lr=-1e-3),
    lambda m, p: m.optim.ASGD(p, lr=-1),
    lambda m, p: m.optim.ASGD(p, weight_decay=-1),
    lambda m, p: m.optim.LBFGS(p, lr=-1),
    lambda m, p: m.optim.LBFGS([{"params": p[:1]}, {"params": p[1:]}]),
    lambda m, p: m.optim.NAdam([]),
])
def test_value_errors_match_torch(make_opt):
    msgs = []
    for mod in (ember, torch):
        p = [mod.zeros(2, requires_grad=True), mod.zeros(1, requires_grad=True)]
        with pytest.raises(ValueError) as info:
            make_opt(mod, p)
        msgs.append(str(info.value).splitlines()[0])
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("cls", ARRAY_OPTS)
def test_differentiable_is_refused(cls):
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        getattr(ember.optim, cls)([ember.zeros(1, requires_grad=True)], differentiable=True)


def test_lbfgs_defaults_and_closure_required():
    for mod in (ember, torch):
        opt = mod.optim.LBFGS([mod.zeros(2, requires_grad=True)], max_iter=8)
        assert opt.defaults == {"lr": 1, "max_iter": 8, "max_eval": 10,
                                "tolerance_grad": 1e-07, "tolerance_change": 1e-09,
                                "history_size": 100, "line_search_fn": None}
        with pytest.raises(TypeError, match="closure"):
            opt.step()


def test_rosenbrock_gradient_matches_finite_differences():
    def f(x):
        a, b = x[:-1], x[1:]
        return (5 * (b - a * a) ** 2 + (1 - a) ** 2).sum()
    eye = np.eye(len(X0)) * 1e-6
    fd = np.array([(f(X0 + e) - f(X0 - e)) / 2e-6 for e in eye])
    np.testing.assert_allclose(rosen_grad(X0), fd, rtol=1e-7, atol=1e-7)


# ---- LBFGS --------------------------------------------------------------------------------
A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, -0.5], [0.5, -0.5, 2.0]])
B = np.array([1.0, -2.0, 0.5])


def quadratic(mod, ps):
    x = mod.cat([ps[0], ps[1].reshape(-1)])
    return 0.5 * (x @ (mod.tensor(A) @ x)) - (mod.tensor(B) * x).sum()


def rosenbrock(mod, ps):
    x = mod.cat([ps[0], ps[1].reshape(-1)])
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def lbfgs_run(mod, fn, x0, n_steps, **kw):
    ps = [mod.tensor(x0[:2].copy(), requires_grad=True),
          mod.tensor(x0[2:].reshape(1, -1).copy(), requires_grad=True)]
    opt = mod.optim.LBFGS(ps, **kw)

    def closure():
        opt.zero_grad()
        loss = fn(mod, ps)
        loss.backward()
        return loss

    trace, losses = [], []
    for _ in range(n_steps):
        losses.append(float(opt.step(closure)))
        trace.append(np.concatenate([p.detach().numpy().ravel() for p in ps]))
    return np.array(trace), np.array(losses), opt, ps


LBFGS_CASES = [
    (quadratic, np.array([1.0, -1.0, 2.0]), {}),
    (quadratic, np.array([1.0, -1.0, 2.0]), {"line_search_fn": "strong_wolfe"}),
    (quadratic, np.array([3.0, 0.5, -2.0]), {"lr": 0.3, "max_iter": 3, "history_size": 2}),
    (rosenbrock, np.array([-1.2, 1.0, 0.8, -0.5]), {"lr": 0.05, "max_iter": 10}),
    (rosenbrock, np.array([-1.2, 1.0, 0.8, -0.5]), {"line_search_fn": "strong_wolfe"}),
    (rosenbrock, np.array([-1.2, 1.0, 0.8, -0.5]),
     {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 7, "max_eval": 12}),
    (rosenbrock, np.array([0.5, 0.2, -0.3, 1.1]),
     {"line_search_fn": "strong_wolfe", "tolerance_change": 1e-5, "tolerance_grad": 1e-4}),
]


@pytest.mark.parametrize("fn,x0,kw", LBFGS_CASES, ids=[f"{c[0].__name__}-{i}" for i, c in
                                                       enumerate(LBFGS_CASES)])
def test_lbfgs_iterates_match_torch(fn, x0, kw):
    ours, loss_e, oe, pe = lbfgs_run(ember, fn, x0, 6, **kw)
    ref, loss_t, ot, pt = lbfgs_run(torch, fn, x0, 6, **kw)
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(loss_e, loss_t, rtol=1e-10, atol=1e-12)
    assert np.abs(ref[-1] - x0).max() > 1e-2
    se, st = oe.state_dict()["state"][0], ot.state_dict()["state"][0]
    assert list(se) == list(st)
    assert layout(oe.state_dict()) == layout(ot.state_dict())
    assert (se["func_evals"], se["n_iter"]) == (st["func_evals"], st["n_iter"])
    for key in ("d", "prev_flat_grad", "H_diag"):
        if hasattr(st[key], "detach"):
            np.testing.assert_allclose(se[key].numpy(), st[key].numpy(), rtol=1e-8, atol=1e-12)


def test_lbfgs_quadratic_reaches_the_solution():
    ours, _, _, _ = lbfgs_run(ember, quadratic, np.array([1.0, -1.0, 2.0]), 3,
                              line_search_fn="strong_wolfe", tolerance_change=1e-15,
                              tolerance_grad=1e-12)  # the defaults stop at |dloss| < 1e-9
    np.testing.assert_allclose(ours[-1], np.linalg.solve(A, B), rtol=0, atol=1e-6)


@pytest.mark.parametrize("direction", ["torch_to_ember", "ember_to_torch"])
def test_lbfgs_state_dict_exchange(direction):
    src, dst = (torch, ember) if direction == "torch_to_ember" else (ember, torch)
    kw = {"line_search_fn": "strong_wolfe", "max_iter": 4, "history_size": 5}
    x0 = np.array([-1.2, 1.0, 0.8, -0.5])
    _, _, os_, ps = lbfgs_run(src, rosenbrock, x0, 2, **kw)
    x1 = np.concatenate([p.detach().numpy().ravel() for p in ps])
    _, _, od, pd = lbfgs_run(dst, rosenbrock, x1, 0, **kw)
    od.load_state_dict(to_mod(os_.state_dict(), dst))
    for mod, opt, params in ((src, os_, ps), (dst, od, pd)):
        def closure(mod=mod, opt=opt, params=params):
            opt.zero_grad()
            loss = rosenbrock(mod, params)
            loss.backward()
            return loss
        for _ in range(3):
            opt.step(closure)
    np.testing.assert_allclose(np.concatenate([p.detach().numpy().ravel() for p in pd]),
                               np.concatenate([p.detach().numpy().ravel() for p in ps]),
                               rtol=1e-9, atol=1e-12)
    assert od.state_dict()["state"][0]["n_iter"] == os_.state_dict()["state"][0]["n_iter"]


def test_lbfgs_step_hooks_and_closure_runs_with_grad():
    calls = []
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.LBFGS([p], max_iter=2)
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        calls.append(ember.is_grad_enabled())
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    assert calls == ["pre", True, True, "post"]


def test_lbfgs_unknown_line_search_raises_like_torch():
    for mod in (ember, torch):
        p = mod.tensor([1.0, 2.0], requires_grad=True)
        opt = mod.optim.LBFGS([p], line_search_fn="armijo")

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss

        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(closure)
