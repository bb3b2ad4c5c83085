"""Session 17: kuangliu/pytorch-cifar (main.py, utils.py, models/) as users type them
(tests/s17_cifar_progs*.py): random 32x32 batches instead of CIFAR-10, reduced configs, one
training and one test batch per model, run on ember and on torch 2.13 and compared live:
printed lines (parameter counts, 'Loss / Acc' lines, shapes, reprs) exactly, values to
rtol 1e-5 / atol 1e-6 (convolutions go through OpenBLAS where PyTorch uses MKL / oneDNN),
and once more in float64 to 1e-9."""

import pytest
import s17_cifar_progs as A
import s17_cifar_progs_b as B
import s17_cifar_progs_c as C
import s17_cifar_progs_d as D
from torch_compare import check_program

PROGS = [A.lenet, A.vgg, A.resnet, A.preact_resnet, B.googlenet, B.densenet, B.resnext,
         B.mobilenet, B.mobilenetv2, B.utils_prog, C.shufflenet, C.shufflenetv2, C.senet,
         C.efficientnet, D.dpn, D.dla_simple, D.pnasnet]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, 1e-5, 1e-6)


def _in_float64(prog):
    def run(L):
        L.set_default_dtype(L.float64)
        try:
            return prog(L)
        finally:
            L.set_default_dtype(L.float32)
    return run


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program_float64(prog):
    """The same programs in float64 (default dtype and data): every parameter after the step,
    first layers included, equal to 1e-9 (float32 leaves BLAS last bits that BatchNorm
    backward amplifies in the first layers)."""
    check_program(_in_float64(prog), 0, 1e-9, 1e-12)
