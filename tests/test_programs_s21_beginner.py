"""Session 21: two learners' collections as users type them: L1aoXingyu/pytorch-beginner
(linear / logistic regression, N-gram, CBOW, char-LSTM tagger, backward and Jacobians,
LSTM on MNIST rows, conv / variational autoencoders, a GAN, a conv DQN, a language model)
and chenyuntc/pytorch-book, in tests/s21_beginner_progs*.py, with small seeded tensors
for the datasets. Each runs on ember and on torch 2.13 and is compared live: printed lines
(losses, reprs, dtypes, shapes, warnings, errors' type and first line) exactly, values to
rtol 1e-5 / atol 1e-6."""

import pytest
import s21_beginner_progs as A
import s21_beginner_progs_b as B
import s21_beginner_progs_c as C
import s21_beginner_progs_d as D
import s21_beginner_progs_e as E
import s21_beginner_progs_f as F
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.linear_regression, A.logistic_regression, A.ngram, A.cbow, A.seq_lstm,
         F.backward_demo, B.rnn_mnist, B.conv_autoencoder, B.vae, B.simple_gan, B.dqn,
         F.language_model, C.anime_gan, C.adain_style, C.poetry_transformer,
         D.resnet34_basic_module, D.char_rnn, D.image_caption, F.lstm_ctc,
         E.basics_notebook, E.cnn_mnist, E.custom_data_io, E.neural_style,
         F.conv_gan, F.alexnet]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
