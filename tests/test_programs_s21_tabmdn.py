"""Session 21: tabular-attention and mixture-density programs as users type them:
dreamquark-ai/tabnet (sparsemax.py's Sparsemax / Entmax15 / Entmoid15 autograd.Functions with
hand-written backward, tab_network.py's GBN, GLU blocks, FeatTransformer,
AttentiveTransformer, TabNetEncoder / TabNetDecoder, TabNetNoEmbeddings, TabNet,
EmbeddingGenerator, RandomObfuscator and TabNetPretraining, utils.py's create_group_matrix,
create_explain_matrix, datasets, samplers and dataloaders, augmentations.py's SMOTE,
abstract_model.py's _train_batch with the sparsity regulariser, predict, explain and
load_weights_from_unsupervised, pretraining's UnsupervisedLoss) in tests/s21_tabmdn_progs*.py,
and sagelywizard/pytorch-mdn (mdn/mdn.py's MDN, gaussian_probability, mdn_loss, sample;
example/example.py; its unittest files) in tests/s21_tabmdn_progs_d.py. Each runs on ember
and on torch 2.13 and is compared live: printed lines exactly, values to rtol 1e-5 /
atol 1e-6."""

import pytest
import s21_tabmdn_progs as A
import s21_tabmdn_progs_b as B
import s21_tabmdn_progs_c as C
import s21_tabmdn_progs_d as D
import s21_tabmdn_progs_e as E
import s21_tabmdn_progs_f as F
from torch_compare import check_program

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.sparse_functions, B.tabnet_blocks, C.tabnet_classifier, C.tabnet_pretrainer,
         D.mdn_example, D.mdn_tests, E.smote, E.tabnet_regressor_multitask,
         F.tabnet_dataloaders]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)
