"""Session 21: long-sequence time-series transformers as users copy them:
zhouhaoyi/Informer2020 (utils/masking.py, models/attn.py with ProbAttention's sampled
_prob_QK, its unsorted topk and index_put context update, models/embed.py, models/encoder.py
with ConvLayer distilling and EncoderStack, models/decoder.py, models/model.py Informer /
InformerStack, exp/exp_informer.py's train / vali / test with _process_one_batch,
EarlyStopping's checkpoint and adjust_learning_rate, num_workers=2 and use_amp on a machine
without CUDA, the enhanced fork's optimizer and utils/criter.py loss choices) in
tests/s21_informer_progs*.py, and thuml/Autoformer (AutoCorrelation's time-delay aggregations, series_decomp, my_Layernorm, the
Autoformer encoder / decoder with the trend projection; its rfft / irfft correlation needs
complex tensors, which ember does not have, so the model runs with the canonical attention
of the paper's ablation). Each runs on ember and on torch 2.13 and is compared live: printed
lines exactly (losses with 4 decimals), values to rtol 1e-5 / atol 1e-6."""

import pytest
import s21_informer_progs_b as B
import s21_informer_progs_d as D
import s21_informer_progs_e as E
import s21_informer_progs_f as F
from torch_compare import check_program

RTOL, ATOL = 1e-5, 1e-6

PROGS = [E.masks_and_attention, E.embeddings, E.log_sparse, D.topk_unsorted,
         B.informer_prob, B.informer_full_timef, B.informer_prob_ms_nodistil, B.informer_stack,
         B.informer_amp_workers, B.informer_stack_distil, D.model_repr_and_inverse,
         F.autocorrelation_parts, F.autoformer_train, D.optimizers_and_losses]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)
