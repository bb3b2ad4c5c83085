"""ember.utils.tensorboard.SummaryWriter against torch.utils.tensorboard (PyTorch 2.13 with
the tensorboard package): the same event files, record for record, read back by
TensorBoard's own loader (which checks every record's CRC)."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember

pytest.importorskip("tensorboard", reason="tensorboard is a test dependency (pyproject)")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader  # noqa: E402
from tensorboard.compat.proto import event_pb2  # noqa: E402


def _writer(lib):
    if lib is ember:
        from ember.utils.tensorboard import SummaryWriter
    else:
        from torch.utils.tensorboard import SummaryWriter
    return SummaryWriter


def _events(log_dir):
    """{run subdirectory: [serialized events]}, with wall times drawn from the clock zeroed."""
    out = {}
    for path in sorted(glob.glob(os.path.join(log_dir, "**", "events*"), recursive=True)):
        records = []
        for raw in RawEventFileLoader(path).Load():
            ev = event_pb2.Event.FromString(raw)
            if ev.HasField("file_version") or ev.HasField("session_log"):
                ev.wall_time = 0  # written with time.time()
            records.append(ev.SerializeToString())
        out[os.path.relpath(os.path.dirname(path), log_dir)] = records
    return out


def _log_everything(lib, log_dir, purge_step=None):
    w = _writer(lib)(log_dir, max_queue=3, purge_step=purge_step)
    w.add_text("hyperparameters", "|param|value|\n|-|-|\n|lr|0.1|", walltime=1.0)
    w.add_scalar("charts/episodic_return", 1.5, 3, walltime=2.0)
    w.add_scalar("losses/td_loss", lib.tensor(0.25), global_step=4, walltime=3.0)
    w.add_scalar("zero", 0.0, 0, walltime=4.0)
    w.add_scalar("negative", -2.5, -1, walltime=5.0)
    w.add_scalar("new_style", 0.75, 7, walltime=6.0, new_style=True)
    w.add_scalar("double", 0.75, 7, walltime=6.5, new_style=True, double_precision=True)
    w.add_scalar("unicode/é", np.float32(3.0), 2**40, walltime=6.75)
    w.add_scalars("run", {"a": 1.0, "b": lib.tensor([2.0])}, 5, walltime=7.0)
    w.add_scalars("run", {"a": 1.5}, 6, walltime=7.5)
    values = np.random.default_rng(0).standard_normal(1000)
    w.add_histogram("weights", lib.tensor(values), 2, walltime=8.0)
    w.add_histogram("bins4", np.arange(10.0), 3, bins=4, walltime=9.0)
    w.add_histogram("max_bins", np.arange(100.0), 3, max_bins=7, walltime=10.0)
    w.add_histogram("constant", np.full(5, 2.0), 3, walltime=11.0)
    w.close()
    w.close()  # closing twice is fine in both


@pytest.mark.parametrize("purge_step", [None, 3])
def test_event_files_are_pytorchs_record_for_record(tmp_path, purge_step):
    _log_everything(torch, str(tmp_path / "torch"), purge_step)
    _log_everything(ember, str(tmp_path / "ember"), purge_step)
    theirs, ours = _events(str(tmp_path / "torch")), _events(str(tmp_path / "ember"))
    assert sorted(ours) == sorted(theirs) == [".", "run_a", "run_b"]
    for run in theirs:
        assert ours[run] == theirs[run], run


def test_cleanrl_style_logging_reads_back_in_tensorboard(tmp_path, monkeypatch):
    """CleanRL's pattern: runs/<name>, a markdown hyperparameter table, scalars per step."""
    monkeypatch.chdir(tmp_path)
    from ember.utils.tensorboard import SummaryWriter

    writer = SummaryWriter("runs/CartPole-v1__dqn__1")
    writer.add_text("hyperparameters", "|param|value|\n|-|-|\n" +
                    "\n".join(f"|{k}|{v}|" for k, v in {"lr": 3e-4, "gamma": 0.99}.items()))
    for step in range(0, 50, 10):
        writer.add_scalar("charts/episodic_return", step * 2.0, step)
        writer.add_scalar("losses/q_values", ember.tensor([1.0, 2.0]).mean().item(), step)
    writer.close()
    acc = EventAccumulator("runs/CartPole-v1__dqn__1")
    acc.Reload()
    returns = acc.Scalars("charts/episodic_return")
    assert [(e.step, e.value) for e in returns] == [(s, s * 2.0) for s in range(0, 50, 10)]
    assert [e.value for e in acc.Scalars("losses/q_values")] == [1.5] * 5
    assert acc.Tensors("hyperparameters/text_summary")[0].tensor_proto.string_val[0].startswith(b"|param")


def test_default_log_dir_and_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for lib in (ember, torch):
        w = _writer(lib)(comment="_lr0.1")
        parts = w.get_logdir().split(os.sep)
        assert parts[0] == "runs" and parts[1].endswith("_lr0.1")
        assert os.path.isdir(w.get_logdir())
        w.close()
    assert len(os.listdir(tmp_path / "runs")) in (1, 2)  # the same second, or not


def test_logged_values_reach_the_file_without_close(tmp_path):
    """A script that ends without writer.close() still leaves every event on disk."""
    code = ("from ember.utils.tensorboard import SummaryWriter\n"
            f"w = SummaryWriter({str(tmp_path)!r})\n"
            "for i in range(3):\n    w.add_scalar('x', float(i), i)\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [e.value for e in acc.Scalars("x")] == [0.0, 1.0, 2.0]


def test_errors(tmp_path):
    for lib in (ember, torch):
        w = _writer(lib)(str(tmp_path / lib.__name__))
        with pytest.raises(AssertionError, match="Tensor should contain one element"):
            w.add_scalar("bad", lib.tensor([1.0, 2.0]))
        with pytest.raises(ValueError, match="The input has no element."):
            w.add_histogram("empty", np.array([]))
        w.close()
    w = _writer(ember)(str(tmp_path / "more"))
    with pytest.raises(NotImplementedError, match="add_scalar, add_scalars, add_text and "
                                                  "add_histogram"):
        w.add_image("img", np.zeros((3, 2, 2)))
    w.close()
