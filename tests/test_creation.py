"""Tensor creation against PyTorch 2.13: dtype inference, factories, ranges, errors, memory
sharing with NumPy, and the random samplers' shapes, dtypes, ranges and reproducibility.

Most rows are one expression evaluated with ``torch`` bound to PyTorch and then to ember: the
results must agree in dtype, shape, requires_grad, exact values and printed form; or both must
raise the same exception type with the same first message line.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


def _evaluate(src: str, module):
    try:
        return eval(src, {"torch": module, "np": np, "nan": float("nan"), "inf": float("inf")})
    except Exception as err:  # noqa: BLE001 - compared below
        return err


def assert_same(src: str) -> None:
    """``src`` gives the same result (or the same error) with ember as with PyTorch."""
    want, got = _evaluate(src, torch), _evaluate(src, ember)
    if isinstance(want, Exception):
        assert isinstance(got, Exception), f"{src}: ember gives {got!r}; torch raises {want!r}"
        assert type(got).__name__ == type(want).__name__, f"{src}: {got!r} vs torch {want!r}"
        first = str(want).splitlines()[0]
        assert str(got).splitlines()[0] == first, f"{src}:\n ember: {got}\n torch: {first}"
        return
    assert not isinstance(got, Exception), f"{src}: ember raises {got!r}; torch gives {want!r}"
    if isinstance(want, torch.Tensor):
        assert isinstance(got, ember.Tensor), f"{src}: {type(got)}"
        assert str(got.dtype) == str(want.dtype), f"{src}: dtype {got.dtype} vs {want.dtype}"
        assert tuple(got.shape) == tuple(want.shape), f"{src}: shape {got.shape}"
        assert got.requires_grad == want.requires_grad, f"{src}: requires_grad"
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy(), err_msg=src)
        assert repr(got) == repr(want), f"{src}:\n ember: {got!r}\n torch: {want!r}"
    else:
        assert repr(got) == repr(want), f"{src}: {got!r} vs {want!r}"


TENSOR = """
torch.tensor([1., 2.])
torch.tensor([1, 2])
torch.tensor([True, False])
torch.tensor([1, 2.5])
torch.tensor([True, 2])
torch.tensor([[1, 2], [3, 4]], dtype=torch.float64)
torch.tensor(3)
torch.tensor(3.5)
torch.tensor(True)
torch.tensor([])
torch.tensor([[]])
torch.tensor([[], []])
torch.tensor((1, 2))
torch.tensor([[1, 2], (3, 4)])
torch.tensor(np.array([1., 2.]))
torch.tensor(np.array([1, 2], dtype=np.int32))
torch.tensor(np.array([[1, 2], [3, 4]]).T)
torch.tensor(np.float64(2.0))
torch.tensor(np.float32(2.0))
torch.tensor(np.int64(2))
torch.tensor(np.int32(2))
torch.tensor(np.bool_(True))
torch.tensor([np.float64(2.0)])
torch.tensor([1, np.float64(2.0)])
torch.tensor([np.float32(1), 2.5])
torch.tensor([np.float16(2.0)])
torch.tensor([np.int32(2)])
torch.tensor([np.int32(2), 1])
torch.tensor([np.int32(2), 1.5])
torch.tensor([np.float64(2.0), np.float32(1)])
torch.tensor([np.array([1, 2], dtype=np.int32)])
torch.tensor([np.array([1, 2], dtype=np.int32), np.array([1., 2])])
torch.tensor([np.array([1., 2.])])
torch.tensor([torch.tensor(1.), torch.tensor(2.)])
torch.tensor([torch.tensor(1), 2.5])
torch.tensor([torch.tensor(1., dtype=torch.float64), 2])
torch.tensor([torch.tensor(1, dtype=torch.int32)])
torch.tensor([torch.tensor(True), 1])
torch.tensor([torch.tensor([1.])])
torch.tensor([[torch.tensor(1.)], [2.]])
torch.tensor([torch.tensor([1., 2.])])
torch.tensor([torch.tensor([1, 2])])
torch.tensor(torch.tensor([1, 2]))
torch.tensor([1, 2], dtype=torch.float32)
torch.tensor([1.5, 2.7], dtype=torch.int64)
torch.tensor([-1.5, 2.7], dtype=torch.int32)
torch.tensor([1, 2.5], dtype=torch.bool)
torch.tensor(1, dtype=torch.float16)
torch.tensor([1e40], dtype=torch.float32)
torch.tensor([float('nan'), 1.])
torch.tensor(float('inf'))
torch.tensor([300], dtype=torch.uint8)
torch.tensor(300, dtype=torch.int8)
torch.tensor([1., 2.], requires_grad=True)
torch.tensor(1., dtype=torch.float64, requires_grad=True)
torch.tensor([1, 2], requires_grad=True)
torch.tensor([[1, 2], [3]])
torch.tensor([[1., 2.], [3., 4., 5.]])
torch.tensor([[[1, 2]], [[3]]])
torch.tensor([[1, 2], 3])
torch.tensor([1., [2., 3.]])
torch.tensor([True, [2, 3]])
torch.tensor([np.array([1., 2]), np.array([1.])])
torch.tensor('a')
torch.tensor([1, 'a'])
torch.tensor(None)
torch.tensor([None])
torch.tensor({1: 2})
torch.as_tensor([1, 2])
torch.as_tensor([1., 2], dtype=torch.float64)
torch.as_tensor(np.array([1, 2]), dtype=torch.float32)
torch.as_tensor(torch.tensor([1, 2]), dtype=torch.float32)
torch.asarray([[1.5]])
torch.from_numpy(np.array([1., 2.]))
torch.from_numpy(np.zeros(3)[::2])
torch.from_numpy([1, 2])
torch.Tensor([1, 2])
torch.Tensor(2, 3).shape
torch.Tensor()
torch.tensor([1., 2.]).new_tensor([1, 2])
"""

FACTORIES = """
torch.zeros(2, 3)
torch.zeros((2, 3))
torch.zeros([2, 3], dtype=torch.int64)
torch.zeros(size=(1, 2))
torch.zeros(torch.Size([2, 1]))
torch.zeros(np.int64(2))
torch.zeros(0)
torch.zeros(2, 0)
torch.zeros([])
torch.zeros(2, requires_grad=True)
torch.zeros(2, dtype=torch.int64, requires_grad=True)
torch.zeros(-1)
torch.zeros(2, -3)
torch.zeros(2.5)
torch.zeros(2, 2.5)
torch.zeros((2, 2.5))
torch.ones(2, dtype=torch.bool)
torch.ones(())
torch.ones(size=(2,))
torch.ones(2, -1)
torch.ones(2.5)
torch.empty(2, 3).shape
torch.empty(size=(2,)).shape
torch.empty(-1)
torch.empty(2.5)
torch.full((2,), 3)
torch.full((2,), 3.)
torch.full((2,), True)
torch.full((2,), 3, dtype=torch.float32)
torch.full((2,), 1, dtype=torch.bool)
torch.full([2, 1], float('nan'))
torch.full([], 2.)
torch.full(size=(2,), fill_value=1.)
torch.full((2,), 1.5, requires_grad=True)
torch.full((-1,), 2)
torch.full(2, 2.)
torch.zeros_like(torch.tensor([1, 2]))
torch.ones_like(torch.tensor([1., 2.]), dtype=torch.float64)
torch.full_like(torch.tensor([1, 2]), 2.7)
torch.full_like(torch.tensor([1., 2]), 7)
torch.empty_like(torch.tensor([[1, 2]])).shape
torch.zeros_like(torch.ones(2, 3), requires_grad=True)
torch.tensor([1, 2]).new_zeros(3)
torch.tensor([1., 2]).new_ones((2, 2))
torch.tensor([1., 2]).new_full((2,), 3)
torch.tensor([1., 2]).new_empty(2).shape
torch.tensor([[1., 2]]).new_zeros(2, 3, dtype=torch.int64)
torch.eye(3)
torch.eye(2, 3)
torch.eye(3, dtype=torch.int64)
torch.eye(3, dtype=torch.bool)
torch.eye(0)
torch.eye(2, requires_grad=True)
torch.eye(-1)
torch.eye(2, -1)
"""

RANGES = """
torch.arange(5)
torch.arange(1, 5)
torch.arange(0, 10, 3)
torch.arange(10, 0, -3)
torch.arange(0., 5)
torch.arange(5, dtype=torch.float32)
torch.arange(1, 4, dtype=torch.float64)
torch.arange(5, dtype=torch.int32)
torch.arange(0, 1, 0.25)
torch.arange(0, 1, 0.1)
torch.arange(1, 2.5, 0.5)
torch.arange(2.5)
torch.arange(10, 0, -2.5)
torch.arange(-1, 1, 0.1)
torch.arange(-1., 1., 0.2)
torch.arange(-3, 3, 0.3)
torch.arange(-0.5, 0.5, 0.1)
torch.arange(-1.0, 1.0, 0.3)
torch.arange(0, 1, 0.01)
torch.arange(-5, 5, 0.1)
torch.arange(0.0, 1.0, 0.3, dtype=torch.float64)
torch.arange(-2, 2, 0.4, dtype=torch.float64)
torch.arange(-2, 2, 0.1, dtype=torch.float64)
torch.arange(0, 2.5, 1, dtype=torch.int64)
torch.arange(0, 2.5, 1, dtype=torch.int32)
torch.arange(-1.5, 3, 1, dtype=torch.int64)
torch.arange(torch.tensor(3))
torch.arange(torch.tensor(3.))
torch.arange(np.int32(5))
torch.arange(np.float32(5))
torch.arange(True)
torch.arange(0, 3, inf)
torch.arange(3., requires_grad=True)
torch.arange(0, 3, 0.5, dtype=torch.int64)
torch.arange(0, 5, 0)
torch.arange(5, 0)
torch.arange(0, 5, -1)
torch.arange(inf)
torch.arange(nan)
torch.arange(3, dtype=torch.bool)
torch.linspace(0, 1, 5)
torch.linspace(0, 1, 5, dtype=torch.float64)
torch.linspace(-1., 1., 7)
torch.linspace(-1, 1, 7, dtype=torch.float64)
torch.linspace(-3, 2, 11)
torch.linspace(-2.5, 7.1, 100)
torch.linspace(-2.5, 7.1, 101, dtype=torch.float64)
torch.linspace(0, 10, 1)
torch.linspace(0, 10, 0)
torch.linspace(0, 10, 5, dtype=torch.int64)
torch.linspace(0, 10, 4, dtype=torch.int64)
torch.linspace(torch.tensor(0.), torch.tensor(1.), 3)
torch.linspace(0, 1, 3, requires_grad=True)
torch.linspace(0, 1, -1)
torch.logspace(0, 2, 3)
torch.logspace(0, 2, 5, base=2)
"""


def _rows(block: str) -> list[str]:
    return [line for line in block.strip().splitlines() if line.strip()]


@pytest.mark.parametrize("src", _rows(TENSOR))
def test_tensor_and_inference(src):
    assert_same(src)


@pytest.mark.parametrize("src", _rows(FACTORIES))
def test_factories(src):
    assert_same(src)


@pytest.mark.parametrize("src", _rows(RANGES))
def test_ranges(src):
    assert_same(src)


def test_linspace_and_arange_bitwise_random():
    """Exact float32/float64 values (PyTorch's half-from-each-end linspace, fused arange)."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = (float(v) for v in np.round(rng.normal(0, 5, 2), 2))
        n = int(rng.integers(2, 80))
        step = float(np.round(rng.uniform(0.05, 1.5), 2))
        for dt in ("float32", "float64"):
            t, e = getattr(torch, dt), getattr(ember, dt)
            np.testing.assert_array_equal(ember.linspace(a, b, n, dtype=e).numpy(),
                                          torch.linspace(a, b, n, dtype=t).numpy())
            np.testing.assert_array_equal(ember.arange(a, a + n * step, step, dtype=e).numpy(),
                                          torch.arange(a, a + n * step, step, dtype=t).numpy())


# ---- memory sharing --------------------------------------------------------------------
def test_from_numpy_shares_memory_both_ways():
    a = np.array([1.0, 2.0, 3.0])
    t = ember.from_numpy(a)
    a[0] = 7.0
    assert t[0].item() == 7.0
    t[1] = 5.0
    t.add_(1)
    np.testing.assert_array_equal(a, [8.0, 6.0, 4.0])
    assert t.dtype == ember.float64


def test_as_tensor_shares_only_when_dtype_matches():
    a = np.array([1.0, 2.0])
    same = ember.as_tensor(a)
    a[0] = 9.0
    assert same[0].item() == 9.0
    other = ember.as_tensor(a, dtype=ember.float32)
    a[1] = -1.0
    assert other[1].item() == 2.0
    t = ember.tensor([1.0, 2.0])
    assert ember.as_tensor(t) is t


def test_tensor_copies_and_numpy_shares():
    a = np.array([1.0, 2.0])
    t = ember.tensor(a)
    a[0] = 5.0
    assert t[0].item() == 1.0
    n = t.numpy()
    n[1] = 4.0
    assert t[1].item() == 4.0
    t.zero_()
    np.testing.assert_array_equal(n, [0.0, 0.0])


def test_tensor_from_tensor_is_a_detached_copy():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor(x.detach())
    y[0] = 3.0
    assert x[0].item() == 1.0 and not y.requires_grad and y.is_leaf


def test_default_dtype_drives_inference():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.0]).dtype == ember.float64
        assert ember.tensor([]).dtype == ember.float64
        assert ember.zeros(1).dtype == ember.float64
        assert ember.arange(0.5, 2).dtype == ember.float64
        assert ember.tensor([1, 2]).dtype == ember.int64
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.tensor([1.0]).dtype == ember.float32


