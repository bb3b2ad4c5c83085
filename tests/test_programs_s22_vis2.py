"""Session 22: facebookresearch/mae (models_mae.py, models_vit.py, util/pos_embed.py,
lr_sched.py, lr_decay.py, misc.py, engine_pretrain / engine_finetune, main_linprobe, the
visualize demo) and rosinality/stylegan2-pytorch (op/upfirdn2d.py's native path, the CPU
fused_leaky_relu, model.py, train.py's losses and loop with R1 and path-length
regularisation, non_leaking.py's adaptive augmentation, projector.py, generate.py,
closed_form_factorization.py, apply_factor.py) as users copy them, in
tests/s22_vis2_progs*.py, at tiny sizes. Each runs on ember and on torch 2.13 and is compared
live: printed lines (losses with 4 decimals, reprs, shapes, warnings, errors' type and first
line) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s22_vis2_progs_c as C
import s22_vis2_progs_d as D
import s22_vis2_progs_e as E
import s22_vis2_progs_f as F
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [D.mae_pretrain, D.mae_visualize, D.mae_finetune, C.stylegan_pieces, C.stylegan_train,
         E.ada_augment, F.projector, F.factorization]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
