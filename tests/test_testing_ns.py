"""ember.testing against torch.testing 2.13: assert_close passes and fails on the same inputs
with the same messages; make_tensor's ranges, flags and errors; assert_allclose's warning."""

import math
import warnings

import numpy as np
import pytest
import torch

import ember

NAN, INF = math.nan, math.inf

# Each case builds the two arguments (and keyword options) from a library module.
CASES = {
    "float_mismatch": lambda m: (m.tensor([1., 2, 3]), m.tensor([1., 2.5, 3]), {}),
    "int_2d": lambda m: (m.tensor([[1, 2], [3, 4]]), m.tensor([[1, 2], [3, 5]]), {}),
    "dtype": lambda m: (m.tensor([1., 2, 3]), m.tensor([1., 2, 3], dtype=m.float64), {}),
    "shape": lambda m: (m.tensor([1., 2, 3]), m.tensor([1., 2]), {}),
    "py_floats": lambda m: (1.0, 1.1, {}),
    "py_ints": lambda m: (1, 2, {}),
    "int_vs_float": lambda m: (1, 1.0, {}),
    "list_item": lambda m: ([m.tensor(1.), m.tensor(2.)], [m.tensor(1.), m.tensor(2.5)], {}),
    "dict_item": lambda m: ({"a": m.tensor(1.)}, {"a": m.tensor(1.5)}, {}),
    "nested": lambda m: ({"a": [1.0, (2.0, m.tensor([3.0, 4.0]))]},
                         {"a": [1.0, (2.0, m.tensor([3.0, 4.5]))]}, {}),
    "dict_keys": lambda m: ({"a": m.tensor(1.)}, {"b": m.tensor(1.5)}, {}),
    "seq_len": lambda m: ([1, 2], [1, 2, 3], {}),
    "msg": lambda m: (m.tensor([1., 2, 3]), m.tensor([1., 2.5, 3]), {"msg": "custom"}),
    "msg_callable": lambda m: (m.tensor([1., 2]), m.tensor([1., 2.1]),
                               {"msg": lambda s: "X" + s[:10]}),
    "nan_default": lambda m: (m.tensor([NAN]), m.tensor([NAN]), {}),
    "nan_equal": lambda m: (m.tensor([NAN, 1]), m.tensor([NAN, 1]), {"equal_nan": True}),
    "inf_same": lambda m: (m.tensor([INF, 1]), m.tensor([INF, 1]), {}),
    "inf_opposite": lambda m: (m.tensor([INF, 1]), m.tensor([-INF, 1]), {}),
    "bools": lambda m: (m.tensor([True]), m.tensor([False]), {}),
    "zero_dim": lambda m: (m.tensor(1.), m.tensor(2.), {}),
    "check_dtype_off": lambda m: (m.tensor([1., 2]), m.tensor([1., 2.1], dtype=m.float64),
                                  {"check_dtype": False}),
    "float_vs_int_off": lambda m: (m.tensor([1., 2]), m.tensor([1, 3]),
                                   {"check_dtype": False}),
    "explicit_tols": lambda m: (m.tensor([[1., 2], [3, 4]]), m.tensor([[1., 2.1], [3, 4.2]]),
                                {"rtol": 0, "atol": 0.15}),
    "within_tols": lambda m: (m.tensor([1., 2]), m.tensor([1., 2.05]),
                              {"rtol": 0, "atol": 0.1}),
    "float32_default_ok": lambda m: (m.tensor([1.0]), m.tensor([1.0 + 1e-6]), {}),
    "float64_default_fail": lambda m: (m.tensor([1.0], dtype=m.float64),
                                       m.tensor([1.0 + 1e-6], dtype=m.float64), {}),
    "stride": lambda m: (m.ones(2, 3), m.ones(3, 2).t(), {"check_stride": True}),
    "stride_off": lambda m: (m.ones(2, 3), m.ones(3, 2).t(), {}),
    "numpy": lambda m: (np.array([1., 2]), np.array([1., 2.5]), {}),
    "int_dtypes": lambda m: (m.tensor([1, 2]), m.tensor([1, 2], dtype=m.int32), {}),
    "tensor_vs_list": lambda m: (m.tensor([1.]), [1.], {}),
    "tensor_vs_float": lambda m: (m.tensor(1.), 1., {}),
    "strings": lambda m: ("a", "a", {}),
    "nones": lambda m: (None, None, {}),
    "requires_grad": lambda m: (m.tensor([1., 2]), m.tensor([1., 2]).requires_grad_(), {}),
    "rtol_only": lambda m: (m.tensor([1., 2]), m.tensor([1., 2]), {"rtol": 0.1}),
    "many_mismatches": lambda m: (m.arange(12.).reshape(3, 4),
                                  m.arange(12.).reshape(3, 4) * 1.01, {}),
}


