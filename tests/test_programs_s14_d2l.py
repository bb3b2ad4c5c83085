"""Session 14, Dive into Deep Learning's PyTorch chapters 3-12 as whole programs (helpers of
the d2l package inlined, small synthetic data): each prints what the book prints, on torch
2.13 and on ember, and the outputs are compared line for line. Programs whose numbers pass
through a BLAS matrix product or float32 cos/sin (README "Differences") are compared to float32
rounding; the rest exactly."""

import contextlib
import io
import re

import numpy as np
import pytest
import s14_d2l_progs as A
import s14_d2l_progs_b as B
import s14_d2l_progs_c as C
import s14_d2l_progs_d as D
import s14_d2l_progs_e as E
import torch
from torch_compare import error_of, run_both

import ember


def printed(prog, L):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            prog(L)
        except Exception as e:  # noqa: BLE001 - the error is part of the output compared
            print(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    return buf.getvalue()


EXACT = [A.lin_scratch, A.lin_concise, A.softmax_concise, A.mlp_scratch, A.numerics,
         B.params_access, B.lazy, B.custom_layers, B.file_io, B.conv_basics, B.multichannel,
         B.lenet, C.batchnorm, C.rnn_scratch, C.gru_lstm, C.seq2seq_loss, D.attention,
         D.attention_errors, D.schedulers, E.cases,
         E.concise_rnn_and_schedulers]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("prog", EXACT, ids=lambda p: p.__name__)
def test_d2l_program_prints_what_pytorch_prints(prog):
    want, got = printed(prog, torch), printed(prog, ember)
    assert got == want


_NUM = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")


# Matrix products (OpenBLAS against MKL: weight decay, the dropout MLP's Linear layers, the
# torch.optim runs), float32 cos/sin (NumPy against Sleef: gradient descent on x cos(cx)) and
# X_exp.sum(1) (NumPy's pairwise order) can differ in the last bit: same text, numbers to
# float32 rounding.
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("prog", [A.softmax_scratch, A.dropout_scratch, A.weight_decay,
                                  D.gd_traj, D.optimizers], ids=lambda p: p.__name__)
def test_d2l_program_matches_to_float32_rounding(prog):
    want, got = printed(prog, torch), printed(prog, ember)
    assert _NUM.sub("#", got) == _NUM.sub("#", want)
    w = np.array([float(s) for s in _NUM.findall(want)])
    g = np.array([float(s) for s in _NUM.findall(got)])
    np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)


# ---- cross_entropy's gradient keeps PyTorch's signed zeros ------------------------------
# PyTorch runs log_softmax's backward on nll_loss's: a masked position (its loss times 0)
# gets -0 at the target class, and ignored rows +0. d2l's MaskedSoftmaxCELoss prints them.

def _ce_grads(L, fn, reduction, ignore, weight, mult):
    g = np.random.default_rng(0)
    x = L.tensor(g.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    t = L.tensor([0, 2, 1, 2])
    if ignore:
        t[1] = -100
    kw = {"reduction": reduction}
    if weight:
        kw["weight"] = L.tensor([1.0, 0.0, 2.0])
    if fn == "ce":
        loss = L.nn.functional.cross_entropy(x, t, **kw)
    else:
        loss = L.nn.functional.nll_loss(L.log_softmax(x, 1), t, **kw)
    (loss * L.tensor(mult)).sum().backward() if reduction == "none" else \
        (loss * mult[0]).backward()
    return x.grad.numpy().copy()


@pytest.mark.parametrize("fn", ["ce", "nll"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("ignore", [0, 1])
@pytest.mark.parametrize("weight", [0, 1])
@pytest.mark.parametrize("mult", [[0.0, 0, 0, 0], [1.0, 0, -0.0, 2]])
def test_cross_entropy_gradient_zeros_carry_pytorchs_sign(fn, reduction, ignore, weight,
                                                          mult):
    want, got = run_both(lambda L: _ce_grads(L, fn, reduction, ignore, weight, mult))
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    # softmax's exp differs from Sleef's in the last bit (README)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)


def test_masked_softmax_ce_loss_prints_the_masked_gradient_as_pytorch():
    def run(L):
        pred = L.tensor(np.random.default_rng(1).standard_normal((2, 3, 5)).astype(np.float32),
                        requires_grad=True)
        label = L.tensor([[1, 4, 0], [2, 2, 3]])
        w = (L.arange(3)[None, :] < L.tensor([3, 1])[:, None]).float()
        loss = L.nn.CrossEntropyLoss(reduction="none")(pred.permute(0, 2, 1), label)
        (loss * w).mean(dim=1).sum().backward()
        return str(pred.grad[1])
    want, got = run_both(run)
    assert got == want


# ---- int-argument errors name the tensor in the function form ---------------------------
# torch.max(X, 0.) (d2l's relu typed with a float) lists (Tensor, float); X.max(0.) lists
# (float). The message was always the method's.

_FORMS = [
    lambda L, x: L.max(x, 0.0), lambda L, x: x.max(0.0), lambda L, x: L.sum(x, 0.5),
    lambda L, x: x.sum(0.5), lambda L, x: L.mean(x, 1.0), lambda L, x: L.squeeze(x, 0.0),
    lambda L, x: L.max(x, dim=0.5), lambda L, x: x.max(dim=0.5), lambda L, x: L.sum(x, dim=0.5),
    lambda L, x: x.sum(dim=0.5), lambda L, x: L.std(x, 0.5), lambda L, x: L.sort(x, 0.5),
    lambda L, x: L.argmax(x, 0.5), lambda L, x: L.softmax(x, 0.5), lambda L, x: L.cumsum(x, 0.5),
    lambda L, x: L.narrow(x, 0.5, 0, 1), lambda L, x: L.unsqueeze(x, 0.5),
    lambda L, x: x.unsqueeze(0.5), lambda L, x: L.nn.functional.softmax(x, 0.5),
    lambda L, x: L.nn.functional.softmax(x, dim=0.5), lambda L, x: L.transpose(x, 0.5, 1),
    lambda L, x: L.min(x, 0.5, keepdim=True), lambda L, x: L.mean(x, 0.5, True),
]


@pytest.mark.parametrize("i", range(len(_FORMS)))
def test_float_dim_error_names_the_tensor_in_the_function_form(i):
    want = error_of(lambda: _FORMS[i](torch, torch.ones(2, 2)))
    got = error_of(lambda: _FORMS[i](ember, ember.ones(2, 2)))
    assert got == want


def test_function_form_imported_by_name_counts_the_tensor():
    from torch import amax as t_amax, max as t_max  # noqa: F401

    from ember import max as e_max
    want = error_of(lambda: t_max(torch.ones(2), 0.5))
    got = error_of(lambda: e_max(ember.ones(2), 0.5))
    assert got == want


def test_relu_typed_as_max_with_a_number_hints_at_clamp_and_maximum():
    x = ember.tensor([[-1.0, 2.0]])
    with pytest.raises(TypeError) as err:
        ember.max(x, 0.0)
    first, hint = str(err.value).split("\n")
    assert (("TypeError", first)) == error_of(lambda: torch.max(torch.tensor([[-1.0]]), 0.0))
    assert "torch.clamp(X, min=value)" in hint and "torch.maximum" in hint
    # a float dim by keyword, or to sum, keeps the `n // 2` hint
    for call in (lambda: ember.max(x, dim=0.5), lambda: ember.sum(x, 0.5)):
        with pytest.raises(TypeError, match="n // 2"):
            call()
