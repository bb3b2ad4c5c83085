"""LLM-from-scratch programs (session 22), this file: rasbt/LLMs-from-scratch ch04 bonus
code, gpt_with_kv_moe.py (MoEFeedForward: top-k gate, unique experts, index_select, gather,
index_add_), gpt_with_kv_mla.py (MultiHeadLatentAttention with a latent KV cache) and
gpt_with_kv_swa.py (MultiHeadAttentionWithSWA: cache trimming to the window, the K:1 layer
schedule), each with its GPTModel and generate_text_simple_cached, as users type them, at
toy sizes (vocab 50, context 16, dim 32, 2 layers) on integer token ids for tiktoken's."""

import time


def _parts(L):
    torch, nn = L, L.nn

    class MultiHeadAttention(nn.Module):
        def __init__(self, d_in, d_out, dropout, num_heads, qkv_bias=False):
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
                if self.cache_k is None:
                    self.cache_k, self.cache_v = keys_new, values_new
                else:
                    self.cache_k = torch.cat([self.cache_k, keys_new], dim=1)
                    self.cache_v = torch.cat([self.cache_v, values_new], dim=1)
                keys, values = self.cache_k, self.cache_v
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

        def reset_cache(self):
            self.cache_k, self.cache_v = None, None
            self.ptr_current_pos = 0

    class LayerNorm(nn.Module):
        def __init__(self, emb_dim):
            super().__init__()
            self.eps = 1e-5
            self.scale = nn.Parameter(torch.ones(emb_dim))
            self.shift = nn.Parameter(torch.zeros(emb_dim))

        def forward(self, x):
            mean = x.mean(dim=-1, keepdim=True)
            var = x.var(dim=-1, keepdim=True, unbiased=False)
            norm_x = (x - mean) / torch.sqrt(var + self.eps)
            return self.scale * norm_x + self.shift

    class GELU(nn.Module):
        def __init__(self):
            super().__init__()

        def forward(self, x):
            return 0.5 * x * (1 + torch.tanh(
                torch.sqrt(torch.tensor(2.0 / torch.pi)) *
                (x + 0.044715 * torch.pow(x, 3))
            ))

    class FeedForward(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(cfg["emb_dim"], cfg["hidden_dim"]),
                GELU(),
                nn.Linear(cfg["hidden_dim"], cfg["emb_dim"]),
            )

        def forward(self, x):
            return self.layers(x)

    class MoEFeedForward(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.num_experts_per_tok = cfg["num_experts_per_tok"]
            self.num_experts = cfg["num_experts"]
            self.emb_dim = cfg["emb_dim"]
            self.gate = nn.Linear(cfg["emb_dim"], cfg["num_experts"], bias=False)
            self.fc1 = nn.ModuleList([nn.Linear(cfg["emb_dim"], cfg["hidden_dim"], bias=False)
                                      for _ in range(self.num_experts)])
            self.fc2 = nn.ModuleList([nn.Linear(cfg["emb_dim"], cfg["hidden_dim"], bias=False)
                                      for _ in range(self.num_experts)])
            self.fc3 = nn.ModuleList([nn.Linear(cfg["hidden_dim"], cfg["emb_dim"], bias=False)
                                      for _ in range(self.num_experts)])

        def forward(self, x):
            scores = self.gate(x)
            topk_scores, topk_indices = torch.topk(scores, self.num_experts_per_tok, dim=-1)
            topk_probs = torch.softmax(topk_scores, dim=-1)
            batch, seq_len, _ = x.shape
            x_flat = x.reshape(batch * seq_len, -1)
            out_flat = torch.zeros(batch * seq_len, self.emb_dim, device=x.device, dtype=x.dtype)
            topk_indices_flat = topk_indices.reshape(-1, self.num_experts_per_tok)
            topk_probs_flat = topk_probs.reshape(-1, self.num_experts_per_tok)
            unique_experts = torch.unique(topk_indices_flat)
            for expert_id_tensor in unique_experts:
                expert_id = int(expert_id_tensor.item())
                mask = topk_indices_flat == expert_id
                if not mask.any():
                    continue
                token_mask = mask.any(dim=-1)
                selected_idx = token_mask.nonzero(as_tuple=False).squeeze(-1)
                if selected_idx.numel() == 0:
                    continue
                expert_input = x_flat.index_select(0, selected_idx)
                hidden = torch.nn.functional.silu(self.fc1[expert_id](expert_input)) * self.fc2[
                    expert_id
                ](expert_input)
                expert_out = self.fc3[expert_id](hidden)
                mask_selected = mask[selected_idx]
                slot_indices = mask_selected.int().argmax(dim=-1, keepdim=True)
                selected_probs = torch.gather(
                    topk_probs_flat.index_select(0, selected_idx), dim=-1, index=slot_indices
                ).squeeze(-1)
                out_flat.index_add_(0, selected_idx, expert_out * selected_probs.unsqueeze(-1))
            return out_flat.reshape(batch, seq_len, self.emb_dim)

    return dict(MultiHeadAttention=MultiHeadAttention, LayerNorm=LayerNorm, GELU=GELU,
                FeedForward=FeedForward, MoEFeedForward=MoEFeedForward)


def _gpt(L, make_att, make_ff, ff_times=None):
    """GPTModel / TransformerBlock of the three files: ``make_att(cfg)`` gives the attention,
    ``make_ff(cfg)`` the feed-forward."""
    torch, nn = L, L.nn
    P = _parts(L)

    class TransformerBlock(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.att = make_att(cfg)
            self.ff = make_ff(cfg)
            self.norm1 = P["LayerNorm"](cfg["emb_dim"])
            self.norm2 = P["LayerNorm"](cfg["emb_dim"])
            self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

        def forward(self, x, use_cache=False):
            shortcut = x
            x = self.norm1(x)
            x = self.att(x, use_cache=use_cache)
            x = self.drop_shortcut(x)
            x = x + shortcut
            shortcut = x
            x = self.norm2(x)
            use_cuda = torch.cuda.is_available()
            start = time.perf_counter()
            x = self.ff(x)
            if ff_times is not None and not use_cuda:
                ff_times.append((time.perf_counter() - start) * 1000.0)
            x = self.drop_shortcut(x)
            x = x + shortcut
            return x

    class GPTModel(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
            self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
            self.drop_emb = nn.Dropout(cfg["drop_rate"])
            blocks = []
            window_stride = cfg.get("sliding_window_stride", 0)
            window_size = cfg["sliding_window_size"] if "sliding_window_size" in cfg else None
            for i in range(cfg["n_layers"]):
                blk = TransformerBlock(cfg)
                K = int(window_stride)
                if K <= 0:
                    use_swa = False if K == 0 else True
                else:
                    group = K + 1
                    use_swa = (i % group) < K
                if "sliding_window_size" in cfg:
                    blk.att.sliding_window_size = window_size if use_swa else None
                blocks.append(blk)
            self.trf_blocks = nn.ModuleList(blocks)
            self.current_pos = 0
            self.final_norm = P["LayerNorm"](cfg["emb_dim"])
            self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

        def forward(self, in_idx, use_cache=False):
            batch_size, seq_len = in_idx.shape
            tok_embeds = self.tok_emb(in_idx)
            if use_cache:
                pos_ids = torch.arange(self.current_pos, self.current_pos + seq_len,
                                       device=in_idx.device, dtype=torch.long)
                self.current_pos += seq_len
            else:
                pos_ids = torch.arange(0, seq_len, device=in_idx.device, dtype=torch.long)
            pos_embeds = self.pos_emb(pos_ids).unsqueeze(0)
            x = tok_embeds + pos_embeds
            x = self.drop_emb(x)
            for blk in self.trf_blocks:
                x = blk(x, use_cache=use_cache)
            x = self.final_norm(x)
            logits = self.out_head(x)
            return logits

        def reset_kv_cache(self):
            for blk in self.trf_blocks:
                blk.att.reset_cache()
            self.current_pos = 0

    return GPTModel


def generate_text_simple_cached(L, model, idx, max_new_tokens, context_size=None,
                                use_cache=True):
    """The moe file's version: a preallocated ``generated`` buffer filled in place."""
    torch = L
    model.eval()
    ctx_len = context_size or model.pos_emb.num_embeddings
    batch_size, base_len = idx.shape
    total_len = base_len + max_new_tokens
    generated = torch.empty(batch_size, total_len, dtype=idx.dtype, device=idx.device)
    generated[:, :base_len] = idx
    cur_len = base_len
    with torch.no_grad():
        if use_cache:
            model.reset_kv_cache()
            prompt_start = max(0, cur_len - ctx_len)
            logits = model(generated[:, prompt_start:cur_len], use_cache=True)
            for _ in range(max_new_tokens):
                next_idx = logits[:, -1].argmax(dim=-1)
                generated[:, cur_len] = next_idx
                cur_len += 1
                logits = model(generated[:, cur_len - 1: cur_len], use_cache=True)
        else:
            for _ in range(max_new_tokens):
                start_ctx = max(0, cur_len - ctx_len)
                logits = model(generated[:, start_ctx:cur_len], use_cache=False)
                next_idx = logits[:, -1].argmax(dim=-1)
                generated[:, cur_len] = next_idx
                cur_len += 1
    return generated[:, :cur_len]


def generate_text_simple_cached_cat(L, model, idx, max_new_tokens, context_size=None,
                                    use_cache=True):
    """The mla / swa files' version: torch.cat onto idx."""
    torch = L
    model.eval()
    ctx_len = context_size or model.pos_emb.num_embeddings
    with torch.no_grad():
        if use_cache:
            model.reset_kv_cache()
            logits = model(idx[:, -ctx_len:], use_cache=True)
            for _ in range(max_new_tokens):
                next_idx = logits[:, -1].argmax(dim=-1, keepdim=True)
                idx = torch.cat([idx, next_idx], dim=1)
                logits = model(next_idx, use_cache=True)
        else:
            for _ in range(max_new_tokens):
                logits = model(idx[:, -ctx_len:], use_cache=False)
                next_idx = logits[:, -1].argmax(dim=-1, keepdim=True)
                idx = torch.cat([idx, next_idx], dim=1)
    return idx
