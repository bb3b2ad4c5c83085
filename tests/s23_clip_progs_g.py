"""openai/CLIP's clip/model.py build_model as users run it on a saved state dict (the ViT and
ModifiedResNet shape inference from the keys, convert_weights, load_state_dict of float16
tensors, eval), then clip.load's CPU branch (model.float()) and the image preprocessing's
normalisation done on tensors, at tiny sizes."""

import io

import numpy as np

from s23_clip_progs import clip_modules
from s23_clip_progs_b import _t, _tokens


def build_model(torch, state_dict: dict):
    M = clip_modules(torch)
    vit = "visual.proj" in state_dict
    if vit:
        vision_width = state_dict["visual.conv1.weight"].shape[0]
        vision_layers = len([k for k in state_dict.keys() if k.startswith("visual.") and k.endswith(".attn.in_proj_weight")])
        vision_patch_size = state_dict["visual.conv1.weight"].shape[-1]
        grid_size = round((state_dict["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        image_resolution = vision_patch_size * grid_size
    else:
        counts: list = [len(set(k.split(".")[2] for k in state_dict if k.startswith(f"visual.layer{b}"))) for b in [1, 2, 3, 4]]
        vision_layers = tuple(counts)
        vision_width = state_dict["visual.layer1.0.conv1.weight"].shape[0]
        output_width = round((state_dict["visual.attnpool.positional_embedding"].shape[0] - 1) ** 0.5)
        vision_patch_size = None
        assert output_width ** 2 + 1 == state_dict["visual.attnpool.positional_embedding"].shape[0]
        image_resolution = output_width * 32
    embed_dim = state_dict["text_projection"].shape[1]
    context_length = state_dict["positional_embedding"].shape[0]
    vocab_size = state_dict["token_embedding.weight"].shape[0]
    transformer_width = state_dict["ln_final.weight"].shape[0]
    transformer_heads = transformer_width // 16  # (64 in CLIP: its widths are 512 and up)
    transformer_layers = len(set(k.split(".")[2] for k in state_dict if k.startswith("transformer.resblocks")))
    model = M["CLIP"](
        embed_dim,
        image_resolution, vision_layers, vision_width, vision_patch_size,
        context_length, vocab_size, transformer_width, transformer_heads, transformer_layers
    )
    for key in ["input_resolution", "context_length", "vocab_size"]:
        if key in state_dict:
            del state_dict[key]
    M["convert_weights"](model)
    model.load_state_dict(state_dict)
    return model.eval()


def build_and_load(torch):
    out, vals = [], []
    rng = np.random.default_rng(10)
    M = clip_modules(torch)
    for kind in ("vit", "rn"):
        torch.manual_seed(1)
        if kind == "vit":
            src = M["CLIP"](16, 32, 2, 64, 8, 8, 50, 32, 2, 2)
        else:
            src = M["CLIP"](16, 64, (1, 2, 1, 1), 4, None, 8, 50, 32, 2, 2)
        M["convert_weights"](src)
        buf = io.BytesIO()
        torch.save(src.state_dict(), buf)
        buf.seek(0)
        state_dict = torch.load(buf, map_location="cpu")
        out.append(f"{kind} keys {len(state_dict)} {list(state_dict)[:3]} "
                   f"{state_dict['text_projection'].dtype} {state_dict['ln_final.weight'].dtype}")
        model = build_model(torch, state_dict)
        out.append(f"{kind} built {type(model.visual).__name__} {model.dtype} "
                   f"{model.context_length} {model.vocab_size} training {model.training}")
        same = all(torch.equal(a, b) for a, b in zip(src.state_dict().values(), model.state_dict().values()))
        out.append(f"{kind} same weights {same}")
        # clip.load(device="cpu"): model.float()
        model.float()
        res = 32 if kind == "vit" else 64
        image = torch.from_numpy(rng.uniform(0, 1, (2, 3, res, res)).astype(np.float32))
        mean = torch.tensor((0.48145466, 0.4578275, 0.40821073))
        std = torch.tensor((0.26862954, 0.26130258, 0.27577711))
        image = (image - mean[:, None, None]) / std[:, None, None]
        text = _tokens(torch, rng, 2, 8, 50)
        with torch.no_grad():
            logits_per_image, logits_per_text = model(image, text)
            probs = logits_per_image.softmax(dim=-1)
            feats = [model.encode_image(image), model.encode_text(text)]
        out.append(f"{kind} probs {tuple(probs.shape)} {probs.dtype} {logits_per_text.dtype}")
        # (the logits are 14.3 x cosines of ~0.01: their float32 cancellation is left out; the
        # features they come from and the probabilities are compared)
        vals += [image, probs] + feats
    return out, vals


def finetune_fp16(torch):
    """The fine-tuning recipe from openai/CLIP issue #57 that users copy: the float16 model
    (convert_weights, as clip.load gives on GPU) runs forward and backward in half; before
    each Adam step the parameters and gradients go to float32 (convert_models_to_fp32), and
    back to half after (clip.model.convert_weights); nn.CrossEntropyLoss on both logit
    directions with ground_truth = arange; the text tower frozen in a second phase."""
    out, vals = [], []
    rng = np.random.default_rng(11)
    M = clip_modules(torch)
    nn = torch.nn
    torch.manual_seed(2)
    model = M["CLIP"](16, 32, 2, 64, 8, 8, 50, 32, 2, 2)
    M["convert_weights"](model)

    def convert_models_to_fp32(model):
        for p in model.parameters():
            p.data = p.data.float()
            if p.grad is not None:
                p.grad.data = p.grad.data.float()

    loss_img = nn.CrossEntropyLoss()
    loss_txt = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-5, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2)
    for step in range(2):
        images = _t(torch, rng, (4, 3, 32, 32))
        texts = _tokens(torch, rng, 4, 8, 50)
        optimizer.zero_grad()
        logits_per_image, logits_per_text = model(images, texts)
        ground_truth = torch.arange(len(images), dtype=torch.long)
        total_loss = (loss_img(logits_per_image, ground_truth) + loss_txt(logits_per_text, ground_truth)) / 2
        total_loss.backward()
        out.append(f"step {step} loss {total_loss.item():.2f} {logits_per_image.dtype} {total_loss.dtype} "
                   f"grad {model.visual.conv1.weight.grad.dtype} {model.ln_final.weight.grad.dtype}")
        convert_models_to_fp32(model)
        out.append(f"fp32 {model.visual.conv1.weight.dtype} {model.visual.conv1.weight.grad.dtype}")
        optimizer.step()
        M["convert_weights"](model)
        out.append(f"after {model.visual.conv1.weight.dtype} {model.logit_scale.dtype} "
                   f"state {optimizer.state[model.visual.conv1.weight]['exp_avg'].dtype}")
    vals += [model.logit_scale.detach(), model.ln_final.weight.detach()]
    # phase 2: the text tower frozen, only the image tower trained
    for name, p in model.named_parameters():
        if not name.startswith("visual"):
            p.requires_grad = False
    trainable = [p for p in model.parameters() if p.requires_grad]
    out.append(f"trainable {len(trainable)} of {len(list(model.parameters()))}")
    model.zero_grad(set_to_none=True)
    logits_per_image, _ = model(images, texts)
    logits_per_image.float().logsumexp(-1).mean().backward()
    out.append(f"frozen grads {model.token_embedding.weight.grad} {model.visual.proj.grad.dtype}")
    return out, vals
