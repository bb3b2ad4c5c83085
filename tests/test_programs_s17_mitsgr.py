"""Session 17: MIT 6.S191's PyTorch labs (aamini/introtodeeplearning: lab1 intro and music
LSTM, tests/s17_mitsgr_progs.py) and sgrvinod's sequence-labeling (LM-LSTM-CRF: highway, CRF,
viterbi loss / decoder, char LSTMs on packed sequences, tests/s17_mitsgr_progs_b.py) and
text-classification (Hierarchical Attention Network over PackedSequence data,
tests/s17_mitsgr_progs_c.py) tutorials as users type them, on random data, run on ember and on
torch 2.13 and compared live: printed lines exactly, values to rtol 1e-5 / atol 1e-6 (OpenBLAS
vs MKL last bits, see tests/test_programs_s16_yunjey.py)."""

import pytest
import s17_mitsgr_progs as A
import s17_mitsgr_progs_b as B
import s17_mitsgr_progs_c as C
from torch_compare import check_program, run_both

PROGS = [A.intro, A.music, B.lm_lstm_crf, C.han]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, 1e-5, 1e-6)


CASES = [((2, 3.5), {}), ((True, True), {}), ((True, 2), {}), ((2, 3), {"alpha": 2}),
         ((2.5, True), {}), ((1.5, 2.5), {}), ((7, 2), {"rounding_mode": "floor"}),
         ((7, -2), {"rounding_mode": "trunc"}), ((2, 3), {}), ((-7, 2), {})]


@pytest.mark.parametrize("f", ["add", "sub", "mul", "div", "floor_divide", "true_divide",
                               "divide", "subtract"])
def test_binary_op_of_two_python_numbers(f):
    """torch.add(1.5, 2.5) (lab1's func(a, b) on floats): with no tensor operand PyTorch makes
    the first number a 0-dim tensor and the second stays a number (dtype from both), errors
    for bool subtraction as with tensors."""
    for args, kw in CASES:
        if "alpha" in kw and f not in ("add", "sub", "subtract") or (
                "rounding_mode" in kw and f not in ("div", "divide")):
            continue  # (the argument parser's message for a wrong keyword: a separate matter)

        def case(L, args=args, kw=kw):
            r = getattr(L, f)(*args, **kw)
            return repr(r), str(r.dtype).split(".")[-1], r.shape == (), r.requires_grad
        want, got = run_both(case)
        assert got == want, (f, args, kw, got, want)
