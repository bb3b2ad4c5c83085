"""Session 17: bentrevett/pytorch-seq2seq and bentrevett/pytorch-sentiment-analysis as users
type them (tests/s17_bentrevett_progs*.py): random token-id batches instead of torchtext /
spaCy data, run on ember and on torch 2.13 and compared live: printed lines (model reprs,
'The model has {:,} trainable parameters', losses to 4 decimals, translations as token ids,
attention shapes), warnings and errors exactly; values to rtol 1e-5 / atol 1e-6 (Linear /
RNN products go through OpenBLAS where PyTorch uses MKL, tanh / sigmoid through Sleef: last
bits that later Adam steps carry along, so losses are printed to 4 decimals)."""

import numpy as np
import pytest
import s17_bentrevett_progs as A
import s17_bentrevett_progs_b as B
import s17_bentrevett_progs_c as C
import s17_bentrevett_progs_d as D
import s17_bentrevett_progs_e as E
import torch
from torch_compare import check_program, run_both

import ember

RTOL, ATOL = 1e-5, 1e-6


def _check(fn):
    check_program(fn, 0, RTOL, ATOL)


PROGS = [A.lstm_seq2seq, A.gru_phrase, A.bahdanau, B.packed_attention, B.conv_seq2seq,
         C.transformer, D.legacy_sentiment, D.cnn_sentiment,
         E.current_notebooks, E.embedding_bag]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    _check(prog)


def _outcome(L, f):
    """f(L)'s output as an array (with its dtype) or its exception's type and first line."""
    try:
        out = f(L)
    except Exception as e:  # noqa: BLE001 - compared across libraries
        return type(e).__name__, str(e).splitlines()[0]
    return "ok", np.array(out.detach().numpy())


def _same_outcome(f):
    (wk, w), (gk, g) = (_outcome(L, f) for L in (torch, ember))
    assert gk == wk, (gk, g, wk, w)
    if wk == "ok":
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    else:
        assert g == w, f"ember: {g}\ntorch: {w}"


# kernel_size / stride / padding / dilation / output_size values as users pass them: a size
# read off a tensor (``F.max_pool1d(conved, conved.shape[2])`` with a traced or 0-d size), a
# NumPy integer, lists, and what PyTorch's parser refuses. (A 0-d ndarray is left out: it
# trips an internal assert in PyTorch's parser.)
_SIZES = {
    "int": lambda L: 2, "tensor0d": lambda L: L.tensor(2), "tensor1": lambda L: L.tensor([2]),
    "bool_tensor": lambda L: L.tensor(True), "np_int": lambda L: np.int64(2),
    "tuple": lambda L: (2,), "list": lambda L: [2], "size": lambda L: L.Size([2]),
    "tuple_of_tensor": lambda L: (L.tensor(2),), "pair": lambda L: (2, 1),
    "empty": lambda L: (), "float": lambda L: 2.0, "float_list": lambda L: [2.0],
    "float_tensor": lambda L: L.tensor(2.), "np_float": lambda L: np.float32(2),
    "tensor2": lambda L: L.tensor([2, 1]), "range": lambda L: range(2, 3),
    "ndarray": lambda L: np.array([2]),
}
_POOLS = {"max_pool1d": 1, "avg_pool1d": 1, "max_pool2d": 2, "avg_pool2d": 2, "max_pool3d": 3,
          "avg_pool3d": 3, "lp_pool2d": 2}


@pytest.mark.parametrize("size", sorted(_SIZES))
@pytest.mark.parametrize("fn", sorted(_POOLS))
def test_pool_size_arguments_read_as_pytorch_parser_reads_them(fn, size):
    """PyTorch's parser reads an int-list argument as a tuple / list of int-likes or as one
    int-like (an int, a NumPy integer, a one-element integer tensor) that it repeats; it never
    iterates a tensor and refuses a range or an ndarray; 1-D pools want exactly one int (each
    with its own message). ember refused 0-d tensors and NumPy integers in the 1-D pools,
    accepted ranges, ndarrays and many-element tensors, and named other lengths differently."""
    nd = _POOLS[fn]
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 5, 4)[:nd + 2]).astype(np.float32)
    v = _SIZES[size]
    pool = lambda L, *a: getattr(L.nn.functional, fn)(L.from_numpy(x), *a)
    if fn.startswith("lp"):
        _same_outcome(lambda L: pool(L, 2, v(L)))
        return
    _same_outcome(lambda L: pool(L, v(L)))  # kernel_size
    _same_outcome(lambda L: pool(L, 2, v(L)))  # stride
    if size not in ("pair", "tuple_of_tensor"):  # a padding over half the kernel
        _same_outcome(lambda L: pool(L, 3, 1, v(L)))  # padding
    if fn.startswith("max"):
        _same_outcome(lambda L: pool(L, 2, 1, 0, v(L)))  # dilation


@pytest.mark.parametrize("size", sorted(_SIZES))
@pytest.mark.parametrize("fn", ["adaptive_avg_pool1d", "adaptive_max_pool1d",
                                "adaptive_max_pool2d", "adaptive_avg_pool2d"])
def test_adaptive_pool_output_size_as_pytorch_reads_it(fn, size):
    """output_size: the 1-D ops through the parser (position 2, "should contain one int");
    adaptive_max_pool2d's Python wrapper takes len() of anything but an int (so a NumPy
    integer fails there, as in adaptive_avg_pool2d)."""
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 5)[:4 if "2d" in fn else 3])
    _same_outcome(lambda L: getattr(L.nn.functional, fn)(
        L.from_numpy(x.astype(np.float32)), _SIZES[size](L)))


@pytest.mark.parametrize("size", ["int", "tensor0d", "tensor1", "np_int", "tuple", "range"])
def test_pool1d_modules_keep_pytorch_single(size):
    """nn.AvgPool1d stores _single(kernel_size): any iterable as a tuple (a 0-d tensor cannot
    be iterated: TypeError at construction), anything else as a 1-tuple; nn.MaxPool1d keeps
    the value as given. Their reprs and outputs agree."""
    x = np.random.default_rng(2).standard_normal((2, 3, 7)).astype(np.float32)
    for cls in ("AvgPool1d", "MaxPool1d"):
        def prog(L, cls=cls):
            m = getattr(L.nn, cls)(_SIZES[size](L))
            return repr(m), m(L.from_numpy(x)).numpy().tolist()
        want, got = run_both(prog)
        assert got == want
