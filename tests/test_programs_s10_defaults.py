"""Session 10, defaults: scripts' global settings and environment checks (default dtype and
device, autocast queries, torch.compile/_dynamo knobs, version guards), against PyTorch."""

from __future__ import annotations

import importlib

import pytest
import torch
from packaging import version
from torch_compare import error_of, run_both, same_error_case

import ember


@pytest.fixture(autouse=True)
def _restore_defaults():
    yield
    torch.set_default_dtype(torch.float32)
    ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_complex_python_scalar_names_the_missing_complex_dtype(default):
    torch.set_default_dtype(getattr(torch, default))
    ember.set_default_dtype(getattr(ember, default))
    want = torch.tensor(1 + 2j).dtype  # complex64 / complex128 follows the default
    for data in (1 + 2j, [1j, 2.0]):
        kind, msg = error_of(lambda: ember.tensor(data))
        assert kind == "TypeError" and f"no complex tensors ({want})" in msg


@pytest.mark.parametrize("bad", [float, "float32", None, 1])
def test_set_default_dtype_takes_only_dtype_objects(bad):
    same_error_case(lambda lib: lib.set_default_dtype(bad))
    assert str(ember.get_default_dtype()) == str(torch.get_default_dtype())


def test_device_as_context_manager_creates_on_it():
    def prog(lib):
        with lib.device("cpu") as d:
            m = lib.nn.Linear(2, 2)
            out = (str(d), str(m.weight.device), str(lib.ones(3).device),
                   str(lib.get_default_device()))
        return out + (str(lib.get_default_device()),)

    want, got = run_both(prog)
    assert got == want


@pytest.mark.parametrize("text", ["cuda:x", "cpu:-1", "cuda:1:2", "cpu:", "cpu: 1", "cpu:01"])
def test_invalid_device_strings(text):
    same_error_case(lambda lib: lib.device(text))


def test_get_autocast_dtype():
    for dev in ("cpu", "cuda"):
        assert str(ember.get_autocast_dtype(dev)) == str(torch.get_autocast_dtype(dev))
    same_error_case(lambda lib: lib.get_autocast_dtype("foo"))


def test_dynamo_config_and_compiler_helpers():
    def prog(lib):
        dyn = importlib.import_module(f"{lib.__name__}._dynamo")
        before = (dyn.config.suppress_errors, dyn.config.cache_size_limit,
                  dyn.config.capture_scalar_outputs, dyn.config.automatic_dynamic_shapes)
        dyn.config.suppress_errors = True
        now = dyn.config.suppress_errors
        dyn.config.suppress_errors = False
        f = lib.compiler.disable(lambda x: x + 1)
        g = lib.compiler.disable(recursive=False)(lambda x: x * 2)
        return (before, now, dyn.reset(), dyn.is_compiling(), lib.compiler.is_compiling(),
                lib.compiler.reset(), f(1), g(2))

    want, got = run_both(prog)
    assert got == want
    for lib in (torch, ember):
        importlib.import_module(f"{lib.__name__}._dynamo")
    same_error_case(lambda lib: lib._dynamo.config.no_such_option)
    same_error_case(lambda lib: setattr(lib._dynamo.config, "no_such_option", 1))


def test_version_guards_take_the_modern_path():
    def prog(lib):
        v = lib.__version__
        parsed = version.parse(v)
        return (v >= "2.0", v < "3", v > (1, 9), parsed >= version.parse("2.0"),
                parsed.major, parsed.minor)

    want, got = run_both(prog)
    assert got == want


def test_build_info_and_backend_flags_exist():
    def prog(lib):
        cfg = importlib.import_module(f"{lib.__name__}.__config__")
        flags = (lib.backends.openmp.is_available(), lib.backends.mkldnn.is_available(),
                 lib.backends.mkl.is_available(), lib.backends.mkldnn.enabled)
        return (type(cfg.show()).__name__, "at::get_num_threads()" in cfg.parallel_info(),
                [type(f).__name__ for f in flags], type(lib.__config__).__name__)

    want, got = run_both(prog)
    assert got == want
