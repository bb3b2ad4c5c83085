"""ember._tensor_str.format_tensor must print exactly what PyTorch 2.13 prints."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ember import _tensor_str as ts

inf, nan = math.inf, math.nan


@pytest.fixture(autouse=True)
def _reset_printoptions():
    """Every test starts and ends with default options in both libraries."""
    torch.set_printoptions(profile="default")
    ts.set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")
    ts.set_printoptions(profile="default")


def ours(t: torch.Tensor, prefix: str = "tensor(") -> str:
    """format_tensor applied to the same contents, dtype and autograd state as `t`."""
    grad_fn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    return ts.format_tensor(t.detach().numpy(), str(t.dtype).replace("torch.", ""),
                            requires_grad=t.requires_grad, grad_fn_name=grad_fn,
                            prefix=prefix)


def assert_same(t: torch.Tensor) -> None:
    assert ours(t) == repr(t)


def both_set(**kwargs) -> None:
    torch.set_printoptions(**kwargs)
    ts.set_printoptions(**kwargs)


def _seq(n, dtype=torch.float32):
    return torch.arange(n, dtype=torch.float64).to(dtype)


CASES = {
    # scalars and simple vectors
    "int_mode_vec": lambda: torch.tensor([2., 4., 6.]),
    "scalar_int_mode": lambda: torch.tensor(4.),
    "scalar_frac": lambda: torch.tensor(6.5),
    "scalar_zero": lambda: torch.tensor(0.),
    "scalar_neg_zero": lambda: torch.tensor(-0.),
    "scalar_nan": lambda: torch.tensor(nan),
    "scalar_inf": lambda: torch.tensor(-inf),
    "scalar_int": lambda: torch.tensor(7),
    "scalar_bool": lambda: torch.tensor(True),
    "scalar_sci": lambda: torch.tensor(1e-5),
    "scalar_big": lambda: torch.tensor(123456789.),
    "frac_vec": lambda: torch.tensor([1.5, -2.25, 3.125]),
    "precision_round": lambda: torch.tensor([0.12345, 1.00005, 2.99999]),
    "neg_zero_vec": lambda: torch.tensor([-0., 0., 1.]),
    "all_zero": lambda: torch.zeros(4),
    "nan_inf_int": lambda: torch.tensor([nan, inf, -inf, 1., 200.]),
    "nan_inf_frac": lambda: torch.tensor([nan, inf, -inf, 1.5]),
    "only_nonfinite": lambda: torch.tensor([nan, inf, -inf]),
    # scientific notation triggers
    "small_values": lambda: torch.tensor([1e-5, 2e-5]),
    "ratio_over_1000": lambda: torch.tensor([0.5, 600.]),
    "ratio_exact_1000": lambda: torch.tensor([1., 1000.]),
    "huge": lambda: torch.tensor([1e8, 2e8]),
    "huge_int_mode": lambda: torch.tensor([1e9, 3.]),
    "sci_with_nan": lambda: torch.tensor([1e-7, nan, -inf, 0.]),
    "subnormal_range": lambda: torch.tensor([1e-40, 1e30], dtype=torch.float32),
    "float64_tiny": lambda: torch.tensor([1e-300, 1e300], dtype=torch.float64),
    # every dtype
    "float64": lambda: torch.tensor([1.5, 2.0], dtype=torch.float64),
    "float64_int": lambda: torch.tensor([1., 2.], dtype=torch.float64),
    "float16": lambda: torch.tensor([0.1, 65504., -3.], dtype=torch.float16),
    "float16_frac": lambda: torch.tensor([[0.1, 0.2], [0.3, 1.5]], dtype=torch.float16),
    "int64": lambda: torch.tensor([1, -20, 300]),
    "int32": lambda: torch.tensor([1, 2], dtype=torch.int32),
    "int16": lambda: torch.tensor([[-32768, 5]], dtype=torch.int16),
    "int8": lambda: torch.tensor([-128, 127], dtype=torch.int8),
    "uint8": lambda: torch.tensor([0, 255, 7], dtype=torch.uint8),
    "bool": lambda: torch.tensor([True, False, True]),
    "bool_2d": lambda: torch.tensor([[True], [False]]),
    "int64_big": lambda: torch.tensor([2**62, -5]),
    # nesting
    "2d": lambda: torch.tensor([[1., 2.5], [-3., 4.]]),
    "3d": lambda: _seq(24).reshape(2, 3, 4) / 7,
    "4d": lambda: _seq(24).reshape(2, 1, 3, 4) - 5,
    "5d": lambda: _seq(32).reshape(2, 2, 2, 2, 2),
    "3d_int32": lambda: _seq(12, torch.int32).reshape(3, 2, 2),
    "single_elem_nested": lambda: torch.tensor([[[3.]]]),
    # empties
    "empty_1d": lambda: torch.tensor([]),
    "empty_2d": lambda: torch.zeros(0, 3),
    "empty_3d": lambda: torch.zeros(2, 0, 1),
    "empty_int64": lambda: torch.zeros(0, dtype=torch.int64),
    "empty_bool_2d": lambda: torch.zeros(3, 0, dtype=torch.bool),
    "empty_float64": lambda: torch.zeros(0, 2, dtype=torch.float64),
    # wrapping at 80 columns
    "wide_row": lambda: torch.linspace(-1, 1, 40),
    "wide_matrix": lambda: _seq(60).reshape(2, 30) / 3,
    "wide_int": lambda: torch.arange(100),
    "wide_3d": lambda: _seq(2 * 2 * 25).reshape(2, 2, 25) * 1.5,
    "wide_sci": lambda: torch.logspace(-8, 8, 30),
    # summarisation above 1000 elements
    "summary_1d": lambda: torch.arange(1001.),
    "summary_1d_frac": lambda: torch.arange(2000.) / 3,
    "summary_2d": lambda: _seq(50 * 50).reshape(50, 50) / 7,
    "summary_3d": lambda: _seq(11 * 12 * 13).reshape(11, 12, 13),
    "summary_narrow_rows": lambda: _seq(500 * 3).reshape(500, 3),
    "summary_int": lambda: torch.arange(5000, dtype=torch.int32).reshape(50, 100),
    "summary_bool": lambda: torch.arange(1500) % 3 == 0,
    "summary_hidden_outlier": lambda: torch.cat([torch.ones(3), torch.full((995,), 1e-9),
                                                 torch.ones(3) * 2]),
    "exactly_threshold": lambda: torch.arange(1000.),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    assert_same(CASES[name]())


def test_autograd_suffixes():
    leaf = torch.tensor(3., requires_grad=True)
    assert ours(leaf) == repr(leaf) == "tensor(3., requires_grad=True)"
    prod = leaf * 2
    assert ours(prod) == repr(prod) == "tensor(6., grad_fn=<MulBackward0>)"
    added = leaf + 3.5
    assert ours(added) == repr(added) == "tensor(6.5000, grad_fn=<AddBackward0>)"
    assert_same(torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True) * 3)


def test_suffix_wraps_past_line_width():
    # The last row ends near column 80, so the suffixes move to their own lines.
    wide = (torch.arange(16.).reshape(2, 8) / 3 + 1000).requires_grad_()
    assert_same(wide)
    assert_same(wide.double().sum(0))
    assert_same(torch.zeros(0, 5, dtype=torch.int16, requires_grad=False))


def test_parameter_prefix_indents_continuation_lines():
    for data in (torch.arange(60.).reshape(2, 30) / 7, torch.tensor(1.), torch.zeros(0, 3),
                 torch.arange(12.).reshape(3, 4) - 0.5):
        param = torch.nn.Parameter(data)
        assert ours(param, prefix="Parameter containing:\ntensor(") == repr(param)


def test_default_dtype_hook(monkeypatch):
    monkeypatch.setattr(ts, "_default_dtype_name", lambda: "float64")
    text = ts.format_tensor(np.array([1.5], dtype=np.float32), "float32")
    assert text == "tensor([1.5000], dtype=torch.float32)"
    assert ts.format_tensor(np.array([1.5]), "float64") == "tensor([1.5000])"


def test_casts_data_to_named_dtype():
    # 0.1 as float64 prints 0.1000 either way, but 16777217 only survives in float64.
    assert ts.format_tensor(np.array([16777217.0]), "float32") == "tensor([16777216.])"
    assert ts.format_tensor(np.float64(2.0), "int32") == "tensor(2, dtype=torch.int32)"
    with pytest.raises(ValueError, match="unsupported dtype"):
        ts.format_tensor(np.zeros(2), "complex64")


@pytest.mark.parametrize("options", [
    dict(precision=2), dict(precision=0), dict(precision=8), dict(sci_mode=False),
    dict(sci_mode=True), dict(threshold=5), dict(threshold=5, edgeitems=1),
    dict(threshold=5, edgeitems=0), dict(linewidth=40), dict(linewidth=5),
    dict(profile="short"), dict(profile="full"), dict(profile="short", precision=6),
])
def test_printoptions_match_torch(options):
    both_set(**options)
    assert ts.get_printoptions() == torch._tensor_str.get_printoptions()
    samples = [torch.tensor([1.12345, -22.5]), torch.tensor([1e-5, 3e3, nan]),
               torch.tensor([0., 0.]), torch.arange(30.).reshape(3, 10) / 9,
               torch.arange(2000.), torch.arange(10), torch.tensor(2.5),
               torch.arange(24.).reshape(2, 3, 4), torch.zeros(0, 2)]
    for t in samples:
        assert_same(t)


def test_set_printoptions_round_trip():
    both_set(precision=2, threshold=10, edgeitems=2, linewidth=60, sci_mode=False)
    saved = ts.get_printoptions()
    assert saved == dict(precision=2, threshold=10, edgeitems=2, linewidth=60,
                         sci_mode=False)
    ts.set_printoptions(profile="default")
    assert ts.get_printoptions()["precision"] == 4
    ts.set_printoptions(**saved)
    assert ts.get_printoptions() == saved
    # Like torch, a call without sci_mode puts it back to automatic.
    both_set(precision=3)
    assert ts.get_printoptions() == torch._tensor_str.get_printoptions()
    assert ts.get_printoptions()["sci_mode"] is None


def test_printoptions_context_manager_restores():
    with ts.printoptions(precision=1, sci_mode=True):
        assert ts.format_tensor(np.array([2.25], np.float32), "float32") == "tensor([2.2e+00])"
    assert ts.get_printoptions() == dict(precision=4, threshold=1000, edgeitems=3,
                                         linewidth=80, sci_mode=None)


def test_unknown_profile_is_ignored_like_torch():
    both_set(profile="nope", precision=3)
    assert ts.get_printoptions() == torch._tensor_str.get_printoptions()


_MAGNITUDE = st.builds(lambda m, e: m * 10.0 ** e,
                       st.floats(-10, 10, allow_nan=False), st.integers(-12, 12))
_FLOAT_ELEMENTS = st.one_of(
    _MAGNITUDE, st.integers(-3000, 3000).map(float),
    st.sampled_from([0.0, -0.0, nan, inf, -inf, 0.5, 1e-4, 1e8]),
)


@settings(max_examples=300, deadline=None)
@given(dtype=st.sampled_from([np.float32, np.float64, np.float16]),
       data=st.data())
def test_random_float_arrays_match_torch(dtype, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=9))
    values = data.draw(hnp.arrays(np.float64, shape, elements=_FLOAT_ELEMENTS))
    with np.errstate(over="ignore"):
        assert_same(torch.from_numpy(values.astype(dtype)))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), precision=st.integers(0, 8), linewidth=st.integers(10, 120),
       threshold=st.integers(1, 200), edgeitems=st.integers(0, 4),
       sci_mode=st.sampled_from([None, True, False]))
def test_random_options_match_torch(data, precision, linewidth, threshold, edgeitems,
                                    sci_mode):
    both_set(precision=precision, linewidth=linewidth, threshold=threshold,
             edgeitems=edgeitems, sci_mode=sci_mode)
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12))
    dtype = data.draw(st.sampled_from([np.float32, np.int32, np.bool_]))
    elements = _FLOAT_ELEMENTS if dtype is np.float32 else st.integers(-999, 999)
    values = data.draw(hnp.arrays(np.float64, shape, elements=elements))
    with np.errstate(over="ignore", invalid="ignore"):
        assert_same(torch.from_numpy(values.astype(dtype)))


def test_format_spec_numbers_only_plain_zero_dim_tensors():
    """PyTorch's Tensor.__format__: a plain 0-d Tensor formats as its number; a Parameter or
    any subclass, even 0-d, takes object's rule (str for '', a TypeError naming its class)."""
    from torch_compare import run_both

    def run(L):
        class MyT(L.Tensor):
            pass

        vals = {"t0": L.tensor(1.5), "t1": L.tensor([1.5, 2.0]),
                "p0": L.nn.Parameter(L.tensor(2.5)), "p1": L.nn.Parameter(L.ones(2)),
                "m0": L.tensor(3.0).as_subclass(MyT)}
        out = []
        for name, v in vals.items():
            for spec in ("", ".3f"):
                try:
                    out.append(format(v, spec))
                except TypeError as e:
                    out.append(str(e))
        return out
    want, got = run_both(run)
    assert got == want
