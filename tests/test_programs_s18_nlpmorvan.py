"""Session 18: graykode/nlp-tutorial (NNLM, Word2Vec skip-gram and CBOW, TextCNN, TextRNN,
TextLSTM, Bi-LSTM, Seq2Seq, Seq2Seq(Attention), Bi-LSTM(Attention), Transformer with its
greedy decoder, BERT) and the MorvanZhou/PyTorch-Tutorial scripts session 16 had left
(406_conditional_GAN, 501_why_torch_dynamic_graph) as users type them
(tests/s18_nlpmorvan_progs*.py), run on ember and on torch 2.13 and compared live: printed
lines (model reprs, the 'Epoch: %04d cost = ...' lines, here with 4 decimals: the scripts'
{:.6f} shows the last bits of OpenBLAS against MKL that Adam's later steps carry), warnings
(the RNN dropout warning, softmax's implicit dim, the list-of-ndarrays warning), dtypes,
shapes and errors (type and first line) exactly, values to rtol 1e-5 / atol 1e-6. Then the
gaps the sweep found: max/min with keepdim but no dim (or a None dim), the legacy
constructors given strings or None, LSTM(proj_size=...)'s once-per-process oneDNN warning,
and a FastText-style EmbeddingBag's scale_grad_by_freq as PyTorch's CPU kernel computes it."""

import pytest
import s18_nlpmorvan_progs as A
import s18_nlpmorvan_progs_b as B
import s18_nlpmorvan_progs_c as C
import s18_nlpmorvan_progs_d as D
import s18_nlpmorvan_progs_e as E
from torch_compare import check_program, same, same_error_case

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.nnlm, A.word2vec, A.textcnn, A.textrnn, A.textlstm, A.bilstm, B.seq2seq,
         B.seq2seq_attention, B.bilstm_attention, C.transformer, E.bert, D.word2vec_cbow,
         D.transformer_greedy, D.conditional_gan, D.dynamic_graph]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


def test_max_min_with_keepdim_but_no_dim_is_refused():
    """x.max(keepdim=True) (a slip for the scripts' `.data.max(1, keepdim=True)[1]`) or
    x.max(dim=None): none of PyTorch's overloads takes a keepdim without a dim, or a None dim,
    so its parser raises TypeError, worded from the call as written (method or function,
    positional or keyword); ember reduced over everything and ignored keepdim. (The calls are spelled out: the wording is read from the
    call site.)"""
    refused = [lambda L: L.ones(2, 3).max(keepdim=True),
               lambda L: L.ones(2, 3).min(keepdim=False),
               lambda L: L.max(L.ones(2, 3), keepdim=True),
               lambda L: L.min(L.ones(2, 3), keepdim=False),
               lambda L: L.max(L.ones(2, 3), None, True),
               lambda L: L.min(L.ones(2, 3), other=L.zeros(3), keepdim=False),
               lambda L: L.ones(2, 3).max(keepdim=1),
               # a None dim: no overload takes one
               lambda L: L.ones(2, 3).max(None), lambda L: L.ones(2, 3).max(dim=None),
               lambda L: L.ones(2, 3).max(dim=None, keepdim=True),
               lambda L: L.ones(2, 3).max(None, True), lambda L: L.ones(2, 3).min(None, False),
               lambda L: L.ones(2, 3).max(None, keepdim=True), lambda L: L.max(L.ones(2), None),
               lambda L: L.min(L.ones(2, 3), dim=None),
               lambda L: L.max(L.ones(2, 3), dim=None, keepdim=False)]
    for case in refused:
        same_error_case(case)
    accepted = [lambda L: L.ones(2, 3).max(),
                lambda L: L.arange(6.).view(2, 3).max(1, keepdim=True),
                lambda L: L.arange(6.).view(2, 3).min(dim=0, keepdim=False),
                lambda L: L.max(L.arange(6.).view(2, 3), 1, True),
                lambda L: L.min(L.ones(3), L.zeros(3)),
                lambda L: L.tensor([[1., 3.], [4., 2.]]).max(-1, keepdim=False)[1]]
    for case in accepted:
        same(lambda L, case=case: repr(case(L)))


