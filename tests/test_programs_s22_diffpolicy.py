"""Session 22: real-stanford/diffusion_policy as robot-learning users type it, in
tests/s22_diffpolicy_progs*.py: the ConditionalUnet1D stack (SinusoidalPosEmb, Conv1dBlock
with GroupNorm and Mish, Downsample1d / Upsample1d, FiLM ConditionalResidualBlock1D with and
without predicted scale), EMAModel, LinearNormalizer's math, LowdimMaskGenerator,
DiffusionUnetLowdimPolicy's compute_loss and predict_action, and the Colab notebook's
state-based Push-T training and sampling loop (and its vision variant's replace_bn_with_gn),
and TransformerForDiffusion with its AdamW parameter groups. diffusers and einops are not
installed: the DDPMScheduler (squaredcos_cap_v2, epsilon, clip_sample) is written out by hand from
diffusers' formulas, and rearranges are written as the notebook does. Each runs on ember and
on torch 2.13 and is compared live: printed lines exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s22_diffpolicy_progs as A
import s22_diffpolicy_progs_b as B
import s22_diffpolicy_progs_c as C
import s22_diffpolicy_progs_d as D
import s22_diffpolicy_progs_e as E
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.unet_forward, D.scheduler_ema, B.normalizer, B.lowdim_policy, C.pusht_state,
         C.replace_bn_with_gn, E.transformer_for_diffusion]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
