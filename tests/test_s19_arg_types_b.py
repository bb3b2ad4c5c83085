"""Part 2 of test_s19_arg_types.py: more ops given a str, list, float, None or NumPy array
where PyTorch wants a Tensor (sorts, reductions, shape and copy ops, predicates, linalg,
losses) raise PyTorch's TypeError with its first line; cases kept where PyTorch raises its
parser's "argument ... must be Tensor/Number" TypeError (read live, at collection)."""

from __future__ import annotations


import numpy as np
import pytest
import torch
from argtypes_util import cases, outcome
from torch_compare import error_of

import ember

# (where the op is called from, the call's form) -> op names
OPS = {
    ("lib", "f(b)"): """
        adjoint alias_copy aminmax angle argsort argwhere bernoulli bincount bitwise_not clone
        corrcoef count_nonzero cov cumulative_trapezoid detach detach_copy diag diag_embed
        diagflat diagonal_copy diff flatten fliplr flipud frac frexp geqrf gradient histc
        histogram i0 is_floating_point isfinite isinf isnan isneginf isposinf isreal
        logical_not matrix_exp median mode msort nanmean nanmedian nansum nonzero numel pdist
        pinverse poisson positive prod ravel reciprocal rot90 round sgn signbit slice_copy sort
        squeeze squeeze_copy svd t t_copy trace trapezoid trapz unbind unbind_copy unique
        unique_consecutive vander combinations repeat_interleave""",
    ("lib", "f(x, b)"): """
        binary_cross_entropy_with_logits cdist cholesky_solve conv_transpose1d
        cosine_similarity diagonal_scatter hinge_embedding_loss kl_div lu_unpack masked_select
        orgqr pairwise_distance prelu slice_scatter take triangular_solve""",
    ("lib.nn.functional", "f(b)"): "dropout feature_alpha_dropout pdist",
    ("lib.nn.functional", "f(x, b)"): """
        conv_transpose1d cosine_similarity hinge_embedding_loss kl_div multi_margin_loss
        multilabel_margin_loss pairwise_distance prelu soft_margin_loss grid_sample""",
    ("lib.linalg", "f(x, b)"): "vecdot",
    ("x", "x.f(b)"): """
        cholesky_solve diagonal_scatter masked_select prelu slice_scatter take
        triangular_solve is_same_size""",
}





CASES = cases(OPS)


def test_cases_collected():
    # the parser's error for most (op, value) pairs listed: the list stays meaningful
    assert len(CASES) > 500


@pytest.mark.parametrize("call, bad, want", CASES)
def test_non_tensor_argument(call, bad, want):
    assert outcome(ember, call, ember.ones(2, 2), bad) == want


# Number arguments (an activation's alpha, lambd, slope; arange's bounds),
# tensor-only ops that took anything, and PyTorch's own op and
# argument names (the linalg_ prefix, torch.inverse's input, aliases as called)
SNIPPETS = """
    lib.celu(x, 'a') | lib.celu(x, [1.0]) | lib.nn.functional.celu(x, None)
    lib.nn.functional.elu(x, 'a') | lib.nn.functional.elu(x, np.ones(2))
    lib.nn.functional.leaky_relu(x, 'a') | lib.nn.functional.leaky_relu(x, None)
    lib.rrelu(x, 'a') | lib.nn.functional.rrelu(x, 0.1, 'a') | lib.nn.functional.rrelu(x, [1.0])
    lib.hardshrink(x, 'a') | lib.nn.functional.hardshrink(x, None) | x.hardshrink('a')
    lib.nn.functional.softshrink(x, 'a') | lib.nn.functional.softshrink(x, [1.0])
    lib.nn.functional.celu_(x, 'a') | lib.nn.functional.elu_(x, None)
    lib.nn.functional.leaky_relu_(x, [1.0]) | lib.celu('a', 'b')
    lib.arange(0, 'a') | lib.arange(0, 2, 'a') | lib.arange('a', 2, 1)
    lib.arange(0.5, [1.0]) | lib.arange(0, np.ones(2)) | lib.arange(0, 'a', dtype=lib.float32)
    lib.arange(0, end='a') | lib.arange(0, 'a', requires_grad=True)
    x.logical_and('a') | lib.logical_and(x, 1.5) | lib.logical_or(x, [1.0]) | x.logical_xor(None)
    lib.logical_and(x, True) | lib.logical_and('a', x)
    lib.clone(np.ones(2)) | lib.conj('a') | lib.conj(np.ones(2)) | lib.real([1.0])
    lib.resolve_conj('a') | lib.resolve_neg(None) | lib.conj_physical('a') | lib.is_conj('a')
    lib.nan_to_num('a') | lib.nan_to_num(np.ones(2))
    lib.det('a') | lib.inverse('a') | lib.slogdet(None) | lib.logdet('a') | lib.pinverse('a')
    lib.nuclear_norm('a') | lib.matrix_power('a', 2) | lib.linalg.det('a') | lib.linalg.inv('a')
    lib.linalg.slogdet('a') | lib.linalg.qr('a') | lib.linalg.matmul(x, 'a')
    lib.linalg.cross(x, 'a') | lib.linalg.diagonal('a') | lib.linalg.matrix_norm('a')
    lib.linalg.matrix_power('a', 2) | lib.linalg.matrix_exp('a') | lib.linalg.vecdot(x, 'a')
    lib.nn.functional.logsigmoid('a') | x.arctan2('a') | lib.arctan2(x, 'a') | lib.arctan2('a', x)
    lib.special.bessel_y0('a') | lib.special.modified_bessel_k1([1.0])
    lib.special.airy_ai(np.ones(2)) | lib.special.gammainc(x, np.ones(2))
    lib.binomial(x, np.ones(2)) | lib.unique('a')
""".replace("\n", "|").split("|")
SNIPPETS = [s.strip() for s in SNIPPETS if s.strip()]


def _snippetoutcome(lib, snippet):
    call = eval(f"lambda lib, x: {snippet}")  # noqa: S307 - fixed snippets
    try:
        return error_of(lambda: call(lib, lib.ones(2)))
    except AssertionError:  # no exception raised
        return None


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_refused_as_pytorch(snippet):
    want = _snippetoutcome(torch, snippet)
    assert want is not None and want[0] == "TypeError"
    assert _snippetoutcome(ember, snippet) == want


# what PyTorch takes stays taken: the operators with arrays, numbers as Number arguments
TAKEN = ["x + np.ones(2)", "x - np.ones(2)", "x * np.ones(2)", "x / np.ones(2)",
         "x * np.ones(2, dtype=np.float32)", "x @ np.ones((2, 2))", "x + np.float64(2.0)",
         "lib.add(x, np.float64(1.0))", "lib.celu(x, lib.tensor(0.5))",
         "lib.nn.functional.leaky_relu(x, True)", "lib.nn.functional.elu(x, 2)",
         "lib.nn.functional.softshrink(x, np.float32(0.25))", "lib.arange(0, 3, 0.5)",
         "lib.logical_and(x, lib.zeros(2))", "lib.conj(x)", "lib.nn.functional.rrelu(x, 0, 1)",
         "lib.hardshrink(x, 1)"]


@pytest.mark.parametrize("snippet", TAKEN)
def test_still_taken(snippet):
    call = eval(f"lambda lib, x: {snippet}")  # noqa: S307 - fixed snippets
    want = call(torch, torch.ones(2))
    got = call(ember, ember.ones(2))
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_array_equal(np.asarray(got), want.numpy())
