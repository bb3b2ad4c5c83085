"""Session 20: reinforcement-learning programs that RL users copy, as they type them:
philtabor/Youtube-Code-Repository (ReinforcementLearning: DQN / Dueling Double DQN with replay
memory, REINFORCE, actor-critic discrete / continuous / with replay, DDPG with OU noise and
LayerNorm, TD3, SAC, PPO, A3C with SharedAdam, ICM) and Kaixhin/Rainbow (NoisyLinear,
distributional dueling DQN, the categorical projection with index_add_, prioritised replay
on a NumPy segment tree), in tests/s20_tabor_progs*.py, with Gym / Atari replaced by seeded
NumPy stand-ins. Each runs on ember and on torch 2.13 and is compared live: printed lines
(losses with 4 decimals, reprs, dtypes, shapes, warnings, errors' type and first line)
exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s20_tabor_progs as A
import s20_tabor_progs_b as B
import s20_tabor_progs_c as C
import s20_tabor_progs_d as D
import s20_tabor_progs_e as E
import s20_tabor_progs_f as F
import s20_tabor_progs_g as G
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.simple_dqn_2020, A.dueling_ddqn, A.dueling_ddqn_bool, B.reinforce,
         B.actor_critic_discrete, B.actor_critic_continuous, B.actor_critic_replay, C.ddpg,
         D.td3, D.sac, G.ppo, E.rainbow, F.a3c, F.a3c_tensor_step, F.icm]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
