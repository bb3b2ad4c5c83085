"""Layers, activations, containers and nn.functional helpers against PyTorch 2.13."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from nn_testutil import close, copy_weights, error_of, np_of, same_error

nn_e, nn_t = ember.nn, torch.nn
F_E, F_T = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(7)


def grads_match(fe, ft, x: np.ndarray, rtol=1e-10, atol=1e-12, second_order=True):
    """fe(x) == ft(x), and first (and second) derivatives for random upstream gradients."""
    xe = ember.tensor(x.copy(), requires_grad=True)
    xt = torch.tensor(x.copy(), requires_grad=True)
    ye, yt = fe(xe), ft(xt)
    close(ye, yt, rtol, atol)
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    up = RNG.standard_normal(tuple(yt.shape))
    (ge,) = ember.autograd.grad(ye, xe, ember.tensor(up), create_graph=second_order)
    (gt,) = torch.autograd.grad(yt, xt, torch.tensor(up), create_graph=second_order)
    close(ge, gt, rtol, atol)
    if second_order:
        v = RNG.standard_normal(x.shape)
        se, st = (ge * ember.tensor(v)).sum(), (gt * torch.tensor(v)).sum()
        if not se.requires_grad:  # ember: the gradient does not depend on x at all
            (ht,) = torch.autograd.grad(st, xt, allow_unused=True) if st.requires_grad \
                else (None,)
            assert ht is None or np.allclose(np_of(ht), 0)
            return
        (he,) = ember.autograd.grad(se, xe)
        (ht,) = torch.autograd.grad(st, xt)
        close(he, ht, rtol * 10, atol * 10)


# ---- Linear ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_matches_torch(shape, bias, dtype):
    e = nn_e.Linear(3, 4, bias=bias, dtype=getattr(ember, dtype))
    t = nn_t.Linear(3, 4, bias=bias, dtype=getattr(torch, dtype))
    copy_weights(e, t)
    x = RNG.standard_normal(shape).astype(dtype)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e(xe), t(xt)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    close(ye, yt, **tol)
    up = RNG.standard_normal(yt.shape).astype(dtype)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    close(xe.grad, xt.grad, **tol)
    for pe, pt in zip(e.parameters(), t.parameters()):
        close(pe.grad, pt.grad, **tol)
    if len(shape) == 2 and bias:
        assert ye.grad_fn.name() == yt.grad_fn.name() == "AddmmBackward0"


def test_linear_default_init_distribution():
    ember.manual_seed(0)
    a = nn_e.Linear(400, 300)
    ember.manual_seed(0)
    b = nn_e.Linear(400, 300)
    assert np.array_equal(np_of(a.weight), np_of(b.weight))  # drawn from ember's generator
    t = nn_t.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    for pe, pt in zip(a.parameters(), t.parameters()):
        we, wt = np_of(pe), np_of(pt)
        assert we.dtype == wt.dtype == np.float32 and we.shape == wt.shape
        assert np.abs(we).max() <= bound and np.abs(we).max() > 0.98 * bound
        assert abs(we.std() - bound / np.sqrt(3)) < 0.05 * bound
        assert abs(we.std() - wt.std()) < 0.06 * bound and abs(we.mean()) < 0.1 * bound
    assert a.weight.requires_grad and isinstance(a.weight, nn_e.Parameter)


def test_linear_errors_and_parameters():
    same_error(lambda: nn_e.Linear(3, 4)(ember.ones(2, 5)),
               lambda: nn_t.Linear(3, 4)(torch.ones(2, 5)))
    m = nn_e.Linear(3, 4, bias=False)
    assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]


# ---- activations ------------------------------------------------------------------------
ACTIVATIONS = [
    ("ReLU()", "relu(x)"), ("LeakyReLU()", "leaky_relu(x)"),
    ("LeakyReLU(0.2)", "leaky_relu(x, 0.2)"), ("LeakyReLU(1.5)", "leaky_relu(x, 1.5)"),
    ("ELU()", "elu(x)"), ("ELU(0.5)", "elu(x, alpha=0.5)"), ("GELU()", "gelu(x)"),
    ("GELU('tanh')", "gelu(x, approximate='tanh')"), ("SiLU()", "silu(x)"),
    ("Tanh()", "tanh(x)"), ("Sigmoid()", "sigmoid(x)"), ("Softplus()", "softplus(x)"),
    ("Softplus(2.0, 3.0)", "softplus(x, beta=2.0, threshold=3.0)"),
    ("Softmax(dim=1)", "softmax(x, dim=1)"), ("Softmax(0)", "softmax(x, 0)"),
    ("LogSoftmax(1)", "log_softmax(x, dim=1)"), ("Identity()", "logsigmoid(x)"),
]


def _act_input():
    x = RNG.standard_normal((4, 5)) * 3
    x[0, :4] = [0.0, 40.0, -40.0, 1e-3]
    return x


@pytest.mark.parametrize("mod,fn", ACTIVATIONS)
def test_activation_modules_and_functional(mod, fn):
    x = _act_input()
    second = "relu" not in fn  # piecewise linear: nothing to compare at second order
    if not mod.startswith("Identity"):
        grads_match(eval("nn.Identity() if 0 else nn." + mod, {"nn": nn_e}),
                    eval("nn." + mod, {"nn": nn_t}), x, second_order=second)
    grads_match(lambda v: eval("F." + fn, {"F": F_E, "x": v}),
                lambda v: eval("F." + fn, {"F": F_T, "x": v}), x, second_order=second)


def test_gelu_exact_across_range():
    x = np.linspace(-12, 12, 2001)
    grads_match(F_E.gelu, F_T.gelu, x, second_order=False, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_as_accurate_as_torch(approximate):
    """In float32 both libraries round differently: ember must be as close to the float64
    answer as PyTorch's own float32 kernel is (values and derivatives)."""
    x = np.linspace(-12, 12, 2001)

    def value_and_grad(T, dtype):
        t = T.tensor(x.astype(dtype), requires_grad=True)
        y = T.nn.functional.gelu(t, approximate=approximate)
        y.sum().backward()
        return np_of(y).astype(np.float64), np_of(t.grad).astype(np.float64)

    exact = value_and_grad(torch, np.float64)
    ours, theirs = value_and_grad(ember, np.float32), value_and_grad(torch, np.float32)
    for o, t, e in zip(ours, theirs, exact):
        assert np.max(np.abs(o - e)) <= 2 * np.max(np.abs(t - e)) + 1e-9


