"""Session 21: weiaicunzai/pytorch-cifar100 (utils.py, train.py, test.py and models/*.py at
tiny widths) as users copy it (tests/s21_cifar100_progs*.py), run on ember and on torch 2.13
and compared live: printed lines (losses with 4 decimals, learning rates, shapes, parameter
counts, warnings and errors' type and first line) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s21_cifar100_progs as A
import s21_cifar100_progs_b as B
import s21_cifar100_progs_c as C
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.utils_helpers, A.train_eval_test, A.resnet50_vgg, B.shufflenetv2, B.squeezenet,
         B.mobilenetv2, B.stochasticdepth_senet, C.xception, C.attention]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
