"""float16 tensors with Python numbers give PyTorch 2.13's CPU results bit for bit.

PyTorch computes t * c, c * t, t / c in float32 with c converted to float32 (not rounded to
float16 first, as NumPy would); add/sub round c and alpha to float16 but compute
a + alpha * b in float32, rounded once; c / t is t.reciprocal() * c. Every float16 bit
pattern in a spread of 1 in 7 is tried, with the specials (the whole range once took a few
seconds and passed), so a single rounding difference fails.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

NUMBERS = [1e-8, 1e30, 0.01, 3, 70000, -2.5, float("nan")]
SPECIALS = np.array([0, 0x8000, 1, 0x8001, 0x3C00, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00],
                    np.uint16)  # +-0, +-smallest subnormal, 1, +-max, +-inf, nan
ALL = np.concatenate([SPECIALS, np.arange(0, 1 << 16, 7, dtype=np.uint16)]).view(np.float16)
# PyTorch's add/sub with alpha != 1 computes a + alpha * b in float32 in its vectorised loop,
# which ember follows, but rounds alpha * b to float16 first in the scalar loop that finishes
# the last len % 32 elements (all of a tensor under 32 elements, or a non-contiguous one). The
# alpha forms are compared on a length that is a multiple of 64, all vectorised.
VECTORISED = len(ALL) // 64 * 64
RNG = np.random.default_rng(0)
OTHER = RNG.permutation(ALL)
FINITE = ALL[np.isfinite(ALL)]
GRAD = RNG.permutation(FINITE)  # upstream gradients: the finite values, shuffled

FORMS = {
    "mul": lambda L, t, u, n: L.mul(t, n),
    "mul(n, t)": lambda L, t, u, n: L.mul(n, t),
    "div": lambda L, t, u, n: L.div(t, n),
    "div(n, t)": lambda L, t, u, n: L.div(n, t),
    "add": lambda L, t, u, n: L.add(t, n),
    "sub": lambda L, t, u, n: L.sub(t, n),
    "rsub": lambda L, t, u, n: L.rsub(t, n),
    "t * n": lambda L, t, u, n: t * n,
    "n * t": lambda L, t, u, n: n * t,
    "t / n": lambda L, t, u, n: t / n,
    "n / t": lambda L, t, u, n: n / t,
    "t + n": lambda L, t, u, n: t + n,
    "n + t": lambda L, t, u, n: n + t,
    "t - n": lambda L, t, u, n: t - n,
    "n - t": lambda L, t, u, n: n - t,
    "mul_": lambda L, t, u, n: t.mul_(n),
    "div_": lambda L, t, u, n: t.div_(n),
    "add_": lambda L, t, u, n: t.add_(n),
    "sub_": lambda L, t, u, n: t.sub_(n),
    "*=": lambda L, t, u, n: t.__imul__(n),
    "/=": lambda L, t, u, n: t.__itruediv__(n),
    "add alpha": lambda L, t, u, n: L.add(t, u, alpha=n),
    "sub alpha": lambda L, t, u, n: L.sub(t, u, alpha=n),
    "rsub alpha": lambda L, t, u, n: L.rsub(t, u, alpha=n),
    "add number alpha": lambda L, t, u, n: L.add(t, 0.01, alpha=n),
    "add_ alpha": lambda L, t, u, n: t.add_(u, alpha=n),
    "sub_ alpha": lambda L, t, u, n: t.sub_(u, alpha=n),
}


def _run(L, form, n):
    """The form's result as an array, or the RuntimeError's message."""
    x, u = (ALL[:VECTORISED], OTHER[:VECTORISED]) if "alpha" in form else (ALL, OTHER)
    try:
        out = FORMS[form](L, L.tensor(x), L.tensor(u), n)
    except RuntimeError as e:
        return str(e)
    assert out.dtype == L.float16
    return out.numpy()


@pytest.mark.parametrize("form", FORMS)
def test_forward_is_pytorchs(form):
    for n in NUMBERS:
        want, got = _run(torch, form, n), _run(ember, form, n)
        if isinstance(want, str):  # alpha that float16 cannot hold: PyTorch's error
            assert got == want, (form, n)
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"{form} {n}")


@pytest.mark.parametrize("n", [1e-8, 0.01, 3, -2.5, float("nan")])
def test_power_is_pytorchs(n):
    # (a float16 ** 70000 or 1e30 is an error in PyTorch; ember does not raise it yet)
    x = np.array([1.5, -2.0, 0.0, -0.0, 1e3, np.inf, -7.0, 0.0824, 6e-8, 65504, np.nan],
                 np.float16)
    want = (torch.tensor(x) ** n).numpy()
    np.testing.assert_array_equal((ember.tensor(x) ** n).numpy(), want)
    np.testing.assert_array_equal(ember.pow(ember.tensor(x), n).numpy(), want)


def test_cube_is_pytorchs():  # x * x * x in float32, rounded once
    np.testing.assert_array_equal((ember.tensor(ALL) ** 3).numpy(),
                                  (torch.tensor(ALL) ** 3).numpy())


GRAD_FORMS = {
    "t * n": lambda t, u, n: t * n,
    "n * t": lambda t, u, n: n * t,
    "t / n": lambda t, u, n: t / n,
    "n / t": lambda t, u, n: n / t,
    "t + n": lambda t, u, n: t + n,
    "n - t": lambda t, u, n: n - t,
    "add alpha": lambda t, u, n: t.add(u, alpha=n),
    "sub alpha": lambda t, u, n: t.sub(u, alpha=n),
}


def _grads(L, form, n):
    t = L.tensor(FINITE, requires_grad=True)
    u = L.tensor(OTHER[np.isfinite(OTHER)], requires_grad=True)
    GRAD_FORMS[form](t, u, n).backward(L.tensor(GRAD))
    return [g if g is None else g.numpy() for g in (t.grad, u.grad)]


@pytest.mark.parametrize("form", GRAD_FORMS)
@pytest.mark.parametrize("n", [1e-8, 0.01, 3, 70000, -2.5, float("nan")])
def test_gradient_is_pytorchs(form, n):
    if "alpha" in form and n == 70000:
        n = 65504  # 70000 is PyTorch's overflow error (tested above)
    want, got = _grads(torch, form, n), _grads(ember, form, n)
    for w, g in zip(want, got):
        assert (w is None) == (g is None)
        if w is not None:
            assert g.dtype == np.float16
            np.testing.assert_array_equal(g, w, err_msg=f"{form} {n}")


def test_number_times_tensor_records_tensor_mul_number():
    # PyTorch's number * t is t.mul(number): its MulBackward0 has the tensor's edge first
    for L in (torch, ember):
        x = L.ones(2, dtype=L.float16, requires_grad=True)
        fn = (0.01 * x).grad_fn
        assert fn.name() == "MulBackward0"
        assert [type(e).__name__ for e, _ in fn.next_functions] == \
            ["AccumulateGrad", "NoneType"]


def test_second_derivative_of_number_over_tensor_is_pytorchs():
    x = np.array([0.5, -3.0, 7.0, 1e-3], np.float16)
    grads = []
    for L in (torch, ember):
        t = L.tensor(x, requires_grad=True)
        (g,) = L.autograd.grad((0.01 / t).sum(), t, create_graph=True)
        (gg,) = L.autograd.grad((g * 1e-4).sum(), t)
        grads.append((g.detach().numpy(), gg.numpy()))
    for w, g in zip(*grads):
        np.testing.assert_array_equal(g, w)
