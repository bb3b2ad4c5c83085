"""Session 16: higgsfield's RL-Adventure and RL-Adventure-2 as learners run them today on
ember and on torch 2.13, compared live (tests/s16_rladv_progs*.py, parts a-f): DQN / double / dueling,
prioritized replay, noisy nets (factorised Gaussian NoisyLinear), categorical C51 (the
index_add_ projection), Rainbow, QR-DQN, hierarchical DQN; A2C, GAE + PPO on Gymnasium
CartPole-v1 / Pendulum-v1 envs, DDPG, TD3, SAC, ACER, GAIL's discriminator and HER, each a few
update steps from the same seeded weights and the same batches, written with the
Variable-era idioms (``volatile=True``, ``loss.data[0]``) and the mistakes around them.

Printed lines (reprs, dtypes, shapes, warnings, error types and first lines) are compared
exactly. The programs' values go through linear layers (OpenBLAS where PyTorch uses MKL) and
Adam's sqrt (README, known gaps), so they agree to rtol 1e-5 / atol 1e-6; the tests of the
fixes below compare exactly (``same``)."""

import numpy as np
import pytest
import s16_rladv_progs as a
import s16_rladv_progs_b as b
import s16_rladv_progs_c as c
import s16_rladv_progs_d as d
import s16_rladv_progs_e as e
import s16_rladv_progs_f as f
from torch_compare import check_program, same

RTOL, ATOL = 1e-5, 1e-6


def _check(fn):
    check_program(fn, 0, RTOL, ATOL)


PROGS = [a.dqn, a.prioritized, b.noisy_dqn, b.categorical, b.rainbow, c.qr_dqn, c.hdqn,
         c.mistakes, d.a2c, d.gae_ppo, e.ddpg_td3, e.gail, f.sac, f.acer, f.her]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f.__name__)
def test_program(prog):
    _check(prog)


