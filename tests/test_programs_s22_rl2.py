"""Session 22: on-policy and pixel-based RL code bases as users type them, scaled down:
marlbenchmark/on-policy (MAPPO: R_Actor / R_Critic on MLPBase with RNNLayer's masked GRU,
FixedCategorical / FixedNormal / MultiDiscrete action layers, ValueNorm, PopArt, R_MAPPO's
ppo_update with clipped Huber value loss and active masks, the shared buffer's GAE and
generators) in tests/s22_rl2_progs{,_b,_c}.py, openai/phasic-policy-gradient (tree_util /
torch_util helpers, PhasicValueModel, the policy phase and the auxiliary phase with KL
distillation to the pre-sleep policy) in tests/s22_rl2_progs_{d,e}.py, and denisyarats/drq
v1's DRQAgent (SquashedNormal actor, tied conv weights, averaged augmented targets, alpha) in
tests/s22_rl2_progs_f.py. Each runs on ember and on torch 2.13 and is compared live: printed
lines (losses with 4 decimals, dtypes, shapes, warnings, errors' type and first line)
exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s22_rl2_progs_c as C
import s22_rl2_progs_e as E
import s22_rl2_progs_f as F
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [C.mappo_discrete_ff, C.mappo_box_rnn, C.mappo_multidiscrete, C.mappo_parts,
         E.ppg_dual, E.ppg_detach_kl, F.drq_agent]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
