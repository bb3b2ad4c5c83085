"""Top-level torch.* functions: configuration calls (state, errors, warnings; restored after
each test), type helpers, misc math (values/dtypes/gradients vs PyTorch 2.13 and float64
finite differences), window functions, in-place aliases and the top-level nn spellings."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import ember
from torch_compare import compare, error_of, same_error

rng = np.random.default_rng(11)


def r(*shape):
    return rng.standard_normal(shape)


@pytest.fixture(autouse=True)
def restore_config():
    """Every switch these tests touch, put back for both libraries."""
    saved = {}
    for lib in (ember, torch):
        saved[lib] = (lib.are_deterministic_algorithms_enabled(),
                      lib.is_deterministic_algorithms_warn_only_enabled(),
                      lib.get_float32_matmul_precision(), lib.is_warn_always_enabled(),
                      lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled(),
                      lib.get_default_dtype())
    yield
    for lib, (det, warn, prec, always, anomaly, nan, dtype) in saved.items():
        lib.use_deterministic_algorithms(det, warn_only=warn)
        lib.set_float32_matmul_precision(prec)
        lib.set_warn_always(always)
        lib.set_anomaly_enabled(anomaly, nan)
        lib.set_default_dtype(dtype)
        lib.set_default_device(None)


def both(call):
    """call(lib) on each library: its result, or its error's type and first line."""
    out = []
    for lib in (ember, torch):
        try:
            out.append(("ok", call(lib)))
        except Exception:  # noqa: BLE001 - compared below
            out.append(("error", error_of(lambda: call(lib))))
    return out


def same(call):
    e, t = both(call)
    assert e == t, f"ember: {e}\ntorch: {t}"


STATE = lambda L: (L.are_deterministic_algorithms_enabled(),  # noqa: E731
                   L.is_deterministic_algorithms_warn_only_enabled(),
                   L.get_deterministic_debug_mode())


@pytest.mark.parametrize("steps", [
    [lambda L: L.use_deterministic_algorithms(True)],
    [lambda L: L.use_deterministic_algorithms(True, warn_only=True)],
    [lambda L: L.use_deterministic_algorithms(True),
     lambda L: L.use_deterministic_algorithms(False)],
    [lambda L: L.set_deterministic_debug_mode("warn")],
    [lambda L: L.set_deterministic_debug_mode("error")],
    [lambda L: L.set_deterministic_debug_mode(2), lambda L: L.set_deterministic_debug_mode(0)],
    [lambda L: L.set_deterministic_debug_mode("default")],
])
def test_deterministic_state(steps):
    for step in steps:
        same(step)
        same(STATE)