def test_inplace_activations():
    for fn, kw in [("relu", {}), ("leaky_relu", {"negative_slope": 0.1}), ("elu", {}),
                   ("silu", {})]:
        x = _act_input()
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        he, ht = xe * 2, xt * 2
        oe = getattr(F_E, fn)(he, inplace=True, **kw)
        ot = getattr(F_T, fn)(ht, inplace=True, **kw)
        assert oe is he
        close(he, ht)
        oe.sum().backward()
        ot.sum().backward()
        close(xe.grad, xt.grad)
    for mod in ("ReLU(inplace=True)", "LeakyReLU(0.1, True)", "ELU(inplace=True)"):
        he = ember.tensor(_act_input()) * 1.0
        assert eval("nn." + mod, {"nn": nn_e})(he) is he


def test_softmax_implicit_dim_warns_like_torch():
    x = _act_input()
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        ye = F_E.softmax(ember.tensor(x))
    with pytest.warns(UserWarning):
        yt = F_T.softmax(torch.tensor(x))
    close(ye, yt)
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        nn_e.LogSoftmax()(ember.tensor(x))


# ---- dropout ----------------------------------------------------------------------------
def test_dropout_train_eval_and_scaling():
    x = ember.ones(200, 100)
    drop = nn_e.Dropout(0.3)
    ember.manual_seed(3)
    y = drop(x)
    kept = np_of(y) != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(np_of(y)[kept], 1 / 0.7, rtol=1e-6)
    ember.manual_seed(3)
    assert np.array_equal(np_of(drop(x)), np_of(y))  # ember's generator decides the mask
    drop.eval()
    assert drop(x) is x
    assert F_E.dropout(x, 0.5, training=False) is x and F_E.dropout(x, 0.0) is x
    assert np_of(F_E.dropout(x, 1.0)).sum() == 0


