"""ConvTranspose1d/2d and F.conv_transpose1d/2d against PyTorch 2.13 (values, gradients of
input, weight and bias, second order, output_size, repr, errors) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import close, np_of, same_error

import ember
from ember.autograd import gradcheck, gradgradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(13)

CASES = [
    ((2, 4, 5, 5), (4, 2, 3, 3), {"stride": 2, "output_padding": 1}),
    ((2, 4, 5, 4), (4, 3, 3, 2), {"stride": 2, "padding": 1, "groups": 2, "dilation": 2}),
    ((4, 5, 5), (4, 2, 3, 3), {"padding": 1}),  # unbatched
    ((1, 4, 3, 3), (4, 1, 4, 4), {"stride": (2, 3), "padding": (1, 0), "groups": 4,
                                  "output_padding": (1, 2)}),
    ((2, 4, 6), (4, 3, 3), {"stride": 3, "padding": 1, "output_padding": 2}),  # 1-D
    ((2, 4, 5), (4, 1, 2), {"groups": 2, "dilation": 3}),
]


def leaves(*shapes):
    out = []
    for s in shapes:
        a = RNG.standard_normal(s)
        out.append((ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)))
    return out


@pytest.mark.parametrize("xs,ws,kw", CASES)
def test_conv_transpose_matches_torch(xs, ws, kw):
    n = len(ws) - 2
    fe, ft = (F.conv_transpose2d, TF.conv_transpose2d) if n == 2 else \
        (F.conv_transpose1d, TF.conv_transpose1d)
    (xe, xt), (we, wt), (be, bt) = leaves(xs, ws, (ws[1] * kw.get("groups", 1),))
    ye, yt = fe(xe, we, be, **kw), ft(xt, wt, bt, **kw)
    close(ye, yt, 1e-12, 1e-12)
    g = RNG.standard_normal(tuple(yt.shape))
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for e, t in ((xe, xt), (we, wt), (be, bt)):
        close(e.grad, t.grad, 1e-12, 1e-12)
    assert ye.grad_fn.name() == yt.grad_fn.name()


def test_conv_transpose_finite_differences_and_second_order():
    (x, xt), (w, wt), (b, bt) = leaves((1, 4, 3, 3), (4, 1, 3, 2), (2,))
    fn = lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 2) ** 2  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))
    grads = []
    for lib, f, args in ((ember, F, (x, w, b)), (torch, TF, (xt, wt, bt))):
        y = f.conv_transpose2d(*args, stride=2, padding=1, output_padding=1, groups=2)
        (gx,) = lib.autograd.grad(y.tanh().sum(), args[0], create_graph=True)
        (gx * gx).sum().backward()
        grads.append([a.grad for a in args])
    for e, t in zip(*grads):
        close(e, t, 1e-10, 1e-12)


@pytest.mark.parametrize("cls,args,kw", [
    ("ConvTranspose2d", (4, 2, 3), {}),
    ("ConvTranspose2d", (4, 2, (3, 2)), {"stride": 2, "padding": 1, "output_padding": 1,
                                         "groups": 2, "bias": False, "dilation": 2}),
    ("ConvTranspose1d", (4, 6, 3), {"stride": 2}),
])
def test_conv_transpose_modules_match_torch(cls, args, kw):
    t_mod, e_mod = getattr(torch.nn, cls)(*args, **kw), getattr(ember.nn, cls)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert e_mod.weight.shape == t_mod.weight.shape
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    shape = (2, 4, 5, 6) if cls == "ConvTranspose2d" else (2, 4, 7)
    x = RNG.standard_normal(shape).astype(np.float32)
    close(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)), 1e-5, 1e-6)


def test_conv_transpose_output_size():
    t_mod = torch.nn.ConvTranspose2d(4, 2, 3, stride=2)
    e_mod = ember.nn.ConvTranspose2d(4, 2, 3, stride=2)
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    x = RNG.standard_normal((1, 4, 5, 5)).astype(np.float32)
    for size in ([12, 11], [1, 2, 12, 12]):
        close(e_mod(ember.tensor(x), output_size=size), t_mod(torch.tensor(x), output_size=size),
              1e-5, 1e-6)
    for size in ([13, 13], [1, 12, 12]):
        same_error(lambda: e_mod(ember.tensor(x), output_size=size),
                   lambda: t_mod(torch.tensor(x), output_size=size))


def test_conv_transpose_init_statistics():
    ember.manual_seed(0)
    m = ember.nn.ConvTranspose2d(16, 32, 3, groups=2)  # fan_in = weight.shape[1] * 9 = 144
    w = np_of(m.weight)
    assert w.shape == (16, 16, 3, 3) and np.abs(w).max() <= 1 / 12
    assert abs(w.std() - 1 / 12 / np.sqrt(3)) < 0.05 / 12


def test_conv_transpose_errors():
    w_e, w_t = ember.randn(4, 2, 3, 3), torch.randn(4, 2, 3, 3)
    for shape, kw in (((1, 4, 5, 5), {"stride": 2, "output_padding": 2}), ((1, 3, 5, 5), {}),
                      ((5, 5), {}), ((1, 4, 2, 2), {"padding": 3}),
                      ((1, 4, 5, 5), {"padding": "same"}), ((1, 4, 5, 5), {"stride": 0})):
        x = np.zeros(shape, np.float32)
        same_error(lambda: F.conv_transpose2d(ember.tensor(x), w_e, **kw),
                   lambda: TF.conv_transpose2d(torch.tensor(x), w_t, **kw))
    x = np.zeros((1, 4, 5, 5), np.float32)
    same_error(lambda: F.conv_transpose2d(ember.tensor(x), w_e, ember.zeros(3)),
               lambda: TF.conv_transpose2d(torch.tensor(x), w_t, torch.zeros(3)))
    same_error(lambda: F.conv_transpose2d(ember.tensor(x).double(), w_e),
               lambda: TF.conv_transpose2d(torch.tensor(x).double(), w_t))
    same_error(lambda: ember.nn.ConvTranspose2d(4, 2, 3, padding_mode="reflect"),
               lambda: torch.nn.ConvTranspose2d(4, 2, 3, padding_mode="reflect"))
