"""Training-loop programs around torch.optim (tensor learning rates, option checks, optimizer
hooks, checkpoints, parameter vectors), each run on PyTorch and on ember and compared."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


def _both(fn):
    """fn(lib) on PyTorch and on ember."""
    return fn(torch), fn(ember)


def _err(f):
    try:
        return ("ok", f())
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return (type(e).__name__, str(e).splitlines()[0])


def _train(lib, name, kw, steps=10):
    """A float64 model trained with a float32 tensor lr; the final parameter vector."""
    nn = lib.nn
    lib.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    g = lib.Generator().manual_seed(1)
    x = lib.randn(16, 4, generator=g).double()
    y = lib.randn(16, 2, generator=g).double()
    opt = getattr(lib.optim, name)(m.parameters(), lr=lib.tensor(0.01), **kw)
    for _ in range(steps):
        opt.zero_grad()
        ((m(x) - y) ** 2).mean().backward()
        opt.step()
    return lib.nn.utils.parameters_to_vector(m.parameters()).detach().numpy().copy()


@pytest.mark.parametrize("name,kw", [
    ("Adam", {"weight_decay": 0.1}), ("AdamW", {}), ("NAdam", {}),
    ("NAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("RAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("Adagrad", {"lr_decay": 0.1}), ("Adamax", {}), ("ASGD", {}), ("SGD", {"momentum": 0.9}),
])
def test_tensor_lr_rounds_in_its_own_dtype(name, kw):
    # a float32 lr on a float64 model: PyTorch's step sizes are float32 0-d tensor arithmetic
    expected, got = _both(lambda lib: _train(lib, name, kw))
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-13)


def test_adam_tensor_lr_with_foreach_raises():
    def run(lib):
        p = lib.nn.Parameter(lib.ones(2))
        return [_err(lambda: type(lib.optim.Adam([p], lr=lib.tensor(0.1), foreach=True))),
                _err(lambda: type(lib.optim.AdamW([p], lr=lib.tensor(0.1), foreach=True))),
                _err(lambda: lib.optim.Adam([p], lr=lib.tensor(0.1)).defaults["foreach"])]
    expected, got = _both(run)
    assert [e[0] for e in got] == [e[0] for e in expected]
    assert got[:2] == expected[:2]


def test_fused_rejects_foreach_and_differentiable():
    def run(lib):
        p = lib.nn.Parameter(lib.ones(2))
        out = []
        for name in ("Adam", "AdamW", "SGD", "Adagrad"):
            O = getattr(lib.optim, name)
            out.append(_err(lambda: O([p], lr=0.1, fused=True, foreach=True)))
            out.append(_err(lambda: O([p], lr=0.1, fused=True, differentiable=True)))
        out.append(_err(lambda: lib.optim.Adam([], fused=True, foreach=True)))
        return out
    expected, got = _both(run)
    assert got == expected


def test_lbfgs_load_state_dict_adds_no_group_keys():
    def run(lib):
        p = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.LBFGS([p], max_iter=2)
        opt.step(lambda: (opt.zero_grad(), (p ** 2).sum().backward(), (p ** 2).sum())[-1])
        sd = opt.state_dict()
        opt2 = lib.optim.LBFGS([lib.nn.Parameter(lib.ones(3))], max_iter=2)
        opt2.load_state_dict(sd)
        return sorted(opt2.param_groups[0]), sorted(opt2.defaults)
    expected, got = _both(run)
    assert got == expected


def test_parameters_to_vector_needs_viewable_parameters():
    def run(lib):
        t = lib.arange(12.0).reshape(3, 4).t()
        ok = lib.nn.utils.parameters_to_vector([lib.ones(2, 3), lib.zeros(4)])
        return _err(lambda: lib.nn.utils.parameters_to_vector([t])), ok.tolist()
    (e_err, e_ok), (g_err, g_ok) = _both(run)
    assert g_err[0] == e_err[0] == "RuntimeError"
    assert g_err[1].startswith(e_err[1])
    assert g_ok == e_ok


def _hook_log(lib):
    log = []
    p = lib.nn.Parameter(lib.ones(2))
    p.grad = lib.ones(2)
    opt = lib.optim.SGD([p], lr=0.1)
    opt.register_step_pre_hook(
        lambda o, a, k: log.append(("pre", [type(x).__name__ for x in a], sorted(k))))
    opt.register_step_post_hook(lambda o, a, k: log.append(("post", len(a))))
    opt.step()
    opt.step(closure=lambda: 1.0)
    log.append(opt.step(lambda: 2.0))

    class Plain(lib.optim.Optimizer):  # a user's optimizer: its step is hooked too
        def __init__(self, params):
            super().__init__(params, {"lr": 0.5})

        def step(self, closure=None):
            with lib.no_grad():
                for q in self.param_groups[0]["params"]:
                    q.add_(q.grad, alpha=-self.param_groups[0]["lr"])

    q = lib.nn.Parameter(lib.ones(2))
    q.grad = lib.ones(2)
    plain = Plain([q])
    plain.register_step_pre_hook(lambda o, a, k: log.append(("plain-pre", len(a))))
    # a pre hook may swap the arguments
    plain.register_step_pre_hook(lambda o, a, k: ((a[0],), {"closure": None}))
    plain.step()
    log.append(q.tolist())
    opt.register_step_pre_hook(lambda o, a, k: 5)
    log.append(_err(opt.step)[0])
    return log


def test_step_hooks_get_the_optimizer_and_the_call_arguments():
    expected, got = _both(_hook_log)
    assert got == expected


def _more_hooks(lib):
    import importlib

    OO = importlib.import_module(lib.__name__ + ".optim.optimizer")
    log = []
    p = lib.nn.Parameter(lib.ones(2))
    p.grad = lib.ones(2)
    opt = lib.optim.Adam([p], lr=0.1)
    h1 = OO.register_optimizer_step_pre_hook(lambda o, a, k: log.append("global-pre"))
    h2 = OO.register_optimizer_step_post_hook(lambda o, a, k: log.append("global-post"))
    opt.register_step_pre_hook(lambda o, a, k: log.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: log.append("post"))
    try:
        opt.step()
    finally:
        h1.remove()
        h2.remove()
    opt.step()
    opt.register_state_dict_pre_hook(lambda o: log.append("sd-pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_state_dict_post_hook(lambda o, sd: log.append(sorted(sd)), prepend=True)
    sd = opt.state_dict()
    log.append(sorted(sd))

    def load_pre(o, sd):
        log.append(("load-pre", sorted(sd)))
        return {k: v for k, v in sd.items() if k != "extra"}

    opt.register_load_state_dict_pre_hook(load_pre)
    opt.register_load_state_dict_post_hook(lambda o: log.append("load-post"))
    opt.load_state_dict(sd)
    log.append(float(opt.state[p]["step"]))
    return log


def test_global_step_hooks_and_state_dict_hooks():
    expected, got = _both(_more_hooks)
    assert got == expected
