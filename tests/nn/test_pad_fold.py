"""Padding modules (and F.pad's non-constant modes), F.unfold/F.fold and nn.Unfold/nn.Fold
against PyTorch 2.13 and float64 finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import close, same_error

import ember
from ember.autograd import gradcheck, gradgradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(5)


def check(f_e, f_t, shape, rtol=1e-6):
    """Values and input gradients of f_e (ember) and f_t (torch) on the same input."""
    a = RNG.standard_normal(shape).astype(np.float32)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = f_e(xe), f_t(xt)
    close(ye, yt, rtol, 1e-6)
    g = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    close(xe.grad, xt.grad, rtol, 1e-5)


PADS = [(2, (3, 5), (2, 1)), (2, (2, 3, 5), (-1, 2)), (4, (2, 3, 4), (1, 2, 2, 1)),
        (4, (2, 2, 3, 4), (0, -1, 1, 2)), (6, (2, 3, 3, 4), (1, 2, 2, 1, 1, 0)),
        (6, (1, 2, 3, 3, 4), (2, 1, 0, 2, 1, 1))]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@pytest.mark.parametrize("n,shape,amounts", PADS)
def test_pad_modes_match_torch(mode, n, shape, amounts):
    check(lambda x: F.pad(x, amounts, mode), lambda x: TF.pad(x, amounts, mode), shape)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_finite_differences(mode):
    x = ember.tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, (2, 1, -1, 2), mode), (x,))
    assert gradgradcheck(lambda t: F.pad(t, (1, 2), mode), (x,))


PAD_ERRORS = [
    ((3,), (1, 1), "reflect", None), ((2, 3), (1, 1, 1, 1), "replicate", None),
    ((1, 2, 3, 3, 3, 3), (1,) * 6, "circular", None), ((2, 3), (3, 0), "reflect", None),
    ((1, 3, 3), (0, 0, 1, 3), "reflect", None), ((2, 0), (1, 1), "replicate", None),
    ((2, 0, 3, 3), (1, 1, 1, 1), "reflect", None), ((2, 3), (4, 0), "circular", None),
    ((1, 1, 3), (-2, -2), "circular", None), ((1, 2, 3), (-2, -2), "replicate", None),
    ((1, 3, 3), (-3, 0, -3, 0), "reflect", None), ((1, 3, 3), (-3, 0, -3, 0), "replicate", None),
    ((1, 2, 3, 3, 3), (-2,) * 6, "reflect", None), ((2, 3), (1, 1), "reflect", 1.0),
    ((2, 3), (1, 1), "bogus", None), ((2, 3), (1, 1, 1), "reflect", None)]


@pytest.mark.parametrize("shape,amounts,mode,value", PAD_ERRORS)
def test_pad_errors(shape, amounts, mode, value):
    a = np.ones(shape, np.float32)
    same_error(lambda: F.pad(ember.tensor(a), amounts, mode, value),
               lambda: TF.pad(torch.tensor(a), amounts, mode, value))


LAYERS = [("ZeroPad1d", (2,), (2, 4)), ("ZeroPad2d", ((1, 2, 0, 3),), (1, 2, 3, 3)),
          ("ZeroPad3d", (1,), (2, 2, 2, 3)), ("ConstantPad1d", ((1, 2), 3.5), (2, 3, 4)),
          ("ConstantPad2d", (1, -1.0), (2, 3, 3)), ("ConstantPad3d", (1, 0.5), (1, 2, 2, 3, 2)),
          ("ReflectionPad1d", (2,), (2, 4)), ("ReflectionPad2d", ([1, 2, 2, 0],), (1, 2, 3, 3)),
          ("ReflectionPad3d", (1,), (2, 2, 2, 3)), ("ReplicationPad1d", ((3, 1),), (2, 3, 4)),
          ("ReplicationPad2d", (2,), (2, 3, 3)), ("ReplicationPad3d", (1,), (1, 2, 2, 3, 2)),
          ("CircularPad1d", (2,), (2, 4)), ("CircularPad2d", ((1, 2, 0, 3),), (1, 2, 3, 3)),
          ("CircularPad3d", (1,), (2, 2, 2, 3))]


@pytest.mark.parametrize("cls,args,shape", LAYERS)
def test_padding_layers(cls, args, shape):
    e_mod, t_mod = getattr(ember.nn, cls)(*args), getattr(torch.nn, cls)(*args)
    assert repr(e_mod) == repr(t_mod)
    check(e_mod, t_mod, shape)


@pytest.mark.parametrize("cls,shape", [("CircularPad1d", (3,)), ("CircularPad2d", (3, 3)),
                                       ("ReflectionPad2d", (3, 3)), ("ZeroPad2d", (3,)),
                                       ("ReflectionPad1d", (2, 2))])
def test_padding_layer_errors(cls, shape):
    a = np.ones(shape, np.float32)
    same_error(lambda: getattr(ember.nn, cls)(2)(ember.tensor(a)),
               lambda: getattr(torch.nn, cls)(2)(torch.tensor(a)))


FOLDS = [((2, 3, 5, 6), dict(kernel_size=2)),
         ((3, 5, 6), dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 2), stride=(2, 1))),
         ((1, 2, 7, 4), dict(kernel_size=3, dilation=2, padding=1, stride=2)),
         ((2, 1, 4, 4), dict(kernel_size=(1, 2), stride=(1, 3)))]


@pytest.mark.parametrize("shape,kw", FOLDS)
def test_unfold_fold_match_torch(shape, kw):
    check(lambda x: F.unfold(x, **kw), lambda x: TF.unfold(x, **kw), shape)
    cols = tuple(TF.unfold(torch.zeros(shape), **kw).shape)
    hw = shape[-2:]
    check(lambda x: F.fold(x, hw, **kw), lambda x: TF.fold(x, hw, **kw), cols)
    x = ember.tensor(RNG.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: F.unfold(t, **kw), (x,))
    assert gradgradcheck(lambda t: F.unfold(t, **kw), (x,))
    c = ember.tensor(RNG.standard_normal(cols), requires_grad=True)
    assert gradcheck(lambda t: F.fold(t, hw, **kw), (c,))
    assert gradgradcheck(lambda t: F.fold(t, hw, **kw), (c,))


def test_fold_sums_overlaps_and_modules():
    cols = np.ones((1, 4, 9), np.float32)
    e_mod, t_mod = ember.nn.Fold((4, 4), 2), torch.nn.Fold((4, 4), 2)
    assert repr(e_mod) == repr(t_mod)
    close(e_mod(ember.tensor(cols)), t_mod(torch.tensor(cols)))
    e_un, t_un = ember.nn.Unfold((2, 3), 2, 1, (1, 2)), torch.nn.Unfold((2, 3), 2, 1, (1, 2))
    assert repr(e_un) == repr(t_un)
    check(e_un, t_un, (2, 3, 6, 7))


UNFOLD_ERRORS = [((3, 4), dict(kernel_size=2)), ((1, 2, 3, 4, 5), dict(kernel_size=2)),
                 ((2, 3, 5, 6), dict(kernel_size=(6, 2))), ((2, 3, 5, 6), dict(kernel_size=0)),
                 ((2, 3, 5, 6), dict(kernel_size=2, stride=0)),
                 ((2, 3, 5, 6), dict(kernel_size=2, dilation=0)),
                 ((2, 3, 5, 6), dict(kernel_size=2, padding=-1)),
                 ((2, 3, 5, 6), dict(kernel_size=(2, 2, 2))),
                 ((2, 0, 5, 6), dict(kernel_size=2))]
FOLD_ERRORS = [((2, 12, 20), (5, 6), dict(kernel_size=3)), ((2, 12, 20), (5, 5), dict(kernel_size=2)),
               ((2, 12, 20), (5, 6), dict(kernel_size=2, stride=0)), ((20,), (5, 6), dict(kernel_size=2)),
               ((1, 2, 12, 20), (5, 6), dict(kernel_size=2)), ((2, 12, 0), (1, 2), dict(kernel_size=2)),
               ((2, 12, 20), (5, 6, 7), dict(kernel_size=2))]


@pytest.mark.parametrize("shape,kw", UNFOLD_ERRORS)
def test_unfold_errors(shape, kw):
    a = np.ones(shape, np.float32)
    same_error(lambda: F.unfold(ember.tensor(a), **kw), lambda: TF.unfold(torch.tensor(a), **kw))


@pytest.mark.parametrize("shape,size,kw", FOLD_ERRORS)
def test_fold_errors(shape, size, kw):
    a = np.ones(shape, np.float32)
    same_error(lambda: F.fold(ember.tensor(a), size, **kw),
               lambda: TF.fold(torch.tensor(a), size, **kw))


def test_fold_unfold_integer_errors():
    a = np.ones((2, 3, 5, 6), np.int64)
    same_error(lambda: F.unfold(ember.tensor(a), 2), lambda: TF.unfold(torch.tensor(a), 2))
    b = np.ones((2, 12, 20), np.int64)
    same_error(lambda: F.fold(ember.tensor(b), (5, 6), 2),
               lambda: TF.fold(torch.tensor(b), (5, 6), 2))
