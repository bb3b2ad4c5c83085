"""Tensor methods and torch.* functions ember added from PyTorch 2.13's list: ger,
split_with_sizes and the unsafe_* splits, narrow_copy, new_empty_strided, adjoint,
nonzero_static, igamma/igammac, the complex-number API on real tensors (conj, real, imag,
angle, ...), Tensor.layout / torch.strided and Tensor.name. Values, dtypes, views, gradients
(vs torch and finite differences) and errors against PyTorch."""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck
from torch_compare import compare
from torch_compare import same_error_case as same_error

RNG = np.random.default_rng(3)


# ---- ger, splits, narrow_copy ----

def test_ger():
    compare(lambda L, a, b: a.ger(b), RNG.standard_normal(3), RNG.standard_normal(2))
    compare(lambda L, a, b: L.ger(a, b), np.arange(3), RNG.standard_normal(2))
    same_error(lambda L: L.ones(2, 2).ger(L.ones(2)))


@pytest.mark.parametrize("fn", [
    lambda L, x: x.split_with_sizes([1, 2], 1),
    lambda L, x: L.split_with_sizes(x, (2, 0, 1), dim=-1),
    lambda L, x: x.unsafe_split(2, 1),
    lambda L, x: L.unsafe_split(x, 1),
    lambda L, x: x.unsafe_chunk(2, 1),
    lambda L, x: L.unsafe_chunk(x, 5, 1),
    lambda L, x: x.unsafe_split_with_sizes([1, 2], 1),
    lambda L, x: L.unsafe_split_with_sizes(x, [2], 0),
    lambda L, x: x.narrow_copy(1, 1, 2),
    lambda L, x: L.narrow_copy(x, -1, 1, 2),
    lambda L, x: x.narrow_copy(0, L.tensor(1), 1),
])
def test_split_pieces_values_and_gradients(fn):
    compare(lambda L, x: fn(L, x * 1), RNG.standard_normal((2, 3)))


def test_grad_fn_names_and_views():
    for L in (torch, ember):
        x = L.arange(6.0).reshape(2, 3).requires_grad_() * 1
        names = {
            "split_with_sizes": x.split_with_sizes([1, 2], 1)[0],
            "unsafe_split": x.unsafe_split(2, 1)[0],
            "unsafe_chunk": x.unsafe_chunk(2, 1)[1],
            "unsafe_split_with_sizes": x.unsafe_split_with_sizes([1, 2], 1)[1],
            "narrow_copy": x.narrow_copy(1, 1, 2),
        }
        got = {k: v.grad_fn.name() for k, v in names.items()}
        assert got == {"split_with_sizes": "SplitWithSizesBackward0",
                       "unsafe_split": "UnsafeSplitBackward0",
                       "unsafe_chunk": "UnsafeSplitBackward0",
                       "unsafe_split_with_sizes": "UnsafeSplitWithSizesBackward0",
                       "narrow_copy": "NarrowCopyBackward0"}
        assert names["split_with_sizes"]._base is x
        assert names["unsafe_split"]._base is None  # "unsafe": not tracked as a view ...
        assert names["unsafe_split"].data_ptr() == x.data_ptr()  # ... yet sharing memory
        assert names["narrow_copy"]._base is None
        assert names["narrow_copy"].data_ptr() != x.data_ptr() + 8


SPLIT_ERRORS = [
    lambda L: L.ones(2, 3).split_with_sizes([1, 1], 1),
    lambda L: L.ones(2, 3).split_with_sizes([-1, 4], 1),
    lambda L: L.ones(2, 3).split_with_sizes([-1, 1], 1),
    lambda L: L.ones(2, 3).split_with_sizes(3, 1),
    lambda L: L.ones(2, 3).split_with_sizes(L.tensor([1, 2]), 1),
    lambda L: L.split_with_sizes(L.ones(2, 3), 3, 1),
    lambda L: L.tensor(1.0).split_with_sizes([1]),
    lambda L: L.ones(2, 3).split_with_sizes([1, 2], 2),
    lambda L: L.ones(2, 3).unsafe_split(-1, 1),
    lambda L: L.ones(2, 3).unsafe_split(0, 1),
    lambda L: L.unsafe_split(L.ones(2, 3), [1, 2], 1),
    lambda L: L.ones(2, 3).unsafe_chunk(0, 1),
    lambda L: L.ones(2, 3).unsafe_split_with_sizes([1, 1], 1),
    lambda L: L.ones(2, 3).unsafe_split_with_sizes([-1, 4], 1),
    lambda L: L.ones(2, 3).narrow_copy(1, 2, 2),
    lambda L: L.ones(2, 3).narrow_copy(1, 4, 0),
    lambda L: L.ones(2, 3).narrow_copy(1, -4, 0),
    lambda L: L.ones(2, 3).narrow_copy(1, 0, -1),
    lambda L: L.ones(2, 3).narrow_copy(-3, 0, 1),
    lambda L: L.tensor(1.0).narrow_copy(0, 0, 1),
]


