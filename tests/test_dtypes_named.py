"""PyTorch's dtypes that NumPy cannot store (bfloat16, complex, float8, uint16, ...) exist in
ember with PyTorch's names and properties, so code that only names them runs; making a tensor
of one raises a clear error instead of a silent float64 or an AttributeError."""

import pickle

import pytest
import torch

import ember

TORCH_DTYPES = sorted(n for n in dir(torch) if isinstance(getattr(torch, n, None), torch.dtype))
NO_STORAGE = [n for n in TORCH_DTYPES
              if getattr(torch, n) not in (torch.bool, torch.uint8, torch.int8, torch.int16,
                                           torch.int32, torch.int64, torch.float16,
                                           torch.float32, torch.float64)]


def _outcome(fn):
    try:
        return ("value", str(fn()))
    except Exception as exc:  # the error type and message are part of the behaviour
        return (type(exc).__name__, str(exc))


def test_every_torch_dtype_name_exists():
    assert len(TORCH_DTYPES) > 50
    assert [n for n in TORCH_DTYPES if not isinstance(getattr(ember, n, None), ember.dtype)] == []


@pytest.mark.parametrize("name", TORCH_DTYPES)
def test_dtype_properties_match_torch(name):
    t, e = getattr(torch, name), getattr(ember, name)
    assert repr(e) == repr(t) and str(e) == str(t)
    assert e.is_floating_point == t.is_floating_point
    assert e.is_complex == t.is_complex
    assert e.itemsize == t.itemsize
    for attr in ("is_signed",):
        assert _outcome(lambda: getattr(e, attr)) == _outcome(lambda: getattr(t, attr))
    assert _outcome(e.to_real) == _outcome(t.to_real)
    assert _outcome(e.to_complex) == _outcome(t.to_complex)
    assert pickle.loads(pickle.dumps(e)) is e


@pytest.mark.parametrize("name", ["bfloat16", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                                  "float8_e5m2fnuz", "float8_e8m0fnu", "complex32", "complex64",
                                  "complex128", "float16", "float32", "float64"])
def test_finfo_matches_torch(name):
    t, e = torch.finfo(getattr(torch, name)), ember.finfo(getattr(ember, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, field) == getattr(t, field), field
    assert repr(e) == repr(t)


@pytest.mark.parametrize("name", TORCH_DTYPES)
def test_finfo_and_iinfo_of_every_dtype_match_torch(name):
    """Values, or the error of the wrong kind of dtype (finfo of an int, iinfo of a float)."""
    for fn in ("finfo", "iinfo"):
        assert _outcome(lambda: repr(getattr(ember, fn)(getattr(ember, name)))) == \
            _outcome(lambda: repr(getattr(torch, fn)(getattr(torch, name))))


@pytest.mark.parametrize("name", ["uint16", "uint32", "uint64"])
def test_iinfo_of_wide_unsigned_matches_torch(name):
    t, e = torch.iinfo(getattr(torch, name)), ember.iinfo(getattr(ember, name))
    assert (e.bits, e.min, e.max, e.dtype) == (t.bits, t.min, t.max, t.dtype)
    assert repr(e) == repr(t)


@pytest.mark.parametrize("name", NO_STORAGE)
@pytest.mark.parametrize("make", [
    lambda d: ember.zeros(2, dtype=d), lambda d: ember.ones(2).to(d),
    lambda d: ember.tensor([1.0], dtype=d), lambda d: ember.empty(3, dtype=d),
    lambda d: ember.full((2,), 1.0, dtype=d), lambda d: ember.zeros_like(ember.ones(2), dtype=d),
    lambda d: ember.ones(2).type(d), lambda d: ember.promote_types(d, ember.float32),
    lambda d: ember.can_cast(ember.float32, d),
    lambda d: ember.testing.make_tensor(2, dtype=d, device="cpu"),
], ids=["zeros", "to", "tensor", "empty", "full", "zeros_like", "type", "promote_types",
        "can_cast", "make_tensor"])
def test_a_tensor_of_a_dtype_without_storage_is_a_clear_error(name, make):
    d = getattr(ember, name)
    with pytest.raises(TypeError, match=rf"^ember has no .* tensors \({d!r}\): NumPy"):
        make(d)


@pytest.mark.parametrize("method", ["bfloat16", "cfloat", "cdouble", "chalf"])
def test_cast_methods_exist_and_explain(method):
    assert callable(getattr(torch.ones(2), method))  # PyTorch has them
    with pytest.raises(TypeError, match="^ember has no"):
        getattr(ember.ones(2), method)()


def test_module_bfloat16_and_default_dtype_explain():
    with pytest.raises(TypeError, match=r"^ember has no bfloat16 tensors \(torch.bfloat16\)"):
        ember.nn.Linear(2, 2).bfloat16()
    assert ember.nn.ReLU().bfloat16() is not None  # no floating tensors: nothing to cast
    with pytest.raises(TypeError, match="^ember has no bfloat16"):
        ember.set_default_dtype(ember.bfloat16)
    assert ember.get_default_dtype() is ember.float32
    # complex is not a floating default in PyTorch either: PyTorch's own message
    with pytest.raises(TypeError) as t_err:
        torch.set_default_dtype(torch.complex64)
    with pytest.raises(TypeError) as e_err:
        ember.set_default_dtype(ember.complex64)
    assert str(e_err.value) == str(t_err.value)


def test_code_that_only_names_bfloat16_runs():
    # nanoGPT's train.py / sample.py pick the dtype from a table naming all three
    src = ("ptdtype = {'float32': torch.float32, 'bfloat16': torch.bfloat16, "
           "'float16': torch.float16}['float32']\n"
           "x = torch.ones(2, dtype=ptdtype)\n"
           "half = torch.bfloat16 if False else torch.float16\n"
           "eps = torch.finfo(torch.bfloat16).eps\n")
    results = []
    for lib in (torch, ember):
        scope = {"torch": lib}
        exec(src, scope)
        results.append((str(scope["x"]), str(scope["half"]), scope["eps"]))
    assert results[0] == results[1]


@pytest.mark.parametrize("np_type, hint", [("uint16", "np.int32 or np.int64"),
                                           ("uint32", "np.int32 or np.int64"),
                                           ("complex64", "np.float32/np.float64")])
def test_from_numpy_of_a_type_only_pytorch_holds_says_how_to_convert(np_type, hint):
    import numpy as np

    a = np.zeros(2, np_type)
    assert str(torch.from_numpy(a).dtype) == f"torch.{np_type}"  # PyTorch takes it
    with pytest.raises(TypeError, match=rf"^can't convert np.ndarray of type numpy.{np_type}\. "
                                        r"The only supported types are: .*PyTorch also takes") \
            as err:
        ember.from_numpy(a)
    assert hint in str(err.value)
