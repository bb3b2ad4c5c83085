"""Tensor methods that work on a tensor's storage or element by element, against PyTorch
2.13: as_strided_ and as_strided_scatter, resize_/resize_as_ (shrinking, growing, strides,
storage offsets, shared memory, versions, the requires-grad error), and the Python callbacks
apply_/map_/map2_ (element types, casts, broadcasting, errors)."""

import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck
from torch_compare import compare
from torch_compare import same_error_case as same_error


def same(e, t):
    assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


# ---- as_strided_ ----

@pytest.mark.parametrize("args", [((2, 2), (1, 3), 1), ((2,), (2,)), ((3, 2), (2, 1), 0),
                                  ((2, 2), (0, 1), 4)])
def test_as_strided_in_place(args):
    for fn in (lambda L, t: t.as_strided_(*args), lambda L, t: L.as_strided_(t, *args)):
        e, t = ember.arange(12.0), torch.arange(12.0)
        assert fn(ember, e) is e and fn(torch, t) is t
        same(e, t)
        assert e.stride() == t.stride() and e.storage_offset() == t.storage_offset()
        assert e._version == t._version


def test_as_strided_in_place_records():
    for L in (torch, ember):
        x = L.arange(12.0, requires_grad=True)
        y = x * 1
        y.as_strided_((2, 2), (1, 3), 1)
        assert y.grad_fn.name() == "AsStridedBackward1"
        (y * L.arange(4.0).reshape(2, 2)).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 2.0, 0.0, 1.0, 3.0] + [0.0] * 6
    same_error(lambda L: L.ones(3, requires_grad=True).as_strided_((2,), (1,)))
    same_error(lambda L: L.ones(3, requires_grad=True).view(3).as_strided_((2,), (1,)))
    same_error(lambda L: L.ones(3).as_strided_((2, 2), (1, 3)))


# ---- as_strided_scatter ----

SCATTERS = [
    ((6,), (2, 2), (1, 2), 1), ((6,), (2, 2), (1, 2), None), ((3, 4), (3,), (5,), 0),
    ((2, 3), (2, 3), (3, 1), 0), ((6,), (2, 2), (1, 1), 0),
]


@pytest.mark.parametrize("shape,size,stride,offset", SCATTERS)
def test_as_strided_scatter_values(shape, size, stride, offset):
    rng = np.random.default_rng(0)
    x, s = rng.standard_normal(shape), rng.standard_normal(size)
    e = ember.as_strided_scatter(ember.tensor(x), ember.tensor(s), size, stride, offset)
    t = torch.as_strided_scatter(torch.tensor(x), torch.tensor(s), size, stride, offset)
    same(e, t)
    same(ember.tensor(x).as_strided_scatter(ember.tensor(s), size, stride, offset), t)


def test_as_strided_scatter_keeps_the_input_layout():
    for make in (lambda L: L.arange(12.0).reshape(3, 4).t(), lambda L: L.arange(12.0)[2:8],
                 lambda L: L.arange(6.0).expand(2, 6)):
        e = ember.as_strided_scatter(make(ember), ember.zeros(2), (2,), (1,), 1)
        t = torch.as_strided_scatter(make(torch), torch.zeros(2), (2,), (1,), 1)
        same(e, t)
        assert e.stride() == t.stride() and e.storage_offset() == t.storage_offset()
    same(ember.zeros(6).as_strided_scatter(ember.arange(4).reshape(2, 2), (2, 2), (1, 2)),
         torch.zeros(6).as_strided_scatter(torch.arange(4).reshape(2, 2), (2, 2), (1, 2)))


