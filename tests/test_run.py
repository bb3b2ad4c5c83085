"""Tests for ember.run: the torch -> ember import alias and the `python -m ember.run` CLI.

The finder's mechanics are checked against a throw-away target package built in tmp_path,
so they do not depend on how much of ember exists; the CLI tests use ember itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

import ember.run as er

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_target(tmp_path, monkeypatch):
    """A package `fake_<hex>` with nn, nn.functional, utils.data and a broken submodule."""
    name = "fake_" + uuid.uuid4().hex[:8]
    files = {
        "__init__.py": "from . import nn\ndef tensor(x):\n    return ('T', x)\n",
        "nn/__init__.py": "class Linear:\n    pass\n",
        "nn/functional.py": "def relu(x):\n    return max(x, 0)\n",
        "utils/__init__.py": "",
        "utils/data.py": "class DataLoader:\n    pass\n",
        "broken.py": "import a_dependency_that_does_not_exist_42\n",
    }
    for rel, text in files.items():
        path = tmp_path / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    er.uninstall()
    for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[mod]


def _torch_entries() -> dict:
    return {n: m for n, m in sys.modules.items() if n == "torch" or n.startswith("torch.")}


def test_imports_resolve_to_target_modules(fake_target):
    with er.torch_alias(target=fake_target):
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch import nn as nn2
        from torch.utils.data import DataLoader

        target = sys.modules[fake_target]
        assert torch is target
        assert nn is nn2 is target.nn is sys.modules["torch.nn"]
        assert F is sys.modules[fake_target + ".nn.functional"]
        assert torch.nn.functional is F
        assert DataLoader is sys.modules[fake_target + ".utils.data"].DataLoader
        assert torch.tensor(3) == ("T", 3)
        # The target keeps its own identity; the alias is only a second name.
        assert torch.__name__ == fake_target


def test_missing_module_is_a_clear_error_not_real_torch(fake_target):
    with er.torch_alias(target=fake_target):
        with pytest.raises(ModuleNotFoundError) as info:
            import torch.nonexistent  # noqa: F401
        msg = str(info.value)
        assert msg.startswith(f"ember has no module 'torch.nonexistent' "
                              f"(mapped to {fake_target}.nonexistent)")
        assert "ember implements only part of PyTorch's API" in msg
        assert info.value.name == "torch.nonexistent"
        # torch.optim exists in real PyTorch (installed here) but not in the target.
        with pytest.raises(ModuleNotFoundError, match="'torch.optim'"):
            import torch.optim  # noqa: F401
        # A submodule of a missing package names the first missing level.
        with pytest.raises(ModuleNotFoundError, match="no module 'torch.optim' "):
            from torch.optim import lr_scheduler  # noqa: F401
        assert "torch.optim" not in sys.modules


def test_missing_dependency_inside_target_is_not_masked(fake_target):
    with er.torch_alias(target=fake_target):
        with pytest.raises(ModuleNotFoundError) as info:
            import torch.broken  # noqa: F401
        assert info.value.name == "a_dependency_that_does_not_exist_42"


def test_already_imported_target_modules_are_aliased(fake_target):
    import importlib

    functional = importlib.import_module(fake_target + ".nn.functional")
    er.install(target=fake_target)
    try:
        assert sys.modules["torch.nn.functional"] is functional
        assert sys.modules["torch"] is sys.modules[fake_target]
    finally:
        er.uninstall()


def test_no_leak_after_uninstall_and_real_torch_restored(fake_target):
    import torch as real_torch  # the real PyTorch installed in the venv

    before = _torch_entries()
    with er.torch_alias(target=fake_target) as finder:
        import torch

        assert torch is not real_torch
        assert finder in sys.meta_path
    assert finder not in sys.meta_path
    assert not er.is_installed()
    assert _torch_entries() == before
    import torch

    assert torch is real_torch
    assert all(not getattr(m, "__name__", "").startswith(fake_target)
               for m in _torch_entries().values())


def test_context_manager_uninstalls_on_error_and_nests(fake_target):
    with pytest.raises(RuntimeError, match="boom"):
        with er.torch_alias(target=fake_target):
            with er.torch_alias(target=fake_target):
                assert er.is_installed()
            assert er.is_installed()  # the inner block did not own the install
            raise RuntimeError("boom")
    assert not er.is_installed()


def test_install_is_idempotent_and_refuses_a_second_target(fake_target):
    first = er.install(target=fake_target)
    try:
        assert er.install(target=fake_target) is first
        assert sys.meta_path.count(first) == 1
        with pytest.raises(RuntimeError, match="already installed"):
            er.install(target="something_else")
    finally:
        er.uninstall()
    assert first not in sys.meta_path


def test_finder_ignores_other_names():
    finder = er.TorchAliasFinder()
    assert finder.find_spec("torchvision") is None
    assert finder.find_spec("numpy") is None
    assert finder.mapped_name("torch") == "ember"
    assert finder.mapped_name("torch.nn.functional") == "ember.nn.functional"


# --- the CLI, in a subprocess, against ember itself ---------------------------------------

def _run_cli(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.run([sys.executable, "-m", "ember.run", str(script), *args],
                          capture_output=True, text=True, cwd=tmp_path.parent, env=env,
                          timeout=120)


def test_cli_runs_script_as_main_with_its_args_and_dir(tmp_path):
    (tmp_path / "helper_mod_xyz.py").write_text("VALUE = 7\n")
    proc = _run_cli(tmp_path, """
        import sys
        import torch
        import helper_mod_xyz
        print(__name__, sys.argv[1:], helper_mod_xyz.VALUE, torch.__name__)
        print('real torch loaded:', any(getattr(m, '__name__', '') == 'torch'
                                        for m in list(sys.modules.values())))
    """, "--lr", "0.1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["__main__ ['--lr', '0.1'] 7 ember",
                                        "real torch loaded: False"]


def test_cli_missing_module_error_and_user_traceback(tmp_path):
    proc = _run_cli(tmp_path, """
        import torch
        import torch.nonexistent
    """)
    assert proc.returncode == 1
    assert "ember has no module 'torch.nonexistent' (mapped to ember.nonexistent)" in proc.stderr
    proc = _run_cli(tmp_path, """
        def f():
            return 1 / 0
        f()
    """)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert 'script.py", line 4, in <module>' in lines[1]
    assert lines[-1] == "ZeroDivisionError: division by zero"
    assert "runpy" not in proc.stderr and "ember/run.py" not in proc.stderr


def test_cli_exit_status_and_usage(tmp_path):
    assert _run_cli(tmp_path, "import sys; sys.exit(3)").returncode == 3
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    proc = subprocess.run([sys.executable, "-m", "ember.run"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 2 and "usage: python -m ember.run" in proc.stderr


def test_cli_tensor_script_prints_like_pytorch(tmp_path):
    # Needs ember's Tensor; the expected line is what PyTorch 2.13 prints.
    proc = _run_cli(tmp_path, "import torch; print(torch.tensor([1., 2.]) * 2)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "tensor([2., 4.])\n"
