"""Session 21: NeuromatchAcademy/course-content-dl (the Deep Learning course) as students type
it: W1D1 tensors and NaiveNet, W1D2 autograd and linear nets, W1D3 MLPs, W1D5 optimization,
W2D1 regularization, W2D2/W2D3 convnets, W2D4 autoencoders / VAEs / score matching, W2D5
attention, W3D1 RNNs, W3D3 contrastive learning, W3D4 DQN and AlphaZero's Othello net, in
tests/s21_nma_progs*.py, torchvision data replaced by small seeded tensors. Each runs on
ember and on torch 2.13 and is compared live: printed lines (losses with 4 decimals, reprs,
dtypes, shapes, warnings, errors' type and first line) exactly, values to rtol 1e-5 /
atol 1e-6."""

import pytest
import s21_nma_progs as A
import s21_nma_progs_b as B
import s21_nma_progs_c as C
import s21_nma_progs_d as D
import s21_nma_progs_e as E
import s21_nma_progs_f as F
import s21_nma_progs_g as G
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.w1d1_tensors, A.w1d1_naivenet, A.w1d2_autograd, F.w1d2_linear_nets,
         B.w1d3_mlp, B.w1d5_optim, B.w2d1_regularization,
         C.w2d2_convnets, C.w2d4_vae, G.w2d5_transformer,
         D.w3d1_rnns, D.w3d3_contrastive, D.w3d4_dqn,
         E.w2d3_modern_convnets, E.w3d4_othello,
         F.w1d2_deep_linear, F.w1d5_benchmark]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
