"""Session 18: higgsfield's RL-Adventure Atari halves (CnnDQN, dueling / noisy / categorical /
Rainbow / QR CNN networks, common/models.py's weights_init and entropy helpers, the fork's
device-style act with save/load of the state_dict) and RL-Adventure-2's PPO test_env, expert
trajectories and the whole GAIL loop (tests/s18_rladv2_progs*.py), run on ember and on
torch 2.13 and compared live: printed lines exactly, values to rtol 1e-5 / atol 1e-6 (matrix
products in OpenBLAS against MKL, Adam's sqrt). Then the fixes the sweep needed: how
``tensor(data)`` reads the items of a list (the sequence protocol, never ``__array__``; Gym's
LazyFrames), NumPy's own error for an array where a number belongs, and which Python number
types dtype inference accepts."""

import enum
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import s18_rladv2_progs as A
import s18_rladv2_progs_b as B
import s18_rladv2_progs_c as C
from torch_compare import check_program, same, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.cnn_dqn, A.noisy_cnn, A.qr_cnn, B.distributional_cnn, B.models_py,
         C.ppo_expert_gail, C.logging_idioms]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f.__name__)
def test_program(prog):
    if prog is C.logging_idioms:  # it prints the once-a-process warning of '%.4f' % loss
        use_up_once_warnings(lambda L: float(L.ones(1, requires_grad=True).sum()))
    check_program(prog, 0, RTOL, ATOL)


def _error(f):
    try:
        r = f()
    except Exception as e:  # noqa: BLE001 - compared across libraries
        return type(e).__name__, str(e).splitlines()[0]
    return str(r.dtype), tuple(r.shape), r.tolist()


class LazyFrames(object):
    """RL-Adventure's common/wrappers.py (older baselines): frames kept apart, joined by
    ``__array__``, indexed one frame at a time."""

    def __init__(self, frames):
        self._frames = frames

    def __array__(self, dtype=None):
        out = np.concatenate(self._frames, axis=0)
        if dtype is not None:
            out = out.astype(dtype)
        return out

    def __len__(self):
        return len(self._frames)

    def __getitem__(self, i):
        return self._frames[i]


class ArrayOnly:
    """No sequence protocol, only ``__array__``."""

    def __array__(self, dtype=None, copy=None):
        return np.ones((2, 3))


def test_list_items_read_as_sequences_not_arrays():
    """PyTorch reads a list's items through len() / [i]: LazyFrames inside a list is its
    frames (shape (1, 2, 1, 3, 3)), where NumPy's __array__ would have joined them; an item
    with only __array__ is refused where a number belongs (float / int / bool results), and a
    ragged list names the sequence's type."""
    def prog(L):
        rng = np.random.default_rng(0)
        lz = LazyFrames([rng.integers(0, 256, (1, 3, 3), dtype=np.uint8) for _ in range(2)])
        return [_error(f) for f in (
            lambda: L.tensor(lz), lambda: L.FloatTensor(lz), lambda: L.tensor([lz]),
            lambda: L.FloatTensor([lz]), lambda: L.tensor([lz, lz], dtype=L.float64),
            lambda: L.tensor((lz,)), lambda: L.LongTensor([lz]), lambda: L.tensor([[lz]]),
            lambda: L.tensor([1.0, lz]), lambda: L.tensor([lz, 1.0]),
            lambda: L.tensor([ArrayOnly()], dtype=L.float32),
            lambda: L.tensor([ArrayOnly()], dtype=L.int64),
            lambda: L.tensor([ArrayOnly()], dtype=L.bool), lambda: L.Tensor([ArrayOnly()]),
            lambda: L.tensor([ArrayOnly()]), lambda: L.tensor([[1.0], [ArrayOnly()]]),
            lambda: L.tensor([range(3)]), lambda: L.tensor([range(3)], dtype=L.float32),
            lambda: L.tensor(ArrayOnly()))]
    same(prog)


def test_array_where_a_number_belongs():
    """An ndarray at a number's place of a nested list: PyTorch's float() / index() of it,
    i.e. NumPy's own error."""
    def prog(L):
        return [_error(f) for f in (
            lambda: L.tensor([np.ones(2), [np.ones(2), np.zeros(2)]]),
            lambda: L.tensor([[1.0, 2.0], [np.ones(2), np.zeros(2)]]),
            lambda: L.tensor([[1.0, 2.0], [1.0, np.zeros(2)]]),
            lambda: L.tensor([np.ones(2), [np.ones(2), np.zeros(2)]], dtype=L.int64),
            lambda: L.tensor([[1, 2], [np.ones(2, dtype=np.int64), 3]]),
            lambda: L.tensor([[1.0, 2.0], [1.0, [1.0]]]))]
    same(prog)


class Color(enum.IntEnum):
    RED = 1


class MyFloat(float):
    pass


def test_dtype_inference_number_types():
    """Inference reads Python's bool / int / float / complex (and their subclasses) and NumPy
    scalars only: a Fraction or Decimal 'could not infer dtype' (a C type named with its
    module), though one converts under a given dtype."""
    def prog(L):
        return [_error(f) for f in (
            lambda: L.tensor(Fraction(1, 2)), lambda: L.tensor([1.0, Fraction(1, 2)]),
            lambda: L.tensor([Fraction(1, 2)], dtype=L.float32), lambda: L.tensor(Decimal("1.5")),
            lambda: L.tensor([Decimal("1.5")]), lambda: L.tensor(Color.RED),
            lambda: L.tensor([Color.RED, 2]), lambda: L.tensor(MyFloat(0.5)),
            lambda: L.tensor([MyFloat(0.5), 1]), lambda: L.tensor(np.float16(1.5)),
            lambda: L.tensor([True, np.int32(3)]), lambda: L.tensor(object()))]
    same(prog)


def test_view_of_from_numpy_keeps_numpy_strides():
    """torch.from_numpy / as_tensor of a strided array (ImageToPyTorch's np.swapaxes, a
    Fortran-ordered or sliced frame) keep NumPy's strides, so view() refuses a shape they do
    not fit, on the tensor, its detach() / .data and its views, as PyTorch does; reshape,
    contiguous() and shapes that fit still work."""
    def prog(L):
        a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
        s = np.swapaxes(a, 2, 0)
        t = L.from_numpy(s)
        out = [_error(f) for f in (
            lambda: t.view(-1), lambda: t.view(4, 6), lambda: t.view(4, 3, 2),
            lambda: L.as_tensor(s).view(-1), lambda: t.detach().view(-1), lambda: t.data.view(-1),
            lambda: t.reshape(-1), lambda: t.contiguous().view(-1), lambda: t.view(4, 3, 1, 2),
            lambda: L.from_numpy(a[:, :, ::2]).view(-1), lambda: L.from_numpy(a[:, :2]).view(2, 8),
            lambda: L.from_numpy(a[:, :, :2]).view(6, 2), lambda: t.add_(0).view(-1),
            lambda: t[0].view(-1), lambda: t[:, 1].view(-1), lambda: t[1:].view(3, 3, 2),
            lambda: L.from_numpy(np.asfortranarray(a)).view(24), lambda: t.flatten(),
            lambda: t.view(L.int32), lambda: L.from_numpy(a).view(-1),
            lambda: L.as_tensor(a.T.copy()).view(-1))]
        out.append(np.shares_memory(t.numpy(), s))
        return out
    same(prog)