def test_dropout_gradient_is_the_mask():
    x = ember.tensor(RNG.standard_normal((50, 20)), requires_grad=True)
    y = F_E.dropout(x, 0.4)
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    mask = np.where(np_of(y) != 0, 1 / 0.6, 0.0)
    np.testing.assert_allclose(np_of(x.grad), mask)
    h = x * 1.0
    out = F_E.dropout(h, 0.5, inplace=True)
    assert out is h


def test_dropout_errors_match_torch():
    same_error(lambda: F_E.dropout(ember.ones(2), 1.5), lambda: F_T.dropout(torch.ones(2), 1.5))
    same_error(lambda: nn_e.Dropout(-0.1), lambda: nn_t.Dropout(-0.1))


# ---- shape modules ----------------------------------------------------------------------
@pytest.mark.parametrize("src", ["Flatten()", "Flatten(0, 1)", "Flatten(2)",
                                 "Unflatten(1, (2, 3))", "Unflatten(-1, [2, 2])", "Identity(3)"])
def test_shape_modules(src):
    shape = (2, 6, 4) if "Unflatten(1" in src else (2, 3, 4)
    grads_match(eval("nn." + src, {"nn": nn_e}), eval("nn." + src, {"nn": nn_t}),
                RNG.standard_normal(shape), second_order=False)


# ---- containers -------------------------------------------------------------------------
def _seq(nn):
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(),
                         nn.Linear(3, 1))


SEQ_OPS = [
    lambda s, nn: s[1:4], lambda s, nn: s[-1], lambda s, nn: s[::2],
    lambda s, nn: (s.__delitem__(1), s)[1], lambda s, nn: (s.__delitem__(slice(0, 2)), s)[1],
    lambda s, nn: s.append(nn.Sigmoid()), lambda s, nn: s.insert(1, nn.GELU()),
    lambda s, nn: s.insert(-1, nn.GELU()), lambda s, nn: s.extend([nn.ReLU(), nn.ReLU()]),
    lambda s, nn: (s.pop(2), s)[1], lambda s, nn: s + nn.Sequential(nn.ReLU()),
    lambda s, nn: (s.__setitem__(-1, nn.Linear(3, 2)), s)[1], lambda s, nn: s * 2,
    lambda s, nn: nn.Sequential(OrderedDict([("a", nn.ReLU()), ("b", nn.Tanh())]))[1:],
]


@pytest.mark.parametrize("case", range(len(SEQ_OPS)))
def test_sequential_operations_match_torch(case):
    re, rt = SEQ_OPS[case](_seq(nn_e), nn_e), SEQ_OPS[case](_seq(nn_t), nn_t)
    assert type(re).__name__ == type(rt).__name__
    assert repr(re) == repr(rt)
    if isinstance(rt, nn_t.Sequential):
        assert list(re.state_dict()) == list(rt.state_dict())
        assert len(re) == len(rt) and [type(m).__name__ for m in re] == \
            [type(m).__name__ for m in rt]


def test_sequential_forward_and_errors():
    e, t = _seq(nn_e), _seq(nn_t)
    copy_weights(e, t)
    grads_match(e, t, RNG.standard_normal((4, 2)).astype(np.float32), rtol=1e-5, atol=1e-6,
                second_order=False)
    same_error(lambda: _seq(nn_e)[5], lambda: _seq(nn_t)[5])
    same_error(lambda: _seq(nn_e)[-6], lambda: _seq(nn_t)[-6])


MODULELIST_OPS = [
    lambda m, nn: m[1:], lambda m, nn: m[-1], lambda m, nn: m.append(nn.ReLU()),
    lambda m, nn: m.extend([nn.ReLU(), nn.Tanh()]), lambda m, nn: (m.insert(1, nn.GELU()), m)[1],
    lambda m, nn: (m.__delitem__(0), m)[1], lambda m, nn: (m.__delitem__(slice(1, None)), m)[1],
    lambda m, nn: (m.pop(1), m)[1], lambda m, nn: m + nn.ModuleList([nn.Tanh()]),
    lambda m, nn: (m.__setitem__(-1, nn.Tanh()), m)[1],
    lambda m, nn: (m.__iadd__([nn.ReLU()]), m)[1],
]


