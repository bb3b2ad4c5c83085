"""Session 20: score-based generative models as their repositories write them, run on ember
and on torch 2.13 and compared live (tests/s20_score_progs*.py): yang-song/score_sde_pytorch
(sde_lib.py's VPSDE / subVPSDE / VESDE and reverse(), losses.py's SDE / SMLD / DDPM losses and
step functions with models/ema.py and checkpointing, sampling.py's predictors, correctors and
PC sampler, likelihood.py's Hutchinson divergence and bits/dim, models/layers.py, layerspp.py
and up_or_down_sampling.py's NCSN++ blocks, controllable_generation.py's inpainter and
colorizer, normalization.py and the NCSNv2 layers), ermongroup/ncsn (anneal_runner with dsm / ssm,
annealed Langevin dynamics and inpainting, toy_runner with models/gmm.py and
losses/sliced_sm.py), Yang Song's score-based-model Colab tutorial, and 2-D toy score-matching
tutorials (DSM, implicit score matching with exact and Hutchinson traces). Printed lines
(model reprs, losses, warnings, errors) exactly, values to rtol 1e-5 / atol 1e-6. Below them,
the focused test for what the sweep found: autograd.functional.jacobian(strategy=
"forward-mode") keeps its result attached to what the tangents depend on, as PyTorch's
forward-mode path does (ember detached it)."""

import numpy as np
import pytest
import s20_score_progs as A
import s20_score_progs_b as B
import s20_score_progs_c as C
import s20_score_progs_d as D
import s20_score_progs_e as E
import s20_score_progs_f as F
import s20_score_progs_g as G
import s20_score_progs_i as I
import s20_score_progs_j as J
import s20_score_progs_k as K
from torch_compare import check_program, run_both, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.sde_lib, B.train_vpsde_continuous, B.train_subvp_likelihood, B.train_vesde_continuous,
         B.train_smld_ddpm, C.pc_samplers, C.likelihood, D.anneal_dsm, D.anneal_ssm_logit,
         D.inpainting, E.toy_train, E.energy_sliced, F.tutorial_train_sample, G.dsm_moons,
         G.implicit_sm, I.fir_resampling, I.ncsnpp_blocks, J.controllable,
         K.ncsnv2]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


def _summary(r):
    """A jacobian's result as compared: its nesting (tuple / list) and each tensor's values
    and requires_grad."""
    if isinstance(r, (tuple, list)):
        return type(r).__name__, [_summary(t) for t in r]
    return (str(r.dtype), tuple(r.shape), np.asarray(r.detach().tolist()).round(6).tolist(),
            r.requires_grad)


def _model(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(2, 3), L.nn.Tanh(), L.nn.Linear(3, 2))


X0 = np.array([[0.5, -1.0], [1.5, 2.0], [0.1, 0.2]], np.float32)


@pytest.mark.parametrize("case", ["module", "plain_fn", "input_requires_grad", "two_inputs",
                                  "unused_input", "tuple_out"])
def test_forward_mode_jacobian_stays_attached(case):
    """PyTorch's forward-mode jacobian (vectorize=True) does not detach: tangents that depend
    on a module's weights or on an input requiring grad give a Jacobian that requires grad and
    backpropagates to them; a pure function of plain inputs gives a plain tensor."""
    def run(L):
        jac = L.autograd.functional.jacobian
        x = L.tensor(X0)
        m = _model(L)
        if case == "module":
            out = jac(m, x, vectorize=True, strategy="forward-mode")
            out.pow(2).sum().backward()
            return _summary(out), _summary(m[0].weight.grad)
        if case == "plain_fn":
            return _summary(jac(lambda v: v.tanh() * v.sum(), x, vectorize=True,
                                strategy="forward-mode"))
        if case == "input_requires_grad":
            xr = x.clone().requires_grad_()
            out = jac(lambda v: v.tanh(), xr, vectorize=True, strategy="forward-mode")
            out.sum().backward()
            return _summary(out), _summary(xr.grad)
        if case == "two_inputs":
            return _summary(jac(lambda a, b: (m(a) * b, a.sum()), (x, x + 1), vectorize=True,
                                strategy="forward-mode"))
        if case == "unused_input":
            return _summary(jac(lambda a, b: m(a), (x, x[:, :1]), vectorize=True,
                                strategy="forward-mode"))
        return _summary(jac(lambda v: (m(v), v.sum()), x, vectorize=True, strategy="forward-mode"))
    want, got = run_both(run)
    assert got == want, f"ember: {got}\ntorch: {want}"


def test_forward_mode_jacobian_refusals():
    """A non-tensor output ("given to None", PyTorch's wording), create_graph / strict /
    vectorize=False with forward mode: PyTorch's errors; the inputs are left as they were."""
    def run(L):
        out = []
        x = L.ones(2)
        for kw in (dict(vectorize=True), dict(vectorize=True, create_graph=True),
                   dict(vectorize=True, strict=True), dict()):
            try:
                L.autograd.functional.jacobian(lambda a: 1.0 if kw == dict(vectorize=True)
                                               else a * 2, x, strategy="forward-mode", **kw)
                out.append("ok")
            except Exception as e:  # noqa: BLE001 - compared across libraries
                out.append((type(e).__name__, str(e).splitlines()[0]))
        h = L.autograd.functional.hessian(lambda v: (v ** 3).sum() * v[0], x, vectorize=True,
                                          outer_jacobian_strategy="forward-mode")
        return out, x.requires_grad, np.asarray(h.tolist()).round(6).tolist()
    want, got = run_both(run)
    assert got == want, f"ember: {got}\ntorch: {want}"
