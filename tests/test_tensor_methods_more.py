"""Tensor methods PyTorch code calls: *_as, sum_to_size, new, predicates, post-accumulate
hooks, in-place view/comparison/logical/bitwise/cumulative ops, shifts, renorm, samplers.
Compared with PyTorch 2.13 (values, dtypes, versions, grad_fn names, gradients, errors) and
gradients with float64 central differences; samplers by statistics and repeatability."""

import math

import numpy as np
import pytest
import torch

import ember
from torch_compare import compare, error_of, gradcheck

R = np.random.default_rng(1)
X = R.standard_normal((2, 3))


def _same(e, t):
    assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


def _both(fn):
    return fn(ember), fn(torch)


def _err(fn):
    got = [error_of(lambda: fn(ember)), error_of(lambda: fn(torch))]
    assert got[0] == got[1], got


# ---- *_as, sum_to_size, new, predicates -------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda L, x: x.view_as(L.ones(3, 2)),
    lambda L, x: x.reshape_as(L.ones(6)),
    lambda L, x: x.expand_as(L.ones(4, 2, 3)),
    lambda L, x: x.sum_to_size(3),
    lambda L, x: x.sum_to_size(1, 3),
    lambda L, x: x.sum_to_size((2, 1)),
    lambda L, x: x.sum_to_size(1, 1),
    lambda L, x: x.sum_to_size(2, 3),
])
def test_as_forms_and_sum_to_size(fn):
    compare(fn, X)
    gradcheck(fn, X)


def test_type_as_to_integer_and_view_as_alias():
    compare(lambda L, x: x.type_as(L.ones(1, dtype=L.float32)) * 2, X)
    for lib in (ember, torch):
        x = lib.tensor(X)
        y = x.type_as(lib.ones(1, dtype=lib.int32))
        assert y.dtype == lib.int32 and not y.requires_grad
        v = x.view_as(lib.ones(6))
        v[0] = 7.0
        assert x[0, 0].item() == 7.0 and x._version == v._version == 1
    _same(ember.tensor(X).type_as(ember.ones(1, dtype=ember.int32)),
          torch.tensor(X).type_as(torch.ones(1, dtype=torch.int32)))


def test_new_legacy_constructor():
    for make in (lambda L, x: x.new(2, 3).shape, lambda L, x: x.new().shape,
                 lambda L, x: x.new(L.Size([4])).shape):
        e, t = _both(lambda L: make(L, L.ones(2, dtype=L.float64)))
        assert tuple(e) == tuple(t)
    _same(*_both(lambda L: L.ones(2, dtype=L.int32).new([1.5, 2])))
    _same(*_both(lambda L: L.ones(2, dtype=L.int64).new((2, 3))))
    assert ember.ones(2, dtype=ember.float64).new(2).dtype == ember.float64
    e = ember.ones(3)
    shared = e.new(e)
    shared[0] = 5.0
    assert e[0].item() == 5.0
    _err(lambda L: L.ones(2).new(L.tensor([1, 2])))


def test_predicates():
    for lib in (ember, torch):
        assert lib.ones(2).is_cpu is True
        assert lib.ones(2).is_inference() is False
        assert lib.ones(2).is_pinned() is False
        assert lib.ones(2).is_same_size(lib.ones(2)) and not lib.ones(2).is_same_size(lib.ones(3))
        t = lib.ones(2)
        assert t.is_shared() is False and t.share_memory_() is t and t.is_shared() is True
        assert lib.ones(2).output_nr == 0 and (lib.ones(2, requires_grad=True) * 2).output_nr == 0
    for dt in ("float32", "float64", "int64", "int8", "uint8", "bool", "int16"):
        e, t = _both(lambda L: L.ones(1, dtype=getattr(L, dt)).is_signed())
        assert e == t, dt
    for vals in ([2.0], [0.0], 3, [[0.5]], [True]):
        e, t = _both(lambda L: L.tensor(vals).is_nonzero())
        assert e == t
    _err(lambda L: L.ones(2).is_nonzero())
    _err(lambda L: L.ones(0).is_nonzero())
    _err(lambda L: L.ones(2).pin_memory())


