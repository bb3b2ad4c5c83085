"""Session 17: nikhilbarhate99/PPO-PyTorch (PPO.py, train.py, test.py, the earlier
PPO.py with Memory and PPO_continuous.py), udacity/deep-
reinforcement-learning (dqn/solution, ddpg-pendulum, ddpg-bipedal, REINFORCE, CEM, pong-PPO's
pong_utils) and p-christ/Deep-Reinforcement-Learning-Algorithms-with-PyTorch (SAC_Discrete,
DDQN with prioritised replay) as users type them, on small seeded NumPy fake environments
(tests/s17_rlrepos_progs*.py), run on ember and on torch 2.13 and compared live: printed lines
(model reprs, the 'Episode {}\\tAverage Score: {:.2f}' lines, losses to 4 decimals, dtypes)
exactly, the final weights to rtol 1e-5 / atol 1e-6 (Linear layers go through OpenBLAS where
PyTorch uses MKL, tanh / sigmoid through Sleef: last bits that later Adam steps carry)."""

import pytest
import s17_rlrepos_progs as A
import s17_rlrepos_progs_b as B
import s17_rlrepos_progs_c as C
import s17_rlrepos_progs_d as D
import s17_rlrepos_progs_e as E
import ember
import torch
from torch_compare import check_program, error_of

RTOL, ATOL = 1e-5, 1e-6


def _check(fn):
    check_program(fn, 0, RTOL, ATOL)


PROGS = [A.ppo_discrete, A.ppo_continuous, A.ppo_continuous_1d, A.ppo_test_py,
         B.dqn_solution, B.ddpg_pendulum, B.ddpg_bipedal,
         C.reinforce, C.cem, C.pong_ppo, D.sac_discrete, D.ddqn_prioritised,
         E.ppo_memory_discrete, E.ppo_continuous_old]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    _check(prog)


def _empty_file_cases(tmp_path):
    import io

    def unrewound(L, **kw):  # torch.save(sd, buf) then torch.load(buf), no buf.seek(0)
        buf = io.BytesIO()
        L.save({"w": L.ones(2)}, buf)
        return L.load(buf, **kw)

    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    cases = [unrewound, lambda L: unrewound(L, weights_only=True),
             lambda L: unrewound(L, weights_only=False), lambda L: unrewound(L, mmap=True),
             lambda L: unrewound(L, map_location=lambda storage, loc: storage),
             lambda L: L.load(empty), lambda L: L.load(str(empty), weights_only=False),
             lambda L: L.load(str(empty), mmap=True), lambda L: L.load(empty, mmap=True)]
    for how in ("rb",):
        def opened(L, how=how):
            with open(empty, how) as fh:
                return L.load(fh)
        cases.append(opened)
    return cases


def test_loading_an_empty_or_exhausted_file_raises_torchs_error(tmp_path):
    """An empty checkpoint, or a buffer read from its end (saved into and loaded without
    seek(0)): PyTorch's unpickler runs out of input, EOFError() under weights_only (the
    default) and EOFError('Ran out of input') without; with mmap=True its 'mmap can only be
    used with files saved with ...' RuntimeError, naming the file when given as a str. ember
    answered CheckpointError('... the file is truncated (0 bytes ...)')."""
    for case in _empty_file_cases(tmp_path):
        want, got = error_of(lambda: case(torch)), error_of(lambda: case(ember))
        assert got == want, (got, want)
        assert want[0] in ("EOFError", "RuntimeError")
