"""Session 21: junyanz/pytorch-CycleGAN-and-pix2pix as users copy it (models/networks.py,
cycle_gan_model.py, pix2pix_model.py, base_model.py, util/image_pool.py), in
tests/s21_cyclegan_progs*.py, on tiny images. Each runs on ember and on torch 2.13 and is
compared live: printed lines (losses with 4 decimals, reprs, shapes, errors' type and first
line) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s21_cyclegan_progs_b as B
import s21_cyclegan_progs_c as C
import s21_cyclegan_progs_d as D
import s21_cyclegan_progs_e as E
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.norms_and_inits, B.schedulers, B.gan_losses,
         C.cyclegan_train, C.cyclegan_instance, C.image_pool,
         D.pix2pix_train, D.old_checkpoint, D.older_networks,
         E.util_and_visuals, E.size_errors, E.data_loader]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
