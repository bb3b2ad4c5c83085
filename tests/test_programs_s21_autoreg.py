"""Session 21: autoregressive generative models as users copy them: jzbontar/pixelcnn-pytorch
(main.py: MaskedConv2d with its mask buffer, training with cross_entropy over the levels,
sampling pixel by pixel with torch.multinomial) in tests/s21_autoreg_progs.py, and
vincentherrmann/pytorch-wavenet (wavenet_modules.py, wavenet_model.py, audio_data.py: dilate,
DilatedQueue, ConstantPad1d, WaveNetModel, generate / generate_fast, mu-law in NumPy) in
tests/s21_autoreg_progs_b.py. Each runs on ember and on torch 2.13 and is compared live:
printed lines (losses with 4 decimals, reprs, dtypes, shapes, warnings, errors' type and
first line) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s21_autoreg_progs as A
import s21_autoreg_progs_b as B
import s21_autoreg_progs_c as C
import s21_autoreg_progs_d as D
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.masks, A.train_and_sample, A.variable_and_sample_grid, B.modules, B.audio,
         C.wavenet, D.mixture, D.validate_and_snapshot, D.early_model_data]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