def test_legacy_constructor_of_strings_under_its_dtype():
    """torch.Tensor(['a']) & co (a sentence list passed where its word ids belong): PyTorch
    reads the shape from the first items (a str there: "too many dimensions 'str'"), then
    stores depth first (a str where a list belongs is its characters; where a number belongs,
    float() or __index__ refuses it). ember let NumPy read them under the dtype: errors of
    its own, and BoolTensor([[True], ['a']]) was all True."""
    cases = [lambda L: L.LongTensor([[1], ['a']]), lambda L: L.LongTensor(['a']),
             lambda L: L.tensor([[1], ['a']], dtype=L.long),
             lambda L: L.tensor(['a'], dtype=L.float32),
             lambda L: L.tensor([[1.], ['a']], dtype=L.float32),
             lambda L: L.BoolTensor([[True], ['a']]), lambda L: L.Tensor([['a', 'b']]),
             lambda L: L.Tensor([[1., 2.], ['a', 'b']]), lambda L: L.Tensor([1., 'a']),
             lambda L: L.LongTensor([1, 'a']), lambda L: L.tensor([1., 'a'], dtype=L.float64),
             lambda L: L.Tensor([[1., 2.], 'ab']), lambda L: L.Tensor([[1., 2.], 'abc']),
             lambda L: L.FloatTensor([['i', 'like'], ['dog']]),
             lambda L: L.tensor([[1.], ['a']])]
    for case in cases:
        same_error_case(case)


def test_legacy_constructor_of_none():
    """torch.FloatTensor(None) (a make_batch() that returned nothing): PyTorch's new() takes
    no None for data (only no argument at all is the empty tensor); None followed by sizes
    fits no overload. ember made an empty tensor either way."""
    for case in [lambda L: L.Tensor(None, 2), lambda L: L.FloatTensor(None),
                 lambda L: L.LongTensor(None), lambda L: L.FloatTensor(None, device='cpu'),
                 lambda L: L.FloatTensor(None, dtype=L.float64),
                 lambda L: L.FloatTensor(None, 3), lambda L: L.ones(2).new(None, 2),
                 lambda L: L.FloatTensor(2.0, 3), lambda L: L.Tensor(L.Size([2]), 3),
                 lambda L: L.FloatTensor([], 3), lambda L: L.Tensor(dtype=L.float64)]:
        same_error_case(case)
    for case in [lambda L: L.FloatTensor(), lambda L: L.LongTensor(device='cpu'),
                 lambda L: L.FloatTensor(2, 3).shape, lambda L: L.Tensor()]:
        same(lambda L, case=case: repr(case(L)))


_PROJ_SCRIPT = """
import sys, warnings
L = __import__(sys.argv[1])
def calls():
    yield lambda: L.nn.LSTM(3, 4, proj_size=2).double()(L.randn(5, 2, 3).double())
    yield lambda: L.nn.LSTM(3, 4, proj_size=2)(L.nn.utils.rnn.pack_padded_sequence(
        L.randn(5, 2, 3), [5, 3]))
    yield lambda: L.nn.LSTM(3, 4)(L.randn(5, 2, 3))
    yield lambda: L.nn.LSTM(3, 4, proj_size=2)(L.randn(0, 2, 3))
    def no_grad():
        with L.no_grad():
            L.nn.LSTM(3, 4, proj_size=2, batch_first=True)(L.randn(2, 5, 3))
    yield no_grad
    yield lambda: L.nn.LSTM(3, 4, proj_size=2, num_layers=2)(L.randn(5, 3))
for i, call in enumerate(calls()):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            call()
        except Exception as e:
            print(i, type(e).__name__, str(e).splitlines()[0])
    for x in w:
        print(i, x.category.__name__, str(x.message).split(" (Triggered internally")[0])
"""