@pytest.mark.parametrize("case", SPLIT_ERRORS)
def test_split_errors(case):
    same_error(case)


def test_narrow_copy_negative_start():
    """PyTorch 2.13's gradient fails for a negative start (its backward shapes mismatch)."""
    compare(lambda L, x: L.narrow_copy(x, -1, -2, 2), RNG.standard_normal((2, 3)), grad=False)
    assert gradcheck(lambda x: x.narrow_copy(-1, -2, 2),
                     (ember.tensor(RNG.standard_normal((2, 3)), requires_grad=True),))


def test_narrow_copy_dim_past_the_end():
    """PyTorch's own message here is an internal check; ember gives the usual IndexError."""
    with pytest.raises(IndexError):
        ember.ones(2, 3).narrow_copy(3, 0, 1)


# ---- new_empty_strided, adjoint, nonzero_static ----

def test_new_empty_strided():
    for L in (torch, ember):
        x = L.ones(2, dtype=L.float64)
        y = x.new_empty_strided((2, 3), (1, 2))
        assert y.stride() == (1, 2) and tuple(y.shape) == (2, 3) and y.dtype == L.float64
        z = x.new_empty_strided((2, 3), (3, 1), dtype=L.int64, requires_grad=False)
        assert z.dtype == L.int64 and z.stride() == (3, 1)
        assert x.new_empty_strided((2,), (1,), requires_grad=True).requires_grad


def test_adjoint():
    compare(lambda L, x: x.adjoint() * 1, RNG.standard_normal((2, 3, 4)))
    compare(lambda L, x: L.adjoint(x), RNG.standard_normal((2, 3)))
    for L in (torch, ember):
        x = L.ones(2, 3)
        assert x.adjoint()._base is x and x.adjoint().grad_fn is None
    # PyTorch warns once per process (TORCH_WARN_ONCE), so only ember's warning is asserted
    with pytest.warns(UserWarning, match="adjoint\\(\\) is deprecated on 0-D tensors"):
        assert ember.tensor(2.0).adjoint().item() == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.tensor(2.0).adjoint().item() == 2.0
    same_error(lambda L: L.ones(3).adjoint())


@pytest.mark.parametrize("args", [
    ([0, 1, 0, 2], dict(size=4)), ([[0, 1], [3, 2]], dict(size=2, fill_value=-5)),
    ([[0, 1], [3, 2]], dict(size=5, fill_value=-5)), (3, dict(size=2)), (0, dict(size=2)),
    ([1.0, 0.0, -0.0, float("nan")], dict(size=3)), ([True, False], dict(size=0)),
])
def test_nonzero_static(args):
    data, kw = args
    e, t = ember.tensor(data).nonzero_static(**kw), torch.nonzero_static(torch.tensor(data), **kw)
    assert e.dtype == ember.int64 and tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_nonzero_static_errors():
    same_error(lambda L: L.tensor([1]).nonzero_static(size=-1))
    for L in (torch, ember):
        with pytest.raises(TypeError):
            L.tensor([1]).nonzero_static(2)


# ---- the complex-number API on real tensors ----

def test_identities_on_real_tensors():
    for L in (torch, ember):
        x = L.arange(6.0).reshape(2, 3).requires_grad_() * 1
        for name in ("conj", "conj_physical", "resolve_conj", "resolve_neg"):
            assert getattr(x, name)() is x and getattr(L, name)(x) is x
        assert x.real is x and L.real(x) is x
        assert not x.is_conj() and not x.is_neg() and not L.is_conj(x) and not L.is_neg(x)
        i = L.arange(3)
        assert i.real is i and i.conj_physical() is i
    same_error(lambda L: L.ones(2).imag)
    same_error(lambda L: L.imag(L.ones(2)))
    same_error(lambda L: setattr(L.ones(2), "imag", L.ones(2)))


def test_real_setter_copies():
    for value in ([5.0], [1, 2, 3], 3.0):
        e, t = ember.zeros(2, 3), torch.zeros(2, 3)
        e.real = ember.tensor(value) if isinstance(value, list) else value
        t.real = torch.tensor(value) if isinstance(value, list) else value
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert e._version == t._version
    e, t = ember.zeros(3, dtype=ember.int64), torch.zeros(3, dtype=torch.int64)
    e.real, t.real = ember.tensor([1.5, 2, 3]), torch.tensor([1.5, 2, 3])
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_conj_physical_in_place():
    for L in (torch, ember):
        x = L.arange(3.0)
        assert x.conj_physical_() is x and x._version == 1
        y = L.ones(3, requires_grad=True) * 1
        y.conj_physical_()
        assert y.grad_fn.name() == "ConjPhysicalBackward1"
        y.sum().backward()
        assert L.arange(3).conj_physical_().tolist() == [0, 1, 2]
        assert L.conj_physical_(L.ones(2)).tolist() == [1.0, 1.0]
    same_error(lambda L: L.ones(3, requires_grad=True).conj_physical_())
    same_error(lambda L: L.ones(3, requires_grad=True).view(3).conj_physical_())


