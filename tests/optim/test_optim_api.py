"""Optimizer API against PyTorch 2.13: param_groups, state, state_dict round trips, zero_grad,
closures, errors, and robustness to replaced p.data / p.grad / state."""

import copy
import pickle

import numpy as np
import pytest
import torch

import ember

SHAPES = [(4, 3), (4,), (2, 4)]
INIT = [np.linspace(-1, 1, int(np.prod(s)), dtype=np.float32).reshape(s) for s in SHAPES]

KWARGS = {"SGD": {"lr": 0.1, "momentum": 0.9}, "Adam": {"lr": 0.01, "amsgrad": True},
          "AdamW": {"lr": 0.01}, "RMSprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
          "Adagrad": {"lr": 0.1}}


def make(mod, cls, **kw):
    params = [mod.tensor(a.copy(), requires_grad=True) for a in INIT]
    return params, getattr(mod.optim, cls)(params, **{**KWARGS[cls], **kw})


def set_grads(mod, params, t):
    for i, p in enumerate(params):
        x = p.detach().numpy()
        p.grad = mod.tensor((np.cos(x * (i + 1) + t) + x).astype(np.float32))


def run(mod, params, opt, steps, start=0):
    for t in range(start, start + steps):
        set_grads(mod, params, t)
        opt.step()


def flat(params):
    return np.concatenate([p.detach().numpy().ravel() for p in params])


def structure(sd):
    """state_dict with tensors replaced by (dtype name, shape, values)."""
    def conv(v):
        if hasattr(v, "detach"):
            return (str(v.dtype).split(".")[-1], tuple(v.shape), v.detach().numpy().tolist())
        return v
    return ({k: {n: conv(v) for n, v in s.items()} for k, s in sd["state"].items()},
            sd["param_groups"])


@pytest.mark.parametrize("cls", list(KWARGS))
def test_defaults_param_groups_and_state_dict_equal_torch(cls):
    pe, oe = make(ember, cls)
    pt, ot = make(torch, cls)
    assert list(oe.param_groups[0]) == list(ot.param_groups[0])
    assert oe.defaults == ot.defaults
    assert structure(oe.state_dict()) == structure(ot.state_dict())  # before any step
    run(ember, pe, oe, 3)
    run(torch, pt, ot, 3)
    se, st = structure(oe.state_dict()), structure(ot.state_dict())
    assert se[1] == st[1]
    assert list(se[0]) == list(st[0])
    for k in st[0]:
        assert list(se[0][k]) == list(st[0][k])            # keys in PyTorch's order
        for name in st[0][k]:
            (de, she, ve), (dt, sht, vt) = se[0][k][name], st[0][k][name]
            assert (de, she) == (dt, sht)                    # 'step' is a float32 0-d tensor
            np.testing.assert_allclose(ve, vt, rtol=1e-5, atol=1e-6)
    assert isinstance(oe.state[pe[0]][next(iter(oe.state[pe[0]]))], ember.Tensor)


@pytest.mark.parametrize("cls", list(KWARGS))
def test_state_dict_round_trip_continues_identically(cls):
    pa, oa = make(ember, cls)
    run(ember, pa, oa, 5)
    saved = pickle.loads(pickle.dumps(oa.state_dict()))     # as through ember.save/load
    pb = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in pa]
    ob = getattr(ember.optim, cls)(pb, lr=123.0)
    ob.load_state_dict(saved)
    assert ob.param_groups[0]["lr"] == KWARGS[cls]["lr"]
    run(ember, pa, oa, 7, start=5)
    run(ember, pb, ob, 7, start=5)
    np.testing.assert_array_equal(flat(pa), flat(pb))
    for key, value in oa.state[pa[0]].items():   # loaded state is a copy, not shared
        assert value is not ob.state[pb[0]][key]
        np.testing.assert_array_equal(value.numpy(), ob.state[pb[0]][key].numpy())


