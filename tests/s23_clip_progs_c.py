"""CLIP training and deployment programs at tiny sizes: a few contrastive steps of the ViT
CLIP with open_clip's ClipLoss (Adam with the usual weight-decay split and the logit_scale
clamp), SigLipLoss with a learnable logit bias, the two losses' pieces (cached labels,
output_dict, negative_only), and openai/CLIP's convert_weights to float16 with the fp16 model
run on CPU as users do (model.half() / .float() round trips)."""

import math

import numpy as np

from s23_clip_progs_b import _t, _tokens, vit_clip


def clip_train(torch):
    out, vals = [], []
    rng = np.random.default_rng(2)
    M, model = vit_clip(torch)
    loss_fn = M["ClipLoss"](cache_labels=True)
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n
    include = lambda n, p: not exclude(n, p)
    named_parameters = list(model.named_parameters())
    gain_or_bias_params = [p for n, p in named_parameters if exclude(n, p) and p.requires_grad]
    rest_params = [p for n, p in named_parameters if include(n, p) and p.requires_grad]
    out.append(f"groups {len(gain_or_bias_params)} {len(rest_params)}")
    optimizer = torch.optim.AdamW(
        [{"params": gain_or_bias_params, "weight_decay": 0.},
         {"params": rest_params, "weight_decay": 0.2}],
        lr=1e-3, betas=(0.9, 0.98), eps=1e-6)
    model.train()
    for step in range(3):
        images = _t(torch, rng, (4, 3, 32, 32))
        texts = _tokens(torch, rng, 4, 8, 50)
        optimizer.zero_grad()
        image_features = model.encode_image(images)
        text_features = model.encode_text(texts)
        image_features = torch.nn.functional.normalize(image_features, dim=-1)
        text_features = torch.nn.functional.normalize(text_features, dim=-1)
        logit_scale = model.logit_scale.exp()
        total_loss = loss_fn(image_features, text_features, logit_scale)
        total_loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        out.append(f"step {step} loss {total_loss.item():.4f} scale {logit_scale.item():.4f} "
                   f"cached {list(loss_fn.labels.values())[0].tolist()}")
        vals += [total_loss, model.logit_scale.detach().clone()]
    vals += [model.visual.proj.detach(), model.text_projection.detach(),
             model.transformer.resblocks[1].attn.in_proj_weight.detach()]
    d = loss_fn(image_features, text_features, logit_scale, output_dict=True)
    out.append(f"dict {sorted(d)} {d['contrastive_loss'].dtype} {d['contrastive_loss'].requires_grad}")
    out.append(f"state {optimizer.state_dict()['param_groups'][1]['weight_decay']} "
               f"{len(optimizer.state_dict()['state'])}")
    return out, vals


def siglip_train(torch):
    out, vals = [], []
    rng = np.random.default_rng(3)
    M, model = vit_clip(torch)
    # SigLIP's init: logit scale log(10), logit bias -10
    model.logit_scale = torch.nn.Parameter(torch.ones([]) * math.log(10))
    model.logit_bias = torch.nn.Parameter(torch.ones([]) * -10)
    loss_fn = M["SigLipLoss"]()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.1)
    for step in range(3):
        images = _t(torch, rng, (4, 3, 32, 32))
        texts = _tokens(torch, rng, 4, 8, 50)
        image_features = torch.nn.functional.normalize(model.encode_image(images), dim=-1)
        text_features = torch.nn.functional.normalize(model.encode_text(texts), dim=-1)
        loss = loss_fn(image_features, text_features, model.logit_scale.exp(), model.logit_bias)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        out.append(f"step {step} loss {loss.item():.4f} bias {model.logit_bias.item():.6f}")
        vals += [loss, model.logit_bias.grad, model.logit_scale.grad]
    with torch.no_grad():
        labels = loss_fn.get_ground_truth(image_features.device, image_features.dtype, 4)
        neg = loss_fn.get_ground_truth(image_features.device, torch.float16, 3, negative_only=True)
        logits = loss_fn.get_logits(image_features, text_features, model.logit_scale.exp(), model.logit_bias)
        probs = torch.sigmoid(logits)
    out.append(repr(labels))
    out.append(repr(neg))
    out.append(f"probs {tuple(probs.shape)} {probs.dtype}")
    vals += [labels, neg, logits, probs]
    return out, vals


