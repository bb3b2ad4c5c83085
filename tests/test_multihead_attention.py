"""nn.MultiheadAttention against PyTorch 2.13: same weights, same outputs, attention weights and
gradients (inputs and parameters); masks, batch_first, unbatched, kdim/vdim; errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from torch_compare import error_of

R = np.random.default_rng(5)


def rand(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def pair_modules(*args, **kw):
    e, t = ember.nn.MultiheadAttention(*args, **kw), torch.nn.MultiheadAttention(*args, **kw)
    t.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in e.state_dict().items()})
    return e, t


def run(e_mod, t_mod, arrays, masks=None, rtol=1e-5, atol=1e-6, **kw):
    masks = masks or {}
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_m = {k: ember.tensor(v) for k, v in masks.items()}
    t_m = {k: torch.tensor(v) for k, v in masks.items()}
    e_out, e_w = e_mod(*e_in, **e_m, **kw)
    t_out, t_w = t_mod(*t_in, **t_m, **kw)
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol, atol)
    assert (e_w is None) == (t_w is None)
    if t_w is not None:
        assert tuple(e_w.shape) == tuple(t_w.shape)
        np.testing.assert_allclose(e_w.detach().numpy(), t_w.detach().numpy(), rtol, atol)
    w = rand(*t_out.shape)
    (e_out * ember.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    for a, b in zip(e_in, t_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol * 10, atol * 10)
    t_params = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol * 10,
                                   atol * 10)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_self_attention(batch_first, need_weights, average):
    e, t = pair_modules(8, 2, batch_first=batch_first)
    x = rand(3, 4, 8)
    run(e, t, [x, x, x], need_weights=need_weights, average_attn_weights=average)


def test_cross_attention_kdim_vdim_no_bias():
    e, t = pair_modules(6, 3, kdim=4, vdim=5, bias=False)
    assert list(e.state_dict()) == list(t.state_dict())
    run(e, t, [rand(2, 3, 6), rand(5, 3, 4), rand(5, 3, 5)])


def test_masks():
    e, t = pair_modules(8, 4, batch_first=True)
    q, kv = rand(2, 3, 8), rand(2, 5, 8)
    causal = np.triu(np.ones((3, 5), bool), 1)
    pad = np.array([[False] * 5, [False, False, False, True, True]])
    run(e, t, [q, kv, kv], {"attn_mask": causal})
    run(e, t, [q, kv, kv], {"key_padding_mask": pad})
    run(e, t, [q, kv, kv], {"attn_mask": causal, "key_padding_mask": pad})
    run(e, t, [q, kv, kv], {"attn_mask": rand(3, 5)}, average_attn_weights=False)
    run(e, t, [q, kv, kv], {"attn_mask": rand(8, 3, 5)})
    run(e, t, [q, kv, kv], {"attn_mask": causal}, is_causal=True)


def test_unbatched_and_eval_mode():
    e, t = pair_modules(4, 2, dropout=0.5)
    e.eval(), t.eval()
    x = rand(5, 4)
    run(e, t, [x, x, x], {"key_padding_mask": np.array([False, True, False, False, True])})


def test_dropout_training_changes_weights():
    ember.manual_seed(0)
    e = ember.nn.MultiheadAttention(4, 1, dropout=0.5)
    x = ember.tensor(rand(6, 2, 4))
    _, w = e(x, x, x)
    assert (w.detach().numpy() == 0).any()  # some weights dropped, the rest scaled by 2
    e.eval()
    _, w = e(x, x, x)
    np.testing.assert_allclose(w.detach().numpy().sum(-1), 1.0, rtol=1e-5)


def test_errors():
    for args in ((8, 3), (0, 2)):
        assert error_of(lambda: ember.nn.MultiheadAttention(*args)) == \
            error_of(lambda: torch.nn.MultiheadAttention(*args))
    e, t = pair_modules(8, 2)
    for kw, shapes in ((dict(is_causal=True), ((3, 2, 8),) * 3),
                       (dict(), ((3, 2, 6),) * 3)):
        arrays = [rand(*s) for s in shapes]
        assert error_of(lambda: e(*[ember.tensor(a) for a in arrays], **kw)) == \
            error_of(lambda: t(*[torch.tensor(a) for a in arrays], **kw))
    x = rand(3, 2, 8)
    for mask in (np.zeros((3, 4), bool), np.zeros((2, 3, 3), bool)):
        got = error_of(lambda: e(*(ember.tensor(x),) * 3, attn_mask=ember.tensor(mask)))
        want = error_of(lambda: t(*(torch.tensor(x),) * 3, attn_mask=torch.tensor(mask)))
        assert got == want