# ---- random ----------------------------------------------------------------------------
RANDOM = """
torch.rand(2, 3).dtype
torch.rand(2, 3).shape
torch.rand((2, 3)).shape
torch.rand(size=(2, 3)).shape
torch.rand(2, dtype=torch.float64).dtype
torch.rand(()).shape
torch.rand(0).shape
torch.rand(2, requires_grad=True).requires_grad
torch.randn(2, 3).shape
torch.randn(size=(2,)).shape
torch.randn(2, 3, dtype=torch.float64).dtype
torch.randint(5, (3,)).dtype
torch.randint(2, 5, (3,)).shape
torch.randint(low=1, high=5, size=(2,)).shape
torch.randint(5, size=(2,)).shape
torch.randint(5, (3,), dtype=torch.float32).dtype
torch.randint(0, 2**40, (2,)).dtype
torch.randperm(5).dtype
torch.randperm(5).shape
torch.randperm(0)
torch.randperm(5, dtype=torch.float32).dtype
torch.normal(0., 1., (2, 3)).shape
torch.normal(0., 1., size=(2, 3)).dtype
torch.normal(torch.zeros(3), 1.).shape
torch.normal(torch.zeros(3, dtype=torch.float64), 1.).dtype
torch.normal(0., torch.ones(3)).shape
torch.normal(torch.zeros(3), torch.ones(3)).shape
torch.rand_like(torch.zeros(2, dtype=torch.float64)).dtype
torch.randn_like(torch.zeros(2, 3)).shape
torch.randint_like(torch.zeros(2, 3), 5).dtype
torch.randint_like(torch.zeros(2, 3), 1, 5).shape
torch.bernoulli(torch.full((3,), 0.5)).dtype
torch.multinomial(torch.tensor([0.2, 0.8]), 3, replacement=True).dtype
torch.multinomial(torch.tensor([[0.2, 0.8]]), 1).shape
torch.rand(-1)
torch.randn(2.5)
torch.randint(5, 5, (3,))
torch.randint(5, 3)
torch.randperm(-1)
torch.normal(0., -1., (2,))
torch.normal(torch.zeros(3), -1.)
torch.randn(2, dtype=torch.int64)
torch.rand(2, dtype=torch.int64)
torch.rand_like(torch.zeros(2, dtype=torch.int64))
"""


