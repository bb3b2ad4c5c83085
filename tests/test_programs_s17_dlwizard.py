"""Session 17: ritchieng/deep-learning-wizard (practical_pytorch and boosting_models_pytorch
pages) and the "Deep Learning with PyTorch: Zero to GANs" notebooks as users type them
(tests/s17_dlwizard_progs*.py), run on ember and on torch 2.13 and compared live by
torch_compare.check_program: printed lines (model reprs, 'Iteration: {}. Loss: {}. Accuracy:
{}' lines with tensor accuracies, parameter shapes, scheduler lrs per epoch), reprs, dtypes,
shapes, warnings and errors exactly; values to rtol 1e-5 / atol 1e-6 (Linear / conv layers go
through OpenBLAS where PyTorch uses MKL/oneDNN: last bits that later steps carry, which is why
losses are printed to 2-5 decimals)."""

import pytest
import s17_dlwizard_progs as A
import s17_dlwizard_progs_b as B
import s17_dlwizard_progs_c as C
import s17_dlwizard_progs_d as D
import s17_dlwizard_progs_e as E
import s17_dlwizard_progs_f as F
from torch_compare import check_program

PROGS = [A.matrices, A.gradients, A.linear_regression, A.logistic_regression, A.ffn_sigmoid,
         A.ffn_tanh, A.ffn_relu, A.ffn_relu_2_hidden, A.ffn_relu_3_hidden,
         B.cnn_same_maxpool, B.cnn_same_avgpool, B.cnn_valid_maxpool, B.rnn_1_layer_tanh,
         B.rnn_2_layer_tanh, B.rnn_2_layer_relu, B.lstm_1_layer, B.lstm_2_layer,
         B.lstm_3_layer, C.optimizers, C.lr_step_decay, C.lr_plateau, C.weight_init,
         C.fromscratch_fnn, C.autoencoder, D.fromscratch_logreg, D.gans_basics,
         D.gans_linreg_scratch, D.gans_linreg_builtins, E.gans_logistic, E.gans_feedforward,
         F.gans_cifar_cnn, F.gans_resnet9, F.gans_dcgan]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, 1e-5, 1e-6)
