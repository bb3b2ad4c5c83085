"""Session 17: sgrvinod's a-PyTorch-Tutorial-to-* programs (Object-Detection, Image-Captioning,
Super-Resolution, Transformers) as users type them (tests/s17_sgrvinod_progs*.py): random
tensors in place of datasets and pretrained weights, tiny sizes, two training steps, run on
ember and on torch 2.13 and compared live: printed lines (reprs, losses to 4 decimals,
detections' shapes and labels), warnings and errors exactly; values to rtol 1e-5 / atol 1e-6
(conv / Linear products go through OpenBLAS where PyTorch uses MKL / oneDNN: last bits that
later optimizer steps carry along)."""

import pytest
import s17_sgrvinod_progs as A
import s17_sgrvinod_progs_b as B
import s17_sgrvinod_progs_c as C
import s17_sgrvinod_progs_d as D
from torch_compare import check_program, run_both

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.ssd, B.captioning, C.super_resolution, D.transformer]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


def test_split_keyword_names():
    """Transformers' MultiHeadAttention: ``x.split(split_size=n, dim=-1)``. PyTorch's Tensor.split
    names its size ``split_size`` and torch.split(tensor, split_size_or_sections, dim); each
    refuses the other's keyword with a TypeError naming the function."""
    def run(L):
        x = L.arange(12.).view(2, 6).requires_grad_()
        out = []
        for f in (lambda: x.split(split_size=2, dim=-1), lambda: x.split(split_size=[1, 5], dim=1),
                  lambda: x.split(2, dim=1), lambda: L.split(x, split_size_or_sections=3, dim=1),
                  lambda: L.split(tensor=x, split_size_or_sections=[1, 1]),
                  lambda: x.split(split_size_or_sections=2), lambda: L.split(x, split_size=2),
                  lambda: x.split(), lambda: L.split(x)):
            try:
                out.append([(p.shape, p.tolist(), type(p.grad_fn).__name__) for p in f()])
            except TypeError as e:
                out.append((type(e).__name__, str(e).splitlines()[0]))
        return out
    want, got = run_both(run)
    assert got == want
