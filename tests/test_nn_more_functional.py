"""F.upsample / upsample_nearest / upsample_bilinear, F.conv_tbc and
F.multi_head_attention_forward against PyTorch 2.13 (values, gradients, warnings, errors)
and float64 finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from nn_more_util import close, np_of, same_error, to_ember

import ember
from ember.autograd import gradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(5)


def caught(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [(x.category, str(x.message), x.filename) for x in w]


@pytest.mark.parametrize("name,args,kw", [
    ("upsample", (), dict(scale_factor=2)),
    ("upsample", ((5, 7),), dict(mode="bilinear", align_corners=False)),
    ("upsample", (None, 1.5), dict(mode="bicubic", align_corners=True)),
    ("upsample_nearest", (), dict(size=(3, 8))),
    ("upsample_nearest", (None, 3), {}),
    ("upsample_bilinear", (), dict(scale_factor=2)),
    ("upsample_bilinear", ((4, 9),), {})])
def test_upsample_aliases(name, args, kw):
    a = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, we = caught(lambda: getattr(F, name)(xe, *args, **kw))
    yt, wt = caught(lambda: getattr(TF, name)(xt, *args, **kw))
    assert [x[:2] for x in we] == [x[:2] for x in wt]
    assert [x[2] for x in we] == [__file__]  # the warning points at the caller
    close(ye, yt, 1e-5, 1e-6)
    g = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    close(xe.grad, xt.grad, 1e-5, 1e-5)


def conv_tbc_pair(steps, batch, c_in, width, c_out, dtype=np.float32):
    return [RNG.standard_normal(s).astype(dtype)
            for s in ((steps, batch, c_in), (width, c_in, c_out), (c_out,))]


@pytest.mark.parametrize("shape,pad", [((7, 2, 3, 3, 4), 0), ((7, 2, 3, 3, 4), 1),
                                       ((5, 3, 2, 2, 5), 2), ((6, 1, 4, 3, 2), -1),
                                       ((4, 2, 3, 1, 3), 0), ((3, 2, 2, 5, 2), 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_tbc(shape, pad, dtype):
    arrays = conv_tbc_pair(*shape, dtype=dtype)
    te = [ember.tensor(a, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    ye, yt = F.conv_tbc(*te, pad), TF.conv_tbc(*tt, pad)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    close(ye, yt, tol, tol)
    g = RNG.standard_normal(tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for e, t in zip(te, tt):
        close(e.grad, t.grad, tol * 10, tol * 10)


def test_conv_tbc_finite_differences_and_dtypes():
    arrays = conv_tbc_pair(5, 2, 3, 3, 2, np.float64)
    leaves = tuple(ember.tensor(a, requires_grad=True) for a in arrays)
    assert gradcheck(lambda x, w, b: F.conv_tbc(x, w, b, 1), leaves)
    x, w, b = conv_tbc_pair(6, 2, 3, 2, 4)
    ye = F.conv_tbc(ember.tensor(x), ember.tensor(w), ember.tensor(b.astype(np.float64)))
    yt = TF.conv_tbc(torch.tensor(x), torch.tensor(w), torch.tensor(b.astype(np.float64)))
    close(ye, yt, 1e-5, 1e-6)  # the bias is cast to the input's dtype
    xi, wi, bi = (np.round(a * 3).astype(np.int64) for a in (x, w, b))
    close(F.conv_tbc(ember.tensor(xi), ember.tensor(wi), ember.tensor(bi)),
          TF.conv_tbc(torch.tensor(xi), torch.tensor(wi), torch.tensor(bi)), 0, 0)


def test_conv_tbc_errors():
    x, w, b = (torch.tensor(a) for a in conv_tbc_pair(7, 2, 3, 3, 4))
    cases = [(x, w, None), (x[0], w, b), (x, w[0], b), (x, w, b[:1, None]), (x, w[:, :2], b),
             (x, w, b[:3]), (x, torch.randn(9, 3, 4), b), (x, w.double(), b),
             (x.double(), w, b)]
    for args in cases:
        same_error(lambda: F.conv_tbc(*to_ember(args)), lambda: TF.conv_tbc(*args))


E, H, L, S, N = 8, 2, 3, 4, 2


def mha_inputs(kdim=E, vdim=E, dtype=np.float64):
    def arr(*s):
        return RNG.standard_normal(s).astype(dtype)
    return dict(q=arr(L, N, E), k=arr(S, N, kdim), v=arr(S, N, vdim), w=arr(3 * E, E),
                b=arr(3 * E), bk=arr(1, 1, E), bv=arr(1, 1, E), ow=arr(E, E), ob=arr(E),
                wq=arr(E, E), wk=arr(E, kdim), wv=arr(E, vdim), sk=arr(N * H, S, E // H),
                sv=arr(N * H, S, E // H))


def run_mha(lib, vals, masks, batched=True, **opts):
    """F.multi_head_attention_forward on ``lib`` with leaves for every value; returns
    (output, weights, grads of (1.3 * out.sum() + weights.sum()))."""
    t = {k: lib.tensor(v.copy(), requires_grad=True) for k, v in vals.items()}
    q, k, v = t["q"], t["k"], t["v"]
    if not batched:
        q, k, v = q[:, 0], k[:, 0], v[:, 0]
    sep = opts.pop("separate", False)
    bias_kv = opts.pop("bias_kv", False)
    static = opts.pop("static", False)
    m = {name: (lib.tensor(a) if a is not None else None) for name, a in masks.items()}
    out, w = lib.nn.functional.multi_head_attention_forward(
        q, k, v, E, H, None if sep else t["w"], t["b"], t["bk"] if bias_kv else None,
        t["bv"] if bias_kv else None, opts.pop("zero", False), 0.0, t["ow"], t["ob"],
        key_padding_mask=m.get("kpm"), attn_mask=m.get("am"), use_separate_proj_weight=sep,
        q_proj_weight=t["wq"] if sep else None, k_proj_weight=t["wk"] if sep else None,
        v_proj_weight=t["wv"] if sep else None, static_k=t["sk"] if static else None,
        static_v=t["sv"] if static else None, **opts)
    loss = out.sum() * 1.3 + (w.sum() if w is not None else 0)
    loss.backward()
    return out, w, {k: v.grad for k, v in t.items()}


def compare_mha(vals, masks, **opts):
    oe, we, ge = run_mha(ember, vals, masks, **dict(opts))
    ot, wt, gt = run_mha(torch, vals, masks, **dict(opts))
    close(oe, ot, 1e-10, 1e-10)
    assert (we is None) == (wt is None)
    if wt is not None:
        close(we, wt, 1e-10, 1e-10)
    for name, g in gt.items():
        if g is None:
            assert ge[name] is None or not ge[name].numpy().any(), name
        else:
            close(ge[name], g, 1e-9, 1e-10)


def key_padding(kind=bool, cols=S):
    mask = RNG.random((N, cols)) < 0.3
    mask[:, 0] = False
    return mask if kind is bool else np.where(mask, -np.inf, 0.0)


def attn(shape=(L, S), kind=bool):
    mask = RNG.random(shape) < 0.3
    mask[..., 0] = False
    return mask if kind is bool else RNG.standard_normal(shape)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("bias_kv", [True, False])
@pytest.mark.parametrize("zero", [True, False])
@pytest.mark.parametrize("masked", [True, False])
def test_mha_options(need_weights, bias_kv, zero, masked):
    masks = dict(kpm=key_padding(), am=attn()) if masked else {}
    compare_mha(mha_inputs(), masks, need_weights=need_weights, bias_kv=bias_kv, zero=zero)


@pytest.mark.parametrize("masks,opts", [
    (dict(am=attn((N * H, L, S), float)), dict(average_attn_weights=False)),
    (dict(kpm=key_padding(float), am=attn(kind=float)), dict(need_weights=False)),
    (dict(am=np.triu(np.ones((L, S), bool), 1)), dict(need_weights=False, is_causal=True)),
    (dict(am=np.triu(np.ones((L, S), bool), 1)), dict(need_weights=True, is_causal=True)),
    (dict(kpm=key_padding(), am=np.triu(np.ones((L, S), bool), 1)),
     dict(need_weights=False, is_causal=True)),
    ({}, dict(separate=True)), (dict(kpm=key_padding()), dict(static=True, zero=True)),
    ({}, dict(training=False))])
def test_mha_masks_and_weights(masks, opts):
    compare_mha(mha_inputs(), masks, **opts)


def test_mha_kdim_vdim_unbatched_and_fully_masked_rows():
    compare_mha(mha_inputs(kdim=5, vdim=3), dict(kpm=key_padding()), separate=True)
    vals = mha_inputs()
    compare_mha(vals, dict(kpm=key_padding()[0], am=attn()), batched=False)
    compare_mha(vals, {}, batched=False, need_weights=False)
    full = np.zeros((N, S), bool)
    full[1] = True  # batch 1 attends to nothing: nan weights, zeros from the fused path
    compare_mha(vals, dict(kpm=full), need_weights=False)
    oe, we, _ = run_mha(ember, vals, dict(kpm=full))
    ot, wt, _ = run_mha(torch, vals, dict(kpm=full))
    close(oe, ot, 1e-10, 1e-10)
    close(we, wt, 1e-10, 1e-10)


def test_mha_finite_differences_and_dropout():
    vals = mha_inputs()
    mask = ember.tensor(key_padding())

    def f(q, k, v, w, b, bk, bv):
        return F.multi_head_attention_forward(q, k, v, E, H, w, b, bk, bv, True, 0.0, ow, None,
                                              key_padding_mask=mask)[0]
    ow = ember.tensor(vals["ow"])
    leaves = tuple(ember.tensor(vals[n], requires_grad=True)
                   for n in ("q", "k", "v", "w", "b", "bk", "bv"))
    assert gradcheck(f, leaves)
    t = {n: ember.tensor(vals[n]) for n in ("q", "k", "v", "w", "b", "ow", "ob")}
    args = (t["q"], t["k"], t["v"], E, H, t["w"], t["b"], None, None, False)
    ember.manual_seed(0)
    _, w_drop = F.multi_head_attention_forward(*args, 0.5, t["ow"], t["ob"],
                                               average_attn_weights=False)
    _, w_eval = F.multi_head_attention_forward(*args, 0.5, t["ow"], t["ob"], training=False,
                                               average_attn_weights=False)
    kept = w_drop.numpy() != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(w_drop.numpy()[kept], 2 * w_eval.numpy()[kept], rtol=1e-12)


def test_mha_errors_and_warning():
    vals = {k: torch.tensor(v) for k, v in mha_inputs().items()}
    q, k, v, w, b, ow, ob = (vals[n] for n in ("q", "k", "v", "w", "b", "ow", "ob"))
    bk, bv, sk = vals["bk"], vals["bv"], vals["sk"]
    base = (q, k, v, E, H, w, b, None, None, False, 0.0, ow, ob)

    def with_(i, value):
        return base[:i] + (value,) + base[i + 1:]
    cases = [(with_(0, q[0, 0]), {}), (with_(1, k[:, 0]), {}), (with_(3, 6), {}),
             (with_(4, 3), {}), (with_(2, v[:2]), {}), (with_(5, None), {}),
             (base, dict(key_padding_mask=torch.ones(N, S, dtype=torch.long))),
             (base, dict(attn_mask=torch.zeros(L, S + 1))),
             (base, dict(attn_mask=torch.zeros(3, L, S))),
             (base, dict(key_padding_mask=torch.zeros(N, S + 1, dtype=torch.bool))),
             (base, dict(key_padding_mask=torch.zeros(N + 1, S, dtype=torch.bool))),
             (base, dict(is_causal=True)),
             (with_(7, bk), {}), (base[:8] + (bv,) + base[9:], {}),
             (with_(7, bk)[:8] + (bv,) + base[9:], dict(static_k=sk)),
             (base, dict(static_k=sk[:, :, :2])), (base, dict(static_v=sk[1:])),
             (base, dict(use_separate_proj_weight=True)),
             (base, dict(use_separate_proj_weight=True, q_proj_weight=vals["wq"],
                         k_proj_weight=vals["wk"], v_proj_weight=vals["wk"][:, :3])),
             (with_(6, b[:-1]), dict(use_separate_proj_weight=True, q_proj_weight=vals["wq"],
                                     k_proj_weight=vals["wk"], v_proj_weight=vals["wv"]))]
    for args, kw in cases:
        kw_e = {name: to_ember(value) for name, value in kw.items()}
        same_error(lambda: F.multi_head_attention_forward(*to_ember(args), **kw_e),
                   lambda: TF.multi_head_attention_forward(*args, **kw))
    masks = dict(key_padding_mask=torch.zeros(N, S, dtype=torch.bool),
                 attn_mask=torch.zeros(L, S))
    _, got = caught(lambda: F.multi_head_attention_forward(
        *to_ember(base), **{n: to_ember(m) for n, m in masks.items()}))
    _, want = caught(lambda: TF.multi_head_attention_forward(*base, **masks))
    assert [x[:2] for x in got] == [x[:2] for x in want] and len(want) == 1


@pytest.mark.parametrize("kw", [dict(add_bias_kv=True), dict(add_zero_attn=True),
                                dict(add_bias_kv=True, add_zero_attn=True, batch_first=True),
                                dict(add_bias_kv=True, kdim=5, vdim=3, bias=False)])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_module_bias_kv_and_zero_attn(kw, need_weights):
    e = ember.nn.MultiheadAttention(E, H, dtype=ember.float64, **kw)
    t = torch.nn.MultiheadAttention(E, H, dtype=torch.float64, **kw)
    assert list(e.state_dict()) == list(t.state_dict())
    if kw.get("add_bias_kv"):
        assert tuple(e.bias_k.shape) == (1, 1, E) and np.abs(np_of(e.bias_k)).sum() > 0
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e.state_dict().items()})
    arrays = [RNG.standard_normal((n, N, d)) for n, d in
              ((L, E), (S, kw.get("kdim", E)), (S, kw.get("vdim", E)))]
    if kw.get("batch_first"):
        arrays = [np.swapaxes(a, 0, 1) for a in arrays]
    full = np.zeros((N, S), bool)
    full[1] = True  # batch 1 masks every real key: bias_k / the zero key still attend
    xe = [ember.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    oe, we = e(*xe, key_padding_mask=ember.tensor(full), need_weights=need_weights)
    ot, wt = t(*xt, key_padding_mask=torch.tensor(full), need_weights=need_weights)
    close(oe, ot, 1e-10, 1e-10)
    assert (we is None) == (wt is None)
    if wt is not None:
        close(we, wt, 1e-10, 1e-10)
    oe.sum().backward()
    ot.sum().backward()
    for a, b in zip(xe, xt):
        close(a.grad, b.grad, 1e-9, 1e-10)
    grads = {n: p.grad for n, p in t.named_parameters()}
    for n, p in e.named_parameters():
        close(p.grad, grads[n], 1e-9, 1e-10)
