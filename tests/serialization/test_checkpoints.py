"""ember.save / ember.load: safe, atomic, PyTorch-compatible checkpoints."""

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

import ember
from ember.serialization import CheckpointError


def _eq(a, b):
    assert type(a) is type(b) or (isinstance(a, ember.Tensor) and isinstance(b, ember.Tensor))
    if isinstance(a, ember.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True))
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _eq(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _eq(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_round_trip_nested_structures(tmp_path):
    obj = {
        "weights": ember.randn(3, 4),
        "ints": ember.tensor([1, 2, 3]),
        "mask": ember.tensor([True, False]),
        "half": ember.ones(2, dtype=ember.float16),
        "double": ember.tensor(2.5, dtype=ember.float64),
        "state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.zeros(2)}, 1: {}},
        "groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False, "name": None}],
        "epoch": 7, "loss": float("inf"), "nan": float("nan"), "tag": "run-1",
    }
    path = tmp_path / "ckpt.pt"
    ember.save(obj, path)
    _eq(ember.load(path), obj)
    leaf = ember.tensor([1.0, 2.0], requires_grad=True)
    ember.save(leaf, tmp_path / "t.pt")
    back = ember.load(tmp_path / "t.pt")
    assert back.requires_grad and back.is_leaf


def test_unpicklable_object_fails_as_torch_and_leaves_nothing(tmp_path):
    # Objects beyond tensors and containers are pickled (tests/test_serialization_objects.py);
    # a local class cannot be, and the error is PyTorch's.
    class Model:
        pass

    with pytest.raises(AttributeError) as theirs:
        torch.save({"model": Model()}, tmp_path / "t.pt")
    os.remove(tmp_path / "t.pt")  # torch leaves a half-written file; ember must not
    with pytest.raises(AttributeError) as ours:
        ember.save({"model": Model()}, tmp_path / "x.pt")
    assert str(ours.value) == str(theirs.value)
    assert not os.listdir(tmp_path)  # nothing half-written left behind


def test_plain_pickle_is_refused_but_torch_zip_loads(tmp_path):
    p = tmp_path / "evil.pkl"
    p.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(CheckpointError, match=r"evil.pkl.*pickle"):
        ember.load(p)
    z = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, z)
    back = ember.load(z)  # the allowlisted reader in _torch_checkpoint.py
    assert list(back) == ["w"] and back["w"].tolist() == [1.0, 1.0]


def test_truncated_and_corrupted_files(tmp_path):
    path = tmp_path / "c.pt"
    ember.save({"w": ember.randn(50)}, path)
    data = path.read_bytes()
    for cut in (4, 20, len(data) - 10):
        (tmp_path / "cut.pt").write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="cut.pt.*truncated"):
            ember.load(tmp_path / "cut.pt")
    bad = bytearray(data)
    bad[10:14] = b"\xff\xfe{{"
    (tmp_path / "bad.pt").write_bytes(bytes(bad))
    with pytest.raises(CheckpointError, match="bad.pt"):
        ember.load(tmp_path / "bad.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(EOFError):  # as torch.load (tests/test_programs_s17_rlrepos.py)
        ember.load(tmp_path / "empty.pt")


def test_crash_mid_write_keeps_previous_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"version": 1, "w": ember.ones(10)}, path)
    script = textwrap.dedent(f"""
        import ember, sys
        big = {{"version": 2, "w": ember.zeros(30_000_000)}}
        print("ready", flush=True)
        while True:
            ember.save(big, {str(path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(0.3)  # the writer is in the middle of writing 120 MB
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    loaded = ember.load(path)  # either the old or a complete new checkpoint, never a torn one
    assert loaded["version"] in (1, 2)
    assert loaded["w"].shape == ((10,) if loaded["version"] == 1 else (30_000_000,))


def test_state_dict_moves_between_ember_and_torch(tmp_path):
    from safetensors.torch import load_file, save_file

    emb = {"fc1.weight": ember.randn(4, 2), "fc1.bias": ember.randn(4),
           "fc2.weight": ember.randn(1, 4), "fc2.bias": ember.randn(1)}
    ember.save(emb, tmp_path / "ember.safetensors")
    net = torch.nn.Sequential()
    net.add_module("fc1", torch.nn.Linear(2, 4))
    net.add_module("fc2", torch.nn.Linear(4, 1))
    net.load_state_dict(load_file(str(tmp_path / "ember.safetensors")))
    np.testing.assert_array_equal(net.fc1.weight.detach().numpy(), emb["fc1.weight"].numpy())
    save_file({k: v.detach().contiguous() for k, v in net.state_dict().items()},
              str(tmp_path / "torch.safetensors"))
    back = ember.load(tmp_path / "torch.safetensors")
    assert sorted(back) == sorted(emb)
    for k in emb:
        np.testing.assert_array_equal(back[k].numpy(), emb[k].numpy())


def test_file_objects(tmp_path):
    import io

    buf = io.BytesIO()
    ember.save({"w": ember.arange(4)}, buf)
    buf.seek(0)
    assert ember.load(buf)["w"].tolist() == [0, 1, 2, 3]
