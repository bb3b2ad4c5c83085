"""Session 17: continuous-control and actor-critic repositories as users run them
(tests/s17_contrl_progs*.py): sfujim/TD3 (TD3, DDPG, OurDDPG, main.py's loop and eval_policy),
sfujim/BCQ (continuous BCQ with its VAE, discrete BCQ), pranz24/pytorch-soft-actor-critic
(Gaussian / deterministic SAC, automatic entropy tuning, checkpoints) and
ikostrikov/pytorch-a2c-ppo-acktr-gail (Policy / MLPBase / CNNBase / GRU, the Fixed*
distributions, RolloutStorage with GAE and both generators, PPO, A2C, KFAC's statistics), on
small NumPy environments instead of gym / MuJoCo, run on ember and on torch 2.13 and compared
live: printed lines (reprs, 'Evaluation over {} episodes: {:.3f}', losses to 4 decimals,
warnings and errors) exactly, values to rtol 1e-5 / atol 1e-6 (Linear layers go through
OpenBLAS here and MKL in PyTorch: last bits that later optimizer steps carry along).
The a2c-ppo programs start from PyTorch's orthogonal_ matrices (its QR is LAPACK's float32 one,
ember's NumPy's float64 one: the same to a bit or two, see test_programs_s14_hfdrl.py)."""

import pytest
import s17_contrl_progs as A
import s17_contrl_progs_b as B
import s17_contrl_progs_c as C
import s17_contrl_progs_d as D
from torch_compare import check_program

PROGS = [A.td3, A.ddpg, A.our_ddpg,
         B.continuous_bcq, B.discrete_bcq_fc, B.discrete_bcq_polyak, B.discrete_bcq_atari,
         C.sac_gaussian, C.sac_autotune, C.sac_deterministic, C.sac_utils,
         D.ppo_discrete, D.ppo_continuous, D.ppo_recurrent, D.a2c_discrete, D.a2c_continuous,
         D.a2c_recurrent, D.a2c_cnn, D.distributions, D.acktr_statistics]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, 1e-5, 1e-6)