def test_post_accumulate_grad_hook():
    log = {}
    for lib in (ember, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []

        def hook(t, seen=seen):
            seen.append(t.grad.clone())
            with lib.no_grad():  # an optimizer step fused into backward
                t.sub_(0.5 * t.grad)
            t.grad = None

        handle = w.register_post_accumulate_grad_hook(hook)
        (w * w).sum().backward()
        (w * 3).sum().backward(retain_graph=True)  # backward through the general walk too
        lib.autograd.grad((w * w).sum(), w)  # no .grad stored: the hook does not run
        handle.remove()
        (w * w).sum().backward()
        log[lib] = ([s.tolist() for s in seen], w.tolist(), w.grad.tolist())
    assert log[ember] == log[torch]
    assert len(log[ember][0]) == 2
    _err(lambda L: (L.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(id))
    _err(lambda L: L.ones(2).register_post_accumulate_grad_hook(id))


# ---- in-place view ops -----------------------------------------------------------------------
VIEW_CALLS = [("squeeze_", ()), ("squeeze_", (1,)), ("unsqueeze_", (0,)),
              ("unsqueeze_", (-1,)), ("transpose_", (0, 2)), ("swapaxes_", (1, 2)),
              ("swapdims_", (0, 1))]


@pytest.mark.parametrize("name,args", VIEW_CALLS + [("t_", ())])
def test_inplace_view_ops(name, args):
    shape = (3, 1) if name == "t_" else (2, 1, 3)
    a = R.standard_normal(shape)
    info = {}
    for lib in (ember, torch):
        x = lib.tensor(a.copy())
        r = getattr(x, name)(*args)
        assert r is x
        info[lib] = (tuple(x.shape), x._version, x.stride(), x.tolist())
        leaf = lib.tensor(a.copy(), requires_grad=True)
        y = leaf * 2
        getattr(y, name)(*args)
        w = lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        info[lib] += (type(y.grad_fn).__name__, y._version, leaf.grad.tolist())
    assert info[ember] == info[torch]

    def f(L, z):
        y = z * 1
        getattr(y, name)(*args)
        return y

    gradcheck(f, a)
    _err(lambda L: getattr(L.tensor(a.copy(), requires_grad=True), name)(*args))


def test_inplace_view_op_on_a_view_and_errors():
    for lib in (ember, torch):
        x = lib.zeros(3)
        v = x[:2]
        v.unsqueeze_(0)
        assert tuple(v.shape) == (1, 2) and v._version == x._version == 1
        v[0, 1] = 4.0
        assert x[1].item() == 4.0
    _err(lambda L: L.ones(2, 3, 4).t_())
    _err(lambda L: L.ones(2, 3).transpose_(0, 3))
    _err(lambda L: L.ones(2, 3).unsqueeze_(5))


# ---- in-place comparisons, logical and bitwise ops ---------------------------------------------
CMP = ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "greater_equal_", "less_",
       "less_equal_", "not_equal_"]


@pytest.mark.parametrize("name", CMP)
def test_inplace_comparisons(name):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    for other in (2.0, np.array([2.0, 2.0, 1.0]), np.array(2)):
        def run(L):
            x = L.tensor(a.copy())
            o = L.tensor(other) if isinstance(other, np.ndarray) else other
            r = getattr(x, name)(o)
            return x, r is x, x._version

        (e, ei, ev), (t, ti, tv) = _both(run)
        _same(e, t)
        assert ei and ti and ev == tv
        _same(*_both(lambda L: getattr(L.tensor([1, 2, 3]), name)(2.5)))
    names = []
    for lib in (ember, torch):
        leaf = lib.tensor(a.copy(), requires_grad=True)
        y = leaf * 3
        getattr(y, name)(lib.tensor([2.0, 6.0, 3.0], dtype=lib.float64))
        z = leaf * 3
        getattr(z, name)(6.0)
        (y.sum() + z.sum() + leaf.sum()).backward()
        names.append((type(y.grad_fn).__name__, type(z.grad_fn).__name__, leaf.grad.tolist()))
    assert names[0] == names[1]
    _err(lambda L: getattr(L.tensor([1, 2]), name)(L.tensor([1, 2, 3])))
    _err(lambda L: getattr(L.tensor([1.0, 2.0]), name)(L.tensor([[1.0], [2.0]])))


@pytest.mark.parametrize("name,other", [
    ("logical_and_", [1, 0, 3]), ("logical_or_", [0, 0, 1]), ("logical_xor_", [1, 0, 1]),
    ("logical_not_", None), ("bitwise_and_", [6, 3, 1]), ("bitwise_or_", [6, 3, 1]),
    ("bitwise_xor_", [6, 3, 1]), ("bitwise_not_", None), ("bitwise_left_shift_", [1, 2, 3]),
    ("bitwise_right_shift_", [1, 2, 0])])
def test_inplace_logical_bitwise(name, other):
    for dt in ("int64", "int32", "uint8", "bool", "float32"):
        def run(L):
            x = L.tensor([5, 0, 7], dtype=getattr(L, dt))
            args = () if other is None else (L.tensor(other, dtype=getattr(L, dt)),)
            r = getattr(x, name)(*args)
            return x, r is x, x._version

        try:
            t = run(torch)
        except Exception:  # noqa: BLE001 - then ember must raise the same
            _err(run)
            continue
        e = run(ember)
        _same(e[0], t[0])
        assert e[1:] == t[1:]


@pytest.mark.parametrize("dt", ["int64", "int32", "int8", "uint8"])
def test_shifts_functions_and_operators(dt):
    a = np.array([1, -3, 7, 64]).astype(dt)
    for fn in (lambda L, x: L.bitwise_left_shift(x, 2), lambda L, x: x << 3,
               lambda L, x: L.bitwise_right_shift(x, 1), lambda L, x: x >> 2,
               lambda L, x: x.bitwise_left_shift(L.tensor([0, 1, 2, 3], dtype=x.dtype)),
               lambda L, x: 1 << x.abs().clamp(max=6), lambda L, x: 256 >> x.abs().clamp(max=6),
               lambda L, x: x << L.tensor(1), lambda L, x: x << 80, lambda L, x: x >> 80):
        _same(*_both(lambda L: fn(L, L.tensor(a))))
    for lib in (ember, torch):
        x = lib.tensor(a)
        v = x._version
        x <<= 1
        x >>= 2
        assert x._version == v + 2
    _same(*_both(lambda L: (lambda x: (x.__ilshift__(1), x)[1])(L.tensor(a))))
    _err(lambda L: L.tensor([1.5]) << 1)
    _err(lambda L: L.tensor([1.5]) >> 1)
    _err(lambda L: L.tensor([1, 2]) << L.tensor([1, 2, 3]))


# ---- cumsum_, cumprod_, nan_to_num_, float_power_, renorm --------------------------------------
def test_cumulative_inplace():
    for name in ("cumsum_", "cumprod_"):
        for a in (np.array([[1, 2, 3], [4, 5, 6]]), X.copy()):
            def run(L):
                x = L.tensor(a)
                assert getattr(x, name)(1) is x
                return x

            _same(*_both(run))

        def f(L, z):
            y = z * 1
            getattr(y, name)(0)
            return y

        compare(f, X)
        gradcheck(f, X)
        names = [type(f(L, L.tensor(X, requires_grad=True)).grad_fn).__name__
                 for L in (ember, torch)]
        assert names[0] == names[1]
        _err(lambda L: getattr(L.tensor([1.0, 2.0]), name)(0, dtype=L.float64))
        _err(lambda L: getattr(L.tensor([1, 2]), name)(0, dtype=L.float32))
        _same(*_both(lambda L: getattr(L.tensor([1.0, 2.0]), name)(0, dtype=L.float32)))


def test_nan_to_num_inplace_and_function():
    a = np.array([np.nan, np.inf, -np.inf, 1.5], dtype=np.float32)
    for call in (lambda L, x: x.nan_to_num_(), lambda L, x: L.nan_to_num_(x, 1.0, 2.0, -3.0),
                 lambda L, x: x.nan_to_num_(nan=-1.0)):
        def run(L):
            x = L.tensor(a)
            assert call(L, x) is x
            return x

        _same(*_both(run))


def test_float_power_inplace():
    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], dtype=L.float64)
        assert x.float_power_(2) is x
        return x

    _same(*_both(run))
    _err(lambda L: L.tensor([1.0, 2.0]).float_power_(2))
    _err(lambda L: L.tensor([1, 2]).float_power_(2))


