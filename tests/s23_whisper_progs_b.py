"""openai/whisper model programs as users run them: Whisper.embed_audio / logits / forward in
float32 through both attention paths (SDPA and disable_sdpa's manual causal-mask path), the
sparse alignment_heads buffer, incremental decoding through install_kv_cache_hooks checked
against the full forward, the cross-attention QK hooks of timing.find_alignment, and the
float16 forward (model.half(), mel.half())."""

import numpy as np
from s23_whisper_progs import DIMS, make_model, mel_input


def model_forward(L):
    torch = L
    model, m = make_model(L)
    mel = mel_input(L)
    out, vals = [], []
    tokens = torch.tensor([[50 % 60, 3, 7, 11], [50 % 60, 5, 9, 2]])
    with torch.no_grad():
        audio_features = model.embed_audio(mel)
        out.append(f"audio_features {tuple(audio_features.shape)} {audio_features.dtype}")
        logits = model.logits(tokens, audio_features)
        out.append(f"logits {tuple(logits.shape)} {logits.dtype}")
        full = model(mel, tokens)
        with m["disable_sdpa"]():
            manual = model(mel, tokens)
        out.append(f"use_sdpa after: {m['MultiHeadAttention'].use_sdpa}")
        out.append(f"sdpa vs manual close: {torch.allclose(full, manual, atol=1e-5)}")
        out.append(f"argmax {logits.argmax(dim=-1).tolist()}")
    pe = model.encoder.positional_embedding
    out.append(f"pos emb {tuple(pe.shape)} {pe.dtype} {pe[1, :3]}")
    out.append(f"mask {model.decoder.mask[:3, :3]}")
    out.append(f"buffers {sorted(k for k, _ in model.named_buffers())}")
    out.append(f"state_dict has mask: {'decoder.mask' in model.state_dict()}")
    out.append(f"state_dict has alignment_heads: {'alignment_heads' in model.state_dict()}")
    ah = model.alignment_heads
    out.append(f"alignment_heads layout {ah.layout} {ah.dtype} {ah.is_sparse}")
    out.append(f"indices {ah.indices().tolist()} values {ah.values().tolist()}")
    out.append(f"heads {[(int(l), int(h)) for l, h in ah.indices().T]}")
    out.append(f"dense {ah.to_dense().tolist()}")
    model.set_alignment_heads(np.array([True, False, False, True]))
    out.append(f"set heads {model.alignment_heads.indices().T.tolist()}")
    out.append(f"n params {sum(p.numel() for p in model.parameters())}")
    out.append(f"multilingual {model.is_multilingual} device {model.device}")
    out.append(f"logits[0, -1, :4] {logits[0, -1, :4]}")
    vals += [audio_features, logits.softmax(-1), full.softmax(-1), manual.softmax(-1), pe]
    return out, vals


def kv_cache_decode(L):
    torch = L
    model, m = make_model(L, seed=2)
    mel = mel_input(L, n=1, seed=3)
    out, vals = [], []
    with torch.no_grad():
        audio_features = model.embed_audio(mel)
        cache, hooks = model.install_kv_cache_hooks()
        out.append(f"hooks {len(hooks)} cache {len(cache)}")
        tokens = torch.tensor([[1, 2, 3]])
        for step in range(5):
            t_in = tokens if not cache else tokens[:, -1:]
            logits = model.decoder(t_in, audio_features, kv_cache=cache)
            nxt = logits[:, -1].argmax(dim=-1)
            tokens = torch.cat([tokens, nxt[:, None]], dim=-1)
            shapes = sorted(tuple(v.shape) for v in cache.values())
            out.append(f"step {step} in {tuple(t_in.shape)} next {nxt.tolist()} "
                       f"cache {shapes[0]}..{shapes[-1]}")
            out.append(f"  logits {logits[0, -1, :3]}")
            vals.append(logits.softmax(-1))
        for h in hooks:
            h.remove()
        full = model.decoder(tokens[:, :-1], audio_features)
        out.append(f"tokens {tokens.tolist()}")
        out.append(f"full argmax {full.argmax(-1).tolist()}")
        vals.append(full.softmax(-1))
    return out, vals


def cross_attention_qk(L):
    torch = L
    model, m = make_model(L, seed=4)
    mel = mel_input(L, n=1, seed=5)[0]
    tokens = torch.tensor([1, 2, 3, 9, 12, 59])
    QKs = [None] * model.dims.n_text_layer
    hooks = [
        block.cross_attn.register_forward_hook(
            lambda _, ins, outs, index=i: QKs.__setitem__(index, outs[-1][0])
        )
        for i, block in enumerate(model.decoder.blocks)
    ]
    out = []
    with torch.no_grad(), m["disable_sdpa"]():
        logits = model(mel.unsqueeze(0), tokens.unsqueeze(0))[0]
        sampled_logits = logits[3:, :50]
        token_probs = sampled_logits.softmax(dim=-1)
        text_tokens = [9, 12]
        text_token_probs = token_probs[np.arange(len(text_tokens)), text_tokens]
        out.append(f"probs {[round(p, 4) for p in text_token_probs.tolist()]}")
    for hook in hooks:
        hook.remove()
    weights = torch.stack([QKs[l][h] for l, h in model.alignment_heads.indices().T])
    out.append(f"weights {tuple(weights.shape)}")
    weights = weights[:, :, : 24 // 2]
    weights = (weights * 1.0).softmax(dim=-1)
    soft = weights
    std, mean = torch.std_mean(weights, dim=-2, keepdim=True, unbiased=False)
    weights = (weights - mean) / std
    matrix = weights.mean(axis=0)
    out.append(f"matrix {tuple(matrix.shape)}")
    out.append(f"logits {logits[-1, :4]}")
    return out, [logits.softmax(-1), text_token_probs, soft, std, mean]


def fp16_forward(L):
    torch = L
    model, m = make_model(L, seed=6)
    mel = mel_input(L, n=1, seed=7)
    out = []
    half = make_model(L, seed=6)[0].half()
    try:
        half.embed_audio(mel.half())
    except RuntimeError as e:
        out.append(f"half model: {type(e).__name__}: {str(e).splitlines()[0]}")
    ln = half.encoder.ln_post
    out.append(f"dtypes {half.encoder.conv1.weight.dtype} {ln.weight.dtype} "
               f"{half.encoder.positional_embedding.dtype} {half.decoder.mask.dtype}")
    with torch.no_grad():
        af = model.embed_audio(mel.half())
        out.append(f"audio_features {af.dtype} {tuple(af.shape)}")
        logits = model.logits(torch.tensor([[1, 2, 3]]), af)
        out.append(f"logits {logits.dtype} {tuple(logits.shape)}")
        out.append(f"argmax {logits.argmax(-1).tolist()}")
        F = L.nn.functional
        h = F.gelu(model.encoder.conv2(F.gelu(model.encoder.conv1(mel.half()))))
        out.append(f"conv stack {h.dtype} {tuple(h.shape)}")
        x16 = torch.ones(1, 4, DIMS.n_audio_state, dtype=torch.float16)
        lnout = m["LayerNorm"](DIMS.n_audio_state)(x16)
        lin = m["Linear"](DIMS.n_audio_state, 3)(x16)
        out.append(f"ln {lnout.dtype} lin {lin.dtype}")
    return out, [h]
