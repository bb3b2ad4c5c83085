"""openai/CLIP usage programs at tiny sizes: clip.tokenize (with a toy word vocabulary for the
BPE tokenizer: start / end tokens, zero padding, the too-long error, truncate), the README's
zero-shot prediction (in-place feature normalisation, softmax, topk), and the ImageNet
prompt-engineering notebook's zero-shot classifier (per-class template embeddings averaged
and renormalised, torch.stack, 100 * image @ weights) with its topk accuracy function."""

from typing import List, Union

import numpy as np
from packaging import version

from s23_clip_progs_b import _t, vit_clip


class ToyTokenizer:
    """Stands in for clip.simple_tokenizer.SimpleTokenizer: a word -> id table."""

    def __init__(self):
        words = "a photo of the cat dog car plane bird itap drawing sketch big small".split()
        self.encoder = {w: i + 1 for i, w in enumerate(words)}
        self.encoder["<|startoftext|>"] = 48
        self.encoder["<|endoftext|>"] = 49

    def encode(self, text):
        return [self.encoder[w] for w in text.lower().replace(".", "").split()]


def tokenize(torch, texts: Union[str, List[str]], context_length: int = 77,
             truncate: bool = False, tokenizer=ToyTokenizer()):
    if isinstance(texts, str):
        texts = [texts]
    sot_token = tokenizer.encoder["<|startoftext|>"]
    eot_token = tokenizer.encoder["<|endoftext|>"]
    all_tokens = [[sot_token] + tokenizer.encode(text) + [eot_token] for text in texts]
    if version.parse(torch.__version__) < version.parse("1.8.0"):
        result = torch.zeros(len(all_tokens), context_length, dtype=torch.long)
    else:
        result = torch.zeros(len(all_tokens), context_length, dtype=torch.int)
    for i, tokens in enumerate(all_tokens):
        if len(tokens) > context_length:
            if truncate:
                tokens = tokens[:context_length]
                tokens[-1] = eot_token
            else:
                raise RuntimeError(f"Input {texts[i]} is too long for context length {context_length}")
        result[i, :len(tokens)] = torch.tensor(tokens)
    return result


def zero_shot(torch):
    out, vals = [], []
    rng = np.random.default_rng(8)
    M, model = vit_clip(torch)
    model.eval()
    text = tokenize(torch, ["a photo of a cat", "a photo of a dog", "a big plane"], context_length=8)
    out.append(f"tokens {text.dtype} {text.tolist()}")
    try:
        tokenize(torch, "a photo of the big small cat dog", context_length=8)
    except RuntimeError as e:
        out.append(f"RuntimeError: {e}")
    t2 = tokenize(torch, "a photo of the big small cat dog", context_length=8, truncate=True)
    out.append(f"truncated {t2.tolist()}")
    image = _t(torch, rng, (2, 3, 32, 32))
    with torch.no_grad():
        image_features = model.encode_image(image)
        text_features = model.encode_text(text)
        logits_per_image, logits_per_text = model(image, text)
        probs = logits_per_image.softmax(dim=-1).cpu().numpy()
    out.append(f"Label probs: {probs.dtype} {probs.shape}")
    vals += [probs, text_features]
    image_features /= image_features.norm(dim=-1, keepdim=True)
    text_features /= text_features.norm(dim=-1, keepdim=True)
    similarity = (100.0 * image_features @ text_features.T).softmax(dim=-1)
    values, indices = similarity[0].topk(2)
    out.append(f"top {indices.tolist()} {values.dtype}")
    for value, index in zip(values, indices):
        out.append(f"{['cat', 'dog', 'plane'][index]:>16s}: {100 * value.item():.2f}%")
    vals += [similarity, image_features]
    return out, vals


def zeroshot_classifier_prog(torch):
    out, vals = [], []
    rng = np.random.default_rng(9)
    M, model = vit_clip(torch)
    model.eval()
    classnames = ["cat", "dog", "car", "bird"]
    templates = ["a photo of a {}.", "a drawing of the {}.", "a big {}.", "itap of a {}."]

    def zeroshot_classifier(classnames, templates):
        with torch.no_grad():
            zeroshot_weights = []
            for classname in classnames:
                texts = [template.format(classname) for template in templates]  # format with class
                texts = tokenize(torch, texts, context_length=8)  # tokenize
                class_embeddings = model.encode_text(texts)  # embed with text encoder
                class_embeddings /= class_embeddings.norm(dim=-1, keepdim=True)
                class_embedding = class_embeddings.mean(dim=0)
                class_embedding /= class_embedding.norm()
                zeroshot_weights.append(class_embedding)
            zeroshot_weights = torch.stack(zeroshot_weights, dim=1)
        return zeroshot_weights

    def accuracy(output, target, topk=(1,)):
        pred = output.topk(max(topk), 1, True, True)[1].t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        try:  # the notebook's line: NumPy 2 refuses float() of a 1-element 1-D array
            return [float(correct[:k].reshape(-1).float().sum(0, keepdim=True).cpu().numpy()) for k in topk]
        except TypeError as e:
            if not out[-1].startswith("TypeError"):
                out.append(f"TypeError: {e}")
            return [float(correct[:k].reshape(-1).float().sum(0, keepdim=True).cpu().numpy()[0]) for k in topk]

    zeroshot_weights = zeroshot_classifier(classnames, templates)
    out.append(f"weights {tuple(zeroshot_weights.shape)} {zeroshot_weights.is_contiguous()}")
    vals.append(zeroshot_weights)
    top1, top3, n = 0., 0., 0.
    with torch.no_grad():
        for i in range(2):
            images = _t(torch, rng, (6, 3, 32, 32))
            target = torch.from_numpy(rng.integers(0, 4, size=6))
            image_features = model.encode_image(images)
            image_features /= image_features.norm(dim=-1, keepdim=True)
            logits = 100. * image_features @ zeroshot_weights
            acc1, acc3 = accuracy(logits, target, topk=(1, 3))
            top1 += acc1
            top3 += acc3
            n += images.size(0)
            vals.append(logits)
    top1 = (top1 / n) * 100
    top3 = (top3 / n) * 100
    out.append(f"Top-1 accuracy: {top1:.2f}")
    out.append(f"Top-3 accuracy: {top3:.2f}")
    return out, vals
