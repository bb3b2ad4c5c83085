"""Programs on rasbt/LLMs-from-scratch's ch04 bonus models (tests/s22_llm_progs_c.py holds
the shared parts): the MoE GPT, the multi-head latent attention GPT and the sliding-window
GPT, each generating with and without its KV cache, in float32 and, as the files' main()
does, after model.to(dtype=torch.float64); a few AdamW steps through the MoE routing."""

from s16_yunjey_progs import Out
from s22_llm_progs_c import (_gpt, _parts, generate_text_simple_cached,
                             generate_text_simple_cached_cat)


def _mla_class(L):
    torch, nn = L, L.nn

    class MultiHeadLatentAttention(nn.Module):
        def __init__(self, d_in, d_out, dropout, num_heads, qkv_bias=False, latent_dim=None):
            super().__init__()
            assert d_out % num_heads == 0, "d_out must be divisible by num_heads"
            self.d_out = d_out
            self.num_heads = num_heads
            self.head_dim = d_out // num_heads
            self.latent_dim = latent_dim if latent_dim is not None else max(16, d_out // 8)
            self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.W_DKV = nn.Linear(d_in, self.latent_dim, bias=qkv_bias)
            self.W_UK = nn.Linear(self.latent_dim, d_out, bias=qkv_bias)
            self.W_UV = nn.Linear(self.latent_dim, d_out, bias=qkv_bias)
            self.out_proj = nn.Linear(d_out, d_out)
            self.dropout = nn.Dropout(dropout)
            self.register_buffer("cache_c_kv", None, persistent=False)
            self.ptr_current_pos = 0

        def reset_cache(self):
            self.cache_c_kv = None
            self.ptr_current_pos = 0

        @staticmethod
        def _reshape_to_heads(x, num_heads, head_dim):
            bsz, num_tokens, _ = x.shape
            return x.view(bsz, num_tokens, num_heads, head_dim).transpose(1, 2).contiguous()

        def forward(self, x, use_cache=False):
            b, num_tokens, _ = x.shape
            num_heads = self.num_heads
            head_dim = self.head_dim
            queries_all = self.W_query(x)
            latent_new = self.W_DKV(x)
            if use_cache:
                if self.cache_c_kv is None:
                    latent_total = latent_new
                else:
                    latent_total = torch.cat([self.cache_c_kv, latent_new], dim=1)
                self.cache_c_kv = latent_total
            else:
                latent_total = latent_new
            keys_all = self.W_UK(latent_total)
            values_all = self.W_UV(latent_total)
            queries = self._reshape_to_heads(queries_all, num_heads, head_dim)
            keys = self._reshape_to_heads(keys_all, num_heads, head_dim)
            values = self._reshape_to_heads(values_all, num_heads, head_dim)
            attn_scores = torch.matmul(queries, keys.transpose(-2, -1))
            num_tokens_Q = queries.shape[-2]
            num_tokens_K = keys.shape[-2]
            device = queries.device
            if use_cache:
                q_positions = torch.arange(self.ptr_current_pos, self.ptr_current_pos + num_tokens_Q,
                                           device=device, dtype=torch.long)
                self.ptr_current_pos += num_tokens_Q
            else:
                q_positions = torch.arange(num_tokens_Q, device=device, dtype=torch.long)
                self.ptr_current_pos = 0
            k_positions = torch.arange(num_tokens_K, device=device, dtype=torch.long)
            mask_bool = q_positions.unsqueeze(-1) < k_positions.unsqueeze(0)
            attn_scores.masked_fill_(mask_bool, -torch.inf)
            attn_weights = torch.softmax(attn_scores / keys.shape[-1]**0.5, dim=-1)
            attn_weights = self.dropout(attn_weights)
            context_vec = (attn_weights @ values).transpose(1, 2)
            context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)
            context_vec = self.out_proj(context_vec)
            return context_vec

    return MultiHeadLatentAttention


