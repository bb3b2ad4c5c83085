"""selu, celu, mish, softsign, hardsigmoid, hardswish, hardshrink, softshrink, tanhshrink,
threshold, softmin, glu, prelu, rrelu (functional/_activation2.py) and their modules, plus
Hardtanh, ReLU6 and LogSigmoid modules, against PyTorch 2.13: values, gradients (torch and
float64 finite differences), second order, grad_fn names, in-place forms, reprs, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from optable import FIXED, V, ErrorCase, OpCase, make_error_test, make_tests

import ember

INF = np.inf
# Values on every kink of the piecewise ops (-3, 3, +-lambda, the threshold), signed zeros,
# and infinities: PyTorch's forward and its gradient exactly there (nan: test_nan below).
KINKS = V([[-3.5, -3.0, -2.9, -0.0, 0.0, 2.9], [3.0, 3.5, 1.5, -1.5, 0.1, 0.5],
           [-0.5, 20.0, -20.0, -1.0, INF, -INF]])


def f(name, *args, **kw):
    """A row function calling T.nn.functional.<name>(x, *args, **kw)."""
    return lambda T, x: getattr(T.nn.functional, name)(x, *args, **kw)


def inplace(name, *args, **kw):
    """The in-place form on a non-leaf copy (x * 1), so gradients flow back to x."""
    return lambda T, x: getattr(T.nn.functional, name)(x * 1, *args, **kw)


SMOOTH = [
    OpCase("selu", f("selu"), [(3, 4)], domain="wide"),
    OpCase("celu", f("celu"), [(3, 4)], domain="wide"),
    OpCase("celu_2", f("celu", 2.0), [(3, 4)], domain="wide"),
    OpCase("celu_-0.5", f("celu", -0.5), [(3, 4)]),
    OpCase("mish", f("mish"), [(3, 4)], domain="wide"),
    OpCase("softsign", f("softsign"), [(3, 4)], domain="wide"),
    OpCase("tanhshrink", f("tanhshrink"), [(3, 4)]),
    OpCase("softmin_1", f("softmin", 1), [(3, 4)]),
    OpCase("softmin_0_f64", lambda T, x: T.nn.functional.softmin(x, 0, dtype=T.float64),
           [(3, 4)]),
    OpCase("glu", f("glu"), [(3, 4)]),
    OpCase("glu_0", f("glu", 0), [(4, 3)]),
    OpCase("glu_3d", f("glu", 1), [(2, 6, 3)]),
    OpCase("prelu_channels", lambda T, x, w: T.nn.functional.prelu(x, w), [(2, 3, 4), (3,)]),
    OpCase("prelu_one", lambda T, x, w: T.nn.functional.prelu(x, w), [(2, 3), (1,)]),
    OpCase("prelu_scalar_w", lambda T, x, w: T.nn.functional.prelu(x, w), [(2, 3), ()]),
    OpCase("prelu_1d", lambda T, x, w: T.nn.functional.prelu(x, w), [(5,), (1,)]),
    OpCase("prelu_0d", lambda T, x, w: T.nn.functional.prelu(x, w), [(), (1,)]),
    OpCase("rrelu_eval", f("rrelu"), [(3, 4)]),
    OpCase("rrelu_train_fixed", f("rrelu", 0.2, 0.2, training=True), [(3, 4)]),
]
# Piecewise-linear ops: random points (away from kinks) for gradients and finite differences.
PIECEWISE = [
    OpCase("hardsigmoid", f("hardsigmoid"), [(3, 4)], domain="wide"),
    OpCase("hardswish", f("hardswish"), [(3, 4)], domain="wide", gradgrad=True),
    OpCase("hardshrink", f("hardshrink"), [(3, 4)]),
    OpCase("hardshrink_1.5", f("hardshrink", 1.5), [(3, 4)], domain="wide"),
    OpCase("softshrink", f("softshrink"), [(3, 4)]),
    OpCase("softshrink_1.5", f("softshrink", lambd=1.5), [(3, 4)], domain="wide"),
    OpCase("threshold", f("threshold", 0.1, 20.0), [(3, 4)]),
]
# Exactly on the kinks: values and PyTorch's gradient there (no finite differences).
AT_KINKS = [OpCase(f"{name}_kinks", fn, [KINKS], fd=False) for name, fn in [
    ("selu", f("selu")), ("celu", f("celu", 2.0)), ("mish", f("mish")),
    ("softsign", f("softsign")), ("tanhshrink", f("tanhshrink")),
    ("hardsigmoid", f("hardsigmoid")), ("hardswish", f("hardswish")),
    ("hardshrink", f("hardshrink")), ("hardshrink_1.5", f("hardshrink", 1.5)),
    ("softshrink", f("softshrink")), ("softshrink_1.5", f("softshrink", 1.5)),
    ("threshold", f("threshold", 0.1, 20.0)), ("threshold_3", f("threshold", 3.0, -1.0)),
    ("glu", f("glu", 1)), ("rrelu_eval", f("rrelu", 0.1, 0.3)),
    ("rrelu_train_fixed", f("rrelu", 0.3, 0.3, True)),
]] + [
    OpCase("prelu_kinks", lambda T, x, w: T.nn.functional.prelu(x, w),
           [KINKS, V([0.3, -0.2, 0.1, 0.0, 1.5, -0.0])], fd=False),
]
EDGES = [  # empty and 0-d inputs, integer inputs where PyTorch accepts them
    OpCase("selu_empty", f("selu"), [(0, 3)]),
    OpCase("glu_empty", f("glu", 0), [(0, 2)]),
    OpCase("hardswish_0d", f("hardswish"), [()], domain="wide"),
    OpCase("softshrink_0d", f("softshrink"), [()], domain="wide"),
    OpCase("threshold_int", f("threshold", 0.5, 7.5), [V([-2, 0, 1, 3])], dtypes=[FIXED]),
    OpCase("threshold_int_neg", f("threshold", -0.5, 7), [V([-2, 0, 3])], dtypes=[FIXED]),
    OpCase("softsign_int", f("softsign"), [V([-2, 0, 3])], dtypes=[FIXED]),
    OpCase("tanhshrink_int", f("tanhshrink"), [V([-2, 0, 3])], dtypes=[FIXED]),
]
INPLACE = [  # PyTorch's in-place forms and inplace=True: values, grads, grad_fn names
    OpCase("relu_", inplace("relu_"), [(3, 4)]),
    OpCase("elu_", inplace("elu_", 0.5), [(3, 4)]),
    OpCase("leaky_relu_", inplace("leaky_relu_", 0.2), [(3, 4)]),
    OpCase("hardtanh_", inplace("hardtanh_", -0.5, 0.7), [(3, 4)]),
    OpCase("selu_", inplace("selu_"), [(3, 4)]),
    OpCase("celu_", inplace("celu_", 1.5), [(3, 4)]),
    OpCase("threshold_", inplace("threshold_", 0.1, 5.0), [(3, 4)]),
    OpCase("rrelu_", inplace("rrelu_", 0.1, 0.4), [(3, 4)]),
    OpCase("selu_inplace", inplace("selu", inplace=True), [(3, 4)]),
    OpCase("celu_inplace", inplace("celu", 2.0, inplace=True), [(3, 4)]),
    OpCase("mish_inplace", inplace("mish", inplace=True), [(3, 4)]),
    OpCase("hardsigmoid_inplace", inplace("hardsigmoid", inplace=True), [(3, 4)], domain="wide"),
    OpCase("hardswish_inplace", inplace("hardswish", inplace=True), [(3, 4)], domain="wide"),
    OpCase("threshold_inplace", inplace("threshold", 0.0, -2.0, inplace=True), [(3, 4)]),
    OpCase("rrelu_train_inplace", inplace("rrelu", 0.25, 0.25, True, True), [(3, 4)]),
]
TOP_LEVEL = [  # torch.selu etc. and the Tensor methods x.hardshrink, x.prelu
    OpCase("torch.selu", lambda T, x: T.selu(x), [(3, 4)]),
    OpCase("torch.celu", lambda T, x: T.celu(x, alpha=2.0), [(3, 4)]),
    OpCase("torch.threshold", lambda T, x: T.threshold(x, 0.2, -3.0), [(3, 4)]),
    OpCase("torch.hardshrink", lambda T, x: T.hardshrink(x, lambd=0.3), [(3, 4)]),
    OpCase("Tensor.hardshrink", lambda T, x: x.hardshrink(0.3), [(3, 4)]),
    OpCase("torch.prelu", lambda T, x, w: T.prelu(x, w), [(2, 3), (3,)]),
    OpCase("Tensor.prelu", lambda T, x, w: x.prelu(w), [(2, 3), (1,)]),
    OpCase("torch.rrelu", lambda T, x: T.rrelu(x, 0.1, 0.3), [(3, 4)]),
    OpCase("torch.rrelu_", lambda T, x: T.rrelu_(x * 1, 0.2, 0.2, True), [(3, 4)]),
    OpCase("torch.selu_", lambda T, x: T.selu_(x * 1), [(3, 4)]),
    OpCase("torch.celu_", lambda T, x: T.celu_(x * 1, 0.5), [(3, 4)]),
    OpCase("torch.threshold_", lambda T, x: T.threshold_(x * 1, 0.0, 1.0), [(3, 4)]),
]
for _c in SMOOTH + PIECEWISE[1:] + INPLACE[4:8]:  # (PyTorch has no hardsigmoid double backward)
    _c.gradgrad = True
for _c in SMOOTH[:9] + PIECEWISE + AT_KINKS[:-3]:  # float16 keeps its dtype (values: forward)
    _c.dtypes = ("float32", "float64", "float16")
CASES = SMOOTH + PIECEWISE + AT_KINKS + EDGES + INPLACE + TOP_LEVEL
test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(CASES,
                                                                        grad_fn_names=True)

I64 = V([1, -2], "int64")
ERRORS = [
    ErrorCase("glu_odd", f("glu"), [(2, 3)]),
    ErrorCase("glu_odd_dim0", f("glu", 0), [(3, 2)]),
    ErrorCase("glu_scalar", f("glu"), [()]),
    ErrorCase("glu_dim_range", f("glu", 2), [(2, 2)]),
    ErrorCase("prelu_mismatch", lambda T, x, w: T.nn.functional.prelu(x, w), [(2, 4), (3,)]),
    ErrorCase("prelu_1d_mismatch", lambda T, x, w: T.nn.functional.prelu(x, w), [(3,), (3,)]),
    ErrorCase("prelu_0d_input", lambda T, x, w: T.nn.functional.prelu(x, w), [(), (3,)]),
    ErrorCase("prelu_2d_weight", lambda T, x, w: T.nn.functional.prelu(x, w), [(2, 3), (1, 3)]),
    ErrorCase("prelu_dtype", lambda T, x, w: T.nn.functional.prelu(x, w.double()),
              [(2, 3), (3,)]),
    ErrorCase("prelu_int", lambda T, x: T.nn.functional.prelu(x, x[:1]), [I64]),
    ErrorCase("softshrink_neg", f("softshrink", -1.0), [(3,)]),
    ErrorCase("softshrink_neg_f64", f("softshrink", -0.25), [(3,)], dtype="float64"),
    ErrorCase("celu_alpha0", f("celu", 0.0), [(3,)]),
    ErrorCase("rrelu_bounds", f("rrelu", 0.5, 0.1), [(3,)]),
    ErrorCase("rrelu_bounds_train", f("rrelu", 0.5, 0.1, True), [(3,)]),
    ErrorCase("threshold_bool", f("threshold", 0.5, 1.0), [V([True, False])]),
] + [ErrorCase(f"{name}_int", fn, [I64]) for name, fn in [
    ("selu", f("selu")), ("celu", f("celu")), ("mish", f("mish")),
    ("hardsigmoid", f("hardsigmoid")), ("hardswish", f("hardswish")),
    ("hardshrink", f("hardshrink")), ("softshrink", f("softshrink")), ("glu", f("glu")),
    ("rrelu", f("rrelu")), ("rrelu_train", f("rrelu", training=True)),
    ("softmin", f("softmin", 0)), ("elu_", f("elu_")), ("selu_", f("selu_")),
]] + [
    ErrorCase("softmax2d_2d", lambda T, x: T.nn.Softmax2d()(x), [(2, 3)]),
    ErrorCase("hardtanh_bounds", lambda T: T.nn.Hardtanh(1.0, 1.0), []),
    ErrorCase("prelu_module_channels", lambda T, x: T.nn.PReLU(2)(x), [(2, 3)]),
    ErrorCase("selu_leaf_inplace", lambda T, x: T.nn.functional.selu_(x.requires_grad_()),
              [(3,)]),
]
test_errors = make_error_test(ERRORS)


# ---- modules ------------------------------------------------------------------------------
MODULES = [  # (class name, constructor args, kwargs); repr, forward and backward vs torch
    ("Hardtanh", (), {}), ("Hardtanh", (-2, 3), {}), ("Hardtanh", (-2.0, 3.0, True), {}),
    ("ReLU6", (), {}), ("ReLU6", (True,), {}), ("LogSigmoid", (), {}),
    ("SELU", (), {}), ("SELU", (True,), {}), ("CELU", (), {}), ("CELU", (2,), {"inplace": True}),
    ("Mish", (), {}), ("Mish", (True,), {}), ("Softsign", (), {}),
    ("Hardsigmoid", (), {}), ("Hardsigmoid", (True,), {}), ("Hardswish", (True,), {}),
    ("Hardshrink", (), {}), ("Hardshrink", (1,), {}), ("Softshrink", (), {}),
    ("Softshrink", (), {"lambd": 2}), ("Tanhshrink", (), {}),
    ("Threshold", (0.1, 20), {}), ("Threshold", (1, 2, True), {}),
    ("Softmin", (1,), {}), ("Softmin", (), {"dim": 0}), ("GLU", (), {}), ("GLU", (0,), {}),
    ("PReLU", (), {}), ("PReLU", (4, 0.1), {}), ("RReLU", (), {}),
    ("RReLU", (0.1, 0.3, True), {}), ("Softmax2d", (), {}),
]


def _pair(shape, dtype):
    x = np.random.default_rng(5).uniform(-4, 4, shape).astype(dtype)
    return ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=[f"{m[0]}{m[1]}{m[2]}"
                                                           for m in MODULES])
def test_module_matches_torch(name, args, kwargs, dtype):
    em = getattr(ember.nn, name)(*args, **kwargs)
    tm = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(em) == repr(tm)
    assert getattr(em, "__constants__", None) == getattr(tm, "__constants__", None)
    if name == "PReLU":
        em.to(getattr(ember, dtype)), tm.to(getattr(torch, dtype))
        assert list(em.state_dict()) == ["weight"]
        np.testing.assert_array_equal(em.weight.detach().numpy(), tm.weight.detach().numpy())
    em.eval(), tm.eval()  # RReLU: the mean slope
    xe, xt = _pair((2, 4, 3, 2), dtype)
    ye, yt = em(xe * 1), tm(xt * 1)  # (x * 1: in-place modules need a non-leaf)
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    assert str(ye.dtype) == str(yt.dtype)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(6).standard_normal(tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g)), yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    if name == "PReLU":
        np.testing.assert_allclose(em.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-5,
                                   atol=1e-6)


def test_modules_in_sequential_train_step():
    """A stack of the new layers trains like PyTorch's: same loss and weight gradients."""
    layers = [("Linear", (3, 4)), ("PReLU", (4,)), ("Linear", (4, 4)), ("SELU", ()),
              ("Hardswish", ()), ("Linear", (4, 6)), ("GLU", ()), ("Mish", ()), ("ReLU6", ())]
    em = ember.nn.Sequential(*[getattr(ember.nn, n)(*a) for n, a in layers])
    tm = torch.nn.Sequential(*[getattr(torch.nn, n)(*a) for n, a in layers]).double()
    em.double()
    tm.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                        for k, v in em.state_dict().items()})
    xe, xt = _pair((5, 3), "float64")
    le, lt = em(xe).square().mean(), tm(xt).square().mean()
    le.backward(), lt.backward()
    np.testing.assert_allclose(le.item(), lt.item(), rtol=1e-12)
    for (k, pe), (_, pt) in zip(em.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=k)