@pytest.mark.parametrize("src", _rows(RANDOM))
def test_random_shapes_dtypes_errors(src):
    assert_same(src)


def test_random_ranges():
    ember.manual_seed(0)
    u = ember.rand(10000).numpy()
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    z = ember.randn(10000).numpy()
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1.0) < 0.05
    r = ember.randint(3, 7, (10000,)).numpy()
    assert set(np.unique(r)) == {3, 4, 5, 6}
    p = ember.randperm(50).numpy()
    assert sorted(p) == list(range(50))
    n = ember.normal(5.0, 0.5, (10000,)).numpy()
    assert abs(n.mean() - 5.0) < 0.05 and abs(n.std() - 0.5) < 0.05
    m = ember.normal(ember.tensor([0.0, 100.0]), ember.tensor([1.0, 0.0])).numpy()
    assert m[1] == 100.0


def test_manual_seed_reproducible():
    ember.manual_seed(123)
    a = (ember.rand(3), ember.randn(2, 2), ember.randint(0, 100, (4,)), ember.randperm(6))
    ember.manual_seed(123)
    b = (ember.rand(3), ember.randn(2, 2), ember.randint(0, 100, (4,)), ember.randperm(6))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert not np.array_equal(ember.rand(3).numpy(), a[0].numpy())
    assert ember.manual_seed(7).initial_seed() == 7 == ember.initial_seed()