def _swa_class(L):
    torch, nn = L, L.nn

    class MultiHeadAttentionWithSWA(nn.Module):
        def __init__(self, d_in, d_out, dropout, num_heads, qkv_bias=False,
                     sliding_window_size=None):
            super().__init__()
            assert d_out % num_heads == 0, "d_out must be divisible by num_heads"
            self.d_out = d_out
            self.num_heads = num_heads
            self.head_dim = d_out // num_heads
            self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.out_proj = nn.Linear(d_out, d_out)
            self.dropout = nn.Dropout(dropout)
            self.sliding_window_size = sliding_window_size
            self.register_buffer("cache_k", None, persistent=False)
            self.register_buffer("cache_v", None, persistent=False)
            self.ptr_current_pos = 0

        def forward(self, x, use_cache=False):
            b, num_tokens, d_in = x.shape
            keys_new = self.W_key(x)
            values_new = self.W_value(x)
            queries = self.W_query(x)
            keys_new = keys_new.view(b, num_tokens, self.num_heads, self.head_dim)
            values_new = values_new.view(b, num_tokens, self.num_heads, self.head_dim)
            queries = queries.view(b, num_tokens, self.num_heads, self.head_dim)
            if use_cache:
                old_cache_k, old_cache_v = self.cache_k, self.cache_v
                old_len = 0 if old_cache_k is None else old_cache_k.size(1)
                if old_cache_k is None:
                    combined_k, combined_v = keys_new, values_new
                else:
                    combined_k = torch.cat([old_cache_k, keys_new], dim=1)
                    combined_v = torch.cat([old_cache_v, values_new], dim=1)
                keys, values = combined_k, combined_v
                if self.sliding_window_size is not None:
                    attn_keep = min(keys.size(1), self.sliding_window_size + num_tokens - 1)
                    keys = keys[:, -attn_keep:, :, :]
                    values = values[:, -attn_keep:, :, :]
                    cache_keep = min(combined_k.size(1), self.sliding_window_size)
                    self.cache_k = combined_k[:, -cache_keep:, :, :]
                    self.cache_v = combined_v[:, -cache_keep:, :, :]
                else:
                    self.cache_k, self.cache_v = combined_k, combined_v
                dropped = combined_k.size(1) - keys.size(1)
                k_start_pos_abs = (self.ptr_current_pos - old_len) + dropped
                q_start_pos_abs = self.ptr_current_pos
            else:
                keys, values = keys_new, values_new
            keys = keys.transpose(1, 2)
            queries = queries.transpose(1, 2)
            values = values.transpose(1, 2)
            attn_scores = queries @ keys.transpose(2, 3)
            num_tokens_Q = queries.shape[-2]
            num_tokens_K = keys.shape[-2]
            device = queries.device
            if use_cache:
                q_start = q_start_pos_abs
                k_start = k_start_pos_abs
            else:
                q_start = 0
                k_start = 0
            q_positions = torch.arange(q_start, q_start + num_tokens_Q, device=device, dtype=torch.long)
            k_positions = torch.arange(k_start, k_start + num_tokens_K, device=device, dtype=torch.long)
            W = num_tokens_K + 1 if self.sliding_window_size is None else int(self.sliding_window_size)
            diff = q_positions.unsqueeze(-1) - k_positions.unsqueeze(0)
            mask_bool = (diff < 0) | (diff >= W)
            if use_cache:
                self.ptr_current_pos += num_tokens_Q
            else:
                self.ptr_current_pos = 0
            attn_scores.masked_fill_(mask_bool, -torch.inf)
            attn_weights = torch.softmax(attn_scores / keys.shape[-1]**0.5, dim=-1)
            attn_weights = self.dropout(attn_weights)
            context_vec = (attn_weights @ values).transpose(1, 2)
            context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)
            context_vec = self.out_proj(context_vec)
            return context_vec

        def reset_cache(self):
            self.cache_k, self.cache_v = None, None
            self.ptr_current_pos = 0

    return MultiHeadAttentionWithSWA


CFG = {"vocab_size": 50, "context_length": 16, "emb_dim": 32, "hidden_dim": 64, "n_heads": 4,
       "n_layers": 2, "drop_rate": 0.0, "qkv_bias": False}


def _generate_both(L, o, model, gen, encoded, new=8):
    torch = L
    encoded_tensor = torch.tensor(encoded).unsqueeze(0)
    o.print("encoded_tensor.shape:", encoded_tensor.shape)
    a = gen(L, model, encoded_tensor, new)
    b = gen(L, model, encoded_tensor, new, use_cache=False)
    o.print("Output:", a)
    o.print("Output length:", len(a[0]), torch.equal(a, b))
    return a


