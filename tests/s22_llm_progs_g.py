"""LLM-from-scratch programs (session 22), this file: rasbt/LLMs-from-scratch
ch04/09_dsa/gpt_with_kv_dsa.py (DeepSeek sparse attention: the LightningIndexer's einsum
scores, top-k token selection under a -inf causal mask, the scatter_ sparse mask, the raw-input
KV cache), with its GPTModel and generate_text_simple_cached, as users type them, at toy
sizes (vocab 50, context 16, dim 32, 2 layers)."""

from s16_yunjey_progs import Out
from s22_llm_progs_c import _gpt, _parts, generate_text_simple_cached_cat


def _dsa(L):
    torch, nn = L, L.nn

    class LightningIndexer(nn.Module):
        def __init__(self, d_model: int, index_n_heads: int, index_head_dim: int):
            super().__init__()
            self.index_n_heads = index_n_heads
            self.index_head_dim = index_head_dim
            self.W_q_index = nn.Linear(d_model, index_n_heads * index_head_dim, bias=False)
            self.W_k_index = nn.Linear(d_model, index_head_dim, bias=False)
            self.W_weights = nn.Linear(d_model, index_n_heads, bias=False)
            self.scale = index_head_dim ** -0.5

        def forward(self, x, x_ctx, topk, causal_mask=None):
            b, T, _ = x.shape
            _, S, _ = x_ctx.shape
            q = self.W_q_index(x).view(b, T, self.index_n_heads, self.index_head_dim)
            k = self.W_k_index(x_ctx)
            raw = torch.einsum("bthd,bsd->bths", q, k) * self.scale
            raw = torch.relu(raw)
            w = self.W_weights(x)
            w = w.softmax(dim=-1)
            index_scores = torch.einsum("bth,bths->bts", w, raw)
            if causal_mask is not None:
                index_scores = index_scores + causal_mask
            k_val = min(topk, S)
            topk_indices = index_scores.topk(k_val, dim=-1).indices
            return topk_indices

    class MultiHeadAttentionWithDSA(nn.Module):
        def __init__(self, d_in, d_out, dropout, num_heads, qkv_bias=False, index_n_heads=4,
                     index_head_dim=64, topk=64):
            super().__init__()
            assert d_out % num_heads == 0, "d_out must be divisible by num_heads"
            self.d_out = d_out
            self.num_heads = num_heads
            self.head_dim = d_out // num_heads
            self.topk = topk
            self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.out_proj = nn.Linear(d_out, d_out)
            self.dropout = nn.Dropout(dropout)
            self.indexer = LightningIndexer(d_in, index_n_heads, index_head_dim)
            self.register_buffer("cache_k", None, persistent=False)
            self.register_buffer("cache_v", None, persistent=False)
            self.register_buffer("cache_x", None, persistent=False)
            self.ptr_current_pos = 0

        def reset_cache(self):
            self.cache_k = None
            self.cache_v = None
            self.cache_x = None
            self.ptr_current_pos = 0

        def forward(self, x, use_cache=False):
            b, num_tokens, d_in = x.shape
            queries = self.W_query(x)
            keys_new = self.W_key(x)
            values_new = self.W_value(x)
            queries = queries.view(b, num_tokens, self.num_heads, self.head_dim)
            keys_new = keys_new.view(b, num_tokens, self.num_heads, self.head_dim)
            values_new = values_new.view(b, num_tokens, self.num_heads, self.head_dim)
            if use_cache:
                if self.cache_k is None:
                    keys = keys_new
                    values = values_new
                    x_ctx = x
                else:
                    keys = torch.cat([self.cache_k, keys_new], dim=1)
                    values = torch.cat([self.cache_v, values_new], dim=1)
                    x_ctx = torch.cat([self.cache_x, x], dim=1)
                self.cache_k = keys
                self.cache_v = values
                self.cache_x = x_ctx
                q_start = self.ptr_current_pos
                k_start = 0
                self.ptr_current_pos += num_tokens
            else:
                keys = keys_new
                values = values_new
                x_ctx = x
                q_start = 0
                k_start = 0
            queries_t = queries.transpose(1, 2)
            keys_t = keys.transpose(1, 2)
            values_t = values.transpose(1, 2)
            attn_scores = queries_t @ keys_t.transpose(2, 3)
            num_tokens_Q = queries_t.shape[-2]
            num_tokens_K = keys_t.shape[-2]
            device = x.device
            q_positions = torch.arange(q_start, q_start + num_tokens_Q, device=device, dtype=torch.long)
            k_positions = torch.arange(k_start, k_start + num_tokens_K, device=device, dtype=torch.long)
            causal_bool = q_positions.unsqueeze(-1) < k_positions.unsqueeze(0)
            causal_float = torch.zeros(num_tokens_Q, num_tokens_K, device=device, dtype=attn_scores.dtype)
            causal_float.masked_fill_(causal_bool, float("-inf"))
            topk_indices = self.indexer(x, x_ctx, self.topk, causal_mask=causal_float)
            sparse_mask = torch.full((b, num_tokens_Q, num_tokens_K), float("-inf"), device=device,
                                     dtype=attn_scores.dtype)
            sparse_mask.scatter_(-1, topk_indices, 0.0)
            combined_mask = causal_float.unsqueeze(0) + sparse_mask
            attn_scores = attn_scores + combined_mask.unsqueeze(1)
            attn_weights = torch.softmax(attn_scores / self.head_dim ** 0.5, dim=-1)
            attn_weights = self.dropout(attn_weights)
            context_vec = attn_weights @ values_t
            context_vec = context_vec.transpose(1, 2).contiguous().view(b, num_tokens, self.d_out)
            context_vec = self.out_proj(context_vec)
            return context_vec

    return LightningIndexer, MultiHeadAttentionWithDSA