@pytest.mark.parametrize("p,dim,maxnorm", [(2, 0, 1.0), (1, 1, 0.5), (3.5, -1, 0.8),
                                           (math.inf, 1, 0.5), (2, 1, 100.0), (2, 0, 0.0)])
def test_renorm(p, dim, maxnorm):
    a = R.standard_normal((3, 4, 2))
    compare(lambda L, x: L.renorm(x, p, dim, maxnorm), a)
    compare(lambda L, x: x.renorm(p, dim, maxnorm), a.astype(np.float32), rtol=1e-5, atol=1e-6)
    if maxnorm > 0:
        gradcheck(lambda L, x: x.renorm(p, dim, maxnorm), a)

    def run(L):
        x = L.tensor(a)
        assert x.renorm_(p, dim, maxnorm) is x
        return x

    e, t = _both(run)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)
    names = [type(L.tensor(a, requires_grad=True).renorm(p, dim, maxnorm).grad_fn).__name__
             for L in (ember, torch)]
    assert names[0] == names[1]


@pytest.mark.parametrize("call", [
    lambda L: L.renorm(L.ones(2, 3), 0, 0, 1), lambda L: L.renorm(L.ones(2, 3), -1, 0, 1),
    lambda L: L.renorm(L.ones(2, 3), 2, 0, -1),
    lambda L: L.ones(2, 3, dtype=L.int64).renorm(2, 0, 1),
    lambda L: L.renorm(L.ones(3), 2, 0, 1), lambda L: L.renorm(L.ones(2, 3), 2, 2, 1)])
