"""Session 21: training utilities users copy into their projects, as they type them:
davidtvs/pytorch-lr-finder (LRFinder, its StateCacher in memory and on disk, LinearLR /
ExponentialLR on _LRScheduler, range_test with accumulation, validation, smoothing and the
divergence stop, reset(), the torch.amp GradScaler backend), ildoonet/pytorch-gradual-warmup-lr (GradualWarmupScheduler
chained to CosineAnnealingLR / StepLR / ReduceLROnPlateau, run.py) and kekmodel/FixMatch-
pytorch (cosine LambdaLR with warmup, interleave / de_interleave, the masked pseudo-label
loss, ModelEMA, a tiny WideResNet), in tests/s21_trainutils_progs*.py. Each runs on ember and
on torch 2.13 and is compared live: printed lines (losses with 4 decimals, learning rates,
warnings, errors' type and first line) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s21_trainutils_progs as A
import s21_trainutils_progs_b as B
import s21_trainutils_progs_c as C
import s21_trainutils_progs_d as D
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.lr_finder, D.lr_finder_amp, B.warmup_run, B.warmup_steplr, B.warmup_plateau, C.fixmatch]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
