"""Session 19: rasbt/machine-learning-book's PyTorch chapters (ch12 tensors / DataLoader /
linear regression / Iris MLP with torch.save and torch.load, ch13 autograd / nn.init / XOR /
NoisyLinear / Auto-MPG bucketize + one_hot / MNIST MLP, ch14 smile CNN, ch15 RNN check,
sentiment LSTM over pack_padded_sequence, char-level LSTM with Categorical sampling, ch16
self-attention by hand, ch17 GAN / DCGAN / WGAN-GP / MMD, ch18 NodeNetwork GNN, ch19 DQN on
CartPole) as users type them, scaled down on seeded synthetic data (tests/s19_mlbook_progs*.py),
run on ember and on torch 2.13 and compared live: printed lines (reprs, losses to 4
decimals, dtypes, warnings, error lines) exactly, values to rtol 1e-5 / atol 1e-6.
Then the fixes the sweep needed: torch.normal's float overload takes a tuple of ints as size
(a bare int, an ndarray, float items get PyTorch's TypeError), and torch.save / torch.load
check their file argument (not a path, not writable / not seekable) and pickle_load_args
(warning under weights_only, the unpickler's TypeError for keywords it does not take) as
PyTorch does."""

import numpy as np
import pytest
import s19_mlbook_progs as A
import s19_mlbook_progs_b as B
import s19_mlbook_progs_c as C
import s19_mlbook_progs_d as D
import s19_mlbook_progs_e as E
import s19_mlbook_progs_f as F
import s19_mlbook_progs_g as G
from torch_compare import check_program, run_both, same_with_warnings, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.ch12_tensors, A.ch12_dataloader, A.ch12_linreg, A.ch12_iris,
         B.ch13_graphs, B.ch13_xor, B.ch13_noisy, G.ch13_mpg_mnist, B.ch14_smile_cnn,
         C.ch15_rnn_manual, C.ch15_sentiment, C.ch15_charlm,
         D.ch14_losses_mnist_cnn, D.ch16_attention, D.ch17_gan, E.ch17_dcgan_wgan, E.ch18_gnn, F.ch19_dqn]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    # torch.tensor(list of ndarrays) warns once a process in both libraries
    use_up_once_warnings(lambda L: L.tensor([np.zeros(2), np.ones(2)]))
    check_program(prog, 0, RTOL, ATOL)


@pytest.mark.parametrize("call", [
    lambda L: L.normal(0., 1., 3), lambda L: L.normal(0., 1., size=3),
    lambda L: L.normal(0, 1, 3), lambda L: L.normal(0., 1., size=np.int64(3)),
    lambda L: L.normal(0., 1., (3.0,)), lambda L: L.normal(0., 1., (True,)),
    lambda L: L.normal(0., 1., (L.tensor(2.),)), lambda L: L.normal(0., 1., np.array([2, 3])),
    lambda L: L.normal(0., 1., size=L.tensor(3)), lambda L: L.normal(0., 1., 'ab'),
    lambda L: L.normal(0., 1., 3, dtype=L.float64),
    lambda L: L.normal(0., 1., size=3, dtype=L.float64),
    lambda L: L.normal(0., 1., (3,)), lambda L: L.normal(0., 1., [2, 1]),
    lambda L: L.normal(0., 1., L.Size([2])), lambda L: L.normal(0., 1., (np.int64(3),)),
    lambda L: L.normal(0., 1., [L.tensor([2])]), lambda L: L.normal(0., 1., size=(L.tensor(3),)),
    lambda L: L.normal(0., 1., ()), lambda L: L.normal(0., 1., (-1,)),
])
def test_normal_size_is_a_tuple_of_ints(call):
    """ch13's NoisyLinear draws torch.normal(0.0, std, x.shape); users shorten the size to a
    bare int (torch.normal(0., 1., 3)), which no overload of PyTorch's normal() takes: its
    'invalid combination of arguments' TypeError, where ember drew 3 numbers. A tuple / list /
    Size of ints (NumPy ints, one-element integer tensors) is a size; floats, bools, arrays
    are not."""
    def prog(L):
        L.manual_seed(0)
        return call(L)
    want, got = run_both(prog)
    if isinstance(want, tuple):
        assert got == want
    else:
        assert not isinstance(got, tuple), got
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.dtype == want.dtype or str(got.dtype) == str(want.dtype)


def _saved(L):
    import io
    buf = io.BytesIO()
    L.save({"w": L.ones(2)}, buf)
    buf.seek(0)
    return buf


@pytest.mark.parametrize("call", [
    lambda L: L.save({}, 3), lambda L: L.save({}, None), lambda L: L.save({}, b"x.pt"),
    lambda L: L.save({"w": L.ones(1)}, __import__("io").StringIO()),
    lambda L: L.load(3), lambda L: L.load(None), lambda L: L.load(b"x.pt"),
    lambda L: L.load(_saved(L), foo=1), lambda L: L.load(_saved(L), errors="strict"),
    lambda L: L.load(_saved(L), encoding="latin1"),
    lambda L: L.load(_saved(L), weights_only=False, foo=1),
    lambda L: L.load(_saved(L), weights_only=False, errors="strict"),
    lambda L: L.load(_saved(L), mmap=True), lambda L: L.load(_saved(L), mmap=False),
])
def test_save_load_argument_errors(call):
    """ch12 / ch14 save models with torch.save(model, path) and read them back with
    torch.load(path): a target that is neither a path nor writable gets PyTorch's
    AttributeError before anything is serialised; a source that is not a path and cannot
    seek gets its AttributeError with the 'pre-load into io.BytesIO' hint (ember's was
    os.fspath's TypeError); pickle_load_args under weights_only warn, and a keyword the
    unpickler does not take is its TypeError (ember ignored them); mmap=True wants a path
    (ember mapped a buffer); a StringIO target fails on the first memoryview written, as
    PyTorch's writer."""
    same_with_warnings(call, repr)
