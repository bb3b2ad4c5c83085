"""Session 22: facebookresearch/detr (util/box_ops.py, util/misc.py's NestedTensor,
nested_tensor_from_tensor_list and accuracy, models/backbone.py's FrozenBatchNorm2d / Joiner
with a tiny conv body, models/position_encoding.py, models/transformer.py, models/detr.py's
DETR, SetCriterion and PostProcess, models/matcher.py's HungarianMatcher in both versions with
a brute-force linear_sum_assignment, main.py's param groups / AdamW / StepLR and engine.py's
train loop with clip_grad_norm_, the notebooks' minimal DETRdemo on nn.Transformer,
models/segmentation.py's MHAttentionMap, dice / focal losses and PostProcessSegm) and
tonyzhaozh/act (detr_vae.py's DETRVAE with the CVAE encoder, policy.py's ACTPolicy and
kl_divergence, imitate_episodes.py's train loop and temporal-ensembling eval) as users copy
them, in tests/s22_detr_progs*.py, at tiny sizes (hidden 32, 4 queries, 2 layers). Each runs
on ember and on torch 2.13 and is compared live: printed lines (losses with 4 decimals,
matched indices, shapes, dtypes, errors' messages) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s22_detr_progs_c as C
import s22_detr_progs_d as D
import s22_detr_progs_e as E
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [C.detr_pieces, C.detr_train, C.detr_train_v1_learned, C.detr_eval, E.detr_demo,
         E.segm_pieces, E.detr_prenorm, D.act_train, D.act_eval]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
