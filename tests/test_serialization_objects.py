"""Whole objects in checkpoints (torch.save(model)): the same programs, errors and values on
ember as on PyTorch 2.13, under PyTorch's weights_only rule."""

from __future__ import annotations

import contextlib
import io
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import ember

# The "Save and Load the Model" tutorial, the inference recipe's whole-model part, a general
# checkpoint with a model object inside, and the allowlist API: run on both, stdout compared.
_PROGRAM = '''
import io, torch
from torch import nn

class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.stack = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    def forward(self, x):
        return self.stack(self.flatten(x))

torch.manual_seed(0)
x, y = torch.randn(5, 2, 3), torch.randn(5, 3)
model = NeuralNetwork()
torch.save(model, "model.pth")
try:
    torch.load("model.pth")
except Exception as e:
    print(type(e).__module__, type(e).__qualname__)
    print(e)
with torch.serialization.safe_globals([NeuralNetwork]):
    try:
        torch.load("model.pth", weights_only=True)
    except Exception as e:
        print(str(e).split("WeightsUnpickler error: ")[1])
with torch.serialization.safe_globals([NeuralNetwork, nn.Flatten, nn.Sequential, nn.Linear,
                                       nn.ReLU]):
    print(torch.load("model.pth")(x))
print(torch.serialization.get_safe_globals() == [] or "torch-internal")
model = torch.load("model.pth", weights_only=False)
model.eval()
print(type(model).__name__, model)
print(model(x))
print([type(p).__name__ for p in model.parameters()])
opt = torch.optim.Adam(model.parameters(), lr=0.01)
model.train()
for epoch in range(3):
    loss = ((model(x) - y) ** 2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
torch.save({"epoch": 3, "model": model, "optimizer_state_dict": opt.state_dict(),
            "loss": loss}, "ckpt.tar")
ck = torch.load("ckpt.tar", weights_only=False)
model2 = ck["model"]
opt2 = torch.optim.Adam(model2.parameters(), lr=0.01)
opt2.load_state_dict(ck["optimizer_state_dict"])
print(ck["epoch"], ck["loss"])
for _ in range(2):
    for m, o in ((model, opt), (model2, opt2)):
        loss = ((m(x) - y) ** 2).mean()
        o.zero_grad(); loss.backward(); o.step()
    print(f"{loss.item():>7f}")  # (full precision: matmul gradients' last bits, README)
model2.eval()
print(torch.equal(model.eval()(x), model2(x)), model2(x))
buf = io.BytesIO()
torch.save([nn.Linear(2, 2), slice(1, 2)], buf)
buf.seek(0)
try:
    torch.load(buf)
except Exception as e:
    print(str(e).split("WeightsUnpickler error: ")[1].splitlines()[0])
'''