def test_renorm_errors(call):
    _err(call)


# ---- samplers ------------------------------------------------------------------------------
N = 40000


def _sample(method, *args, dtype=None, seed=3):
    ember.manual_seed(seed)
    x = ember.empty(N, dtype=dtype or ember.float64)
    r = getattr(x, method)(*args)
    assert r is x and x._version == 1
    return x.numpy()


def _z(mean, expected, var):
    return abs(mean - expected) / math.sqrt(var / N)


def test_samplers_statistics_and_repeatability():
    for method, args in (("exponential_", (2.0,)), ("cauchy_", (1.0, 2.0)),
                         ("log_normal_", (0.5, 0.4)), ("geometric_", (0.3,)),
                         ("random_", (3, 9))):
        a, b = _sample(method, *args), _sample(method, *args)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, _sample(method, *args, seed=4))
    e = _sample("exponential_", 2.0)
    assert _z(e.mean(), 0.5, 0.25) < 5 and e.min() >= 0
    c = _sample("cauchy_", 1.0, 2.0)
    assert abs(np.median(c) - 1.0) < 0.1 and abs(np.mean(np.abs(c - 1) < 2) - 0.5) < 0.02
    ln = np.log(_sample("log_normal_", 0.5, 0.4))
    assert _z(ln.mean(), 0.5, 0.16) < 5 and abs(ln.std() - 0.4) < 0.01
    g = _sample("geometric_", 0.3)
    assert g.min() == 1 and np.all(g == np.round(g)) and _z(g.mean(), 1 / 0.3, 0.7 / 0.09) < 5
    r = _sample("random_", 3, 9)
    assert set(np.unique(r)) == set(range(3, 9)) and _z(r.mean(), 5.5, 35 / 12) < 5
    r = _sample("random_", 4, dtype=ember.int64)
    assert set(np.unique(r)) == {0, 1, 2, 3}
    r = _sample("random_", dtype=ember.float32)
    assert r.min() >= 0 and r.max() <= 2 ** 24 and r.max() > 2 ** 23
    r = _sample("random_", dtype=ember.uint8)
    assert r.min() == 0 and r.max() == 255
    r = _sample("random_", dtype=ember.bool)
    assert abs(r.mean() - 0.5) < 0.02