def test_prelu_module_dtype_and_reset():
    em = ember.nn.PReLU(3, init=-0.5, dtype=ember.float64)
    assert em.weight.dtype == ember.float64 and em.weight.requires_grad
    assert em.weight.tolist() == [-0.5] * 3
    with ember.no_grad():
        em.weight.fill_(2.0)
    em.reset_parameters()
    assert em.weight.tolist() == [-0.5] * 3


def test_hardtanh_deprecated_keywords():
    for T in (ember, torch):
        with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
            m = T.nn.Hardtanh(min_value=-3.0)
        assert repr(m) == "Hardtanh(min_val=-3.0, max_val=1.0)"


def test_softmin_implicit_dim_warns():
    for T in (ember, torch):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
            y = T.nn.Softmin()(T.ones(2, 3))
        np.testing.assert_allclose(np.asarray(y.tolist()), np.full((2, 3), 1 / 3), rtol=1e-6)


# ---- in-place semantics -------------------------------------------------------------------
INPLACE_CALLS = {
    "relu_": lambda F, x: F.relu_(x), "elu_": lambda F, x: F.elu_(x),
    "leaky_relu_": lambda F, x: F.leaky_relu_(x, 0.3), "hardtanh_": lambda F, x: F.hardtanh_(x),
    "selu_": lambda F, x: F.selu_(x), "celu_": lambda F, x: F.celu_(x, 0.5),
    "threshold_": lambda F, x: F.threshold_(x, 0.2, -1.0), "rrelu_": lambda F, x: F.rrelu_(x),
    "mish": lambda F, x: F.mish(x, True), "hardswish": lambda F, x: F.hardswish(x, True),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x, True), "selu": lambda F, x: F.selu(x, True),
}