def loss_pieces(torch):
    out, vals = [], []
    rng = np.random.default_rng(4)
    M = __import__("s23_clip_progs").clip_modules(torch)
    F = torch.nn.functional
    img = F.normalize(_t(torch, rng, (5, 16)), dim=-1).requires_grad_()
    txt = F.normalize(_t(torch, rng, (5, 16)), dim=-1).requires_grad_()
    scale = torch.tensor(math.log(1 / 0.07)).requires_grad_()
    clip_loss = M["ClipLoss"]()
    loss = clip_loss(img, txt, scale.exp())
    loss.backward()
    out.append(f"clip {loss.item():.5f} {loss.grad_fn.name()} {clip_loss.labels}")
    vals += [loss, img.grad, txt.grad, scale.grad]
    li, lt = clip_loss.get_logits(img, txt, scale.exp())
    out.append(f"sym {torch.allclose(li.T, lt)} {li.dtype}")
    bias = torch.tensor(-10.0, requires_grad=True)
    sig = M["SigLipLoss"]()
    s = sig(img, txt, torch.tensor(10.0), bias)
    s.backward()
    out.append(f"siglip {s.item():.5f} {bias.grad.item():.5f}")
    vals += [s, bias.grad, img.grad]
    # float16 features on CPU: cross_entropy and logsigmoid run in half
    h_img, h_txt = img.detach().half(), txt.detach().half()
    hl = clip_loss(h_img, h_txt, torch.tensor(14.28, dtype=torch.float16))
    hs = sig(h_img, h_txt, torch.tensor(10.0, dtype=torch.float16), torch.tensor(-10.0, dtype=torch.float16))
    out.append(f"half {hl.dtype} {hl.item():.3f} {hs.dtype} {hs.item():.3f}")
    vals += [hl.float(), hs.float()]
    # mismatched batch sizes: cross_entropy's error
    try:
        clip_loss(img[:4], txt, scale.exp())
    except Exception as e:
        out.append(f"{type(e).__name__}: {str(e).splitlines()[0]}")
    return out, vals


def fp16_inference(torch):
    out, vals = [], []
    rng = np.random.default_rng(5)
    M, model = vit_clip(torch)
    M["convert_weights"](model)
    dtypes = sorted({(n.split(".")[0], str(p.dtype)) for n, p in model.named_parameters()})
    out.append(str(dtypes))
    out.append(f"model dtype {model.dtype} ln {model.ln_final.weight.dtype} "
               f"mask {model.transformer.resblocks[0].attn_mask.dtype}")
    model.eval()
    image = _t(torch, rng, (2, 3, 32, 32))
    text = _tokens(torch, rng, 2, 8, 50)
    with torch.no_grad():
        image_features = model.encode_image(image)
        text_features = model.encode_text(text)
        logits_per_image, logits_per_text = model(image, text)
        probs = logits_per_image.softmax(dim=-1).cpu().numpy()
    out.append(f"fp16 {image_features.dtype} {text_features.dtype} {logits_per_image.dtype} "
               f"{probs.dtype} {tuple(probs.shape)}")
    out.append(f"mask now {model.transformer.resblocks[0].attn_mask.dtype}")
    # the float16 text tower is PyTorch's to the bit; the image tower's float16 values are
    # left out: with 17 tokens PyTorch's CPU flash attention takes its vectorised exp (not
    # the exact one ember's kernel follows), 1 half ulp on about half the entries
    vals.append(text_features.float())
    # back to float32 (users call model.float() for CPU inference)
    model.float()
    with torch.no_grad():
        li32, _ = model(image, text)
    out.append(f"float {model.dtype} {li32.dtype}")
    vals.append(li32)
    # the ResNet CLIP in float16: half convolutions, float32 BatchNorm parameters on half
    # activations, AttentionPool2d's functional attention in half; a backward pass too
    torch.manual_seed(0)
    rn = M["CLIP"](16, 64, (1, 1, 1, 1), 4, None, 8, 50, 32, 2, 1)
    M["convert_weights"](rn)
    img64 = _t(torch, rng, (2, 3, 64, 64))
    li, lt = rn(img64, text)
    li.float().sum().backward()
    out.append(f"rn fp16 {li.dtype} {lt.dtype} {rn.visual.conv1.weight.grad.dtype} "
               f"{rn.visual.bn1.weight.grad.dtype} {rn.visual.attnpool.q_proj.weight.grad.dtype} "
               f"{rn.visual.bn1.running_mean.dtype} {rn.logit_scale.grad.dtype}")
    rn.eval()
    with torch.no_grad():
        feats = rn.encode_image(img64)
    out.append(f"rn eval {feats.dtype} {tuple(feats.shape)}")
    return out, vals
