"""Session 14: the bonus attention code of Raschka's "Build a Large Language Model (From
Scratch)" at toy sizes, run on ember and compared live with torch 2.13: the KV cache
(buffers set to None, torch.cat of cached keys), the multi-head attention variants (combined
QKV with unbind, einsum, scaled_dot_product_attention, nn.MultiheadAttention), and Llama's
RoPE, RMSNorm, SwiGLU feed-forward and grouped-query attention (repeat_interleave).
Printed text is compared exactly."""

from llmscratch_util import errors, printed


def test_kv_cache_matches_the_full_forward():
    def run(L):
        nn = L.nn

        class MultiHeadAttention(nn.Module):
            def __init__(self, d_in, d_out, context_length, num_heads):
                super().__init__()
                self.d_out, self.num_heads, self.head_dim = d_out, num_heads, d_out // num_heads
                self.W_query = nn.Linear(d_in, d_out, bias=False)
                self.W_key = nn.Linear(d_in, d_out, bias=False)
                self.W_value = nn.Linear(d_in, d_out, bias=False)
                self.out_proj = nn.Linear(d_out, d_out)
                self.register_buffer("mask", L.triu(L.ones(context_length, context_length),
                                                    diagonal=1), persistent=False)
                self.register_buffer("cache_k", None, persistent=False)
                self.register_buffer("cache_v", None, persistent=False)
                self.ptr_current_pos = 0

            def forward(self, x, use_cache=False):
                b, n, _ = x.shape
                shape = (b, n, self.num_heads, self.head_dim)
                k_new, v_new = self.W_key(x).view(shape), self.W_value(x).view(shape)
                queries = self.W_query(x).view(shape).transpose(1, 2)
                if use_cache:
                    if self.cache_k is None:
                        self.cache_k, self.cache_v = k_new, v_new
                    else:
                        self.cache_k = L.cat([self.cache_k, k_new], dim=1)
                        self.cache_v = L.cat([self.cache_v, v_new], dim=1)
                    keys, values = self.cache_k, self.cache_v
                else:
                    keys, values = k_new, v_new
                keys, values = keys.transpose(1, 2), values.transpose(1, 2)
                s = queries @ keys.transpose(2, 3)
                nq, nk = queries.shape[-2], keys.shape[-2]
                if use_cache:
                    mask = self.mask.bool()[self.ptr_current_pos:self.ptr_current_pos + nq, :nk]
                    self.ptr_current_pos += nq
                else:
                    mask = self.mask.bool()[:nq, :nk]
                s.masked_fill_(mask, -L.inf)
                w = L.softmax(s / keys.shape[-1] ** 0.5, dim=-1)
                return self.out_proj((w @ values).transpose(1, 2).contiguous().view(b, n,
                                                                                    self.d_out))
        L.manual_seed(0)
        m = MultiHeadAttention(8, 8, 10, 2)
        print(list(m.state_dict()), [n for n, _ in m.named_buffers()])
        x = L.randn(1, 5, 8)
        full = m(x)
        parts = [m(x[:, :3], use_cache=True)] + [m(x[:, i:i + 1], use_cache=True)
                                                 for i in range(3, 5)]
        print(full[0, -1], L.cat(parts, dim=1)[0, -1], m.cache_k.shape,
              [n for n, _ in m.named_buffers()])
        m.cache_k, m.cache_v, m.ptr_current_pos = None, None, 0
        print(m.cache_k, [n for n, _ in m.named_buffers()], m)
    want, got = printed(run)
    assert got == want


def test_attention_variants_combined_qkv_einsum_sdpa_and_the_module():
    def run(L):
        nn, F = L.nn, L.nn.functional
        L.manual_seed(123)
        x = L.randn((2, 6, 8))
        L.manual_seed(1)
        qkv_layer, proj = nn.Linear(8, 24, bias=False), nn.Linear(8, 8)
        qkv = qkv_layer(x).view(2, 6, 3, 2, 4).permute(2, 0, 3, 1, 4)
        queries, keys, values = qkv.unbind(0)
        mask = L.triu(L.ones(6, 6), diagonal=1).bool()
        s = (queries @ keys.transpose(-2, -1)).masked_fill(mask, -L.inf)
        manual = L.softmax(s / keys.shape[-1] ** 0.5, dim=-1) @ values
        sdpa = F.scaled_dot_product_attention(queries, keys, values, attn_mask=None,
                                              dropout_p=0.0, is_causal=True)
        ein = L.einsum("bhnm,bhmd->bhnd", L.softmax(L.einsum(
            "bhnd,bhmd->bhnm", queries, keys).masked_fill(
            mask.unsqueeze(0).unsqueeze(1).expand(2, 2, 6, 6), -L.inf) / 2.0, dim=-1), values)
        out = proj(sdpa.transpose(1, 2).contiguous().view(2, 6, 8))
        out.sum().backward()
        print(manual[0, 0, :2], sdpa[0, 0, :2], ein[0, 0, :2], qkv_layer.weight.grad[0, :4])
        L.manual_seed(3)
        print(F.scaled_dot_product_attention(queries, keys, values, is_causal=True,
                                             dropout_p=0.5)[0, 0, :2])
        print(F.scaled_dot_product_attention(queries, keys, values, attn_mask=~mask)[0, 0, :2])
        for bias, need in ((False, True), (True, False)):
            L.manual_seed(1)
            mha = nn.MultiheadAttention(embed_dim=8, num_heads=2, bias=bias, add_bias_kv=bias,
                                        batch_first=True)
            out, w = mha(x, x, x, attn_mask=mask, need_weights=need)
            out.sum().backward()
            print(out[0, :2], w if w is None else w[0, :2], mha.in_proj_weight.grad[0, :4])
        print(errors(L, [
            lambda: F.scaled_dot_product_attention(queries, keys, values, attn_mask=mask,
                                                   is_causal=True),
            lambda: F.scaled_dot_product_attention(queries, keys[..., :3], values),
            lambda: F.scaled_dot_product_attention(queries, keys, values.double())]))
    want, got = printed(run)
    assert got == want


