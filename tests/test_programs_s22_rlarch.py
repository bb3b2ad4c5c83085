"""Session 22: RL code bases as users type them: facebookresearch/torchbeast (monobeast.py's
AtariNet with its LSTM core and core_state, create_buffers / act / get_batch / learn with
RMSprop + LambdaLR + clip_grad_norm_, core/environment.py, core/vtrace.py, polybeast_learner's
ResNet Net and learn(), the repository's vtrace / loss-function / learn-function tests) and
ctallec/world-models (models/vae.py, models/mdrnn.py's gmm_loss / MDRNN / MDRNNCell,
controller.py, trainvae.py, trainmdrnn.py, utils/misc.py, data/loaders.py, tests/test_gmm.py)
in tests/s22_rlarch_progs*.py, on seeded NumPy stand-ins for Atari / CarRacing. Each runs on
ember and on torch 2.13 and is compared live: printed lines (losses, shapes, dtypes,
warnings, errors' type and first line) exactly, values to rtol 1e-5 / atol 1e-6.
(lcswillems/torch-ac and rl-starter-files are in tests/test_programs_s20_torchac.py.)"""

import pytest
import s22_rlarch_progs as A
import s22_rlarch_progs_b as B
import s22_rlarch_progs_c as C
import s22_rlarch_progs_d as D
import s22_rlarch_progs_e as E
import s22_rlarch_progs_f as F
import s22_rlarch_progs_g as G
from torch_compare import check_program

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.vtrace_functions, B.monobeast_lstm_net, B.monobeast_lstm, B.monobeast_feedforward,
         C.vae_train, D.mdrnn_train, D.cell_and_controller, D.test_gmm, E.vtrace_tests,
         E.polybeast_loss_tests, F.polybeast_learn, G.rollout_loader, G.checkpoints,
         G.rollout_generator]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)