@pytest.mark.parametrize("call", [
    lambda L: L.use_deterministic_algorithms(1),
    lambda L: L.use_deterministic_algorithms("x"),
    lambda L: L.use_deterministic_algorithms(True, warn_only=1),
    lambda L: L.set_deterministic_debug_mode("foo"),
    lambda L: L.set_deterministic_debug_mode("Default"),
    lambda L: L.set_deterministic_debug_mode(3),
    lambda L: L.set_deterministic_debug_mode(1.0),
    lambda L: L.set_float32_matmul_precision(3),
    lambda L: L.set_num_interop_threads(0),
    lambda L: L.set_warn_always(1),
    lambda L: L.set_default_tensor_type("torch.LongTensor"),
    lambda L: L.set_default_tensor_type(L.IntTensor),
    lambda L: L.set_default_tensor_type(L.float64),
    lambda L: L.set_default_tensor_type("torch.cuda.FloatTensor"),
    lambda L: L.set_default_tensor_type("foo"),
])
def test_config_errors(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = both(call)
    assert e[0] == t[0] == "error" and e == t, f"ember: {e}\ntorch: {t}"


def test_matmul_precision():
    for value in ("high", "medium", "highest"):
        same(lambda L: (L.set_float32_matmul_precision(value), L.get_float32_matmul_precision()))
    for lib in (ember, torch):
        lib.set_float32_matmul_precision("medium")
    msgs = []
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            lib.set_float32_matmul_precision("low")  # warns, changes nothing
        msgs.append(str(rec[0].message).split(" (Triggered")[0])
        assert lib.get_float32_matmul_precision() == "medium"
    assert msgs[0] == msgs[1]


def test_default_device_and_interop_threads():
    same(lambda L: str(L.get_default_device()))
    same(lambda L: (L.set_default_device("cpu"), str(L.get_default_device())))
    same(lambda L: (L.set_default_device(L.device("cpu")), L.set_default_device(None),
                    str(L.get_default_device())))
    # PyTorch (a CPU build) accepts 'cuda' until a tensor is made; ember says at once that
    # it has no GPU, with the message torch gives when a CUDA tensor is requested
    err = error_of(lambda: ember.set_default_device("cuda"))
    assert err == error_of(lambda: torch.zeros(1, device="cuda"))
    assert str(ember.get_default_device()) == "cpu"
    ember.set_num_interop_threads(2)
    assert ember.get_num_interop_threads() >= 1


def test_warn_always_and_anomaly():
    same(lambda L: (L.set_warn_always(True), L.is_warn_always_enabled()))
    same(lambda L: (L.set_warn_always(False), L.is_warn_always_enabled()))
    same(lambda L: (L.set_anomaly_enabled(True), L.is_anomaly_enabled(),
                    L.is_anomaly_check_nan_enabled()))
    same(lambda L: (L.set_anomaly_enabled(True, False), L.is_anomaly_check_nan_enabled()))
    assert ember.autograd.is_anomaly_enabled()  # the same switch as autograd's
    same(lambda L: (L.set_anomaly_enabled(False), L.is_anomaly_enabled()))
    with ember.autograd.detect_anomaly():
        assert ember.is_anomaly_enabled()


def test_flush_denormal():
    assert ember.set_flush_denormal(False) is True and torch.set_flush_denormal(False) is True
    assert ember.set_flush_denormal(True) is False  # NumPy cannot flush: reported unsupported
    torch.set_flush_denormal(False)


def test_set_default_tensor_type():
    for lib in (ember, torch):
        lib.set_warn_always(True)  # both warn once per process otherwise
    for spelling in (lambda L: L.DoubleTensor, lambda L: "torch.DoubleTensor",
                     lambda L: L.HalfTensor, lambda L: "torch.FloatTensor"):
        got = []
        for lib in (ember, torch):
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter("always")
                lib.set_default_tensor_type(spelling(lib))
            got.append((str(lib.get_default_dtype()), rec[0].category,
                        str(rec[0].message).split(" (Triggered")[0], str(lib.zeros(1).dtype)))
        assert got[0] == got[1]


def test_legacy_tensor_types():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor",
                 "ByteTensor", "HalfTensor"):
        e, t = getattr(ember, name), getattr(torch, name)
        for make in (lambda L: L.zeros(2), lambda L: L.zeros(2, dtype=L.int64),
                     lambda L: L.ones(1, dtype=L.bool)):
            assert isinstance(make(ember), e) == isinstance(make(torch), t)
        assert str(e([1, 2]).dtype) == str(t([1, 2]).dtype)
        assert tuple(e(2, 3).shape) == tuple(t(2, 3).shape)
    assert repr(ember.DoubleTensor) == repr(torch.DoubleTensor)


