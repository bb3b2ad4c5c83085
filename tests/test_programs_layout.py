"""Memory layout parity with PyTorch: the strides of results computed from non-contiguous
inputs (they show in ``stride()``/``is_contiguous()`` and decide the order in which samplers
such as dropout fill a tensor made like the result)."""

import pytest
import torch

import ember


def _layouts(T, g=None):
    """The layouts every op is tried on, cut from ``g`` (120 values)."""
    g = T.arange(120.0) if g is None else g
    return {
        "contig": g[:12].reshape(3, 4),
        "T2": g[:12].reshape(4, 3).t(),
        "perm3": g[:24].reshape(2, 3, 4).permute(2, 0, 1),
        "perm3b": g[:24].reshape(2, 3, 4).permute(1, 2, 0),
        "T3": g[:24].reshape(2, 3, 4).transpose(1, 2),
        "perm4": g.reshape(2, 3, 4, 5).permute(0, 2, 3, 1),
        "cl4": g.reshape(2, 3, 4, 5).contiguous(memory_format=T.channels_last),
        "slice": g[:48].reshape(6, 8)[::2, 1:5],
        "sliceT": g[:48].reshape(8, 6)[1:5, ::2].t(),
        "expand": g[:4].reshape(1, 4).expand(3, 4),
    }


OPS = {
    "add_contig": lambda T, x: x + T.ones(x.shape),
    "contig_add": lambda T, x: T.ones(x.shape) + x,
    "mul_contig": lambda T, x: x * T.ones(x.shape),
    "sub_contig": lambda T, x: x - T.ones(x.shape),
    "div_contig": lambda T, x: x / T.ones(x.shape),
    "torch_add": lambda T, x: T.add(x, T.ones(x.shape)),
    "sum0": lambda T, x: x.sum(0),
    "sum1": lambda T, x: x.sum(1),
    "sum_keep": lambda T, x: x.sum(-1, keepdim=True),
    "sum0_keep": lambda T, x: x.sum(0, keepdim=True),
    "mean1": lambda T, x: x.mean(1),
    "amax1": lambda T, x: x.amax(1),
    "std0": lambda T, x: x.std(0),
    "var1": lambda T, x: x.var(1),
    "prod1": lambda T, x: x.prod(1),
    "norm1": lambda T, x: x.norm(dim=1),
    "logsumexp1": lambda T, x: x.logsumexp(1),
    "max1": lambda T, x: x.max(1).values,
    "argmax1": lambda T, x: x.argmax(1),
    "any1": lambda T, x: (x > 3).any(1),
    "count_nz": lambda T, x: T.count_nonzero(x, 1),
    "softmax0": lambda T, x: x.softmax(0),
    "log_softmax": lambda T, x: x.log_softmax(-1),
    "cumsum1": lambda T, x: x.cumsum(1),
    "cumprod0": lambda T, x: x.cumprod(0),
    "logcumsumexp": lambda T, x: x.logcumsumexp(1),
    "cat0": lambda T, x: T.cat([x, x], 0),
    "cat1": lambda T, x: T.cat([x, x], 1),
    "stack_last": lambda T, x: T.stack([x, x], -1),
    "sort": lambda T, x: x.sort(-1).values,
    "sort_idx": lambda T, x: x.sort(1).indices,
    "argsort0": lambda T, x: x.argsort(0),
    "flip": lambda T, x: x.flip(0),
    "roll": lambda T, x: x.roll(1, 0),
    "masked_fill": lambda T, x: x.masked_fill(x > 3, 0.0),
    "layer_norm": lambda T, x: T.nn.functional.layer_norm(x, x.shape[-1:]),
    "clone": lambda T, x: x.clone(),
    "clone_contig": lambda T, x: x.clone(memory_format=T.contiguous_format),
    "double": lambda T, x: x.double(),
    "to_int": lambda T, x: x.to(T.int32),
    "nonzero": lambda T, x: (x > 1).nonzero(),
    "index_cols": lambda T, x: x[:, [0, 1]],
    "index_rows": lambda T, x: x[[1, 0]],
    "index_mask_cols": lambda T, x: x[:, T.tensor([True, False, True])],
    "index_select": lambda T, x: x.index_select(1, T.tensor([1, 0])),
}


def _layout(t):
    return tuple(t.shape), t.stride(), t.is_contiguous()


def check_layouts(op, f, layouts=_layouts):
    """f(lib, x) on every layout x: the same shape, strides, contiguity and values as torch."""
    lt, le = layouts(torch), layouts(ember)
    for name in lt:
        try:
            want = f(torch, lt[name])
        except Exception:  # noqa: BLE001 - an op that does not apply to this layout
            continue
        got = f(ember, le[name])
        assert _layout(got) == _layout(want), (op, name)
        assert torch.allclose(torch.tensor(got.tolist()).double(),
                              torch.tensor(want.tolist()).double(),
                              rtol=1e-5, atol=1e-6, equal_nan=True), (op, name)


@pytest.mark.parametrize("op", sorted(OPS))
def test_result_layout_matches_torch(op):
    check_layouts(op, OPS[op])


def _vit_tokens(T):
    """A ViT's patch tokens: conv, flatten, transpose (not contiguous), plus a position
    embedding, then dropout: PyTorch's mask follows the tokens' memory order."""
    T.manual_seed(0)
    proj = T.nn.Conv2d(3, 4, 2, 2)
    pos = T.zeros(1, 4, 4)
    x = proj(T.randn(2, 3, 4, 4)).flatten(2).transpose(1, 2) + pos
    return x.stride(), (T.nn.functional.dropout(x, 0.5) == 0).tolist(), T.rand_like(x).tolist()


def test_dropout_after_transposed_tokens_plus_embedding_matches_torch():
    want, got = _vit_tokens(torch), _vit_tokens(ember)
    assert got[0] == want[0] and got[1] == want[1]
    assert torch.allclose(torch.tensor(got[2]), torch.tensor(want[2]))


def test_transposed_result_of_arithmetic_views_as_in_torch():
    for T in (torch, ember):
        x, c = T.arange(12.0).reshape(3, 4).t(), T.ones(4, 3)
        assert (x * c).t().view(-1).tolist() == list(map(float, range(12)))
        assert (x + c).stride() == (1, 4) and not (x - c).is_contiguous()


def test_grads_through_relaid_results_match_torch():
    out = []
    for T in (torch, ember):
        w = T.arange(24.0).reshape(2, 3, 4).requires_grad_()
        y = (w.transpose(1, 2) * T.ones(2, 4, 3)).softmax(1).sum(0).cumsum(0)
        z = T.cat([y, y.t().flip(0).t()], 0)[:, [2, 0]].sort(0).values
        z.pow(2).sum().backward()
        out.append((z.stride(), w.grad.tolist()))
    assert out[0][0] == out[1][0]
    assert torch.allclose(torch.tensor(out[1][1]), torch.tensor(out[0][1]), rtol=1e-5, atol=1e-6)