def _error(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - compared across libraries
        return type(e).__name__, str(e).splitlines()[0]
    return None


def test_variable_volatile_with_requires_grad():
    """Variable(x, requires_grad=True, volatile=True): the volatile warning, then
    ValueError; the flags parse as C bytes; an unknown keyword; a NumPy array's C name; the
    metaclass's name; name= kept on the new tensor (not on results)."""
    def prog(L):
        V = L.autograd.Variable
        rec = a.Rec()
        rec(lambda: V(L.FloatTensor([1.0]), requires_grad=True, volatile=True))
        rec(lambda: V(L.FloatTensor([1.0]), True, True))
        rec(lambda: V(L.FloatTensor([1.0]), requires_grad=None))
        rec(lambda: V(L.FloatTensor([1.0]), volatile=1.5))
        rec(lambda: V(L.FloatTensor([1.0]), requires_grad=2).requires_grad)
        rec(lambda: V(L.FloatTensor([1.0]), foo=1))
        rec(lambda: V(np.ones(2)))
        rec(lambda: V(np.float32(1.0)))
        rec(lambda: type(V).__name__)
        rec(lambda: V(L.FloatTensor([1.0]), name="x").name)
        rec(lambda: (V(L.FloatTensor([1.0]), True, name="x") * 2).name)
        rec(lambda: (L.ones(1).name, V(L.ones(1)).name))
        return rec.out
    same(prog)


def test_numpy_array_protocol_like_torch():
    """np.array(t) on a tensor: NumPy's DeprecationWarning about __array__ without ``copy``
    (PyTorch's signature), np.array(t, copy=False) refused, np.asarray quiet."""
    def prog(L):
        rec = a.Rec()
        t = L.tensor([1.0, 2.0])
        rec(lambda: np.array(t))
        rec(lambda: np.array(t, copy=False))
        rec(lambda: np.array(t, dtype=np.float64))
        rec(lambda: np.asarray(t))
        rec(lambda: np.array(L.ones(2, requires_grad=True)))
        rec(lambda: np.asarray(t, dtype=np.int64))
        return rec.out
    same(prog)


def test_legacy_constructor_size_errors():
    """FloatTensor(2, 3.0) names new(), as x.new does; data followed by a size is PyTorch's
    invalid combination (list, Size, float or an empty list first)."""
    def prog(L):
        return [_error(f) for f in (
            lambda: L.FloatTensor(2, 3.0), lambda: L.Tensor(2, 3.0),
            lambda: L.ones(1).new(2, 3.0), lambda: L.LongTensor(2.0, 3),
            lambda: L.FloatTensor(L.Size([2]), 3), lambda: L.FloatTensor([1.], 2),
            lambda: L.FloatTensor([], 2), lambda: L.Tensor((), 3),
            lambda: L.FloatTensor(L.ones(1), 2), lambda: L.FloatTensor(2, None))]
    same(prog)


def test_normal_tensor_args_with_size_and_broadcast():
    """torch.normal with a tensor mean/std takes no size (TD3's noise written with size=);
    tensor mean and std that cannot broadcast give PyTorch's size message."""
    def prog(L):
        out = [_error(f) for f in (
            lambda: L.normal(L.zeros(2), 1.0, size=(2,)), lambda: L.normal(0.0, L.ones(2), (2,)),
            lambda: L.normal(L.zeros(2), L.ones(2), size=(2,)),
            lambda: L.normal(L.zeros(3), L.ones(2)), lambda: L.normal(L.zeros(2), 1.0, None),
            lambda: L.normal(L.zeros(2), 1.0, size=(2,), dtype=L.float64),
            lambda: L.normal(0, 1, (2,), (3,)))]
        L.manual_seed(0)
        out.append(L.normal(0.0, 1.0, (3,)).tolist())
        out.append(L.normal(L.zeros(3, 1), L.ones(2)).shape)
        return out
    same(prog)


def test_bce_weight_broadcast_beyond_input():
    """BCELoss's weight broadcasts with the target, but the result keeps the input's shape:
    a weight that would grow it is PyTorch's output-shape error."""
    def prog(L):
        F = L.nn.functional
        out = [_error(f) for f in (
            lambda: F.binary_cross_entropy(L.tensor([0.5]), L.tensor([1.0]),
                                           weight=L.tensor([2.0, 1.0])),
            lambda: F.binary_cross_entropy(L.full((2, 1), .5), L.ones(2, 1), weight=L.ones(3),
                                           reduction='none'),
            lambda: L.nn.BCELoss(weight=L.ones(2, 1, 1))(L.full((2, 1), .5), L.ones(2, 1)),
            lambda: F.binary_cross_entropy(L.tensor(0.5), L.tensor(1.), weight=L.ones(2)))]
        out.append(F.binary_cross_entropy(L.full((2, 3), .5), L.ones(2, 3),
                                          weight=L.arange(3.0)).item())
        return out
    same(prog)


def test_cuda_calls_without_a_gpu():
    """x.cuda(0) (an index with no accelerator), x.cuda('cpu'), a float or bool device, then
    CUDA's missing runtime; Module.cuda / .to('cuda') move each tensor, so a module without
    parameters or buffers (a loss, ReLU) comes back unchanged, as in PyTorch."""
    def prog(L):
        m, nn = L.nn.Linear(1, 1), L.nn
        return [_error(f) or repr(f()) for f in (
            lambda: L.ones(1).cuda(0), lambda: L.ones(1).cuda(device=1),
            lambda: L.ones(1).cuda('cuda:0'), lambda: L.ones(1).cuda(L.device('cuda')),
            lambda: L.ones(1).cuda('cpu'), lambda: L.ones(1).cuda(-1),
            lambda: L.ones(1).cuda(0.5), lambda: L.ones(1).cuda(True),
            lambda: L.ones(1).cuda(0, True), lambda: L.ones(1).cuda(foo=1),
            lambda: L.ones(1).cuda(), lambda: m.cuda(0), lambda: m.cuda('cpu'), lambda: m.cuda(),
            lambda: nn.ReLU().cuda(), lambda: nn.MSELoss().cuda(0), lambda: nn.ReLU().to('cuda'),
            lambda: nn.Sequential(nn.ReLU(), nn.Linear(1, 1)).to('cuda'),
            lambda: nn.BatchNorm1d(2, affine=False).cuda(), lambda: nn.ReLU().to('foo'))]
    same(prog)
