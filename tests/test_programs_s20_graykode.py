"""Session 20: graykode/nlp-tutorial's older ("-Torch.py", Variable-era) scripts, which
session 18's sweep of the current ones (tests/s18_nlpmorvan_progs*.py) left out: NNLM (the
one-hot torch.mm version), Word2Vec skip-gram (nn.Parameter(..).type(dtype)) and TextCNN (a
Parameter indexed as W[X], a fresh Conv2d in each forward), in tests/s20_graykode_progs.py,
scaled down. Each runs on ember and on torch 2.13 and is compared live: printed lines exactly,
values to rtol 1e-5 / atol 1e-6."""

import pytest
import s20_graykode_progs as A
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.nnlm_legacy, A.word2vec_legacy, A.textcnn_legacy]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
