"""Batched products of small matrices (< 400 multiply-adds each) round as PyTorch's bmm kernel
does: each entry's k products summed one at a time from 0. Checked bit for bit against live
PyTorch, forward and both gradients (which are small batched products too)."""

import numpy as np
import pytest
import torch

import ember

SHAPES = [((2, 3, 4), (2, 4, 5)), ((5, 1, 7), (5, 7, 3)), ((3, 8, 6), (3, 6, 8)),
          ((2, 3, 2, 5), (2, 3, 5, 4)), ((4, 1, 399), (4, 399, 1)), ((2, 19, 1), (2, 1, 21)),
          ((6, 2, 30), (6, 30, 2)), ((2, 2, 3, 7), (2, 2, 7, 5))]
# (a broadcast batch dim on an operand that requires grad is folded into one 2-D product by
# PyTorch, which rounds as its BLAS does: see test_broadcast_left_batch_without_grad)
CASES = [("matmul", sa, sb) for sa, sb in SHAPES] + [
    ("bmm", sa, sb) for sa, sb in SHAPES if len(sa) == 3 and sa[0] == sb[0]]


def _bits(x) -> bytes:
    return np.ascontiguousarray(x).tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("fn,sa,sb", CASES)
def test_small_batched_products_match_torch_bits(fn, sa, sb, dtype):
    rng = np.random.default_rng(sum(sa) * 7 + sum(sb))
    a = rng.standard_normal(sa).astype(dtype)
    b = rng.standard_normal(sb).astype(dtype)
    outs = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(b, requires_grad=True)
        out = getattr(lib, fn)(x, y)
        g = lib.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype))
        out.backward(g)
        outs.append([out.detach().numpy(), x.grad.numpy(), y.grad.numpy()])
    for want, got in zip(*outs):
        assert want.dtype == got.dtype and want.shape == got.shape
        assert _bits(want) == _bits(got)


def test_broadcast_left_batch_without_grad():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((1, 4, 9)).astype(np.float32)
    b = rng.standard_normal((3, 9, 7)).astype(np.float32)
    want = torch.matmul(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    got = ember.matmul(ember.from_numpy(a), ember.from_numpy(b)).numpy()
    assert _bits(want) == _bits(got)


def test_sum_of_negative_zeros_is_positive_zero():
    a = np.zeros((1, 2, 3), np.float32)
    b = -np.ones((1, 3, 2), np.float32)
    want = torch.bmm(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    got = ember.bmm(ember.from_numpy(a), ember.from_numpy(b)).numpy()
    assert _bits(want) == _bits(got)
    assert not np.signbit(got).any()


def test_attention_weights_print_as_torch():
    """d2l's attention pooling: softmax weights times values print the same digits."""
    torch.manual_seed(0)
    ember.manual_seed(0)
    texts = []
    for lib in (torch, ember):
        scores = lib.tensor([[[0.5, 0.1, 0.7, 0.2]], [[0.3, 0.9, 0.2, 0.4]]])
        values = lib.arange(40, dtype=lib.float32).reshape(1, 10, 4).repeat(2, 1, 1)
        w = lib.softmax(scores, dim=-1)
        texts.append(repr(lib.bmm(w, values[:, :4, :])))
    assert texts[0] == texts[1]
