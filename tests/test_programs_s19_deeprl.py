"""Session 19: ShangtongZhang/DeepRL (deep_rl/utils/torch_utils.py, deep_rl/network/*, the
losses of deep_rl/agent/: DQN incl. double Q and dueling, C51's projection, QR-DQN's quantile
Huber loss, A2C and PPO with GAE and the clipped ratio, Option-Critic, DDPG and TD3 with soft
target updates, Rainbow's noisy nets, the Atari configurations) as users run them
(tests/s19_deeprl_progs*.py), with the gym tasks and the replay / rollout storage replaced by
small fixed stand-ins, run on ember and on torch 2.13 and compared live: printed lines,
dtypes, shapes, warnings and errors (type and first line) exactly, values to rtol 1e-5 /
atol 1e-6. Below them, a focused test for what the sweep found: 2-norms of dense runs
longer than ATen's grain (a conv net's fc gradient) in ATen's order."""

import numpy as np
import pytest
import s19_deeprl_progs as A
import s19_deeprl_progs_b as B
import s19_deeprl_progs_c as C
import s19_deeprl_progs_d as D
import s19_deeprl_progs_e as E
import s19_deeprl_progs_f as F
import s19_deeprl_progs_g as G
from torch_compare import check_program, run_both, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.utils, A.bodies_and_heads, B.dqn, B.double_dqn, B.dueling_double_dqn_old_indexing,
         B.categorical_dqn, B.quantile_dqn, C.a2c, C.ppo, C.option_critic, D.ddpg, D.td3,
         E.rainbow, E.ppo_separate_optimizers, E.save_load_sync, F.dqn_pixel, F.a2c_pixel,
         F.distributional_pixel_heads, G.mistakes]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    if prog is C.option_critic:  # torch.where's uint8 warning comes once a process: an
        use_up_once_warnings(prog)  # earlier test may have had it, so use it up on both
    check_program(prog, 0, RTOL, ATOL)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_two_norms_of_long_dense_runs_round_as_pytorchs(dt):
    """ATen's 2-norm reads a dense run (a full reduction of a contiguous tensor, or rows of
    its trailing dims) in 8 / 4 lanes on one thread whatever the run's length; ember kept
    that order only up to 32768 entries and summed longer runs pairwise, so the norm of the
    NatureConvBody's 512 x 3136 fc gradient differed in the 5th digit (torch 0.516343,
    ember 0.516354); torch._foreach_powsum(ts, 2) likewise. Longer strided runs (ATen's
    generic loop, split across threads) and the other p keep NumPy's sums."""
    def run(L):
        g = np.random.default_rng(5)
        out = []
        for shape, dim in [((512, 3136), None), ((40000,), None), ((3, 50000), -1),
                           ((2, 3, 20000), (1, 2)), ((5, 7, 9000), (1, 2)), ((300, 200), None)]:
            a = (g.standard_normal(shape) * 0.01).astype(dt)
            x = L.from_numpy(a)
            out += [x.norm() if dim is None else x.norm(dim=dim),
                    L.linalg.vector_norm(x, dim=dim), L.norm(x, dim=dim, keepdim=True)]
            if dim is not None:
                out.append(L.nn.functional.normalize(x, dim=dim if isinstance(dim, int)
                                                     else dim[0])[..., :5])
            if x.ndim == 2:  # the transpose: a dense block in memory order
                out.append(x.t().norm())
            if x.ndim == 3:  # reduced dims dense but not last in the dim order
                out.append(L.from_numpy(np.ascontiguousarray(a.transpose(1, 2, 0)))
                           .permute(2, 0, 1).norm(dim=(1, 2)))
        big = [L.from_numpy((g.standard_normal((512, 3136)) * 0.01).astype(dt)),
               L.from_numpy(g.standard_normal((300, 200)).astype(dt)).t()]
        out += list(L._foreach_powsum(big, 2)) + list(L._foreach_norm(big))
        xg = L.from_numpy(g.standard_normal((200, 300)).astype(dt)).requires_grad_()
        y = xg.norm()
        y.backward()
        out += [y, xg.grad[:3]]
        return [(str(r.dtype), tuple(r.shape), r.detach().numpy().tolist()) for r in out]
    want, got = run_both(run)
    assert got == want


def test_two_norm_gradient_rounds_as_pytorchs():
    """The 2-norm's gradient as PyTorch 2.13 rounds it: g * (x / y) (the quotient 0 where
    y = 0); ember computed x * (g / y), a last-bit difference in every entry (x.norm()
    .backward() gave x * (1 / y) against PyTorch's x / y). Full, dim, keepdim, dist, a zero
    norm and half precision."""
    def run(L):
        g = np.random.default_rng(5)
        a = g.standard_normal((60, 70)).astype(np.float32)
        b = g.standard_normal((60, 70)).astype(np.float32)
        out = []
        x = L.from_numpy(a).requires_grad_()
        x.norm().backward()
        out.append(x.grad)
        x, y = L.from_numpy(a).requires_grad_(), L.from_numpy(b).requires_grad_()
        (L.dist(x, y) * 0.37).backward()
        out += [x.grad, y.grad]
        x = L.from_numpy(a).requires_grad_()
        (x.norm(dim=0) * L.from_numpy(b[0])).sum().backward()
        out.append(x.grad)
        x = L.from_numpy(a.astype(np.float64)).requires_grad_()
        (L.linalg.vector_norm(x, dim=1, keepdim=True) * 3.3).sum().backward()
        out.append(x.grad)
        x = L.zeros(3, requires_grad=True)
        x.norm().backward()
        out.append(x.grad)
        x = L.from_numpy(a.astype(np.float16)).requires_grad_()
        (x.norm() * 0.37).backward()
        out.append(x.grad)
        return [(str(r.dtype), r.numpy().tolist()) for r in out]
    want, got = run_both(run)
    assert got == want
