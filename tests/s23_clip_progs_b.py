"""openai/CLIP and open_clip programs at tiny sizes (text width 32, 2 layers, image 32x32,
patch 8, context 8, vocab 50; a ModifiedResNet of width 8): the ResNet pieces (anti-aliased
Bottleneck, AttentionPool2d through F.multi_head_attention_forward), the ViT and ResNet CLIP
forward (encode_image / encode_text with the argmax EOT token, the causal mask), a few
contrastive training steps with open_clip's ClipLoss and SigLipLoss, and convert_weights to
float16 with the fp16 model run on CPU."""

import numpy as np

from s23_clip_progs import clip_modules


def _t(torch, rng, shape, scale=1.0):
    return torch.from_numpy((scale * rng.standard_normal(shape)).astype(np.float32))


def _tokens(torch, rng, batch, ctx, vocab):
    # random ids; the end-of-text token is the largest id, placed at a random length
    ids = rng.integers(1, vocab - 1, size=(batch, ctx))
    for i, n in enumerate(rng.integers(2, ctx + 1, size=batch)):
        ids[i, n - 1] = vocab - 1
        ids[i, n:] = 0
    return torch.from_numpy(ids.astype(np.int64))


def vit_clip(torch, **kw):
    M = clip_modules(torch)
    torch.manual_seed(0)
    return M, M["CLIP"](embed_dim=16, image_resolution=32, vision_layers=2, vision_width=64,
                        vision_patch_size=8, context_length=8, vocab_size=50,
                        transformer_width=32, transformer_heads=2, transformer_layers=2, **kw)


def resnet_pieces(torch):
    M = clip_modules(torch)
    out, vals = [], []
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    blk = M["Bottleneck"](8, 4, stride=2)
    out.append(str(blk.downsample))
    x = _t(torch, rng, (2, 8, 8, 8), 1.0).requires_grad_()
    y = blk(x)
    out.append(f"bottleneck {tuple(y.shape)} {y.dtype} {y.grad_fn.name()}")
    y.sum().backward()
    vals += [y, x.grad, blk.downsample[1].weight.grad]
    blk.eval()
    vals.append(blk(x).detach())
    # the 3x3 conv's weight gradient sums 2x8x8 terms of both signs: float32 keeps ~1e-5 of
    # 10; the same block in float64 compares its weight gradients to the last digits
    torch.manual_seed(0)
    blk64 = M["Bottleneck"](8, 4, stride=2).double()
    x64 = x.detach().double().requires_grad_()
    blk64(x64).sum().backward()
    out.append(f"bottleneck64 {blk64.conv2.weight.grad.dtype} {x64.grad.dtype}")
    vals += [blk64.conv2.weight.grad, blk64.conv1.weight.grad, x64.grad]
    pool = M["AttentionPool2d"](2, 16, 4, 12)
    f = _t(torch, rng, (3, 16, 2, 2)).requires_grad_()
    z = pool(f)
    out.append(f"attnpool {tuple(z.shape)} {z.grad_fn is not None}")
    (z ** 2).mean().backward()
    vals += [z, f.grad, pool.q_proj.weight.grad, pool.k_proj.bias.grad, pool.v_proj.weight.grad,
             pool.positional_embedding.grad, pool.c_proj.weight.grad]
    pool.eval()
    with torch.no_grad():
        vals.append(pool(f))
    rn = M["ModifiedResNet"]((1, 2, 1, 1), output_dim=16, heads=8, input_resolution=64, width=8)
    out.append(f"resnet params {sum(p.numel() for p in rn.parameters())}")
    img = _t(torch, rng, (2, 3, 64, 64))
    r = rn(img)
    out.append(f"resnet {tuple(r.shape)} {r.dtype}")
    r.pow(2).sum().backward()
    vals += [r, rn.layer2[1].bn3.weight.grad]
    # the weight gradients carry the float32 rounding of the whole ResNet (the stem conv's sums
    # 2x32x32 cancelling terms): compared on the float64 model
    rn.zero_grad()
    rn.double()
    rn(img.double()).pow(2).sum().backward()
    vals += [rn.conv1.weight.grad, rn.layer1[0].conv2.weight.grad, rn.attnpool.c_proj.weight.grad,
             rn.attnpool.positional_embedding.grad]
    return out, vals


def clip_forward(torch):
    out, vals = [], []
    rng = np.random.default_rng(1)
    M, model = vit_clip(torch)
    mask = model.build_attention_mask()
    out.append(repr(mask[:3, :3]))
    out.append(f"params {sum(p.numel() for p in model.parameters())} dtype {model.dtype}")
    out.append(f"logit_scale {model.logit_scale.item():.6f} {model.logit_scale.exp().item():.4f}")
    image = _t(torch, rng, (4, 3, 32, 32))
    text = _tokens(torch, rng, 4, 8, 50)
    out.append(f"eot {text.argmax(dim=-1).tolist()}")
    model.eval()
    with torch.no_grad():
        image_features = model.encode_image(image)
        text_features = model.encode_text(text)
        logits_per_image, logits_per_text = model(image, text)
        probs = logits_per_image.softmax(dim=-1)
    out.append(f"features {tuple(image_features.shape)} {tuple(text_features.shape)} {text_features.dtype}")
    out.append(f"logits {tuple(logits_per_image.shape)} {logits_per_text.is_contiguous()}")
    out.append(f"label probs {np.round(probs.numpy(), 3).tolist()}")
    vals += [mask, image_features, text_features, logits_per_image, logits_per_text, probs]
    blk = model.transformer.resblocks[0]
    out.append(f"mask dtype {blk.attn_mask.dtype} {tuple(blk.attn_mask.shape)}")
    # zero-shot: which caption fits each image best
    text_features = text_features / text_features.norm(dim=-1, keepdim=True)
    image_features = image_features / image_features.norm(dim=-1, keepdim=True)
    similarity = (100.0 * image_features @ text_features.T).softmax(dim=-1)
    values, indices = similarity[0].topk(3)
    out.append(f"top {indices.tolist()}")
    vals += [similarity, values]
    # the ResNet variant
    torch.manual_seed(0)
    rmodel = M["CLIP"](16, 64, (1, 1, 1, 1), 4, None, 8, 50, 32, 2, 1)
    out.append(f"rn bn3 zero {float(rmodel.visual.layer1[0].bn3.weight.detach().abs().sum())}")
    img64 = _t(torch, rng, (2, 3, 64, 64))
    li, lt = rmodel(img64, text[:2])
    out.append(f"rn logits {tuple(li.shape)} {li.dtype}")
    li.sum().backward()
    vals += [li, lt, rmodel.visual.attnpool.q_proj.weight.grad, rmodel.logit_scale.grad]
    # (the token-embedding gradient sums cancelling contributions of every position, ~1e-5 of
    # float32 rounding: left out.) CLIP's LayerNorm casts its input to float32, so the
    # float64 model stops in layer_norm with PyTorch's mixed-dtype error
    rmodel.double()
    try:
        rmodel(img64.double(), text[:2])
    except RuntimeError as e:
        out.append(f"double: {type(e).__name__}: {str(e).splitlines()[0]}")
    return out, vals
