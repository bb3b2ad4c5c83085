"""Session 20: adversarial-robustness code as users type it (tests/s20_adversarial_progs*.py):
the FGSM tutorial, L-inf / L2 PGD, yaodongyu/TRADES, YisenWang/MART, Carlini-Wagner L2,
DeepFool, adversarial training loops and locuslab/smoothing's certification, run on ember and
on torch 2.13 and compared live: printed lines (losses with 4 decimals), dtypes, shapes,
warnings and errors (type and first line) exactly, values to rtol 1e-5 / atol 1e-6."""

import numpy as np
import pytest
import s20_adversarial_progs as A
import s20_adversarial_progs_b as B
import s20_adversarial_progs_c as C
import s20_adversarial_progs_d as D
from torch_compare import check_program, same, same_error_case

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.fgsm_tutorial, A.pgd_linf, A.pgd_l2, A.trades, A.mart, B.cw_l2,
         B.cw_binary_search, B.deepfool, B.deepfool_lts4, B.mi_fgsm,
         C.fast_fgsm_training, C.free_training, C.mixed_adversarial_training,
         C.trades_pgd_whitebox, C.randomized_smoothing,
         D.deepfool_autograd_rows, D.robustness_eval]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


@pytest.mark.parametrize("p", ["default", "fro", None, 2, 2.0])
@pytest.mark.parametrize("dim", [(1, 2, 3), [1, 2, 3], (0, 1, 2, 3), (-1, 1, 2), (1,), (),
                                 (1, 2), (1, 1)])
@pytest.mark.parametrize("form", ["function", "method", "int"])
def test_frobenius_norm_over_more_than_two_dims(p, dim, form):
    """torch.norm's default p='fro' is a matrix norm when dim is a sequence: over three or
    more dims (an L2 attack's torch.norm(delta, dim=(1, 2, 3))) PyTorch refuses it
    ("linalg.matrix_norm: dim must be a 2-tuple. Got 1 2 3"), and for an integer tensor
    complains of the dtype in matrix_norm's words; p=2 or None is the vector norm over any
    dims. ember took 'fro' as the 2-norm and returned values."""
    def case(L):
        x = L.from_numpy(np.random.RandomState(0).randn(2, 3, 4, 5).astype(np.float32))
        if form == "int":
            x = x.long()
        kw = {} if p == "default" else {"p": p}
        out = x.norm(dim=dim, **kw) if form == "method" else L.norm(x, dim=dim, **kw)
        return str(out.dtype), tuple(out.shape), np.round(out.numpy(), 4).tolist()
    same(case)


CLAMP_CALLS = [lambda L, x, t: L.clamp(x, 0.1, t), lambda L, x, t: L.clamp(x, 0.1, max=t),
               lambda L, x, t: L.clamp(x, min=t, max=0.1),
               lambda L, x, t: x.clamp(min=0.1, max=t), lambda L, x, t: x.clamp(0.1, t),
               lambda L, x, t: L.clip(x, min=0.1, max=t),
               lambda L, x, t: x.clamp_(min=0.1, max=t), lambda L, x, t: x.clip(0.1, max=t),
               lambda L, x, t: x.clip_(t, 0.3), lambda L, x, t: L.clamp_(x, 0.2, max=t),
               lambda L, x, t: L.clamp(x, t, 0.1)]


@pytest.mark.parametrize("call", range(len(CLAMP_CALLS)))
def test_clamp_mixed_bounds_refusal_as_written(call):
    """clamp with one tensor bound and one number bound (a PGD projection written
    torch.clamp(x, min=0.0, max=x0 + eps)) is PyTorch's parser error, worded from the call as
    written: the name used (clip, clamp_), keywords as keywords, last to first. ember listed
    three positional types under clamp() whatever the call."""
    same_error_case(lambda L: CLAMP_CALLS[call](L, L.ones(2), L.zeros(2)))


MAX_CALLS = [lambda L, x: L.max(x, dim=(1, 2)), lambda L, x: L.max(x, (1, 2)),
             lambda L, x: x.max(dim=(1, 2)), lambda L, x: x.max((1, 2), True),
             lambda L, x: L.max(x, dim=[1, 2], keepdim=True),
             lambda L, x: x.min(dim=(1, 2), keepdim=False), lambda L, x: L.min(x, (1,)),
             lambda L, x: x.max(keepdim=True, dim=(1, 2)), lambda L, x: L.max(x, (1, 2), True),
             lambda L, x: x.max((1, 2)), lambda L, x: L.min(x, dim=(1,), keepdim=True)]


@pytest.mark.parametrize("call", range(len(MAX_CALLS)))
def test_max_min_over_several_dims_refusal_as_written(call):
    """max/min take one dim (a per-sample max over (1, 2, 3) needs amax): PyTorch's parser
    error names the call as written: keywords as keywords (torch.max(x, dim=(1, 2)) is "got
    (Tensor, dim=tuple)"), the method without its input, and the method with a keepdim
    "argument 'dim' must be int, not tuple". ember always wrote "got (Tensor, tuple)"."""
    same_error_case(lambda L: MAX_CALLS[call](L, L.ones(2, 3, 4)))
