"""100 steps of every optimizer (and option combination) follow PyTorch 2.13's trajectory.

Both frameworks get the same gradients: those of a fixed 2-32-32-2 tanh MLP's MSE loss,
computed in NumPy from the current parameter values, so the test checks the update rules only.
"""

import numpy as np
import pytest
import torch

import ember

SHAPES = [(32, 2), (32,), (32, 32), (32,), (2, 32), (2,)]
_rng = np.random.default_rng(0)
INIT = [(_rng.standard_normal(s) * 0.5).astype(np.float32) for s in SHAPES]
X = _rng.standard_normal((16, 2))
Y = _rng.standard_normal((16, 2))
# Per-step gradient noise, as minibatches give: keeps gradients away from exact zero, where
# sign-like updates (Adam with small beta1) turn last-bit differences into different steps.
NOISE = [[(0.05 * _rng.standard_normal(s)).astype(np.float32) for s in SHAPES]
         for _ in range(100)]


def mlp_grads(ws: list[np.ndarray]) -> list[np.ndarray]:
    """d/dW of mean((tanh(tanh(X W1' + b1) W2' + b2) W3' + b3 - Y)^2), in float64."""
    w1, b1, w2, b2, w3, b3 = (w.astype(np.float64) for w in ws)
    h1 = np.tanh(X @ w1.T + b1)
    h2 = np.tanh(h1 @ w2.T + b2)
    g = 2 * (h2 @ w3.T + b3 - Y) / Y.size
    gw3, gb3 = g.T @ h2, g.sum(0)
    g = (g @ w3) * (1 - h2 ** 2)
    gw2, gb2 = g.T @ h1, g.sum(0)
    g = (g @ w2) * (1 - h1 ** 2)
    gw1, gb1 = g.T @ X, g.sum(0)
    return [a.astype(np.float32) for a in (gw1, gb1, gw2, gb2, gw3, gb3)]


def trajectory(mod, cls: str, kw: dict, steps: int = 100, sign: float = 1.0,
               skip=None, groups=None) -> np.ndarray:
    params = [mod.tensor(a.copy(), requires_grad=True) for a in INIT]
    arg = params if groups is None else [{"params": [params[i] for i in idx], **g}
                                         for idx, g in groups]
    opt = getattr(mod.optim, cls)(arg, **kw)
    out = []
    for t in range(steps):
        grads = mlp_grads([p.detach().numpy() for p in params])
        for i, (p, g) in enumerate(zip(params, grads)):
            p.grad = None if skip and skip(t, i) else mod.tensor(sign * (g + NOISE[t][i]))
        opt.step()
        out.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return np.array(out)


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.005, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.005, "betas": (0.3, 0.9)}),  # beta1 < 0.5: lerp's other formula
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("RMSprop", {"lr": 0.001}),
    ("RMSprop", {"lr": 0.001, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.001, "centered": True}),
    ("RMSprop", {"lr": 0.001, "centered": True, "momentum": 0.5, "weight_decay": 0.01}),
    ("RMSprop", {"lr": 0.001, "alpha": 0.4, "centered": True, "maximize": True}),
    ("Adagrad", {"lr": 0.05}),
    ("Adagrad", {"lr": 0.05, "lr_decay": 0.01}),
    ("Adagrad", {"lr": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.05, "eps": 1e-5, "maximize": True}),
]


@pytest.mark.parametrize("cls,kw", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_matches_torch_every_step(cls, kw):
    sign = -1.0 if kw.get("maximize") else 1.0   # maximize -loss: still a descent
    ours = trajectory(ember, cls, kw, sign=sign)
    ref = trajectory(torch, cls, kw, sign=sign)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-5)
    assert np.abs(ref[-1] - ref[0]).max() > 1e-2  # the parameters really moved


@pytest.mark.parametrize("cls,kw", [("Adam", {"lr": 0.01, "weight_decay": 0.01}),
                                    ("SGD", {"lr": 0.05, "momentum": 0.9}),
                                    ("RMSprop", {"lr": 0.001, "centered": True}),
                                    ("Adagrad", {"lr": 0.05, "lr_decay": 0.01})])
def test_missing_grads_and_groups_match_torch(cls, kw):
    """Params without a grad on some steps are skipped (their state and step lag), as in
    PyTorch; two param groups with their own lr."""
    def skip(t, i):
        return (t + i) % (i + 2) == 0
    groups = [([0, 1, 2], {}), ([3, 4, 5], {"lr": kw["lr"] * 0.5})]
    ours = trajectory(ember, cls, kw, steps=60, skip=skip, groups=groups)
    ref = trajectory(torch, cls, kw, steps=60, skip=skip, groups=groups)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("cls,kw", [(c, k) for c, k in CASES if c != "SGD" or k.get("momentum")])
def test_fused_and_per_parameter_paths_agree_exactly(cls, kw, monkeypatch):
    fused = trajectory(ember, cls, kw, steps=20)
    monkeypatch.setattr(getattr(ember.optim, cls), "_fuse_min", 10 ** 9)
    single = trajectory(ember, cls, kw, steps=20)
    np.testing.assert_array_equal(fused, single)


def test_float64_params_match_torch():
    p0 = np.linspace(-1, 1, 12).reshape(3, 4)
    res = []
    for mod in (ember, torch):
        ps = [mod.tensor(p0.copy(), requires_grad=True), mod.tensor(p0[0].copy(),
                                                                   requires_grad=True)]
        opt = mod.optim.Adam(ps, lr=0.05, amsgrad=True)
        for _ in range(50):
            for p in ps:
                p.grad = mod.tensor(np.sin(3 * p.detach().numpy()) + p.detach().numpy())
            opt.step()
        assert ps[0].dtype == mod.float64 and opt.state[ps[0]]["exp_avg"].dtype == mod.float64
        res.append(np.concatenate([p.detach().numpy().ravel() for p in ps]))
    np.testing.assert_allclose(res[0], res[1], rtol=0, atol=1e-12)


def test_training_with_ember_autograd_matches_torch():
    """A real loop: forward, backward, step, zero_grad, on the same MLP in both frameworks."""
    losses = []
    for mod in (ember, torch):
        ps = [mod.tensor(a.copy(), requires_grad=True) for a in INIT]
        x, y = mod.tensor(X.astype(np.float32)), mod.tensor(Y.astype(np.float32))
        opt = mod.optim.Adam(ps, lr=0.01)
        trace = []
        for _ in range(50):
            opt.zero_grad()
            h = mod.tanh(x @ ps[0].T + ps[1])
            h = mod.tanh(h @ ps[2].T + ps[3])
            loss = ((h @ ps[4].T + ps[5] - y) ** 2).mean()
            loss.backward()
            opt.step()
            trace.append(loss.item())
        losses.append(trace)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5, atol=1e-6)
    assert losses[0][-1] < 0.5 * losses[0][0]
