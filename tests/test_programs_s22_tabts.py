"""Session 22: tabular and time-series programs as users type them: yandex-research/rtdl
(rtdl/functional.py's reglu / geglu; rtdl/modules.py's feature tokenizers, CLS token, MLP,
ResNet, MultiheadAttention, Transformer with prenormalization and kv compression,
FTTransformer with its weight-decay-free parameter groups; examples/rtdl.ipynb's training
loop; rtdl/data.py's quantile bins and piecewise-linear encoding), lucidrains/tab-transformer-pytorch
(TabTransformer, FTTransformer) and zhykoties/TimeSeries' DeepAR (model/net.py's LSTM Net with
the Softplus sigma and Normal log-likelihood, the ancestral-sampling test loop, the metrics,
dataloader.py's WeightedSampler, train.py / evaluate.py) and ServiceNow (ElementAI) N-BEATS
(models/nbeats.py's trend / seasonality / generic bases, the losses with divide_no_nan, the
TimeseriesSampler and trainer loop) in tests/s22_tabts_progs*.py. Each runs on ember and on
torch 2.13 and is compared live: printed lines exactly, values to rtol 1e-5 / atol 1e-6.
Fixes found on the way are tested in tests/test_s22_tabts_fixes.py."""

import pytest
import s22_tabts_progs_c as C
import s22_tabts_progs_f as F
import s22_tabts_progs_g as G
import s22_tabts_progs_h as H
import s22_tabts_progs_i as I
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [C.ft_transformer_notebook, C.ft_transformer_query_idx, C.mlp_resnet_notebook,
         C.tokenizers_and_checks, G.piecewise_linear, I.tab_transformer_readme,
         I.ft_transformer_readme, F.deepar_train_evaluate, F.deepar_loss_and_metrics,
         H.nbeats_trainer]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