def test_load_state_dict_from_torch_layout_into_fresh_optimizer_matches_torch():
    """Saved mid-run in ember, resumed in a fresh optimizer: the same path as torch's."""
    pe, oe = make(ember, "Adam")
    pt, ot = make(torch, "Adam")
    run(ember, pe, oe, 4)
    run(torch, pt, ot, 4)
    pe2 = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in pe]
    oe2 = ember.optim.Adam(pe2)
    oe2.load_state_dict(copy.deepcopy(oe.state_dict()))
    run(ember, pe2, oe2, 10, start=4)
    run(torch, pt, ot, 10, start=4)
    np.testing.assert_allclose(flat(pe2), flat(pt), rtol=0, atol=1e-6)


def test_load_state_dict_errors():
    p, o = make(ember, "SGD")
    sd = o.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        o.load_state_dict({"state": {}, "param_groups": sd["param_groups"] * 2})
    _, o2 = make(ember, "SGD")
    o2.param_groups[0]["params"] = o2.param_groups[0]["params"][:2]
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        o2.load_state_dict(sd)


@pytest.mark.parametrize("mod", [ember, torch])
def test_lr_edit_takes_effect_next_step(mod):
    p = mod.tensor([1.0, 2.0], requires_grad=True)
    opt = mod.optim.SGD([p], lr=0.1)
    p.grad = mod.tensor([1.0, 1.0])
    opt.step()
    opt.param_groups[0]["lr"] = 0.5
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.6, 2.0 - 0.6], rtol=1e-6)


def test_add_param_group_and_per_group_hyperparameters_match_torch():
    res = []
    for mod in (ember, torch):
        params = [mod.tensor(a.copy(), requires_grad=True) for a in INIT]
        opt = mod.optim.Adam(params[:2], lr=0.01)
        opt.add_param_group({"params": params[2], "lr": 0.1, "betas": (0.5, 0.9)})
        assert list(opt.param_groups[1]) == ["params", "lr", "betas", "eps", "weight_decay",
                                             "amsgrad", "maximize", "foreach", "capturable",
                                             "differentiable", "fused",
                                             "decoupled_weight_decay"]
        run(mod, params, opt, 10)
        res.append(flat(params))
    np.testing.assert_allclose(res[0], res[1], rtol=0, atol=1e-6)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert p.grad is None
    else:
        assert p.grad is g and g.tolist() == [0.0, 0.0]
    (p * p).sum().backward()
    assert p.grad.tolist() == [2.0, 4.0]   # accumulation starts again from nothing


def test_step_with_closure_returns_loss_and_runs_with_grad():
    for mod in (ember, torch):
        p = mod.tensor([3.0], requires_grad=True)
        opt = mod.optim.SGD([p], lr=0.1)

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss

        with mod.no_grad():
            loss = opt.step(closure)
        assert loss.item() == 9.0
        assert abs(p.item() - 2.4) < 1e-6