def test_as_strided_scatter_gradients():
    """src's gradient is PyTorch's; input's is that of the elements kept (PyTorch 2.13 gives
    that of the overwritten ones, which fails its own gradcheck)."""
    compare(lambda L, x, s: L.as_strided_scatter(x * 1, s, (2, 2), (1, 2), 1),
            np.arange(6.0), np.ones((2, 2)), grad=False)
    for L in (torch, ember):
        s = L.ones(2, 2, dtype=L.float64, requires_grad=True)
        out = L.as_strided_scatter(L.zeros(6, dtype=L.float64), s, (2, 2), (1, 2), 1)
        assert out.grad_fn.name() == "AsStridedScatterBackward0"
        (out * L.arange(6.0, dtype=L.float64)).sum().backward()
        assert s.grad.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    x = ember.zeros(6, dtype=ember.float64, requires_grad=True)
    out = ember.as_strided_scatter(x, ember.ones(2, 2, dtype=ember.float64), (2, 2), (1, 2), 1)
    (out * ember.arange(6.0, dtype=ember.float64)).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, 5.0]
    rng = np.random.default_rng(1)
    for size, stride, offset in (((2, 2), (1, 2), 1), ((2, 2), (1, 1), 0), ((3,), (2,), 0)):
        inputs = (ember.tensor(rng.standard_normal(6), requires_grad=True),
                  ember.tensor(rng.standard_normal(size), requires_grad=True))

        def f(a, b):
            return ember.as_strided_scatter(a, b, size, stride, offset)

        assert gradcheck(f, inputs) and gradgradcheck(f, inputs)


def test_as_strided_scatter_errors():
    same_error(lambda L: L.zeros(6).as_strided_scatter(L.arange(3.0), (2, 2), (1, 2)))
    same_error(lambda L: L.zeros(6).as_strided_scatter(L.ones(2, 2), (2, 2), (1, 5)))


# ---- resize_ / resize_as_ ----

RESIZES = [(2, 2), ((2, 2),), (torch.Size([3, 2]),), (3,), (3, 3), (2, 5), ((),), (0,),
           (6,)]


@pytest.mark.parametrize("size", RESIZES, ids=str)
def test_resize_keeps_leading_elements(size):
    e, t = ember.arange(6.0), torch.arange(6.0)
    esize = tuple(tuple(s) if isinstance(s, torch.Size) else s for s in size)
    assert e.resize_(*esize) is e and t.resize_(*size) is t
    assert tuple(e.shape) == tuple(t.shape) and e.stride() == t.stride()
    n = min(6, t.numel())  # PyTorch leaves the elements past the old storage uninitialised
    np.testing.assert_array_equal(e.numpy().reshape(-1)[:n], t.numpy().reshape(-1)[:n])
    assert e._version == t._version == (0 if tuple(t.shape) == (6,) else 1)


def test_resize_keeps_the_storage():
    for L in (torch, ember):
        x = L.arange(6.0)
        assert x.resize_(2).resize_(6).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        b = L.arange(6.0)
        v = b[2:]
        v.resize_(2)
        assert v.tolist() == [2.0, 3.0] and v.storage_offset() == 2
        v.fill_(7)
        assert b.tolist() == [0.0, 1.0, 7.0, 7.0, 4.0, 5.0]
        nc = L.arange(6.0).reshape(2, 3).t()
        assert nc.resize_(3, 2).tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]  # unchanged
        assert nc.resize_(2, 3).tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        assert nc.is_contiguous() and nc._version == 1
        every_other = L.arange(6.0)[::2]
        assert every_other.resize_(2).tolist() == [0.0, 1.0]


def test_resize_as():
    for L in (torch, ember):
        x = L.arange(6.0)
        assert x.resize_as_(L.zeros(2, 2, dtype=L.int64)) is x
        assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]]
        assert L.resize_as_(L.arange(6.0), L.zeros(3, 2).t()).stride() == (3, 1)


RESIZE_ERRORS = [
    lambda L: L.ones(3, requires_grad=True).resize_(2),
    lambda L: L.ones(3, requires_grad=True).resize_(3),
    lambda L: (L.ones(3, requires_grad=True) * 1).resize_(2),
    lambda L: L.ones(3, requires_grad=True).resize_as_(L.ones(2)),
    lambda L: L.ones(3).resize_(-1, 2),
]


@pytest.mark.parametrize("case", RESIZE_ERRORS)
def test_resize_errors(case):
    same_error(case)
    if case is not RESIZE_ERRORS[2]:  # (there the product has no grad under no_grad)
        with ember.no_grad(), torch.no_grad():
            same_error(case)


def test_growing_a_view_is_refused():
    """The base could not see the view's new memory: ember refuses rather than diverge."""
    with pytest.raises(RuntimeError, match="cannot grow the storage of a view"):
        ember.arange(6.0)[2:].resize_(5)
    with pytest.raises(RuntimeError, match="cannot grow the storage of a view"):
        ember.zeros(1).expand(4).resize_(2)
    assert ember.zeros(2).expand(3, 2).resize_(2).tolist() == [0.0, 0.0]


# ---- apply_, map_, map2_ ----

