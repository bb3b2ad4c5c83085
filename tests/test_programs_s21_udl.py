"""Session 21: Simon Prince's "Understanding Deep Learning" notebooks that use PyTorch, as
students run them (tests/s21_udl_progs*.py): udlbook/udlbook Notebooks 8.1 MNIST-1D
performance, 8.3 double descent, 9.5 augmentation, 10.2 1-D convolution, 10.5 2-D
convolution, 11.2 residual networks, 11.3 batch norm, 12.4 decoding strategies, 20.1 random
data, 20.2 full-batch gradient descent, 20.3 lottery tickets, 20.4 adversarial attacks; the
book's figure 7.8 listing (ullizen/udlbook-example-network); ThanhL/udlbook-learn's Chap17
VAE, Chap18 conv1d / attention-head notebooks and its diffusion U-Net. MNIST-1D / MNIST /
GPT-2 replaced by NumPy-made stand-ins. Each runs on ember and on torch 2.13 and is compared
live: printed lines (losses with 4 decimals, reprs, dtypes, shapes, warnings and errors' type
and first line) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s21_udl_progs as A
import s21_udl_progs_b as B
import s21_udl_progs_c as C
import s21_udl_progs_d as D
import s21_udl_progs_e as E
import s21_udl_progs_f as F
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.mnist1d_performance, A.augmentation, A.conv1d_mnist1d, A.residual_networks,
         A.batch_normalization, B.conv_mnist, B.adversarial_attacks, B.lottery_tickets,
         C.double_descent, C.full_batch_gd,
         D.random_data, D.two_layer_network, D.vae_learn, E.conv1d_examples,
         E.attention_head_examples, E.unet_diffusion,
         F.decoding_strategies]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