def moe_gpt(L):
    torch = L
    with Out() as o:
        P = _parts(L)
        times = []
        cfg = dict(CFG, num_experts=4, num_experts_per_tok=2)
        mha = lambda c: P["MultiHeadAttention"](c["emb_dim"], c["emb_dim"], c["drop_rate"],
                                                c["n_heads"], c["qkv_bias"])
        ff = lambda c: P["MoEFeedForward"](c) if c["num_experts"] > 0 else P["FeedForward"](c)
        GPTModel = _gpt(L, mha, ff, times)
        torch.manual_seed(123)
        model = GPTModel(cfg)
        o.print(model.trf_blocks[0].ff)
        o.print(sum(p.numel() for p in model.parameters()))
        out = _generate_both(L, o, model, generate_text_simple_cached, [3, 14, 15, 9])
        o.print(len(times) > 0, [b.att.cache_k.shape for b in model.trf_blocks])
        moe = model.trf_blocks[0].ff
        x = torch.randn(2, 5, 32)
        scores = moe.gate(x)
        topk_scores, topk_indices = torch.topk(scores, 2, dim=-1)
        o.print(torch.unique(topk_indices.reshape(-1, 2)), topk_indices.dtype)
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=4e-3, weight_decay=0.1)
        ids = torch.randint(0, 50, (2, 9))
        for step in range(3):
            opt.zero_grad()
            logits = model(ids[:, :-1])
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), ids[:, 1:].flatten())
            loss.backward()
            opt.step()
            o.print(f"step {step} loss {loss.item():.4f}",
                    model.trf_blocks[1].ff.gate.weight.grad is not None)
        o.print([p.grad is None for p in model.trf_blocks[0].ff.fc1.parameters()])
        model.to(dtype=torch.float64)
        out16 = generate_text_simple_cached(L, model, torch.tensor([[3, 14, 15, 9]]), 4)
        o.print(out16, model.out_head.weight.dtype)
        o.vals += [out, moe(x.double()), out16]
    return o.done()


def mla_gpt(L):
    torch = L
    with Out() as o:
        MLA = _mla_class(L)
        cfg = dict(CFG, latent_dim=None)
        make = lambda c: MLA(d_in=c["emb_dim"], d_out=c["emb_dim"], num_heads=c["n_heads"],
                             dropout=c["drop_rate"], qkv_bias=c["qkv_bias"],
                             latent_dim=c["latent_dim"])
        P = _parts(L)
        GPTModel = _gpt(L, make, P["FeedForward"])
        torch.manual_seed(123)
        model = GPTModel(cfg)
        o.print(model.trf_blocks[0].att, model.trf_blocks[0].att.latent_dim)
        out = _generate_both(L, o, model, generate_text_simple_cached_cat, [5, 1, 22])
        o.print([b.att.cache_c_kv.shape for b in model.trf_blocks],
                list(model.trf_blocks[0].att.state_dict()))
        model.to(torch.device("cpu"), dtype=torch.float64)
        model.eval()
        out16 = generate_text_simple_cached_cat(L, model, torch.tensor([[5, 1, 22]]), 4)
        o.print(out16, model.trf_blocks[0].att.cache_c_kv.dtype)
        o.vals += [out, out16]
    return o.done()


def swa_gpt(L):
    torch = L
    with Out() as o:
        SWA = _swa_class(L)
        cfg = dict(CFG, n_layers=3, sliding_window_size=4, sliding_window_stride=2)
        make = lambda c: SWA(d_in=c["emb_dim"], d_out=c["emb_dim"], num_heads=c["n_heads"],
                             dropout=c["drop_rate"], qkv_bias=c["qkv_bias"],
                             sliding_window_size=c["sliding_window_size"])
        P = _parts(L)
        GPTModel = _gpt(L, make, P["FeedForward"])
        torch.manual_seed(123)
        model = GPTModel(cfg)
        o.print([b.att.sliding_window_size for b in model.trf_blocks])
        out = _generate_both(L, o, model, generate_text_simple_cached_cat, [5, 1, 22, 7, 8, 9])
        o.print([tuple(b.att.cache_k.shape) for b in model.trf_blocks],
                [b.att.ptr_current_pos for b in model.trf_blocks])
        # chunked prefill: the prompt fed in pieces must give the one-shot logits
        model.reset_kv_cache()
        ids = torch.tensor([[5, 1, 22, 7, 8, 9, 30, 31]])
        with torch.no_grad():
            full = model(ids)
            model.reset_kv_cache()
            parts = [model(ids[:, i:i + 3], use_cache=True) for i in range(0, 8, 3)]
        o.print(torch.allclose(torch.cat(parts, dim=1), full, atol=1e-5))
        o.vals += [out, full, torch.cat(parts, dim=1)]
    return o.done()
