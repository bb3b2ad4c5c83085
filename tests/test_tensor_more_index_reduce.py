"""index_reduce / index_reduce_ / torch.index_reduce against PyTorch 2.13: every reduction
with and without include_self, dims, dtypes (integer mean floors), ties and zeros, gradients
(PyTorch's formulas: vs torch, float64 finite differences, double backward, and its refusal of
a double backward through two zeros), the beta warning, and errors."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck
from torch_compare import compare
from torch_compare import same_error_case as same_error

pytestmark = pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
REDUCES = ["prod", "mean", "amax", "amin"]
RNG = np.random.default_rng(5)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim,shape,index", [
    (0, (3, 4), [0, 2, 0]), (1, (3, 4), [3, 3, 1, 0, 3]), (-1, (2, 3, 2), [1]),
    (1, (2, 3, 2), [2, 0, 2, 2]), (0, (3,), [1, 1]), (0, (4, 2), []),
])
def test_values_and_gradients_match_torch(reduce, include_self, dim, shape, index):
    src_shape = list(shape)
    src_shape[dim] = len(index)
    x, s = RNG.standard_normal(shape), RNG.standard_normal(src_shape)

    def fn(L, x_, s_):
        i = L.tensor(index, dtype=L.int64)
        return x_.index_reduce(dim, i, s_, reduce, include_self=include_self)

    compare(fn, x, s, rtol=1e-12, atol=1e-12)
    # (PyTorch 2.13's backward fails for an int32 index without include_self: its index_fill
    # wants int64; ember's does not, so only the values are compared there.)
    compare(lambda L, x_, s_: L.index_reduce(x_, dim, L.tensor(index, dtype=L.int32), s_,
                                             reduce, include_self=include_self),
            x.astype(np.float32), s.astype(np.float32), rtol=1e-6, atol=1e-6,
            grad=include_self)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_ties_and_zeros(reduce, include_self):
    x = np.array([[0.0, 2.0, 3.0], [3.0, 0.0, 1.0]])
    s = np.array([[3.0, 0.0, 3.0], [0.0, 0.0, 1.0], [3.0, 2.0, 0.0]])
    compare(lambda L, x_, s_: x_.index_reduce(0, L.tensor([0, 0, 1]), s_, reduce,
                                              include_self=include_self), x, s)


@pytest.mark.parametrize("reduce", ["prod", "mean"])
@pytest.mark.parametrize("include_self", [True, False])
def test_gradcheck_and_double_backward(reduce, include_self):
    x = ember.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    s = ember.tensor(RNG.standard_normal((4, 2)), requires_grad=True)
    i = ember.tensor([0, 2, 0, 0])

    def f(a, b):
        return a.index_reduce(0, i, b, reduce, include_self=include_self)

    assert gradcheck(f, (x, s))
    assert gradgradcheck(f, (x, s))


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_extrema_gradcheck_without_ties(reduce):
    x = ember.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    s = ember.tensor(RNG.standard_normal((4, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: a.index_reduce(0, ember.tensor([0, 2, 0, 0]), b, reduce),
                     (x, s))


def test_double_backward_through_two_zeros_raises_as_torch():
    def case(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        s = L.tensor([0.0, 0.0, 2.0], requires_grad=True)
        out = x.index_reduce(0, L.tensor([1, 1, 0]), s, "prod")
        (g,) = L.autograd.grad(out.sum(), s, create_graph=True)
        g.sum().backward()

    same_error(case)


@pytest.mark.parametrize("dtype,reduce,include_self", [
    ("int64", "mean", True), ("int64", "mean", False), ("int64", "amax", False),
    ("uint8", "amin", False), ("int32", "prod", True), ("float16", "mean", True),
    ("float64", "amax", False),
])
def test_dtypes(dtype, reduce, include_self):
    x = np.array([[-1, 2], [3, 4]])
    s = np.array([[-2, 3], [-4, 5], [7, -9]])
    if dtype == "uint8":
        x, s = np.abs(x), np.abs(s)
    e = ember.tensor(x, dtype=getattr(ember, dtype)).index_reduce(
        0, ember.tensor([0, 0, 1]), ember.tensor(s, dtype=getattr(ember, dtype)), reduce,
        include_self=include_self)
    t = torch.tensor(x, dtype=getattr(torch, dtype)).index_reduce(
        0, torch.tensor([0, 0, 1]), torch.tensor(s, dtype=getattr(torch, dtype)), reduce,
        include_self=include_self)
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_nan_propagates_through_extrema():
    for reduce in ("amax", "amin"):
        e = ember.tensor([1.0, 2.0]).index_reduce(0, ember.tensor([0, 0]),
                                                  ember.tensor([float("nan"), 5.0]), reduce)
        t = torch.tensor([1.0, 2.0]).index_reduce(0, torch.tensor([0, 0]),
                                                  torch.tensor([float("nan"), 5.0]), reduce)
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_in_place_and_zero_dim():
    for L in (torch, ember):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]])
        assert x.index_reduce_(0, L.tensor([1, 1]), L.tensor([[2.0, 2.0], [3.0, 3.0]]),
                               "amax", include_self=False) is x
        assert x.tolist() == [[1.0, 2.0], [3.0, 3.0]]
        assert x._version == 1
        y = L.ones(2, 2, requires_grad=True) * 1
        y.index_reduce_(1, L.tensor([0]), L.full((2, 1), 3.0), "prod")
        assert y.grad_fn.name() == "IndexReduceBackward0"
        z = L.tensor(2.0).index_reduce(0, L.tensor(0), L.tensor(3.0), "prod")
        assert tuple(z.shape) == () and z.item() == 6.0


def test_int32_index_gradient():
    x = ember.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    s = ember.tensor(RNG.standard_normal((2, 2)), requires_grad=True)
    i = ember.tensor([2, 0], dtype=ember.int32)
    assert gradcheck(lambda a, b: a.index_reduce(0, i, b, "mean", include_self=False), (x, s))


def test_include_self_is_keyword_only():
    for L in (torch, ember):
        with pytest.raises(TypeError):
            L.ones(3).index_reduce(0, L.tensor([0]), L.ones(1), "prod", False)


def test_beta_warning():
    code = ("import warnings, ember\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    for _ in range(2):\n"
            "        ember.ones(2).index_reduce(0, ember.tensor([0]), ember.ones(1), 'prod')\n"
            "assert [str(x.message) for x in w] == ['index_reduce() is in beta and the API may "
            "change at any time.'], w\n")
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", code], check=True)


ERRORS = [
    lambda L: L.ones(3, 3).index_reduce(0, L.tensor([0]), L.ones(1, 3), "sum"),
    lambda L: L.ones(3, 3).index_reduce(0, L.tensor([0]), L.ones(1, 3), "foo"),
    lambda L: L.ones(3, 3).index_reduce(0, L.tensor([0]), L.ones(1, 3).double(), "prod"),
    lambda L: L.ones(3, 3).index_reduce(0, L.tensor([0.0]), L.ones(1, 3), "prod"),
    lambda L: L.ones(3, 3).index_reduce(0, L.tensor([[0]]), L.ones(1, 3), "prod"),
    lambda L: L.ones(3, 3).index_reduce(0, L.tensor([3]), L.ones(1, 3), "prod"),
    lambda L: L.ones(3, 3).index_reduce(0, L.tensor([-1]), L.ones(1, 3), "prod"),
    lambda L: L.ones(3, 3).index_reduce(0, L.tensor([0, 1]), L.ones(1, 3), "prod"),
    lambda L: L.ones(3, 3).index_reduce(0, L.tensor([0]), L.ones(1, 2), "prod"),
    lambda L: L.ones(3, 3).index_reduce(2, L.tensor([0]), L.ones(1, 3), "amax"),
    lambda L: L.ones(3, 3).index_reduce(1, L.tensor([0]), L.ones(3), "amax"),
    lambda L: L.tensor(2.0).index_reduce(0, L.tensor([0, 0]), L.tensor([3.0, 4.0]), "prod"),
    lambda L: L.tensor([True]).index_reduce(0, L.tensor([0]), L.tensor([False]), "prod"),
    lambda L: L.ones(3, requires_grad=True).index_reduce_(0, L.tensor([0]), L.ones(1), "prod"),
    lambda L: L.ones(1).index_reduce_(0, L.tensor([0]), L.ones(1).double(), "mean"),
]


@pytest.mark.parametrize("case", ERRORS)
def test_errors(case):
    same_error(case)