@pytest.mark.parametrize("case", range(len(MODULELIST_OPS)))
def test_modulelist_operations_match_torch(case):
    def make(nn):
        return nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()])

    re = MODULELIST_OPS[case](make(nn_e), nn_e)
    rt = MODULELIST_OPS[case](make(nn_t), nn_t)
    assert repr(re) == repr(rt)
    if isinstance(rt, nn_t.ModuleList):
        assert list(re.state_dict()) == list(rt.state_dict()) and len(re) == len(rt)


def test_modulelist_and_moduledict_errors():
    same_error(lambda: nn_e.ModuleList([nn_e.ReLU()])[3], lambda: nn_t.ModuleList([nn_t.ReLU()])[3])
    same_error(lambda: nn_e.ModuleList().extend(3), lambda: nn_t.ModuleList().extend(3))
    same_error(lambda: nn_e.ModuleDict().update(3), lambda: nn_t.ModuleDict().update(3))
    same_error(lambda: nn_e.ModuleDict()["x"], lambda: nn_t.ModuleDict()["x"])


def test_moduledict_behaviour_matches_torch():
    def run(nn):
        d = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.ReLU()})
        d["c"] = nn.Tanh()
        d.update([("d", nn.Linear(1, 2)), ("a", nn.GELU())])
        d.update(OrderedDict(e=nn.Sigmoid()))
        popped = d.pop("b")
        del d["c"]
        return (list(d.keys()), [type(v).__name__ for v in d.values()], "a" in d, len(d),
                list(d), type(popped).__name__, list(d.state_dict()), repr(d))

    assert run(nn_e) == run(nn_t)
    d = nn_e.ModuleDict({"x": nn_e.ReLU()})
    d.clear()
    assert len(d) == 0 and not hasattr(d, "x")


def test_parameter_list_and_dict():
    pl = nn_e.ParameterList([nn_e.Parameter(ember.ones(2)), ember.zeros(3)])
    assert len(pl) == 2 and isinstance(pl[1], nn_e.Parameter)
    pl.append(nn_e.Parameter(ember.ones(1)))
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    pd = nn_e.ParameterDict({"w": nn_e.Parameter(ember.ones(2))})
    pd["b"] = ember.zeros(1)
    assert list(pd.keys()) == ["w", "b"] and isinstance(pd["b"], nn_e.Parameter)
    m = nn_e.Module()
    m.pl, m.pd = pl, pd
    assert [n for n, _ in m.named_parameters()] == ["pl.0", "pl.1", "pl.2", "pd.w", "pd.b"]


# ---- functional helpers -----------------------------------------------------------------
def test_one_hot_matches_torch():
    for t, n in [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 3)]:
        e = F_E.one_hot(ember.tensor(t, dtype=ember.int64), n)
        tt = F_T.one_hot(torch.tensor(t, dtype=torch.int64), n)
        assert e.dtype == ember.int64 and np.array_equal(np_of(e), np_of(tt))
    for t, n in [([0, 3], 2), ([0, -1], 2), ([], -1)]:
        same_error(lambda: F_E.one_hot(ember.tensor(t, dtype=ember.int64), n),
                   lambda: F_T.one_hot(torch.tensor(t, dtype=torch.int64), n))
    same_error(lambda: F_E.one_hot(ember.tensor([0.0, 1.0])),
               lambda: F_T.one_hot(torch.tensor([0.0, 1.0])))


@pytest.mark.parametrize("kw", [{}, {"p": 1.0}, {"dim": 0}, {"p": float("inf"), "dim": -1}])
def test_normalize_matches_torch(kw):
    x = RNG.standard_normal((3, 4))
    grads_match(lambda v: F_E.normalize(v, **kw), lambda v: F_T.normalize(v, **kw), x,
                second_order="p" not in kw)
    x[0] = 0.0  # a zero row is divided by eps, as in PyTorch
    close(F_E.normalize(ember.tensor(x), **kw), F_T.normalize(torch.tensor(x), **kw))


