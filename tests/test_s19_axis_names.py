"""NumPy's ``axis=`` / ``keepdims=`` as PyTorch's argument parser reads them: other names of
``dim`` / ``keepdim`` (the same values and gradients), and a TypeError naming the alias when
both names of one argument are given (positionally or by keyword). Compared live with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from torch_compare import error_of, run_both, seeded

import ember
import torch

# (expression on x, a 2x3 float tensor, and the library as `t`): taken, with axis= or keepdims=
TAKEN = [
    "x.sum(axis=1)", "x.sum(axis=0, keepdims=True)", "t.sum(x, axis=(0, 1))",
    "x.mean(axis=1, keepdims=True)", "x.prod(axis=0)", "x.logsumexp(axis=1)",
    "x.amax(axis=1)", "x.amin(axis=(0, 1))", "x.max(axis=1).values", "x.min(axis=0).indices",
    "x.argmax(axis=1)", "x.argmin(axis=0, keepdims=True)", "x.var(axis=0)",
    "x.std(axis=1, keepdims=True)", "t.var_mean(x, axis=0)[0]", "t.std_mean(x, axis=1)[1]",
    "x.nanmean(axis=0)", "t.nanmean(x, axis=1)", "t.aminmax(x, axis=0).max",
    "x.kthvalue(1, axis=0).values", "x.quantile(0.5, axis=0)", "x.nanquantile(0.5, axis=1)",
    "x.mode(axis=0).values", "t.mode(x, axis=1).indices", "x.size(axis=1)",
    "t.take_along_dim(x, t.tensor([[0]]), axis=0)", "t.trapezoid(x, axis=0)",
    "t.cumulative_trapezoid(x, axis=1)", "t.linalg.vector_norm(x, axis=0)",
    "t.linalg.vector_norm(x, axis=1, keepdims=True)", "t.linalg.norm(x, axis=0)",
    "t.linalg.matrix_norm(x, axis=(0, 1))",
    "x.scatter(axis=1, index=t.tensor([[0], [1]]), value=0.5)",
    "x.scatter_add(axis=0, index=t.tensor([[1, 0, 1]]), src=x[:1])",
    "x.index_add(axis=0, index=t.tensor([0]), source=x[:1])",
    "x.index_fill(axis=1, index=t.tensor([2]), value=-1.0)",
    "x.scatter_reduce(axis=1, index=t.tensor([[0], [0]]), src=x[:, :1], reduce='amax')",
    "t.cat([x, x], axis=1)", "t.stack([x, x], axis=2)", "x.softmax(axis=1)",
]

# both names given: PyTorch's parser refuses (its TypeError names the alias)
REFUSED = [
    "x.sum(0, axis=1)", "x.sum(dim=0, axis=0)", "t.sum(x, 0, axis=1)",
    "x.sum(0, keepdim=True, keepdims=True)", "x.sum(axis=0, keepdim=True, keepdims=False)",
    "x.mean(0, axis=0)", "x.mean(dim=1, axis=1)", "x.prod(0, axis=0)",
    "x.logsumexp(0, axis=0)", "t.amax(x, 0, axis=1)", "x.amin(dim=0, axis=0)",
    "x.max(0, axis=0)", "x.min(dim=1, axis=1)", "x.argmax(0, axis=0)", "x.argmin(dim=1, axis=1)",
    "x.nansum(0, axis=0)", "x.median(0, axis=0)", "x.unsqueeze(0, axis=0)",
    "x.index_select(0, t.tensor([0]), axis=0)", "x.mode(0, axis=0)", "x.size(0, axis=1)",
    "x.size(dim=0, axis=1)", "x.cumsum(0, axis=0)", "x.softmax(0, axis=0)",
    "x.log_softmax(1, axis=1)", "t.cat([x, x], 1, axis=0)", "t.stack([x, x], dim=1, axis=0)",
    "t.linalg.vector_norm(x, 2, 0, axis=0)", "t.linalg.vector_norm(x, dim=0, axis=0)",
    "x.kthvalue(1, 0, axis=0)",
]
# (overloaded ops, such as scatter, sort, count_nonzero and torch.min, word it as "received an
# invalid combination of arguments" with their overloads: README "Differences")


def _x(lib):
    return lib.arange(6.0).reshape(2, 3) - 2.5


@pytest.mark.parametrize("expr", TAKEN)
def test_numpy_names_are_taken(expr):
    want, got = run_both(lambda lib: eval(expr, {"t": lib, "x": _x(lib)}))
    assert not isinstance(want, tuple) or not isinstance(want[0], str), want  # torch takes it
    if isinstance(want, int):
        assert got == want and type(got) is int
        return
    w, g = want.numpy(), got.numpy()
    assert w.dtype == g.dtype and w.shape == g.shape, (w.dtype, g.dtype, w.shape, g.shape)
    np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("expr", REFUSED)
def test_both_names_refused_as_pytorch(expr):
    want = error_of(lambda: eval(expr, {"t": torch, "x": _x(torch)}))
    got = error_of(lambda: eval(expr, {"t": ember, "x": _x(ember)}))
    assert want[0] == "TypeError"
    assert got == want, f"ember: {got}\ntorch: {want}"


@pytest.mark.parametrize("expr", ["x.sum(axis=1)", "x.logsumexp(axis=0)", "x.var(axis=1)",
                                  "x.amax(axis=0)", "t.linalg.vector_norm(x, axis=1)"])
def test_gradient_through_the_alias(expr):
    grads = []
    for lib in (torch, ember):
        x = seeded(lib, (2, 3), grad=True, dtype=np.float64)
        eval(expr, {"t": lib, "x": x}).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-14)
