"""open_clip programs at tiny sizes: the transformer pieces (PatchDropout's random patch
selection, LayerScale in place, the custom Attention with sdpa / scaled-cosine heads and a
bool causal mask, the AttentionalPooler, a LayerScale Transformer with a causal mask and
text_global_pool), a backward pass through them, and CoCaLoss / DistillClipLoss."""

import math

import numpy as np

from s23_clip_progs_b import _t, _tokens
from s23_clip_progs_d import open_clip_modules


def open_clip_blocks(torch):
    out, vals = [], []
    rng = np.random.default_rng(6)
    M = open_clip_modules(torch)
    torch.manual_seed(0)
    pd = M["PatchDropout"](0.5)
    x = _t(torch, rng, (2, 9, 32)).requires_grad_()
    y = pd(x)
    out.append(f"patchdropout {tuple(y.shape)} eval {tuple(pd.eval()(x).shape)}")
    vals.append(y)
    pd.train()
    y2 = M["PatchDropout"](0.3, exclude_first_token=False)(x)
    out.append(f"patchdropout2 {tuple(y2.shape)}")
    (y.sum() + y2.pow(2).sum()).backward()
    vals += [y2, x.grad]
    mask = torch.ones(9, 9, dtype=torch.bool).triu(1)
    for kw in [dict(), dict(scaled_cosine=True)]:
        attn = M["Attention"](32, num_heads=2, **kw)
        z = attn(x, attn_mask=mask)
        z.pow(2).mean().backward()
        # (z.grad_fn: PyTorch's linear on this non-contiguous 3-D input is matmul + add_,
        # AddBackward0; ember's says ViewBackward0 - see the session report)
        out.append(f"attention {kw} {tuple(z.shape)} {z.requires_grad}")
        vals += [z, attn.in_proj_weight.grad, attn.out_proj.bias.grad]
        if attn.logit_scale is not None:
            vals.append(attn.logit_scale.grad)
    try:
        M["Attention"](32, num_heads=2, scale_heads=True)(x.detach())
    except RuntimeError as e:
        out.append(f"scale_heads: {str(e).splitlines()[0]}")
    pooler = M["AttentionalPooler"](16, 32, n_head=2, n_queries=4)
    p = pooler(x)
    out.append(f"pooler {tuple(p.shape)} {pooler.attn._qkv_same_embed_dim}")
    p.sum().backward()
    vals += [p, pooler.query.grad, pooler.attn.k_proj_weight.grad, pooler.attn.v_proj_weight.grad]
    tr = M["Transformer"](32, 2, 2, ls_init_value=0.1)
    text = _tokens(torch, rng, 2, 9, 50)
    cmask = torch.empty(9, 9).fill_(float("-inf")).triu_(1)
    h = tr(x, attn_mask=cmask)
    pooled, tokens = M["text_global_pool"](h, text)
    first, _ = M["text_global_pool"](h, pool_type='first')
    out.append(f"pooled {tuple(pooled.shape)} {tuple(tokens.shape)} {tokens.is_contiguous()}")
    (pooled.sum() + first.pow(2).sum()).backward()
    vals += [h, pooled, tr.resblocks[0].ls_1.gamma.grad, tr.resblocks[1].attn.in_proj_weight.grad]
    # CoCa's multimodal decoder step: causal self-attention on the text, then cross attention
    # to the image tokens (LND), LayerScale on both
    self_blk = M["ResidualAttentionBlock"](32, 2, ls_init_value=0.5)
    cross_blk = M["ResidualAttentionBlock"](32, 2, ls_init_value=0.5, is_cross_attention=True)
    txt = _t(torch, rng, (6, 2, 32)).requires_grad_()
    img_tokens = x.detach().permute(1, 0, 2)
    hid = self_blk(txt, attn_mask=cmask[:6, :6])
    hid = cross_blk(hid, k_x=img_tokens, v_x=img_tokens)
    hid.pow(2).sum().backward()
    out.append(f"coca decoder {tuple(hid.shape)} {hasattr(cross_blk, 'ln_1_kv')}")
    vals += [hid, txt.grad, cross_blk.ln_1_kv.weight.grad, cross_blk.attn.in_proj_weight.grad]
    # LayerScale in place on an activation, and on a leaf (PyTorch's in-place error)
    ls = M["LayerScale"](32, 0.5, inplace=True)
    a = x * 1.0
    b = ls(a)
    out.append(f"inplace {b is a} {b.grad_fn.name()}")
    try:
        ls(x)
    except RuntimeError as e:
        out.append(f"leaf: {str(e).splitlines()[0]}")
    # the fp32 LayerNorm on a half input; the cast-back LayerNorm on a double one
    ln = M["LayerNormFp32"](32)
    hx = x.detach().half()
    out.append(f"ln fp32 {ln(hx).dtype} {M['LayerNorm'](32).double()(x.detach().double()).dtype}")
    vals.append(ln(hx).float())
    return out, vals


def coca_distill_losses(torch):
    out, vals = [], []
    rng = np.random.default_rng(7)
    M = open_clip_modules(torch)
    F = torch.nn.functional
    img = F.normalize(_t(torch, rng, (4, 16)), dim=-1).requires_grad_()
    txt = F.normalize(_t(torch, rng, (4, 16)), dim=-1).requires_grad_()
    logits = _t(torch, rng, (4, 6, 50)).requires_grad_()
    labels = _tokens(torch, rng, 4, 6, 50)
    coca = M["CoCaLoss"](caption_loss_weight=2.0, clip_loss_weight=1.0)
    clip_l, cap_l = coca(img, txt, logits, labels, torch.tensor(10.0))
    (clip_l + cap_l).backward()
    out.append(f"coca {clip_l.item():.5f} {cap_l.item():.5f} pad {int((labels == 0).sum())}")
    vals += [clip_l, cap_l, logits.grad, img.grad]
    d = coca(img, txt, logits, labels, torch.tensor(10.0), output_dict=True)
    out.append(f"coca dict {sorted(d)}")
    dist = M["DistillClipLoss"]()
    t_img = F.normalize(_t(torch, rng, (4, 16)), dim=-1)
    t_txt = F.normalize(_t(torch, rng, (4, 16)), dim=-1)
    c, dl = dist(img, txt, torch.tensor(math.exp(2.0)), t_img, t_txt, torch.tensor(100.0))
    img.grad = None
    (c + dl).backward()
    out.append(f"distill {c.item():.5f} {dl.item():.5f} {dl.grad_fn.name()}")
    vals += [c, dl, img.grad, txt.grad]
    # all-padding captions: every target ignored, the mean of nothing
    cap_nan = coca(img, txt, logits, torch.zeros(4, 6, dtype=torch.long), torch.tensor(10.0))[1]
    out.append(f"all pad {cap_nan.item()}")
    return out, vals