def test_lstm_with_projections_warns_once_that_onednn_falls_back():
    """nn.LSTM(..., proj_size=k) on a padded float32 batch: PyTorch's CPU kernel tries oneDNN,
    which has no projections, and warns once per process (not for float64, packed input, or
    an empty sequence's error; under no_grad too). Each library in a fresh process."""
    import subprocess
    import sys

    out = [subprocess.run([sys.executable, "-c", _PROJ_SCRIPT, lib], capture_output=True,
                          text=True, check=True).stdout for lib in ("torch", "ember")]
    assert "LSTM with projections is not supported with oneDNN" in out[0], out[0]
    assert out[1] == out[0]


@pytest.mark.parametrize("seed", range(24))
def test_embedding_bag_scale_grad_by_freq_as_pytorch_cpu(seed):
    """A FastText-style EmbeddingBag(..., scale_grad_by_freq=True): PyTorch's CPU backward
    divides row u_k (the k-th distinct index) by the count of the k-th *sorted* index, not by
    u_k's own count (e.g. [3, 1, 2, 2] divides row 3 by 2); ember divided by the true
    frequency. Random bags, modes sum/mean, padding, per-sample weights, float32/64."""
    import numpy as np
    from torch_compare import run_both

    rng = np.random.default_rng(seed)
    n, rows, nb = int(rng.integers(1, 12)), int(rng.integers(2, 7)), int(rng.integers(1, 4))
    text = rng.integers(0, rows, n)
    offs = np.sort(rng.integers(0, n + 1, nb))
    offs[0] = 0
    mode = ["sum", "mean"][seed % 2]
    pad = int(rng.integers(0, rows)) if seed % 3 == 0 else None
    use_psw = mode == "sum" and seed % 4 == 0
    dt = np.float64 if seed % 5 == 0 else np.float32
    w0, g0 = rng.standard_normal((rows, 3)).astype(dt), rng.standard_normal((nb, 3)).astype(dt)
    p0 = rng.random(n).astype(dt)

    def prog(L):
        w = L.from_numpy(w0.copy()).requires_grad_()
        psw = L.from_numpy(p0.copy()).requires_grad_() if use_psw else None
        out = L.nn.functional.embedding_bag(L.from_numpy(text), w, L.from_numpy(offs),
                                            mode=mode, scale_grad_by_freq=True,
                                            padding_idx=pad, per_sample_weights=psw)
        (out * L.from_numpy(g0)).sum().backward()
        return [out.detach(), w.grad] + ([psw.grad] if use_psw else [])
    want, got = run_both(prog)
    assert isinstance(want, list) and isinstance(got, list), (want, got)
    for g, w in zip(got, want):
        assert str(g.dtype) == str(w.dtype)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-7)


def test_embedding_bag_module_scale_grad_by_freq_fasttext():
    """nn.EmbeddingBag(mode='mean', scale_grad_by_freq=True) + Linear, one SGD step (the
    text-classification tutorial's model with the frequency option), and 2-D input bags."""
    def prog(L):
        L.manual_seed(0)
        m = L.nn.EmbeddingBag(10, 4, scale_grad_by_freq=True)
        fc = L.nn.Linear(4, 3)
        out = fc(m(L.tensor([1, 2, 4, 5, 4, 3, 2, 9, 0]), L.tensor([0, 4, 4])))
        loss = L.nn.functional.cross_entropy(out, L.tensor([0, 1, 2]))
        loss.backward()
        L.optim.SGD(list(m.parameters()) + list(fc.parameters()), lr=4.0).step()
        out2 = m(L.tensor([[1, 2, 2], [3, 3, 1]]))
        out2.sum().backward()
        return [repr(m)], [out, loss, m.weight, out2, m.weight.grad]
    check_program(prog, 0, RTOL, ATOL)
