"""Session 21: neural ODEs written from scratch as learners copy them: msurtsukov/neural-ode's
"Neural ODEs.ipynb" (Euler ode_solve, ODEF.forward_with_grad with
torch.autograd.grad(allow_unused=True), the ODEAdjoint autograd.Function with its augmented
dynamics, NeuralODE, the linear / MLP dynamics experiments, the latent-ODE VAE and the ODE
MNIST classifier on tiny random data), hand-written continuous normalizing flows
(kmohan321/ImageGenFromScratch, torchdiffeq examples/cnf.py) and torchdiffeq's
examples/ode_demo.py over a fixed-grid solver stand-in, in tests/s21_neuralode_progs*.py.
Each runs on ember and on torch 2.13 and is compared live: printed lines (losses with 4
decimals, reprs, dtypes, shapes, warnings, errors' type and first line) exactly, values to
rtol 1e-5 / atol 1e-6."""

import pytest
import s21_neuralode_progs as A
import s21_neuralode_progs_b as B
import s21_neuralode_progs_c as C
import s21_neuralode_progs_d as D
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.linear_spiral, A.comp_mlp, A.time_variant_adjoint, B.latent_vae,
         B.ode_mnist, C.cnf_moons, C.cnf_hyper,
         D.ode_demo]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