def _run(tmp_path, *cmd):
    (tmp_path / "prog.py").write_text(_PROGRAM)
    proc = subprocess.run([sys.executable, *cmd, "prog.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_tutorial_recipe_and_checkpoint_programs_print_what_torch_prints(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "e").mkdir()
    theirs = _run(tmp_path / "t")
    ours = _run(tmp_path / "e", "-m", "ember.run")
    theirs = theirs.replace("torch-internal", "True")  # torch registers its own safe globals
    assert ours.splitlines() == theirs.splitlines()
    assert "Weights only load failed" in ours and "__main__.NeuralNetwork" in ours


# ---- in-process: both libraries, same-bodied classes --------------------------------------
class _Body:
    def __init__(self):
        super().__init__()
        nn = self.nn
        self.fc = nn.Linear(3, 4)
        self.head = nn.Sequential(nn.Tanh(), nn.Linear(4, 2))
        self.head[1].weight = self.fc.weight.__class__(self.head[1].weight.detach())
        self.register_buffer("steps", self.lib.zeros(2))

    def forward(self, x):
        return self.head(self.fc(x))


class TorchNet(_Body, torch.nn.Module):
    nn, lib = torch.nn, torch


class EmberNet(_Body, ember.nn.Module):
    nn, lib = ember.nn, ember


def _make(lib):
    lib.manual_seed(0)
    return (TorchNet if lib is torch else EmberNet)()


def _roundtrip(lib, obj, **kw):
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    return lib.load(buf, **kw)


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


def test_default_load_refuses_with_torchs_error_naming_the_class():
    t_type, t_msg = _error(lambda: _roundtrip(torch, _make(torch)))
    e_type, e_msg = _error(lambda: _roundtrip(ember, _make(ember)))
    assert e_type is t_type is pickle.UnpicklingError
    assert e_msg == t_msg.replace("TorchNet", "EmberNet")


def test_allowlisted_classes_load_with_weights_only_true():
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    outs = []
    for lib, cls in ((torch, TorchNet), (ember, EmberNet)):
        allow = [cls, lib.nn.Linear, lib.nn.Sequential, lib.nn.Tanh]
        with lib.serialization.safe_globals(allow[:2]):
            t, msg = _error(lambda: _roundtrip(lib, _make(lib), weights_only=True))
            assert "container.Sequential was not an allowed global" in msg
        lib.serialization.add_safe_globals(allow)
        try:
            m = _roundtrip(lib, _make(lib), weights_only=True)
        finally:
            lib.serialization.clear_safe_globals()
        assert type(m) is cls and lib.serialization.get_safe_globals() == []
        outs.append([m(lib.tensor(x)).detach().numpy(),
                     *[p.detach().numpy() for p in m.state_dict().values()]])
    # the parameters exactly, the forward to float32 rounding
    for a, b in zip(outs[0][1:], outs[1][1:]):
        np.testing.assert_array_equal(b, a)
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-6, atol=1e-7)


def test_loaded_model_keeps_parameters_sharing_and_training():
    results = []
    for lib in (torch, ember):
        m = _make(lib)
        ck = _roundtrip(lib, {"model": m, "fc_weight": m.fc.weight, "view": m.fc.bias[1:3]},
                        weights_only=False)
        m2 = ck["model"]
        assert type(m2.fc.weight).__name__ == "Parameter" and m2.fc.weight.requires_grad
        assert ck["fc_weight"] is m2.fc.weight
        assert ck["view"].data_ptr() == m2.fc.bias.data_ptr() + 4  # a view again
        assert m2.steps.requires_grad is False and m2.training
        x = lib.ones(2, 3)
        opt = lib.optim.SGD(m2.parameters(), lr=0.1)
        for _ in range(2):
            loss = m2(x).pow(2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        results.append([p.detach().numpy().copy() for p in m2.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_whole_optimizer_and_scheduler_objects():
    results = []
    for lib in (torch, ember):
        m = _make(lib)
        opt = lib.optim.Adam(m.parameters(), lr=0.05)
        sched = lib.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
        m(lib.ones(1, 3)).sum().backward()
        opt.step()
        sched.step()
        ck = _roundtrip(lib, {"model": m, "opt": opt, "sched": sched}, weights_only=False)
        m2, opt2, sched2 = ck["model"], ck["opt"], ck["sched"]
        assert opt2.param_groups[0]["params"][0] is m2.fc.weight and sched2.optimizer is opt2
        m2(lib.ones(1, 3)).pow(2).sum().backward()
        opt2.step()
        sched2.step()
        results.append((opt2.param_groups[0]["lr"], m2.fc.weight.detach().numpy().copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-6, atol=1e-7)


def test_plain_checkpoints_stay_pickle_free_and_whole_objects_stay_safetensors(tmp_path):
    from safetensors import safe_open

    ember.save({"w": ember.ones(2), "n": 3}, tmp_path / "plain.pt")
    ember.save({"m": _make(ember)}, tmp_path / "obj.pt")
    with safe_open(str(tmp_path / "plain.pt"), "pt") as f:
        assert "pickle" not in f.metadata() and list(f.keys()) == ["w"]
    with safe_open(str(tmp_path / "obj.pt"), "pt") as f:  # PyTorch's reader opens it
        assert "pickle" in f.metadata()
        got = sorted(f.get_tensor(k).numpy().tobytes() for k in f.keys())
    want = sorted(t.detach().numpy().tobytes() for t in _make(ember).state_dict().values())
    assert got == want


class _Evil:
    def __reduce__(self):
        return (open, (self.path, "w"))


def test_nothing_runs_without_weights_only_false(tmp_path):
    from ember._serialization_pickle import _default_allowed, _Restricted

    evil = _Evil()
    evil.path = str(tmp_path / "ran")
    for lib in (torch, ember):
        t, msg = _error(lambda: _roundtrip(lib, {"x": evil}))
        assert t is pickle.UnpicklingError and "GLOBAL io.open was not an allowed global" in msg
    assert not (tmp_path / "ran").exists()
    assert _error(lambda: _roundtrip(ember, [np.zeros(2)])) == \
        _error(lambda: _roundtrip(torch, [np.zeros(2)]))
    # An allowlisted class may be built, but calling the instance (REDUCE on an object, not on
    # an allowlisted global) is refused, as by PyTorch's unpickler.
    name = f"{EmberNet.__module__}\nEmberNet\n".encode()
    payload = b"\x80\x02c" + name + b")\x81)R."
    allowed = {**_default_allowed(), f"{EmberNet.__module__}.EmberNet": EmberNet}
    with pytest.raises(pickle.UnpicklingError, match="reduce for unrecognized function"):
        _Restricted(payload, None, allowed).load()


def test_weights_only_switches_as_torch(monkeypatch):
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="explicit pickle_module is specified"):
            _roundtrip(lib, _make(lib), weights_only=True, pickle_module=pickle)
        assert type(_roundtrip(lib, _make(lib), pickle_module=pickle)).__name__.endswith("Net")
        monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
        with pytest.warns(UserWarning, match="forcing weights_only=False"):
            assert _roundtrip(lib, _make(lib)).fc.in_features == 3
        monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
        t, msg = _error(lambda: _roundtrip(lib, _make(lib), weights_only=False))
        assert msg == "Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or " \
                      "`TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` should be set, but both were set."
        monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
        t, msg = _error(lambda: _roundtrip(lib, _make(lib), weights_only=False))
        assert t is pickle.UnpicklingError and "Weights only load failed" in msg
        monkeypatch.delenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD")


_TORCH_SIDE = textwrap.dedent('''
    import sys, torch
    from torch import nn
    class Policy(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2))
            self.norm = nn.LayerNorm(2)
        def forward(self, x):
            return self.norm(self.body(x))
    if __name__ == "__main__":
        torch.manual_seed(0)
        torch.save({"policy": Policy(), "step": 7}, sys.argv[1])
''')


def test_a_torch_saved_whole_model_loads_into_ember_classes(tmp_path):
    (tmp_path / "policy_def.py").write_text(_TORCH_SIDE)
    subprocess.run([sys.executable, "policy_def.py", "ck.pt"], cwd=tmp_path, check=True,
                   timeout=120)
    # The user's class lives in __main__ of the saving program; the loading program defines it
    # too: with real torch, and with `import torch` meaning ember (as under python -m ember.run).
    import ember.run

    classes = {}
    for lib in (torch, ember):
        ns = {"__name__": "policy_def"}
        with ember.run.torch_alias() if lib is ember else contextlib.nullcontext():
            exec(_TORCH_SIDE, ns)
        classes[lib] = ns["Policy"]
    main = sys.modules["__main__"]
    try:
        main.Policy = classes[torch]
        theirs = torch.load(tmp_path / "ck.pt", weights_only=False)
        main.Policy = classes[ember]
        ours = ember.load(tmp_path / "ck.pt", weights_only=False)
    finally:
        del main.Policy
    pol = ours["policy"]
    assert ours["step"] == 7 and isinstance(pol, ember.nn.Module)
    assert type(pol.body[1]) is ember.nn.Tanh and type(pol.norm) is ember.nn.LayerNorm
    assert type(pol.body[0].weight) is ember.nn.Parameter
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(pol(ember.tensor(x)).detach().numpy(),
                               theirs["policy"](torch.tensor(x)).detach().numpy(), rtol=1e-6,
                               atol=1e-6)
    # weights_only=True (the default): PyTorch's refusal, naming the saving program's class;
    # with the classes allowlisted, the restricted load gives the same model
    assert _error(lambda: ember.load(tmp_path / "ck.pt")) == \
        _error(lambda: torch.load(tmp_path / "ck.pt"))
    for lib in (torch, ember):
        nn = lib.nn
        main.Policy = classes[lib]
        try:
            # its class is named as the file names it: (class, "module.qualname")
            allow = [(main.Policy, "__main__.Policy"), nn.Sequential, nn.Linear, nn.Tanh,
                     nn.LayerNorm]
            with lib.serialization.safe_globals(allow):
                again = lib.load(tmp_path / "ck.pt")["policy"]
        finally:
            del main.Policy
        assert type(again) is classes[lib]
        np.testing.assert_array_equal(again.norm.weight.detach().numpy(),
                                      theirs["policy"].norm.weight.detach().numpy())
        np.testing.assert_array_equal(again.body[2].bias.detach().numpy(),
                                      theirs["policy"].body[2].bias.detach().numpy())


def test_tensor_dict_keys_and_numpy_objects_as_torch():
    for lib in (torch, ember):
        key = lib.arange(3)
        back = _roundtrip(lib, {"keys": {key: "a"}, "same": key})
        (k,), = [list(back["keys"])]
        assert k is back["same"] and back["keys"][k] == "a" and k.tolist() == [0, 1, 2]
    arr = np.arange(6.0).reshape(2, 3)
    allow = [np.ndarray, np.dtype, np.dtypes.Float64DType, np._core.multiarray._reconstruct]
    for lib in (torch, ember):
        with lib.serialization.safe_globals(allow[1:]):  # one missing: the same error
            err = _error(lambda: _roundtrip(lib, {"a": arr}))
            assert "GLOBAL numpy.ndarray was not an allowed global" in err[1]
        with lib.serialization.safe_globals(allow):  # PyTorch's documented NumPy allowlist
            np.testing.assert_array_equal(_roundtrip(lib, {"a": arr})["a"], arr)


def _missing_parent_error(lib, path):
    try:
        lib.save({"a": lib.ones(1)}, path)
    except Exception as e:  # noqa: BLE001 - the type is compared too
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("sub", ["nodir/x.pt", "a/b/x.pt", "nodir//x.pt"])
def test_save_into_a_missing_folder_says_so_as_torch(tmp_path, sub):
    """Regression: ember raised FileNotFoundError naming its temporary file."""
    path = str(tmp_path / "x")[:-1] + sub
    assert _missing_parent_error(ember, path) == _missing_parent_error(torch, path)