def test_rng_state_roundtrip():
    ember.manual_seed(5)
    state = ember.get_rng_state()
    x = ember.rand(4)
    ember.set_rng_state(state)
    np.testing.assert_array_equal(ember.rand(4).numpy(), x.numpy())


def test_generator_objects_are_independent():
    g1 = ember.Generator().manual_seed(42)
    g2 = ember.Generator().manual_seed(42)
    ember.manual_seed(0)
    a = ember.randn(3, generator=g1)
    ember.rand(5)  # the default stream must not disturb g2
    b = ember.randn(3, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert g1.initial_seed() == 42
    c1 = ember.randint(0, 10, (5,), generator=g1)
    c2 = ember.randint(0, 10, (5,), generator=g2)
    np.testing.assert_array_equal(c1.numpy(), c2.numpy())
    assert isinstance(ember.Generator().manual_seed(1), ember.Generator)


def test_new_tensor_of_a_tensor_warns_naming_new_tensor():
    """PyTorch's copy-construct warning names the method it came from."""
    import warnings

    from torch_compare import run_both

    def run(L):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            t = L.ones(2, dtype=L.float64).new_tensor(L.ones(2))
        return [str(m.message) for m in w], str(t.dtype), t.tolist()
    want, got = run_both(run)
    assert got == want