@pytest.mark.parametrize("values,dtype", [
    ([-1.0, 0.0, 2.0, -0.0, float("nan"), -float("inf"), float("inf")], "float32"),
    ([-1.0, 0.5], "float64"), ([-1.0, 2.0], "float16"), ([-1, 0, 2], "int64"),
    ([True, False], "bool"), ([0, 4], "uint8"),
])
def test_angle(values, dtype):
    e = ember.angle(ember.tensor(values, dtype=getattr(ember, dtype)))
    t = torch.angle(torch.tensor(values, dtype=getattr(torch, dtype)))
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_angle_gradient_is_zero():
    compare(lambda L, x: x.angle(), np.array([-1.0, 0.0, 2.0, -0.0]))
    x = ember.tensor([-1.0, 2.0], requires_grad=True)
    assert x.angle().grad_fn.name() == "AngleBackward0"
    assert gradcheck(ember.angle, (ember.tensor([-1.0, 2.0], dtype=ember.float64,
                                                 requires_grad=True),))


def test_layout_and_name():
    for L in (torch, ember):
        x = L.ones(2)
        assert x.layout is L.strided and L.strided == x.layout
        assert repr(L.strided) == str(L.strided) == "torch.strided"
        assert isinstance(L.strided, L.layout)
        assert x.name is None
        with pytest.raises(AttributeError):
            x.name = "a"
        assert not hasattr(x, "names")


# ---- igamma / igammac ----

@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_igamma_values_and_gradients(name):
    a, x = RNG.uniform(0.2, 3, (2, 3)), RNG.uniform(0.1, 4, (2, 3))
    compare(lambda L, x_: getattr(L, name)(L.tensor(a), x_), x, rtol=1e-10)
    compare(lambda L, x_: getattr(L.tensor(a), name)(x_), x[:1], rtol=1e-10)
    a32 = a.astype(np.float32)
    compare(lambda L, x_: getattr(L, name)(L.tensor(a32), x_), x.astype(np.float32), rtol=1e-5,
            atol=1e-6)
    xt = ember.tensor(x, requires_grad=True)
    assert getattr(ember, name)(ember.tensor(a), xt).grad_fn.name() == \
        name.capitalize() + "Backward0"
    assert gradcheck(lambda v: getattr(ember, name)(ember.tensor(a), v), (xt,))
    assert gradgradcheck(lambda v: getattr(ember, name)(ember.tensor(a), v), (xt,))


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_igamma_in_place_and_dtypes(name):
    for L in (torch, ember):
        a = L.tensor([0.5, 1.0, 2.0])
        want = getattr(L, name)(a, L.tensor([0.3, 1.0, 5.0]))
        b = a.clone()
        assert getattr(b, name + "_")(L.tensor([0.3, 1.0, 5.0])) is b
        np.testing.assert_allclose(b.numpy(), want.numpy(), rtol=1e-6)
    e = getattr(ember, name)(ember.tensor([1, 2]), ember.tensor([0.5, 1.5]))
    t = getattr(torch, name)(torch.tensor([1, 2]), torch.tensor([0.5, 1.5]))
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    e = getattr(ember, name)(ember.tensor([1.0]), ember.tensor([0.5], dtype=ember.float64))
    assert e.dtype == ember.float64


IGAMMA_ERRORS = [
    lambda L: L.igamma(L.tensor([1, 2]), L.tensor([1, 2])),
    lambda L: L.igammac(L.tensor([1, 2]), L.tensor([1, 2])),
    lambda L: L.igamma(L.tensor([1.0]), 2.0),
    lambda L: L.igammac(L.tensor([1.0]), 2),
    lambda L: L.tensor([1.0]).igamma(2.0),
    lambda L: L.tensor([1, 2]).igamma_(L.tensor([0.5, 1.5])),
    lambda L: L.tensor([1.0]).igammac_(L.tensor([0.5, 1.5])),
]


@pytest.mark.parametrize("case", IGAMMA_ERRORS)
def test_igamma_errors(case):
    same_error(case)


def test_igamma_input_has_no_derivative():
    def case(L):
        a = L.tensor([1.0, 2.0], requires_grad=True)
        L.igamma(a, L.tensor([0.5, 0.5])).sum().backward()

    same_error(case)