def _outcome(lib, case):
    actual, expected, kw = CASES[case](lib)
    try:
        lib.testing.assert_close(actual, expected, **kw)
    except Exception as err:  # noqa: BLE001 - the type is part of what is compared
        return type(err), str(err)
    return None, None


@pytest.mark.parametrize("case", sorted(CASES))
def test_assert_close_matches_torch(case):
    assert _outcome(ember, case) == _outcome(torch, case)


def test_assert_close_reports_first_lines():
    with pytest.raises(AssertionError) as info:
        ember.testing.assert_close(ember.tensor([1., 2, 3]), ember.tensor([1., 2.5, 3]))
    assert str(info.value).startswith("Tensor-likes are not close!\n\nMismatched elements: "
                                      "1 / 3 (33.3%)\nGreatest absolute difference: 0.5 at "
                                      "index (1,) (up to 1e-05 allowed)")


def test_assert_allclose_deprecated():
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            lib.testing.assert_allclose(lib.tensor([1.0, NAN]), [1.0, NAN])
        assert got[0].category is FutureWarning
        assert str(got[0].message).startswith("`torch.testing.assert_allclose()` is deprecated")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(AssertionError, match="Tensor-likes are not close!"):
                lib.testing.assert_allclose(lib.tensor([1.0]), lib.tensor([1.5]))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "uint8", "bool"])
def test_make_tensor_ranges_and_dtype(dtype):
    t = ember.testing.make_tensor(4000, dtype=getattr(ember, dtype), device="cpu")
    ref = torch.testing.make_tensor(4000, dtype=getattr(torch, dtype), device="cpu")
    assert str(t.dtype) == str(ref.dtype) and t.shape == (4000,)
    a, r = t.numpy().astype(float), ref.numpy().astype(float)
    assert (a.min(), a.max()) == pytest.approx((r.min(), r.max()), abs=0.05)
    low_high = ember.testing.make_tensor((3, 5), dtype=getattr(ember, dtype), device="cpu",
                                         low=0, high=2, exclude_zero=True).numpy()
    assert low_high.shape == (3, 5) and (low_high != 0).all() and (low_high <= 2).all()


def test_make_tensor_flags():
    t = ember.testing.make_tensor(2, 3, dtype=ember.float32, device="cpu", noncontiguous=True,
                                  requires_grad=True)
    ref = torch.testing.make_tensor(2, 3, dtype=torch.float32, device="cpu",
                                    noncontiguous=True)
    assert t.stride() == ref.stride() and not t.is_contiguous() and t.requires_grad
    assert t.is_leaf
    one = ember.testing.make_tensor([1], dtype=ember.float32, device="cpu", noncontiguous=True)
    assert one.is_contiguous()


@pytest.mark.parametrize("kw", [dict(dtype="int64", requires_grad=True),
                                dict(dtype="float32", low=3, high=2),
                                dict(dtype="int64", low=2, high=2),
                                dict(dtype="float32", low=NAN),
                                dict(dtype="uint8", low=-5, high=-1)])
def test_make_tensor_errors_match(kw):
    errors = []
    for lib in (torch, ember):
        args = dict(kw, dtype=getattr(lib, kw["dtype"]))
        with pytest.raises(ValueError) as info:
            lib.testing.make_tensor(3, device="cpu", **args)
        errors.append(str(info.value))
    assert errors[0] == errors[1]
