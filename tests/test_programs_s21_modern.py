"""Session 21: small modern architectures people copy into projects, as they type them:
johnma2006/mamba-minimal (Mamba with the selective scan loop and the demo's generate),
Blealtan/efficient-kan (KANLinear / KAN with b-splines, lstsq curve2coeff, update_grid,
regularization_loss; the MNIST loop on random data; the LBFGS simple-math test) and
microsoft/LoRA's loralib (Embedding, Linear, MergedLinear, Conv2d with merge on eval and
unmerge on train; mark_only_lora_as_trainable, lora_state_dict), in tests/s21_modern_progs*.py.
Each runs on ember and on torch 2.13 and is compared live: printed lines (losses with 4
decimals, reprs, shapes, errors' type and first line) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s21_modern_progs as A
import s21_modern_progs_b as B
import s21_modern_progs_c as C
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.mamba_generate, A.mamba_train, B.kan_layer, B.kan_mnist, B.kan_simple_math,
         C.lora_finetune, C.lora_layers]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
