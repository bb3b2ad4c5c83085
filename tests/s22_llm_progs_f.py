"""LLM-from-scratch programs (session 22), this file: rasbt/LLMs-from-scratch's
pkg/llms_from_scratch/kv_cache_batched (qwen3.py: Qwen3Model with grouped-query attention,
QK-RMSNorm, per-sample RoPE offsets gathered by position ids, a per-sample KV cache and
boolean masks built row by row; utils.KVCache; generate.generate_text_simple) and qwen3.py's
load_weights_into_qwen from a Hugging-Face-style state dict, as users type them, at toy
sizes (vocab 50, context 16, dim 32, 2 layers; float32 for the configs' bfloat16)."""

import numpy as np
from s16_yunjey_progs import Out


class KVCache:
    def __init__(self, n_layers, batch_size):
        self.cache = [[None for _ in range(batch_size)] for _ in range(n_layers)]

    def get(self, layer_idx, batch_idx):
        return self.cache[layer_idx][batch_idx]

    def update(self, layer_idx, batch_idx, value):
        self.cache[layer_idx][batch_idx] = value

    def get_layer(self, layer_idx):
        return self.cache[layer_idx]

    def reset(self):
        for layer in self.cache:
            for i in range(len(layer)):
                layer[i] = None


def _qwen3(L):
    torch, nn = L, L.nn

    def compute_rope_params(head_dim, theta_base=10_000, context_length=4096, dtype=torch.float32):
        assert head_dim % 2 == 0, "Embedding dimension must be even"
        inv_freq = 1.0 / (theta_base ** (torch.arange(0, head_dim, 2, dtype=dtype)[: (head_dim // 2)].float() / head_dim))
        positions = torch.arange(context_length, dtype=dtype)
        angles = positions[:, None] * inv_freq[None, :]
        angles = torch.cat([angles, angles], dim=1)
        cos = torch.cos(angles)
        sin = torch.sin(angles)
        return cos, sin

    def apply_rope(x, cos, sin, offset):
        bsz, n_heads, seq_len, head_dim = x.shape
        assert head_dim % 2 == 0, "Head dimension must be even"
        assert offset.shape[0] == bsz, "Offset must have one value per batch item"
        cos = cos[:cos.shape[0], :].unsqueeze(0).unsqueeze(0)
        sin = sin[:sin.shape[0], :].unsqueeze(0).unsqueeze(0)
        position_ids = torch.arange(seq_len, device=offset.device).unsqueeze(0) + offset.unsqueeze(1)
        position_ids = position_ids.clamp(max=cos.shape[2] - 1)
        cos = cos[0, 0, position_ids, :]
        sin = sin[0, 0, position_ids, :]
        cos = cos.unsqueeze(1)
        sin = sin.unsqueeze(1)
        x1 = x[..., :head_dim // 2]
        x2 = x[..., head_dim // 2:]
        rotated = torch.cat((-x2, x1), dim=-1)
        x_rotated = (x * cos) + (rotated * sin)
        return x_rotated

    class RMSNorm(nn.Module):
        def __init__(self, emb_dim, eps=1e-6, bias=False, qwen3_compatible=True):
            super().__init__()
            self.eps = eps
            self.qwen3_compatible = qwen3_compatible
            self.scale = nn.Parameter(torch.ones(emb_dim))
            self.shift = nn.Parameter(torch.zeros(emb_dim)) if bias else None

        def forward(self, x):
            input_dtype = x.dtype
            if self.qwen3_compatible:
                x = x.to(torch.float32)
            variance = x.pow(2).mean(dim=-1, keepdim=True)
            norm_x = x * torch.rsqrt(variance + self.eps)
            norm_x = norm_x * self.scale
            if self.shift is not None:
                norm_x = norm_x + self.shift
            return norm_x.to(input_dtype)

    class FeedForward(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.fc1 = nn.Linear(cfg["emb_dim"], cfg["hidden_dim"], dtype=cfg["dtype"], bias=False)
            self.fc2 = nn.Linear(cfg["emb_dim"], cfg["hidden_dim"], dtype=cfg["dtype"], bias=False)
            self.fc3 = nn.Linear(cfg["hidden_dim"], cfg["emb_dim"], dtype=cfg["dtype"], bias=False)

        def forward(self, x):
            x_fc1 = self.fc1(x)
            x_fc2 = self.fc2(x)
            x = nn.functional.silu(x_fc1) * x_fc2
            return self.fc3(x)

    class GroupedQueryAttention(nn.Module):
        def __init__(self, d_in, num_heads, num_kv_groups, head_dim=None, qk_norm=False, dtype=None):
            super().__init__()
            assert num_heads % num_kv_groups == 0, "num_heads must be divisible by num_kv_groups"
            self.num_heads = num_heads
            self.num_kv_groups = num_kv_groups
            self.group_size = num_heads // num_kv_groups
            if head_dim is None:
                assert d_in % num_heads == 0, "`d_in` must be divisible by `num_heads` if `head_dim` is not set"
                head_dim = d_in // num_heads
            self.head_dim = head_dim
            self.d_out = num_heads * head_dim
            self.W_query = nn.Linear(d_in, self.d_out, bias=False, dtype=dtype)
            self.W_key = nn.Linear(d_in, num_kv_groups * head_dim, bias=False, dtype=dtype)
            self.W_value = nn.Linear(d_in, num_kv_groups * head_dim, bias=False, dtype=dtype)
            self.out_proj = nn.Linear(self.d_out, d_in, bias=False, dtype=dtype)
            if qk_norm:
                self.q_norm = RMSNorm(head_dim, eps=1e-6)
                self.k_norm = RMSNorm(head_dim, eps=1e-6)
            else:
                self.q_norm = self.k_norm = None

        def forward(self, x, mask, cos, sin, start_pos=0, cache=None):
            b, num_tokens, _ = x.shape
            queries = self.W_query(x)
            keys = self.W_key(x)
            values = self.W_value(x)
            queries = queries.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
            keys = keys.view(b, num_tokens, self.num_kv_groups, self.head_dim).transpose(1, 2)
            values = values.view(b, num_tokens, self.num_kv_groups, self.head_dim).transpose(1, 2)
            if self.q_norm:
                queries = self.q_norm(queries)
            if self.k_norm:
                keys = self.k_norm(keys)
            queries = apply_rope(queries, cos, sin, offset=start_pos)
            keys = apply_rope(keys, cos, sin, offset=start_pos)
            next_cache = []
            for i in range(b):
                prev = cache[i] if cache else None
                if prev is None:
                    k_cat = keys[i:i+1]
                    v_cat = values[i:i+1]
                else:
                    prev_k, prev_v = prev
                    k_cat = torch.cat([prev_k, keys[i:i+1]], dim=2)
                    v_cat = torch.cat([prev_v, values[i:i+1]], dim=2)
                next_cache.append((k_cat, v_cat))
            keys = torch.cat([k for k, _ in next_cache], dim=0)
            values = torch.cat([v for _, v in next_cache], dim=0)
            keys = keys.repeat_interleave(self.group_size, dim=1)
            values = values.repeat_interleave(self.group_size, dim=1)
            attn_scores = queries @ keys.transpose(2, 3)
            attn_scores = attn_scores.masked_fill(mask, -torch.inf)
            scale = torch.tensor(self.head_dim**0.5, dtype=queries.dtype, device=queries.device)
            attn_weights = torch.softmax(attn_scores / scale, dim=-1).to(values.dtype)
            context = (attn_weights @ values).transpose(1, 2).reshape(b, num_tokens, self.d_out)
            return self.out_proj(context), next_cache

    class TransformerBlock(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.att = GroupedQueryAttention(
                d_in=cfg["emb_dim"], num_heads=cfg["n_heads"], head_dim=cfg["head_dim"],
                num_kv_groups=cfg["n_kv_groups"], qk_norm=cfg["qk_norm"], dtype=cfg["dtype"])
            self.ff = FeedForward(cfg)
            self.norm1 = RMSNorm(cfg["emb_dim"], eps=1e-6)
            self.norm2 = RMSNorm(cfg["emb_dim"], eps=1e-6)

        def forward(self, x, mask, cos, sin, start_pos=0, cache=None):
            shortcut = x
            x = self.norm1(x)
            x, next_cache = self.att(x, mask, cos, sin, start_pos=start_pos, cache=cache)
            x = x + shortcut
            shortcut = x
            x = self.norm2(x)
            x = self.ff(x)
            x = x + shortcut
            return x, next_cache

    class Qwen3Model(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"], dtype=cfg["dtype"])
            self.trf_blocks = nn.ModuleList([TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
            self.final_norm = RMSNorm(cfg["emb_dim"])
            self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False, dtype=cfg["dtype"])
            if cfg["head_dim"] is None:
                head_dim = cfg["emb_dim"] // cfg["n_heads"]
            else:
                head_dim = cfg["head_dim"]
            cos, sin = compute_rope_params(head_dim=head_dim, theta_base=cfg["rope_base"],
                                           context_length=cfg["context_length"])
            self.register_buffer("cos", cos, persistent=False)
            self.register_buffer("sin", sin, persistent=False)
            self.cfg = cfg
            self.current_pos = None

        def forward(self, in_idx, cache=None, start_pos=None):
            B, num_tokens = in_idx.size()
            tok_embeds = self.tok_emb(in_idx)
            x = tok_embeds
            device = x.device
            if cache is not None:
                pos_start = start_pos
                pos_end = pos_start + num_tokens
                max_len = pos_end.max().item()
            else:
                pos_start = torch.zeros(B, dtype=torch.long, device=device)
                max_len = num_tokens
            if max_len > self.cfg["context_length"]:
                raise ValueError(
                    f"Sequence length {max_len} exceeds the model's context length "
                    f"of {self.cfg['context_length']} tokens.")
            if cache is not None:
                full_mask = torch.triu(
                    torch.ones(max_len, max_len, device=device, dtype=torch.bool), diagonal=1)
                mask = torch.zeros(B, 1, num_tokens, max_len, device=device, dtype=torch.bool)
                for i in range(B):
                    ps, pe = pos_start[i].item(), pos_end[i].item()
                    mask[i, 0] = full_mask[ps:pe, :pe]
            else:
                mask = torch.triu(
                    torch.ones(num_tokens, num_tokens, device=device, dtype=torch.bool), diagonal=1
                )[None, None, :, :]
            for i, block in enumerate(self.trf_blocks):
                blk_cache = [cache.get(i, b_idx) for b_idx in range(B)] if cache is not None else None
                x, new_blk_cache = block(x, mask, self.cos, self.sin, start_pos=pos_start, cache=blk_cache)
                if cache is not None:
                    for b_idx in range(B):
                        cache.update(i, b_idx, new_blk_cache[b_idx])
            x = self.final_norm(x)
            logits = self.out_head(x.to(self.cfg["dtype"]))
            return logits

        def reset_kv_cache(self, batch_size, device=None):
            device = device or next(self.parameters()).device
            self.current_pos = torch.zeros(batch_size, dtype=torch.long, device=device)

    return Qwen3Model


def generate_text_simple(L, model, idx, max_new_tokens, context_size=None, use_cache=True):
    torch = L
    model.eval()
    ctx_len = context_size or model.cfg["context_length"]
    batch_size = idx.size(0)
    with torch.no_grad():
        if use_cache:
            cache = KVCache(n_layers=model.cfg["n_layers"], batch_size=batch_size)
            model.reset_kv_cache(batch_size=batch_size, device=idx.device)
            input_ids = idx[:, -ctx_len:]
            seq_len = input_ids.size(1)
            start_pos = model.current_pos.clone()
            logits = model(input_ids, cache=cache, start_pos=start_pos)
            model.current_pos += seq_len
            for step in range(max_new_tokens):
                next_token = logits[:, -1].argmax(dim=-1, keepdim=True)
                if step + 1 < max_new_tokens:
                    logits = model(next_token, cache=cache, start_pos=model.current_pos.clone())
                    model.current_pos += 1
                idx = torch.cat([idx, next_token], dim=1)
        else:
            for _ in range(max_new_tokens):
                input_ids = idx[:, -ctx_len:]
                logits = model(input_ids, cache=None, start_pos=None)
                next_token = logits[:, -1].argmax(dim=-1, keepdim=True)
                idx = torch.cat([idx, next_token], dim=1)
    return idx


def qwen3_batched(L):
    torch = L
    with Out() as o:
        cfg = {"vocab_size": 50, "context_length": 16, "emb_dim": 32, "n_heads": 4,
               "n_layers": 2, "hidden_dim": 48, "head_dim": 16, "qk_norm": True,
               "n_kv_groups": 2, "rope_base": 1_000_000.0, "dtype": torch.float32}
        torch.manual_seed(123)
        model = _qwen3(L)(cfg)
        o.print(model.trf_blocks[0])
        total_params = sum(p.numel() for p in model.parameters())
        o.print(f"Total number of parameters: {total_params:,}")
        o.print(model.cos.shape, model.cos.dtype, list(model.state_dict())[:4])
        prompts = torch.tensor([[3, 4, 5, 6], [7, 8, 9, 10]])
        out = generate_text_simple(L, model, prompts, max_new_tokens=6)
        ref = generate_text_simple(L, model, prompts, max_new_tokens=6, use_cache=False)
        o.print(out.tolist(), torch.equal(out, ref))
        # positions offset per sample: the second row starts two tokens later
        cache = KVCache(n_layers=2, batch_size=2)
        model.reset_kv_cache(2)
        start = torch.tensor([0, 2])
        with torch.no_grad():
            # rows of different lengths do not fit the mask: torch's copy error
            o.tryit(lambda: model(prompts[:, :2], cache=cache, start_pos=start))
            cache.reset()
            lg = model(prompts[:, :2], cache=cache, start_pos=model.current_pos.clone())
        o.print(lg.shape, [tuple(t.shape) for t in cache.get(0, 1)], model.current_pos)
        o.tryit(lambda: model(torch.zeros(1, 17, dtype=torch.long)))
        # load_weights_into_qwen from an HF-style dict of tensors / numpy arrays

        def assign(left, right, tensor_name="unknown"):
            if left.shape != right.shape:
                raise ValueError(f"Shape mismatch in tensor '{tensor_name}'. Left: {left.shape}, Right: {right.shape}")
            return torch.nn.Parameter(right.clone().detach() if isinstance(right, torch.Tensor) else torch.tensor(right))

        rng = np.random.default_rng(0)
        params = {"model.embed_tokens.weight": torch.from_numpy(rng.standard_normal((50, 32)).astype(np.float32)),
                  "model.norm.weight": rng.standard_normal(32).astype(np.float32)}
        model.tok_emb.weight = assign(model.tok_emb.weight, params["model.embed_tokens.weight"],
                                      "model.embed_tokens.weight")
        model.final_norm.scale = assign(model.final_norm.scale, params["model.norm.weight"],
                                        "model.norm.weight")
        model.out_head.weight = assign(model.out_head.weight, params["model.embed_tokens.weight"],
                                       "model.embed_tokens.weight")
        o.print(model.final_norm.scale.dtype, model.out_head.weight is model.tok_emb.weight,
                type(model.final_norm.scale).__name__)
        o.tryit(lambda: assign(model.tok_emb.weight, params["model.norm.weight"], "x"))
        out2 = generate_text_simple(L, model, prompts, max_new_tokens=4)
        o.print(out2.tolist())
        o.vals += [out, lg, out2]
    return o.done()