def test_llama_rope_rmsnorm_swiglu_and_grouped_query_attention():
    def run(L):
        nn = L.nn

        def rope_params(head_dim, theta_base=10_000, context_length=12, freq_config=None):
            inv_freq = 1.0 / (theta_base ** (L.arange(0, head_dim, 2, dtype=L.float32)[
                : head_dim // 2].float() / head_dim))
            if freq_config is not None:  # Llama 3.1's rescaled frequencies
                low = freq_config["original_context_length"] / freq_config["low_freq_factor"]
                high = freq_config["original_context_length"] / freq_config["high_freq_factor"]
                wavelen = 2 * L.pi / inv_freq
                scaled = L.where(wavelen > low, inv_freq / freq_config["factor"], inv_freq)
                smooth = (freq_config["original_context_length"] / wavelen
                          - freq_config["low_freq_factor"]) / (
                    freq_config["high_freq_factor"] - freq_config["low_freq_factor"])
                smoothed = (1 - smooth) * (inv_freq / freq_config["factor"]) + smooth * inv_freq
                inv_freq = L.where((wavelen <= low) & (wavelen >= high), smoothed, scaled)
            angles = L.arange(context_length, dtype=L.float32).unsqueeze(1) * inv_freq.unsqueeze(0)
            angles = L.cat([angles, angles], dim=1)
            return L.cos(angles), L.sin(angles)

        def apply_rope(x, cos, sin):
            _, _, n, d = x.shape
            rotated = L.cat((-x[..., d // 2:], x[..., :d // 2]), dim=-1)
            return (x * cos[:n].unsqueeze(0).unsqueeze(0)
                    + rotated * sin[:n].unsqueeze(0).unsqueeze(0)).to(dtype=x.dtype)
        cos, sin = rope_params(16)
        cos2, sin2 = rope_params(16, 500_000, freq_config=dict(
            factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, original_context_length=8))
        L.manual_seed(123)
        print(cos[3, :4], sin[5, :4], cos2[7], sin2[11],
              apply_rope(L.randn(2, 4, 12, 16), cos, sin)[0, 0, 5, :6])

        class RMSNorm(nn.Module):
            def __init__(self, emb_dim, eps=1e-5):
                super().__init__()
                self.eps = eps
                self.weight = nn.Parameter(L.ones(emb_dim)).float()

            def forward(self, x):
                means = x.pow(2).mean(dim=-1, keepdim=True)
                return (x * L.rsqrt(means + self.eps) * self.weight).to(dtype=x.dtype)
        L.manual_seed(0)
        x = L.randn(2, 5, 16)
        print(RMSNorm(16)(x)[0, 0, :4], nn.RMSNorm(16, eps=1e-5)(x)[0, 0, :4])
        fc1, fc2, fc3 = (nn.Linear(a, b, dtype=L.float32, bias=False)
                         for a, b in ((16, 32), (16, 32), (32, 16)))
        print(fc3(nn.functional.silu(fc1(x)) * fc2(x))[0, 0, :4])
        W_q, W_k, W_v, out_proj = (nn.Linear(16, d, bias=False) for d in (16, 8, 8, 16))
        q = W_q(x).view(2, 5, 4, 4).transpose(1, 2)
        k = W_k(x).view(2, 5, 2, 4).transpose(1, 2)
        v = W_v(x).view(2, 5, 2, 4).transpose(1, 2)
        cos, sin = rope_params(4, context_length=8)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        k, v = k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1)
        mask = L.triu(L.ones(8, 8, dtype=L.bool), diagonal=1)
        s = (q @ k.transpose(2, 3)).masked_fill(mask[:5, :5], -L.inf)
        out = out_proj((L.softmax(s / 2.0, dim=-1) @ v).transpose(1, 2).reshape(2, 5, 16))
        out.sum().backward()
        print(out[0, 1, :4], W_k.weight.grad[0, :4],
              L.tensor([[1, 2], [3, 4]]).repeat_interleave(2, dim=0),
              L.arange(3).repeat_interleave(L.tensor([1, 2, 3])),
              L.tensor(0, dtype=L.float16).element_size(), L.finfo(L.float16).max)
    want, got = printed(run)
    assert got == want
