"""optim + utils.data with ember.nn, the way tutorials use them, against PyTorch."""

import numpy as np
import pytest
import torch

import ember

_rng = np.random.default_rng(5)
X = _rng.standard_normal((40, 2)).astype(np.float32)
Y = (X[:, :1] * X[:, 1:] > 0).astype(np.int64).ravel()


def model_and_data(mod):
    net = mod.nn.Sequential(mod.nn.Linear(2, 32), mod.nn.Tanh(), mod.nn.Linear(32, 32),
                            mod.nn.Tanh(), mod.nn.Linear(32, 2))
    with mod.no_grad():
        for i, p in enumerate(net.parameters()):
            p.copy_(mod.tensor(np.random.default_rng(i).standard_normal(tuple(p.shape))
                               .astype(np.float32) * 0.3))
    data = mod.utils.data.TensorDataset(mod.tensor(X), mod.tensor(Y))
    return net, mod.utils.data.DataLoader(data, batch_size=16)


@pytest.mark.parametrize("cls,kw", [("Adam", {"lr": 0.01}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
                                    ("AdamW", {"lr": 0.01}), ("RMSprop", {"lr": 0.005})])
def test_training_loop_with_linear_layers_matches_torch(cls, kw):
    losses = []
    for mod in (ember, torch):
        net, loader = model_and_data(mod)
        opt = getattr(mod.optim, cls)(net.parameters(), **kw)
        sched = mod.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.7)
        trace = []
        for _ in range(8):
            for xb, yb in loader:
                opt.zero_grad()
                loss = mod.nn.functional.cross_entropy(net(xb), yb)
                loss.backward()
                opt.step()
                trace.append(loss.item())
            sched.step()
        losses.append(trace)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4, atol=1e-5)
    assert losses[0][-1] < losses[0][0]


def test_checkpoint_through_ember_save_and_load_resumes_identically(tmp_path):
    net, loader = model_and_data(ember)
    opt = ember.optim.Adam(net.parameters(), lr=0.01)

    def epoch(net, opt):
        out = []
        for xb, yb in loader:
            opt.zero_grad()
            loss = ember.nn.functional.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()
            out.append(loss.item())
        return out

    epoch(net, opt)
    ember.save({"model": net.state_dict(), "opt": opt.state_dict()}, tmp_path / "ckpt.pt")
    ckpt = ember.load(tmp_path / "ckpt.pt")
    net2, _ = model_and_data(ember)
    net2.load_state_dict(ckpt["model"])
    opt2 = ember.optim.Adam(net2.parameters(), lr=0.01)
    opt2.load_state_dict(ckpt["opt"])
    assert epoch(net, opt) == epoch(net2, opt2)