def test_import_does_not_load_the_lazy_modules():
    code = ("import sys, ember; lazy = ['ember._config', 'ember._toplevel_nn', 'ember.nn', "
            "'ember.ops.misc_math', 'ember.ops.misc_types', 'ember.ops.misc_prims']; "
            "print([m for m in lazy if m in sys.modules]); ember.conv2d; ember.is_signed; "
            "print('ember.nn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True"


# ---- type helpers ----

@pytest.mark.parametrize("call", [
    lambda L: L.result_type(L.tensor([1, 2]), 1.0),
    lambda L: L.result_type(1, 2),
    lambda L: L.result_type(1, 2.0),
    lambda L: L.result_type(True, L.tensor([1], dtype=L.uint8)),
    lambda L: L.result_type(L.tensor(1.0, dtype=L.float64), L.tensor([1.0])),
    lambda L: L.result_type(L.tensor([1], dtype=L.int8), L.tensor([1], dtype=L.uint8)),
    lambda L: L.result_type(L.tensor([1], dtype=L.int32), 2.5),
    lambda L: L.result_type([1], 2),
    lambda L: L.promote_types(L.int8, L.uint8),
    lambda L: L.promote_types(L.int64, L.float16),
    lambda L: L.promote_types(L.bool, L.bool),
    lambda L: L.promote_types(L.int32, L.float64),
    lambda L: L.is_complex(L.tensor([1.0])),
    lambda L: L.is_complex(1.0),
    lambda L: L.is_nonzero(L.tensor([1.0])),
    lambda L: L.is_nonzero(L.tensor([0])),
    lambda L: L.is_nonzero(L.tensor(False)),
    lambda L: L.is_nonzero(L.tensor(float("nan"))),
    lambda L: L.is_nonzero(L.tensor([1, 2])),
    lambda L: L.is_nonzero(L.tensor([])),
    lambda L: L.is_same_size(L.tensor([1]), L.tensor([2])),
    lambda L: L.is_same_size(L.zeros(2, 3), L.zeros(3, 2)),
    lambda L: L.is_same_size(L.tensor([1]), [2]),
    lambda L: L.is_inference(L.tensor([1])),
    lambda L: L.typename(L.tensor([1])),
    lambda L: L.typename(L.zeros(2)),
    lambda L: L.typename(3),
    lambda L: L.typename(L.nn.Linear(1, 1)).replace("ember", "torch"),
    lambda L: L.empty_strided((2, 3), (1,)),
    lambda L: L.range(4, 1),
    lambda L: L.range(1, 4, 0),
    lambda L: L.range(1, 4, -1),
    lambda L: L.fill(L.tensor([1.0, 2]), L.tensor([3.0])),
    lambda L: L.hann_window(-1),
    lambda L: L.hann_window(3, dtype=L.int64),
], ids=lambda c: "")
def test_type_helpers(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = both(call)
    if e[0] == "ok" and isinstance(e[1], ember.dtype):
        e = ("ok", str(e[1]))
        t = ("ok", str(t[1]))
    assert e == t, f"ember: {e}\ntorch: {t}"


def test_can_cast_and_is_signed_every_pair():
    names = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
             "float64")
    for a in names:
        ta = getattr(torch, a)
        assert ember.is_signed(ember.zeros(1, dtype=getattr(ember, a))) == \
            torch.is_signed(torch.zeros(1, dtype=ta))
        for b in names:
            assert ember.can_cast(getattr(ember, a), getattr(ember, b)) == \
                torch.can_cast(ta, getattr(torch, b)), (a, b)
            assert str(ember.promote_types(getattr(ember, a), getattr(ember, b))) == \
                str(torch.promote_types(ta, getattr(torch, b)))


def test_creation_helpers():
    for kw in ({}, {"dtype": "int64"}, {"requires_grad": True}):
        args = {k: (getattr(ember, v) if k == "dtype" else v) for k, v in kw.items()}
        targs = {k: (getattr(torch, v) if k == "dtype" else v) for k, v in kw.items()}
        e, t = ember.scalar_tensor(3, **args), torch.scalar_tensor(3, **targs)
        assert (str(e.dtype), e.requires_grad, float(e)) == (str(t.dtype), t.requires_grad,
                                                              float(t))
    for size, stride in (((2, 3), (3, 1)), ((2, 3), (1, 2)), ((2, 3), (0, 1)), ((0, 4), (4, 1))):
        e, t = ember.empty_strided(size, stride), torch.empty_strided(size, stride)
        assert (tuple(e.shape), e.stride(), str(e.dtype)) == (tuple(t.shape), t.stride(),
                                                              str(t.dtype))
    for args in ((1, 4), (1, 4, 0.5), (0, 1, 0.3), (4, 1, -1), (2.5,)):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            e = ember.range(*args)
        msg = str(rec[0].message)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            t = torch.range(*args) if len(args) > 1 else torch.range(0, args[0])
        assert msg == str(rec[0].message)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
        assert str(e.dtype) == str(t.dtype)
    assert str(ember.range(1, 3, dtype=ember.int64).dtype) == "torch.int64"


def test_fill_and_zero():
    compare(lambda L, a: L.fill(a, 3), r(2, 3))
    compare(lambda L, a, v: L.fill(a, v), r(2, 3), np.array(1.5))  # value gets the gradient
    compare(lambda L, a: L.fill(a, 2.5), np.array([1, 2]), grad=False)
    for name, args in (("fill_", (4.0,)), ("zero_", ())):
        e, t = ember.tensor(r(3)), torch.tensor(r(3))
        assert getattr(ember, name)(e, *args) is e
        getattr(torch, name)(t, *args)
        np.testing.assert_array_equal(e.numpy(), t.numpy())


INPLACE = ["abs_", "exp_", "relu_", "sigmoid_", "tanh_", "sqrt_", "neg_", "floor_", "round_",
           "sin_", "log1p_", "square_", "trunc_", "frac_", "reciprocal_", "erf_", "rsqrt_"]


@pytest.mark.parametrize("name", INPLACE)
def test_top_level_inplace_aliases(name):
    x = np.abs(r(5)) + 0.1
    e, t = ember.tensor(x), torch.tensor(x)
    assert getattr(ember, name)(e) is e
    getattr(torch, name)(t)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)
    assert getattr(ember, name).__name__ == name


def test_inplace_aliases_with_arguments_and_autograd():
    compare(lambda L, a: L.clamp_(a.clone(), -0.5, 0.5), r(6))
    compare(lambda L, a, b: L.xlogy_(a.clone(), b), np.abs(r(4)), np.abs(r(4)))
    compare(lambda L, a: L.i0_(a * 1), r(4))
    same_error(lambda L, a: L.exp_(a.requires_grad_()), r(3))


def test_windows():
    for name in ("hann_window", "hamming_window", "blackman_window", "bartlett_window",
                 "kaiser_window"):
        for n in (0, 1, 2, 7, 8):
            for periodic in (True, False):
                e = getattr(ember, name)(n, periodic)
                t = getattr(torch, name)(n, periodic)
                assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
                np.testing.assert_allclose(e.numpy(), t.numpy(), atol=1e-6)
    for e, t in ((ember.hamming_window(9, False, 0.5, 0.5, dtype=ember.float64),
                  torch.hamming_window(9, False, 0.5, 0.5, dtype=torch.float64)),
                 (ember.kaiser_window(8, True, 3.0), torch.kaiser_window(8, True, 3.0))):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)