@pytest.mark.parametrize("make_opt,msg", [
    (lambda m, p: m.optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda m, p: m.optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (lambda m, p: m.optim.Adam(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda m, p: m.optim.SGD(p, lr=0.1, momentum=-1), "Invalid momentum value: -1"),
    (lambda m, p: m.optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (lambda m, p: m.optim.RMSprop(p, alpha=-1), "Invalid alpha value: -1"),
    (lambda m, p: m.optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda m, p: m.optim.Adam([]), "optimizer got an empty parameter list"),
])
def test_errors_match_torch(make_opt, msg):
    for mod in (ember, torch):
        p = [mod.zeros(2, requires_grad=True)]
        with pytest.raises(ValueError, match=msg):
            make_opt(mod, p)


def test_type_and_group_errors_match_torch():
    for mod in (ember, torch):
        p = mod.zeros(2, requires_grad=True)
        with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got torch.Float"):
            mod.optim.SGD(p, lr=0.1)
        with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
            mod.optim.SGD([p, 1.0], lr=0.1)
        with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
            mod.optim.SGD([p * 2], lr=0.1)
        opt = mod.optim.SGD([p], lr=0.1)
        with pytest.raises(ValueError, match="some parameters appear in more than one"):
            opt.add_param_group({"params": [p]})


def test_replacing_data_grad_and_state_stays_correct():
    """Replacing p.data, p.grad and a state entry between steps gives torch's results."""
    res = []
    for mod in (ember, torch):
        params, opt = make(mod, "Adam")
        run(mod, params, opt, 3)
        params[0].data = mod.tensor(np.full((4, 3), 0.5, np.float32))
        run(mod, params, opt, 3, start=3)
        opt.state[params[1]]["exp_avg"] = mod.zeros(4)
        opt.state[params[2]]["exp_avg_sq"].mul_(2.0)
        run(mod, params, opt, 3, start=6)
        del opt.state[params[2]]        # forgotten: restarts from step 0
        run(mod, params, opt, 3, start=9)
        res.append(flat(params))
        assert opt.state[params[2]]["step"].item() == 3.0
    np.testing.assert_allclose(res[0], res[1], rtol=0, atol=1e-6)


def test_state_tensors_share_memory_with_the_update():
    p, opt = make(ember, "SGD")
    run(ember, p, opt, 1)
    buf = opt.state[p[0]]["momentum_buffer"]
    before = buf.numpy().copy()
    run(ember, p, opt, 1, start=1)
    assert not np.array_equal(before, buf.numpy())   # the same tensor, updated in place


def test_step_bumps_version_so_stale_graphs_raise():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    q = ember.tensor([1.0], requires_grad=True)
    opt = ember.optim.SGD([p, q, ember.zeros(1, requires_grad=True)], lr=0.1)
    loss = (p * p).sum() + (q * q).sum()
    p.grad = ember.ones(2)
    q.grad = ember.ones(1)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_optimizer_deepcopy_and_pickle_keep_state():
    p, opt = make(ember, "Adam")
    run(ember, p, opt, 2)
    clone = copy.deepcopy(opt)
    restored = pickle.loads(pickle.dumps(opt))
    for o in (clone, restored):
        assert o.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
        sd = o.state_dict()["state"][0]
        np.testing.assert_array_equal(sd["exp_avg"].numpy(),
                                      opt.state_dict()["state"][0]["exp_avg"].numpy())
    run(ember, p, opt, 2, start=2)
    for o in (clone, restored):            # the copies step on their own parameters
        q = o.param_groups[0]["params"]
        assert q[0] is not p[0]
        run(ember, q, o, 2, start=2)
        np.testing.assert_array_equal(flat(q), flat(p))
        assert o.state[q[0]]["step"].item() == 4.0


def test_differentiable_is_refused():
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        ember.optim.Adam([ember.zeros(1, requires_grad=True)], differentiable=True)


def test_repr_matches_torch():
    reprs = [repr(mod.optim.Adam([mod.zeros(1, requires_grad=True)], lr=0.1))
             for mod in (ember, torch)]
    assert reprs[0] == reprs[1]


def test_custom_optimizer_subclass_works():
    class Plain(ember.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @ember.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state[p]
                    state["n"] = state.get("n", 0) + 1
                    p.add_(p.grad, alpha=-group["lr"])

    p = ember.tensor([1.0], requires_grad=True)
    opt = Plain([p])
    p.grad = ember.tensor([1.0])
    opt.step()
    opt.step()
    assert abs(p.item() - 0.8) < 1e-6 and opt.state_dict()["state"][0]["n"] == 2


def test_step_hooks_run_in_order_and_can_be_removed():
    for mod in (ember, torch):
        p = mod.zeros(2, requires_grad=True)
        opt = mod.optim.SGD([p], lr=0.1)
        calls = []
        h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
        opt.register_step_post_hook(
            lambda o, a, k: calls.append(("post", [round(v, 6) for v in p.tolist()])))
        p.grad = mod.ones(2)
        opt.step()
        h1.remove()
        opt.step()
        assert calls == ["pre", ("post", [-0.1, -0.1]), ("post", [-0.2, -0.2])], mod