@pytest.mark.parametrize("pad,mode,value", [
    ((1, 2), "constant", None), ((1, 1, 2, 0), "constant", 3.5), ((-1, 2), "constant", 0.0),
    ((1, -2, 0, 1), "constant", None), ((0, 0, 1, 1, 1, 1), "constant", 1.0),
    ((2, 1), "reflect", None), ((1, 2, 1, 0), "reflect", None), ((3, 1), "replicate", None),
    ((1, 2, 2, 2), "replicate", None), ((2, 1), "circular", None),
])
def test_pad_matches_torch(pad, mode, value):
    x = RNG.standard_normal((2, 3, 4))
    grads_match(lambda v: F_E.pad(v, pad, mode=mode, value=value),
                lambda v: F_T.pad(v, pad, mode=mode, value=value), x,
                second_order=mode == "constant")


FUNCTIONAL_ERRORS = [
    lambda T, F: F.pad(T.randn(3, 4), (1,)),
    lambda T, F: F.pad(T.randn(3, 4), (1, 1, 1, 1, 1, 1)),
    lambda T, F: F.pad(T.randn(3, 4), (5, 5), mode="reflect"),
    lambda T, F: F.pad(T.randn(3, 4), (1, 2), mode="foo"),
    lambda T, F: F.gelu(T.randn(3), approximate="foo"),
]


@pytest.mark.parametrize("case", range(len(FUNCTIONAL_ERRORS)))
def test_functional_errors_match_torch(case):
    same_error(lambda: FUNCTIONAL_ERRORS[case](ember, F_E),
               lambda: FUNCTIONAL_ERRORS[case](torch, F_T))


# ---- Sequential's no_grad fast path -------------------------------------------------------
def _layer_by_layer(seq, x):
    for m in seq:
        x = m(x)
    return x


@pytest.mark.parametrize("layers", [
    "Linear(3, 8), ReLU(), Linear(8, 2)",
    "Linear(3, 8), Tanh(), Linear(8, 8), Sigmoid(), Linear(8, 1)",
    "Linear(3, 4, bias=False), ReLU(inplace=True), Dropout(0.5), Linear(4, 2)",
    "Identity(), Linear(3, 3), Dropout(0.0), ReLU()",
])
@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_sequential_no_grad_fast_path_is_bit_identical(layers, shape, dtype):
    seq = eval(f"Sequential({layers})", vars(nn_e)).to(dtype).eval()
    x = ember.tensor(RNG.standard_normal(shape), dtype=dtype)
    with ember.no_grad():
        fast = seq(x)
        slow = _layer_by_layer(seq, x)
    assert fast.dtype == slow.dtype and not fast.requires_grad
    assert np.array_equal(np_of(fast), np_of(slow))
    with_grad = seq(x)  # and the recorded path gives the same numbers
    assert with_grad.requires_grad and np.array_equal(np_of(with_grad), np_of(slow))


def test_sequential_no_grad_fast_path_yields_to_hooks_subclasses_and_errors():
    seq = nn_e.Sequential(nn_e.Linear(2, 2), nn_e.ReLU())
    seen = []
    h = seq[1].register_forward_hook(lambda m, a, out: seen.append(1))
    with ember.no_grad():
        seq(ember.ones(1, 2))
    assert seen == [1]
    h.remove()

    class Doubled(nn_e.Linear):
        def forward(self, x):
            return super().forward(x) * 2

    seq2 = nn_e.Sequential(Doubled(2, 2))
    with ember.no_grad():
        assert np.allclose(np_of(seq2(ember.ones(1, 2))), 2 * np_of(seq2[0].forward(
            ember.ones(1, 2)) / 2))
    seq3 = nn_e.Sequential(nn_e.Identity(), nn_e.Dropout(0.5).eval())
    x = ember.ones(3)
    with ember.no_grad():
        assert seq3(x) is x
        inplace = nn_e.Sequential(nn_e.ReLU(inplace=True))
        y = ember.tensor([-1.0, 2.0])
        assert inplace(y) is y and np_of(y).tolist() == [0.0, 2.0]
    with ember.no_grad(), torch.no_grad():
        same_error(lambda: _seq(nn_e)(ember.ones(4, 3)), lambda: _seq(nn_t)(torch.ones(4, 3)))
        bad = ember.ones(4, 2, dtype=ember.float64)  # the error of the layer-by-layer path
        assert error_of(lambda: _seq(nn_e)(bad)) == error_of(lambda: _layer_by_layer(
            _seq(nn_e), bad))