def dsa_gpt(L):
    torch = L
    with Out() as o:
        LightningIndexer, DSA = _dsa(L)
        cfg = {"vocab_size": 50, "context_length": 16, "emb_dim": 32, "n_heads": 4,
               "n_layers": 2, "drop_rate": 0.0, "qkv_bias": False, "hidden_dim": 128,
               "index_n_heads": 2, "index_head_dim": 8, "topk": 3}
        make = lambda c: DSA(d_in=c["emb_dim"], d_out=c["emb_dim"], num_heads=c["n_heads"],
                             dropout=c["drop_rate"], qkv_bias=c["qkv_bias"],
                             index_n_heads=c["index_n_heads"],
                             index_head_dim=c["index_head_dim"], topk=c["topk"])
        GPTModel = _gpt(L, make, _parts(L)["FeedForward"])
        torch.manual_seed(123)
        model = GPTModel(cfg)
        o.print(model.trf_blocks[0].att.indexer)
        encoded_tensor = torch.tensor([5, 1, 22, 7, 8, 9]).unsqueeze(0)
        a = generate_text_simple_cached_cat(L, model, encoded_tensor, 8)
        b = generate_text_simple_cached_cat(L, model, encoded_tensor, 8, use_cache=False)
        o.print("Output:", a)
        o.print("Output length:", len(a[0]), torch.equal(a, b))
        o.print([tuple(blk.att.cache_x.shape) for blk in model.trf_blocks])
        # the indexer alone: rows whose finite scores are fewer than k pick from the -inf ties
        idx = LightningIndexer(32, 2, 8)
        x = torch.randn(1, 5, 32)
        causal = torch.zeros(5, 5).masked_fill_(torch.triu(torch.ones(5, 5, dtype=torch.bool), 1),
                                                float("-inf"))
        with torch.no_grad():
            top = idx(x, x, 3, causal_mask=causal)
            sparse = torch.full((1, 5, 5), float("-inf")).scatter_(-1, top, 0.0)
        o.print(top[0].tolist(), top.dtype)
        o.print((sparse + causal).isfinite().sum(-1).tolist())
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
        ids = torch.randint(0, 50, (2, 11))
        for step in range(2):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(ids[:, :-1]).flatten(0, 1),
                                                     ids[:, 1:].flatten())
            loss.backward()
            opt.step()
            o.print(f"step {step} loss {loss.item():.4f}",
                    model.trf_blocks[0].att.indexer.W_q_index.weight.grad is None)
        o.vals += [a, (sparse + causal).isfinite()]
    return o.done()
