"""Session 21: speech-recognition programs that users copy, as they type them:
SeanNaren/deepspeech.pytorch (the DeepSpeech model with MaskConv, BatchRNN over packed
sequences, Lookahead, SequenceWise BatchNorm1d; the collate function, GreedyDecoder,
check_loss and the CTC training step), wenet's CTC module (greedy search, forced
alignment), espnet2's CTC module and the nn.CTCLoss documentation example, in
tests/s21_speech_progs*.py. Each runs on ember and on torch 2.13 and is compared live:
printed lines (losses with 4 decimals, reprs, dtypes, shapes, errors' type and first line)
exactly, values to rtol 1e-5 / atol 1e-6. Below them, focused tests of the ctc_loss
differences the sweep found."""

import numpy as np
import pytest
import s21_speech_progs as A
import s21_speech_progs_b as B
import s21_speech_progs_c as C
import s21_speech_progs_d as D
from torch_compare import check_program, run_both, same_error_case, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.deepspeech_bidirectional, D.deepspeech_unidirectional, B.wenet_ctc,
         B.ctc_docs_example, C.ctc_mistakes, C.check_loss_cases, C.packed_and_hardtanh,
         D.espnet_ctc]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


def _log_probs(lib, shape, seed=0, dtype=np.float32):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return lib.from_numpy(x).requires_grad_()


def _graph(t):
    """The grad_fn names from the loss down its first inputs to the leaf."""
    names, fn = [], t.grad_fn
    while fn is not None:
        names.append(type(fn).__name__)
        nxt = [f for f, _ in fn.next_functions if f is not None]
        fn = nxt[0] if nxt else None
    return names


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("unbatched", [False, True])
def test_ctc_loss_graph_and_grad(reduction, zero_infinity, unbatched):
    """zero_infinity puts where(loss == inf, 0, loss) after the CTC node (WhereBackward0
    for reduction='none'); an unbatched loss is squeezed (SqueezeBackward1); the values
    and gradients, an infeasible target among them, stay PyTorch's."""

    def case(lib):
        x = _log_probs(lib, (5, 4) if unbatched else (5, 3, 4))
        lp = x.log_softmax(-1)
        if unbatched:
            args = (lib.tensor([1, 2, 2]), lib.tensor(5), lib.tensor(3))
        else:  # the third target needs 7 frames but has 5: an infinite loss
            args = (lib.tensor([[1, 2, 0, 0], [3, 3, 0, 0], [1, 1, 1, 1]]),
                    lib.tensor([5, 4, 5]), lib.tensor([2, 2, 4]))
        loss = lib.nn.functional.ctc_loss(lp, *args, reduction=reduction,
                                          zero_infinity=zero_infinity)
        loss.backward(lib.ones_like(loss))
        return _graph(loss), tuple(loss.shape), loss.detach().numpy(), x.grad.numpy()

    want, got = run_both(case)
    assert got[:2] == want[:2], (got[:2], want[:2])
    for g, w in zip(got[2:], want[2:]):
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True)


@pytest.mark.parametrize("shape,dtype,lens", [
    ((0, 2, 5), "float32", "tensor"), ((3, 0, 5), "float32", "tensor"),
    ((3, 2, 0), "float32", "tensor"), ((0, 5), "float32", "tensor"),
    ((0,), "float32", "tensor"), ((0, 2, 5, 1), "float32", "tensor"),
    ((0, 2, 5), "float16", "tensor"), ((0, 2, 5), "int64", "tensor"),
    ((0, 2, 5), "float32", "float"), ((0, 2, 5), "float32", "list"),
    ((3, 2, 5, 1), "float16", "tensor"), ((3, 2, 5, 1), "float32", "float"),
    ((3, 2, 5, 1), "float32", "list"), ((3, 2, 5, 1), "float32", "float_target"),
    ((0, 2, 5), "float32", "wrong_batch"), ((3,), "float32", "tensor")])
def test_ctc_loss_empty_and_check_order(shape, dtype, lens):
    """An empty log_probs is an error ('log_probs tensor must not be empty'), raised after
    the overload, integral-lengths and dtype checks and before the dims check, as in
    PyTorch."""

    def case(lib):
        lp = lib.zeros(*shape, dtype=getattr(lib, dtype))
        il, tl = lib.tensor([0, 0]), lib.tensor([0, 0])
        if lens == "float":
            il = il.float()
        elif lens == "float_target":
            tl = tl.float()
        elif lens == "list":
            il = [0, 0]
        elif lens == "wrong_batch":
            il = lib.tensor([0, 0, 0])
        return lib.nn.functional.ctc_loss(lp, lib.tensor([[1], [1]]), il, tl)

    same_error_case(case)
