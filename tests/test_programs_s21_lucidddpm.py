"""Session 21: lucidrains/denoising-diffusion-pytorch as users run it
(denoising_diffusion_pytorch.py: Unet with weight-standardised convs, linear and full attention,
the linear / cosine / sigmoid beta schedules, GaussianDiffusion with pred_noise / pred_x0 / pred_v,
min-SNR weighting, offset noise, p_sample_loop, ddim_sample, interpolate, the Trainer's loop and
save / load with an EMA copy; attend.py's flash path; denoising_diffusion_pytorch_1d.py and
continuous_time_gaussian_diffusion.py), in tests/s21_lucidddpm_progs*.py, einops written as the torch
calls it stands for. Each runs on ember and on torch 2.13 and is compared live: printed lines
exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s21_lucidddpm_progs_b as B
import s21_lucidddpm_progs_c as C
import s21_lucidddpm_progs_d as D
import s21_lucidddpm_progs_e as E
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.schedules_prog, B.unet_forward, B.train_and_sample, D.objectives,
         C.diffusion_1d, D.attention_mem_kv, D.trainer_save_load,
         E.continuous_time]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
