"""Extreme values: logits of +-1e4 and -inf masks through the numerically delicate functions.

Values and gradients must equal PyTorch 2.13's, in float32 and float64: finite wherever
PyTorch's are finite, and nan/inf exactly where PyTorch's are (a row of all -inf logits is nan
in both libraries). The upstream gradient is random, so every entry of the Jacobian counts.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

INF = float("inf")
BIG = 1e4
# Rows: huge spreads, huge equal logits, -inf masks, a nearly masked row, ordinary values.
LOGITS = np.array([
    [BIG, -BIG, 0.0, 3.0],
    [-BIG, -BIG, -BIG, -BIG],
    [BIG, BIG, BIG - 1.0, -5.0],
    [0.0, -INF, 2.0, -INF],
    [BIG, -INF, -BIG, 5.0],
    [-INF, -INF, -INF, -BIG],
    [0.5, -1.5, 2.0, 0.25],
])
ALL_MASKED = np.array([[-INF, -INF, -INF], [1.0, 2.0, 3.0]])
TARGETS = np.array([1, 3, 0, 2, 0, 3, 2])  # each names a finite logit of its row
TOL = {"float32": dict(rtol=1.3e-6, atol=1e-5), "float64": dict(rtol=1e-7, atol=1e-7)}
DTYPES = ("float32", "float64")


class Const(np.ndarray):
    """An input that takes no gradient (pos_weight may not require grad in PyTorch)."""


def _run(lib, fn, arrays, dtype, seed=0):
    """fn(lib, *leaves) and d(sum(out * w))/d(leaves) for a fixed random upstream w."""
    leaves = [lib.tensor(np.asarray(a), dtype=getattr(lib, dtype),
                         requires_grad=not isinstance(a, Const)) for a in arrays]
    out = fn(lib, *leaves)
    outs = out if isinstance(out, tuple) else (out,)
    rng = np.random.default_rng(seed)
    total = 0
    for o in outs:
        w = lib.tensor(rng.uniform(0.5, 1.5, tuple(o.shape)), dtype=o.dtype)
        total = total + (o * w).sum()
    total.backward()
    return ([o.detach().numpy() for o in outs],
            [leaf.grad.numpy() for leaf in leaves if leaf.requires_grad])


def _compare(name, fn, arrays, dtype):
    t_vals, t_grads = _run(torch, fn, arrays, dtype)
    e_vals, e_grads = _run(ember, fn, arrays, dtype)
    for what, es, ts in (("value", e_vals, t_vals), ("grad", e_grads, t_grads)):
        for e, t in zip(es, ts):
            assert e.dtype == t.dtype, f"{name} {what}: dtype {e.dtype} vs {t.dtype}"
            assert np.array_equal(np.isfinite(e), np.isfinite(t)), \
                f"{name} {what} ({dtype}): finite where torch is\n{e}\nvs torch\n{t}"
            np.testing.assert_allclose(e, t, equal_nan=True, err_msg=f"{name} {what} ({dtype})",
                                       **TOL[dtype])


def _targets(lib):
    return lib.tensor(TARGETS)


CASES = {
    "log_softmax": (lambda T, x: T.nn.functional.log_softmax(x, dim=-1), [LOGITS]),
    "log_softmax_dim0": (lambda T, x: T.log_softmax(x, dim=0), [LOGITS]),
    "softmax": (lambda T, x: T.softmax(x, dim=-1), [LOGITS]),
    "log_softmax_all_masked": (lambda T, x: T.log_softmax(x, dim=-1), [ALL_MASKED]),
    "logsumexp": (lambda T, x: T.logsumexp(x, dim=-1), [LOGITS]),
    "logsumexp_keepdim_dim0": (lambda T, x: T.logsumexp(x, dim=0, keepdim=True), [LOGITS]),
    "logsumexp_all_masked": (lambda T, x: T.logsumexp(x, dim=-1), [ALL_MASKED]),
    "cross_entropy": (lambda T, x: T.nn.functional.cross_entropy(x, _targets(T)), [LOGITS]),
    "cross_entropy_sum": (lambda T, x: T.nn.functional.cross_entropy(
        x, _targets(T), reduction="sum"), [LOGITS]),
    "cross_entropy_none": (lambda T, x: T.nn.functional.cross_entropy(
        x, _targets(T), reduction="none"), [LOGITS]),
    "cross_entropy_masked_target": (lambda T, x: T.nn.functional.cross_entropy(
        x, T.tensor([1, 0]), reduction="none"), [LOGITS[[3, 5]]]),  # inf where torch's is
    "cross_entropy_label_smoothing": (lambda T, x: T.nn.functional.cross_entropy(
        x, _targets(T)[[0, 2, 6]], label_smoothing=0.1), [LOGITS[[0, 2, 6]]]),
    "cross_entropy_probs": (lambda T, x, p: T.nn.functional.cross_entropy(
        x[[0, 2, 6]], T.softmax(p, -1)), [LOGITS, np.zeros((3, 4))]),
    "bce_with_logits": (lambda T, x, y: T.nn.functional.binary_cross_entropy_with_logits(
        x, y, reduction="none"), [LOGITS[[0, 2, 6]], np.array([[1.0, 0.0, 0.3, 1.0]] * 3)]),
    "bce_with_logits_pos_weight": (
        lambda T, x, y, w: T.nn.functional.binary_cross_entropy_with_logits(
            x, y, pos_weight=w), [LOGITS[[0, 2, 6]], np.array([[1.0, 0.0, 0.3, 1.0]] * 3),
                                  np.array([2.0, 0.5, 1.0, 3.0]).view(Const)]),
    "softplus": (lambda T, x: T.nn.functional.softplus(x), [np.array([BIG, -BIG, 0.0, 30.0,
                                                                       -30.0, 20.0, 19.0])]),
    "softplus_beta": (lambda T, x: T.nn.functional.softplus(x, beta=2.0, threshold=5.0),
                      [np.array([BIG, -BIG, 0.0, 2.4, 2.6, -3.0])]),
    "sigmoid": (lambda T, x: T.sigmoid(x), [np.array([BIG, -BIG, 0.0, 88.0, -88.0, 800.0,
                                                      -800.0, 40.0, -40.0])]),
    "logsigmoid": (lambda T, x: T.nn.functional.logsigmoid(x), [np.array([BIG, -BIG, 0.0,
                                                                          -800.0, 40.0])]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_extreme_logits(name, dtype):
    fn, arrays = CASES[name]
    _compare(name, fn, arrays, dtype)


def _categorical(T, logits):
    d = T.distributions.Categorical(logits=logits)
    value = _targets(T)
    return d.log_prob(value), d.entropy(), d.probs, d.logits


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_extreme_logits(dtype):
    _compare("Categorical(logits)", _categorical, [LOGITS], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_masked_sample_never_picks_a_masked_class(dtype):
    ember.manual_seed(0)
    logits = ember.tensor(LOGITS, dtype=getattr(ember, dtype))
    draws = ember.distributions.Categorical(logits=logits).sample((500,)).numpy()
    picked_masked = np.isinf(LOGITS)[np.arange(len(LOGITS)), draws]
    assert not picked_masked.any()
    # Row 2: 1e4 and 1e4 tie, 1e4 - 1 is e^-1 as likely, the rest never.
    assert set(np.unique(draws[:, 2])) <= {0, 1, 2}
