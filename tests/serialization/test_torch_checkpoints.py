"""ember.load reads PyTorch's torch.save zip checkpoints: the same values, dtypes, shapes and
structure torch.load(weights_only=True) gives, without running the pickle's code."""

from __future__ import annotations

import collections
import io
import pickle
import zipfile

import numpy as np
import pytest
import torch

import ember
from ember.serialization import CheckpointError


def _same(ours, theirs, where="") -> None:
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor), where
        assert type(ours).__name__ == type(theirs).__name__, where  # Parameter stays one
        assert str(ours.dtype) == str(theirs.dtype) and ours.shape == theirs.shape, where
        assert ours.requires_grad == theirs.requires_grad, where
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy(), where)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), where
        for k in theirs:
            _same(ours[k], theirs[k], f"{where}/{k}")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours).__name__ == type(theirs).__name__ and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _same(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, where


def _everything():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2),
                                torch.nn.BatchNorm1d(2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.ones(5, 3)).sum().backward()
    opt.step()
    base = torch.arange(12.0)
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": 7,
            "param": torch.nn.Parameter(torch.ones(2)), "half": torch.ones(2, dtype=torch.half),
            "bools": torch.tensor([True, False]), "ints": torch.arange(3),
            "view": base[2:5], "shares": base[5:9], "transposed": base.reshape(3, 4).t(),
            "scalar": torch.tensor(2.5, dtype=torch.float64), "empty": torch.zeros(0, 3),
            "size": torch.Size([2, 3]), "misc": [1, 2.5, "x", None, (1, 2), b"ab", {3, 4}]}


def test_a_torch_checkpoint_loads_as_torch_loads_it(tmp_path):
    path = tmp_path / "ckpt.pt"
    torch.save(_everything(), path)
    theirs = torch.load(path, weights_only=True)
    ours = ember.load(path)
    _same(ours, theirs)
    assert isinstance(ours["model"], collections.OrderedDict)


def test_a_torch_trained_network_runs_the_same_on_ember(tmp_path):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.Tanh(), torch.nn.Linear(64, 2))
    torch.save(net.state_dict(), tmp_path / "policy.pt")
    ours = ember.nn.Sequential(ember.nn.Linear(4, 64), ember.nn.Tanh(), ember.nn.Linear(64, 2))
    ours.load_state_dict(ember.load(tmp_path / "policy.pt"))
    x = np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)
    with torch.no_grad():
        want = net(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(), want, rtol=1e-6,
                               atol=1e-6)


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > /dev/null",))


def _zip_with(tmp_path, payload: bytes):
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil/data.pkl", payload)
        z.writestr("evil/byteorder", "little")
    return path


def test_code_in_a_checkpoint_is_refused_not_run(tmp_path):
    marker = tmp_path / "ran"

    class Marker:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for obj, name in ((_Evil(), "posix.system"), (Marker(), "io.open"),
                      (np.zeros(2), "numpy")):
        path = _zip_with(tmp_path, pickle.dumps({"x": obj}, protocol=2))
        # beyond the allowlist, PyTorch's weights_only rule and error (see
        # tests/test_serialization_objects.py); nothing is run either way
        with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {name}.* was not an allowed "
                                                         "global by default"):
            ember.load(path)
    assert not marker.exists()
    whole_model = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2), whole_model)  # torch.load refuses it too by default
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(whole_model)
    with pytest.raises(pickle.UnpicklingError) as ours:
        ember.load(whole_model)
    assert str(ours.value) == str(theirs.value)


def test_unreadable_checkpoints_say_why(tmp_path):
    good = tmp_path / "good.pt"
    torch.save({"w": torch.ones(1000)}, good)
    data = good.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        ember.load(cut)
    bf16 = tmp_path / "bf16.pt"
    torch.save({"w": torch.ones(2, dtype=torch.bfloat16)}, bf16)
    with pytest.raises(CheckpointError, match="BFloat16 tensor, a dtype ember does not have"):
        ember.load(bf16)
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="pickle file"):
        ember.load(legacy)
    buffer = io.BytesIO(good.read_bytes())
    assert ember.load(buffer)["w"].shape == (1000,)  # file objects too