@pytest.mark.parametrize("name", list(INPLACE_CALLS))
def test_inplace_modifies_and_returns_input(name):
    """The same tensor comes back holding the result, its version bumped as PyTorch's, also
    through a view of a larger tensor, and without grad."""
    x0 = np.linspace(-2, 2, 12).reshape(3, 4)
    outs = []
    for T in (ember, torch):
        base = T.tensor(x0.copy())
        view = base[1:]
        got = INPLACE_CALLS[name](T.nn.functional, view)
        assert got is view
        outs.append((base.numpy().copy(), view._version, base._version))
    (be, ve, bve), (bt, vt, bvt) = outs
    np.testing.assert_allclose(be, bt, rtol=1e-12)
    assert (ve, bve) == (vt, bvt)


@pytest.mark.parametrize("name", ["selu_", "celu_", "threshold_", "mish", "hardswish"])
def test_inplace_on_a_view_with_grad(name):
    """In place on a view of a recorded tensor: the base sees the change, and gradients flow
    to the leaf through both the view's rows and the rest, as in PyTorch."""
    x0 = np.linspace(-2, 2, 12).reshape(3, 4)
    g0 = np.random.default_rng(1).standard_normal((3, 4))
    res = []
    for T in (ember, torch):
        x = T.tensor(x0.copy(), requires_grad=True)
        base = x * 2
        INPLACE_CALLS[name](T.nn.functional, base[1:])
        (base * T.tensor(g0)).sum().backward()
        res.append((base.detach().numpy().copy(), x.grad.numpy().copy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)


def test_inplace_over_a_saved_output_raises():
    """An in-place activation after an op that saved its input: PyTorch's error, not a
    silently wrong gradient (the version counter at work)."""
    errs = []
    for T in (ember, torch):
        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        h = x * 1
        y = h.exp()  # saves its output, which selu_ then overwrites
        T.nn.functional.selu_(y)
        with pytest.raises(RuntimeError) as e:
            y.sum().backward()
        errs.append(str(e.value).split(":")[0])
    assert errs[0] == errs[1]


# ---- rrelu in training mode: random slopes from ember's generator ---------------------------
def test_rrelu_training_draws_slopes():
    x = ember.tensor(np.linspace(-3, 3, 400).reshape(20, 20), requires_grad=True)
    ember.manual_seed(3)
    y = ember.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    y.backward(ember.ones(20, 20))
    xa, ya, slope = x.detach().numpy(), y.detach().numpy(), x.grad.numpy()
    neg = xa <= 0
    assert np.all(slope[~neg] == 1) and np.array_equal(ya[~neg], xa[~neg])
    assert np.all((slope[neg] >= 0.1) & (slope[neg] <= 0.3))
    assert len(np.unique(slope[neg])) == neg.sum()  # one draw per element
    np.testing.assert_allclose(ya[neg], xa[neg] * slope[neg], rtol=1e-6)
    ember.manual_seed(3)
    again = ember.nn.RReLU(0.1, 0.3)(x)  # a module is in training mode by default
    np.testing.assert_array_equal(again.detach().numpy(), ya)
    m = ember.nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(m(x).detach().numpy(), np.where(neg, xa * 0.2, xa), rtol=1e-6)


NAN_OPS = {  # nan inputs at the start of a long row: PyTorch's vectorised loop's answers
    "selu": lambda F, x: F.selu(x), "celu": lambda F, x: F.celu(x, 2.0),
    "mish": lambda F, x: F.mish(x), "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x), "hardshrink": lambda F, x: F.hardshrink(x),
    "softshrink": lambda F, x: F.softshrink(x), "threshold": lambda F, x: F.threshold(x, 0, 1),
    "rrelu": lambda F, x: F.rrelu(x), "rrelu_train": lambda F, x: F.rrelu(x, 0.2, 0.2, True),
    "glu": lambda F, x: F.glu(x), "softsign": lambda F, x: F.softsign(x),
    "prelu": lambda F, x: F.prelu(x, x[-1:].detach() * 0 + 0.3),
    "selu_": lambda F, x: F.selu_(x * 1),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(NAN_OPS))
def test_nan(name, dtype):
    x0 = np.linspace(-4, 4, 64).astype(dtype)
    x0[[0, 3, 33]] = np.nan  # 33: in glu's gate half
    res = []
    for T in (ember, torch):
        x = T.tensor(x0.copy(), requires_grad=True)
        y = NAN_OPS[name](T.nn.functional, x)
        y.backward(T.ones(tuple(y.shape), dtype=y.dtype))
        res.append((y.detach().numpy(), x.grad.numpy()))
    for e, t in zip(*res):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-7)


