"""torch.amp / torch.cuda.amp on a machine without CUDA, checked against torch 2.13."""

import warnings

import numpy as np
import pytest
import torch

import ember


def _warnings(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = make()
    return obj, [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("make", [
    lambda m: m.autocast("cuda"),
    lambda m: m.amp.autocast("cuda", dtype=m.float16),
    lambda m: m.cuda.amp.autocast(),
    lambda m: m.amp.GradScaler(),
    lambda m: m.amp.GradScaler("cuda"),
    lambda m: m.cuda.amp.GradScaler(),
    lambda m: m.cuda.amp.GradScaler(enabled=False),
    lambda m: m.autocast("cuda", enabled=False),
])
def test_cuda_spellings_warn_and_disable_as_torch(make):
    ours, our_warnings = _warnings(lambda: make(ember))
    theirs, their_warnings = _warnings(lambda: make(torch))
    assert our_warnings == their_warnings
    if hasattr(theirs, "is_enabled"):
        assert ours.is_enabled() == theirs.is_enabled()
        assert ours.get_scale() == theirs.get_scale()
        assert ours.state_dict() == theirs.state_dict()


def _step(lib, scaler, model, opt, x, y):
    opt.zero_grad()
    with lib.autocast("cuda"):
        loss = ((model(x) - y) ** 2).mean()
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    return loss


def test_disabled_scaler_and_autocast_train_exactly_as_torch():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)).astype(np.float32), rng.standard_normal((8, 1)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        model = lib.nn.Linear(3, 1)
        w = np.array([[0.1, -0.2, 0.3]], np.float32)
        model.weight.data.copy_(lib.tensor(w))
        model.bias.data.fill_(0.5)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scaler = lib.amp.GradScaler("cuda")
            for _ in range(3):
                loss = _step(lib, scaler, model, opt, lib.tensor(x), lib.tensor(y))
        results.append((loss.item(), model.weight.detach().numpy().copy()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)


def test_cpu_scaler_scales_skips_inf_steps_and_adapts_the_scale_as_torch():
    """A real CPU GradScaler: scaled gradients, a skipped step on inf, backoff, growth."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2)).astype(np.float32)
    history = {}
    for lib in (ember, torch):
        model = lib.nn.Linear(2, 1)
        model.weight.data.copy_(lib.tensor([[0.5, -1.0]]))
        model.bias.data.fill_(0.25)
        opt = lib.optim.SGD(model.parameters(), lr=0.05)
        scaler = lib.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
        seen = []
        for step in range(6):
            opt.zero_grad()
            inp = lib.tensor(x)
            if step == 2:
                inp = inp * float("inf")  # this step's gradients are inf: skipped
            loss = model(inp).pow(2).mean()
            scaled = scaler.scale(loss)
            seen.append(("scaled", scaled.item() if np.isfinite(loss.item()) else None))
            scaled.backward()
            if step == 4:
                scaler.unscale_(opt)  # explicit unscale before step (gradient clipping spot)
                seen.append(("grad", model.weight.grad.numpy().copy().tolist()))
            scaler.step(opt)
            scaler.update()
            seen.append(("scale", scaler.get_scale()))
            seen.append(("weight", model.weight.detach().numpy().copy().tolist()))
        seen.append(("state", scaler.state_dict()))
        history[lib.__name__] = seen
    ours, theirs = history["ember"], history["torch"]
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    for (kind, a), (_, b) in zip(ours, theirs):
        if kind == "state":
            assert a == b
        elif a is None or b is None:
            assert a == b
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=kind)


def test_unscale_twice_and_bad_factors_raise_as_torch():
    for lib in (ember, torch):
        model = lib.nn.Linear(2, 1)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        scaler = lib.amp.GradScaler("cpu")
        scaler.scale(model(lib.ones(1, 2)).sum()).backward()
        scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this "
                                               r"optimizer since the last update\(\)\."):
            scaler.unscale_(opt)
        with pytest.raises(AssertionError, match="The growth factor must be > 1.0."):
            lib.amp.GradScaler("cpu", growth_factor=1.0)
        with pytest.raises(AssertionError, match="The backoff factor must be < 1.0."):
            lib.amp.GradScaler("cpu", backoff_factor=1.0)


def test_queries_and_decorators():
    assert ember.is_autocast_enabled() == torch.is_autocast_enabled() is False
    assert ember.amp.is_autocast_available("cpu") == torch.amp.is_autocast_available("cpu")
    with pytest.warns(UserWarning, match="Disabling autocast"):
        deco = ember.autocast("cuda")

    @deco
    def f(a):
        return a * 2

    assert f(ember.tensor(3.0)).item() == 6.0
    assert ember.amp.custom_fwd(device_type="cuda")(f) is f
    assert ember.amp.custom_bwd(f, device_type="cuda") is f
    from ember.cuda.amp import GradScaler  # the import form tutorials use
    assert issubclass(GradScaler, ember.amp.GradScaler)


def test_cpu_autocast_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="bfloat16"):
        ember.autocast("cpu")
    with ember.autocast("cpu", enabled=False):
        assert ember.ones(2).dtype == ember.float32