def test_samplers_on_tensors_in_a_graph():
    for lib in (ember, torch):
        leaf = lib.ones(3, requires_grad=True)
        for call in (lambda t: t.exponential_(), lambda t: t.random_(0, 5),
                     lambda t: t.cauchy_(), lambda t: t.geometric_(0.5),
                     lambda t: t.log_normal_()):
            y = leaf * 2
            call(y)
            (y.sum() + leaf.sum()).backward()
            assert leaf.grad.tolist() == [1.0, 1.0, 1.0]
            leaf.grad = None
        with lib.no_grad():
            leaf.exponential_()
    names = [[type(c((L.ones(2, requires_grad=True) * 1)).grad_fn).__name__
              for c in (lambda t: t.exponential_(), lambda t: t.random_(0, 5),
                        lambda t: t.random_(5), lambda t: t.random_(), lambda t: t.cauchy_(),
                        lambda t: t.geometric_(0.5), lambda t: t.log_normal_())]
             for L in (ember, torch)]
    assert names[0] == names[1]


@pytest.mark.parametrize("call", [
    lambda L: L.empty(3).exponential_(0), lambda L: L.empty(3).exponential_(-1.5),
    lambda L: L.empty(3).cauchy_(0, 0), lambda L: L.empty(3).log_normal_(1, 0),
    lambda L: L.empty(3).geometric_(0), lambda L: L.empty(3).geometric_(1),
    lambda L: L.empty(3).random_(5, 2), lambda L: L.empty(3, dtype=L.uint8).random_(-1, 5),
    lambda L: L.empty(3, dtype=L.uint8).random_(0, 300),
    lambda L: L.ones(3, requires_grad=True).exponential_(),
    lambda L: L.tensor([0.5, 1.5]).bernoulli(), lambda L: L.tensor([0, 1]).bernoulli(),
    lambda L: L.tensor([0.5]).bernoulli(1.3),
    lambda L: L.tensor([0.5, -1]).multinomial(1), lambda L: L.tensor([0.0, 0]).multinomial(1),
    lambda L: L.tensor([1.0, 1]).multinomial(3), lambda L: L.tensor([1, 1]).multinomial(1),
    lambda L: L.ones(2, 2, 2).multinomial(1), lambda L: L.ones(2).multinomial(0),
    lambda L: L.tensor([1.0, float("nan")]).multinomial(1),
    lambda L: L.tensor([1.0, float("inf")]).multinomial(1)])
def test_sampler_errors(call):
    _err(call)


def test_bernoulli_and_multinomial_methods():
    ember.manual_seed(0)
    p = ember.tensor([0.1, 0.5, 0.9], dtype=ember.float64).expand(N, 3)
    b = p.bernoulli()
    assert b.dtype == ember.float64 and set(np.unique(b.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(b.numpy().mean(0), [0.1, 0.5, 0.9], atol=0.015)
    assert abs(ember.zeros(N).bernoulli(0.25).numpy().mean() - 0.25) < 0.015
    ember.manual_seed(5)
    probs = ember.tensor([[1.0, 2.0, 7.0], [5.0, 0.0, 5.0]])
    m = probs.multinomial(N, replacement=True)
    assert m.dtype == ember.int64 and tuple(m.shape) == (2, N)
    np.testing.assert_allclose(np.bincount(m.numpy()[0], minlength=3) / N, [0.1, 0.2, 0.7],
                               atol=0.015)
    assert (m.numpy()[1] != 1).all()
    ember.manual_seed(5)
    np.testing.assert_array_equal(probs.multinomial(N, replacement=True).numpy(), m.numpy())
    w = ember.tensor([1.0, 1.0, 1.0, 0.0]).multinomial(3)
    assert sorted(w.tolist()) == [0, 1, 2]