ZERO_SIGN_OPS = ["selu", "celu", "mish", "softsign", "hardsigmoid", "hardswish", "hardshrink",
                 "softshrink", "tanhshrink", "rrelu"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ZERO_SIGN_OPS)
def test_signs_of_zero(name, dtype):
    """Signed zeros in and out (softshrink's +0.0 between the bounds, hardswish(-3.5) = -0.0,
    selu(-0.0) = -0.0), in a row PyTorch's vectorised loop takes whole (a multiple of 32
    entries: no scalar tail, where softshrink gives -0.0 for negative x)."""
    x = np.tile(np.array([-0.0, 0.0, -0.3, 0.3, -0.5, 0.5, -3.0, -3.5, -1e-30, 7.0], dtype), 16)
    e = getattr(ember.nn.functional, name)(ember.tensor(x)).numpy()
    t = getattr(torch.nn.functional, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(e, t, rtol=1e-6, atol=0)
    np.testing.assert_array_equal(np.signbit(e), np.signbit(t))


def test_rrelu_generator():
    """torch.rrelu's generator argument: its own stream, the default one untouched."""
    x = ember.tensor(np.linspace(-3, 0, 50))
    ember.manual_seed(0)
    before = ember.rand(3).tolist()
    ember.manual_seed(0)
    a = ember.rrelu(x, training=True, generator=ember.Generator().manual_seed(7))
    b = ember.rrelu(x, training=True, generator=ember.Generator().manual_seed(7))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert ember.rand(3).tolist() == before


def test_elu_inplace_keyword_is_pytorchs_in_place_node():
    x = np.array([-2.0, -0.5, 0.0, 1.0, 3.0], np.float32)
    g = np.array([1.0, -2.0, 3.0, 0.5, 2.0], np.float32)
    out = []
    for T in (ember, torch):
        w = T.tensor(x, requires_grad=True)
        h = w * 1.0
        y = T.nn.functional.elu(h, alpha=0.7, inplace=True)
        y.backward(T.tensor(g))
        out.append((y.grad_fn.name(), y is h, y.detach().numpy(), w.grad.numpy()))
    (ne, se, ye, ge), (nt, st, yt, gt) = out
    assert (ne, se) == (nt, st) == ("EluBackward1", True)
    np.testing.assert_allclose(ye, yt, rtol=1e-6)
    np.testing.assert_allclose(ge, gt, rtol=1e-6)


@pytest.mark.parametrize("name", ["logsigmoid", "elu", "gelu", "silu", "leaky_relu"])
@pytest.mark.parametrize("values", [[1, 2], [True, False]])
def test_integer_and_bool_inputs_are_refused_as_pytorch(name, values):
    errors = []
    for T in (ember, torch):
        with pytest.raises(NotImplementedError) as info:
            getattr(T.nn.functional, name)(T.tensor(values))
        errors.append(str(info.value))
    assert errors[0] == errors[1]
