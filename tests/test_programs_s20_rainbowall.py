"""Session 20: Curt-Park/rainbow-is-all-you-need (01_dqn ... 09_rainbow_iqn and segment_tree.py)
as users type them (tests/s20_rainbowall_progs*.py), Gym's CartPole replaced by a seeded
NumPy stand-in, run on ember and on torch 2.13 and compared live: printed lines (model reprs,
frame / score / loss lines with 4 decimals, errors as type and first line, warnings) exactly,
values to rtol 1e-5 / atol 1e-6. Where a program returns no trained weights (C51, Rainbow)
or stops early (PER), the notes in tests/s20_rainbowall_progs_b.py and _c.py say why: Adam
and prioritized sampling amplify BLAS's last bits, which differ between OpenBLAS and MKL."""

import pytest
import s20_rainbowall_progs_b as B
import s20_rainbowall_progs_c as C
import s20_rainbowall_progs_d as D
import s20_rainbowall_progs_e as E
from torch_compare import check_program

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.dqn, B.double_q, B.per, B.dueling, C.noisy_net, C.categorical_dqn,
         C.n_step_learning, D.rainbow, D.projection, D.noisy_layer, D.gather_mistakes,
         E.iqn]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)