@pytest.mark.parametrize("dtype,fn", [
    ("float32", lambda v: v * 2), ("float64", lambda v: v / 3), ("int64", lambda v: v * 2.7),
    ("bool", lambda v: not v), ("float16", lambda v: v / 3), ("uint8", lambda v: v + 1),
    ("int64", lambda v: True), ("float32", lambda v: 3), ("float32", lambda v: np.float64(3.5)),
    ("float32", lambda v: 1e300), ("int32", lambda v: ember.tensor(2)),
])
def test_apply(dtype, fn):
    data = np.arange(6).reshape(2, 3) % 2 if dtype == "bool" else np.arange(6).reshape(2, 3)
    e = ember.tensor(data, dtype=getattr(ember, dtype))
    t = torch.tensor(data, dtype=getattr(torch, dtype))
    tf = (lambda v: torch.tensor(2)) if dtype == "int32" else fn
    assert e.apply_(fn) is e and t.apply_(tf) is t
    same(e, t)
    assert e._version == t._version == 0


def test_apply_sees_python_numbers_in_row_major_order():
    for L in (torch, ember):
        seen = []
        L.arange(6.0).reshape(2, 3).t().apply_(lambda v: seen.append(v) or v)
        assert seen == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0] and type(seen[0]) is float
        seen.clear()
        L.tensor([1, 2]).apply_(lambda v: seen.append(type(v)) or v)
        assert seen == [int, int]


APPLY_ERRORS = [
    lambda L: L.ones(2, requires_grad=True).apply_(lambda v: v),
    lambda L: (L.ones(2, requires_grad=True) * 1).apply_(lambda v: v),
    lambda L: L.ones(2).apply_(lambda v: "a"),
    lambda L: L.ones(2).apply_(lambda v: None),
    lambda L: L.ones(2).apply_(lambda v: 3j),
    lambda L: L.ones(2).apply_(3),
    lambda L: L.tensor([1, 2]).apply_(lambda v: 1e30),
    lambda L: L.tensor([1, 2]).apply_(lambda v: float("nan")),
    lambda L: L.tensor([1, 2], dtype=L.uint8).apply_(lambda v: 300),
    lambda L: L.ones(2).map_(L.ones(2, dtype=L.int64), lambda a, b: a),
    lambda L: L.ones(2, requires_grad=True).map_(L.ones(2, dtype=L.int64), lambda a, b: a),
    lambda L: L.ones(2).map_(L.ones(2, requires_grad=True), lambda a, b: a),
    lambda L: L.ones(2).map_(2.0, lambda a, b: a),
    lambda L: L.ones(1, 3).map_(L.ones(2, 3), lambda a, b: a),
    lambda L: L.ones(3).map_(L.ones(3), 3),
    lambda L: L.ones(3).map2_(L.ones(3), L.ones(3, dtype=L.int64), lambda a, b, c: a),
    lambda L: L.ones(3).map2_(L.ones(3, dtype=L.int64), L.ones(3), lambda a, b, c: a),
    lambda L: L.ones(3).map2_(1.0, L.ones(3), lambda a, b, c: a),
    lambda L: L.ones(3).map2_(L.ones(3), 1.0, lambda a, b, c: a),
    lambda L: (L.ones(3, requires_grad=True) * 1).map2_(L.ones(3), L.ones(3), lambda a, b, c: a),
]


@pytest.mark.parametrize("case", APPLY_ERRORS)
def test_callback_errors(case):
    same_error(case)


def test_map_and_map2():
    for L in (torch, ember):
        x = L.arange(6.0).reshape(2, 3)
        assert x.map_(L.ones(3), lambda a, b: a + b * 10) is x
        assert x.tolist() == [[10.0, 11.0, 12.0], [13.0, 14.0, 15.0]]
        x.map2_(L.ones(2, 1), L.full((3,), 2.0), lambda a, b, c: a + b * 100 + c * 1000)
        assert x.tolist() == [[2110.0, 2111.0, 2112.0], [2113.0, 2114.0, 2115.0]]
        assert x._version == 0
        y = L.zeros(3, dtype=L.int64)
        y.map_(L.ones(3, dtype=L.int64), lambda a, b: a + b + 0.7)
        assert y.tolist() == [1, 1, 1]
        assert L.tensor(2.0).map_(L.tensor(3.0), lambda a, b: a * b).item() == 6.0
