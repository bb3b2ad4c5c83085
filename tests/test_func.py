"""ember.func against torch.func 2.13 on the tutorials' patterns: per-sample gradients
(vmap over grad with functional_call), MAML-style inner steps with outer gradients,
jacrev/jacfwd/hessian, jvp/vjp, vmap's in_dims/out_dims/randomness, functional_call's restore."""

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
W1, B1, W2, B2 = (RNG.normal(size=s) for s in ((8, 5), (8,), (3, 8), (3,)))
DATA, TARGET = RNG.normal(size=(6, 5)), RNG.integers(0, 3, size=6)


def _model(lib):
    model = lib.nn.Sequential(lib.nn.Linear(5, 8), lib.nn.Tanh(), lib.nn.Linear(8, 3)).double()
    with lib.no_grad():
        for p, v in zip(model.parameters(), (W1, B1, W2, B2)):
            p.copy_(lib.tensor(v))
    return model


def _close(e, t, rtol=1e-10):
    if isinstance(t, dict):
        assert set(e) == set(t)
        for k in t:
            _close(e[k], t[k], rtol)
    elif isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            _close(a, b, rtol)
    else:
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol,
                                   atol=1e-12)


def _per_sample_grads(lib):
    model = _model(lib)
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p, x, y):
        out = lib.func.functional_call(model, p, (x.unsqueeze(0),))
        return lib.nn.functional.cross_entropy(out, y.unsqueeze(0))

    f = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))
    return f(params, lib.tensor(DATA), lib.tensor(TARGET))


def test_per_sample_gradients_match_torch_and_loop():
    e, t = _per_sample_grads(ember), _per_sample_grads(torch)
    _close(e, t)
    model = _model(ember)  # the same as a loop of ordinary backward passes
    for i in range(len(DATA)):
        model.zero_grad()
        ember.nn.functional.cross_entropy(model(ember.tensor(DATA[i:i + 1])),
                                          ember.tensor(TARGET[i:i + 1])).backward()
        for (name, p) in model.named_parameters():
            np.testing.assert_allclose(e[name][i].numpy(), p.grad.numpy(), rtol=1e-12)


def _maml(lib):
    model = _model(lib)
    params = dict(model.named_parameters())
    x, y = lib.tensor(DATA), lib.tensor(TARGET)

    def inner_loss(p):
        return lib.nn.functional.cross_entropy(lib.func.functional_call(model, p, (x,)), y)

    grads = lib.func.grad(inner_loss)(params)
    fast = {k: p - 0.1 * grads[k] for k, p in params.items()}
    outer = lib.nn.functional.cross_entropy(lib.func.functional_call(model, fast, (x * 2,)), y)
    outer.backward()
    return [p.grad for p in model.parameters()]


def test_maml_outer_gradients_through_inner_step():
    _close(_maml(ember), _maml(torch))


def _f(lib, x, y):
    return (lib.sin(x) * y.pow(2)).sum(-1) + x.prod()


@pytest.mark.parametrize("which", ["jacrev", "jacfwd", "hessian"])
def test_jacobians_and_hessian(which):
    x, y = RNG.normal(size=3), RNG.normal(size=3)
    res = []
    for lib in (ember, torch):
        argnums = 0 if which == "hessian" else (0, 1)
        fn = getattr(lib.func, which)(lambda a, b: _f(lib, a, b) * a, argnums)
        res.append(fn(lib.tensor(x), lib.tensor(y)))
    _close(*res)


def test_grad_of_grad_and_has_aux():
    x = np.array([0.3, -1.2, 2.0])
    res = []
    for lib in (ember, torch):
        gg = lib.func.grad(lambda a: lib.func.grad(lambda b: (b ** 3).sum())(a).sum())
        g, aux = lib.func.grad(lambda a: ((a ** 2).sum(), a.mean()), has_aux=True)(
            lib.tensor(x))
        v = lib.func.grad_and_value(lambda a: a.exp().sum())(lib.tensor(x))
        res.append((gg(lib.tensor(x)), g, aux, v))
    _close(*res)


def test_vjp_and_jvp():
    x, v = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    res = []
    for lib in (ember, torch):
        f = lambda a: (a.tanh() * a.sum(), a.exp())  # noqa: E731
        out, fn = lib.func.vjp(f, lib.tensor(x))
        ct = (lib.tensor(v), lib.ones(2, 3, dtype=lib.float64))
        res.append((out, fn(ct), lib.func.jvp(f, (lib.tensor(x),), (lib.tensor(v),))))
    _close(*res)
    assert not res[0][0][0].requires_grad


def test_grad_requires_scalar_output():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar "
                                               "Tensor, got tensor with 1 dims"):
            lib.func.grad(lambda a: a * 2)(lib.ones(3))


def test_vmap_structures_dims_and_randomness():
    x, y = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 4))
    res = []
    for lib in (ember, torch):
        f = lambda d, s: {"a": d["u"] * s, "b": (d["v"] @ d["u"], s.sum())}  # noqa: E731
        out = lib.func.vmap(f, in_dims=({"u": 0, "v": None}, 1), out_dims=({"a": 1, "b": 0}))(
            {"u": lib.tensor(x), "v": lib.tensor(y @ y.T)}, lib.tensor(y))
        res.append(out)
    _close(*res)
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="vmap: called random operation while in "
                                               "randomness error mode"):
            lib.func.vmap(lambda a: a + lib.rand(3))(lib.ones(2, 3))
    same = ember.func.vmap(lambda a: a + ember.rand(3), randomness="same")(ember.zeros(2, 3))
    diff = ember.func.vmap(lambda a: a + ember.rand(3), randomness="different")(
        ember.zeros(2, 3))
    assert ember.equal(same[0], same[1]) and not ember.equal(diff[0], diff[1])


def test_functional_call_restores_and_ties():
    model = _model(ember)
    before = {k: v for k, v in model.named_parameters()}
    new = {"0.weight": ember.zeros(8, 5, dtype=ember.float64)}
    with pytest.raises(RuntimeError):
        ember.func.functional_call(model, new, (ember.ones(2, 4, dtype=ember.float64),))
    assert all(p is before[k] for k, p in model.named_parameters())
    out = ember.func.functional_call(model, new, (ember.tensor(DATA),))
    tm = _model(torch)
    ref = torch.func.functional_call(tm, {"0.weight": torch.zeros(8, 5, dtype=torch.float64)},
                                     (torch.tensor(DATA),))
    _close(out, ref)
    assert model[0].weight is before["0.weight"]

    for lib in (ember, torch):  # a tied weight follows the one given
        lin = lib.nn.Linear(2, 2, bias=False)
        m = lib.nn.Sequential(lin, lin)
        w = lib.eye(2) * 3
        o = lib.func.functional_call(m, {"0.weight": w}, (lib.ones(1, 2),))
        assert o.tolist() == [[9.0, 9.0]]
        with pytest.raises(RuntimeError) as info:
            lib.func.functional_call(m, {"0.weight": w, "x": w}, (lib.ones(1, 2),),
                                     strict=True, tie_weights=False)
        assert str(info.value).startswith("Error(s) in reparametrizing for Sequential:")
