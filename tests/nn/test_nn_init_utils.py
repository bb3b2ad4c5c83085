"""nn.init (statistics, gains, fans, errors) and nn.utils (clipping, vector conversion)
against PyTorch 2.13."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import ember
from nn_testutil import close, np_of, same_error

I_E, I_T = ember.nn.init, torch.nn.init
U_E, U_T = ember.nn.utils, torch.nn.utils

GAINS = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
         ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3),
         ("leaky_relu", math.sqrt(5)), ("selu", None)]


@pytest.mark.parametrize("name,param", GAINS)
def test_calculate_gain_matches_torch(name, param):
    assert I_E.calculate_gain(name, param) == I_T.calculate_gain(name, param)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (6, 4, 2, 2), (1, 1)])
def test_fans_match_torch(shape):
    assert I_E._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
        I_T._calculate_fan_in_and_fan_out(torch.empty(*shape))


# (init call, distribution, std or bound as a function of the tensor's fans)
SHAPE = (300, 200)
FAN_IN, FAN_OUT = 200, 300
STAT_CASES = [
    ("uniform_(t, -0.5, 1.5)", "uniform", (-0.5, 1.5)),
    ("normal_(t, 0.5, 2.0)", "normal", (0.5, 2.0)),
    ("xavier_uniform_(t)", "uniform", (-math.sqrt(6 / 500), math.sqrt(6 / 500))),
    ("xavier_uniform_(t, gain=2.0)", "uniform", (-2 * math.sqrt(6 / 500), 2 * math.sqrt(6 / 500))),
    ("xavier_normal_(t)", "normal", (0.0, math.sqrt(2 / 500))),
    ("kaiming_uniform_(t)", "uniform", (-math.sqrt(6 / FAN_IN), math.sqrt(6 / FAN_IN))),
    ("kaiming_uniform_(t, a=math.sqrt(5))", "uniform", (-1 / math.sqrt(FAN_IN),
                                                        1 / math.sqrt(FAN_IN))),
    ("kaiming_uniform_(t, mode='fan_out', nonlinearity='relu')", "uniform",
     (-math.sqrt(6 / FAN_OUT), math.sqrt(6 / FAN_OUT))),
    ("kaiming_normal_(t, nonlinearity='relu')", "normal", (0.0, math.sqrt(2 / FAN_IN))),
    ("kaiming_normal_(t, mode='fan_out', nonlinearity='tanh')", "normal",
     (0.0, 5 / 3 / math.sqrt(FAN_OUT))),
    ("trunc_normal_(t, std=0.5, a=-0.4, b=0.6)", "trunc", (-0.4, 0.6)),
]


def _draw(T, init, call):
    t = T.empty(*SHAPE)
    out = eval(call, {"t": t, "math": math, **{k: getattr(init, k) for k in dir(init)
                                                if not k.startswith("__")}})
    assert out is t
    return np_of(t).astype(np.float64)


@pytest.mark.parametrize("call,dist,params", STAT_CASES)
def test_init_statistics_match_torch(call, dist, params):
    ember.manual_seed(11)
    torch.manual_seed(11)  # both samples fixed: the moment checks are 5-sigma, not certain
    e, t = _draw(ember, I_E, call), _draw(torch, I_T, call)
    n = e.size
    if dist in ("uniform", "trunc"):
        lo, hi = params
        width = hi - lo
        assert lo <= e.min() < lo + 0.01 * width and hi - 0.01 * width < e.max() <= hi
        assert lo <= t.min() and t.max() <= hi
        if dist == "uniform":
            assert abs(e.mean() - (lo + hi) / 2) < 5 * width / math.sqrt(12 * n)
            assert abs(e.std() / (width / math.sqrt(12)) - 1) < 0.02
    else:
        mean, std = params
        assert abs(e.mean() - mean) < 5 * std / math.sqrt(n)
        assert abs(e.std() / std - 1) < 0.02
    # The same distribution as PyTorch's: moments agree to sampling accuracy.
    assert abs(e.mean() - t.mean()) < 5 * (e.std() + t.std()) / math.sqrt(n)
    assert abs(e.std() / t.std() - 1) < 0.03


def test_init_is_inplace_untracked_and_seeded():
    p = ember.nn.Parameter(ember.empty(4, 3))
    v = p._version
    assert I_E.normal_(p) is p  # a leaf requiring grad, outside no_grad: allowed
    assert p.grad_fn is None and p.requires_grad and p._version > v
    ember.manual_seed(5)
    a = np_of(I_E.kaiming_uniform_(ember.empty(4, 3)))
    ember.manual_seed(5)
    assert np.array_equal(a, np_of(I_E.kaiming_uniform_(ember.empty(4, 3))))
    g = ember.Generator().manual_seed(1)
    b = np_of(I_E.uniform_(ember.empty(3), generator=g))
    assert np.array_equal(b, np_of(I_E.uniform_(ember.empty(3),
                                                generator=ember.Generator().manual_seed(1))))


@pytest.mark.parametrize("call", ["constant_(t, 2.5)", "ones_(t)", "zeros_(t)", "eye_(t)"])
@pytest.mark.parametrize("shape", [(3, 4), (4, 2)])
def test_deterministic_inits_equal_torch(call, shape):
    def run(T, init):
        t = T.empty(*shape)
        return eval(call, {"t": t, **{k: getattr(init, k) for k in dir(init)}})

    e, t = run(ember, I_E), run(torch, I_T)
    assert np.array_equal(np_of(e), np_of(t)) and e.dtype == ember.float32


@pytest.mark.parametrize("shape", [(6, 3), (3, 6), (4, 3, 2)])
def test_orthogonal(shape):
    t = I_E.orthogonal_(ember.empty(*shape), gain=2.0)
    q = np_of(t).reshape(shape[0], -1).astype(np.float64)
    small = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
    np.testing.assert_allclose(small, 4 * np.eye(small.shape[0]), atol=1e-5)


INIT_ERRORS = [
    lambda T, I: I.calculate_gain("foo"),
    lambda T, I: I.calculate_gain("leaky_relu", "a"),
    lambda T, I: I.kaiming_uniform_(T.empty(3)),
    lambda T, I: I.xavier_normal_(T.empty(3)),
    lambda T, I: I.eye_(T.empty(3)),
    lambda T, I: I.kaiming_uniform_(T.empty(3, 3), mode="foo"),
    lambda T, I: I.orthogonal_(T.empty(3)),
    lambda T, I: I.uniform_(T.empty(3), 1, 0),
    lambda T, I: I.normal_(T.empty(3), 0, -1),
]


@pytest.mark.parametrize("case", range(len(INIT_ERRORS)))
def test_init_errors_match_torch(case):
    same_error(lambda: INIT_ERRORS[case](ember, I_E), lambda: INIT_ERRORS[case](torch, I_T))


def test_zero_element_kaiming_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        I_E.kaiming_uniform_(ember.empty(3, 0))


# ---- clipping ----------------------------------------------------------------------------
def _params(T, rng_seed=3, scale=1.0):
    rng = np.random.default_rng(rng_seed)
    ps = []
    for shape in [(4, 3), (3,), (2, 2, 2), (5,)]:
        p = T.nn.Parameter(T.tensor(rng.standard_normal(shape).astype(np.float32)))
        ps.append(p)
    for p, shape in zip(ps[:3], [(4, 3), (3,), (2, 2, 2)]):
        p.grad = T.tensor((rng.standard_normal(shape) * scale).astype(np.float32))
    return ps  # the last parameter has no gradient


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    pe, pt = _params(ember), _params(torch)
    ne = U_E.clip_grad_norm_(pe, max_norm, norm_type=norm_type)
    nt = U_T.clip_grad_norm_(pt, max_norm, norm_type=norm_type)
    close(ne, nt, rtol=1e-6, atol=0)
    for a, b in zip(pe, pt):
        if b.grad is None:
            assert a.grad is None
        else:
            close(a.grad, b.grad, rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_forms_and_nonfinite():
    pe, pt = _params(ember), _params(torch)
    close(U_E.clip_grad_norm_(pe[0], 0.5), U_T.clip_grad_norm_(pt[0], 0.5), rtol=1e-6)
    close(U_E.clip_grad_norm_(iter(pe), 0.5), U_T.clip_grad_norm_(iter(pt), 0.5), rtol=1e-6)
    close(U_E.clip_grad_norm_([], 1.0), U_T.clip_grad_norm_([], 1.0))
    for lib, params in ((ember, pe), (torch, pt)):
        params[0].grad[0, 0] = float("inf")
    same_error(lambda: U_E.clip_grad_norm_(pe, 1.0, error_if_nonfinite=True),
               lambda: U_T.clip_grad_norm_(pt, 1.0, error_if_nonfinite=True))
    ne, nt = U_E.clip_grad_norm_(pe, 1.0), U_T.clip_grad_norm_(pt, 1.0)
    close(ne, nt)
    for a, b in zip(pe[:3], pt[:3]):
        np.testing.assert_array_equal(np.isnan(np_of(a.grad)), np.isnan(np_of(b.grad)))
    ge, gt = U_E.get_total_norm([p.grad for p in _params(ember)[:3]]), \
        U_T.get_total_norm([p.grad for p in _params(torch)[:3]])
    close(ge, gt, rtol=1e-6)


def test_clip_grad_value_matches_torch():
    pe, pt = _params(ember, scale=3.0), _params(torch, scale=3.0)
    assert U_E.clip_grad_value_(pe, 1.5) is None
    U_T.clip_grad_value_(pt, 1.5)
    for a, b in zip(pe[:3], pt[:3]):
        close(a.grad, b.grad)


def test_clip_grad_norm_in_a_training_step():
    def step(T):
        T.manual_seed(0)
        m = T.nn.Linear(3, 2)
        with T.no_grad():
            m.weight.copy_(T.tensor([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]]))
            m.bias.fill_(0.25)
        loss = (m(T.ones(4, 3) * 2) ** 2).sum()
        loss.backward()
        n = T.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        return n, m.weight.grad, m.bias.grad

    for a, b in zip(step(ember), step(torch)):
        close(a, b, rtol=1e-6)


# ---- vector conversion ---------------------------------------------------------------------
def test_parameters_to_vector_and_back():
    pe, pt = _params(ember), _params(torch)
    ve, vt = U_E.parameters_to_vector(pe), U_T.parameters_to_vector(pt)
    close(ve, vt)
    assert ve.requires_grad and ve.grad_fn is not None
    new = np.arange(ve.numel(), dtype=np.float32)
    ee, tt = ember.tensor(new), torch.tensor(new)
    U_E.vector_to_parameters(ee, pe)
    U_T.vector_to_parameters(tt, pt)
    for a, b in zip(pe, pt):
        close(a, b)
    with ember.no_grad():
        ee.mul_(2.0)  # the parameters now share the vector's storage, as in PyTorch
    with torch.no_grad():
        tt.mul_(2.0)
    for a, b in zip(pe, pt):
        close(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: U_E.vector_to_parameters([1.0], pe),
                   lambda: U_T.vector_to_parameters([1.0], pt))
